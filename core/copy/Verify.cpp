// SPDX-License-Identifier: GPL-2.0-or-later
#include "copy/Verify.h"

#include <algorithm>
#include <cstring>
#include <future>

namespace offload {

Result<VerifyResult> verifyRanges(const ReadWriteEndpoint& source, const ReadWriteEndpoint& destination,
                                  uint64_t srcOffset, uint64_t dstOffset, uint64_t length, std::stop_token stop,
                                  const std::function<void(uint64_t)>& onBytes, uint32_t chunkBytes)
{
    VerifyResult result;
    result.blockSize = destination.blockSize ? destination.blockSize : 512;
    chunkBytes = std::max<uint32_t>(4096u, chunkBytes / 4096u * 4096u);
    AlignedBuffer a(chunkBytes);
    AlignedBuffer b(chunkBytes);
    if (!a || !b)
        return std::unexpected(Error::sys(ENOMEM, destination.label, "cannot allocate verify buffers"));

    uint64_t done = 0;
    while (done < length) {
        if (stop.stop_requested())
            return std::unexpected(Error::make(Errc::Cancelled, {}, "verify cancelled after "
                                                                        + std::to_string(done) + " of "
                                                                        + std::to_string(length) + " bytes"));
        uint64_t n = std::min<uint64_t>(chunkBytes, length - done);
        // Read both sides at once: they are usually different devices.
        auto srcRead = std::async(std::launch::async,
                                  [&] { return preadFull(source, a.data(), n, srcOffset + done); });
        Status dstRead = preadFull(destination, b.data(), n, dstOffset + done);
        Status srcStatus = srcRead.get();
        if (!srcStatus)
            return std::unexpected(srcStatus.error());
        if (!dstRead)
            return std::unexpected(dstRead.error());
        if (std::memcmp(a.data(), b.data(), n) != 0) {
            uint64_t i = 0;
            while (i < n && a.data()[i] == b.data()[i])
                ++i;
            uint64_t at = done + i;
            result.match = false;
            result.bytesCompared = at;
            result.firstDifferingOffset = at;
            result.firstDifferingDstLba = (dstOffset + at) / result.blockSize;
            result.firstDifferingSrcLba = (srcOffset + at) / (source.blockSize ? source.blockSize : 512);
            return result;
        }
        done += n;
        if (onBytes)
            onBytes(n);
    }
    result.match = true;
    result.bytesCompared = length;
    return result;
}

std::string VerifyResult::message() const
{
    if (match)
        return "source and destination match (" + std::to_string(bytesCompared) + " bytes compared)";
    std::string out = "source and destination differ";
    if (firstDifferingDstLba)
        out += ": first difference at destination LBA " + std::to_string(*firstDifferingDstLba) + " ("
               + std::to_string(blockSize) + "-byte blocks)";
    if (firstDifferingSrcLba)
        out += ", source LBA " + std::to_string(*firstDifferingSrcLba);
    if (firstDifferingOffset)
        out += ", byte " + std::to_string(*firstDifferingOffset) + " of the range";
    return out;
}

} // namespace offload
