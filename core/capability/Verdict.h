// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "capability/Capability.h"
#include "topology/Topology.h"

#include <cstdint>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

namespace offload {

/// How much of a copy the storage devices can do themselves, end to end.
enum class Verdict {
    Full,     ///< every byte can be offloaded
    Partial,  ///< some bytes can, others need a host copy (or only some offsets line up)
    None,     ///< no byte can be offloaded
    Unknown,  ///< a device that matters could not be probed (typically: needs root)
};
/// "full", "partial", "none", "unknown".
const char* toString(Verdict verdict);

/// The answer for one volume (copies within it) or one source/destination pair.
/// `reasons` are complete sentences meant for an admin: what stops the offload, where,
/// and for which share of the bytes; for Full they say what makes it work and any caveat.
struct OffloadVerdict {
    Verdict verdict = Verdict::Unknown;
    std::vector<CopyMechanism> mechanisms; ///< mechanisms the offloadable bytes use, in order of first use
    uint64_t totalBytes = 0;               ///< bytes considered (the volume, or the source)
    uint64_t offloadableBytes = 0;         ///< volume: bytes on leaves with a usable copy command; pair: bytes whose source and destination leaves can copy between each other
    uint64_t unknownBytes = 0;             ///< bytes on devices that were not probed
    std::vector<std::string> reasons;
    std::vector<std::size_t> leaves;       ///< leaf devices the bytes land on, in order of first use

    /// offloadableBytes / totalBytes in [0, 1]; 0 for an empty volume.
    double offloadableShare() const;
};

/// Whether the copy command of one leaf device can move data to another (or within one).
struct LeafPairing {
    Verdict verdict = Verdict::Unknown;    ///< Full (can copy), None or Unknown
    CopyMechanism mechanism = CopyMechanism::None;
    std::string reason;                    ///< why not; for Full, a caveat or empty
};

/// Can `source` leaf copy to `destination` leaf with a device copy command? The planner's
/// decision (chooseLeafCopy) for a copy of any aligned range: Full when it would offload
/// (reason: its caveat), None when it would read/write, Unknown when that is because a
/// device was not probed or the kernel's cross-namespace policy is unknown
/// (CapabilitySet::host). Pure.
LeafPairing pairLeaves(const Topology& topology, const CapabilitySet& capabilities,
                       std::size_t source, std::size_t destination);

/// The verdict for copies within `device` (a leaf, partition or device-mapper volume at
/// any depth): maps the whole volume with mapRange and judges every piece. Pure; maps in
/// windows so a finely striped volume does not hold all its pieces at once.
OffloadVerdict volumeVerdict(const Topology& topology, const CapabilitySet& capabilities,
                             std::size_t device);

/// The verdict for copying all of `source` onto `destination` at the same offsets
/// (what `offloadcp copy SRC DST` does by default): each piece judged by chooseLeafCopy, as
/// planCopy does, so the offloadable bytes are the bytes such a plan offloads. Pure.
OffloadVerdict pairVerdict(const Topology& topology, const CapabilitySet& capabilities,
                           std::size_t source, std::size_t destination);

/// "256 GiB", "512 B", "1.5 MiB": binary units, at most one decimal.
std::string formatBytes(uint64_t bytes);

} // namespace offload
