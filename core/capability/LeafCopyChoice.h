// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "capability/Capability.h"
#include "topology/Topology.h"

#include <cstdint>
#include <string>

namespace offload {

/// Two equally long ranges on leaf devices (NVMe namespaces, SCSI LUNs, loop devices, ...):
/// where a piece of a copy is read and where it is written, below every partition and dm layer.
struct LeafExtentPair {
    std::size_t srcLeaf = 0;
    std::size_t dstLeaf = 0;
    uint64_t srcOffset = 0; ///< bytes on srcLeaf
    uint64_t dstOffset = 0; ///< bytes on dstLeaf
    /// Bytes; 0 judges the two devices for a copy of any block-aligned range (no alignment check).
    uint64_t length = 0;
};

/// What the caller asks for beyond the devices and the host.
struct LeafCopyOptions {
    /// Plan cross-namespace NVMe Copy where the controller supports it even when the host
    /// policy (CapabilitySet::host) refuses or does not know (`--cross-namespace`). The
    /// engine still asks the controller and falls back to read/write if enabling is refused.
    bool forceCrossNamespace = false;
};

/// The method for one pair of leaf extents and why.
struct LeafCopyChoice {
    enum class Outcome {
        Offload,  ///< the device copies it: `mechanism` with `nvmeFormat`
        HostCopy, ///< read/write; `reason` says why
        Unknown,  ///< read/write, because something that matters is unknown (a device not probed, the kernel)
    };
    Outcome outcome = Outcome::HostCopy;
    CopyMechanism mechanism = CopyMechanism::None; ///< for Offload
    uint8_t nvmeFormat = 0;                        ///< NVMe Copy descriptor format: 0, or 2 across namespaces
    std::string reason;  ///< why this method: a sentence naming the devices
    std::string caveat;  ///< for Offload: what an admin should know (empty: nothing), e.g. a controller setting we change
    bool offloads() const { return outcome == Outcome::Offload; }
};

/// The one decision, shared by the planner (planCopy) and the verdicts (report, app): can the
/// source leaf's copy command move this extent to the destination leaf, and with what.
/// Checks, in order: probed, a copy mechanism on both, the same mechanism, equal logical
/// block sizes, a host-managed zoned destination, then per mechanism: NVMe (LBA formats,
/// MCL/MSSRL of 0, protection information, alignment, same namespace, or one controller
/// with copy format 2 and the host policy for cross-namespace copy) or SCSI (one target,
/// NAA designators, 3PC, block sizes, copy manager limits, alignment). Pure.
LeafCopyChoice chooseLeafCopy(const Topology& topology, const CapabilitySet& capabilities,
                              const LeafExtentPair& extents, const LeafCopyOptions& options = {});

/// "NVMe Copy", "SCSI EXTENDED COPY", "no copy offload".
std::string mechanismText(CopyMechanism mechanism);

/// Why a leaf cannot be judged ("unknown: needs root", "unknown: not probed", "unknown: probe
/// failed: ..."); empty when it was probed.
std::string unprobedReason(const DeviceCapability* capability);

/// Why a probed leaf offers no copy command: its probe's reason, or one for its kind.
std::string noCopyReason(const BlockDevice& device, const DeviceCapability& capability);

/// The name an admin knows a device by: the dm name for device-mapper, else the kernel name.
std::string displayName(const BlockDevice& device);

} // namespace offload
