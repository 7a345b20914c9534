// SPDX-License-Identifier: GPL-2.0-or-later
// scanSystem: a fixture tree (tests/fixtures/scan-unit: a small sys/ tree whose probe/
// folder is the hand-built probe-unit bytes) and a quiet live scan of this machine.
#ifndef Q_MOC_RUN // moc 6.4 cannot parse the C++23 library headers
#include "capability/Scan.h"
#include "transport/NvmeTransport.h"
#include "transport/ScsiTransport.h"
#endif

#include <QtTest>

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
