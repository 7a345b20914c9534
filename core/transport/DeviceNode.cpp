// SPDX-License-Identifier: GPL-2.0-or-later
#include "transport/DeviceNode.h"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <vector>

namespace offload {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept
{
    if (this != &other) {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = other.release();
    }
    return *this;
}

UniqueFd::~UniqueFd()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

namespace {

/// Opens `path` only if it is the node type and number we expect; verifies again on the fd
/// so a node swapped between stat and open is caught. nullopt: not this device, try the next.
std::optional<Result<UniqueFd>> tryOpen(const std::string& path, mode_t type, dev_t rdev, int flags,
                                        const std::string& who)
{
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || (st.st_mode & S_IFMT) != type || st.st_rdev != rdev)
        return std::nullopt;
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        std::string hint;
        if (err == EACCES || err == EPERM)
            hint = "run as root (or get write access to " + path + ")";
        else if (err == EBUSY)
            hint = "the device is in use (mounted or held by another device)";
        return Result<UniqueFd>(std::unexpected(Error::sys(err, who, "cannot open " + path, hint)));
    }
    UniqueFd handle(fd);
    if (::fstat(fd, &st) != 0 || (st.st_mode & S_IFMT) != type || st.st_rdev != rdev)
        return std::nullopt;
    return Result<UniqueFd>(std::move(handle));
}

/// Makes a private node in a fresh temporary directory, opens it, and removes it again.
Result<UniqueFd> openThroughPrivateNode(mode_t type, dev_t rdev, int flags, const std::string& who)
{
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/offloadcp-node.XXXXXX";
    std::vector<char> dirName(templ.begin(), templ.end());
    dirName.push_back('\0');
    if (!::mkdtemp(dirName.data()))
        return std::unexpected(Error::sys(errno, who, "no device node found and cannot create a private one"));
    const std::string dir(dirName.data());
    const std::string node = dir + "/node";
    Result<UniqueFd> result = std::unexpected(Error::make(Errc::Internal, who, "unreachable"));
    if (::mknod(node.c_str(), type | 0600, rdev) != 0) {
        const int err = errno;
        result = std::unexpected(Error::sys(err, who, "no device node in /dev matches and mknod failed",
                                            err == EPERM ? "run as root" : ""));
    } else {
        auto opened = tryOpen(node, type, rdev, flags, who);
        if (opened)
            result = std::move(*opened);
        else
            result = std::unexpected(Error::make(Errc::Internal, who, "the private device node did not verify"));
        ::unlink(node.c_str());
    }
    ::rmdir(dir.c_str());
    return result;
}

Result<UniqueFd> openNode(const std::vector<std::string>& candidates, mode_t type, DevNum devnum, int flags,
                          const std::string& who)
{
    const dev_t rdev = devnum.toDevT();
    for (const auto& path : candidates) {
        if (auto opened = tryOpen(path, type, rdev, flags, who))
            return std::move(*opened);
    }
    return openThroughPrivateNode(type, rdev, flags, who);
}

} // namespace

Result<UniqueFd> openBlockDevice(const BlockDevice& dev, int flags)
{
    std::vector<std::string> candidates;
    if (dev.dm && !dev.dm->name.empty())
        candidates.push_back("/dev/mapper/" + dev.dm->name);
    if (!dev.name.empty())
        candidates.push_back("/dev/" + dev.name);
    candidates.push_back("/dev/block/" + dev.devnum.str());
    return openNode(candidates, S_IFBLK, dev.devnum, flags, dev.devPath() + " (" + dev.devnum.str() + ")");
}

Result<UniqueFd> openCharDevice(const std::string& name, DevNum devnum, int flags)
{
    std::vector<std::string> candidates;
    if (!name.empty() && name.find('/') == std::string::npos)
        candidates.push_back("/dev/" + name);
    candidates.push_back("/dev/char/" + devnum.str());
    return openNode(candidates, S_IFCHR, devnum, flags, "/dev/" + name + " (" + devnum.str() + ")");
}

Result<int> OpenNodes::get(const BlockDevice& dev, int flags)
{
    const std::pair key{dev.devnum, flags & O_ACCMODE};
    std::lock_guard lock(m_mutex);
    if (auto it = m_nodes.find(key); it != m_nodes.end())
        return it->second.get();
    auto fd = openBlockDevice(dev, flags | O_CLOEXEC);
    if (!fd)
        return std::unexpected(fd.error());
    const int raw = fd->get();
    m_nodes.emplace(key, std::move(*fd));
    return raw;
}

} // namespace offload
