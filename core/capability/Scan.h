// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "capability/Capability.h"
#include "topology/Topology.h"
#include "util/Error.h"

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace offload {

class NvmeTransport;
class ScsiTransport;

/// A topology with the capabilities of its devices: what the CLI and the app show.
struct SystemSnapshot {
    std::shared_ptr<const Topology> topology;
    CapabilitySet capabilities;
};

struct ScanOptions {
    /// Empty: the live system (/sys, libdevmapper, libnvme and SG_IO probes).
    /// Else a fixture directory captured by tests/tools/capture-fixture.sh: its sys/,
    /// dmsetup-table.txt, mountinfo and probe/ (captured identify / INQUIRY / VPD bytes).
    std::filesystem::path fixture;
    /// Live only: a different sysfs root (capabilities are then not probed).
    std::filesystem::path sysfsRoot;
    /// Test hooks: use these transports instead (not owned).
    NvmeTransport* nvme = nullptr;
    ScsiTransport* scsi = nullptr;
    /// Which devices the command uses, decided once the topology is read (e.g. a copy's
    /// source and destination). Only the leaves under them are probed; the other leaves
    /// are ProbeStatus::Skipped. Unset: every leaf is probed (report, the app).
    std::function<std::vector<std::size_t>(const Topology&)> probeOnly;
    /// Read just the devices around these (TopologyOptions::around), e.g. the numbers
    /// endpointDevNums gives for a copy's source and destination on this machine. Unset: all.
    std::optional<std::vector<DevNum>> around;
};

/// Reads the topology and probes every leaf (or those under options.probeOnly); fills
/// capabilities.host from the kernel the snapshot describes (uname, or a fixture's
/// kernel-release file). Blocking; call from a worker thread in a UI.
Result<SystemSnapshot> scanSystem(const ScanOptions& options = {});

/// Transports that answer from a fixture's probe/ folder: probe/<kernel name>.<what>
/// where <what> is id-ctrl, id-ns (NVMe, 4096 bytes each), inquiry, vpd83, vpd80, vpd8f,
/// rcop (SCSI raw bytes). A missing file is "not probed" (Errc::NotFound).
std::unique_ptr<NvmeTransport> makeFixtureNvmeTransport(const std::filesystem::path& probeDir);
std::unique_ptr<ScsiTransport> makeFixtureScsiTransport(const std::filesystem::path& probeDir);

} // namespace offload
