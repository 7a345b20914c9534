// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "copy/CopyPlan.h"
#include "topology/Topology.h"
#include "util/Error.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace offload {

enum class EndpointRole { Source, Destination };

/// Resolves SRC or DST as a user typed it into a copy endpoint:
/// - a block device of `topology`: /dev path (or a symlink to one), kernel name, dm name,
///   major:minor or stable id (see Topology::find); size and block size come from the topology;
/// - a regular file (path); its size is read with stat, its filesystem with statfs and
///   mountinfo (CopyEndpoint::fileSystem). A source link is followed to its file; a
///   destination keeps its last component (the job opens it with O_NOFOLLOW), its
///   directories resolved;
/// - for the destination only: a path that does not exist yet, outside /dev, whose directory
///   exists (a new file; size 0).
/// A bare name (no '/') is looked up as a device first, then as a file in the working directory.
/// Reads the file system with stat/statfs only; opens nothing. Errors: NotFound (nothing by that
/// name), InvalidArgument (a directory, a character device, a block device missing from the
/// snapshot, a destination that is a symbolic link to a file or to nothing, a file on a
/// pseudo filesystem such as procfs, sysfs or devtmpfs), each saying what to give instead.
Result<CopyEndpoint> resolveEndpoint(const Topology& topology, const std::string& spec, EndpointRole role);

/// The devices a copy from `source` to `destination` uses, as resolveEndpoint finds them:
/// what `copy` and `plan` probe (ScanOptions::probeOnly). A spec that names a file or
/// nothing adds no device; resolveEndpoint reports its error afterwards.
std::vector<std::size_t> endpointDevices(const Topology& topology, const std::string& source,
                                         const std::string& destination);

/// The device numbers of the block devices `specs` name on this machine, found without
/// reading the topology (stat of a path, /sys/class/block/NAME/dev, /dev/mapper/NAME,
/// MAJ:MIN): the seeds of ScanOptions::around for `copy` and `plan`. A regular file or a
/// path that does not exist outside /dev adds nothing. nullopt when a spec could name a
/// device only the whole topology can tell (a stable id, a bare name that is no kernel or
/// dm name, a missing /dev path, a missing path with a colon): read everything then.
std::optional<std::vector<DevNum>> endpointDevNums(const std::vector<std::string>& specs,
                                                   const std::filesystem::path& sysfsRoot = "/sys");

} // namespace offload
