// SPDX-License-Identifier: GPL-2.0-or-later
// probeCapabilities against the hand-built byte files in tests/fixtures/probe-unit
// (written by make-probe-bytes.py at the spec offsets) and a hand-built topology.
#ifndef Q_MOC_RUN // moc 6.4 cannot parse the C++23 library headers
#include "capability/Capability.h"
#include "capability/Scan.h"
#include "transport/NvmeTransport.h"
#include "transport/ScsiTransport.h"
#endif

#include <QtTest>

#include <map>

using namespace offload;

namespace {

const std::filesystem::path kProbeDir = std::filesystem::path(OFFLOADCP_FIXTURES) / "probe-unit";

BlockDevice device(const std::string& name, DeviceKind kind, std::vector<std::size_t> lowers = {})
{
    BlockDevice dev;
    dev.name = name;
    dev.kind = kind;
    dev.lowers = std::move(lowers);
    if (kind == DeviceKind::NvmeNamespace) {
        dev.nvme = NvmeNamespaceInfo{};
        dev.nvme->nsid = 1;
        dev.nvme->serial = name;
    }
    if (kind == DeviceKind::ScsiDisk)
        dev.scsi = ScsiDiskInfo{};
    return dev;
}

enum Index : std::size_t {
    Nvme0, Nvme0p1, Nvme1, Nvme2, Nvme3, Sda, Sdb, Sdc, Sdd, Sde, Loop0, Vda, Dm0, Count
};

Topology fixtureTopology()
{
    std::vector<BlockDevice> devs;
    devs.push_back(device("nvme0n1", DeviceKind::NvmeNamespace));
    devs.push_back(device("nvme0n1p1", DeviceKind::Partition, {Nvme0}));
    devs.back().partition = PartitionInfo{};
    devs.push_back(device("nvme1n1", DeviceKind::NvmeNamespace));
    devs.push_back(device("nvme2n1", DeviceKind::NvmeNamespace));
    devs.push_back(device("nvme3n1", DeviceKind::NvmeNamespace));
    devs.push_back(device("sda", DeviceKind::ScsiDisk));
    devs.back().logicalBlockSize = 4096;
    devs.push_back(device("sdb", DeviceKind::ScsiDisk));
    devs.push_back(device("sdc", DeviceKind::ScsiDisk));
    devs.push_back(device("sdd", DeviceKind::ScsiDisk));
    devs.push_back(device("sde", DeviceKind::ScsiDisk)); // nothing captured for it
    devs.push_back(device("loop0", DeviceKind::Loop));
    devs.push_back(device("vda", DeviceKind::Other));
    devs.back().driverHint = "virtio-blk";
    devs.push_back(device("dm-0", DeviceKind::DeviceMapper, {Nvme0p1, Sda}));
    return Topology(std::move(devs));
}

/// Forwards to the fixture transports and counts which devices were addressed.
class CountingNvme final : public NvmeTransport {
public:
    explicit CountingNvme(NvmeTransport& inner) : m_inner(inner) {}
    Result<std::vector<uint8_t>> identifyController(const BlockDevice& ns) override
    {
        ++calls[ns.name];
        return m_inner.identifyController(ns);
    }
    Result<std::vector<uint8_t>> identifyNamespace(const BlockDevice& ns) override
    {
        ++calls[ns.name];
        return m_inner.identifyNamespace(ns);
    }
    Status copy(const BlockDevice& ns, const NvmeCopyCommand& c) override
    {
        ++calls[ns.name];
        return m_inner.copy(ns, c);
    }
    std::map<std::string, int> calls;

private:
    NvmeTransport& m_inner;
};

class CountingScsi final : public ScsiTransport {
public:
    explicit CountingScsi(ScsiTransport& inner) : m_inner(inner) {}
    Result<std::vector<uint8_t>> inquiry(const BlockDevice& lun) override
    {
        ++calls[lun.name];
        return m_inner.inquiry(lun);
    }
    Result<std::vector<uint8_t>> vpdPage(const BlockDevice& lun, uint8_t page) override
    {
        ++calls[lun.name];
        return m_inner.vpdPage(lun, page);
    }
    Result<std::vector<uint8_t>> receiveCopyOperatingParameters(const BlockDevice& lun) override
    {
        ++calls[lun.name];
        ++rcopCalls[lun.name];
        return m_inner.receiveCopyOperatingParameters(lun);
    }
    Status extendedCopy(const BlockDevice& lun, const std::vector<uint8_t>& list) override
    {
        ++calls[lun.name];
        return m_inner.extendedCopy(lun, list);
    }
    Result<std::vector<uint8_t>> receiveCopyResults(const BlockDevice& lun, uint8_t sa, uint8_t id) override
    {
        ++calls[lun.name];
        return m_inner.receiveCopyResults(lun, sa, id);
    }
    std::map<std::string, int> calls;
    std::map<std::string, int> rcopCalls;

private:
    ScsiTransport& m_inner;
};

/// Answers the first RECEIVE COPY OPERATING PARAMETERS of every LUN with a UNIT
/// ATTENTION, the way LIO does after its LUNs were created, then forwards.
class UnitAttentionOnce final : public ScsiTransport {
public:
    explicit UnitAttentionOnce(ScsiTransport& inner) : m_inner(inner) {}
    Result<std::vector<uint8_t>> inquiry(const BlockDevice& lun) override { return m_inner.inquiry(lun); }
    Result<std::vector<uint8_t>> vpdPage(const BlockDevice& lun, uint8_t page) override
    {
        return m_inner.vpdPage(lun, page);
    }
    Result<std::vector<uint8_t>> receiveCopyOperatingParameters(const BlockDevice& lun) override
    {
        if (++rcopCalls[lun.name] == 1) {
            Error e = Error::make(Errc::ScsiSense, lun.name, "RECEIVE COPY OPERATING PARAMETERS failed");
            ScsiSense sense;
            sense.status = 0x02;
            sense.key = 0x06; // UNIT ATTENTION, REPORTED LUNS DATA HAS CHANGED
            sense.asc = 0x3f;
            sense.ascq = 0x0e;
            e.scsi = sense;
            return std::unexpected(e);
        }
        return m_inner.receiveCopyOperatingParameters(lun);
    }
    Status extendedCopy(const BlockDevice& lun, const std::vector<uint8_t>& list) override
    {
        return m_inner.extendedCopy(lun, list);
    }
    Result<std::vector<uint8_t>> receiveCopyResults(const BlockDevice& lun, uint8_t sa, uint8_t id) override
    {
        return m_inner.receiveCopyResults(lun, sa, id);
    }
    std::map<std::string, int> rcopCalls;

private:
    ScsiTransport& m_inner;
};

} // namespace

class TestProbe : public QObject {
    Q_OBJECT
private:
    Topology m_topology = fixtureTopology();
    CapabilitySet m_caps;
    std::map<std::string, int> m_nvmeCalls;
    std::map<std::string, int> m_scsiCalls;
    std::map<std::string, int> m_rcopCalls;

private slots:
    void initTestCase()
    {
        QVERIFY2(std::filesystem::exists(kProbeDir / "nvme0n1.id-ctrl"), "probe-unit fixture missing");
        auto fixtureNvme = makeFixtureNvmeTransport(kProbeDir);
        auto fixtureScsi = makeFixtureScsiTransport(kProbeDir);
        CountingNvme nvme(*fixtureNvme);
        CountingScsi scsi(*fixtureScsi);
        m_caps = probeCapabilities(m_topology, nvme, scsi);
        m_nvmeCalls = nvme.calls;
        m_scsiCalls = scsi.calls;
        m_rcopCalls = scsi.rcopCalls;
        QCOMPARE(m_caps.devices.size(), std::size_t{Count});
        for (std::size_t i = 0; i < m_caps.devices.size(); ++i)
            QCOMPARE(m_caps.at(i).device, i);
    }

    void qemuLikeNamespaceOffersNvmeCopy()
    {
        const auto& cap = m_caps.at(Nvme0);
        QCOMPARE(cap.status, ProbeStatus::Ok);
        QCOMPARE(cap.mechanism, CopyMechanism::NvmeCopy);
        QVERIFY(cap.reason.empty());
        QVERIFY(cap.nvme.has_value());
        QCOMPARE(cap.nvme->oncs, uint16_t{0x15d});
        QCOMPARE(cap.nvme->ocfs, uint16_t{0x3});
        QCOMPARE(cap.nvme->mssrl, 256u);
        QCOMPARE(cap.nvme->mcl, 1024u);
        QCOMPARE(cap.nvme->msrc, 7u);
        QCOMPARE(cap.nvme->lbaBytes, 512u);
        QCOMPARE(cap.nvme->mdts, uint8_t{7});
        QCOMPARE(cap.nvme->subsysnqn, std::string("nqn.2019-08.org.qemu:COPY1"));
        QVERIFY(!cap.scsi.has_value());
    }

    void controllerWithoutCopy()
    {
        const auto& cap = m_caps.at(Nvme1);
        QCOMPARE(cap.status, ProbeStatus::Ok);
        QCOMPARE(cap.mechanism, CopyMechanism::None);
        QCOMPARE(cap.reason, std::string("controller has no Copy command (ONCS bit 8 clear)"));
        QVERIFY(cap.nvme.has_value());
        QCOMPARE(cap.nvme->lbaBytes, 4096u); // FLBAS 2 selects the 4 KiB format
        QVERIFY(!cap.nvme->copy);
    }

    void mclZeroIsNoCopy()
    {
        const auto& cap = m_caps.at(Nvme2);
        QCOMPARE(cap.status, ProbeStatus::Ok);
        QCOMPARE(cap.mechanism, CopyMechanism::None);
        QVERIFY2(cap.reason.starts_with("MCL is 0"), cap.reason.c_str());
        QVERIFY(cap.nvme->copy);
    }

    void permissionDeniedNeedsRoot()
    {
        const auto& cap = m_caps.at(Nvme3);
        QCOMPARE(cap.status, ProbeStatus::NeedsRoot);
        QCOMPARE(cap.mechanism, CopyMechanism::None);
        QCOMPARE(cap.reason, std::string("unknown: needs root"));
        QVERIFY(!cap.nvme.has_value());
    }

    void lioLikeLunOffersXcopy()
    {
        const auto& cap = m_caps.at(Sda);
        QCOMPARE(cap.status, ProbeStatus::Ok);
        QCOMPARE(cap.mechanism, CopyMechanism::ScsiXcopy);
        QVERIFY2(cap.reason.empty(), cap.reason.c_str());
        QVERIFY(cap.scsi.has_value());
        const ScsiCopyCaps& s = *cap.scsi;
        QVERIFY(s.threePC);
        QCOMPARE(s.naaFormat, uint8_t{6});
        QCOMPARE(s.naaDesignator.size(), std::size_t{16});
        QCOMPARE(s.naaDesignator.front(), uint8_t{0x60});
        QCOMPARE(s.naaDesignator.back(), uint8_t{0xdd});
        QVERIFY(s.rcopKnown);
        QVERIFY(s.supportsNoListId);
        QCOMPARE(s.maxCscdDescriptors, uint16_t{2});
        QCOMPARE(s.maxSegmentDescriptors, uint16_t{1});
        QCOMPARE(s.maxDescriptorListLength, 1024u);
        QCOMPARE(s.maxSegmentLength, 256u << 20);
        QCOMPARE(s.supportedDescriptorCodes, (std::vector<uint8_t>{0x02, 0xe4}));
        QVERIFY(!s.tpcVpdPresent); // LIO has no VPD 0x8F
        QCOMPARE(s.unitSerial, std::string("11111111"));
        QCOMPARE(s.blockBytes, 4096u);
    }

    void unitAttentionOnOperatingParametersIsRetriedOnce()
    {
        auto fixtureNvme = makeFixtureNvmeTransport(kProbeDir);
        auto fixtureScsi = makeFixtureScsiTransport(kProbeDir);
        UnitAttentionOnce scsi(*fixtureScsi);
        const CapabilitySet caps = probeCapabilities(m_topology, *fixtureNvme, scsi);
        const auto& cap = caps.at(Sda);
        QCOMPARE(cap.mechanism, CopyMechanism::ScsiXcopy);
        QVERIFY2(cap.reason.empty(), cap.reason.c_str());
        QVERIFY(cap.scsi->rcopKnown);
        QCOMPARE(cap.scsi->maxSegmentDescriptors, uint16_t{1});
        QCOMPARE(scsi.rcopCalls["sda"], 2); // once refused, once answered; no more
    }

    void lunWithout3pc()
    {
        const auto& cap = m_caps.at(Sdb);
        QCOMPARE(cap.status, ProbeStatus::Ok);
        QCOMPARE(cap.mechanism, CopyMechanism::None);
        QVERIFY2(cap.reason.starts_with("no 3PC"), cap.reason.c_str());
        QCOMPARE(cap.scsi->naaFormat, uint8_t{5}); // identity still recorded
        QCOMPARE(m_rcopCalls["sdb"], 0);          // no copy manager to ask
    }

    void lunWithoutNaaDesignator()
    {
        const auto& cap = m_caps.at(Sdc);
        QCOMPARE(cap.mechanism, CopyMechanism::None);
        QCOMPARE(cap.reason, std::string("no NAA designator: EXTENDED COPY needs one"));
    }

    void lunWithoutOperatingParameters()
    {
        const auto& cap = m_caps.at(Sdd);
        QCOMPARE(cap.status, ProbeStatus::Ok);
        QCOMPARE(cap.mechanism, CopyMechanism::None);
        QVERIFY2(cap.reason.starts_with("copy limits unknown"), cap.reason.c_str());
        QVERIFY(!cap.scsi->rcopKnown);
    }

    void lunNotCapturedFails()
    {
        const auto& cap = m_caps.at(Sde);
        QCOMPARE(cap.status, ProbeStatus::Failed);
        QCOMPARE(cap.mechanism, CopyMechanism::None);
        QVERIFY2(cap.reason.starts_with("unknown: "), cap.reason.c_str());
        QVERIFY2(cap.reason.find("sde.inquiry") != std::string::npos, cap.reason.c_str());
    }

    void devicesWithoutCopyCommandsSayWhy()
    {
        QCOMPARE(m_caps.at(Loop0).status, ProbeStatus::NotApplicable);
        QCOMPARE(m_caps.at(Loop0).mechanism, CopyMechanism::None);
        QCOMPARE(m_caps.at(Loop0).reason, std::string("loop device: the loop driver has no copy command"));
        QCOMPARE(m_caps.at(Vda).status, ProbeStatus::NotApplicable);
        QCOMPARE(m_caps.at(Vda).reason, std::string("virtio-blk: no copy offload command"));
        QCOMPARE(m_caps.at(Nvme0p1).status, ProbeStatus::NotApplicable);
        QCOMPARE(m_caps.at(Nvme0p1).mechanism, CopyMechanism::None);
        QCOMPARE(m_caps.at(Dm0).status, ProbeStatus::NotApplicable);
        QCOMPARE(m_caps.at(Dm0).mechanism, CopyMechanism::None);
    }

    void onlyLeafNamespacesAndLunsAreAddressed()
    {
        for (const char* name : {"nvme0n1p1", "dm-0", "loop0", "vda", "sda", "sdb"})
            QVERIFY2(m_nvmeCalls.count(name) == 0, name);
        for (const char* name : {"nvme0n1p1", "dm-0", "loop0", "vda", "nvme0n1"})
            QVERIFY2(m_scsiCalls.count(name) == 0, name);
        QCOMPARE(m_nvmeCalls["nvme0n1"], 2);
        QVERIFY(m_scsiCalls["sda"] >= 4);
    }

    void fixtureTransportsRefuseIntermediateDevices()
    {
        auto nvme = makeFixtureNvmeTransport(kProbeDir);
        auto scsi = makeFixtureScsiTransport(kProbeDir);
        auto r = nvme->identifyController(m_topology.at(Nvme0p1));
        QVERIFY(!r.has_value());
        QCOMPARE(r.error().code, Errc::InvalidArgument);
        auto s = scsi->inquiry(m_topology.at(Dm0));
        QVERIFY(!s.has_value());
        QCOMPARE(s.error().code, Errc::InvalidArgument);
        QVERIFY(!scsi->inquiry(m_topology.at(Nvme0)).has_value());
        QVERIFY(!nvme->identifyNamespace(m_topology.at(Sda)).has_value());
    }

    void truncatedCaptureIsReportedNotFatal()
    {
        // A namespace whose identify capture is cut short: the probe records a failure
        // that names the problem; the other devices are unaffected.
        const auto dir = std::filesystem::path(QDir::tempPath().toStdString()) / "offloadcp-probe-truncated";
        std::filesystem::create_directories(dir);
        std::filesystem::copy_file(kProbeDir / "nvme0n1.id-ctrl", dir / "nvme0n1.id-ctrl",
                                   std::filesystem::copy_options::overwrite_existing);
        std::filesystem::copy_file(kProbeDir / "nvme0n1.id-ns", dir / "nvme0n1.id-ns",
                                   std::filesystem::copy_options::overwrite_existing);
        std::filesystem::resize_file(dir / "nvme0n1.id-ns", 100);
        auto nvme = makeFixtureNvmeTransport(dir);
        auto scsi = makeFixtureScsiTransport(dir);
        auto caps = probeCapabilities(m_topology, *nvme, *scsi);
        std::filesystem::remove_all(dir);
        QCOMPARE(caps.at(Nvme0).status, ProbeStatus::Failed);
        QVERIFY2(caps.at(Nvme0).reason.find("Identify Namespace data is 100 bytes") != std::string::npos,
                 caps.at(Nvme0).reason.c_str());
        QCOMPARE(caps.at(Loop0).reason, std::string("loop device: the loop driver has no copy command"));
    }
};

QTEST_GUILESS_MAIN(TestProbe)
#include "test_probe.moc"
