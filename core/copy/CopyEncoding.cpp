// SPDX-License-Identifier: GPL-2.0-or-later
// Byte-exact encodings of NVMe Copy source range entries and the SCSI EXTENDED COPY (LID1)
// parameter list. Layouts: NVM Command Set Specification, Copy command, Source Range
// Entries Descriptor Formats 0h-3h; SPC-4 EXTENDED COPY(LID1) parameter list, CSCD
// identification descriptor (E4h) and block-to-block segment descriptor (02h).
#include "copy/OffloadBackend.h"

#include <string>

namespace offload {

namespace {

void putLe(std::vector<uint8_t>& out, std::size_t at, uint64_t value, std::size_t bytes)
{
    for (std::size_t i = 0; i < bytes; ++i)
        out[at + i] = static_cast<uint8_t>(value >> (8 * i));
}

void putBe(std::vector<uint8_t>& out, std::size_t at, uint64_t value, std::size_t bytes)
{
    for (std::size_t i = 0; i < bytes; ++i)
        out[at + i] = static_cast<uint8_t>(value >> (8 * (bytes - 1 - i)));
}

uint64_t getBe(const std::vector<uint8_t>& in, std::size_t at, std::size_t bytes)
{
    uint64_t value = 0;
    for (std::size_t i = 0; i < bytes; ++i)
        value = (value << 8) | in[at + i];
    return value;
}

// NVMe Copy source range entry offsets (all formats).
constexpr std::size_t kEntrySnsid = 0;  // formats 2/3: bytes 3:0
constexpr std::size_t kEntrySlba = 8;   // bytes 15:8
constexpr std::size_t kEntryNlb = 16;   // bytes 17:16, 0's based
// Bytes 18 CETYPE, 20-21 CEV, 22-23 SOPT (formats 2/3), then the protection fields:
// all zero because offloadcp copies without end-to-end protection checks.

// EXTENDED COPY header fields.
constexpr uint8_t kListIdUsageNoListId = 0x3 << 3;   // 11b: no list identifier (needs SNLID)
constexpr uint8_t kListIdUsageNoHeldData = 0x2 << 3; // 10b: list id valid, no held data

// CSCD identification descriptor (E4h).
constexpr uint8_t kCscdIdentification = 0xE4;
constexpr uint8_t kCodeSetBinary = 0x1;
constexpr uint8_t kAssociationLuDesignatorNaa = 0x03; // association 00b (LU), type 3h (NAA)
constexpr uint8_t kNaaDesignatorBytes = 16;

// Block device to block device segment descriptor (02h).
constexpr uint8_t kSegmentBlockToBlock = 0x02;
constexpr uint16_t kSegmentDescriptorLength = 0x0018;

Status checkNaa6(const ScsiCopyCaps& caps, const char* role)
{
    if (caps.naaDesignator.size() == kNaaDesignatorBytes && (caps.naaDesignator[0] >> 4) == 0x6)
        return {};
    std::string have = caps.naaDesignator.empty()
                           ? std::string("no NAA designator")
                           : "an NAA " + std::to_string(caps.naaDesignator[0] >> 4) + " designator of " +
                                 std::to_string(caps.naaDesignator.size()) + " bytes";
    return std::unexpected(Error::make(
        Errc::Unsupported, {},
        std::string("the ") + role + " LUN has " + have +
            "; EXTENDED COPY needs a 16-byte NAA IEEE Registered Extended (NAA 6) designator in VPD page 83h",
        "copy by read/write, or give the LUN an NAA 6 identifier (LIO derives it from the unit serial)"));
}

} // namespace

Result<NvmeCopyCommand> encodeNvmeCopy(uint32_t nsid, const NvmeCopyStep& step)
{
    if (nsid == 0)
        return std::unexpected(Error::invalid("NVMe Copy: namespace id 0 is not a namespace"));
    if (step.format > 3)
        return std::unexpected(Error::invalid("NVMe Copy: descriptor format " + std::to_string(step.format) +
                                              " does not exist (0-3)"));
    if (step.ranges.empty() || step.ranges.size() > 256)
        return std::unexpected(Error::invalid("NVMe Copy: " + std::to_string(step.ranges.size()) +
                                              " source ranges; a command carries 1 to 256"));
    const bool crossNamespace = step.format >= 2;
    const std::size_t entryBytes = (step.format == 1 || step.format == 3) ? kNvmeCopyEntryBytesLong
                                                                          : kNvmeCopyEntryBytesShort;
    NvmeCopyCommand cmd;
    cmd.nsid = nsid;
    cmd.sdlba = step.sdlba;
    cmd.format = step.format;
    cmd.nr = static_cast<uint8_t>(step.ranges.size() - 1);
    cmd.descriptors.assign(entryBytes * step.ranges.size(), 0);
    for (std::size_t i = 0; i < step.ranges.size(); ++i) {
        const NvmeSourceRange& r = step.ranges[i];
        const std::string which = "NVMe Copy range " + std::to_string(i);
        if (r.blocks == 0 || r.blocks > 65536)
            return std::unexpected(Error::invalid(which + ": " + std::to_string(r.blocks) +
                                                  " blocks; a range carries 1 to 65536"));
        if (crossNamespace && r.snsid == 0)
            return std::unexpected(Error::invalid(which + ": format " + std::to_string(step.format) +
                                                  " needs a source namespace id"));
        if (!crossNamespace && r.snsid != 0 && r.snsid != nsid)
            return std::unexpected(Error::invalid(
                which + ": source namespace " + std::to_string(r.snsid) + " differs from the destination " +
                std::to_string(nsid) + ", but format " + std::to_string(step.format) +
                " copies within one namespace"));
        const std::size_t at = i * entryBytes;
        if (crossNamespace)
            putLe(cmd.descriptors, at + kEntrySnsid, r.snsid, 4);
        putLe(cmd.descriptors, at + kEntrySlba, r.slba, 8);
        putLe(cmd.descriptors, at + kEntryNlb, r.blocks - 1, 2);
    }
    return cmd;
}

Result<std::vector<uint8_t>> encodeXcopyParameterList(const ScsiCopyCaps& src, const ScsiCopyCaps& dst,
                                                     uint32_t blockBytes,
                                                     const std::vector<XcopySegment>& segments,
                                                     uint8_t listId)
{
    if (auto ok = checkNaa6(src, "source"); !ok)
        return std::unexpected(ok.error());
    if (auto ok = checkNaa6(dst, "destination"); !ok)
        return std::unexpected(ok.error());
    if (blockBytes == 0 || blockBytes > 0xFFFFFF)
        return std::unexpected(Error::invalid("EXTENDED COPY: block size " + std::to_string(blockBytes) +
                                              " cannot be described (1 to 16777215 bytes)"));
    if (src.blockBytes != blockBytes || dst.blockBytes != blockBytes)
        return std::unexpected(Error::invalid(
            "EXTENDED COPY: logical block sizes differ (source " + std::to_string(src.blockBytes) +
            ", destination " + std::to_string(dst.blockBytes) + ", step " + std::to_string(blockBytes) + " bytes)"));
    if (segments.empty())
        return std::unexpected(Error::invalid("EXTENDED COPY: no segments"));
    for (std::size_t i = 0; i < segments.size(); ++i) {
        if (segments[i].blocks == 0 || segments[i].blocks > kXcopyMaxSegmentBlocks)
            return std::unexpected(Error::invalid("EXTENDED COPY segment " + std::to_string(i) + ": " +
                                                  std::to_string(segments[i].blocks) +
                                                  " blocks; a segment carries 1 to 65535"));
    }

    const std::size_t cscdBytes = 2 * kXcopyCscdBytes;
    const std::size_t segmentBytes = segments.size() * kXcopySegmentBytes;
    std::vector<uint8_t> out(kXcopyHeaderBytes + cscdBytes + segmentBytes, 0);

    // Header: LIST IDENTIFIER, STR=0 / LIST ID USAGE / PRIORITY=0, CSCD DESCRIPTOR LIST
    // LENGTH (2-3), SEGMENT DESCRIPTOR LIST LENGTH (8-11), INLINE DATA LENGTH (12-15) = 0.
    out[0] = listId;
    out[1] = listId == 0 ? kListIdUsageNoListId : kListIdUsageNoHeldData;
    putBe(out, 2, cscdBytes, 2);
    putBe(out, 8, segmentBytes, 4);

    // CSCD descriptors: 0 = source, 1 = destination.
    const ScsiCopyCaps* luns[2] = {&src, &dst};
    for (std::size_t i = 0; i < 2; ++i) {
        const std::size_t at = kXcopyHeaderBytes + i * kXcopyCscdBytes;
        out[at + 0] = kCscdIdentification;
        out[at + 1] = 0x00; // LU ID TYPE 00b, NUL 0, PERIPHERAL DEVICE TYPE 00h (block device)
        // Bytes 2-3 RELATIVE INITIATOR PORT IDENTIFIER: 0 (any port).
        out[at + 4] = kCodeSetBinary;
        out[at + 5] = kAssociationLuDesignatorNaa;
        out[at + 7] = kNaaDesignatorBytes;
        for (std::size_t b = 0; b < kNaaDesignatorBytes; ++b)
            out[at + 8 + b] = luns[i]->naaDesignator[b];
        // Bytes 28-31, block device type specific: byte 28 PAD=0, bytes 29-31 DISK BLOCK LENGTH.
        putBe(out, at + 29, blockBytes, 3);
    }

    for (std::size_t i = 0; i < segments.size(); ++i) {
        const XcopySegment& s = segments[i];
        const std::size_t at = kXcopyHeaderBytes + cscdBytes + i * kXcopySegmentBytes;
        out[at + 0] = kSegmentBlockToBlock;
        out[at + 1] = 0x00; // DC=0 (block count in source blocks), CAT=0
        putBe(out, at + 2, kSegmentDescriptorLength, 2);
        putBe(out, at + 4, 0, 2); // SOURCE CSCD DESCRIPTOR ID
        putBe(out, at + 6, 1, 2); // DESTINATION CSCD DESCRIPTOR ID
        putBe(out, at + 10, s.blocks, 2);
        putBe(out, at + 12, s.srcLba, 8);
        putBe(out, at + 20, s.dstLba, 8);
    }
    return out;
}

Result<XcopyCopyStatus> parseXcopyCopyStatus(const std::vector<uint8_t>& data)
{
    if (data.size() < 12)
        return std::unexpected(Error::make(Errc::Corrupt, {},
                                           "RECEIVE COPY RESULTS (COPY STATUS) returned " +
                                               std::to_string(data.size()) + " bytes; expected at least 12"));
    if (getBe(data, 0, 4) < 8)
        return std::unexpected(Error::make(Errc::Corrupt, {},
                                           "RECEIVE COPY RESULTS (COPY STATUS): AVAILABLE DATA " +
                                               std::to_string(getBe(data, 0, 4)) + " is shorter than 8"));
    XcopyCopyStatus st;
    st.heldDataDiscarded = (data[4] & 0x80) != 0;
    st.copyManagerStatus = data[4] & 0x7f;
    st.segmentsProcessed = static_cast<uint16_t>(getBe(data, 5, 2));
    st.transferCountUnits = data[7];
    st.transferCount = static_cast<uint32_t>(getBe(data, 8, 4));
    return st;
}

} // namespace offload
