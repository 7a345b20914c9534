// SPDX-License-Identifier: GPL-2.0-or-later
// NVMe Identify Controller and Identify Namespace data, as a device (or a fixture's probe/
// folder) returns them: any length, any bytes. An input of 8192 bytes or more is also read as
// Identify Controller (first 4096) and Identify Namespace (next 4096) of one namespace, and a
// copy within it is planned with those limits (MSSRL, MCL, MSRC, LBA size) and each command
// encoded, as `copy` would send them: the planner promises commands the device accepts.
#include "FuzzInput.h"

#include "capability/Capability.h"
#include "copy/CopyPlanner.h"
#include "copy/OffloadBackend.h"

namespace {

using namespace offload;

constexpr std::size_t kIdentifyBytes = 4096;

void planWithin(const NvmeCopyCaps& caps)
{
    if (caps.lbaBytes > (1u << 20))
        return; // a volume of a few such blocks says little
    BlockDevice ns;
    ns.name = "nvme0n1";
    ns.devnum = {259, 0};
    ns.kind = DeviceKind::NvmeNamespace;
    ns.logicalBlockSize = caps.lbaBytes;
    ns.physicalBlockSize = caps.lbaBytes;
    ns.sizeBytes = uint64_t(caps.lbaBytes) * 4096;
    ns.nvme = NvmeNamespaceInfo{};
    ns.nvme->controller = "nvme0";
    ns.nvme->transport = "pcie";
    ns.nvme->serial = "fuzz";
    ns.nvme->nsid = 1;
    const Topology topology({ns});
    CapabilitySet set;
    DeviceCapability cap;
    cap.mechanism = caps.copy ? CopyMechanism::NvmeCopy : CopyMechanism::None;
    cap.status = ProbeStatus::Ok;
    cap.nvme = caps;
    set.devices = {cap};

    CopyRequest request;
    request.source = deviceEndpoint(topology, 0);
    request.destination = deviceEndpoint(topology, 0);
    request.length = uint64_t(caps.lbaBytes) * 1024;
    request.dstOffset = uint64_t(caps.lbaBytes) * 2048;
    auto plan = planCopy(topology, set, request);
    if (!plan)
        return;
    uint64_t planned = 0;
    for (const PlannedExtent& e : plan->extents)
        planned += e.length;
    OFFLOADCP_FUZZ_CHECK(planned == plan->length);
    uint64_t commandBytes = 0;
    for (const NvmeCopyStep& step : plan->nvmeSteps) {
        OFFLOADCP_FUZZ_CHECK(step.ranges.size() <= caps.maxRanges());
        OFFLOADCP_FUZZ_CHECK(encodeNvmeCopy(1, step).has_value());
        commandBytes += step.bytes();
    }
    OFFLOADCP_FUZZ_CHECK(commandBytes == plan->bytesBy(CopyMethod::NvmeCopy));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size)
{
    const std::vector<uint8_t> input = fuzz::bytes(data, size);
    auto controller = parseNvmeIdentifyController(input);
    NvmeCopyCaps caps = controller ? *controller : NvmeCopyCaps{};
    if (parseNvmeIdentifyNamespace(input, caps))
        OFFLOADCP_FUZZ_CHECK(caps.lbaBytes >= 512);

    if (size >= 2 * kIdentifyBytes) {
        const std::vector<uint8_t> ctrl(data, data + kIdentifyBytes);
        const std::vector<uint8_t> nsData(data + kIdentifyBytes, data + 2 * kIdentifyBytes);
        auto both = parseNvmeIdentifyController(ctrl);
        if (both && parseNvmeIdentifyNamespace(nsData, *both))
            planWithin(*both);
    }
    return 0;
}
