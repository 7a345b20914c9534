// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "copy/CopyPlan.h"
#include "topology/Topology.h"
#include "util/Error.h"

#include <string>
#include <vector>

namespace offload {

/// What the user allowed beyond the defaults.
struct SafetyOptions {
    bool force = false; ///< --force: allow a destination that is mounted or held by another device
};

/// Checks a plan against the live facts before anything is written. Refuses (with what
/// the user can do): a destination that is mounted or held by another device (dm,
/// partitions, any layer above or below it mounted) unless `force`; a range beyond the
/// end of either volume; offsets or lengths not a multiple of both logical block sizes
/// (named); a destination built on the source or the other way round; overlapping
/// ranges on one device, also where two stacks share a leaf. A regular-file source into a
/// device gets the same destination checks. Pure (reads only the topology and the plan).
/// Returns warnings that do not stop the copy (a mounted source; a file destination on
/// the source device's own filesystem, from CopyEndpoint::fileSystem).
Result<std::vector<std::string>> checkCopySafety(const Topology& topology, const CopyPlan& plan,
                                                 const SafetyOptions& options);

/// The leaf the passthrough backends may address: throws nothing, returns Errc::Internal
/// when `device` is a dm node, a partition or anything but a leaf NVMe namespace / SCSI disk.
Status checkPassthroughTarget(const Topology& topology, std::size_t device);

} // namespace offload
