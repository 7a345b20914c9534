// SPDX-License-Identifier: GPL-2.0-or-later
#include "copy/FileBackend.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace offload {

namespace {
/// copy_file_range chunk: small enough for timely progress and cancellation.
constexpr uint64_t kCopyFileRangeChunk = 64ull << 20;

/// Errors that mean "this method is not available here", not "the data is bad".
bool notAvailable(int err)
{
    return err == EOPNOTSUPP || err == ENOTTY || err == EXDEV || err == EINVAL || err == ENOSYS
           || err == EBADF || err == ETXTBSY || err == EPERM;
}
} // namespace

FileBackend::FileBackend(ReadWriteEndpoint source, ReadWriteEndpoint destination, ReadWriteBackend& hostCopy,
                         Options options)
    : m_src(std::move(source))
    , m_dst(std::move(destination))
    , m_host(hostCopy)
    , m_options(options)
{
}

Result<FileBackend::Outcome> FileBackend::copy(uint64_t srcOffset, uint64_t dstOffset, uint64_t length,
                                               CopyMethod first, std::stop_token stop,
                                               const std::function<void(CopyMethod, uint64_t)>& onBytes)
{
    Outcome out;
    uint64_t done = 0;
    auto note = [&](const std::string& text) {
        if (!out.note.empty())
            out.note += "; ";
        out.note += text;
    };

    if (first == CopyMethod::FileClone && length > 0) {
        file_clone_range arg{};
        arg.src_fd = m_src.fd;
        arg.src_offset = srcOffset;
        arg.src_length = length;
        arg.dest_offset = dstOffset;
        if (::ioctl(m_dst.fd, FICLONERANGE, &arg) == 0) {
            out.clonedBytes = length;
            if (onBytes)
                onBytes(CopyMethod::FileClone, length);
            return out;
        }
        int err = errno;
        if (!notAvailable(err))
            return std::unexpected(Error::sys(err, m_dst.label, "FICLONERANGE failed"));
        note(std::string("FICLONERANGE: ") + std::strerror(err));
    }
    // --require-offload: the kernel's copy_file_range on a local filesystem is a host copy.
    auto refuseHost = [&](const std::string& what) {
        return std::unexpected(Error::make(Errc::Unsupported, m_dst.label,
                                           what + (out.note.empty() ? "" : " (" + out.note + ")"),
                                           "run without --require-offload to let the host copy it"));
    };
    if (!m_options.hostAllowed && done < length && !m_options.copyFileRangeOffloads)
        return refuseHost(first == CopyMethod::FileClone
                              ? "the filesystem declined the reflink, and a copy_file_range here would be a host copy"
                              : "copy_file_range here would be a host copy, not an offload");

    if (first == CopyMethod::FileClone || first == CopyMethod::CopyFileRange) {
        while (done < length) {
            if (stop.stop_requested())
                return std::unexpected(Error::make(Errc::Cancelled, {}, "cancelled after " + std::to_string(done)
                                                                            + " of " + std::to_string(length)
                                                                            + " bytes"));
            auto in = static_cast<loff_t>(srcOffset + done);
            auto outOff = static_cast<loff_t>(dstOffset + done);
            std::size_t want = std::min<uint64_t>(kCopyFileRangeChunk, length - done);
            ssize_t n = ::copy_file_range(m_src.fd, &in, m_dst.fd, &outOff, want, 0);
            if (n < 0) {
                int err = errno;
                if (err == EINTR)
                    continue;
                if (notAvailable(err)) {
                    note(std::string("copy_file_range: ") + std::strerror(err));
                    break;
                }
                Error e = Error::sys(err, m_dst.label, "copy_file_range failed");
                e.lba = (dstOffset + done) / 512;
                return std::unexpected(e);
            }
            if (n == 0) {
                Error e = Error::make(Errc::System, m_src.label, "unexpected end of file at byte offset "
                                                                     + std::to_string(srcOffset + done));
                e.sysErrno = EIO;
                return std::unexpected(e);
            }
            done += static_cast<uint64_t>(n);
            out.copyFileRangeBytes += static_cast<uint64_t>(n);
            if (onBytes)
                onBytes(CopyMethod::CopyFileRange, static_cast<uint64_t>(n));
        }
    }

    if (done < length && !m_options.hostAllowed)
        return refuseHost("the server-side copy stopped after " + std::to_string(done) + " of " +
                          std::to_string(length) + " bytes");
    if (done > 0 && first == CopyMethod::FileClone)
        out.tookOver = CopyMethod::CopyFileRange;
    if (done < length) {
        out.tookOver = CopyMethod::ReadWrite;
        auto st = m_host.copy(srcOffset + done, dstOffset + done, length - done, stop, [&](uint64_t n) {
            out.hostBytes += n;
            if (onBytes)
                onBytes(CopyMethod::ReadWrite, n);
        });
        if (!st)
            return std::unexpected(st.error());
    }
    return out;
}

} // namespace offload
