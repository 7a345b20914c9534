// SPDX-License-Identifier: GPL-2.0-or-later
// Byte-exact parsers of the structures a copy-capable device reports: NVMe Identify
// Controller / Namespace (NVM Express Base and NVM Command Set specifications) and SCSI
// INQUIRY, VPD 0x80 / 0x83 and RECEIVE COPY OPERATING PARAMETERS (SPC-4).
#include "capability/Capability.h"

#include <algorithm>
#include <cstddef>
#include <string>

namespace offload {

const char* toString(CopyMechanism mechanism)
{
    switch (mechanism) {
    case CopyMechanism::None: return "none";
    case CopyMechanism::NvmeCopy: return "nvme-copy";
    case CopyMechanism::ScsiXcopy: return "scsi-xcopy";
    }
    return "unknown";
}

const char* toString(ProbeStatus status)
{
    switch (status) {
    case ProbeStatus::Ok: return "ok";
    case ProbeStatus::NeedsRoot: return "needs-root";
    case ProbeStatus::Failed: return "failed";
    case ProbeStatus::NotApplicable: return "not-applicable";
    case ProbeStatus::Skipped: return "skipped";
    }
    return "unknown";
}

namespace {

using Bytes = std::vector<uint8_t>;

uint16_t le16(const Bytes& d, std::size_t at)
{
    return static_cast<uint16_t>(d[at] | (d[at + 1] << 8));
}

uint32_t le32(const Bytes& d, std::size_t at)
{
    return static_cast<uint32_t>(d[at]) | (static_cast<uint32_t>(d[at + 1]) << 8)
           | (static_cast<uint32_t>(d[at + 2]) << 16) | (static_cast<uint32_t>(d[at + 3]) << 24);
}

uint16_t be16(const Bytes& d, std::size_t at)
{
    return static_cast<uint16_t>((d[at] << 8) | d[at + 1]);
}

uint32_t be32(const Bytes& d, std::size_t at)
{
    return (static_cast<uint32_t>(d[at]) << 24) | (static_cast<uint32_t>(d[at + 1]) << 16)
           | (static_cast<uint32_t>(d[at + 2]) << 8) | static_cast<uint32_t>(d[at + 3]);
}

std::unexpected<Error> corrupt(std::string what)
{
    return std::unexpected(Error::make(Errc::Corrupt, {}, std::move(what),
                                       "The device (or the captured fixture) returned malformed data"));
}

/// Text of a fixed-size ASCII field: stops at the first NUL, drops padding spaces.
std::string asciiField(const Bytes& d, std::size_t at, std::size_t length)
{
    std::string out;
    for (std::size_t i = at; i < at + length && i < d.size() && d[i] != 0; ++i)
        out += static_cast<char>(d[i]);
    const auto first = out.find_first_not_of(' ');
    if (first == std::string::npos)
        return {};
    return out.substr(first, out.find_last_not_of(' ') - first + 1);
}

// NVM Express Base Specification, Identify Controller data structure (CNS 01h).
constexpr std::size_t kIdentifySize = 4096;
constexpr std::size_t kCtrlMdts = 77;
constexpr std::size_t kCtrlCntlid = 78;   // bytes 79:78
constexpr std::size_t kCtrlOncs = 520;    // bytes 521:520
constexpr std::size_t kCtrlOcfs = 534;    // bytes 535:534
constexpr std::size_t kCtrlSubnqn = 768;  // bytes 1023:768
constexpr std::size_t kCtrlSubnqnLength = 256;

// NVM Command Set Specification, Identify Namespace data structure (CNS 00h).
constexpr std::size_t kNsNlbaf = 25;
constexpr std::size_t kNsFlbas = 26;
constexpr std::size_t kNsDps = 29;
constexpr std::size_t kNsMssrl = 74;      // bytes 75:74
constexpr std::size_t kNsMcl = 76;        // bytes 79:76
constexpr std::size_t kNsMsrc = 80;
constexpr std::size_t kNsLbaf = 128;      // 64 entries of 4 bytes: MS 15:0, LBADS 23:16, RP 25:24

} // namespace

Result<NvmeCopyCaps> parseNvmeIdentifyController(const std::vector<uint8_t>& data)
{
    if (data.size() < kIdentifySize)
        return corrupt("Identify Controller data is " + std::to_string(data.size())
                       + " bytes, expected 4096");
    NvmeCopyCaps caps;
    caps.oncs = le16(data, kCtrlOncs);
    caps.copy = (caps.oncs >> 8) & 1u;
    caps.copySingleAtomicity = (caps.oncs >> 9) & 1u;
    caps.allFastCopy = (caps.oncs >> 10) & 1u;
    caps.ocfs = le16(data, kCtrlOcfs);
    // MDTS is a power of two in units of CAP.MPSMIN, a controller register that Identify
    // does not carry: keep the raw exponent, leave mdtsBytes unknown.
    caps.mdts = data[kCtrlMdts];
    caps.mdtsBytes = 0;
    caps.controllerId = le16(data, kCtrlCntlid);
    caps.subsysnqn = asciiField(data, kCtrlSubnqn, kCtrlSubnqnLength);
    return caps;
}

Status parseNvmeIdentifyNamespace(const std::vector<uint8_t>& data, NvmeCopyCaps& caps)
{
    if (data.size() < kIdentifySize)
        return corrupt("Identify Namespace data is " + std::to_string(data.size())
                       + " bytes, expected 4096");
    const unsigned formatCount = data[kNsNlbaf] + 1u; // NLBAF is 0's based
    const uint8_t flbas = data[kNsFlbas];
    // FLBAS bits 3:0 are the low bits of the format index, bits 6:5 the high bits.
    const unsigned index = (flbas & 0x0fu) | (((flbas >> 5) & 0x3u) << 4);
    if (index >= formatCount || index >= 64)
        return corrupt("Identify Namespace: FLBAS selects LBA format " + std::to_string(index)
                       + " but only " + std::to_string(formatCount) + " are reported");
    const std::size_t entry = kNsLbaf + 4 * index;
    const uint16_t metadataBytes = le16(data, entry);
    const unsigned lbads = data[entry + 2];
    if (lbads < 9 || lbads > 31)
        return corrupt("Identify Namespace: LBA format " + std::to_string(index) + " has LBADS "
                       + std::to_string(lbads) + " (inactive namespace or bad data)");

    caps.flbas = flbas;
    caps.lbaBytes = 1u << lbads;
    caps.metadataBytes = metadataBytes;
    caps.dps = data[kNsDps];
    caps.mssrl = le16(data, kNsMssrl);
    caps.mcl = le32(data, kNsMcl);
    caps.msrc = data[kNsMsrc];
    return {};
}

Status parseScsiInquiry(const std::vector<uint8_t>& data, ScsiCopyCaps& caps)
{
    // SPC-4 standard INQUIRY data: byte 5 bit 3 is 3PC (third-party copy).
    if (data.size() < 6)
        return corrupt("INQUIRY data is " + std::to_string(data.size())
                       + " bytes, too short to hold byte 5 (3PC)");
    caps.threePC = (data[5] & 0x08u) != 0;
    return {};
}

Status parseScsiDeviceIdVpd(const std::vector<uint8_t>& data, ScsiCopyCaps& caps)
{
    // SPC-4 Device Identification VPD page: 4-byte header, then designation descriptors
    // (byte 0 protocol id / code set, byte 1 PIV / association / designator type, byte 3
    // designator length, then the designator).
    if (data.size() < 4)
        return corrupt("VPD page 0x83 is " + std::to_string(data.size()) + " bytes, shorter than its header");
    if (data[1] != 0x83)
        return corrupt("VPD page 0x83 reply carries page code " + std::to_string(data[1]));
    const std::size_t end = 4 + be16(data, 2);
    if (end > data.size())
        return corrupt("VPD page 0x83 says " + std::to_string(end) + " bytes but only "
                       + std::to_string(data.size()) + " arrived");

    constexpr unsigned kCodeSetBinary = 1;
    constexpr unsigned kAssociationLogicalUnit = 0;
    constexpr unsigned kDesignatorNaa = 3;
    int bestRank = 0;
    std::vector<uint8_t> best;
    uint8_t bestNaa = 0;
    for (std::size_t at = 4; at < end;) {
        if (at + 4 > end)
            return corrupt("VPD page 0x83: designation descriptor header at byte " + std::to_string(at)
                           + " runs past the page");
        const std::size_t length = data[at + 3];
        if (at + 4 + length > end)
            return corrupt("VPD page 0x83: designator at byte " + std::to_string(at) + " ("
                           + std::to_string(length) + " bytes) runs past the page");
        const unsigned codeSet = data[at] & 0x0fu;
        const unsigned association = (data[at + 1] >> 4) & 0x3u;
        const unsigned type = data[at + 1] & 0x0fu;
        if (type == kDesignatorNaa && association == kAssociationLogicalUnit
            && codeSet == kCodeSetBinary && length > 0) {
            const uint8_t naa = data[at + 4] >> 4;
            // NAA 6 (IEEE Registered Extended) is 16 bytes, NAA 2/3/5 are 8 bytes. LIO and
            // most copy managers want NAA 6 in a CSCD descriptor, so it ranks first.
            int rank = 0;
            if (naa == 6 && length == 16)
                rank = 3;
            else if (naa == 5 && length == 8)
                rank = 2;
            else if ((naa == 2 || naa == 3) && length == 8)
                rank = 1;
            if (rank > bestRank) {
                bestRank = rank;
                bestNaa = naa;
                best.assign(data.begin() + static_cast<std::ptrdiff_t>(at + 4),
                            data.begin() + static_cast<std::ptrdiff_t>(at + 4 + length));
            }
        }
        at += 4 + length;
    }
    caps.naaDesignator = std::move(best);
    caps.naaFormat = bestNaa;
    return {};
}

Status parseScsiCopyOperatingParameters(const std::vector<uint8_t>& data, ScsiCopyCaps& caps)
{
    // SPC-4 RECEIVE COPY RESULTS, service action 03h (OPERATING PARAMETERS):
    //  0-3 AVAILABLE DATA (n-3)   4 bit 0 SNLID   8-9 MAXIMUM CSCD DESCRIPTOR COUNT
    // 10-11 MAXIMUM SEGMENT DESCRIPTOR COUNT   12-15 MAXIMUM DESCRIPTOR LIST LENGTH
    // 16-19 MAXIMUM SEGMENT LENGTH     20-23 MAXIMUM INLINE DATA LENGTH
    // 43 IMPLEMENTED DESCRIPTOR LIST LENGTH, 44.. the implemented descriptor type codes.
    constexpr std::size_t kFixedPart = 44;
    if (data.size() < kFixedPart)
        return corrupt("RECEIVE COPY OPERATING PARAMETERS data is " + std::to_string(data.size())
                       + " bytes, expected at least 44");
    const uint64_t total = uint64_t{be32(data, 0)} + 4;
    if (total < kFixedPart)
        return corrupt("RECEIVE COPY OPERATING PARAMETERS: AVAILABLE DATA " + std::to_string(total - 4)
                       + " is too small to hold the parameters");
    const std::size_t listLength = data[43];
    if (kFixedPart + listLength > data.size() || kFixedPart + listLength > total)
        return corrupt("RECEIVE COPY OPERATING PARAMETERS: the implemented descriptor list ("
                       + std::to_string(listLength) + " bytes) runs past the data");

    caps.supportsNoListId = (data[4] & 0x01u) != 0;
    caps.maxCscdDescriptors = be16(data, 8);
    caps.maxSegmentDescriptors = be16(data, 10);
    caps.maxDescriptorListLength = be32(data, 12);
    caps.maxSegmentLength = be32(data, 16);
    caps.maxInlineData = be32(data, 20);
    caps.supportedDescriptorCodes.assign(data.begin() + kFixedPart,
                                         data.begin() + static_cast<std::ptrdiff_t>(kFixedPart + listLength));
    caps.rcopKnown = true;
    return {};
}

Status parseScsiUnitSerialVpd(const std::vector<uint8_t>& data, ScsiCopyCaps& caps)
{
    if (data.size() < 4)
        return corrupt("VPD page 0x80 is " + std::to_string(data.size()) + " bytes, shorter than its header");
    if (data[1] != 0x80)
        return corrupt("VPD page 0x80 reply carries page code " + std::to_string(data[1]));
    const std::size_t length = be16(data, 2);
    if (4 + length > data.size())
        return corrupt("VPD page 0x80 says " + std::to_string(4 + length) + " bytes but only "
                       + std::to_string(data.size()) + " arrived");
    caps.unitSerial = asciiField(data, 4, length);
    return {};
}

} // namespace offload
