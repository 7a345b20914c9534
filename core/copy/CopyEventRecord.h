// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "copy/CopyJob.h"
#include "util/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace offload {

/// One JSON line of `offloadcp copy --json` (schema_version 1), read back by a program that
/// runs the CLI (the app, through pkexec). Plain value.
struct CopyEventRecord {
    enum class Kind {
        Other,    ///< an event this reader does not act on ("start", ...)
        Progress, ///< `progress` is filled
        Fallback, ///< plannedMethod, srcOffset, length and reason are filled
        Done,     ///< `result` is filled (its status says ok, cancelled or the error)
        Error,    ///< `result.status` holds the error; the counts are those printed (usually none)
    };
    Kind kind = Kind::Other;
    std::string event;           ///< the record's "event" field as printed
    CopyProgress progress;
    std::string plannedMethod;   ///< Fallback: the method's name as printed ("nvme-copy")
    uint64_t srcOffset = 0;
    uint64_t length = 0;
    std::string reason;
    CopyResult result;           ///< Done, Error: status, byte counts, seconds, verify
    /// Set when a field could not be read (Errc::Corrupt, naming the field and its value):
    /// then only `kind` and `event` are meaningful.
    std::optional<Error> invalid;
};

/// Parses one line of `offloadcp copy --json`. Counts, offsets and LBAs are read as 64-bit
/// integers, exactly (a double would lose bytes above 2^53); a missing or null field is 0 (or
/// unset, for the optional ones). A count that is negative, fractional, not a number or larger
/// than its field holds, or any other field of the wrong type, sets `invalid`.
/// Error (Errc::Corrupt): the line is no JSON object.
Result<CopyEventRecord> parseCopyEventRecord(std::string_view line);

} // namespace offload
