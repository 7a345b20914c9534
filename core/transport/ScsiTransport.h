// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "topology/BlockDevice.h"
#include "util/Error.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace offload {

/// Talks to SCSI LUNs with SG_IO. The real one uses libsgutils2; tests use a fake that
/// checks CDBs and parameter lists byte by byte. Takes only leaf SCSI disks.
class ScsiTransport {
public:
    virtual ~ScsiTransport() = default;
    virtual Result<std::vector<uint8_t>> inquiry(const BlockDevice& lun) = 0;
    virtual Result<std::vector<uint8_t>> vpdPage(const BlockDevice& lun, uint8_t page) = 0;
    /// RECEIVE COPY OPERATING PARAMETERS (opcode 0x84, service action 0x03).
    virtual Result<std::vector<uint8_t>> receiveCopyOperatingParameters(const BlockDevice& lun) = 0;
    /// EXTENDED COPY LID1 (opcode 0x83, service action 0x00) with this parameter list.
    /// On CHECK CONDITION, Error::scsi carries the decoded sense.
    virtual Status extendedCopy(const BlockDevice& lun, const std::vector<uint8_t>& parameterList) = 0;
    /// RECEIVE COPY RESULTS (0x84) with the given service action and list identifier.
    virtual Result<std::vector<uint8_t>> receiveCopyResults(const BlockDevice& lun, uint8_t serviceAction,
                                                            uint8_t listId) = 0;
};

/// libsgutils2 adapter (the only place that includes sg3_utils headers).
std::unique_ptr<ScsiTransport> makeSgUtilsTransport();

} // namespace offload
