// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "capability/Capability.h"
#include "copy/CopyPlan.h"
#include "topology/Topology.h"
#include "util/Error.h"

#include <cstdint>

namespace offload {

/// What the user asked to copy. Offsets and length are bytes in the user's volumes.
struct CopyRequest {
    CopyEndpoint source;
    CopyEndpoint destination;
    uint64_t srcOffset = 0;
    uint64_t dstOffset = 0;
    uint64_t length = 0;             ///< 0: from srcOffset to the end of the source
    bool noOffload = false;          ///< plan read/write only (--no-offload)
    /// Cross-namespace NVMe Copy (descriptor format 2) is planned where the controller
    /// supports it and capabilities.host says this kernel lets us enable it (Host Behavior
    /// Support CDFE; Linux 6.12+ refuses). true plans it there even when the host refuses or
    /// is unknown (--cross-namespace); the engine then falls back if enabling is refused.
    bool forceCrossNamespace = false;
    uint32_t maxNvmeBatch = 256;     ///< at most this many source ranges per NVMe command (also <= MSRC+1, <= 256)
    uint64_t maxCommandBytes = 0;    ///< 0: no cap; else no offload command carries more (progress/cancel granularity)
};

/// A block device endpoint filled from the topology (size, logical block size, label).
CopyEndpoint deviceEndpoint(const Topology& topology, std::size_t device);

/// Plans a copy: validates the request, maps both ranges through their stacks, pairs the
/// pieces, picks a method and a reason per extent (chooseLeafCopy, the decision the verdicts
/// share) and splits offloaded extents into
/// commands within every device limit (MSSRL, MCL, MSRC, segment lengths and counts).
/// Pure: reads only its arguments, does no I/O, writes nothing. Errors
/// (Errc::InvalidArgument) name the device and say what to change: range beyond the end,
/// misaligned offset or length, overlapping ranges on one device, one endpoint built on
/// the other, a dm-error piece in the range.
/// `capabilities` may be shorter than the topology: missing entries mean "not probed".
Result<CopyPlan> planCopy(const Topology& topology, const CapabilitySet& capabilities,
                          const CopyRequest& request);

} // namespace offload
