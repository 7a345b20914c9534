// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "topology/BlockDevice.h"
#include "util/Error.h"

#include <string>

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

} // namespace offload
