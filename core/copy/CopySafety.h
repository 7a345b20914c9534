// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "copy/CopyPlan.h"
#include "topology/Topology.h"
#include "util/Error.h"

#include <functional>
#include <string>
#include <vector>

namespace offload {

/// What the user allowed beyond the defaults.
struct SafetyOptions {
    bool force = false; ///< --force: allow a destination that is mounted or held by another device
};

/// The layers a write to [offset, offset+length) of `device` goes through: `device`, every
/// layer on the way down to the leaves that range maps to, and everything below a layer the
/// mapper cannot pass (crypt, thin, ...) or a range it cannot map (never less than the
/// truth). A lower that the range does not map to (the second PV of a dm-linear whose first
/// PV holds the range) is not part of it. Pure; each device once, top first.
std::vector<std::size_t> destinationWriteStack(const Topology& topology, std::size_t device, uint64_t offset,
                                               uint64_t length);

/// Refuses a write to [offset, offset+length) of `device` when a layer of its
/// destinationWriteStack has the kernel's read-only flag (BlockDevice::readOnly, sysfs `ro`):
/// the kernel only warns when a dm device writes to a read-only partition or disk below it,
/// and an offload addressed to the leaf would pass by the flag entirely. The error
/// (Errc::InvalidArgument: exit 2 in the CLI, never overridden by --force) names the
/// read-only layer and says `blockdev --setrw`. `readOnly` answers the flag of one layer
/// (default: the snapshot's). The one place that decides this: planCopy and
/// checkCopySafety both call it, and the job again with the flags read just before it writes.
Status checkDestinationWritable(const Topology& topology, std::size_t device, uint64_t offset, uint64_t length,
                                const std::function<bool(const BlockDevice&)>& readOnly = {});

/// Checks a plan against the live facts before anything is written. Refuses (with what
/// the user can do): a destination with the read-only flag at any layer of its stack
/// (checkDestinationWritable; also with `force`); a destination that is mounted or held by another device (dm,
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
