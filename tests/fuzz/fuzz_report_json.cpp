// SPDX-License-Identifier: GPL-2.0-or-later
// `offloadcp report --json` as the app reads it back after *Probe as administrator*
// (parseReportCapabilities), merged into a small topology by stable id.
#include "FuzzInput.h"

#include "capability/ReportCapabilities.h"

namespace {

offload::Topology smallTopology()
{
    offload::BlockDevice nvme;
    nvme.name = "nvme0n1";
    nvme.devnum = {259, 0};
    nvme.kind = offload::DeviceKind::NvmeNamespace;
    nvme.sizeBytes = 1ull << 30;
    nvme.nvme = offload::NvmeNamespaceInfo{};
    nvme.nvme->nsid = 1;
    nvme.nvme->eui64 = "0100000000000000";
    offload::BlockDevice sda;
    sda.name = "sda";
    sda.devnum = {8, 0};
    sda.kind = offload::DeviceKind::ScsiDisk;
    sda.sizeBytes = 1ull << 30;
    sda.scsi = offload::ScsiDiskInfo{};
    sda.scsi->wwid = "naa.6001405000000001";
    return offload::Topology({nvme, sda});
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size)
{
    static const offload::Topology topology = smallTopology();
    const auto reported = offload::parseReportCapabilities(offload::fuzz::text(data, size));
    if (!reported)
        return 0;
    offload::CapabilitySet caps;
    const std::size_t merged = offload::mergeReportedCapabilities(topology, *reported, caps);
    OFFLOADCP_FUZZ_CHECK(merged <= reported->size() && caps.devices.size() == topology.size());
    for (const offload::DeviceCapability& c : caps.devices)
        if (c.nvme)
            (void)c.nvme->maxRanges();
    return 0;
}
