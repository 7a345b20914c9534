// SPDX-License-Identifier: GPL-2.0-or-later
#include "copy/ReadWriteBackend.h"

#include <liburing.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <vector>

namespace offload {

namespace {
constexpr uint32_t kAlign = 4096;

Error ioError(int err, const ReadWriteEndpoint& ep, const char* op, uint64_t offset)
{
    Error e = Error::sys(err, ep.label, std::string(op) + " failed at byte offset " + std::to_string(offset),
                         "check the device's health (dmesg) and try again");
    e.lba = offset / (ep.blockSize ? ep.blockSize : 512);
    return e;
}

/// Errors a block of a device can have (media, transport, space), as opposed to errors of
/// the request (a bad descriptor or argument): only these are worth narrowing down.
bool blockError(int err)
{
    switch (err) {
    case EIO:
    case ENODATA:
    case EILSEQ:
    case EBADMSG:
    case EREMOTEIO:
    case ENOSPC:
    case ENOLINK:
    case ETIMEDOUT:
        return true;
    default:
        return false;
    }
}

/// The error of a failed read or write of `length` bytes at `offset`, naming the LBA of
/// its first block that fails (firstFailingOffset; `buffer` holds, or receives, the I/O's data).
Error blockIoError(int err, const ReadWriteEndpoint& ep, bool write, unsigned char* buffer, uint64_t offset,
                   uint64_t length)
{
    auto retry = [&](uint64_t off, uint64_t len) {
        for (;;) {
            unsigned char* part = buffer + (off - offset);
            ssize_t n = write ? ::pwrite(ep.fd, part, len, static_cast<off_t>(off))
                              : ::pread(ep.fd, part, len, static_cast<off_t>(off));
            if (n >= 0) // a short transfer: that part does not fail here
                return 0;
            if (errno != EINTR)
                return errno;
        }
    };
    return ioError(err, ep, write ? "write" : "read", firstFailingOffset(offset, length, ep.blockSize, err, retry));
}

/// A read or write that met the end of the device (or file) inside the planned range: the
/// device shrank or went away since the plan. Says which, from its size now.
Error unexpectedEnd(const ReadWriteEndpoint& ep, uint64_t offset)
{
    std::string what = "unexpected end of device at byte offset " + std::to_string(offset);
    std::string hint = "the device is smaller than the copy range; rescan and plan again";
    struct stat st {};
    uint64_t size = 0;
    if (::fstat(ep.fd, &st) == 0 && S_ISBLK(st.st_mode) && ::ioctl(ep.fd, BLKGETSIZE64, &size) == 0) {
        if (size == 0) {
            what += ": the device has gone away (its size is now 0)";
            hint = "check dmesg; when the device is back, rescan and plan again";
        } else {
            what += ": the device now has " + std::to_string(size) + " bytes";
        }
    } else if (S_ISREG(st.st_mode)) {
        what += ": the file now has " + std::to_string(st.st_size) + " bytes";
    }
    Error e = Error::make(Errc::System, ep.label, what, hint);
    e.sysErrno = EIO;
    e.lba = offset / (ep.blockSize ? ep.blockSize : 512);
    return e;
}

Error cancelledError(uint64_t done, uint64_t length)
{
    return Error::make(Errc::Cancelled, {},
                       "cancelled after " + std::to_string(done) + " of " + std::to_string(length) + " bytes");
}
} // namespace

uint64_t firstFailingOffset(uint64_t offset, uint64_t length, uint32_t blockSize, int err,
                            const std::function<int(uint64_t offset, uint64_t length)>& retry)
{
    const uint64_t block = blockSize ? blockSize : 512;
    if (!blockError(err) || !retry)
        return offset;
    uint64_t blocks = length / block; // the failing block is in [offset, offset + blocks * block)
    while (blocks > 1) {
        const uint64_t half = blocks / 2;
        const int answer = retry(offset, half * block);
        if (answer == 0) {
            offset += half * block;
            blocks -= half;
        } else if (answer == err) {
            blocks = half;
        } else {
            break;
        }
    }
    return offset;
}

AlignedBuffer::AlignedBuffer(std::size_t bytes)
{
    void* p = nullptr;
    if (posix_memalign(&p, kAlign, std::max<std::size_t>(bytes, kAlign)) == 0) {
        m_data = static_cast<unsigned char*>(p);
        m_size = bytes;
    }
}

AlignedBuffer::~AlignedBuffer()
{
    std::free(m_data);
}

Status preadFull(const ReadWriteEndpoint& from, void* buffer, uint64_t length, uint64_t offset)
{
    auto* p = static_cast<unsigned char*>(buffer);
    uint64_t done = 0;
    while (done < length) {
        ssize_t n = ::pread(from.fd, p + done, length - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return std::unexpected(blockIoError(errno, from, false, p + done, offset + done, length - done));
        }
        if (n == 0)
            return std::unexpected(unexpectedEnd(from, offset + done));
        done += static_cast<uint64_t>(n);
    }
    return {};
}

Status pwriteFull(const ReadWriteEndpoint& to, const void* data, uint64_t length, uint64_t offset)
{
    const auto* p = static_cast<const unsigned char*>(data);
    // blockIoError() takes the buffer of either direction; for a write it only passes it to pwrite
    auto* buffer = const_cast<unsigned char*>(p);
    uint64_t done = 0;
    while (done < length) {
        ssize_t n = ::pwrite(to.fd, p + done, length - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return std::unexpected(blockIoError(errno, to, true, buffer + done, offset + done, length - done));
        }
        if (n == 0)
            return std::unexpected(unexpectedEnd(to, offset + done));
        done += static_cast<uint64_t>(n);
    }
    return {};
}

/// The io_uring instance and its registered buffers, one per slot.
struct ReadWriteBackend::Ring {
    io_uring ring{};
    std::vector<std::unique_ptr<AlignedBuffer>> buffers;
    bool fixedBuffers = false;
    bool up = false;
    ~Ring()
    {
        if (up)
            io_uring_queue_exit(&ring);
    }
};

ReadWriteBackend::ReadWriteBackend(ReadWriteEndpoint source, ReadWriteEndpoint destination, Options options)
    : m_src(std::move(source))
    , m_dst(std::move(destination))
    , m_options(options)
{
    m_options.ioBytes = std::max<uint32_t>(uint32_t{kAlign}, m_options.ioBytes / uint32_t{kAlign} * uint32_t{kAlign});
    m_options.depth = std::clamp(m_options.depth, 1u, 64u);
    if (!m_options.allowIoUring)
        m_uringReason = "io_uring disabled";
}

bool ReadWriteBackend::setUpRing()
{
    auto ring = std::make_unique<Ring>();
    int rc = io_uring_queue_init(m_options.depth * 2, &ring->ring, 0);
    if (rc < 0) {
        m_uringReason = std::string("io_uring_queue_init: ") + std::strerror(-rc);
        return false;
    }
    ring->up = true;
    m_ring = std::move(ring);
    if (!allocateRingBuffers()) {
        m_ring.reset();
        m_uringReason = "out of memory for I/O buffers";
        return false;
    }
    return true;
}

bool ReadWriteBackend::allocateRingBuffers()
{
    std::vector<iovec> iov;
    for (unsigned i = 0; i < m_options.depth; ++i) {
        auto buffer = std::make_unique<AlignedBuffer>(m_options.ioBytes);
        if (!*buffer) {
            m_ring->buffers.clear();
            return false;
        }
        iov.push_back({buffer->data(), buffer->size()});
        m_ring->buffers.push_back(std::move(buffer));
    }
    // Registered buffers save a page pin per I/O; not fatal when the memlock limit says no.
    m_ring->fixedBuffers =
        io_uring_register_buffers(&m_ring->ring, iov.data(), static_cast<unsigned>(iov.size())) == 0;
    return true;
}

ReadWriteBackend::~ReadWriteBackend() = default;

bool ReadWriteBackend::usesIoUring() const
{
    return m_ring != nullptr;
}

std::string ReadWriteBackend::ioUringUnavailableReason() const
{
    return m_uringReason;
}

Status ReadWriteBackend::copy(uint64_t srcOffset, uint64_t dstOffset, uint64_t length, std::stop_token stop,
                              const std::function<void(uint64_t)>& onBytes)
{
    if (length == 0)
        return {};
    // The ring and its buffers (depth x ioBytes, pinned when registered) are made on the first
    // copy: a job whose extents are all offloaded keeps this backend for fallbacks and should
    // not pay for them. A ring that could not be made is not tried again.
    if (!m_ring && m_uringReason.empty()) // a reason: io_uring disabled, or its set-up failed
        setUpRing();
    if (m_ring)
        return copyUring(srcOffset, dstOffset, length, stop, onBytes);
    return copyPlain(srcOffset, dstOffset, length, stop, onBytes);
}

Status ReadWriteBackend::copyPlain(uint64_t srcOffset, uint64_t dstOffset, uint64_t length, std::stop_token& stop,
                                   const std::function<void(uint64_t)>& onBytes)
{
    if (!m_plainBuffer) {
        m_plainBuffer = std::make_unique<AlignedBuffer>(m_options.ioBytes);
        if (!*m_plainBuffer)
            return std::unexpected(Error::sys(ENOMEM, m_src.label, "cannot allocate the copy buffer"));
    }
    uint64_t done = 0;
    while (done < length) {
        if (stop.stop_requested())
            return std::unexpected(cancelledError(done, length));
        uint64_t n = std::min<uint64_t>(m_options.ioBytes, length - done);
        if (auto r = preadFull(m_src, m_plainBuffer->data(), n, srcOffset + done); !r)
            return r;
        if (auto w = pwriteFull(m_dst, m_plainBuffer->data(), n, dstOffset + done); !w)
            return w;
        done += n;
        if (onBytes)
            onBytes(n);
    }
    return {};
}

namespace {
enum class SlotState { Idle, Reading, Writing };
struct Slot {
    SlotState state = SlotState::Idle;
    uint64_t chunk = 0;   ///< offset of the chunk within the range
    uint64_t length = 0;  ///< chunk length
    uint64_t pos = 0;     ///< bytes of the current read or write done
};
} // namespace

Status ReadWriteBackend::copyUring(uint64_t srcOffset, uint64_t dstOffset, uint64_t length, std::stop_token& stop,
                                   const std::function<void(uint64_t)>& onBytes)
{
    io_uring* ring = &m_ring->ring;
    const unsigned depth = m_options.depth;
    std::vector<Slot> slots(depth);
    uint64_t next = 0;        // next chunk to hand out
    uint64_t written = 0;
    unsigned inflight = 0;
    std::optional<Error> failure;

    auto queue = [&](unsigned index) -> bool {
        Slot& s = slots[index];
        io_uring_sqe* sqe = io_uring_get_sqe(ring);
        if (!sqe) {
            io_uring_submit(ring);
            sqe = io_uring_get_sqe(ring);
            if (!sqe)
                return false;
        }
        unsigned char* buf = m_ring->buffers[index]->data() + s.pos;
        auto n = static_cast<unsigned>(s.length - s.pos);
        if (s.state == SlotState::Reading) {
            uint64_t off = srcOffset + s.chunk + s.pos;
            if (m_ring->fixedBuffers)
                io_uring_prep_read_fixed(sqe, m_src.fd, buf, n, off, static_cast<int>(index));
            else
                io_uring_prep_read(sqe, m_src.fd, buf, n, off);
        } else {
            uint64_t off = dstOffset + s.chunk + s.pos;
            if (m_ring->fixedBuffers)
                io_uring_prep_write_fixed(sqe, m_dst.fd, buf, n, off, static_cast<int>(index));
            else
                io_uring_prep_write(sqe, m_dst.fd, buf, n, off);
        }
        io_uring_sqe_set_data64(sqe, index);
        ++inflight;
        return true;
    };

    auto startChunk = [&](unsigned index) -> bool {
        if (next >= length || failure || stop.stop_requested())
            return false;
        Slot& s = slots[index];
        s.state = SlotState::Reading;
        s.chunk = next;
        s.length = std::min<uint64_t>(m_options.ioBytes, length - next);
        s.pos = 0;
        next += s.length;
        return queue(index);
    };

    for (unsigned i = 0; i < depth; ++i)
        startChunk(i);

    while (inflight > 0) {
        int rc = io_uring_submit_and_wait(ring, 1);
        if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
            // The ring itself failed: wait for what is in flight, then report.
            if (!failure)
                failure = Error::sys(-rc, m_src.label, "io_uring submit failed");
        }
        io_uring_cqe* cqe = nullptr;
        while (io_uring_peek_cqe(ring, &cqe) == 0 && cqe) {
            auto index = static_cast<unsigned>(io_uring_cqe_get_data64(cqe));
            int res = cqe->res;
            io_uring_cqe_seen(ring, cqe);
            --inflight;
            Slot& s = slots[index];
            const bool reading = s.state == SlotState::Reading;
            const ReadWriteEndpoint& ep = reading ? m_src : m_dst;
            const uint64_t off = (reading ? srcOffset : dstOffset) + s.chunk + s.pos;
            if (res == -EINTR || res == -EAGAIN) {
                if (!failure)
                    queue(index);
                else
                    s.state = SlotState::Idle;
                continue;
            }
            if (res < 0) {
                if (!failure)
                    failure = blockIoError(-res, ep, !reading, m_ring->buffers[index]->data() + s.pos, off,
                                           s.length - s.pos);
                s.state = SlotState::Idle;
                continue;
            }
            if (res == 0) {
                if (!failure)
                    failure = unexpectedEnd(ep, off);
                s.state = SlotState::Idle;
                continue;
            }
            s.pos += static_cast<uint64_t>(res);
            if (failure) {
                s.state = SlotState::Idle;
                continue;
            }
            if (s.pos < s.length) { // short read or write: continue where it stopped
                queue(index);
                continue;
            }
            if (reading) {
                s.state = SlotState::Writing;
                s.pos = 0;
                queue(index);
                continue;
            }
            written += s.length;
            if (onBytes)
                onBytes(s.length);
            s.state = SlotState::Idle;
            startChunk(index);
        }
    }
    if (failure)
        return std::unexpected(*failure);
    if (written < length)
        return std::unexpected(cancelledError(written, length));
    return {};
}

} // namespace offload
