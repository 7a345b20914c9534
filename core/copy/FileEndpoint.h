// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "copy/CopyPlan.h"
#include "transport/DeviceNode.h"
#include "util/Error.h"

#include <filesystem>
#include <optional>
#include <string>

namespace offload {

/// The filesystem `fd` lives on: fstatfs's f_type, fstat's st_dev and, from `mountinfo`,
/// the mount's fstype (devtmpfs reports TMPFS_MAGIC; only mountinfo tells them apart).
Result<FileSystemInfo> fileSystemOf(int fd, const std::filesystem::path& mountinfo = "/proc/self/mountinfo");

/// The filesystem a path lives on (statfs + stat, following links); for a path that does
/// not exist yet, its directory's. Opens nothing.
Result<FileSystemInfo> fileSystemOf(const std::filesystem::path& path,
                                    const std::filesystem::path& mountinfo = "/proc/self/mountinfo");

/// The fstype of the mount whose device number is `dev` in `mountinfo` (the first one
/// listed), or an empty string.
std::string mountTypeOf(DevNum dev, const std::filesystem::path& mountinfo = "/proc/self/mountinfo");

/// The name of the pseudo filesystem `fs` is (procfs, sysfs, devtmpfs, debugfs, tracefs,
/// securityfs, configfs, cgroup, bpf, efivarfs, pstore, devpts, ...), or nullopt for a
/// filesystem that stores file data.
std::optional<std::string> pseudoFileSystem(const FileSystemInfo& fs);

/// Refuses a regular-file endpoint on a pseudo filesystem (Errc::InvalidArgument, naming
/// the file and the filesystem). `role` is "source" or "destination".
Status checkFileEndpointFileSystem(const FileSystemInfo& fs, const std::string& file, const char* role);

/// A short name for messages: the mount's type, else a name for the magic, else hex.
std::string fileSystemName(const FileSystemInfo& fs);

/// Whether FICLONERANGE can work on this kind of filesystem (btrfs, XFS with reflink=1,
/// OCFS2, bcachefs, NFS 4.2, SMB): it may still decline (XFS made with reflink=0).
bool reflinkCapable(const FileSystemInfo& fs);

/// Whether two files may be on one filesystem, as clones and the kernel's copy_file_range
/// need: the same st_dev, or both on btrfs (whose subvolumes each have their own st_dev).
bool sameFileSystem(const FileSystemInfo& a, const FileSystemInfo& b);

/// Whether copy_file_range on this filesystem is a copy done by the storage server (NFS
/// 4.2 COPY, SMB copychunk, Ceph) rather than by the host's kernel through its page cache.
bool copyFileRangeOffloads(const FileSystemInfo& fs);

/// Opens a regular-file endpoint for the copy job. Source and DestinationReadBack:
/// read-only (links are followed, as cp does). Destination: write-only, created 0644
/// when missing, never through a symbolic link as the last component (O_NOFOLLOW: a link
/// is refused with a message; links among the parent directories are followed, as the
/// user typed them). Before creating anything it refuses a pseudo filesystem (the
/// file's, or its directory's), and on the opened descriptor it checks again that the
/// file is a regular file on a data filesystem. `destination`: open for writing;
/// `direct`: O_DIRECT, retried without it where the filesystem has none.
Result<UniqueFd> openFileEndpoint(const std::filesystem::path& file, bool destination, bool direct);

} // namespace offload
