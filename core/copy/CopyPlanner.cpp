// SPDX-License-Identifier: GPL-2.0-or-later
#include "copy/CopyPlanner.h"

#include "capability/LeafCopyChoice.h"
#include "copy/FileEndpoint.h"
#include "copy/CopySafety.h"
#include "topology/ExtentMapper.h"

#include <algorithm>
#include <cstdio>

namespace offload {

namespace {

constexpr uint32_t kNvmeMaxRangeBlocks = 65536; // NLB is a 16-bit, 0's-based field
constexpr uint32_t kNvmeMaxRanges = 256;         // NR is an 8-bit, 0's-based field
constexpr uint32_t kXcopyMaxSegmentBlocks = 65535; // block count is a u16
constexpr uint32_t kXcopyCscdBytes = 32;           // one 0xE4 CSCD descriptor
constexpr uint32_t kXcopySegmentBytes = 28;        // one type 0x02 segment descriptor
constexpr uint64_t kFileCloneAlignment = 4096;

std::string num(uint64_t value)
{
    return std::to_string(value);
}

/// The user's name for an endpoint in messages.
std::string endpointName(const Topology& topology, const CopyEndpoint& endpoint)
{
    if (!endpoint.label.empty())
        return endpoint.label;
    if (endpoint.device)
        return displayName(topology.at(*endpoint.device));
    return endpoint.file.string();
}

/// A piece of the source paired with a piece of the destination, equally long.
struct PiecePair {
    uint64_t rel = 0;    ///< bytes from the start of the copy
    uint64_t length = 0;
    MappedPiece src;     ///< offset/deviceOffset already advanced to this pair
    MappedPiece dst;
};

MappedPiece slice(const MappedPiece& piece, uint64_t skip, uint64_t length)
{
    MappedPiece out = piece;
    out.offset += skip;
    out.deviceOffset += skip;
    out.length = length;
    return out;
}

/// Intersects the two piece lists (both cover `length` bytes, in order) in copy coordinates.
Result<std::vector<PiecePair>> pairPieces(const std::vector<MappedPiece>& src, uint64_t srcBase,
                                          const std::vector<MappedPiece>& dst, uint64_t dstBase,
                                          uint64_t length)
{
    std::vector<PiecePair> pairs;
    std::size_t i = 0;
    std::size_t j = 0;
    uint64_t rel = 0;
    while (rel < length) {
        while (i < src.size() && src[i].offset - srcBase + src[i].length <= rel)
            ++i;
        while (j < dst.size() && dst[j].offset - dstBase + dst[j].length <= rel)
            ++j;
        if (i == src.size() || j == dst.size() || src[i].offset - srcBase > rel || dst[j].offset - dstBase > rel)
            return std::unexpected(Error::make(Errc::Internal, {}, "the mapped pieces do not cover the range",
                                               "please report this with `offloadcp report --json`"));
        const uint64_t srcSkip = rel - (src[i].offset - srcBase);
        const uint64_t dstSkip = rel - (dst[j].offset - dstBase);
        const uint64_t len = std::min({src[i].length - srcSkip, dst[j].length - dstSkip, length - rel});
        pairs.push_back({rel, len, slice(src[i], srcSkip, len), slice(dst[j], dstSkip, len)});
        rel += len;
    }
    return pairs;
}

struct MethodChoice {
    CopyMethod method = CopyMethod::ReadWrite;
    std::string reason;
    uint8_t nvmeFormat = 0;
};

MethodChoice readWrite(std::string reason)
{
    return {CopyMethod::ReadWrite, std::move(reason), 0};
}

MethodChoice chooseMethod(const Topology& topology, const CapabilitySet& caps, const CopyRequest& request,
                          const PiecePair& pair)
{
    if (request.noOffload)
        return readWrite("no offload requested (--no-offload)");
    const MappedPiece& s = pair.src;
    const MappedPiece& d = pair.dst;
    if (s.kind == PieceKind::Zero)
        return readWrite("source is dm-zero (" + displayName(topology.at(s.device)) + "): zeros are written by read/write");
    if (d.kind == PieceKind::Zero)
        return readWrite("destination is dm-zero (" + displayName(topology.at(d.device)) + "): writes are discarded");
    if (s.kind == PieceKind::Opaque)
        return readWrite(s.reason.empty() ? displayName(topology.at(s.device)) + ": a copy cannot pass this layer"
                                          : s.reason + " (" + displayName(topology.at(s.device)) + ")");
    if (d.kind == PieceKind::Opaque)
        return readWrite(d.reason.empty() ? displayName(topology.at(d.device)) + ": a copy cannot pass this layer"
                                          : d.reason + " (" + displayName(topology.at(d.device)) + ")");

    LeafExtentPair extents;
    extents.srcLeaf = s.device;
    extents.dstLeaf = d.device;
    extents.srcOffset = s.deviceOffset;
    extents.dstOffset = d.deviceOffset;
    extents.length = pair.length;
    LeafCopyOptions options;
    options.forceCrossNamespace = request.forceCrossNamespace;
    const LeafCopyChoice choice = chooseLeafCopy(topology, caps, extents, options);
    if (!choice.offloads())
        return readWrite(choice.reason);
    const CopyMethod method = choice.mechanism == CopyMechanism::NvmeCopy ? CopyMethod::NvmeCopy : CopyMethod::ScsiXcopy;
    return {method, choice.reason, choice.nvmeFormat};
}

std::optional<std::size_t> leafOf(const MappedPiece& piece)
{
    if (piece.kind == PieceKind::Leaf)
        return piece.device;
    return std::nullopt;
}

bool mergeable(const PlannedExtent& a, const PlannedExtent& b, uint8_t formatA, uint8_t formatB)
{
    if (a.method != b.method || a.reason != b.reason || a.srcLeaf != b.srcLeaf || a.dstLeaf != b.dstLeaf ||
        formatA != formatB)
        return false;
    if (a.srcOffset + a.length != b.srcOffset || a.dstOffset + a.length != b.dstOffset)
        return false;
    if (a.srcLeaf && a.srcLeafOffset + a.length != b.srcLeafOffset)
        return false;
    if (a.dstLeaf && a.dstLeafOffset + a.length != b.dstLeafOffset)
        return false;
    return true;
}

/// Splits NVMe Copy extents into commands: ranges <= MSSRL and 65536 blocks, <= MCL blocks
/// and <= MSRC+1 (<= 256) ranges per command, several ranges per command while their
/// destinations follow each other (Copy writes its ranges back to back from SDLBA).
void splitNvme(const Topology& topology, const CapabilitySet& caps, const CopyRequest& request,
               const std::vector<PlannedExtent>& extents, const std::vector<uint8_t>& formats,
               std::vector<NvmeCopyStep>& steps)
{
    // The command still taking ranges, per (destination ns, source ns, format): extents on
    // other namespaces (striped members) may come in between.
    struct OpenStep {
        std::size_t ns, srcNs;
        uint8_t format;
        std::size_t step;
        uint64_t blocks;
    };
    std::vector<OpenStep> open;
    for (std::size_t e = 0; e < extents.size(); ++e) {
        const PlannedExtent& extent = extents[e];
        if (extent.method != CopyMethod::NvmeCopy)
            continue;
        const NvmeCopyCaps& src = *caps.at(*extent.srcLeaf).nvme;
        const NvmeCopyCaps& dst = *caps.at(*extent.dstLeaf).nvme;
        const uint32_t lba = dst.lbaBytes;
        uint64_t maxRanges = std::min<uint64_t>({src.maxRanges(), dst.maxRanges(), kNvmeMaxRanges});
        if (request.maxNvmeBatch > 0)
            maxRanges = std::min<uint64_t>(maxRanges, request.maxNvmeBatch);
        uint64_t commandBlocks = std::min(src.mcl, dst.mcl);
        if (request.maxCommandBytes > 0)
            commandBlocks = std::min<uint64_t>(commandBlocks, std::max<uint64_t>(1, request.maxCommandBytes / lba));
        const uint64_t rangeBlocks =
            std::min<uint64_t>({src.mssrl, dst.mssrl, kNvmeMaxRangeBlocks, commandBlocks});
        const uint32_t snsid = formats[e] >= 2 && topology.at(*extent.srcLeaf).nvme
                                   ? topology.at(*extent.srcLeaf).nvme->nsid
                                   : 0;
        auto slot = std::find_if(open.begin(), open.end(), [&](const OpenStep& o) {
            return o.ns == *extent.dstLeaf && o.srcNs == *extent.srcLeaf && o.format == formats[e];
        });
        if (slot == open.end())
            slot = open.insert(open.end(), OpenStep{*extent.dstLeaf, *extent.srcLeaf, formats[e], 0, 0});

        uint64_t done = 0;
        const uint64_t total = extent.length / lba;
        while (done < total) {
            const uint64_t slba = extent.srcLeafOffset / lba + done;
            const uint64_t dlba = extent.dstLeafOffset / lba + done;
            const bool fits = slot->blocks > 0 && steps[slot->step].sdlba + slot->blocks == dlba &&
                              steps[slot->step].ranges.size() < maxRanges && slot->blocks < commandBlocks;
            if (!fits) {
                NvmeCopyStep step;
                step.ns = *extent.dstLeaf;
                step.srcNs = *extent.srcLeaf;
                step.sdlba = dlba;
                step.format = formats[e];
                step.lbaBytes = lba;
                steps.push_back(std::move(step));
                slot->step = steps.size() - 1;
                slot->blocks = 0;
            }
            const uint64_t blocks = std::min({total - done, rangeBlocks, commandBlocks - slot->blocks});
            NvmeSourceRange range;
            range.slba = slba;
            range.blocks = static_cast<uint32_t>(blocks);
            range.snsid = snsid;
            range.volumeSrcOffset = extent.srcOffset + done * lba;
            range.volumeDstOffset = extent.dstOffset + done * lba;
            steps[slot->step].ranges.push_back(range);
            slot->blocks += blocks;
            done += blocks;
        }
    }
}

/// Splits EXTENDED COPY extents: segments <= 65,535 blocks and <= the maximum segment length,
/// segments per command <= the copy manager's maximum (and the descriptor list length).
void splitXcopy(const CapabilitySet& caps, const CopyRequest& request, const std::vector<PlannedExtent>& extents,
                std::vector<XcopyStep>& steps)
{
    XcopyStep* open = nullptr;
    for (const PlannedExtent& extent : extents) {
        if (extent.method != CopyMethod::ScsiXcopy) {
            open = nullptr;
            continue;
        }
        const ScsiCopyCaps& src = *caps.at(*extent.srcLeaf).scsi;
        const ScsiCopyCaps& dst = *caps.at(*extent.dstLeaf).scsi;
        const uint32_t bs = dst.blockBytes;
        uint64_t segmentBlocks = kXcopyMaxSegmentBlocks;
        for (const ScsiCopyCaps* c : {&src, &dst}) {
            if (c->rcopKnown && c->maxSegmentLength > 0)
                segmentBlocks = std::min<uint64_t>(segmentBlocks, std::max<uint64_t>(1, c->maxSegmentLength / bs));
        }
        if (request.maxCommandBytes > 0)
            segmentBlocks = std::min<uint64_t>(segmentBlocks, std::max<uint64_t>(1, request.maxCommandBytes / bs));
        // Without RECEIVE COPY OPERATING PARAMETERS, one segment per command (as sg_xcopy does).
        uint64_t segmentsPerCommand = 1;
        if (dst.rcopKnown) {
            segmentsPerCommand = dst.maxSegmentDescriptors;
            if (src.rcopKnown)
                segmentsPerCommand = std::min<uint64_t>(segmentsPerCommand, src.maxSegmentDescriptors);
            if (dst.maxDescriptorListLength > 2 * kXcopyCscdBytes)
                segmentsPerCommand = std::min<uint64_t>(
                    segmentsPerCommand, (dst.maxDescriptorListLength - 2 * kXcopyCscdBytes) / kXcopySegmentBytes);
            segmentsPerCommand = std::max<uint64_t>(1, segmentsPerCommand);
        }
        uint64_t commandSegmentCap = segmentsPerCommand;
        if (request.maxCommandBytes > 0)
            commandSegmentCap = std::min<uint64_t>(
                commandSegmentCap, std::max<uint64_t>(1, request.maxCommandBytes / (segmentBlocks * bs)));

        uint64_t done = 0;
        const uint64_t total = extent.length / bs;
        while (done < total) {
            const bool fits = open && open->srcLun == *extent.srcLeaf && open->dstLun == *extent.dstLeaf &&
                              open->blockBytes == bs && open->segments.size() < commandSegmentCap;
            if (!fits) {
                steps.push_back({});
                open = &steps.back();
                open->srcLun = *extent.srcLeaf;
                open->dstLun = *extent.dstLeaf;
                open->issueTo = *extent.dstLeaf;
                open->blockBytes = bs;
            }
            const uint64_t blocks = std::min(total - done, segmentBlocks);
            XcopySegment segment;
            segment.srcLba = extent.srcLeafOffset / bs + done;
            segment.dstLba = extent.dstLeafOffset / bs + done;
            segment.blocks = static_cast<uint32_t>(blocks);
            segment.volumeSrcOffset = extent.srcOffset + done * bs;
            segment.volumeDstOffset = extent.dstOffset + done * bs;
            open->segments.push_back(segment);
            done += blocks;
        }
    }
}

bool rangesOverlap(uint64_t a, uint64_t b, uint64_t length)
{
    return a < b + length && b < a + length;
}

std::string byteRange(uint64_t offset, uint64_t length)
{
    return "bytes " + num(offset) + "-" + num(offset + length - 1);
}

/// Checks sizes, alignment, and that the copy cannot write its own source.
Status validate(const Topology& topology, const CopyRequest& request, CopyPlan& plan)
{
    const CopyEndpoint& src = plan.source;
    const CopyEndpoint& dst = plan.destination;
    const std::string srcName = endpointName(topology, src);
    const std::string dstName = endpointName(topology, dst);

    if (request.srcOffset > src.sizeBytes || (request.length == 0 && request.srcOffset == src.sizeBytes))
        return std::unexpected(Error::make(Errc::InvalidArgument, srcName,
                                           "source offset " + num(request.srcOffset) + " is at or beyond the end (" +
                                               num(src.sizeBytes) + " bytes)",
                                           "choose a --src-offset below the source size"));
    plan.length = request.length != 0 ? request.length : src.sizeBytes - request.srcOffset;
    if (plan.length > src.sizeBytes - request.srcOffset)
        return std::unexpected(Error::make(
            Errc::InvalidArgument, srcName,
            "the range " + byteRange(request.srcOffset, plan.length) + " goes beyond the end of the source (" +
                num(src.sizeBytes) + " bytes)",
            "shorten --length or lower --src-offset"));
    // A regular file destination grows; a block device does not.
    if (dst.device && (request.dstOffset > dst.sizeBytes || plan.length > dst.sizeBytes - request.dstOffset))
        return std::unexpected(Error::make(
            Errc::InvalidArgument, dstName,
            "the destination range " + byteRange(request.dstOffset, plan.length) + " goes beyond its end (" +
                num(dst.sizeBytes) + " bytes)",
            "use a larger destination, or shorten --length or lower --dst-offset"));

    // Read-only at any layer the destination range is written through (CopySafety decides).
    if (dst.device)
        if (auto writable = checkDestinationWritable(topology, *dst.device, request.dstOffset, plan.length); !writable)
            return std::unexpected(writable.error());

    if (src.device || dst.device) {
        const uint32_t block = std::max(src.blockSize, dst.blockSize);
        const std::string blockOwner = src.blockSize >= dst.blockSize ? srcName : dstName;
        const auto misaligned = [&](const char* what, uint64_t value) {
            return std::unexpected(Error::make(
                Errc::InvalidArgument, blockOwner,
                std::string(what) + " " + num(value) + " is not a multiple of the " + num(block) +
                    "-byte logical block size",
                "use multiples of " + num(block) + " bytes (sizes accept suffixes such as 4K or 1M)"));
        };
        if (request.srcOffset % block != 0)
            return misaligned("source offset", request.srcOffset);
        if (request.dstOffset % block != 0)
            return misaligned("destination offset", request.dstOffset);
        if (plan.length % block != 0)
            return misaligned("length", plan.length);
    }

    if (src.device && dst.device) {
        const std::size_t s = *src.device;
        const std::size_t d = *dst.device;
        if (s == d && rangesOverlap(request.srcOffset, request.dstOffset, plan.length))
            return std::unexpected(Error::make(
                Errc::InvalidArgument, srcName,
                "source " + byteRange(request.srcOffset, plan.length) + " and destination " +
                    byteRange(request.dstOffset, plan.length) + " overlap on the same device",
                "choose ranges that do not overlap, or copy through a scratch device"));
        if (s != d && topology.dependsOn(d, s))
            return std::unexpected(Error::make(Errc::InvalidArgument, dstName,
                                               "the destination is built on the source " + srcName +
                                                   ": writing it would change the source",
                                               "choose a destination outside the source's stack"));
        if (s != d && topology.dependsOn(s, d))
            return std::unexpected(Error::make(Errc::InvalidArgument, dstName,
                                               "the source " + srcName +
                                                   " is built on the destination: writing it would "
                                                   "overwrite the source",
                                               "choose a destination that does not hold the source"));
    } else if (src.device || dst.device) {
        // A regular file that backs a loop device of the other side: one write changes the other.
        const CopyEndpoint& file = src.device ? dst : src;
        const CopyEndpoint& device = src.device ? src : dst;
        for (std::size_t leaf : topology.leavesOf(*device.device)) {
            const BlockDevice& dev = topology.at(leaf);
            if (dev.loop && !file.file.empty() && dev.loop->backingFile == file.file.string())
                return std::unexpected(Error::make(
                    Errc::InvalidArgument, endpointName(topology, device),
                    "the file " + file.file.string() + " backs " + dev.name + ", which " +
                        endpointName(topology, device) + " is built on: the copy would write into its own source",
                    "copy to a different file or device"));
        }
    } else if (!src.device && !dst.device && src.file == dst.file &&
               rangesOverlap(request.srcOffset, request.dstOffset, plan.length)) {
        return std::unexpected(Error::make(Errc::InvalidArgument, srcName,
                                           "source " + byteRange(request.srcOffset, plan.length) +
                                               " and destination " + byteRange(request.dstOffset, plan.length) +
                                               " overlap in the same file",
                                           "choose ranges that do not overlap"));
    }
    return {};
}

/// Refuses pieces that cannot be read or written, and leaf ranges shared by both sides
/// (two volumes of one stack whose blocks overlap).
Status validatePieces(const Topology& topology, const std::vector<MappedPiece>& src,
                      const std::vector<MappedPiece>& dst, CopyPlan& plan)
{
    for (const MappedPiece& piece : src) {
        if (piece.kind == PieceKind::Error)
            return std::unexpected(Error::make(
                Errc::InvalidArgument, displayName(topology.at(piece.device)),
                "the source range includes " + byteRange(piece.offset, piece.length) +
                    ", where reads fail (" + (piece.reason.empty() ? "dm-error" : piece.reason) + ")",
                "copy a range that avoids it"));
    }
    for (const MappedPiece& piece : dst) {
        if (piece.kind == PieceKind::Error)
            return std::unexpected(Error::make(
                Errc::InvalidArgument, displayName(topology.at(piece.device)),
                "the destination range includes " + byteRange(piece.offset, piece.length) +
                    ", where writes fail (" + (piece.reason.empty() ? "dm-error" : piece.reason) + ")",
                "copy to a range that avoids it"));
    }
    for (const MappedPiece& s : src) {
        for (const MappedPiece& d : dst) {
            if (s.kind == PieceKind::Zero || d.kind == PieceKind::Zero)
                continue;
            if (s.device != d.device) {
                // Mapping stopped above a shared device: where the bytes land below is unknown.
                const bool unknown = (s.kind == PieceKind::Opaque && topology.dependsOn(s.device, d.device)) ||
                                     (d.kind == PieceKind::Opaque && topology.dependsOn(d.device, s.device));
                const std::string note = "cannot tell whether source and destination share blocks below " +
                                         displayName(topology.at(s.kind == PieceKind::Opaque ? s.device : d.device)) +
                                         " (the mapping stops there); make sure they do not";
                if (unknown && std::find(plan.warnings.begin(), plan.warnings.end(), note) == plan.warnings.end())
                    plan.warnings.push_back(note);
                continue;
            }
            if (s.deviceOffset < d.deviceOffset + d.length && d.deviceOffset < s.deviceOffset + s.length)
                return std::unexpected(Error::make(
                    Errc::InvalidArgument, displayName(topology.at(s.device)),
                    "source " + endpointName(topology, plan.source) + " and destination " +
                        endpointName(topology, plan.destination) + " share " +
                        byteRange(std::max(s.deviceOffset, d.deviceOffset),
                                  std::min(s.deviceOffset + s.length, d.deviceOffset + d.length) -
                                      std::max(s.deviceOffset, d.deviceOffset)) +
                        " of " + displayName(topology.at(s.device)),
                    "choose ranges that do not overlap on the underlying device"));
        }
    }
    return {};
}

CopyPlan planFiles(const Topology& topology, const CopyRequest& request, CopyPlan plan)
{
    PlannedExtent extent;
    extent.srcOffset = request.srcOffset;
    extent.dstOffset = request.dstOffset;
    extent.length = plan.length;
    const bool srcFile = !plan.source.device;
    const bool dstFile = !plan.destination.device;
    if (plan.length == 0) {
        return plan;
    } else if (request.noOffload) {
        extent.method = CopyMethod::ReadWrite;
        extent.reason = "no offload requested (--no-offload)";
    } else if (srcFile && dstFile) {
        const bool aligned = request.srcOffset % kFileCloneAlignment == 0 &&
                             request.dstOffset % kFileCloneAlignment == 0 &&
                             (plan.length % kFileCloneAlignment == 0 ||
                              request.srcOffset + plan.length == plan.source.sizeBytes);
        const auto& srcFs = plan.source.fileSystem;
        const auto& dstFs = plan.destination.fileSystem;
        if (!srcFs || !dstFs) {
            // Filesystems not looked up (a caller that built the endpoints itself): try them all.
            extent.method = aligned ? CopyMethod::FileClone : CopyMethod::CopyFileRange;
            extent.reason = aligned ? "regular files: reflink (FICLONERANGE) first, then copy_file_range, then "
                                      "read/write"
                                    : "regular files, range not aligned to " + num(kFileCloneAlignment) +
                                          " bytes (no reflink): copy_file_range, then read/write";
        } else {
            // A clone needs one filesystem (btrfs subvolumes have their own st_dev but share it);
            // copy_file_range between two filesystems is refused (EXDEV) unless both are of one
            // network type, and on a local filesystem it is the kernel copying through the host.
            const std::string names = fileSystemName(*srcFs) == fileSystemName(*dstFs)
                                          ? fileSystemName(*dstFs)
                                          : fileSystemName(*srcFs) + " and " + fileSystemName(*dstFs);
            const bool oneFs = sameFileSystem(*srcFs, *dstFs);
            const bool clone = aligned && oneFs && reflinkCapable(*dstFs);
            const bool serverCopy = srcFs->magic == dstFs->magic && copyFileRangeOffloads(*dstFs);
            if (clone) {
                extent.method = CopyMethod::FileClone;
                extent.reason = "regular files on " + names + ": reflink (FICLONERANGE, metadata only, no data "
                                "copied) if the filesystem allows it, else " +
                                (serverCopy ? "copy_file_range (server-side copy)"
                                            : "copy_file_range (the kernel copies through the host)") +
                                ", then read/write";
            } else if (serverCopy) {
                extent.method = CopyMethod::CopyFileRange;
                extent.reason = "regular files on " + names + ": copy_file_range, a server-side copy";
            } else if (!oneFs) {
                extent.method = CopyMethod::ReadWrite;
                extent.reason = "regular files on two filesystems (" + names +
                                "): no reflink or copy_file_range between them, so the host copies";
            } else {
                extent.method = CopyMethod::CopyFileRange;
                extent.throughHost = true;
                extent.reason = "regular files on " + names + ": " +
                                (aligned ? std::string("no reflink here") : "range not aligned to " +
                                                                              num(kFileCloneAlignment) +
                                                                              " bytes (no reflink)") +
                                "; copy_file_range, which the kernel does through the host (not an offload)";
            }
        }
    } else {
        extent.method = CopyMethod::ReadWrite;
        extent.reason = std::string("a regular file and a block device (") +
                        endpointName(topology, srcFile ? plan.source : plan.destination) + ", " +
                        endpointName(topology, srcFile ? plan.destination : plan.source) +
                        "): no copy command spans them";
    }
    plan.extents.push_back(extent);
    return plan;
}

} // namespace

CopyEndpoint deviceEndpoint(const Topology& topology, std::size_t device)
{
    const BlockDevice& dev = topology.at(device);
    CopyEndpoint endpoint;
    endpoint.device = device;
    endpoint.sizeBytes = dev.sizeBytes;
    endpoint.blockSize = dev.logicalBlockSize;
    endpoint.label = displayName(dev);
    return endpoint;
}

Result<CopyPlan> planCopy(const Topology& topology, const CapabilitySet& caps, const CopyRequest& request)
{
    CopyPlan plan;
    plan.source = request.source;
    plan.destination = request.destination;
    for (CopyEndpoint* endpoint : {&plan.source, &plan.destination}) {
        if (!endpoint->device) {
            if (endpoint->file.empty())
                return std::unexpected(Error::invalid("a copy endpoint names neither a device nor a file"));
            continue;
        }
        if (*endpoint->device >= topology.size())
            return std::unexpected(Error::make(Errc::NotFound, endpoint->label,
                                               "the device is not in the topology snapshot",
                                               "rescan: it may have been removed"));
        // The snapshot is the truth for devices: size and block size come from it.
        const CopyEndpoint fromTopology = deviceEndpoint(topology, *endpoint->device);
        endpoint->sizeBytes = fromTopology.sizeBytes;
        endpoint->blockSize = fromTopology.blockSize;
        if (endpoint->label.empty())
            endpoint->label = fromTopology.label;
    }
    plan.srcOffset = request.srcOffset;
    plan.dstOffset = request.dstOffset;
    if (auto valid = validate(topology, request, plan); !valid)
        return std::unexpected(valid.error());

    if (plan.source.blockSize != plan.destination.blockSize && plan.source.device && plan.destination.device)
        plan.warnings.push_back("logical block sizes differ: " + num(plan.source.blockSize) + " bytes on " +
                                endpointName(topology, plan.source) + ", " + num(plan.destination.blockSize) +
                                " on " + endpointName(topology, plan.destination) +
                                "; the copy goes by read/write in " +
                                num(std::max(plan.source.blockSize, plan.destination.blockSize)) + "-byte blocks");
    if (!plan.source.device || !plan.destination.device)
        return planFiles(topology, request, std::move(plan));
    if (plan.length == 0)
        return plan;

    auto srcPieces = mapRange(topology, *plan.source.device, plan.srcOffset, plan.length);
    if (!srcPieces)
        return std::unexpected(srcPieces.error());
    auto dstPieces = mapRange(topology, *plan.destination.device, plan.dstOffset, plan.length);
    if (!dstPieces)
        return std::unexpected(dstPieces.error());
    if (auto valid = validatePieces(topology, *srcPieces, *dstPieces, plan); !valid)
        return std::unexpected(valid.error());
    auto pairs = pairPieces(*srcPieces, plan.srcOffset, *dstPieces, plan.dstOffset, plan.length);
    if (!pairs)
        return std::unexpected(pairs.error());

    std::vector<uint8_t> formats;
    for (const PiecePair& pair : *pairs) {
        const MethodChoice choice = chooseMethod(topology, caps, request, pair);
        PlannedExtent extent;
        extent.srcOffset = plan.srcOffset + pair.rel;
        extent.dstOffset = plan.dstOffset + pair.rel;
        extent.length = pair.length;
        extent.method = choice.method;
        extent.reason = choice.reason;
        extent.srcLeaf = leafOf(pair.src);
        extent.dstLeaf = leafOf(pair.dst);
        extent.srcLeafOffset = extent.srcLeaf ? pair.src.deviceOffset : 0;
        extent.dstLeafOffset = extent.dstLeaf ? pair.dst.deviceOffset : 0;
        if (!plan.extents.empty() && mergeable(plan.extents.back(), extent, formats.back(), choice.nvmeFormat)) {
            plan.extents.back().length += extent.length;
            continue;
        }
        plan.extents.push_back(std::move(extent));
        formats.push_back(choice.nvmeFormat);
    }

    splitNvme(topology, caps, request, plan.extents, formats, plan.nvmeSteps);
    splitXcopy(caps, request, plan.extents, plan.xcopySteps);
    return plan;
}

} // namespace offload
