// SPDX-License-Identifier: GPL-2.0-or-later
#include "copy/OffloadBackend.h"
#include "copy/StepErrors.h"
#include "transport/ScsiTransport.h"

#include <cerrno>
#include <string>

namespace offload {

namespace {

constexpr uint8_t kSenseNotReady = 0x02;
constexpr uint8_t kSenseMediumError = 0x03;
constexpr uint8_t kSenseHardwareError = 0x04;
constexpr uint8_t kSenseIllegalRequest = 0x05;
constexpr uint8_t kSenseUnitAttention = 0x06;
constexpr uint8_t kSenseDataProtect = 0x07;
constexpr uint8_t kSenseCopyAborted = 0x0A;
constexpr uint8_t kSenseAbortedCommand = 0x0B;

constexpr uint8_t kStatusBusy = 0x08;
constexpr uint8_t kStatusTaskSetFull = 0x28;

constexpr uint8_t kRcrCopyStatus = 0x00;
constexpr uint8_t kCopyManagerCompletedWithErrors = 0x02;

/// Sense keys with which a copy manager says "not this copy" rather than "your data is
/// damaged". COPY ABORTED is one: LIO uses it both for a LUN it cannot reach (another
/// target) and for a failed internal READ/WRITE; the read/write fallback meets a real
/// error itself and reports it with its LBA.
bool senseDeclines(const ScsiSense& s)
{
    switch (s.key & 0x0f) {
    case kSenseNotReady:
    case kSenseIllegalRequest:
    case kSenseUnitAttention:
    case kSenseCopyAborted:
    case kSenseAbortedCommand:
        return true;
    case 0x00:
        return s.status == kStatusBusy || s.status == kStatusTaskSetFull;
    default:
        return false; // MEDIUM ERROR, HARDWARE ERROR, DATA PROTECT, MISCOMPARE, ...
    }
}

bool isScsiLeaf(const BlockDevice& dev)
{
    return dev.kind == DeviceKind::ScsiDisk && dev.isLeaf();
}

std::string segmentsText(std::size_t done, std::size_t total)
{
    return std::to_string(done) + " of " + std::to_string(total) + " segments copied";
}

} // namespace

ScsiXcopyBackend::ScsiXcopyBackend(const Topology& topology, const CapabilitySet& caps, ScsiTransport& transport)
    : m_topology(topology), m_caps(caps), m_transport(transport)
{
}

uint8_t ScsiXcopyBackend::nextListId()
{
    // 1..255: 0 is reserved for "no list identifier".
    return static_cast<uint8_t>(1 + m_listCounter.fetch_add(1, std::memory_order_relaxed) % 255);
}

std::optional<StepOutcome> ScsiXcopyBackend::precheck(const XcopyStep& step) const
{
    const std::size_t ids[3] = {step.srcLun, step.dstLun, step.issueTo};
    for (std::size_t id : ids) {
        if (id >= m_topology.size())
            return declinedBeforeSending({}, Errc::Internal,
                                         "EXTENDED COPY step names device #" + std::to_string(id) +
                                             ", which is not in the topology");
    }
    const BlockDevice& src = m_topology.at(step.srcLun);
    const BlockDevice& dst = m_topology.at(step.dstLun);
    const BlockDevice& issue = m_topology.at(step.issueTo);
    for (const BlockDevice* dev : {&src, &dst, &issue}) {
        if (!isScsiLeaf(*dev))
            return declinedBeforeSending(dev->label(), Errc::Unsupported,
                                         std::string("refusing to send EXTENDED COPY: ") + toString(dev->kind) +
                                             " node, not a SCSI disk leaf",
                                         "the planner must address the LUN below it with translated LBAs");
    }
    if (step.issueTo != step.srcLun && step.issueTo != step.dstLun)
        return declinedBeforeSending(issue.label(), Errc::Internal,
                                     "EXTENDED COPY must be sent to the source or the destination LUN");

    const ScsiCopyCaps* caps[3] = {};
    for (std::size_t i = 0; i < 3; ++i) {
        const BlockDevice& dev = m_topology.at(ids[i]);
        if (ids[i] >= m_caps.devices.size() || !m_caps.at(ids[i]).scsi ||
            m_caps.at(ids[i]).status != ProbeStatus::Ok)
            return declinedBeforeSending(dev.label(), Errc::Unsupported,
                                         "third-party copy capabilities were not probed for this LUN",
                                         "run as root so offloadcp can read INQUIRY and VPD data");
        caps[i] = &*m_caps.at(ids[i]).scsi;
        if (!caps[i]->threePC)
            return declinedBeforeSending(dev.label(), Errc::Unsupported,
                                         "the LUN does not report third-party copy (INQUIRY 3PC bit clear)");
    }
    const ScsiCopyCaps& manager = *caps[2];

    if (step.segments.empty())
        return declinedBeforeSending(issue.label(), Errc::Internal, "EXTENDED COPY step has no segments");
    if (step.blockBytes == 0 || src.logicalBlockSize != step.blockBytes || dst.logicalBlockSize != step.blockBytes ||
        caps[0]->blockBytes != step.blockBytes || caps[1]->blockBytes != step.blockBytes)
        return declinedBeforeSending(issue.label(), Errc::Unsupported,
                                     "logical block sizes differ (source " + std::to_string(src.logicalBlockSize) +
                                         ", destination " + std::to_string(dst.logicalBlockSize) + ", step " +
                                         std::to_string(step.blockBytes) + " bytes)");

    // Copy manager limits. Without RECEIVE COPY OPERATING PARAMETERS, assume the smallest
    // copy manager there is: one segment per command (LIO's limit too).
    const std::size_t count = step.segments.size();
    std::size_t maxSegments = 1;
    if (manager.rcopKnown && manager.maxSegmentDescriptors != 0)
        maxSegments = manager.maxSegmentDescriptors;
    if (count > maxSegments)
        return declinedBeforeSending(issue.label(), Errc::Unsupported,
                                     std::to_string(count) + " segments exceed the copy manager's limit of " +
                                         std::to_string(maxSegments) +
                                         (manager.rcopKnown ? "" : " (operating parameters unknown)"));
    if (manager.rcopKnown && manager.maxCscdDescriptors != 0 && manager.maxCscdDescriptors < 2)
        return declinedBeforeSending(issue.label(), Errc::Unsupported,
                                     "the copy manager accepts only " + std::to_string(manager.maxCscdDescriptors) +
                                         " CSCD descriptor(s); a copy needs 2");
    const uint64_t listBytes = 2 * kXcopyCscdBytes + count * kXcopySegmentBytes;
    if (manager.rcopKnown && manager.maxDescriptorListLength != 0 && listBytes > manager.maxDescriptorListLength)
        return declinedBeforeSending(issue.label(), Errc::Unsupported,
                                     "descriptor list of " + std::to_string(listBytes) +
                                         " bytes exceeds the copy manager's " +
                                         std::to_string(manager.maxDescriptorListLength));

    const uint64_t srcBlocks = src.sizeBytes / step.blockBytes;
    const uint64_t dstBlocks = dst.sizeBytes / step.blockBytes;
    for (std::size_t i = 0; i < count; ++i) {
        const XcopySegment& s = step.segments[i];
        const std::string which = "segment " + std::to_string(i);
        if (s.blocks == 0 || s.blocks > kXcopyMaxSegmentBlocks)
            return declinedBeforeSending(issue.label(), Errc::Unsupported,
                                         which + ": " + std::to_string(s.blocks) +
                                             " blocks; a type 02h segment carries 1 to 65535");
        const uint64_t segmentBytes = uint64_t(s.blocks) * step.blockBytes;
        if (manager.rcopKnown && manager.maxSegmentLength != 0 && segmentBytes > manager.maxSegmentLength)
            return declinedBeforeSending(issue.label(), Errc::Unsupported,
                                         which + ": " + std::to_string(segmentBytes) +
                                             " bytes exceed the maximum segment length of " +
                                             std::to_string(manager.maxSegmentLength));
        if (s.srcLba > srcBlocks || s.blocks > srcBlocks - s.srcLba)
            return declinedBeforeSending(src.label(), Errc::Internal,
                                         which + " (source LBA " + std::to_string(s.srcLba) + ", " +
                                             std::to_string(s.blocks) + " blocks) lies beyond the LUN's " +
                                             std::to_string(srcBlocks) + " blocks");
        if (s.dstLba > dstBlocks || s.blocks > dstBlocks - s.dstLba)
            return declinedBeforeSending(dst.label(), Errc::Internal,
                                         which + " (destination LBA " + std::to_string(s.dstLba) + ", " +
                                             std::to_string(s.blocks) + " blocks) lies beyond the LUN's " +
                                             std::to_string(dstBlocks) + " blocks");
    }
    return std::nullopt;
}

StepOutcome ScsiXcopyBackend::run(const XcopyStep& step)
{
    if (auto refused = precheck(step))
        return *refused;
    const BlockDevice& src = m_topology.at(step.srcLun);
    const BlockDevice& dst = m_topology.at(step.dstLun);
    const BlockDevice& issue = m_topology.at(step.issueTo);
    const ScsiCopyCaps& srcCaps = *m_caps.at(step.srcLun).scsi;
    const ScsiCopyCaps& dstCaps = *m_caps.at(step.dstLun).scsi;
    const ScsiCopyCaps& manager = *m_caps.at(step.issueTo).scsi;
    const std::size_t count = step.segments.size();

    // "No list identifier" where the copy manager supports it (LIO reports SNLID=1 and
    // answers RECEIVE COPY RESULTS only for list id 0); else a fresh list id, which lets
    // RECEIVE COPY RESULTS tell how far a failed multi-segment copy got.
    const uint8_t listId = manager.supportsNoListId ? 0 : nextListId();
    auto list = encodeXcopyParameterList(srcCaps, dstCaps, step.blockBytes, step.segments, listId);
    if (!list) {
        Error e = list.error();
        // Name the LUN the designator problem is about.
        if (e.device.empty())
            e.device = e.what.rfind("the source", 0) == 0 ? src.label() : dst.label();
        std::string reason = withoutDevice(e);
        return declined(std::move(e), std::move(reason));
    }

    Status sent = m_transport.extendedCopy(issue, *list);
    if (!sent && sent.error().scsi && (sent.error().scsi->key & 0x0f) == kSenseUnitAttention) {
        // A unit attention (LUN reset, parameters changed, LIO after target setup) means
        // the command was not executed: send it once more.
        sent = m_transport.extendedCopy(issue, *list);
    }
    if (sent) {
        StepOutcome out;
        out.kind = StepOutcome::Kind::Done;
        out.unitsDone = count;
        return out;
    }

    Error e = sent.error();
    if (e.device.empty())
        e.device = issue.label();

    if (e.code == Errc::ScsiSense && e.scsi) {
        const ScsiSense& sense = *e.scsi;
        std::size_t done = 0;
        std::string progressNote;
        if ((sense.key & 0x0f) == kSenseCopyAborted && sense.commandSpecific) {
            // SPC-4: the COMMAND-SPECIFIC INFORMATION names the segment being processed.
            const std::size_t failing = *sense.commandSpecific & 0xffff;
            if (failing < count)
                done = failing;
        } else if (listId != 0 && count > 1) {
            auto results = m_transport.receiveCopyResults(issue, kRcrCopyStatus, listId);
            if (results) {
                if (auto status = parseXcopyCopyStatus(*results);
                    status && status->copyManagerStatus == kCopyManagerCompletedWithErrors) {
                    // SEGMENTS PROCESSED counts the segment that failed too.
                    const std::size_t processed = status->segmentsProcessed;
                    if (processed > 0 && processed <= count)
                        done = processed - 1;
                }
            } else {
                progressNote = " (RECEIVE COPY RESULTS: " + results.error().message() + ")";
            }
        }
        if (senseDeclines(sense)) {
            std::string reason = describeScsiSense(sense) + "; " +
                                 segmentsText(done, count) + progressNote;
            return declined(std::move(e), std::move(reason), done);
        }
        const XcopySegment& failing = step.segments[done];
        e.lba = sense.information ? *sense.information : failing.srcLba;
        e.what = "EXTENDED COPY failed in segment " + std::to_string(done) + " (source LBA " +
                 std::to_string(failing.srcLba) + " on " + src.label() + ", " + std::to_string(failing.blocks) +
                 " blocks, to destination LBA " + std::to_string(failing.dstLba) + " on " + dst.label() + "); " +
                 segmentsText(done, count) + progressNote;
        StepOutcome out;
        out.kind = StepOutcome::Kind::Failed;
        out.unitsDone = done;
        out.reason = withoutDevice(e);
        out.error = std::move(e);
        return out;
    }

    const bool refusal = (e.sysErrno != 0 && errnoDeclines(e.sysErrno)) ||
                         (e.sysErrno == 0 && (e.code == Errc::Unsupported || e.code == Errc::PermissionDenied ||
                                              e.code == Errc::InvalidArgument || e.code == Errc::Busy));
    if (refusal) {
        std::string reason = "EXTENDED COPY passthrough refused: " + withoutDevice(e);
        return declined(std::move(e), std::move(reason));
    }
    StepOutcome out;
    out.kind = StepOutcome::Kind::Failed;
    if (!e.lba)
        e.lba = step.segments.front().dstLba;
    out.reason = withoutDevice(e);
    out.error = std::move(e);
    return out;
}

} // namespace offload
