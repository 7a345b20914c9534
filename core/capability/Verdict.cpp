// SPDX-License-Identifier: GPL-2.0-or-later
#include "capability/Verdict.h"

#include "capability/LeafCopyChoice.h"
#include "topology/ExtentMapper.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>
#include <utility>

namespace offload {

namespace {

/// Bytes mapped per mapRange call: bounds memory on finely striped volumes.
constexpr uint64_t kMapWindow = uint64_t{1} << 30;

/// Offsets and lengths modulo this decide alignment for every logical block size.
constexpr uint64_t kAlignmentModulus = 65536;

/// Leaf pair and alignment residues: pieces with equal keys get the same decision.
using PairingKey = std::tuple<std::size_t, std::size_t, uint64_t, uint64_t, uint64_t>;

/// More pairs of devices than this that cannot copy between each other are summarised.
constexpr std::size_t kMaxPairReasons = 3;

const DeviceCapability* capabilityOf(const CapabilitySet& capabilities, std::size_t device)
{
    if (device >= capabilities.devices.size())
        return nullptr;
    return &capabilities.devices[device];
}

std::string percentText(uint64_t part, uint64_t total)
{
    if (total == 0)
        return "0%";
    const double share = 100.0 * static_cast<double>(part) / static_cast<double>(total);
    if (share > 0 && share < 1)
        return "<1%";
    if (share < 100 && share > 99)
        return ">99%";
    char text[16];
    std::snprintf(text, sizeof text, "%.0f%%", share);
    return text;
}

void addUnique(std::vector<std::string>& list, std::string text)
{
    if (std::find(list.begin(), list.end(), text) == list.end())
        list.push_back(std::move(text));
}

void addMechanism(OffloadVerdict& verdict, CopyMechanism mechanism)
{
    if (std::find(verdict.mechanisms.begin(), verdict.mechanisms.end(), mechanism) == verdict.mechanisms.end())
        verdict.mechanisms.push_back(mechanism);
}

void addLeaf(OffloadVerdict& verdict, std::size_t leaf)
{
    if (std::find(verdict.leaves.begin(), verdict.leaves.end(), leaf) == verdict.leaves.end())
        verdict.leaves.push_back(leaf);
}

/// Bytes that cannot be offloaded (or are unknown), grouped by where and why.
struct Obstacle {
    bool unknown = false;
    std::string text;   ///< the full sentence, device name included
    uint64_t bytes = 0;
};

class ObstacleList {
public:
    void add(bool unknown, std::string text, uint64_t bytes)
    {
        for (Obstacle& obstacle : m_items) {
            if (obstacle.unknown == unknown && obstacle.text == text) {
                obstacle.bytes += bytes;
                return;
            }
        }
        m_items.push_back(Obstacle{unknown, std::move(text), bytes});
    }
    const std::vector<Obstacle>& items() const { return m_items; }

private:
    std::vector<Obstacle> m_items;
};

/// "name: reason" unless the obstacle sits on the queried device itself.
std::string whereText(const Topology& topology, std::size_t queried, std::size_t where, const std::string& reason)
{
    if (where == queried || where >= topology.size())
        return reason;
    return displayName(topology.at(where)) + ": " + reason;
}

/// An opaque piece that stopped only because a dm table could not be read (not root, no
/// device-mapper): what lies below is unknown, not "cannot offload".
bool tableUnknown(const Topology& topology, const MappedPiece& piece)
{
    if (piece.kind != PieceKind::Opaque || piece.device >= topology.size())
        return false;
    const BlockDevice& device = topology.at(piece.device);
    return device.dm && !device.dm->tableKnown;
}

std::string unknownTableReason(const Topology& topology, const MappedPiece& piece)
{
    const DmInfo& dm = *topology.at(piece.device).dm;
    return "unknown: device-mapper table not readable" + (dm.tableError.empty() ? std::string() : " (" + dm.tableError + ")");
}

std::string pieceReason(const MappedPiece& piece)
{
    if (!piece.reason.empty())
        return piece.reason;
    switch (piece.kind) {
    case PieceKind::Zero: return "dm-zero: reads return zeros, writes are discarded; nothing to copy";
    case PieceKind::Error: return "dm-error or a hole in the table: every I/O fails";
    case PieceKind::Opaque: return "a layer a copy command cannot pass through";
    case PieceKind::Leaf: break;
    }
    return {};
}

/// Striped dm devices among `devices`: "name (N stripes, chunk C): ..." hints.
std::vector<std::string> stripeHints(const Topology& topology, const std::set<std::size_t>& devices)
{
    std::vector<std::string> hints;
    for (std::size_t index : devices) {
        const BlockDevice& device = topology.at(index);
        if (!device.dm)
            continue;
        for (const DmSegment& segment : device.dm->table) {
            if (segment.target != "striped")
                continue;
            // params: <#stripes> <chunk sectors> <dev> <offset> ...
            uint64_t stripes = 0;
            uint64_t chunkSectors = 0;
            const std::string& params = segment.params;
            const char* cursor = params.data();
            const char* end = params.data() + params.size();
            auto first = std::from_chars(cursor, end, stripes);
            if (first.ec == std::errc{} && first.ptr < end)
                std::from_chars(first.ptr + 1, end, chunkSectors);
            if (stripes == 0 || chunkSectors == 0)
                continue;
            addUnique(hints, displayName(device) + " (dm-striped, " + std::to_string(stripes) + " stripes of "
                                 + formatBytes(chunkSectors * 512) + "): only copies whose source and destination "
                                 + "offsets are congruent modulo the stripe width ("
                                 + formatBytes(stripes * chunkSectors * 512) + ") stay on one device");
        }
    }
    return hints;
}

LeafPairing pairingOf(const LeafCopyChoice& choice)
{
    LeafPairing pairing;
    switch (choice.outcome) {
    case LeafCopyChoice::Outcome::Offload:
        pairing.verdict = Verdict::Full;
        pairing.mechanism = choice.mechanism;
        pairing.reason = choice.caveat;
        break;
    case LeafCopyChoice::Outcome::HostCopy:
        pairing.verdict = Verdict::None;
        pairing.reason = choice.reason;
        break;
    case LeafCopyChoice::Outcome::Unknown:
        pairing.verdict = Verdict::Unknown;
        pairing.reason = choice.reason;
        break;
    }
    return pairing;
}

/// Judges pairs of distinct offloadable leaves; returns whether any pair cannot copy.
bool judgeLeafPairs(const Topology& topology, const CapabilitySet& capabilities,
                    const std::vector<std::size_t>& leaves, std::vector<std::string>& problems, std::vector<std::string>& caveats)
{
    std::size_t failedPairs = 0;
    for (std::size_t i = 0; i < leaves.size(); ++i) {
        for (std::size_t j = i + 1; j < leaves.size(); ++j) {
            for (auto [from, to] : {std::pair{leaves[i], leaves[j]}, std::pair{leaves[j], leaves[i]}}) {
                const LeafPairing pairing = pairLeaves(topology, capabilities, from, to);
                if (pairing.verdict == Verdict::Full) {
                    if (!pairing.reason.empty()) {
                        addUnique(caveats, pairing.reason);
                        break; // one caveat per pair of devices
                    }
                    continue;
                }
                ++failedPairs;
                if (problems.size() < kMaxPairReasons)
                    addUnique(problems, "copies between " + displayName(topology.at(leaves[i])) + " and "
                                            + displayName(topology.at(leaves[j])) + " cannot offload: " + pairing.reason);
                break; // one direction is enough to report the pair
            }
        }
    }
    if (failedPairs > problems.size())
        problems.push_back("and " + std::to_string(failedPairs - problems.size())
                           + " more pairs of its devices cannot copy between each other");
    return failedPairs > 0;
}

/// Fills verdict, and the reasons in the order: unknowns, obstacles, pair problems, caveats.
void conclude(OffloadVerdict& result, const ObstacleList& obstacles, bool pairProblem,
              std::vector<std::string> pairProblems, std::vector<std::string> hints,
              std::vector<std::string> caveats, const std::string& fullReason)
{
    if (result.unknownBytes > 0)
        result.verdict = Verdict::Unknown;
    else if (result.offloadableBytes == result.totalBytes && !pairProblem)
        result.verdict = Verdict::Full;
    else if (result.offloadableBytes == 0)
        result.verdict = Verdict::None;
    else
        result.verdict = Verdict::Partial;

    const bool mixed = obstacles.items().size() > 1 || result.offloadableBytes > 0;
    for (bool unknownFirst : {true, false}) {
        for (const Obstacle& obstacle : obstacles.items()) {
            if (obstacle.unknown != unknownFirst)
                continue;
            std::string text = obstacle.text;
            if (mixed)
                text += " (" + formatBytes(obstacle.bytes) + ", " + percentText(obstacle.bytes, result.totalBytes) + ")";
            addUnique(result.reasons, std::move(text));
        }
    }
    if (pairProblem) {
        for (std::string& problem : pairProblems)
            addUnique(result.reasons, std::move(problem));
        for (std::string& hint : hints)
            addUnique(result.reasons, std::move(hint));
    }
    if (result.verdict == Verdict::Full && !fullReason.empty())
        addUnique(result.reasons, fullReason);
    if (result.offloadableBytes > 0) {
        for (std::string& caveat : caveats)
            addUnique(result.reasons, std::move(caveat));
    }
}

std::string leafList(const Topology& topology, const std::vector<std::size_t>& leaves)
{
    std::string text;
    for (std::size_t leaf : leaves) {
        if (!text.empty())
            text += ", ";
        text += topology.at(leaf).label();
    }
    return text;
}

std::string mechanismList(const std::vector<CopyMechanism>& mechanisms)
{
    std::string text;
    for (CopyMechanism mechanism : mechanisms) {
        if (!text.empty())
            text += " and ";
        text += mechanismText(mechanism);
    }
    return text;
}

} // namespace

const char* toString(Verdict verdict)
{
    switch (verdict) {
    case Verdict::Full: return "full";
    case Verdict::Partial: return "partial";
    case Verdict::None: return "none";
    case Verdict::Unknown: return "unknown";
    }
    return "unknown";
}

double OffloadVerdict::offloadableShare() const
{
    if (totalBytes == 0)
        return 0.0;
    return static_cast<double>(offloadableBytes) / static_cast<double>(totalBytes);
}

std::string formatBytes(uint64_t bytes)
{
    static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    std::size_t unit = 0;
    uint64_t whole = bytes;
    while (whole >= 1024 && unit + 1 < std::size(units)) {
        whole /= 1024;
        ++unit;
    }
    if (unit == 0)
        return std::to_string(bytes) + " B";
    const double value = static_cast<double>(bytes) / static_cast<double>(uint64_t{1} << (10 * unit));
    char text[32];
    if (value == static_cast<double>(whole))
        std::snprintf(text, sizeof text, "%llu %s", static_cast<unsigned long long>(whole), units[unit]);
    else
        std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
    return text;
}

LeafPairing pairLeaves(const Topology& topology, const CapabilitySet& capabilities, std::size_t source,
                       std::size_t destination)
{
    LeafExtentPair extents;
    extents.srcLeaf = source;
    extents.dstLeaf = destination;
    return pairingOf(chooseLeafCopy(topology, capabilities, extents));
}

OffloadVerdict volumeVerdict(const Topology& topology, const CapabilitySet& capabilities, std::size_t device)
{
    OffloadVerdict result;
    const BlockDevice& volume = topology.at(device);
    result.totalBytes = volume.sizeBytes;
    if (volume.sizeBytes == 0) {
        result.verdict = Verdict::None;
        if (volume.loop && volume.loop->backingFile.empty())
            result.reasons.push_back("no backing file attached (size 0): nothing to copy");
        else
            result.reasons.push_back("size 0: nothing to copy");
        return result;
    }

    ObstacleList obstacles;
    std::map<std::size_t, LeafCopyChoice> withinLeaf;
    std::vector<std::pair<std::size_t, uint64_t>> offloadableLeaves; // leaf, bytes
    std::set<std::size_t> layers;
    for (uint64_t offset = 0; offset < volume.sizeBytes; offset += kMapWindow) {
        const uint64_t length = std::min(kMapWindow, volume.sizeBytes - offset);
        auto pieces = mapRange(topology, device, offset, length);
        if (!pieces) {
            OffloadVerdict failed;
            failed.totalBytes = volume.sizeBytes;
            failed.unknownBytes = volume.sizeBytes;
            failed.verdict = Verdict::Unknown;
            failed.reasons.push_back("unknown: cannot map the volume: " + pieces.error().message());
            return failed;
        }
        for (const MappedPiece& piece : *pieces) {
            layers.insert(piece.path.begin(), piece.path.end());
            if (tableUnknown(topology, piece)) {
                result.unknownBytes += piece.length;
                obstacles.add(true, whereText(topology, device, piece.device, unknownTableReason(topology, piece)),
                              piece.length);
                continue;
            }
            if (piece.kind != PieceKind::Leaf) {
                obstacles.add(false, whereText(topology, device, piece.device, pieceReason(piece)), piece.length);
                continue;
            }
            addLeaf(result, piece.device);
            const DeviceCapability* capability = capabilityOf(capabilities, piece.device);
            const BlockDevice& leaf = topology.at(piece.device);
            const std::string unprobed = unprobedReason(capability);
            if (!unprobed.empty()) {
                result.unknownBytes += piece.length;
                obstacles.add(true, whereText(topology, device, piece.device, unprobed), piece.length);
                continue;
            }
            if (capability->mechanism == CopyMechanism::None) {
                obstacles.add(false, whereText(topology, device, piece.device, noCopyReason(leaf, *capability)),
                              piece.length);
                continue;
            }
            // Copies within this leaf: the decision the planner makes (zoned, limits of 0, PI).
            auto within = withinLeaf.find(piece.device);
            if (within == withinLeaf.end()) {
                LeafExtentPair extents;
                extents.srcLeaf = piece.device;
                extents.dstLeaf = piece.device;
                within = withinLeaf.emplace(piece.device, chooseLeafCopy(topology, capabilities, extents)).first;
            }
            if (!within->second.offloads()) {
                const bool unknownChoice = within->second.outcome == LeafCopyChoice::Outcome::Unknown;
                if (unknownChoice)
                    result.unknownBytes += piece.length;
                obstacles.add(unknownChoice, within->second.reason, piece.length);
                continue;
            }
            result.offloadableBytes += piece.length;
            addMechanism(result, capability->mechanism);
            auto known = std::find_if(offloadableLeaves.begin(), offloadableLeaves.end(),
                                      [&](const auto& entry) { return entry.first == piece.device; });
            if (known == offloadableLeaves.end())
                offloadableLeaves.emplace_back(piece.device, piece.length);
            else
                known->second += piece.length;
        }
    }

    std::vector<std::size_t> leaves;
    for (const auto& entry : offloadableLeaves)
        leaves.push_back(entry.first);
    std::vector<std::string> pairProblems;
    std::vector<std::string> caveats;
    const bool pairProblem = judgeLeafPairs(topology, capabilities, leaves, pairProblems, caveats);
    for (std::size_t leaf : leaves) {
        if (!withinLeaf.at(leaf).caveat.empty())
            addUnique(caveats, withinLeaf.at(leaf).caveat);
    }
    const bool limited = pairProblem;

    std::string fullReason;
    if (leaves.size() == 1 && leaves.front() == device) {
        const DeviceCapability& capability = capabilities.at(device);
        if (capability.mechanism == CopyMechanism::NvmeCopy)
            fullReason = "NVMe Copy within this namespace";
        else
            fullReason = "SCSI EXTENDED COPY within this LUN"
                         + (volume.scsi && !volume.scsi->targetId.empty()
                                ? " and to LUNs of target " + volume.scsi->targetId
                                : std::string());
    } else if (leaves.size() == 1) {
        fullReason = "maps entirely to " + topology.at(leaves.front()).label() + ", which supports "
                     + mechanismList(result.mechanisms);
    } else if (!leaves.empty()) {
        fullReason = "maps to " + std::to_string(leaves.size()) + " devices that can copy between each other: "
                     + leafList(topology, leaves);
    }
    conclude(result, obstacles, limited, std::move(pairProblems), pairProblem ? stripeHints(topology, layers)
                                                                              : std::vector<std::string>{},
             std::move(caveats), fullReason);
    return result;
}

OffloadVerdict pairVerdict(const Topology& topology, const CapabilitySet& capabilities, std::size_t source,
                           std::size_t destination)
{
    OffloadVerdict result;
    const BlockDevice& src = topology.at(source);
    const BlockDevice& dst = topology.at(destination);
    result.totalBytes = src.sizeBytes;
    result.verdict = Verdict::None;
    if (source == destination) {
        result.reasons.push_back("source and destination are the same device (" + src.devPath() + ")");
        return result;
    }
    if (topology.dependsOn(destination, source)) {
        result.reasons.push_back("destination " + dst.devPath() + " is built on the source " + src.devPath()
                                 + ": writing it would overwrite the source");
        return result;
    }
    if (topology.dependsOn(source, destination)) {
        result.reasons.push_back("source " + src.devPath() + " is built on the destination " + dst.devPath()
                                 + ": writing the destination would overwrite the source");
        return result;
    }
    if (dst.sizeBytes < src.sizeBytes) {
        result.reasons.push_back("destination " + dst.devPath() + " (" + formatBytes(dst.sizeBytes)
                                 + ") is smaller than the source " + src.devPath() + " ("
                                 + formatBytes(src.sizeBytes) + ")");
        return result;
    }
    if (src.sizeBytes == 0) {
        result.reasons.push_back("source " + src.devPath() + " is empty (size 0): nothing to copy");
        return result;
    }

    ObstacleList obstacles;
    std::vector<std::string> caveats;
    std::map<PairingKey, LeafPairing> pairings;
    for (uint64_t offset = 0; offset < src.sizeBytes; offset += kMapWindow) {
        const uint64_t length = std::min(kMapWindow, src.sizeBytes - offset);
        auto srcPieces = mapRange(topology, source, offset, length);
        auto dstPieces = mapRange(topology, destination, offset, length);
        if (!srcPieces || !dstPieces) {
            OffloadVerdict failed;
            failed.totalBytes = src.sizeBytes;
            failed.unknownBytes = src.sizeBytes;
            failed.verdict = Verdict::Unknown;
            failed.reasons.push_back("unknown: cannot map "
                                     + (srcPieces ? "the destination: " + dstPieces.error().message()
                                                  : "the source: " + srcPieces.error().message()));
            return failed;
        }
        std::size_t i = 0;
        std::size_t j = 0;
        uint64_t usedInSrc = 0; // bytes of (*srcPieces)[i] already walked
        uint64_t usedInDst = 0;
        while (i < srcPieces->size() && j < dstPieces->size()) {
            const MappedPiece& sp = (*srcPieces)[i];
            const MappedPiece& dp = (*dstPieces)[j];
            const uint64_t span = std::min(sp.length - usedInSrc, dp.length - usedInDst);
            if (span == 0) { // defensive: an empty piece
                if (sp.length == usedInSrc) { ++i; usedInSrc = 0; }
                if (dp.length == usedInDst) { ++j; usedInDst = 0; }
                continue;
            }
            if (tableUnknown(topology, sp) || tableUnknown(topology, dp)) {
                const MappedPiece& piece = tableUnknown(topology, sp) ? sp : dp;
                result.unknownBytes += span;
                obstacles.add(true, whereText(topology, topology.size(), piece.device, unknownTableReason(topology, piece)),
                              span);
            } else if (sp.kind != PieceKind::Leaf) {
                obstacles.add(false, "source " + whereText(topology, topology.size(), sp.device, pieceReason(sp)), span);
            } else if (dp.kind != PieceKind::Leaf) {
                obstacles.add(false, "destination " + whereText(topology, topology.size(), dp.device, pieceReason(dp)),
                              span);
            } else {
                addLeaf(result, sp.device);
                addLeaf(result, dp.device);
                // The planner's decision for this piece; alignment matters only modulo the block
                // size (a power of two up to 64 KiB), so pieces at aligned offsets share one answer.
                LeafExtentPair extents;
                extents.srcLeaf = sp.device;
                extents.dstLeaf = dp.device;
                extents.srcOffset = sp.deviceOffset + usedInSrc;
                extents.dstOffset = dp.deviceOffset + usedInDst;
                extents.length = span;
                const PairingKey key{sp.device, dp.device, extents.srcOffset % kAlignmentModulus,
                                     extents.dstOffset % kAlignmentModulus, span % kAlignmentModulus};
                auto found = pairings.find(key);
                if (found == pairings.end())
                    found = pairings.emplace(key, pairingOf(chooseLeafCopy(topology, capabilities, extents))).first;
                const LeafPairing& pairing = found->second;
                if (pairing.verdict == Verdict::Full) {
                    result.offloadableBytes += span;
                    addMechanism(result, pairing.mechanism);
                    if (!pairing.reason.empty())
                        addUnique(caveats, pairing.reason);
                } else if (pairing.verdict == Verdict::Unknown) {
                    result.unknownBytes += span;
                    obstacles.add(true, pairing.reason, span);
                } else {
                    obstacles.add(false, pairing.reason, span);
                }
            }
            usedInSrc += span;
            usedInDst += span;
            if (usedInSrc == sp.length) { ++i; usedInSrc = 0; }
            if (usedInDst == dp.length) { ++j; usedInDst = 0; }
        }
    }

    std::string fullReason;
    if (!result.mechanisms.empty())
        fullReason = "every byte maps to devices that can copy between each other with "
                     + mechanismList(result.mechanisms) + ": " + leafList(topology, result.leaves);
    conclude(result, obstacles, false, {}, {}, std::move(caveats), fullReason);
    return result;
}

} // namespace offload
