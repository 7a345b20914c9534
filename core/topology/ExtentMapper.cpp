// SPDX-License-Identifier: GPL-2.0-or-later
#include "topology/ExtentMapper.h"

#include <charconv>
#include <limits>
#include <sstream>

namespace offload {

namespace {

constexpr uint64_t kSector = 512;

std::vector<std::string> splitWords(const std::string& text)
{
    std::vector<std::string> words;
    std::istringstream in(text);
    std::string word;
    while (in >> word)
        words.push_back(word);
    return words;
}

std::optional<uint64_t> parseU64(const std::string& text)
{
    uint64_t value = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || ptr != end)
        return std::nullopt;
    return value;
}

/// One place a dm target sends a byte range: a lower device and a byte offset on it.
struct Target {
    std::size_t device = 0;
    uint64_t offset = 0; ///< bytes on `device`
};

class Mapper {
public:
    explicit Mapper(const Topology& topology) : m_topology(topology) {}

    Status map(std::size_t device, uint64_t offset, uint64_t length, std::vector<std::size_t> path,
               std::vector<MappedPiece>& out, uint64_t queriedOffset);

private:
    Result<std::size_t> resolve(const BlockDevice& dm, const std::string& arg) const;
    Result<Target> resolveWithOffset(const BlockDevice& dm, const std::string& devArg,
                                     const std::string& sectorArg) const;
    Status mapDm(const BlockDevice& dev, uint64_t offset, uint64_t length,
                 const std::vector<std::size_t>& path, std::vector<MappedPiece>& out,
                 uint64_t queriedOffset);
    Status mapSegment(const BlockDevice& dev, const DmSegment& seg, uint64_t inSeg, uint64_t length,
                      const std::vector<std::size_t>& path, std::vector<MappedPiece>& out,
                      uint64_t queriedOffset, uint64_t dmOffset);
    Error tableError(const BlockDevice& dev, const DmSegment& seg, const std::string& why) const
    {
        return Error::make(Errc::Corrupt, dev.devPath(),
                           "cannot interpret the " + seg.target + " table segment at sector " +
                               std::to_string(seg.start) + " (\"" + seg.params + "\"): " + why,
                           "check `dmsetup table " + (dev.dm ? dev.dm->name : dev.name) + "`");
    }

    static void stop(std::vector<MappedPiece>& out, PieceKind kind, std::size_t device,
                     uint64_t queriedOffset, uint64_t deviceOffset, uint64_t length,
                     const std::vector<std::size_t>& path, std::string reason)
    {
        MappedPiece piece;
        piece.offset = queriedOffset;
        piece.length = length;
        piece.kind = kind;
        piece.device = device;
        piece.deviceOffset = deviceOffset;
        piece.reason = std::move(reason);
        piece.path = path;
        out.push_back(std::move(piece));
    }

    const Topology& m_topology;
    int m_depth = 0;
};

Result<std::size_t> Mapper::resolve(const BlockDevice& dm, const std::string& arg) const
{
    const BlockDevice* lower = nullptr;
    if (auto devnum = DevNum::parse(arg))
        lower = m_topology.findByDevNum(*devnum);
    else
        lower = m_topology.find(arg);
    if (!lower)
        return std::unexpected(Error::make(Errc::NotFound, dm.devPath(),
                                           "its table refers to device " + arg +
                                               ", which is not in the scanned topology",
                                           "rescan; the stack may have changed"));
    return lower->index;
}

Result<Target> Mapper::resolveWithOffset(const BlockDevice& dm, const std::string& devArg,
                                         const std::string& sectorArg) const
{
    auto lower = resolve(dm, devArg);
    if (!lower)
        return std::unexpected(lower.error());
    auto sectors = parseU64(sectorArg);
    if (!sectors || *sectors > std::numeric_limits<uint64_t>::max() / kSector)
        return std::unexpected(Error::make(Errc::Corrupt, dm.devPath(),
                                           "bad sector offset \"" + sectorArg + "\" in its table"));
    return Target{*lower, *sectors * kSector};
}

Status Mapper::map(std::size_t device, uint64_t offset, uint64_t length, std::vector<std::size_t> path,
                   std::vector<MappedPiece>& out, uint64_t queriedOffset)
{
    const BlockDevice& dev = m_topology.at(device);
    path.push_back(device);
    if (++m_depth > 64) {
        --m_depth;
        return std::unexpected(Error::make(Errc::Corrupt, dev.devPath(),
                                           "the device stack is deeper than 64 layers (a cycle?)"));
    }
    struct DepthGuard {
        int& depth;
        ~DepthGuard() { --depth; }
    } guard{m_depth};

    if (dev.sizeBytes != 0 && (offset > dev.sizeBytes || length > dev.sizeBytes - offset))
        return std::unexpected(Error::make(
            Errc::Corrupt, dev.devPath(),
            "a layer above maps bytes " + std::to_string(offset) + "+" + std::to_string(length) +
                " beyond its end (" + std::to_string(dev.sizeBytes) + " bytes)",
            "the stack changed during the scan or a table is wrong; rescan"));

    if (dev.partition) {
        if (dev.lowers.empty())
            return std::unexpected(Error::make(Errc::Corrupt, dev.devPath(),
                                               "partition without a parent disk in the topology"));
        const uint64_t start = dev.partition->startSector;
        if (start > std::numeric_limits<uint64_t>::max() / kSector
            || offset > std::numeric_limits<uint64_t>::max() - start * kSector)
            return std::unexpected(Error::make(Errc::Corrupt, dev.devPath(),
                                               "the partition starts at sector " + std::to_string(start)
                                                   + ", beyond byte 2^64",
                                               "the partition table or a captured `start` attribute is wrong"));
        return map(dev.lowers.front(), offset + start * kSector, length, std::move(path), out, queriedOffset);
    }
    if (dev.dm)
        return mapDm(dev, offset, length, path, out, queriedOffset);
    if (!dev.lowers.empty()) {
        // A stacking driver we do not read (md, bcache, ...): stop here and say so.
        std::string what = dev.driverHint.empty() ? std::string("this stacking driver") : dev.driverHint;
        stop(out, PieceKind::Opaque, device, queriedOffset, offset, length, path,
             what + ": offloadcp does not map ranges through it");
        return {};
    }
    stop(out, PieceKind::Leaf, device, queriedOffset, offset, length, path, {});
    return {};
}

Status Mapper::mapDm(const BlockDevice& dev, uint64_t offset, uint64_t length,
                     const std::vector<std::size_t>& path, std::vector<MappedPiece>& out,
                     uint64_t queriedOffset)
{
    const DmInfo& dm = *dev.dm;
    if (!dm.tableKnown) {
        stop(out, PieceKind::Opaque, dev.index, queriedOffset, offset, length, path,
             "device-mapper table unknown" + (dm.tableError.empty() ? std::string() : ": " + dm.tableError));
        return {};
    }
    // Sectors are counted in 64 bits, so a segment may end beyond byte 2^64: in bytes it would
    // wrap round to the start of the device.
    constexpr uint64_t kMaxSectors = std::numeric_limits<uint64_t>::max() / kSector;
    for (const auto& seg : dm.table)
        if (seg.start > kMaxSectors || seg.length > kMaxSectors - seg.start)
            return std::unexpected(tableError(dev, seg, "the segment ends beyond byte 2^64"));
    uint64_t pos = offset;
    const uint64_t end = offset + length;
    while (pos < end) {
        const DmSegment* seg = nullptr;
        uint64_t nextStart = std::numeric_limits<uint64_t>::max();
        for (const auto& candidate : dm.table) {
            const uint64_t segStart = candidate.start * kSector;
            const uint64_t segEnd = segStart + candidate.length * kSector;
            if (pos >= segStart && pos < segEnd) {
                seg = &candidate;
                break;
            }
            if (segStart > pos && segStart < nextStart)
                nextStart = segStart;
        }
        if (!seg) {
            const uint64_t holeEnd = std::min(end, nextStart);
            stop(out, PieceKind::Error, dev.index, queriedOffset + (pos - offset), pos, holeEnd - pos, path,
                 "not mapped by the device-mapper table: I/O there fails");
            pos = holeEnd;
            continue;
        }
        const uint64_t segStart = seg->start * kSector;
        const uint64_t segEnd = segStart + seg->length * kSector;
        const uint64_t pieceEnd = std::min(end, segEnd);
        if (auto st = mapSegment(dev, *seg, pos - segStart, pieceEnd - pos, path, out,
                                 queriedOffset + (pos - offset), pos);
            !st)
            return st;
        pos = pieceEnd;
    }
    return {};
}

Status Mapper::mapSegment(const BlockDevice& dev, const DmSegment& seg, uint64_t inSeg, uint64_t length,
                          const std::vector<std::size_t>& path, std::vector<MappedPiece>& out,
                          uint64_t queriedOffset, uint64_t dmOffset)
{
    const auto args = splitWords(seg.params);
    const std::string& target = seg.target;

    if (target == "linear" || target == "delay" || target == "flakey") {
        // linear: <dev> <offset>; delay/flakey: <dev> <offset> ... (first device carries reads)
        if (args.size() < 2)
            return std::unexpected(tableError(dev, seg, "expected <device> <offset>"));
        auto lower = resolveWithOffset(dev, args[0], args[1]);
        if (!lower)
            return std::unexpected(lower.error());
        return map(lower->device, lower->offset + inSeg, length, path, out, queriedOffset);
    }
    if (target == "striped") {
        // striped <n> <chunk_sectors> <dev0> <off0> <dev1> <off1> ...
        if (args.size() < 2)
            return std::unexpected(tableError(dev, seg, "expected <stripes> <chunk size>"));
        auto stripes = parseU64(args[0]);
        auto chunkSectors = parseU64(args[1]);
        if (!stripes || !chunkSectors || *stripes == 0 || *chunkSectors == 0 || *stripes > 1024 ||
            args.size() != 2 + 2 * *stripes)
            return std::unexpected(tableError(dev, seg, "bad stripe count, chunk size or device list"));
        std::vector<Target> members;
        for (uint64_t i = 0; i < *stripes; ++i) {
            auto member = resolveWithOffset(dev, args[2 + 2 * i], args[3 + 2 * i]);
            if (!member)
                return std::unexpected(member.error());
            members.push_back(*member);
        }
        const uint64_t chunk = *chunkSectors * kSector;
        uint64_t pos = inSeg;
        const uint64_t end = inSeg + length;
        while (pos < end) {
            const uint64_t chunkIndex = pos / chunk;
            const uint64_t withinChunk = pos % chunk;
            const uint64_t pieceLength = std::min(end - pos, chunk - withinChunk);
            const Target& member = members[chunkIndex % *stripes];
            const uint64_t memberOffset = member.offset + (chunkIndex / *stripes) * chunk + withinChunk;
            if (auto st = map(member.device, memberOffset, pieceLength, path, out,
                              queriedOffset + (pos - inSeg));
                !st)
                return st;
            pos += pieceLength;
        }
        return {};
    }
    if (target == "multipath") {
        // <#features> <features...> <#hw args> <hw...> <#groups> <initial group>
        // then per group: <selector> <#selector args> <args...> <#paths> <#path args>
        // <path> <path args...> ... Every path reaches the same LUN: take the first.
        std::size_t i = 0;
        auto skipCounted = [&]() -> bool {
            if (i >= args.size())
                return false;
            auto n = parseU64(args[i]);
            if (!n || *n > args.size())
                return false;
            i += 1 + *n;
            return i <= args.size();
        };
        if (!skipCounted() || !skipCounted())
            return std::unexpected(tableError(dev, seg, "bad feature or hardware handler list"));
        if (i + 2 > args.size())
            return std::unexpected(tableError(dev, seg, "missing priority groups"));
        auto groups = parseU64(args[i]);
        i += 2; // <#groups> <initial group>
        if (!groups || *groups == 0) {
            stop(out, PieceKind::Error, dev.index, queriedOffset, dmOffset, length, path,
                 "dm-multipath without any path: I/O fails");
            return {};
        }
        ++i; // selector name
        if (!skipCounted() || i + 2 > args.size())
            return std::unexpected(tableError(dev, seg, "bad path selector arguments"));
        auto paths = parseU64(args[i]);
        if (!paths || *paths == 0 || i + 2 >= args.size())
            return std::unexpected(tableError(dev, seg, "first priority group has no path"));
        auto lower = resolve(dev, args[i + 2]);
        if (!lower)
            return std::unexpected(lower.error());
        return map(*lower, inSeg, length, path, out, queriedOffset);
    }
    if (target == "zero") {
        stop(out, PieceKind::Zero, dev.index, queriedOffset, dmOffset, length, path,
             dmTargetOpacityReason(target));
        return {};
    }
    if (target == "error") {
        stop(out, PieceKind::Error, dev.index, queriedOffset, dmOffset, length, path,
             dmTargetOpacityReason(target));
        return {};
    }
    stop(out, PieceKind::Opaque, dev.index, queriedOffset, dmOffset, length, path,
         dmTargetOpacityReason(target));
    return {};
}

} // namespace

const char* toString(PieceKind kind)
{
    switch (kind) {
    case PieceKind::Leaf: return "leaf";
    case PieceKind::Opaque: return "opaque";
    case PieceKind::Zero: return "zero";
    case PieceKind::Error: return "error";
    }
    return "unknown";
}

std::string dmTargetOpacityReason(const std::string& target)
{
    if (target == "linear" || target == "striped" || target == "multipath" || target == "delay" ||
        target == "flakey")
        return {};
    if (target == "crypt")
        return "dm-crypt: the IV is derived from the sector, so ciphertext moved to another sector "
               "decrypts to garbage";
    if (target == "integrity")
        return "dm-integrity: integrity tags are interleaved with the data and the checksum mixes "
               "in the sector";
    if (target == "verity")
        return "dm-verity: read-only, and an offloaded read would skip hash verification";
    if (target == "thin" || target == "thin-pool")
        return "dm-" + target + ": the mapping lives in the pool metadata; writes allocate blocks "
               "or break sharing";
    if (target == "snapshot" || target == "snapshot-origin" || target == "snapshot-merge")
        return "dm-" + target + ": copy-on-write exception store";
    if (target == "mirror")
        return "dm-mirror: every leg must be written";
    if (target == "raid")
        return "dm-raid: every leg or the parity must be written";
    if (target == "cache" || target == "writecache")
        return "dm-" + target + ": dirty data lives on the cache device";
    if (target == "era")
        return "dm-era: it records which blocks are written, so writes must pass through it";
    if (target == "vdo")
        return "dm-vdo: data is deduplicated and compressed; the mapping lives in VDO's metadata";
    if (target == "zero")
        return "dm-zero: reads return zeros (a copy from it can write zeroes instead)";
    if (target == "error")
        return "dm-error: every I/O fails";
    return "dm-" + target + ": a device-mapper target offloadcp does not map through";
}

Result<std::vector<MappedPiece>> mapRange(const Topology& topology, std::size_t device,
                                          uint64_t offset, uint64_t length)
{
    if (device >= topology.size())
        return std::unexpected(Error::invalid("no device with index " + std::to_string(device)));
    const BlockDevice& dev = topology.at(device);
    if (offset > dev.sizeBytes || length > dev.sizeBytes - offset)
        return std::unexpected(Error::make(
            Errc::InvalidArgument, dev.devPath(),
            "range " + std::to_string(offset) + "+" + std::to_string(length) +
                " bytes exceeds the device size (" + std::to_string(dev.sizeBytes) + " bytes)",
            "choose a range inside the device"));
    std::vector<MappedPiece> pieces;
    if (length == 0)
        return pieces;
    Mapper mapper(topology);
    if (auto st = mapper.map(device, offset, length, {}, pieces, offset); !st)
        return std::unexpected(st.error());
    return pieces;
}

} // namespace offload
