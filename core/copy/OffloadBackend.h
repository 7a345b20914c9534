// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "copy/CopyPlan.h"
#include "transport/NvmeTransport.h"
#include "topology/Topology.h"
#include "util/Error.h"

#include <cstddef>
#include <optional>
#include <string>

namespace offload {

class NvmeTransport;
class ScsiTransport;

/// What happened to one offload step (one NVMe Copy or one EXTENDED COPY command).
struct StepOutcome {
    enum class Kind {
        Done,      ///< every range / segment was copied by the device
        Declined,  ///< the device would not do (all or part of) it: fall back for the rest
        Failed,    ///< a real I/O error (media, transport): report it, do not hide it
    };
    Kind kind = Kind::Done;
    /// Ranges (NVMe) or segments (XCOPY) [0, unitsDone) are known to be copied; the
    /// engine falls back by read/write for the rest, using their volume offsets.
    std::size_t unitsDone = 0;
    std::string reason;          ///< for Declined: why, e.g. "Command Size Limit Exceeded (SCT 1h SC 83h)"
    std::optional<Error> error;  ///< for Declined and Failed: the device's answer
};

/// Sends NvmeCopySteps to the destination namespace (never to a dm or partition node),
/// after checking every range against the namespace's MSSRL/MCL/MSRC itself.
/// Thread-safe if the transport is; one call blocks for one command.
class NvmeCopyBackend {
public:
    NvmeCopyBackend(const Topology& topology, const CapabilitySet& caps, NvmeTransport& transport);
    StepOutcome run(const NvmeCopyStep& step);
private:
    const Topology& m_topology;
    const CapabilitySet& m_caps;
    NvmeTransport& m_transport;
};

/// Sends XcopySteps as EXTENDED COPY LID1 to step.issueTo, with CSCD 0xE4 descriptors
/// built from both LUNs' NAA designators and type 0x02 segment descriptors.
class ScsiXcopyBackend {
public:
    ScsiXcopyBackend(const Topology& topology, const CapabilitySet& caps, ScsiTransport& transport);
    StepOutcome run(const XcopyStep& step);
private:
    const Topology& m_topology;
    const CapabilitySet& m_caps;
    ScsiTransport& m_transport;
};

// ---- Byte-exact encoders (tested against the spec layouts) --------------------------
/// NVMe Copy source range entries for `format` (0: 32 bytes, 1: 40 bytes, 2: 32 bytes with
/// SNSID, 3: 40 bytes with SNSID), plus nr (0's based). Fails on 0 or >256 ranges or
/// a block count of 0 or > 65536.
Result<NvmeCopyCommand> encodeNvmeCopy(uint32_t nsid, const NvmeCopyStep& step);
/// EXTENDED COPY LID1 parameter list: header, two 0xE4 CSCD descriptors (source, destination)
/// and one type 0x02 segment descriptor per segment.
Result<std::vector<uint8_t>> encodeXcopyParameterList(const ScsiCopyCaps& src, const ScsiCopyCaps& dst,
                                                     uint32_t blockBytes,
                                                     const std::vector<XcopySegment>& segments,
                                                     uint8_t listId);

} // namespace offload
