// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "topology/BlockDevice.h"
#include "util/Error.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace offload {

/// An immutable snapshot of the machine's block devices: a DAG with edges both ways
/// (BlockDevice::lowers / uppers). Rescanning yields a new snapshot. Cheap to copy
/// around by shared_ptr; safe to read from any thread.
class Topology {
public:
    Topology() = default;
    /// Takes devices whose lowers are filled in; fills uppers and index, sorts nothing.
    Topology(std::vector<BlockDevice> devices, std::vector<std::string> warnings = {});

    const std::vector<BlockDevice>& devices() const { return m_devices; }
    const BlockDevice& at(std::size_t index) const { return m_devices.at(index); }
    std::size_t size() const { return m_devices.size(); }

    const BlockDevice* findByDevNum(DevNum devnum) const;
    /// Accepts a kernel name (nvme0n1), a /dev path (/dev/nvme0n1, /dev/mapper/x, a symlink
    /// such as /dev/disk/by-id/..., resolved through stat's st_rdev when the path exists),
    /// a dm name, or a stable id.
    const BlockDevice* find(std::string_view spec) const;
    const BlockDevice* findByStableId(std::string_view id) const;

    /// Devices with no lowers (the tree's roots, as lsblk shows them).
    std::vector<std::size_t> roots() const;
    /// The leaf devices under `index` (itself when it is a leaf).
    std::vector<std::size_t> leavesOf(std::size_t index) const;
    /// True when `upper` is built (directly or indirectly) on `lower`.
    bool dependsOn(std::size_t upper, std::size_t lower) const;

    /// Scan-wide warnings ("no device-mapper in this kernel", "not root: ...").
    const std::vector<std::string>& warnings() const { return m_warnings; }

private:
    std::vector<BlockDevice> m_devices;
    std::vector<std::string> m_warnings;
};

/// Where device-mapper tables come from: libdevmapper on a live system, a captured
/// `dmsetup table` file for fixtures, or a test fake.
class DmTableSource {
public:
    virtual ~DmTableSource() = default;
    /// Empty string when available, else why not ("no device-mapper in this kernel").
    virtual std::string unavailableReason() const = 0;
    virtual Result<std::vector<DmSegment>> table(DevNum devnum, const std::string& name) = 0;
};

/// libdevmapper adapter (the only place that includes libdevmapper.h). Routes libdm's
/// log through dm_log_with_errno_init so nothing is printed to stderr.
std::unique_ptr<DmTableSource> makeLibDmTableSource();
/// Parses `dmsetup table` output ("name: start length target params" per line).
std::unique_ptr<DmTableSource> makeDmsetupTextSource(const std::filesystem::path& file);
/// Pure parser of `dmsetup table` text: name -> segments. Used by the text source and tests.
Result<std::vector<std::pair<std::string, DmSegment>>> parseDmsetupTable(std::string_view text);

struct TopologyOptions {
    std::filesystem::path sysfsRoot = "/sys";          ///< a captured fixture tree's sys/ works too
    /// Outside the live /sys, no file is read from outside this directory (empty: the
    /// sysfs root): a link in the tree that leads out of it is not followed, and the
    /// attribute it stands for is reported unreadable (a warning naming it). mountinfo and
    /// swaps outside the tree are read within their own folder.
    std::filesystem::path treeRoot;
    std::filesystem::path mountinfo = "/proc/self/mountinfo"; ///< empty: do not read
    std::filesystem::path swaps = "/proc/swaps";       ///< empty: do not read
    DmTableSource* dm = nullptr; ///< not owned; null: libdevmapper on a live /sys
    /// Set: read only the devices around these (what `copy` and `plan` need, so that a
    /// machine's hundreds of other LUNs and volumes cost nothing): each one with its whole
    /// stack down to the leaves, what is built on it (holders, a disk's partitions) up to
    /// the top, and the stacks under those. Every device read has all of its lowers; the
    /// devices above a lower that was reached going down are left out. A number that is no
    /// block device of the tree adds nothing. Unset: every block device.
    std::optional<std::vector<DevNum>> around;
};

/// Reads the topology. A device that vanishes mid-scan or an unreadable attribute adds a
/// warning and a partial entry; only an unreadable sysfs root is an error.
Result<Topology> readTopology(const TopologyOptions& options = {});

/// Reads a fixture directory captured by tests/tools/capture-fixture.sh:
/// <dir>/sys, <dir>/dmsetup-table.txt, <dir>/mountinfo (all optional but sys).
/// `around`: as TopologyOptions::around.
Result<Topology> readFixtureTopology(const std::filesystem::path& dir,
                                     const std::optional<std::vector<DevNum>>& around = std::nullopt);

} // namespace offload
