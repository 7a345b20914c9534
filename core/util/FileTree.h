// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "util/Error.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace offload {

/// Where a reader may read files: the whole filesystem (the live /sys and /proc, plain
/// system calls), or one directory tree, such as a captured fixture, that no path and no
/// symlink may leave. In a contained tree every lookup goes through openat2(2) with
/// RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS on a descriptor of the root: relative links that
/// stay inside (sysfs's class/block/x -> ../../devices/...) resolve as before; an absolute
/// link, or one whose ".." climbs above the root, fails with EXDEV and is not followed.
/// Paths name places as for open(2) (relative ones from the current directory), below the
/// root as resolved or as named to below(); others fail with EXDEV. Copyable (the root descriptor
/// is shared); safe to use from several threads.
class FileTree {
public:
    /// The whole filesystem: nothing is contained.
    FileTree() = default;
    /// Only below `root` (its own path may contain links; they are resolved once, here).
    /// Fails when `root` is no directory.
    static Result<FileTree> below(const std::filesystem::path& root);

    bool contained() const { return m_root != nullptr; }
    /// The resolved root ("/" when not contained).
    const std::filesystem::path& root() const;
    /// Whether `path` names a place in the tree (lexically; relative paths always do).
    bool holds(const std::filesystem::path& path) const { return !m_root || inside(path).has_value(); }

    /// open(2) with O_CLOEXEC added: a descriptor, or -1 with errno set (EXDEV: the path or
    /// a link on its way leads out of the tree). The caller closes it.
    int open(const std::filesystem::path& path, int flags) const;
    /// The target text of the symlink `path` (its last component is not followed; the
    /// directories on its way are, within the tree). nullopt with `err` set when it cannot.
    std::optional<std::string> readLink(const std::filesystem::path& path, int& err) const;
    /// `path` with every link resolved, inside the tree (fs::canonical). nullopt with `err`.
    std::optional<std::filesystem::path> resolve(const std::filesystem::path& path, int& err) const;
    /// Whether `path` exists (following links, within the tree). `err` (optional): why not.
    bool exists(const std::filesystem::path& path, int* err = nullptr) const;
    bool isDirectory(const std::filesystem::path& path) const;
    /// The names in directory `dir` without "." and "..", unsorted; empty when it cannot be read.
    std::vector<std::string> list(const std::filesystem::path& dir, int* err = nullptr) const;
    /// The whole content of the file `path`, at most `limit` bytes. nullopt with `err`
    /// (in a contained tree EINVAL for anything but a regular file: a FIFO, a device node).
    std::optional<std::string> readAll(const std::filesystem::path& path, int& err,
                                       std::size_t limit = 1u << 20) const;

    /// Why `path` could not be read, for a warning: for EXDEV in a contained tree, that it
    /// leads out of the tree and was not followed; else strerror(err).
    std::string why(int err, const std::filesystem::path& path) const;

private:
    struct Root;
    /// `path` relative to the root ("." for the root itself); nullopt when it lies outside.
    std::optional<std::filesystem::path> inside(const std::filesystem::path& path) const;
    std::shared_ptr<const Root> m_root;
};

} // namespace offload
