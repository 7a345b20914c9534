// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "util/Error.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>

namespace offload {

/// A buffer aligned for O_DIRECT (4096 bytes), freed on destruction.
class AlignedBuffer {
public:
    explicit AlignedBuffer(std::size_t bytes);
    ~AlignedBuffer();
    AlignedBuffer(const AlignedBuffer&) = delete;
    AlignedBuffer& operator=(const AlignedBuffer&) = delete;
    unsigned char* data() const { return m_data; }
    std::size_t size() const { return m_size; }
    explicit operator bool() const { return m_data != nullptr; }
private:
    unsigned char* m_data = nullptr;
    std::size_t m_size = 0;
};

/// One side of a host copy: an open descriptor and how to name it in errors.
struct ReadWriteEndpoint {
    int fd = -1;                 ///< not owned
    std::string label;           ///< device or file as shown to users
    uint32_t blockSize = 512;    ///< logical block size, for LBAs in errors
};

/// Host copy between two open descriptors: io_uring with several large I/Os in flight
/// (each slot reads a chunk, then writes it, then takes the next chunk), or plain
/// pread/pwrite when io_uring cannot be set up. Short reads and writes are continued.
/// Buffers are aligned for O_DIRECT. One instance is used by one thread at a time.
class ReadWriteBackend {
public:
    struct Options {
        uint32_t ioBytes = 4u << 20;  ///< bytes per I/O (multiple of 4096)
        unsigned depth = 8;           ///< I/Os in flight
        bool allowIoUring = true;     ///< false: force pread/pwrite
    };

    ReadWriteBackend(ReadWriteEndpoint source, ReadWriteEndpoint destination, Options options);
    ~ReadWriteBackend();
    ReadWriteBackend(const ReadWriteBackend&) = delete;
    ReadWriteBackend& operator=(const ReadWriteBackend&) = delete;

    /// Copies `length` bytes from srcOffset to dstOffset. `onBytes(n)` is called on this
    /// thread each time n more bytes are written. Stops between I/Os when `stop` is
    /// requested (Errc::Cancelled). Errors name the device and the LBA.
    Status copy(uint64_t srcOffset, uint64_t dstOffset, uint64_t length, std::stop_token stop,
                const std::function<void(uint64_t)>& onBytes = {});

    /// True when the last copy went through io_uring; false before the first copy (the ring
    /// and its buffers are set up by the first copy, not by the constructor) and after a
    /// fallback to pread/pwrite.
    bool usesIoUring() const;
    /// Why io_uring is not in use ("" when it is).
    std::string ioUringUnavailableReason() const;

private:
    struct Ring;
    bool setUpRing();
    bool allocateRingBuffers();
    Status copyUring(uint64_t srcOffset, uint64_t dstOffset, uint64_t length, std::stop_token& stop,
                     const std::function<void(uint64_t)>& onBytes);
    Status copyPlain(uint64_t srcOffset, uint64_t dstOffset, uint64_t length, std::stop_token& stop,
                     const std::function<void(uint64_t)>& onBytes);

    ReadWriteEndpoint m_src;
    ReadWriteEndpoint m_dst;
    Options m_options;
    std::unique_ptr<Ring> m_ring;
    std::string m_uringReason;
    std::unique_ptr<AlignedBuffer> m_plainBuffer;
};

/// After an I/O of `length` bytes at `offset` failed with `err`: the offset of its first
/// block that fails on its own, found by halving. `retry(offset, length)` repeats a part of
/// the I/O synchronously and returns 0 or an errno; a part that succeeds moves the search to
/// the rest, a part that fails with `err` narrows it, any other answer stops it where it is.
/// At most log2(length / blockSize) + 1 retries. Returns `offset` for errors that do not
/// belong to a block (a bad descriptor, a bad argument, no memory) without retrying.
uint64_t firstFailingOffset(uint64_t offset, uint64_t length, uint32_t blockSize, int err,
                            const std::function<int(uint64_t offset, uint64_t length)>& retry);

/// Reads exactly `length` bytes at `offset` (continuing short reads); EOF is an error.
Status preadFull(const ReadWriteEndpoint& from, void* buffer, uint64_t length, uint64_t offset);
/// Writes exactly `length` bytes at `offset` (continuing short writes).
Status pwriteFull(const ReadWriteEndpoint& to, const void* buffer, uint64_t length, uint64_t offset);

} // namespace offload
