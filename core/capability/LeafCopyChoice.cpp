// SPDX-License-Identifier: GPL-2.0-or-later
#include "capability/LeafCopyChoice.h"

#include <cstdio>
#include <optional>
#include <utility>

namespace offload {

namespace {

using Outcome = LeafCopyChoice::Outcome;

std::string num(uint64_t value)
{
    return std::to_string(value);
}

std::string hex(unsigned value)
{
    char text[16];
    std::snprintf(text, sizeof text, "0x%x", value);
    return text;
}

const DeviceCapability* capabilityOf(const CapabilitySet& capabilities, std::size_t device)
{
    if (device >= capabilities.devices.size())
        return nullptr;
    return &capabilities.devices[device];
}

LeafCopyChoice hostCopy(std::string reason)
{
    LeafCopyChoice choice;
    choice.outcome = Outcome::HostCopy;
    choice.reason = std::move(reason);
    return choice;
}

LeafCopyChoice unknown(std::string reason)
{
    LeafCopyChoice choice;
    choice.outcome = Outcome::Unknown;
    choice.reason = std::move(reason);
    return choice;
}

LeafCopyChoice offload(CopyMechanism mechanism, uint8_t format, std::string reason, std::string caveat = {})
{
    LeafCopyChoice choice;
    choice.outcome = Outcome::Offload;
    choice.mechanism = mechanism;
    choice.nvmeFormat = format;
    choice.reason = std::move(reason);
    choice.caveat = std::move(caveat);
    return choice;
}

/// Why a leaf without a copy mechanism cannot offload, when its probe left no reason.
std::string defaultNoneReason(const BlockDevice& device)
{
    switch (device.kind) {
    case DeviceKind::Loop: return "loop device: the kernel's loop driver has no copy offload command";
    case DeviceKind::NvmeNamespace: return "NVMe namespace without Copy support (ONCS bit 8 clear)";
    case DeviceKind::ScsiDisk: return "SCSI disk without EXTENDED COPY support (3PC clear)";
    case DeviceKind::Other:
        if (!device.driverHint.empty())
            return device.driverHint + ": no copy offload command";
        return "no copy offload command for this kind of device";
    case DeviceKind::Partition:
    case DeviceKind::DeviceMapper: break;
    }
    return "no copy offload command";
}

/// The extents must be whole blocks of `blockBytes` on both leaves (length 0: not checked).
std::optional<std::string> misalignment(const Topology& topology, const LeafExtentPair& extents, uint32_t blockBytes)
{
    if (extents.length == 0 || blockBytes == 0)
        return std::nullopt;
    if (extents.srcOffset % blockBytes != 0 || extents.length % blockBytes != 0)
        return "misaligned to " + num(blockBytes) + "-byte LBA on " + topology.at(extents.srcLeaf).name;
    if (extents.dstOffset % blockBytes != 0)
        return "misaligned to " + num(blockBytes) + "-byte LBA on " + topology.at(extents.dstLeaf).name;
    return std::nullopt;
}

/// Why NVMe limits forbid offloading on this namespace, if they do.
std::optional<std::string> nvmeLimitProblem(const BlockDevice& device, const NvmeCopyCaps& nvme)
{
    if (nvme.mcl == 0)
        return "MCL is 0 on " + device.name + ": the namespace allows no Copy length";
    if (nvme.mssrl == 0)
        return "MSSRL is 0 on " + device.name + ": the namespace allows no Copy source range";
    return std::nullopt;
}

/// Formats 0/2 carry 16-bit guard PI, 1/3 the 32/64-bit guards; the guard size is only known
/// for sure when PI is off or the metadata is 8 bytes (only a 16-bit guard fits).
std::optional<std::string> protectionProblem(const BlockDevice& device, const NvmeCopyCaps& nvme)
{
    const bool piEnabled = (nvme.dps & 0x7u) != 0;
    if (!piEnabled || nvme.metadataBytes == 8)
        return std::nullopt;
    return "protection information with " + num(nvme.metadataBytes) + "-byte metadata on " + device.name
           + ": the guard size is unknown, so no copy descriptor format can be chosen";
}

std::string subsystemOf(const BlockDevice& device, const NvmeCopyCaps& caps)
{
    if (!caps.subsysnqn.empty())
        return caps.subsysnqn;
    return device.nvme ? device.nvme->subsysnqn : std::string();
}

std::string kernelText(const HostCopySupport& host)
{
    return host.kernelRelease.empty() ? std::string("this kernel") : "this kernel (" + host.kernelRelease + ")";
}

LeafCopyChoice chooseNvme(const Topology& topology, const CapabilitySet& capabilities, const LeafExtentPair& extents,
                          const LeafCopyOptions& options)
{
    const BlockDevice& src = topology.at(extents.srcLeaf);
    const BlockDevice& dst = topology.at(extents.dstLeaf);
    const DeviceCapability& srcCap = capabilities.at(extents.srcLeaf);
    const DeviceCapability& dstCap = capabilities.at(extents.dstLeaf);
    for (const auto& [device, capability] : {std::pair{&src, &srcCap}, std::pair{&dst, &dstCap}}) {
        if (!capability->nvme)
            return unknown(displayName(*device) + ": unknown: NVMe Copy limits were not read");
    }
    const NvmeCopyCaps& srcNvme = *srcCap.nvme;
    const NvmeCopyCaps& dstNvme = *dstCap.nvme;
    if (srcNvme.lbaBytes != dstNvme.lbaBytes)
        return hostCopy("LBA formats differ: " + num(srcNvme.lbaBytes) + "-byte LBAs on " + src.name + ", "
                        + num(dstNvme.lbaBytes) + " on " + dst.name);
    for (const auto& [device, nvme] : {std::pair{&src, &srcNvme}, std::pair{&dst, &dstNvme}}) {
        if (auto problem = nvmeLimitProblem(*device, *nvme))
            return hostCopy(*problem);
        if (auto problem = protectionProblem(*device, *nvme))
            return hostCopy(*problem);
    }
    if (auto problem = misalignment(topology, extents, dstNvme.lbaBytes))
        return hostCopy(*problem);
    if (extents.srcLeaf == extents.dstLeaf)
        return offload(CopyMechanism::NvmeCopy, 0, "same namespace " + src.name + ", NVMe Copy supported");

    // Different namespaces: descriptor formats 2/3 carry the source namespace id in each
    // range; the command goes to the destination namespace's controller, which must be the
    // source namespace's controller too.
    const std::string names = displayName(src) + " and " + displayName(dst);
    const std::string nsids = src.nvme && dst.nvme
                                  ? " (nsid " + num(src.nvme->nsid) + " and " + num(dst.nvme->nsid) + ")"
                                  : std::string();
    const std::string srcSubsystem = subsystemOf(src, srcNvme);
    const std::string dstSubsystem = subsystemOf(dst, dstNvme);
    if (srcSubsystem.empty() || srcSubsystem != dstSubsystem)
        return hostCopy(names + " are namespaces of different NVMe subsystems"
                        + (srcSubsystem.empty() || dstSubsystem.empty()
                               ? std::string(" (subsystem NQN unknown)")
                               : " (" + srcSubsystem + ", " + dstSubsystem + ")")
                        + ": NVMe Copy works within one namespace, or across namespaces of one subsystem");
    if (srcNvme.controllerId != dstNvme.controllerId)
        return hostCopy(names + nsids + " are namespaces of subsystem " + srcSubsystem
                        + " probed through different controllers (cntlid " + num(srcNvme.controllerId) + " and "
                        + num(dstNvme.controllerId) + "): a cross-namespace NVMe Copy is planned only within one "
                        + "controller");
    // protectionProblem() admits only namespaces without PI or with a 16-bit guard: format 2.
    constexpr uint8_t format = 2;
    if (!dstNvme.supportsFormat(format))
        return hostCopy(names + " are different namespaces" + nsids + " of one controller, which lacks copy "
                        + "descriptor format 2 (OCFS " + hex(dstNvme.ocfs) + "): NVMe Copy cannot cross namespaces "
                        + "there");

    const HostCopySupport& host = capabilities.host;
    const std::string enabling = "the controller supports cross-namespace copy (copy formats 2/3)";
    const std::string caveat = "cross-namespace copies between " + names + " need copy format 2 enabled in the "
                               + "controller's Host Behavior Support (CDFE): offloadcp enables it (Set Features "
                               + "16h) before the first one, and copies by read/write if that is refused";
    const std::string what = "namespaces " + names + nsids + " of one controller: cross-namespace NVMe Copy (format 2)";
    switch (host.crossNamespace) {
    case CrossNamespaceEnable::Allowed:
        return offload(CopyMechanism::NvmeCopy, format, what, caveat);
    case CrossNamespaceEnable::Refused:
        if (options.forceCrossNamespace)
            return offload(CopyMechanism::NvmeCopy, format,
                           what + ", forced with --cross-namespace although " + kernelText(host)
                               + " refuses Set Features Host Behavior Support from user space",
                           caveat);
        return hostCopy(names + nsids + " are different namespaces: " + enabling + ", but this kernel does not "
                        + "let us enable it (it refuses Set Features Host Behavior Support from user space, as "
                        + "Linux >= 6.12 does)");
    case CrossNamespaceEnable::Unknown: break;
    }
    if (options.forceCrossNamespace)
        return offload(CopyMechanism::NvmeCopy, format, what + ", forced with --cross-namespace (kernel release "
                                                            + "unknown)", caveat);
    return unknown(names + nsids + " are different namespaces: " + enabling + ", but it is unknown whether "
                   + kernelText(host) + " lets us enable it (kernel release " + (host.kernelRelease.empty()
                                                                                      ? std::string("not known")
                                                                                      : "not understood")
                   + "; Linux >= 6.12 refuses Set Features Host Behavior Support from user space), so it is not "
                   + "planned; --cross-namespace tries it");
}

LeafCopyChoice chooseXcopy(const Topology& topology, const CapabilitySet& capabilities, const LeafExtentPair& extents)
{
    const BlockDevice& src = topology.at(extents.srcLeaf);
    const BlockDevice& dst = topology.at(extents.dstLeaf);
    const DeviceCapability& srcCap = capabilities.at(extents.srcLeaf);
    const DeviceCapability& dstCap = capabilities.at(extents.dstLeaf);
    for (const auto& [device, capability] : {std::pair{&src, &srcCap}, std::pair{&dst, &dstCap}}) {
        if (!capability->scsi)
            return unknown(displayName(*device) + ": unknown: EXTENDED COPY parameters were not read");
    }
    const ScsiCopyCaps& srcScsi = *srcCap.scsi;
    const ScsiCopyCaps& dstScsi = *dstCap.scsi;
    const std::string srcTarget = src.scsi ? src.scsi->targetId : std::string();
    const std::string dstTarget = dst.scsi ? dst.scsi->targetId : std::string();
    if (extents.srcLeaf != extents.dstLeaf && (srcTarget.empty() || srcTarget != dstTarget))
        return hostCopy(displayName(src) + " (target " + (srcTarget.empty() ? "unknown" : srcTarget) + ") and "
                        + displayName(dst) + " (target " + (dstTarget.empty() ? "unknown" : dstTarget)
                        + ") are on different SCSI targets: EXTENDED COPY is issued only between LUNs of one target");
    for (const auto& [device, scsi] : {std::pair{&src, &srcScsi}, std::pair{&dst, &dstScsi}}) {
        if (scsi->naaDesignator.empty())
            return hostCopy(displayName(*device) + " has no NAA designator in VPD page 0x83, which the EXTENDED "
                            + "COPY target descriptor needs");
        if (!scsi->threePC)
            return hostCopy(displayName(*device) + " does not report 3PC (third-party copy) in INQUIRY");
    }
    if (srcScsi.blockBytes != dstScsi.blockBytes)
        return hostCopy("logical block sizes differ: " + num(srcScsi.blockBytes) + " bytes on " + src.name + ", "
                        + num(dstScsi.blockBytes) + " on " + dst.name);
    if (dstScsi.rcopKnown && dstScsi.maxCscdDescriptors < 2)
        return hostCopy("the copy manager of " + dst.name + " accepts " + num(dstScsi.maxCscdDescriptors)
                        + " CSCD descriptors; EXTENDED COPY needs 2");
    if (dstScsi.rcopKnown && dstScsi.maxSegmentDescriptors == 0)
        return hostCopy("the copy manager of " + dst.name + " accepts no segment descriptors");
    if (auto problem = misalignment(topology, extents, dstScsi.blockBytes))
        return hostCopy(*problem);
    if (extents.srcLeaf == extents.dstLeaf)
        return offload(CopyMechanism::ScsiXcopy, 0, "same LUN " + src.name + ", EXTENDED COPY");
    return offload(CopyMechanism::ScsiXcopy, 0,
                   "LUNs " + src.name + " and " + dst.name + " on one target (" + srcTarget + "), EXTENDED COPY");
}

} // namespace

std::string displayName(const BlockDevice& device)
{
    if (device.dm && !device.dm->name.empty())
        return device.dm->name;
    return device.name;
}

std::string mechanismText(CopyMechanism mechanism)
{
    switch (mechanism) {
    case CopyMechanism::NvmeCopy: return "NVMe Copy";
    case CopyMechanism::ScsiXcopy: return "SCSI EXTENDED COPY";
    case CopyMechanism::None: break;
    }
    return "no copy offload";
}

std::string unprobedReason(const DeviceCapability* capability)
{
    if (!capability)
        return "unknown: not probed";
    switch (capability->status) {
    case ProbeStatus::NeedsRoot:
        if (!capability->reason.empty())
            return capability->reason;
        return "unknown: needs root";
    case ProbeStatus::Failed:
        if (capability->reason.rfind("probe failed", 0) == 0 || capability->reason.rfind("unknown", 0) == 0)
            return capability->reason;
        return "unknown: probe failed: "
               + (capability->reason.empty() ? std::string("no reason given") : capability->reason);
    case ProbeStatus::Skipped:
        return capability->reason.empty() ? std::string("unknown: not probed") : capability->reason;
    case ProbeStatus::Ok:
    case ProbeStatus::NotApplicable: break;
    }
    return {};
}

std::string noCopyReason(const BlockDevice& device, const DeviceCapability& capability)
{
    return capability.reason.empty() ? defaultNoneReason(device) : capability.reason;
}

LeafCopyChoice chooseLeafCopy(const Topology& topology, const CapabilitySet& capabilities,
                              const LeafExtentPair& extents, const LeafCopyOptions& options)
{
    const BlockDevice& src = topology.at(extents.srcLeaf);
    const BlockDevice& dst = topology.at(extents.dstLeaf);
    const DeviceCapability* srcCap = capabilityOf(capabilities, extents.srcLeaf);
    const DeviceCapability* dstCap = capabilityOf(capabilities, extents.dstLeaf);
    const bool same = extents.srcLeaf == extents.dstLeaf;
    const std::string apart = same ? std::string() : "different devices: " + src.name + " and " + dst.name + "; ";

    for (auto [device, capability] : {std::pair{&src, srcCap}, std::pair{&dst, dstCap}}) {
        const std::string unprobed = unprobedReason(capability);
        if (!unprobed.empty())
            return unknown(displayName(*device) + ": " + unprobed);
    }
    for (auto [device, capability] : {std::pair{&src, srcCap}, std::pair{&dst, dstCap}}) {
        if (capability->mechanism == CopyMechanism::None)
            return hostCopy(apart + displayName(*device) + ": " + noCopyReason(*device, *capability));
    }
    if (srcCap->mechanism != dstCap->mechanism)
        return hostCopy(displayName(src) + " offers " + mechanismText(srcCap->mechanism) + " and " + displayName(dst)
                        + " " + mechanismText(dstCap->mechanism)
                        + ": no copy command moves data between an NVMe namespace and a SCSI LUN");
    if (src.logicalBlockSize != dst.logicalBlockSize)
        return hostCopy("logical block sizes differ: " + num(src.logicalBlockSize) + " bytes on " + src.name + ", "
                        + num(dst.logicalBlockSize) + " on " + dst.name
                        + ": a copy command moves whole blocks of one size");
    if (dst.zoned == "host-managed")
        return hostCopy("host-managed zoned device " + displayName(dst) + ": a copy must land at a zone's write "
                        + "pointer (elsewhere the device answers Zone Invalid Write), so offloadcp copies to it "
                        + "by read/write");
    if (srcCap->mechanism == CopyMechanism::NvmeCopy)
        return chooseNvme(topology, capabilities, extents, options);
    return chooseXcopy(topology, capabilities, extents);
}

} // namespace offload
