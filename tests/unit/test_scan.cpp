// SPDX-License-Identifier: GPL-2.0-or-later
// scanSystem: a fixture tree (tests/fixtures/scan-unit: a small sys/ tree whose probe/
// folder is the hand-built probe-unit bytes) and a quiet live scan of this machine.
#ifndef Q_MOC_RUN // moc 6.4 cannot parse the C++23 library headers
#include "capability/Scan.h"
#include "copy/CopyPlanner.h"
#include "copy/EndpointResolver.h"
#include "transport/NvmeTransport.h"
#include "transport/ScsiTransport.h"
#endif

#include <QtTest>

#include <set>
#include <unistd.h>

using namespace offload;

namespace {

const std::filesystem::path kFixture = std::filesystem::path(OFFLOADCP_FIXTURES) / "scan-unit";

const DeviceCapability* capabilityOf(const SystemSnapshot& snap, const std::string& name)
{
    for (const auto& dev : snap.topology->devices())
        if (dev.name == name)
            return &snap.capabilities.at(dev.index);
    return nullptr;
}

/// Counts calls; answers nothing. Proves which transport scanSystem used.
class SilentNvme final : public NvmeTransport {
public:
    Result<std::vector<uint8_t>> identifyController(const BlockDevice& ns) override { return no(ns); }
    Result<std::vector<uint8_t>> identifyNamespace(const BlockDevice& ns) override { return no(ns); }
    Status copy(const BlockDevice& ns, const NvmeCopyCommand&) override { return std::unexpected(no(ns).error()); }
    int calls = 0;

private:
    Result<std::vector<uint8_t>> no(const BlockDevice& ns)
    {
        ++calls;
        return std::unexpected(Error::make(Errc::PermissionDenied, ns.name, "test"));
    }
};

/// Answers from a fixture's probe bytes and records which devices were asked.
class RecordingNvme final : public NvmeTransport {
public:
    explicit RecordingNvme(const std::filesystem::path& probe) : m_inner(makeFixtureNvmeTransport(probe)) {}
    Result<std::vector<uint8_t>> identifyController(const BlockDevice& ns) override
    {
        asked.insert(ns.name);
        return m_inner->identifyController(ns);
    }
    Result<std::vector<uint8_t>> identifyNamespace(const BlockDevice& ns) override
    {
        asked.insert(ns.name);
        return m_inner->identifyNamespace(ns);
    }
    Status copy(const BlockDevice& ns, const NvmeCopyCommand& c) override { return m_inner->copy(ns, c); }
    std::set<std::string> asked;

private:
    std::unique_ptr<NvmeTransport> m_inner;
};

class RecordingScsi final : public ScsiTransport {
public:
    explicit RecordingScsi(const std::filesystem::path& probe) : m_inner(makeFixtureScsiTransport(probe)) {}
    Result<std::vector<uint8_t>> inquiry(const BlockDevice& lun) override
    {
        asked.insert(lun.name);
        return m_inner->inquiry(lun);
    }
    Result<std::vector<uint8_t>> vpdPage(const BlockDevice& lun, uint8_t page) override
    {
        asked.insert(lun.name);
        return m_inner->vpdPage(lun, page);
    }
    Result<std::vector<uint8_t>> receiveCopyOperatingParameters(const BlockDevice& lun) override
    {
        asked.insert(lun.name);
        return m_inner->receiveCopyOperatingParameters(lun);
    }
    Status extendedCopy(const BlockDevice& lun, const std::vector<uint8_t>& list) override
    {
        return m_inner->extendedCopy(lun, list);
    }
    Result<std::vector<uint8_t>> receiveCopyResults(const BlockDevice& lun, uint8_t sa, uint8_t id) override
    {
        return m_inner->receiveCopyResults(lun, sa, id);
    }
    std::set<std::string> asked;

private:
    std::unique_ptr<ScsiTransport> m_inner;
};

/// The methods and reasons of planning SRC -> DST (whole source) on a snapshot.
std::vector<std::string> planned(const SystemSnapshot& snap, const std::string& src, const std::string& dst)
{
    CopyRequest request;
    request.source = *resolveEndpoint(*snap.topology, src, EndpointRole::Source);
    request.destination = *resolveEndpoint(*snap.topology, dst, EndpointRole::Destination);
    auto plan = planCopy(*snap.topology, snap.capabilities, request);
    if (!plan)
        return {"error: " + plan.error().message()};
    std::vector<std::string> out;
    for (const PlannedExtent& e : plan->extents)
        out.push_back(std::to_string(e.srcOffset) + " " + std::to_string(e.length) + " " + toString(e.method) + " "
                      + e.reason);
    return out;
}

} // namespace

class TestScan : public QObject {
    Q_OBJECT
private slots:
    void fixtureScanProbesFromCapturedBytes()
    {
        ScanOptions options;
        options.fixture = kFixture;
        auto snap = scanSystem(options);
        QVERIFY2(snap.has_value(), snap ? "" : snap.error().message().c_str());
        QCOMPARE(snap->capabilities.devices.size(), snap->topology->size());

        const auto* nvme0 = capabilityOf(*snap, "nvme0n1");
        QVERIFY(nvme0);
        QCOMPARE(nvme0->mechanism, CopyMechanism::NvmeCopy);
        QCOMPARE(nvme0->nvme->mcl, 1024u);

        const auto* nvme1 = capabilityOf(*snap, "nvme1n1");
        QVERIFY(nvme1);
        QCOMPARE(nvme1->mechanism, CopyMechanism::None);
        QCOMPARE(nvme1->reason, std::string("controller has no Copy command (ONCS bit 8 clear)"));

        const auto* part = capabilityOf(*snap, "nvme0n1p1");
        QVERIFY(part);
        QCOMPARE(part->status, ProbeStatus::NotApplicable);

        const auto* sda = capabilityOf(*snap, "sda");
        QVERIFY(sda);
        QCOMPARE(sda->mechanism, CopyMechanism::ScsiXcopy);
        QCOMPARE(sda->scsi->maxSegmentLength, 256u << 20);

        const auto* sdb = capabilityOf(*snap, "sdb");
        QVERIFY(sdb);
        QVERIFY(sdb->reason.starts_with("no 3PC"));

        const auto* loop = capabilityOf(*snap, "loop0");
        QVERIFY(loop);
        QCOMPARE(loop->reason, std::string("loop device: the loop driver has no copy command"));

        const auto* vda = capabilityOf(*snap, "vda");
        QVERIFY(vda);
        QCOMPARE(vda->reason, std::string("virtio-blk: no copy offload command"));
    }

    void injectedTransportWins()
    {
        SilentNvme nvme;
        ScanOptions options;
        options.fixture = kFixture;
        options.nvme = &nvme;
        auto snap = scanSystem(options);
        QVERIFY(snap.has_value());
        QCOMPARE(nvme.calls, 2); // one Identify Controller per namespace, then it stops
        QCOMPARE(capabilityOf(*snap, "nvme0n1")->status, ProbeStatus::NeedsRoot);
        QCOMPARE(capabilityOf(*snap, "nvme0n1")->reason, std::string("unknown: needs root"));
        QCOMPARE(capabilityOf(*snap, "sda")->mechanism, CopyMechanism::ScsiXcopy); // fixture SCSI still used
    }

    void otherSysfsRootIsNotProbed()
    {
        ScanOptions options;
        options.sysfsRoot = kFixture / "sys";
        auto snap = scanSystem(options);
        QVERIFY2(snap.has_value(), snap ? "" : snap.error().message().c_str());
        const auto* nvme0 = capabilityOf(*snap, "nvme0n1");
        QVERIFY(nvme0);
        QCOMPARE(nvme0->status, ProbeStatus::Failed);
        QVERIFY2(nvme0->reason.find("not probed") != std::string::npos, nvme0->reason.c_str());
        QCOMPARE(capabilityOf(*snap, "loop0")->status, ProbeStatus::NotApplicable);
    }

    void labCaptureScansEndToEnd()
    {
        // The QEMU lab's capture (tests/fixtures/lab-devices): sysfs tree + probe bytes from
        // real QEMU 10 namespaces and LIO LUNs, names as in lab-env.txt.
        ScanOptions options;
        options.fixture = std::filesystem::path(OFFLOADCP_FIXTURES) / "lab-devices";
        auto snap = scanSystem(options);
        QVERIFY2(snap.has_value(), snap ? "" : snap.error().message().c_str());
        const auto* small = capabilityOf(*snap, "nvme0n1"); // NS_SMALL: mssrl=256 mcl=1024 msrc=7
        QVERIFY(small);
        QCOMPARE(small->mechanism, CopyMechanism::NvmeCopy);
        QCOMPARE(small->nvme->mssrl, 256u);
        QCOMPARE(small->nvme->mcl, 1024u);
        QCOMPARE(small->nvme->msrc, 7u);
        const auto* fourK = capabilityOf(*snap, "nvme1n2"); // NS_4K
        QVERIFY(fourK);
        QCOMPARE(fourK->nvme->lbaBytes, 4096u);
        const auto* part = capabilityOf(*snap, "nvme1n1p1");
        QVERIFY(part);
        QCOMPARE(part->status, ProbeStatus::NotApplicable);
        const auto* lio = capabilityOf(*snap, "sda"); // SD_T1A
        QVERIFY(lio);
        QCOMPARE(lio->mechanism, CopyMechanism::ScsiXcopy);
        const auto* no3pc = capabilityOf(*snap, "sdd"); // SD_T1N, emulate_3pc=0
        QVERIFY(no3pc);
        QVERIFY(no3pc->reason.starts_with("no 3PC"));
        const auto* virtio = capabilityOf(*snap, "vda");
        QVERIFY(virtio);
        QCOMPARE(virtio->reason, std::string("virtio-blk: no copy offload command"));
        const auto* loop = capabilityOf(*snap, "loop0");
        QVERIFY(loop);
        QCOMPARE(loop->reason, std::string("loop device: the loop driver has no copy command"));
    }

    void probeOnlyTheStacksACommandUses()
    {
        // `copy lab_mix lab_slin` (lab-all): lab_mix is on nvme0n3 and sda, lab_slin on sda
        // and sdb1. Only those leaves are asked; the machine's other namespaces and LUNs get
        // no command, are "skipped", and the plan is the one a full scan gives.
        const auto fixture = std::filesystem::path(OFFLOADCP_FIXTURES) / "lab-all";
        RecordingNvme nvme(fixture / "probe");
        RecordingScsi scsi(fixture / "probe");
        ScanOptions options;
        options.fixture = fixture;
        options.nvme = &nvme;
        options.scsi = &scsi;
        options.probeOnly = [](const Topology& t) { return endpointDevices(t, "lab_mix", "/dev/mapper/lab_slin"); };
        auto scoped = scanSystem(options);
        QVERIFY2(scoped.has_value(), scoped ? "" : scoped.error().message().c_str());
        QCOMPARE(nvme.asked, (std::set<std::string>{"nvme0n3"}));
        QCOMPARE(scsi.asked, (std::set<std::string>{"sda", "sdb"}));
        QCOMPARE(capabilityOf(*scoped, "nvme0n3")->status, ProbeStatus::Ok);
        QCOMPARE(capabilityOf(*scoped, "sdb")->status, ProbeStatus::Ok);
        for (const char* other : {"nvme0n1", "nvme1n2", "nvme2n1", "sdc", "sde"}) {
            const auto* cap = capabilityOf(*scoped, other);
            QCOMPARE(cap->status, ProbeStatus::Skipped);
            QVERIFY2(cap->reason.starts_with("unknown: not probed"), cap->reason.c_str());
        }
        QCOMPARE(capabilityOf(*scoped, "loop0")->status, ProbeStatus::NotApplicable);

        RecordingNvme allNvme(fixture / "probe");
        RecordingScsi allScsi(fixture / "probe");
        options.nvme = &allNvme;
        options.scsi = &allScsi;
        options.probeOnly = nullptr;
        auto full = scanSystem(options);
        QVERIFY(full.has_value());
        QVERIFY(allNvme.asked.size() > 3);
        QVERIFY(allScsi.asked.size() > 3);
        QCOMPARE(planned(*scoped, "lab_mix", "lab_slin"), planned(*full, "lab_mix", "lab_slin"));
        QVERIFY(!planned(*full, "lab_mix", "lab_slin").empty());

        // Names that are no device (a typo, a file) add nothing to probe.
        QCOMPARE(endpointDevices(*full->topology, "no-such-device", "/tmp"), std::vector<std::size_t>{});
    }

    void missingFixtureIsAnError()
    {
        ScanOptions options;
        options.fixture = kFixture / "does-not-exist";
        QVERIFY(!scanSystem(options).has_value());
    }

    void liveScanOfThisMachine()
    {
        // Whatever this machine has: the scan succeeds, every device gets an entry, and
        // devices without a copy command say so. Probes that need root say "needs root".
        auto snap = scanSystem();
        QVERIFY2(snap.has_value(), snap ? "" : snap.error().message().c_str());
        QCOMPARE(snap->capabilities.devices.size(), snap->topology->size());
        for (const auto& dev : snap->topology->devices()) {
            const auto& cap = snap->capabilities.at(dev.index);
            QCOMPARE(cap.device, dev.index);
            if (dev.kind == DeviceKind::Loop) {
                QCOMPARE(cap.mechanism, CopyMechanism::None);
                QCOMPARE(cap.reason, std::string("loop device: the loop driver has no copy command"));
            }
            if (dev.kind == DeviceKind::Other) {
                QCOMPARE(cap.status, ProbeStatus::NotApplicable);
                QVERIFY2(cap.reason.ends_with(": no copy offload command"), cap.reason.c_str());
            }
            if (cap.status == ProbeStatus::NeedsRoot)
                QVERIFY(geteuid() != 0);
            if (cap.mechanism != CopyMechanism::None)
                QCOMPARE(cap.status, ProbeStatus::Ok);
        }
    }
};

QTEST_GUILESS_MAIN(TestScan)
#include "test_scan.moc"
