// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "copy/CopyJob.h"
#include "copy/ReadWriteBackend.h"
#include "util/Error.h"

#include <cstdint>
#include <functional>
#include <stop_token>

namespace offload {

/// Reads [srcOffset, +length) of `source` and [dstOffset, +length) of `destination` in
/// large chunks (descriptors should be O_DIRECT so the media is read, not the page cache)
/// and compares them. A mismatch is a result (match = false, first differing LBA of both
/// volumes), not an error; read errors and cancellation are errors. `onBytes(n)` reports
/// progress on this thread.
Result<VerifyResult> verifyRanges(const ReadWriteEndpoint& source, const ReadWriteEndpoint& destination,
                                  uint64_t srcOffset, uint64_t dstOffset, uint64_t length, std::stop_token stop,
                                  const std::function<void(uint64_t)>& onBytes = {}, uint32_t chunkBytes = 4u << 20);

} // namespace offload
