// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "topology/BlockDevice.h"
#include "util/Error.h"

#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace offload {

/// An open file descriptor that closes itself.
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : m_fd(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : m_fd(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd();
    int get() const { return m_fd; }
    int release() { int fd = m_fd; m_fd = -1; return fd; }
    explicit operator bool() const { return m_fd >= 0; }
private:
    int m_fd = -1;
};

/// Opens the block device node whose st_rdev equals dev.devnum: /dev/<name> (or
/// /dev/mapper/<name>) when its st_rdev matches, else /dev/block/MAJ:MIN, else a private
/// node made with mknod in a temporary directory. Never trusts a name alone.
Result<UniqueFd> openBlockDevice(const BlockDevice& dev, int flags);
/// The same for a character device (ngXnY, sgN) given its kernel name and expected dev_t.
Result<UniqueFd> openCharDevice(const std::string& name, DevNum devnum, int flags);

/// Block device nodes opened once and kept: a transport sends several commands to the same
/// namespace or LUN (a probe about five, a copy one per step), and opening and closing the
/// node for each is what it would otherwise spend most of its system calls on. One
/// descriptor per device and access mode (read-only, or read-write); closed with the cache.
/// Thread-safe; the descriptors it returns stay valid for the cache's life.
class OpenNodes {
public:
    /// The node of `dev` opened with `flags` (O_CLOEXEC added), or the one opened before
    /// with the same access mode.
    Result<int> get(const BlockDevice& dev, int flags);
private:
    std::mutex m_mutex;
    std::map<std::pair<DevNum, int>, UniqueFd> m_nodes;
};

} // namespace offload
