// SPDX-License-Identifier: GPL-2.0-or-later
// probeCapabilities: asks every leaf NVMe namespace and SCSI LUN (or only those a command
// uses) what copy offload it offers, and gives every other device the reason it has none.
#include "capability/Capability.h"
#include "transport/NvmeTransport.h"
#include "transport/ScsiTransport.h"

#include <algorithm>

namespace offload {

namespace {

constexpr uint8_t kSenseUnitAttention = 0x06;

/// Records a probe that could not be completed: "needs root" stays apart from failures.
void recordFailure(DeviceCapability& cap, const Error& error)
{
    cap.mechanism = CopyMechanism::None;
    if (error.code == Errc::PermissionDenied) {
        cap.status = ProbeStatus::NeedsRoot;
        cap.reason = "unknown: needs root";
        return;
    }
    cap.status = ProbeStatus::Failed;
    cap.reason = "unknown: " + error.message();
}

Error withDevice(Error error, const BlockDevice& dev)
{
    if (error.device.empty())
        error.device = dev.name;
    return error;
}

void probeNvme(const BlockDevice& dev, NvmeTransport& transport, DeviceCapability& cap)
{
    auto controller = transport.identifyController(dev);
    if (!controller)
        return recordFailure(cap, controller.error());
    auto caps = parseNvmeIdentifyController(*controller);
    if (!caps)
        return recordFailure(cap, withDevice(caps.error(), dev));
    auto nsData = transport.identifyNamespace(dev);
    if (!nsData)
        return recordFailure(cap, nsData.error());
    if (auto st = parseNvmeIdentifyNamespace(*nsData, *caps); !st)
        return recordFailure(cap, withDevice(st.error(), dev));

    cap.status = ProbeStatus::Ok;
    cap.nvme = *caps;
    cap.mechanism = CopyMechanism::None;
    if (!caps->copy)
        cap.reason = "controller has no Copy command (ONCS bit 8 clear)";
    else if (caps->mssrl == 0)
        cap.reason = "MSSRL is 0: the namespace accepts no copy source range";
    else if (caps->mcl == 0)
        cap.reason = "MCL is 0: the namespace accepts no blocks per copy command";
    else if (caps->ocfs != 0 && !caps->supportsFormat(0) && !caps->supportsFormat(1))
        cap.reason = "controller offers only cross-namespace copy formats (OCFS has neither format 0 nor 1)";
    else {
        // MSRC is 0's based: 0 still allows one source range per command.
        cap.mechanism = CopyMechanism::NvmeCopy;
        cap.reason.clear();
    }
}

bool hasCode(const ScsiCopyCaps& caps, uint8_t code)
{
    return std::find(caps.supportedDescriptorCodes.begin(), caps.supportedDescriptorCodes.end(), code)
           != caps.supportedDescriptorCodes.end();
}

void probeScsi(const BlockDevice& dev, ScsiTransport& transport, DeviceCapability& cap)
{
    ScsiCopyCaps caps;
    caps.blockBytes = dev.logicalBlockSize;

    auto inquiry = transport.inquiry(dev);
    if (!inquiry)
        return recordFailure(cap, inquiry.error());
    if (auto st = parseScsiInquiry(*inquiry, caps); !st)
        return recordFailure(cap, withDevice(st.error(), dev));

    std::string designatorProblem;
    if (auto page = transport.vpdPage(dev, 0x83); !page) {
        if (page.error().code == Errc::PermissionDenied)
            return recordFailure(cap, page.error());
        designatorProblem = "no NAA designator: VPD page 0x83 could not be read (" + page.error().message() + ")";
    } else if (auto st = parseScsiDeviceIdVpd(*page, caps); !st) {
        designatorProblem = "no NAA designator: VPD page 0x83 is malformed (" + st.error().what + ")";
    }
    if (auto page = transport.vpdPage(dev, 0x80); page)
        (void)parseScsiUnitSerialVpd(*page, caps); // display only: a bad serial page changes nothing
    caps.tpcVpdPresent = transport.vpdPage(dev, 0x8f).has_value();

    std::string rcopProblem;
    if (caps.threePC) {
        auto rcop = transport.receiveCopyOperatingParameters(dev);
        // INQUIRY is exempt from unit attentions, so RECEIVE COPY OPERATING PARAMETERS is
        // often the first command to meet one (LIO raises REPORTED LUNS DATA HAS CHANGED on
        // every new LUN). The command was not executed: ask once more.
        if (!rcop && rcop.error().scsi && (rcop.error().scsi->key & 0x0f) == kSenseUnitAttention)
            rcop = transport.receiveCopyOperatingParameters(dev);
        if (!rcop) {
            if (rcop.error().code == Errc::PermissionDenied)
                return recordFailure(cap, rcop.error());
            rcopProblem = "copy limits unknown: RECEIVE COPY OPERATING PARAMETERS failed ("
                          + rcop.error().message() + ")";
        } else if (auto st = parseScsiCopyOperatingParameters(*rcop, caps); !st) {
            rcopProblem = "copy limits unknown: RECEIVE COPY OPERATING PARAMETERS data is malformed ("
                          + st.error().what + ")";
        }
    }

    cap.status = ProbeStatus::Ok;
    cap.mechanism = CopyMechanism::None;
    if (!caps.threePC)
        cap.reason = "no 3PC: the LUN does not accept EXTENDED COPY (INQUIRY 3PC bit clear)";
    else if (!designatorProblem.empty())
        cap.reason = designatorProblem;
    else if (caps.naaDesignator.empty())
        cap.reason = "no NAA designator: EXTENDED COPY needs one";
    else if (!rcopProblem.empty())
        cap.reason = rcopProblem;
    else if (caps.maxCscdDescriptors == 0)
        cap.reason = "copy manager accepts no CSCD descriptors";
    else if (caps.maxSegmentDescriptors == 0)
        cap.reason = "copy manager accepts no segment descriptors";
    else if (!caps.supportedDescriptorCodes.empty() && !hasCode(caps, 0x02))
        cap.reason = "copy manager lacks block-to-block segment descriptors (type 02h)";
    else if (!caps.supportedDescriptorCodes.empty() && !hasCode(caps, 0xe4))
        cap.reason = "copy manager lacks identification CSCD descriptors (type E4h)";
    else {
        cap.mechanism = CopyMechanism::ScsiXcopy;
        cap.reason.clear();
    }
    cap.scsi = std::move(caps);
}

} // namespace

CapabilitySet probeCapabilities(const Topology& topology, NvmeTransport& nvme, ScsiTransport& scsi,
                                const std::optional<std::vector<std::size_t>>& only)
{
    std::vector<bool> wanted(topology.size(), !only);
    if (only)
        for (std::size_t device : *only)
            for (std::size_t leaf : topology.leavesOf(device))
                wanted[leaf] = true;
    auto skip = [](DeviceCapability& cap) {
        cap.status = ProbeStatus::Skipped;
        cap.reason = "unknown: not probed (this command does not use the device)";
    };
    CapabilitySet set;
    set.devices.reserve(topology.size());
    for (const BlockDevice& dev : topology.devices()) {
        DeviceCapability cap;
        cap.device = set.devices.size(); // indexed like Topology::devices()
        cap.mechanism = CopyMechanism::None;
        cap.status = ProbeStatus::NotApplicable;
        switch (dev.kind) {
        case DeviceKind::NvmeNamespace:
            if (wanted[dev.index])
                probeNvme(dev, nvme, cap);
            else
                skip(cap);
            break;
        case DeviceKind::ScsiDisk:
            if (wanted[dev.index])
                probeScsi(dev, scsi, cap);
            else
                skip(cap);
            break;
        case DeviceKind::Partition:
            cap.reason = "partition: a copy maps to the disk below at a fixed offset";
            break;
        case DeviceKind::DeviceMapper:
            cap.reason = "device-mapper: a copy maps through the table to the devices below";
            break;
        case DeviceKind::Loop:
            cap.reason = "loop device: the loop driver has no copy command";
            break;
        case DeviceKind::Other:
            cap.reason = (dev.driverHint.empty() ? std::string("this block driver") : dev.driverHint)
                         + ": no copy offload command";
            break;
        }
        set.devices.push_back(std::move(cap));
    }
    return set;
}

} // namespace offload
