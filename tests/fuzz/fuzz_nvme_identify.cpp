// SPDX-License-Identifier: GPL-2.0-or-later
// NVMe Identify Controller and Identify Namespace data, as a device (or a fixture's probe/
// folder) returns them: any length, any bytes.
#include "FuzzInput.h"

#include "capability/Capability.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size)
{
    const std::vector<uint8_t> input = offload::fuzz::bytes(data, size);
    auto controller = offload::parseNvmeIdentifyController(input);
    offload::NvmeCopyCaps caps = controller ? *controller : offload::NvmeCopyCaps{};
    if (offload::parseNvmeIdentifyNamespace(input, caps)) {
        // What the planner divides by and multiplies with.
        OFFLOADCP_FUZZ_CHECK(caps.lbaBytes >= 512);
        (void)caps.maxRanges();
    }
    return 0;
}
