// SPDX-License-Identifier: GPL-2.0-or-later
// scanSystem: the topology plus the capabilities of its devices, from the live machine or
// from a captured fixture.
#include "capability/Scan.h"
#include "transport/NvmeTransport.h"
#include "transport/ScsiTransport.h"
#include "util/FileTree.h"

#include <cerrno>

namespace offload {

namespace {

/// Stands in for the device transports when the topology does not describe this machine's
/// devices (a different sysfs root): every probe says why it was not sent.
class NotProbedTransport final : public NvmeTransport, public ScsiTransport {
public:
    explicit NotProbedTransport(std::string why) : m_why(std::move(why)) {}

    Result<std::vector<uint8_t>> identifyController(const BlockDevice& dev) override { return no(dev); }
    Result<std::vector<uint8_t>> identifyNamespace(const BlockDevice& dev) override { return no(dev); }
    Status copy(const BlockDevice& dev, const NvmeCopyCommand&) override { return std::unexpected(no(dev).error()); }
    Result<std::vector<uint8_t>> inquiry(const BlockDevice& dev) override { return no(dev); }
    Result<std::vector<uint8_t>> vpdPage(const BlockDevice& dev, uint8_t) override { return no(dev); }
    Result<std::vector<uint8_t>> receiveCopyOperatingParameters(const BlockDevice& dev) override { return no(dev); }
    Status extendedCopy(const BlockDevice& dev, const std::vector<uint8_t>&) override
    {
        return std::unexpected(no(dev).error());
    }
    Result<std::vector<uint8_t>> receiveCopyResults(const BlockDevice& dev, uint8_t, uint8_t) override
    {
        return no(dev);
    }

private:
    Result<std::vector<uint8_t>> no(const BlockDevice& dev) const
    {
        return std::unexpected(Error::make(Errc::Unsupported, dev.name, m_why));
    }
    std::string m_why;
};

/// The kernel the snapshot describes: this machine's, a fixture's recorded kernel-release
/// (empty when it has none), or unknown for a foreign sysfs tree.
std::string kernelReleaseFor(const ScanOptions& options, std::string& warning)
{
    if (!options.fixture.empty()) {
        // Within the fixture: a kernel-release that links out of it counts as none.
        int err = 0;
        std::string release;
        if (auto tree = FileTree::below(options.fixture)) {
            if (auto text = tree->readAll(options.fixture / "kernel-release", err, 4096))
                release = text->substr(0, text->find('\n'));
            else if (err == EXDEV)
                warning = "cannot read " + tree->why(err, options.fixture / "kernel-release")
                          + ": kernel release unknown";
        }
        return release;
    }
    if (!options.sysfsRoot.empty() && options.sysfsRoot != "/sys")
        return {};
    return runningKernelRelease();
}

} // namespace

Result<SystemSnapshot> scanSystem(const ScanOptions& options)
{
    std::unique_ptr<NvmeTransport> ownNvme;
    std::unique_ptr<ScsiTransport> ownScsi;
    std::unique_ptr<NotProbedTransport> notProbed;
    Result<Topology> topology = std::unexpected(Error{});

    if (!options.fixture.empty()) {
        topology = readFixtureTopology(options.fixture, options.around);
        if (!options.nvme)
            ownNvme = makeFixtureNvmeTransport(options.fixture / "probe");
        if (!options.scsi)
            ownScsi = makeFixtureScsiTransport(options.fixture / "probe");
    } else {
        TopologyOptions topologyOptions;
        const bool otherRoot = !options.sysfsRoot.empty() && options.sysfsRoot != "/sys";
        if (otherRoot) {
            topologyOptions.sysfsRoot = options.sysfsRoot;
            topologyOptions.mountinfo.clear();
            topologyOptions.swaps.clear();
        }
        topologyOptions.around = options.around;
        topology = readTopology(topologyOptions);
        if (otherRoot && (!options.nvme || !options.scsi))
            notProbed = std::make_unique<NotProbedTransport>(
                "not probed: the topology was read from " + options.sysfsRoot.string()
                + ", not from this machine's devices");
        else {
            if (!options.nvme)
                ownNvme = makeLibNvmeTransport();
            if (!options.scsi)
                ownScsi = makeSgUtilsTransport();
        }
    }
    if (!topology)
        return std::unexpected(topology.error());

    NvmeTransport& nvme = options.nvme ? *options.nvme : ownNvme ? *ownNvme : *notProbed;
    ScsiTransport& scsi = options.scsi ? *options.scsi : ownScsi ? *ownScsi : *notProbed;

    std::string releaseWarning;
    const std::string release = kernelReleaseFor(options, releaseWarning);
    if (!releaseWarning.empty()) {
        std::vector<std::string> warnings = topology->warnings();
        warnings.push_back(releaseWarning);
        topology = Topology(topology->devices(), std::move(warnings));
    }

    SystemSnapshot snapshot;
    snapshot.topology = std::make_shared<const Topology>(std::move(*topology));
    std::optional<std::vector<std::size_t>> only;
    if (options.probeOnly)
        only = options.probeOnly(*snapshot.topology);
    snapshot.capabilities = probeCapabilities(*snapshot.topology, nvme, scsi, only);
    snapshot.capabilities.host = hostCopySupportFor(release);
    return snapshot;
}

} // namespace offload
