// SPDX-License-Identifier: GPL-2.0-or-later
#include "copy/OffloadBackend.h"
#include "copy/StepErrors.h"
#include "transport/NvmeTransport.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <string>

namespace offload {

namespace {

/// Statuses with which a device says "I will not do this (part of the) copy": the rest
/// goes by read/write. Everything else is a real error and is reported.
bool nvmeStatusDeclines(const NvmeStatus& s)
{
    if (s.sct == 0) {
        switch (s.sc) {
        case 0x01: // Invalid Command Opcode
        case 0x02: // Invalid Field in Command (QEMU: formats 2/3 before CDFE is set)
        case 0x06: // Internal Error (QEMU 7.2 answers a range over MSSRL with it)
        case 0x0B: // Invalid Namespace or Format
            return true;
        default:
            return false;
        }
    }
    if (s.sct == 1) {
        switch (s.sc) {
        case 0x83: // Command Size Limit Exceeded
        case 0x85: // Incompatible Namespace or Format
        case 0x86: // Fast Copy Not Possible
        case 0x87: // Overlapping I/O Range
        case 0x89: // Insufficient Resources
            return true;
        default:
            return false;
        }
    }
    return false;
}

std::string hexText(unsigned value)
{
    char text[16];
    std::snprintf(text, sizeof text, "0x%x", value);
    return text;
}

std::string rangesText(std::size_t done, std::size_t total)
{
    return std::to_string(done) + " of " + std::to_string(total) + " source ranges copied";
}

} // namespace

NvmeCopyBackend::NvmeCopyBackend(const Topology& topology, const CapabilitySet& caps, NvmeTransport& transport)
    : m_topology(topology), m_caps(caps), m_transport(transport)
{
}

std::optional<StepOutcome> NvmeCopyBackend::precheck(const NvmeCopyStep& step) const
{
    if (step.ns >= m_topology.size())
        return declinedBeforeSending({}, Errc::Internal,
                                     "NVMe Copy step names device #" + std::to_string(step.ns) +
                                         ", which is not in the topology");
    const BlockDevice& ns = m_topology.at(step.ns);
    const std::string label = ns.label();
    // The data-safety rule: passthrough LBAs are namespace-absolute, so a command sent to a
    // partition or dm node would land at the wrong place. Only the leaf namespace is accepted.
    if (ns.kind != DeviceKind::NvmeNamespace || !ns.isLeaf() || !ns.nvme || ns.nvme->nsid == 0)
        return declinedBeforeSending(label, Errc::Unsupported,
                                     std::string("refusing to send NVMe Copy: ") + toString(ns.kind) +
                                         " node, not an NVMe namespace leaf",
                                     "the planner must address the namespace below it with translated LBAs");
    if (step.srcNs >= m_topology.size())
        return declinedBeforeSending(label, Errc::Internal,
                                     "NVMe Copy step names source device #" + std::to_string(step.srcNs) +
                                         ", which is not in the topology");
    const BlockDevice& src = m_topology.at(step.srcNs);
    if (src.kind != DeviceKind::NvmeNamespace || !src.isLeaf() || !src.nvme || src.nvme->nsid == 0)
        return declinedBeforeSending(src.label(), Errc::Unsupported,
                                     std::string("NVMe Copy source is a ") + toString(src.kind) +
                                         " node, not an NVMe namespace leaf");

    if (step.ns >= m_caps.devices.size() || !m_caps.at(step.ns).nvme ||
        m_caps.at(step.ns).status != ProbeStatus::Ok)
        return declinedBeforeSending(label, Errc::Unsupported,
                                     "NVMe Copy capabilities were not probed for this namespace",
                                     "run as root so offloadcp can read Identify data");
    const NvmeCopyCaps& caps = *m_caps.at(step.ns).nvme;
    if (!caps.copy)
        return declinedBeforeSending(label, Errc::Unsupported,
                                     "the controller does not support Copy (ONCS bit 8 is clear)");
    if (!caps.supportsFormat(step.format))
        return declinedBeforeSending(label, Errc::Unsupported,
                                     "the controller does not support copy descriptor format " +
                                         std::to_string(step.format) + " (OCFS " + std::to_string(caps.ocfs) + ")");
    if (caps.mssrl == 0 || caps.mcl == 0)
        return declinedBeforeSending(label, Errc::Unsupported,
                                     "the namespace reports a copy limit of 0 (MSSRL " + std::to_string(caps.mssrl) +
                                         ", MCL " + std::to_string(caps.mcl) + ")");
    if (caps.lbaBytes == 0 || caps.lbaBytes != ns.logicalBlockSize || step.lbaBytes != caps.lbaBytes)
        return declinedBeforeSending(label, Errc::Unsupported,
                                     "LBA sizes disagree (Identify " + std::to_string(caps.lbaBytes) + ", kernel " +
                                         std::to_string(ns.logicalBlockSize) + ", step " +
                                         std::to_string(step.lbaBytes) + " bytes)");
    if (step.ranges.empty())
        return declinedBeforeSending(label, Errc::Internal, "NVMe Copy step has no source ranges");
    const std::size_t maxRanges = std::min<std::size_t>(caps.maxRanges(), 256);
    if (step.ranges.size() > maxRanges)
        return declinedBeforeSending(label, Errc::Unsupported,
                                     std::to_string(step.ranges.size()) + " source ranges exceed the limit of " +
                                         std::to_string(maxRanges) + " (MSRC " + std::to_string(caps.msrc) +
                                         ", 0's based)");

    const uint32_t nsid = ns.nvme->nsid;
    const bool crossNamespace = step.format >= 2;
    if (!crossNamespace && step.srcNs != step.ns)
        return declinedBeforeSending(label, Errc::Internal,
                                     "format " + std::to_string(step.format) +
                                         " copies within one namespace, but the source is " + src.label());
    if (crossNamespace && step.srcNs != step.ns && !src.nvme->subsysnqn.empty() && !ns.nvme->subsysnqn.empty() &&
        src.nvme->subsysnqn != ns.nvme->subsysnqn)
        return declinedBeforeSending(label, Errc::Unsupported,
                                     "cross-namespace copy needs both namespaces in one NVM subsystem, but the source "
                                     "is in " + src.nvme->subsysnqn);
    if (src.logicalBlockSize != ns.logicalBlockSize)
        return declinedBeforeSending(label, Errc::Unsupported,
                                     "source and destination LBA sizes differ (" +
                                         std::to_string(src.logicalBlockSize) + " and " +
                                         std::to_string(ns.logicalBlockSize) + " bytes)");
    const uint64_t dstBlocks = ns.sizeBytes / caps.lbaBytes;
    const uint64_t srcBlocks = src.sizeBytes / caps.lbaBytes;
    bool mixesDestination = false;
    bool mixesOthers = false;
    uint64_t total = 0;
    for (std::size_t i = 0; i < step.ranges.size(); ++i) {
        const NvmeSourceRange& r = step.ranges[i];
        const std::string which = "source range " + std::to_string(i);
        if (r.blocks == 0)
            return declinedBeforeSending(label, Errc::Internal, which + " has 0 blocks");
        if (r.blocks > caps.mssrl || r.blocks > 65536)
            return declinedBeforeSending(label, Errc::Unsupported,
                                         which + ": " + std::to_string(r.blocks) + " blocks exceed MSSRL " +
                                             std::to_string(caps.mssrl));
        total += r.blocks;
        if (crossNamespace) {
            if (r.snsid != src.nvme->nsid)
                return declinedBeforeSending(label, Errc::Internal,
                                             which + ": SNSID " + std::to_string(r.snsid) +
                                                 " is not the source namespace's nsid " +
                                                 std::to_string(src.nvme->nsid));
            (r.snsid == nsid ? mixesDestination : mixesOthers) = true;
        } else if (r.snsid != 0 && r.snsid != nsid) {
            return declinedBeforeSending(label, Errc::Internal,
                                         which + ": SNSID " + std::to_string(r.snsid) + " in format " +
                                             std::to_string(step.format) + ", which copies within nsid " +
                                             std::to_string(nsid));
        }
        if (r.slba > srcBlocks || r.blocks > srcBlocks - r.slba)
            return declinedBeforeSending(src.label(), Errc::Internal,
                                         which + " (LBA " + std::to_string(r.slba) + ", " + std::to_string(r.blocks) +
                                             " blocks) lies beyond the namespace's " + std::to_string(srcBlocks) +
                                             " blocks");
    }
    if (mixesDestination && mixesOthers)
        return declinedBeforeSending(label, Errc::Unsupported,
                                     "a cross-namespace command mixes the destination namespace with others "
                                     "(QEMU 10.0 reads such ranges from the wrong namespace)");
    if (total > caps.mcl)
        return declinedBeforeSending(label, Errc::Unsupported,
                                     std::to_string(total) + " blocks exceed MCL " + std::to_string(caps.mcl));
    if (step.sdlba > dstBlocks || total > dstBlocks - step.sdlba)
        return declinedBeforeSending(label, Errc::Internal,
                                     "destination LBAs " + std::to_string(step.sdlba) + "+" + std::to_string(total) +
                                         " lie beyond the namespace's " + std::to_string(dstBlocks) + " blocks");
    return std::nullopt;
}

std::optional<StepOutcome> NvmeCopyBackend::enableCopyFormat(std::size_t device, uint8_t format)
{
    const BlockDevice& ns = m_topology.at(device);
    const NvmeCopyCaps& caps = *m_caps.at(device).nvme;
    const std::string subsystem = !caps.subsysnqn.empty() ? caps.subsysnqn
                                  : ns.nvme && !ns.nvme->subsysnqn.empty() ? ns.nvme->subsysnqn
                                  : ns.nvme ? "serial " + ns.nvme->serial
                                            : ns.name;
    const std::string controller = subsystem + " cntlid " + std::to_string(caps.controllerId);
    const uint16_t bit = static_cast<uint16_t>(1u << format);
    const std::string label = ns.label();
    const std::string what = "cross-namespace copy (descriptor format " + std::to_string(format) + ") ";

    std::lock_guard lock(m_cdfeMutex);
    CdfeState& state = m_cdfe[controller];
    if (state.enabled & bit)
        return std::nullopt;
    if (state.refusal)
        return state.refusal;

    auto refuse = [&](Error error, std::string reason) {
        if (error.device.empty())
            error.device = label;
        state.refusal = declined(std::move(error), std::move(reason));
        return state.refusal;
    };
    auto current = m_transport.getHostBehavior(ns);
    if (!current)
        return refuse(current.error(), what + "is not enabled and cannot be: reading Host Behavior Support (Get "
                                              "Features 16h) failed: " + withoutDevice(current.error()));
    std::vector<uint8_t> data = std::move(*current);
    if (data.size() < kHostBehaviorBytes)
        return refuse(Error::make(Errc::Corrupt, label, "Host Behavior Support data has " +
                                                            std::to_string(data.size()) + " bytes, not 512"),
                      what + "is not enabled and cannot be: Get Features 16h returned " +
                          std::to_string(data.size()) + " bytes, not 512");
    data.resize(kHostBehaviorBytes);
    const uint16_t cdfe = static_cast<uint16_t>(data[kHostBehaviorCdfeOffset] |
                                                (data[kHostBehaviorCdfeOffset + 1] << 8));
    if (cdfe & bit) {
        state.enabled = cdfe;
        return std::nullopt;
    }
    // Only this format's bit is added; every other byte goes back as the controller gave it.
    const uint16_t wanted = static_cast<uint16_t>(cdfe | bit);
    data[kHostBehaviorCdfeOffset] = static_cast<uint8_t>(wanted & 0xff);
    data[kHostBehaviorCdfeOffset + 1] = static_cast<uint8_t>(wanted >> 8);
    Status set = m_transport.setHostBehavior(ns, data);
    if (!set) {
        const Error& e = set.error();
        std::string why = withoutDevice(e);
        if (e.sysErrno == EACCES || e.sysErrno == EPERM)
            why = "this kernel refuses Set Features Host Behavior Support from user space (Linux 6.12+ does, even "
                  "for root): " + why;
        return refuse(e, what + "is not enabled in Host Behavior Support (CDFE " + hexText(cdfe) +
                             ") and enabling it was refused: " + why);
    }
    state.enabled = wanted;
    return std::nullopt;
}

StepOutcome NvmeCopyBackend::run(const NvmeCopyStep& step)
{
    if (auto refused = precheck(step))
        return *refused;
    const BlockDevice& ns = m_topology.at(step.ns);
    const std::string label = ns.label();
    if (step.format >= 2) {
        if (auto refused = enableCopyFormat(step.ns, step.format))
            return *refused;
    }
    auto command = encodeNvmeCopy(ns.nvme->nsid, step);
    if (!command) {
        Error e = command.error();
        e.device = label;
        std::string reason = withoutDevice(e);
        return declined(std::move(e), std::move(reason));
    }

    Status sent = m_transport.copy(ns, *command);
    const std::size_t count = step.ranges.size();
    if (sent) {
        StepOutcome out;
        out.kind = StepOutcome::Kind::Done;
        out.unitsDone = count;
        return out;
    }

    Error e = sent.error();
    if (e.device.empty())
        e.device = label;

    if (e.code == Errc::NvmeStatus && e.nvme) {
        const NvmeStatus& s = *e.nvme;
        // DW0: the lowest-numbered source range that was not copied. Trust it only when it
        // names one of our ranges; an Invalid Opcode means the command never ran.
        std::size_t done = s.dw0 < count ? s.dw0 : 0;
        std::string note;
        if (s.dw0 >= count)
            note = " (completion DW0 " + std::to_string(s.dw0) + " names no range: assuming none was copied)";
        if (s.sct == 0 && s.sc == 0x01)
            done = 0;
        if (nvmeStatusDeclines(s)) {
            std::string reason = describeNvmeStatus(s) + "; " +
                                 rangesText(done, count) + note;
            return declined(std::move(e), std::move(reason), done);
        }
        // A real error: say where. Reads fail on the source range, writes on the destination.
        const NvmeSourceRange& failing = step.ranges[done];
        uint64_t dstLba = step.sdlba;
        for (std::size_t i = 0; i < done; ++i)
            dstLba += step.ranges[i].blocks;
        const bool writeSide = s.sct == 2 && s.sc == 0x80; // Write Fault
        e.lba = writeSide ? dstLba : failing.slba;
        e.what = "NVMe Copy failed in source range " + std::to_string(done) + " (source LBA " +
                 std::to_string(failing.slba) + (step.format >= 2 ? " of nsid " + std::to_string(failing.snsid) : "") +
                 ", " + std::to_string(failing.blocks) + " blocks, to destination LBA " + std::to_string(dstLba) +
                 "); " + rangesText(done, count) + note;
        StepOutcome out;
        out.kind = StepOutcome::Kind::Failed;
        out.unitsDone = done;
        out.reason = withoutDevice(e);
        out.error = std::move(e);
        return out;
    }

    const bool errnoRefusal = e.sysErrno != 0 && errnoDeclines(e.sysErrno);
    const bool refusal = errnoRefusal || (e.sysErrno == 0 && (e.code == Errc::Unsupported ||
                                                              e.code == Errc::PermissionDenied ||
                                                              e.code == Errc::InvalidArgument ||
                                                              e.code == Errc::Busy));
    if (refusal) {
        std::string reason = "NVMe Copy passthrough refused: " + withoutDevice(e);
        return declined(std::move(e), std::move(reason));
    }
    StepOutcome out;
    out.kind = StepOutcome::Kind::Failed;
    out.unitsDone = 0;
    if (!e.lba)
        e.lba = step.sdlba;
    // Linux answers EINTR for a passthrough command it cancelled (NVME_REQ_CANCELLED), not
    // for a signal: in the lab, for an NVMe/TCP connection that dropped mid-command.
    if (e.sysErrno == EINTR && e.hint.empty())
        e.hint = "the kernel cancelled the command: the controller was reset or removed, or its connection "
                 "dropped (see dmesg)";
    out.reason = withoutDevice(e);
    out.error = std::move(e);
    return out;
}

} // namespace offload
