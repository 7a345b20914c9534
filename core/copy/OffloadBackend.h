// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "copy/CopyPlan.h"
#include "transport/NvmeTransport.h"
#include "topology/Topology.h"
#include "util/Error.h"

#include <atomic>
#include <map>
#include <mutex>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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
    /// Why, without the device's name (callers print it after the device), e.g.
    /// "Command Size Limit Exceeded (SCT 1h SC 83h); 2 of 4 source ranges copied".
    std::string reason;
    std::optional<Error> error;  ///< for Declined and Failed: the device's answer
};

/// Sends NvmeCopySteps to the destination namespace (never to a dm or partition node),
/// after checking every range against the namespace's MSSRL/MCL/MSRC itself.
/// Thread-safe if the transport is; one call blocks for one command.
///
/// Outcome semantics (what CopyJob relies on):
/// - Done: unitsDone == step.ranges.size().
/// - Declined: nothing was sent (a limit, format, device or capability check failed: the
///   reason says which), or the device declined (Invalid Opcode/Field, Command Size Limit
///   Exceeded, Incompatible Namespace, Fast Copy Not Possible, Overlapping Range,
///   Insufficient Resources, Internal Error, ENOTTY/EOPNOTSUPP/EACCES...). Ranges
///   [0, unitsDone) are copied (completion DW0); fall back for the rest.
/// - Failed: a media/data/transport error (SCT 2h, LBA Out of Range, EIO, ...);
///   error->lba and error->device say where. Ranges [0, unitsDone) are copied.
/// unitsDone never exceeds what the device reported: a DW0 that is out of range or an
/// Invalid Opcode gives 0.
///
/// Cross-namespace steps (formats 2/3): before the first one on a controller, run() reads
/// Host Behavior Support (Get Features 16h) and, when the step's CDFE bit is clear, sets it
/// with every other byte kept (Set Features 16h, not saved). When that is refused (Linux
/// 6.12+ answers EACCES) or fails, the step is Declined with the reason and nothing is sent;
/// later steps on that controller are Declined the same way without asking again.
class NvmeCopyBackend {
public:
    NvmeCopyBackend(const Topology& topology, const CapabilitySet& caps, NvmeTransport& transport);
    StepOutcome run(const NvmeCopyStep& step);
    /// The checks run() makes before sending: an empty optional when the step may be sent,
    /// else the Declined outcome (nothing sent). Pure; for planners and tests.
    std::optional<StepOutcome> precheck(const NvmeCopyStep& step) const;
private:
    /// Makes sure the controller of namespace `device` has CDFE bit `format` set; the
    /// Declined outcome if not.
    std::optional<StepOutcome> enableCopyFormat(std::size_t device, uint8_t format);

    /// What run() learnt about one controller's CDFE.
    struct CdfeState {
        uint16_t enabled = 0;                 ///< formats known to be enabled
        std::optional<StepOutcome> refusal;   ///< enabling was refused: decline with this
    };
    const Topology& m_topology;
    const CapabilitySet& m_caps;
    NvmeTransport& m_transport;
    std::mutex m_cdfeMutex;
    std::map<std::string, CdfeState> m_cdfe; ///< by controller: subsystem NQN (or serial) and cntlid
};

/// Sends XcopySteps as EXTENDED COPY LID1 to step.issueTo, with CSCD 0xE4 descriptors
/// built from both LUNs' NAA designators and type 0x02 segment descriptors.
/// Thread-safe if the transport is; one call blocks for one command.
///
/// Outcome semantics: as NvmeCopyBackend, with segments as units. Declined for
/// ILLEGAL REQUEST, COPY ABORTED (LIO answers that for LUNs of another target, and also
/// when its internal READ/WRITE fails: the read/write fallback then meets any real error
/// itself), NOT READY, UNIT ATTENTION (after one retry: the command was not executed),
/// ABORTED COMMAND, a LUN without an NAA 6 designator,
/// or a copy-manager limit. Failed for MEDIUM ERROR, HARDWARE ERROR, DATA PROTECT, EIO.
/// unitsDone comes from the sense COMMAND-SPECIFIC INFORMATION (segment number) or from
/// RECEIVE COPY RESULTS (COPY STATUS) when a list identifier was used; else 0.
class ScsiXcopyBackend {
public:
    ScsiXcopyBackend(const Topology& topology, const CapabilitySet& caps, ScsiTransport& transport);
    StepOutcome run(const XcopyStep& step);
    /// The checks run() makes before sending (see NvmeCopyBackend::precheck).
    std::optional<StepOutcome> precheck(const XcopyStep& step) const;
private:
    uint8_t nextListId();
    const Topology& m_topology;
    const CapabilitySet& m_caps;
    ScsiTransport& m_transport;
    std::atomic<unsigned> m_listCounter{0};
};

// ---- Byte-exact encoders (tested against the spec layouts) --------------------------
/// NVMe Copy source range entries for `format` (0: 32 bytes, 1: 40 bytes, 2: 32 bytes with
/// SNSID, 3: 40 bytes with SNSID), plus nr (0's based). All fields little-endian; NLB is
/// 0's based; protection fields (EILBRT/ELBT, ELBAT, ELBATM), CETYPE/CEV and SOPT are zero.
/// Fails (InvalidArgument) on 0 or >256 ranges, a block count of 0 or > 65536, a format
/// above 3, nsid 0, an SNSID of 0 in formats 2/3, or an SNSID other than 0/nsid in
/// formats 0/1 (those copy within the destination namespace only).
Result<NvmeCopyCommand> encodeNvmeCopy(uint32_t nsid, const NvmeCopyStep& step);
/// EXTENDED COPY LID1 parameter list: 16-byte header, two 32-byte 0xE4 CSCD descriptors
/// (index 0 source, index 1 destination) and one 28-byte type 0x02 segment descriptor per
/// segment. listId 0 means "no list identifier" (LIST ID USAGE 11b, for copy managers that
/// report SNLID, as LIO does); any other listId is sent with LIST ID USAGE 10b (list
/// identifier valid, no held data), which RECEIVE COPY RESULTS can then ask about.
/// Fails with Unsupported when a LUN lacks a 16-byte NAA 6 designator (LIO accepts nothing
/// else), InvalidArgument on no segments, a segment of 0 or > 65535 blocks, or a block size
/// that disagrees with a LUN's.
Result<std::vector<uint8_t>> encodeXcopyParameterList(const ScsiCopyCaps& src, const ScsiCopyCaps& dst,
                                                     uint32_t blockBytes,
                                                     const std::vector<XcopySegment>& segments,
                                                     uint8_t listId);

/// Layout constants of the encodings above.
inline constexpr std::size_t kNvmeCopyEntryBytesShort = 32; ///< formats 0 and 2
inline constexpr std::size_t kNvmeCopyEntryBytesLong = 40;  ///< formats 1 and 3
inline constexpr std::size_t kXcopyHeaderBytes = 16;
inline constexpr std::size_t kXcopyCscdBytes = 32;
inline constexpr std::size_t kXcopySegmentBytes = 28;       ///< type 0x02: 4 + descriptor length 0x18
inline constexpr uint32_t kXcopyMaxSegmentBlocks = 65535;

/// RECEIVE COPY RESULTS, COPY STATUS (service action 00h) parameter data.
struct XcopyCopyStatus {
    bool heldDataDiscarded = false;
    uint8_t copyManagerStatus = 0; ///< 00h in progress, 01h completed, 02h completed with errors
    uint16_t segmentsProcessed = 0;
    uint8_t transferCountUnits = 0;
    uint32_t transferCount = 0;
};
/// Parses COPY STATUS data (at least 12 bytes); Corrupt when too short.
Result<XcopyCopyStatus> parseXcopyCopyStatus(const std::vector<uint8_t>& data);

} // namespace offload
