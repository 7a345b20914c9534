// SPDX-License-Identifier: GPL-2.0-or-later
#include "copy/CopySafety.h"

#include "topology/ExtentMapper.h"

#include <algorithm>
#include <numeric>
#include <set>

namespace offload {

namespace {

struct Footprint {
    std::size_t device = 0;
    uint64_t offset = 0;
    uint64_t length = 0;
};

void collectUppers(const Topology& topology, std::size_t device, std::set<std::size_t>& out)
{
    for (std::size_t upper : topology.at(device).uppers) {
        if (out.insert(upper).second)
            collectUppers(topology, upper, out);
    }
}

void collectLowers(const Topology& topology, std::size_t device, std::set<std::size_t>& out)
{
    for (std::size_t lower : topology.at(device).lowers) {
        if (out.insert(lower).second)
            collectLowers(topology, lower, out);
    }
}

/// Where [offset, offset+length) of `device` lives on the devices below it. Layers the
/// mapper cannot pass (crypt, thin, ...) count as all of their lowers; a failed mapping
/// counts as all of the device's leaves (never less than the truth).
void footprint(const Topology& topology, std::size_t device, uint64_t offset, uint64_t length,
               std::vector<Footprint>& out, int depth = 0)
{
    if (depth > 64)
        return;
    auto pieces = mapRange(topology, device, offset, length);
    if (!pieces) {
        for (std::size_t leaf : topology.leavesOf(device))
            out.push_back({leaf, 0, topology.at(leaf).sizeBytes});
        out.push_back({device, offset, length});
        return;
    }
    for (const MappedPiece& piece : *pieces) {
        switch (piece.kind) {
        case PieceKind::Leaf:
            out.push_back({piece.device, piece.deviceOffset, piece.length});
            break;
        case PieceKind::Opaque: {
            out.push_back({piece.device, piece.deviceOffset, piece.length});
            const BlockDevice& layer = topology.at(piece.device);
            if (piece.device == device && layer.lowers.empty())
                break;
            for (std::size_t lower : layer.lowers) {
                if (lower != piece.device)
                    footprint(topology, lower, 0, topology.at(lower).sizeBytes, out, depth + 1);
            }
            break;
        }
        case PieceKind::Zero:
        case PieceKind::Error:
            break;
        }
    }
}

std::string name(const BlockDevice& dev)
{
    return dev.devPath();
}

std::string mountedSource(const BlockDevice& source)
{
    return "the source " + name(source) + " is mounted on " + source.mountpoints.front()
           + ": a copy of a live filesystem may be inconsistent";
}

/// A copy into a regular file: a device source gets the device case's warning when it is
/// mounted, and one more when the file is on a filesystem of the source's own stack.
std::vector<std::string> intoFile(const Topology& topology, const CopyPlan& plan, std::vector<std::string> warnings)
{
    if (!plan.source.device || *plan.source.device >= topology.size())
        return warnings;
    const std::size_t s = *plan.source.device;
    const BlockDevice& sdev = topology.at(s);
    if (!sdev.mountpoints.empty())
        warnings.push_back(mountedSource(sdev));
    if (plan.destination.fileSystem) {
        const BlockDevice* holder = topology.findByDevNum(plan.destination.fileSystem->dev);
        if (holder && (holder->index == s || topology.dependsOn(holder->index, s)))
            warnings.push_back("the destination file " + plan.destination.file.string() + " is on "
                               + name(*holder) + (holder->index == s ? ", the source itself" : ", which is built on the source")
                               + ": writing it changes the source while it is copied");
    }
    return warnings;
}

const char* kindWords(DeviceKind kind)
{
    switch (kind) {
    case DeviceKind::NvmeNamespace: return "NVMe namespace";
    case DeviceKind::ScsiDisk: return "SCSI disk";
    case DeviceKind::Partition: return "partition";
    case DeviceKind::DeviceMapper: return "device-mapper device";
    case DeviceKind::Loop: return "loop device";
    case DeviceKind::Other: break;
    }
    return "device";
}

Error busy(const std::string& device, const std::string& what)
{
    return Error::make(Errc::Busy, device, what,
                       "unmount it or remove what holds it, or pass --force if you are sure");
}

} // namespace

std::vector<std::size_t> destinationWriteStack(const Topology& topology, std::size_t device, uint64_t offset,
                                               uint64_t length)
{
    std::vector<std::size_t> stack;
    std::set<std::size_t> seen;
    auto add = [&](std::size_t layer) {
        if (seen.insert(layer).second)
            stack.push_back(layer);
    };
    auto addWithLowers = [&](std::size_t layer) {
        add(layer);
        std::set<std::size_t> lowers;
        collectLowers(topology, layer, lowers);
        for (std::size_t lower : lowers)
            add(lower);
    };
    add(device);
    auto pieces = mapRange(topology, device, offset, length);
    if (!pieces) {
        addWithLowers(device);
        return stack;
    }
    for (const MappedPiece& piece : *pieces) {
        for (std::size_t layer : piece.path)
            add(layer);
        if (piece.kind == PieceKind::Opaque)
            addWithLowers(piece.device);
        else
            add(piece.device);
    }
    return stack;
}

Status checkDestinationWritable(const Topology& topology, std::size_t device, uint64_t offset, uint64_t length,
                                const std::function<bool(const BlockDevice&)>& readOnly)
{
    if (device >= topology.size())
        return std::unexpected(Error::make(Errc::Internal, {}, "the plan names a device the topology lacks",
                                           "rescan and plan again"));
    const BlockDevice& top = topology.at(device);
    std::vector<std::size_t> readOnlyLayers;
    for (std::size_t layer : destinationWriteStack(topology, device, offset, length)) {
        const BlockDevice& dev = topology.at(layer);
        if (readOnly ? readOnly(dev) : dev.readOnly)
            readOnlyLayers.push_back(layer);
    }
    if (readOnlyLayers.empty())
        return {};
    // Name the lowest one: a partition shows its disk's flag too, and `blockdev --setrw` on
    // the partition would not clear the disk's.
    const std::size_t layer = readOnlyLayers.back();
    const BlockDevice& dev = topology.at(layer);
    std::string what = layer == device
        ? std::string("the destination is read-only (the kernel's ro flag is set)")
        : "the destination " + name(top) + " is built on this " + kindWords(dev.kind)
              + ", which is read-only (the kernel's ro flag is set): the copy would write through it";
    std::string setrw = "blockdev --setrw " + name(dev);
    if (readOnlyLayers.size() > 1) {
        std::string others;
        for (std::size_t i = readOnlyLayers.size() - 1; i-- > 0;) {
            others += (others.empty() ? "" : ", ") + name(topology.at(readOnlyLayers[i]));
            setrw += " " + name(topology.at(readOnlyLayers[i]));
        }
        what += "; also read-only: " + others;
    }
    return std::unexpected(Error::make(Errc::InvalidArgument, name(dev), what,
                                       "make it writable with `" + setrw
                                           + "` if it should be, or choose another destination; nothing was written"));
}

Result<std::vector<std::string>> checkCopySafety(const Topology& topology, const CopyPlan& plan,
                                                 const SafetyOptions& options)
{
    std::vector<std::string> warnings;
    const CopyEndpoint& src = plan.source;
    const CopyEndpoint& dst = plan.destination;

    if (plan.length == 0)
        return std::unexpected(Error::invalid("nothing to copy: the length is 0", "give --length or a non-empty source"));

    // Ranges within the volumes (a destination file may grow, a destination device not).
    if (plan.srcOffset > src.sizeBytes || plan.length > src.sizeBytes - plan.srcOffset)
        return std::unexpected(Error::make(Errc::InvalidArgument, src.label,
                                           "the source range [" + std::to_string(plan.srcOffset) + ", "
                                               + std::to_string(plan.srcOffset + plan.length)
                                               + ") goes beyond its end (" + std::to_string(src.sizeBytes)
                                               + " bytes)",
                                           "give a smaller --length or --src-offset"));
    if (dst.device && (plan.dstOffset > dst.sizeBytes || plan.length > dst.sizeBytes - plan.dstOffset))
        return std::unexpected(Error::make(Errc::InvalidArgument, dst.label,
                                           "the destination is smaller than the range: "
                                               + std::to_string(plan.dstOffset + plan.length) + " bytes needed, "
                                               + std::to_string(dst.sizeBytes) + " available",
                                           "pick a larger destination or a smaller --length"));

    // Alignment to both logical block sizes.
    auto checkAligned = [&](uint64_t value, const char* what) -> Status {
        for (const CopyEndpoint* ep : {&src, &dst}) {
            if (!ep->device)
                continue;
            uint32_t bs = ep->blockSize ? ep->blockSize : 512;
            if (value % bs != 0)
                return std::unexpected(Error::make(
                    Errc::InvalidArgument, ep->label,
                    std::string(what) + " " + std::to_string(value) + " is not a multiple of the logical block size ("
                        + std::to_string(bs) + " bytes)",
                    "use multiples of " + std::to_string(bs)));
        }
        return {};
    };
    if (auto st = checkAligned(plan.srcOffset, "the source offset"); !st)
        return std::unexpected(st.error());
    if (auto st = checkAligned(plan.dstOffset, "the destination offset"); !st)
        return std::unexpected(st.error());
    if (auto st = checkAligned(plan.length, "the length"); !st)
        return std::unexpected(st.error());

    if (!dst.device)
        return intoFile(topology, plan, std::move(warnings)); // the job checks file identity and overlap with fstat

    // A file source gets the destination's checks below, as a device source does.
    const bool fileSource = !src.device;
    const std::size_t d = *dst.device;
    const std::size_t s = fileSource ? d : *src.device;
    if (s >= topology.size() || d >= topology.size())
        return std::unexpected(Error::make(Errc::Internal, {}, "the plan names a device the topology lacks",
                                           "rescan and plan again"));
    const BlockDevice& sdev = topology.at(s);
    const BlockDevice& ddev = topology.at(d);

    if (auto writable = checkDestinationWritable(topology, d, plan.dstOffset, plan.length); !writable)
        return std::unexpected(writable.error());

    // One endpoint built on the other: writing the destination would change the source.
    if (s != d && (topology.dependsOn(d, s) || topology.dependsOn(s, d)))
        return std::unexpected(Error::make(
            Errc::InvalidArgument, name(ddev),
            topology.dependsOn(d, s) ? "the destination is built on the source (" + name(sdev) + ")"
                                     : "the source (" + name(sdev) + ") is built on the destination",
            "copy between volumes that do not contain each other"));

    // Mounted or held destination (any layer above it, or a mounted layer below it).
    if (!options.force) {
        if (!ddev.mountpoints.empty())
            return std::unexpected(busy(name(ddev), "the destination is mounted on " + ddev.mountpoints.front()));
        if (!ddev.uppers.empty()) {
            std::set<std::size_t> uppers;
            collectUppers(topology, d, uppers);
            for (std::size_t u : uppers) {
                if (!topology.at(u).mountpoints.empty())
                    return std::unexpected(busy(name(ddev), "the destination is in use: " + name(topology.at(u))
                                                                + " on it is mounted on "
                                                                + topology.at(u).mountpoints.front()));
            }
            return std::unexpected(busy(name(ddev), "the destination is held by "
                                                        + name(topology.at(ddev.uppers.front()))
                                                        + " (a partition or device-mapper device on it)"));
        }
        std::set<std::size_t> lowers;
        collectLowers(topology, d, lowers);
        for (std::size_t l : lowers) {
            if (!topology.at(l).mountpoints.empty())
                return std::unexpected(busy(name(ddev), "a device under the destination (" + name(topology.at(l))
                                                            + ") is mounted on " + topology.at(l).mountpoints.front()));
        }
    } else if (!ddev.mountpoints.empty() || !ddev.uppers.empty()) {
        warnings.push_back(name(ddev) + " is in use; copying anyway because of --force");
    }

    if (fileSource) {
        // A file on a filesystem of the destination's stack: as a source built on the
        // destination, refused even with --force (the planner refuses a loop's backing file).
        const BlockDevice* holder = src.fileSystem ? topology.findByDevNum(src.fileSystem->dev) : nullptr;
        if (holder && (holder->index == d || topology.dependsOn(holder->index, d)))
            return std::unexpected(Error::make(Errc::InvalidArgument, name(ddev),
                                               "the source file " + src.file.string() + " is on " + name(*holder)
                                                   + ", which the destination holds: writing it would overwrite "
                                                     "the source",
                                               "copy the file to a device outside its filesystem's stack"));
        return warnings;
    }
    if (!sdev.mountpoints.empty())
        warnings.push_back(mountedSource(sdev));

    // Overlap, on the same device or on a leaf both stacks share.
    std::vector<Footprint> sf;
    std::vector<Footprint> df;
    if (s == d) {
        sf.push_back({s, plan.srcOffset, plan.length});
        df.push_back({d, plan.dstOffset, plan.length});
    } else {
        footprint(topology, s, plan.srcOffset, plan.length, sf);
        footprint(topology, d, plan.dstOffset, plan.length, df);
    }
    for (const Footprint& a : sf) {
        for (const Footprint& b : df) {
            if (a.device != b.device)
                continue;
            if (a.offset < b.offset + b.length && b.offset < a.offset + a.length)
                return std::unexpected(Error::make(
                    Errc::InvalidArgument, name(topology.at(a.device)),
                    "the source and destination ranges overlap on this device (bytes "
                        + std::to_string(std::max(a.offset, b.offset)) + " to "
                        + std::to_string(std::min(a.offset + a.length, b.offset + b.length)) + ")",
                    "choose ranges that do not overlap"));
        }
    }
    return warnings;
}

Status checkPassthroughTarget(const Topology& topology, std::size_t device)
{
    if (device >= topology.size())
        return std::unexpected(Error::make(Errc::Internal, {}, "passthrough to an unknown device index"));
    const BlockDevice& dev = topology.at(device);
    const bool leafKind = dev.kind == DeviceKind::NvmeNamespace || dev.kind == DeviceKind::ScsiDisk;
    if (!dev.isLeaf() || !leafKind)
        return std::unexpected(Error::make(Errc::Internal, dev.devPath(),
                                           std::string("refusing a passthrough command to a ") + toString(dev.kind)
                                               + " node: commands go to leaf namespaces and LUNs only",
                                           "this is a bug in offloadcp's plan; please report it"));
    return {};
}

} // namespace offload
