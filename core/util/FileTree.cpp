// SPDX-License-Identifier: GPL-2.0-or-later
#include "util/FileTree.h"

#include <cerrno>
#include <climits>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace offload {

namespace fs = std::filesystem;

struct FileTree::Root {
    fs::path path;  ///< resolved
    fs::path given; ///< absolute, as the caller named it (may differ from `path` by links)
    int fd = -1;
    Root(fs::path p, fs::path g, int descriptor) : path(std::move(p)), given(std::move(g)), fd(descriptor) {}
    Root(const Root&) = delete;
    Root& operator=(const Root&) = delete;
    ~Root() { ::close(fd); }
};

namespace {

const fs::path kSlash("/");

/// openat2(2) below `dirfd`: no absolute link, no ".." above it, no /proc magic link.
/// (glibc 2.36 has no wrapper.)
int openBeneath(int dirfd, const fs::path& relative, int flags)
{
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    for (;;) {
        const long fd = ::syscall(SYS_openat2, dirfd, relative.c_str(), &how, sizeof how);
        if (fd >= 0 || errno != EAGAIN)
            return static_cast<int>(fd);
    }
}

class Fd {
public:
    explicit Fd(int fd) : m_fd(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    int get() const { return m_fd; }
    bool ok() const { return m_fd >= 0; }

private:
    int m_fd;
};

} // namespace

Result<FileTree> FileTree::below(const fs::path& root)
{
    std::error_code ec;
    fs::path resolved = fs::canonical(root, ec);
    if (ec)
        return std::unexpected(Error::sys(ec.value(), root.string(), "cannot open the tree"));
    const int fd = ::open(resolved.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return std::unexpected(Error::sys(errno, root.string(), "cannot open the tree"));
    FileTree tree;
    fs::path given = fs::absolute(root, ec).lexically_normal();
    if (!given.empty() && given.native().size() > 1 && given.native().back() == '/')
        given = given.parent_path();
    tree.m_root = std::make_shared<const Root>(std::move(resolved), std::move(given), fd);
    return tree;
}

const fs::path& FileTree::root() const
{
    return m_root ? m_root->path : kSlash;
}

namespace {

/// `path` (absolute, normal) relative to `root`; nullopt when it is not below it.
std::optional<fs::path> relativeBelow(const fs::path& path, const fs::path& root)
{
    auto p = path.begin();
    for (auto r = root.begin(); r != root.end(); ++r, ++p) {
        if (r->empty())
            continue; // the root's trailing separator
        if (p == path.end() || *p != *r)
            return std::nullopt;
    }
    fs::path relative;
    for (; p != path.end(); ++p)
        if (!p->empty())
            relative /= *p;
    return relative.empty() ? fs::path(".") : relative;
}

} // namespace

std::optional<fs::path> FileTree::inside(const fs::path& path) const
{
    std::error_code ec;
    const fs::path normal = (path.is_absolute() ? path : fs::absolute(path, ec)).lexically_normal();
    if (auto relative = relativeBelow(normal, m_root->path))
        return relative;
    return relativeBelow(normal, m_root->given);
}

int FileTree::open(const fs::path& path, int flags) const
{
    if (!m_root)
        return ::open(path.c_str(), flags | O_CLOEXEC);
    auto relative = inside(path);
    if (!relative) {
        errno = EXDEV;
        return -1;
    }
    return openBeneath(m_root->fd, *relative, flags);
}

std::optional<std::string> FileTree::readLink(const fs::path& path, int& err) const
{
    char target[PATH_MAX];
    ssize_t n = -1;
    if (!m_root) {
        n = ::readlink(path.c_str(), target, sizeof target - 1);
    } else {
        const fs::path name = path.filename();
        if (name.empty() || name == "." || name == "..") {
            err = EINVAL;
            return std::nullopt;
        }
        Fd dir(open(path.parent_path(), O_PATH | O_DIRECTORY));
        if (!dir.ok()) {
            err = errno;
            return std::nullopt;
        }
        n = ::readlinkat(dir.get(), name.c_str(), target, sizeof target - 1);
    }
    if (n < 0) {
        err = errno;
        return std::nullopt;
    }
    err = 0;
    return std::string(target, static_cast<std::size_t>(n));
}

std::optional<fs::path> FileTree::resolve(const fs::path& path, int& err) const
{
    if (!m_root) {
        std::error_code ec;
        fs::path resolved = fs::canonical(path, ec);
        err = ec.value();
        if (ec)
            return std::nullopt;
        return resolved;
    }
    // The kernel resolved it within the tree; /proc/self/fd names where it ended.
    Fd fd(open(path, O_PATH));
    if (!fd.ok()) {
        err = errno;
        return std::nullopt;
    }
    char target[PATH_MAX];
    const std::string self = "/proc/self/fd/" + std::to_string(fd.get());
    const ssize_t n = ::readlink(self.c_str(), target, sizeof target - 1);
    if (n < 0) {
        err = errno;
        return std::nullopt;
    }
    fs::path resolved(std::string(target, static_cast<std::size_t>(n)));
    if (!inside(resolved)) {
        err = EXDEV;
        return std::nullopt;
    }
    err = 0;
    return resolved;
}

bool FileTree::exists(const fs::path& path, int* err) const
{
    int why = 0;
    bool found = false;
    if (!m_root) {
        struct stat st {};
        found = ::stat(path.c_str(), &st) == 0;
        why = found ? 0 : errno;
    } else {
        Fd fd(open(path, O_PATH));
        found = fd.ok();
        why = found ? 0 : errno;
    }
    if (err)
        *err = why;
    return found;
}

bool FileTree::isDirectory(const fs::path& path) const
{
    if (!m_root) {
        struct stat st {};
        return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    }
    Fd fd(open(path, O_PATH | O_DIRECTORY));
    return fd.ok();
}

std::vector<std::string> FileTree::list(const fs::path& dir, int* err) const
{
    std::vector<std::string> names;
    DIR* d = nullptr;
    if (!m_root) {
        d = ::opendir(dir.c_str());
    } else {
        const int fd = open(dir, O_RDONLY | O_DIRECTORY);
        if (fd >= 0) {
            d = ::fdopendir(fd);
            if (!d)
                ::close(fd);
        }
    }
    if (!d) {
        if (err)
            *err = errno;
        return names;
    }
    while (const dirent* e = ::readdir(d)) {
        const std::string_view name = e->d_name;
        if (name != "." && name != "..")
            names.emplace_back(name);
    }
    ::closedir(d);
    if (err)
        *err = 0;
    return names;
}

std::optional<std::string> FileTree::readAll(const fs::path& path, int& err, std::size_t limit) const
{
    // In a contained tree, only regular files: a FIFO or device node placed in a fixture
    // would block the reader or read a device (opened without blocking, then refused).
    Fd fd(open(path, m_root ? O_RDONLY | O_NONBLOCK : O_RDONLY));
    if (!fd.ok()) {
        err = errno;
        return std::nullopt;
    }
    if (m_root) {
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
            err = EINVAL;
            return std::nullopt;
        }
    }
    std::string text;
    char buf[65536];
    while (text.size() < limit) {
        const ssize_t n = ::read(fd.get(), buf, std::min(sizeof buf, limit - text.size()));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            err = errno;
            return std::nullopt;
        }
        if (n == 0)
            break;
        text.append(buf, static_cast<std::size_t>(n));
    }
    err = 0;
    return text;
}

std::string FileTree::why(int err, const fs::path& path) const
{
    if (err == EXDEV && m_root)
        return path.string() + " leads out of " + m_root->path.string() + " (a link outside the tree; not followed)";
    return std::strerror(err);
}

} // namespace offload
