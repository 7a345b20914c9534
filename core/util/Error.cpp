// SPDX-License-Identifier: GPL-2.0-or-later
#include "util/Error.h"

#include <cstdio>
#include <cerrno>
#include <cstring>

namespace offload {

namespace {
std::string hex(unsigned value)
{
    char buf[16];
    std::snprintf(buf, sizeof buf, "%Xh", value);
    return buf;
}
} // namespace

const char* toString(Errc code)
{
    switch (code) {
    case Errc::System: return "system";
    case Errc::NvmeStatus: return "nvme-status";
    case Errc::ScsiSense: return "scsi-sense";
    case Errc::InvalidArgument: return "invalid-argument";
    case Errc::NotFound: return "not-found";
    case Errc::PermissionDenied: return "permission-denied";
    case Errc::Unsupported: return "unsupported";
    case Errc::Busy: return "busy";
    case Errc::Cancelled: return "cancelled";
    case Errc::Corrupt: return "corrupt";
    case Errc::Internal: return "internal";
    }
    return "unknown";
}

std::string describeNvmeStatus(const NvmeStatus& s)
{
    const char* name = nullptr;
    if (s.sct == 0) {
        switch (s.sc) {
        case 0x00: name = "Successful Completion"; break;
        case 0x01: name = "Invalid Command Opcode"; break;
        case 0x02: name = "Invalid Field in Command"; break;
        case 0x04: name = "Data Transfer Error"; break;
        case 0x06: name = "Internal Error"; break;
        case 0x0b: name = "Invalid Namespace or Format"; break;
        case 0x80: name = "LBA Out of Range"; break;
        case 0x81: name = "Capacity Exceeded"; break;
        }
    } else if (s.sct == 1) {
        switch (s.sc) {
        case 0x82: name = "Attempted Write to Read Only Range"; break;
        case 0x83: name = "Command Size Limit Exceeded"; break;
        case 0x85: name = "Incompatible Namespace or Format"; break;
        case 0x86: name = "Fast Copy Not Possible"; break;
        case 0x87: name = "Overlapping I/O Range"; break;
        case 0x89: name = "Insufficient Resources"; break;
        case 0xb8: name = "Zoned Boundary Error"; break;
        case 0xbc: name = "Zone Invalid Write"; break;
        }
    } else if (s.sct == 2) {
        switch (s.sc) {
        case 0x80: name = "Write Fault"; break;
        case 0x81: name = "Unrecovered Read Error"; break;
        case 0x86: name = "Access Denied"; break;
        }
    }
    std::string out = name ? name : "NVMe status";
    out += " (SCT " + hex(s.sct) + " SC " + hex(s.sc) + ")";
    return out;
}

std::string describeScsiSense(const ScsiSense& s)
{
    static const char* keys[] = {"NO SENSE", "RECOVERED ERROR", "NOT READY", "MEDIUM ERROR",
                                 "HARDWARE ERROR", "ILLEGAL REQUEST", "UNIT ATTENTION",
                                 "DATA PROTECT", "BLANK CHECK", "VENDOR SPECIFIC",
                                 "COPY ABORTED", "ABORTED COMMAND", "RESERVED", "VOLUME OVERFLOW",
                                 "MISCOMPARE", "COMPLETED"};
    std::string out = keys[s.key & 0x0f];
    out += ", asc/ascq " + hex(s.asc) + "/" + hex(s.ascq);
    if (s.asc == 0x20 && s.ascq == 0x00)
        out += " (Invalid command operation code)";
    else if (s.asc == 0x24 && s.ascq == 0x00)
        out += " (Invalid field in CDB)";
    else if (s.asc == 0x26)
        out += " (Invalid field in parameter list)";
    else if (s.asc == 0x0d)
        out += " (Copy target device error)";
    return out;
}

std::string Error::message() const
{
    std::string out;
    if (!device.empty())
        out += device + ": ";
    out += what.empty() ? toString(code) : what;
    if (code == Errc::System && sysErrno != 0)
        out += std::string(" (") + std::strerror(sysErrno) + ")";
    if (nvme)
        out += " (" + describeNvmeStatus(*nvme) + ")";
    if (scsi)
        out += " (" + describeScsiSense(*scsi) + ")";
    if (lba)
        out += " at LBA " + std::to_string(*lba);
    if (!hint.empty())
        out += ". " + hint;
    return out;
}

Error Error::sys(int err, std::string device, std::string what, std::string hint)
{
    Error e;
    e.code = err == EACCES || err == EPERM ? Errc::PermissionDenied
             : err == ENOENT || err == ENXIO || err == ENODEV ? Errc::NotFound
             : err == EBUSY ? Errc::Busy
             : Errc::System;
    e.sysErrno = err;
    e.device = std::move(device);
    e.what = std::move(what);
    e.hint = std::move(hint);
    return e;
}

Error Error::make(Errc code, std::string device, std::string what, std::string hint)
{
    Error e;
    e.code = code;
    e.device = std::move(device);
    e.what = std::move(what);
    e.hint = std::move(hint);
    return e;
}

Error Error::invalid(std::string what, std::string hint)
{
    return make(Errc::InvalidArgument, {}, std::move(what), std::move(hint));
}

} // namespace offload
