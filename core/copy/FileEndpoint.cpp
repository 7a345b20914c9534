// SPDX-License-Identifier: GPL-2.0-or-later
#include "copy/FileEndpoint.h"

#include "topology/MountInfo.h"

#include <array>
#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

namespace offload {

namespace {

struct KnownFileSystem {
    uint64_t magic;
    const char* name;
};

// statfs f_type values (linux/magic.h and the filesystems' own headers).
constexpr std::array kPseudo = {
    KnownFileSystem{0x9fa0, "proc"},           KnownFileSystem{0x62656572, "sysfs"},
    KnownFileSystem{0x64626720, "debugfs"},    KnownFileSystem{0x74726163, "tracefs"},
    KnownFileSystem{0x73636673, "securityfs"}, KnownFileSystem{0x62656570, "configfs"},
    KnownFileSystem{0x27e0eb, "cgroup"},       KnownFileSystem{0x63677270, "cgroup2"},
    KnownFileSystem{0xcafe4a11, "bpf"},        KnownFileSystem{0xde5e81e4, "efivarfs"},
    KnownFileSystem{0x6165676c, "pstore"},     KnownFileSystem{0x1cd1, "devpts"},
    KnownFileSystem{0x65735543, "fusectl"},    KnownFileSystem{0xf97cff8c, "selinuxfs"},
    KnownFileSystem{0x43415d53, "smackfs"},    KnownFileSystem{0x42494e4d, "binfmt_misc"},
    KnownFileSystem{0x19800202, "mqueue"},     KnownFileSystem{0x6e736673, "nsfs"},
    KnownFileSystem{0x7655821, "resctrl"},     KnownFileSystem{0x67596969, "rpc_pipefs"},
    KnownFileSystem{0x50495045, "pipefs"},     KnownFileSystem{0x534f434b, "sockfs"},
    KnownFileSystem{0x62646576, "bdev"},       KnownFileSystem{0x09041934, "anon_inode"},
};
// Mount types that are pseudo filesystems whatever their magic says (devtmpfs is a tmpfs).
constexpr std::array kPseudoTypes = {"devtmpfs", "proc",    "sysfs",   "debugfs", "tracefs",  "securityfs",
                                     "configfs", "cgroup",  "cgroup2", "bpf",     "efivarfs", "pstore",
                                     "devpts",   "fusectl", "selinuxfs", "binfmt_misc", "mqueue", "nsfs",
                                     "resctrl",  "rpc_pipefs", "hugetlbfs"};

constexpr uint64_t kBtrfs = 0x9123683e;
constexpr uint64_t kXfs = 0x58465342;
constexpr uint64_t kOcfs2 = 0x7461636f;
constexpr uint64_t kBcachefs = 0xca451a4e;
constexpr uint64_t kNfs = 0x6969;
constexpr uint64_t kSmb2 = 0xfe534d42;
constexpr uint64_t kCifs = 0xff534d42;
constexpr uint64_t kCeph = 0x00c36400;

constexpr std::array kData = {
    KnownFileSystem{0xef53, "ext4"},  KnownFileSystem{kXfs, "xfs"},     KnownFileSystem{kBtrfs, "btrfs"},
    KnownFileSystem{0x01021994, "tmpfs"}, KnownFileSystem{kNfs, "nfs"}, KnownFileSystem{kSmb2, "smb3"},
    KnownFileSystem{kCifs, "cifs"}, KnownFileSystem{kCeph, "ceph"},     KnownFileSystem{kOcfs2, "ocfs2"},
    KnownFileSystem{kBcachefs, "bcachefs"}, KnownFileSystem{0x794c7630, "overlay"},
    KnownFileSystem{0x65735546, "fuse"}, KnownFileSystem{0x4d44, "vfat"}, KnownFileSystem{0x2fc12fc1, "zfs"},
    KnownFileSystem{0xf2f52010, "f2fs"},
};

FileSystemInfo fromStat(const struct statfs& sfs, const struct stat& st, const std::filesystem::path& mountinfo)
{
    FileSystemInfo fs;
    fs.magic = static_cast<uint64_t>(static_cast<uint32_t>(sfs.f_type));
    fs.dev = DevNum::fromDevT(st.st_dev);
    fs.type = mountTypeOf(fs.dev, mountinfo);
    return fs;
}

} // namespace

std::string mountTypeOf(DevNum dev, const std::filesystem::path& mountinfo)
{
    std::ifstream in(mountinfo);
    std::string line;
    while (std::getline(in, line))
        if (auto mount = parseMountInfoLine(line); mount && mount->dev == dev)
            return mount->fsType;
    return {};
}

Result<FileSystemInfo> fileSystemOf(int fd, const std::filesystem::path& mountinfo)
{
    struct statfs sfs {};
    struct stat st {};
    if (::fstatfs(fd, &sfs) != 0 || ::fstat(fd, &st) != 0)
        return std::unexpected(Error::sys(errno, {}, "cannot tell which filesystem the file is on"));
    return fromStat(sfs, st, mountinfo);
}

Result<FileSystemInfo> fileSystemOf(const std::filesystem::path& path, const std::filesystem::path& mountinfo)
{
    struct statfs sfs {};
    struct stat st {};
    std::filesystem::path probe = path;
    if (::stat(probe.c_str(), &st) != 0 && errno == ENOENT) {
        probe = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
        if (::stat(probe.c_str(), &st) != 0)
            return std::unexpected(Error::sys(errno, probe.string(), "cannot look up the directory"));
    }
    if (::statfs(probe.c_str(), &sfs) != 0 || ::stat(probe.c_str(), &st) != 0)
        return std::unexpected(Error::sys(errno, path.string(), "cannot tell which filesystem the file is on"));
    return fromStat(sfs, st, mountinfo);
}

std::optional<std::string> pseudoFileSystem(const FileSystemInfo& fs)
{
    for (const char* type : kPseudoTypes)
        if (fs.type == type)
            return fs.type;
    for (const KnownFileSystem& known : kPseudo)
        if (fs.magic == known.magic)
            return std::string(known.name);
    return std::nullopt;
}

std::string fileSystemName(const FileSystemInfo& fs)
{
    if (!fs.type.empty())
        return fs.type;
    for (const KnownFileSystem& known : kPseudo)
        if (fs.magic == known.magic)
            return known.name;
    for (const KnownFileSystem& known : kData)
        if (fs.magic == known.magic)
            return known.name;
    char hex[32];
    std::snprintf(hex, sizeof hex, "magic 0x%llx", static_cast<unsigned long long>(fs.magic));
    return hex;
}

Status checkFileEndpointFileSystem(const FileSystemInfo& fs, const std::string& file, const char* role)
{
    if (auto pseudo = pseudoFileSystem(fs))
        return std::unexpected(Error::make(Errc::InvalidArgument, file,
                                           std::string("the ") + role + " is on " + *pseudo
                                               + ", a pseudo filesystem whose files are kernel interfaces, not data",
                                           "copy from and to block devices or files on a disk or network filesystem"));
    return {};
}

bool reflinkCapable(const FileSystemInfo& fs)
{
    switch (fs.magic) {
    case kBtrfs:
    case kXfs:
    case kOcfs2:
    case kBcachefs:
    case kNfs:
    case kSmb2:
    case kCifs:
        return true;
    default:
        return false;
    }
}

bool sameFileSystem(const FileSystemInfo& a, const FileSystemInfo& b)
{
    return a.magic == b.magic && (a.dev == b.dev || a.magic == kBtrfs);
}

bool copyFileRangeOffloads(const FileSystemInfo& fs)
{
    return fs.magic == kNfs || fs.magic == kSmb2 || fs.magic == kCifs || fs.magic == kCeph;
}

Result<UniqueFd> openFileEndpoint(const std::filesystem::path& file, bool destination, bool direct)
{
    const char* role = destination ? "destination" : "source";
    // Before anything is created: the filesystem of the file, or of its directory.
    auto before = fileSystemOf(file);
    if (!before)
        return std::unexpected(before.error());
    if (auto st = checkFileEndpointFileSystem(*before, file.string(), role); !st)
        return std::unexpected(st.error());

    int flags = O_CLOEXEC | (direct ? O_DIRECT : 0);
    flags |= destination ? (O_WRONLY | O_CREAT | O_NOFOLLOW) : O_RDONLY;
    int fd = ::open(file.c_str(), flags, 0644);
    if (fd < 0 && direct && errno == EINVAL) // this filesystem has no O_DIRECT
        fd = ::open(file.c_str(), flags & ~O_DIRECT, 0644);
    if (fd < 0) {
        const int err = errno;
        if (destination && err == ELOOP)
            return std::unexpected(Error::sys(err, file.string(),
                                              "the destination is a symbolic link: offloadcp does not write "
                                              "through a link",
                                              "give the path of the file itself"));
        return std::unexpected(
            Error::sys(err, file.string(), destination ? "cannot open for writing" : "cannot open for reading"));
    }
    UniqueFd owned(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        return std::unexpected(Error::sys(errno, file.string(), "cannot stat the opened file"));
    if (!S_ISREG(st.st_mode))
        return std::unexpected(Error::make(Errc::InvalidArgument, file.string(),
                                           std::string("the ") + role + " is no longer a regular file",
                                           "give a regular file or a block device"));
    auto after = fileSystemOf(fd);
    if (!after)
        return std::unexpected(after.error());
    if (auto check = checkFileEndpointFileSystem(*after, file.string(), role); !check)
        return std::unexpected(check.error());
    return owned;
}

} // namespace offload
