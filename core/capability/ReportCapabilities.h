// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "capability/Capability.h"
#include "topology/Topology.h"
#include "util/Error.h"

#include <string>
#include <string_view>
#include <vector>

namespace offload {

/// One device's capability as `offloadcp report --json` printed it, keyed by stable id
/// (device indexes and /dev names differ between two scans; the stable id does not).
struct ReportedCapability {
    std::string stableId;
    DeviceCapability capability; ///< `device` is not meaningful here (see mergeReportedCapabilities)
};

/// Reads the capabilities back out of `offloadcp report --json` output (schema_version 1):
/// per device the probe status, mechanism and reason, NVMe ONCS/OCFS/LBA size/controller
/// id and limits (MSSRL, MCL, MSRC), SCSI 3PC/NAA/block size and copy parameters. Fields the
/// report does not carry keep their defaults (NVMe protection information, MDTS, SCSI
/// descriptor codes), so a plan made from them is a preview, not the copy's own plan.
/// Errors: not JSON, not a report, another schema version, a number that is negative or does not
/// fit its field (naming the device and the field; a cast would make another value of it).
Result<std::vector<ReportedCapability>> parseReportCapabilities(std::string_view json);

/// Puts what a probe learned into `capabilities` (indexed like `topology`): every reported
/// device whose probe ran (status ok or failed) replaces the capability of the device with
/// the same stable id. Devices the report does not know, or knows only as "needs root" /
/// "not applicable", keep theirs. Returns how many devices were updated.
std::size_t mergeReportedCapabilities(const Topology& topology, const std::vector<ReportedCapability>& reported,
                                      CapabilitySet& capabilities);

} // namespace offload
