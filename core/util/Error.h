// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>

namespace offload {

/// What kind of failure an Error describes. The kinds stay apart the way libnvme keeps
/// them apart: an errno, an NVMe completion status, SCSI sense data, or our own checks.
enum class Errc {
    System,           ///< a syscall failed; Error::sysErrno holds errno
    NvmeStatus,       ///< the device completed an NVMe command with a status; Error::nvme
    ScsiSense,        ///< the device returned CHECK CONDITION; Error::scsi
    InvalidArgument,  ///< the user's input is wrong; nothing was changed
    NotFound,         ///< the device, file or attribute does not exist
    PermissionDenied, ///< needs root (or a capability)
    Unsupported,      ///< the device or kernel cannot do this
    Busy,             ///< in use: mounted, held by another device, opened exclusively
    Cancelled,        ///< the user stopped it
    Corrupt,          ///< data from the device or a fixture could not be parsed
    Internal,         ///< a bug in offloadcp
};

/// An NVMe completion status (Status Code Type / Status Code) and completion DW0.
struct NvmeStatus {
    uint8_t sct = 0;
    uint8_t sc = 0;
    bool dnr = false;   ///< Do Not Retry
    uint32_t dw0 = 0;   ///< for Copy: lowest-numbered source range not copied
    uint16_t raw() const { return static_cast<uint16_t>((sct << 8) | sc); }
};

/// SCSI status and decoded sense data.
struct ScsiSense {
    uint8_t status = 0; ///< SCSI status byte (0x02 CHECK CONDITION)
    uint8_t key = 0;
    uint8_t asc = 0;
    uint8_t ascq = 0;
    std::optional<uint64_t> information; ///< sense INFORMATION field when valid
    /// COMMAND-SPECIFIC INFORMATION field when the sense data carries one (fixed format
    /// bytes 8-11, descriptor type 01h). For EXTENDED COPY with COPY ABORTED, its low 16
    /// bits hold the number of the segment descriptor being processed (SPC-4).
    std::optional<uint32_t> commandSpecific;
};

/// A failure with enough context for an admin to act on it.
struct Error {
    Errc code = Errc::Internal;
    int sysErrno = 0;
    std::optional<NvmeStatus> nvme;
    std::optional<ScsiSense> scsi;
    std::string device;           ///< the device it happened on, as shown to users
    std::optional<uint64_t> lba;  ///< the LBA involved, when one is
    std::string what;             ///< what happened
    std::string hint;             ///< what the user can do about it

    /// One readable sentence: "<device>: <what> (<errno/status/sense>) at LBA n. <hint>"
    std::string message() const;

    static Error sys(int err, std::string device, std::string what, std::string hint = {});
    static Error make(Errc code, std::string device, std::string what, std::string hint = {});
    static Error invalid(std::string what, std::string hint = {});
};

template <class T> using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

/// Short names for error kinds and codes (used in JSON output).
const char* toString(Errc code);
/// Text for an NVMe status, e.g. "Command Size Limit Exceeded (SCT 1h SC 83h)".
std::string describeNvmeStatus(const NvmeStatus& status);
/// Text for sense data, e.g. "ILLEGAL REQUEST, asc/ascq 24h/00h (Invalid field in CDB)".
std::string describeScsiSense(const ScsiSense& sense);

} // namespace offload
