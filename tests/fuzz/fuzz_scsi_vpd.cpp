// SPDX-License-Identifier: GPL-2.0-or-later
// SCSI data a LUN (or a fixture's probe/ folder) returns: standard INQUIRY, VPD 0x83 (device
// identification designators), VPD 0x80 (unit serial), RECEIVE COPY OPERATING PARAMETERS and
// RECEIVE COPY STATUS: any length, any bytes.
#include "FuzzInput.h"

#include "capability/Capability.h"
#include "copy/OffloadBackend.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size)
{
    const std::vector<uint8_t> input = offload::fuzz::bytes(data, size);
    offload::ScsiCopyCaps caps;
    (void)offload::parseScsiInquiry(input, caps);
    if (offload::parseScsiDeviceIdVpd(input, caps) && !caps.naaDesignator.empty())
        OFFLOADCP_FUZZ_CHECK(caps.naaDesignator.size() <= input.size());
    (void)offload::parseScsiUnitSerialVpd(input, caps);
    OFFLOADCP_FUZZ_CHECK(caps.unitSerial.size() <= input.size());
    (void)offload::parseScsiCopyOperatingParameters(input, caps);
    OFFLOADCP_FUZZ_CHECK(caps.supportedDescriptorCodes.size() <= input.size());
    (void)offload::parseXcopyCopyStatus(input);
    return 0;
}
