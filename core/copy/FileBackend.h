// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "copy/CopyPlan.h"
#include "copy/ReadWriteBackend.h"
#include "util/Error.h"

#include <cstdint>
#include <functional>
#include <stop_token>
#include <string>
#include <utility>

namespace offload {

/// Copies ranges between regular files the cheapest way the filesystems allow:
/// FICLONERANGE (a reflink: metadata only), then copy_file_range (a server-side copy on
/// NFS 4.2 / SMB / Ceph; elsewhere the kernel copying through the host), then the host
/// read/write backend. One instance per thread.
class FileBackend {
public:
    struct Options {
        /// copy_file_range is a server-side copy on the destination's filesystem
        /// (copyFileRangeOffloads); else it is a host copy done by the kernel.
        bool copyFileRangeOffloads = false;
        /// false (--require-offload): never copy through the host: when the clone (or the
        /// server-side copy) is declined, fail with Errc::Unsupported before writing.
        bool hostAllowed = true;
    };

    /// `source` / `destination`: descriptors opened without O_DIRECT (not owned).
    /// `hostCopy`: used for what neither clone nor copy_file_range could do (not owned).
    FileBackend(ReadWriteEndpoint source, ReadWriteEndpoint destination, ReadWriteBackend& hostCopy,
                Options options);
    FileBackend(ReadWriteEndpoint source, ReadWriteEndpoint destination, ReadWriteBackend& hostCopy)
        : FileBackend(std::move(source), std::move(destination), hostCopy, Options{})
    {
    }

    /// What one copy() call did.
    struct Outcome {
        uint64_t clonedBytes = 0;        ///< FICLONERANGE
        uint64_t copyFileRangeBytes = 0; ///< copy_file_range
        uint64_t hostBytes = 0;          ///< read/write
        std::string note;  ///< why a cheaper method was not used, e.g. "FICLONERANGE: Operation not supported"
        /// The method that copied what the cheaper one declined (ReadWrite or CopyFileRange).
        CopyMethod tookOver = CopyMethod::ReadWrite;
    };

    /// Copies `length` bytes; `onBytes(method, n)` reports progress as it goes. Starts with
    /// `first` (FileClone tries all three, CopyFileRange skips the clone, ReadWrite only the host copy).
    Result<Outcome> copy(uint64_t srcOffset, uint64_t dstOffset, uint64_t length, CopyMethod first,
                         std::stop_token stop, const std::function<void(CopyMethod, uint64_t)>& onBytes = {});

private:
    ReadWriteEndpoint m_src;
    ReadWriteEndpoint m_dst;
    ReadWriteBackend& m_host;
    Options m_options;
};

} // namespace offload
