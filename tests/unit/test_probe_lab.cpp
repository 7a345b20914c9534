// SPDX-License-Identifier: GPL-2.0-or-later
// probeCapabilities on the bytes captured from real devices in the QEMU lab
// (tests/fixtures/lab-devices/probe: nvme-cli id-ctrl/id-ns -b, sg_inq -r, sg_vpd -r and
// RECEIVE COPY OPERATING PARAMETERS from LIO), checked against the settings the lab gave
// QEMU and LIO (tests/vm/README.md). lab-env.txt maps the lab's device roles to the kernel
// names of that capture.
#ifndef Q_MOC_RUN // moc 6.4 cannot parse the C++23 library headers
#include "capability/Capability.h"
#include "capability/Scan.h"
#include "transport/NvmeTransport.h"
#include "transport/ScsiTransport.h"
#endif

#include <QtTest>

#include <fstream>
#include <map>

using namespace offload;

namespace {

const std::filesystem::path kLab = std::filesystem::path(OFFLOADCP_FIXTURES) / "lab-devices";

/// lab-env.txt: ROLE=/dev/NAME lines -> ROLE -> NAME.
std::map<std::string, std::string> readRoles()
{
    std::map<std::string, std::string> roles;
    std::ifstream in(kLab / "lab-env.txt");
    for (std::string line; std::getline(in, line);) {
        const auto eq = line.find('=');
        if (eq == std::string::npos)
            continue;
        std::string value = line.substr(eq + 1);
        if (value.starts_with("/dev/"))
            roles[line.substr(0, eq)] = value.substr(5);
    }
    return roles;
}

} // namespace

class TestProbeLab : public QObject {
    Q_OBJECT
private:
    std::map<std::string, std::string> m_roles;
    Topology m_topology;
    CapabilitySet m_caps;

    const DeviceCapability* role(const std::string& name) const
    {
        const auto it = m_roles.find(name);
        if (it == m_roles.end())
            return nullptr;
        for (const auto& dev : m_topology.devices())
            if (dev.name == it->second)
                return &m_caps.at(dev.index);
        return nullptr;
    }

private slots:
    void initTestCase()
    {
        m_roles = readRoles();
        for (const char* r : {"NS_SMALL", "NS_LARGE", "NS_B1", "NS_4K", "NS_PT", "SD_T1A", "SD_T1B", "SD_T1F",
                              "SD_T1N", "SD_T2C", "VD_PLAIN"})
            QVERIFY2(m_roles.count(r), r);
        // Every captured device, by the kind its name says (the sysfs reader is tested elsewhere).
        std::vector<BlockDevice> devs;
        for (const auto& [roleName, kernelName] : m_roles) {
            if (!roleName.starts_with("NS_") && !roleName.starts_with("SD_") && !roleName.starts_with("VD_"))
                continue;
            BlockDevice dev;
            dev.name = kernelName;
            dev.kind = roleName.starts_with("NS_") ? DeviceKind::NvmeNamespace
                       : roleName.starts_with("SD_") ? DeviceKind::ScsiDisk
                                                     : DeviceKind::Other;
            if (dev.kind == DeviceKind::Other)
                dev.driverHint = "virtio-blk";
            devs.push_back(dev);
        }
        m_topology = Topology(std::move(devs));
        auto nvme = makeFixtureNvmeTransport(kLab / "probe");
        auto scsi = makeFixtureScsiTransport(kLab / "probe");
        m_caps = probeCapabilities(m_topology, *nvme, *scsi);
    }

    void qemuNamespaces_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<uint>("mssrl");
        QTest::addColumn<uint>("mcl");
        QTest::addColumn<uint>("msrc");
        QTest::addColumn<uint>("lbaBytes");
        // tests/vm/README.md: the nvme-ns properties the lab gives QEMU
        QTest::newRow("NS_SMALL") << "NS_SMALL" << 256u << 1024u << 7u << 512u;
        QTest::newRow("NS_LARGE") << "NS_LARGE" << 65535u << 65535u << 127u << 512u;
        QTest::newRow("NS_B1") << "NS_B1" << 128u << 512u << 3u << 512u;
        QTest::newRow("NS_4K") << "NS_4K" << 64u << 256u << 15u << 4096u;
        QTest::newRow("NS_PT") << "NS_PT" << 128u << 1024u << 7u << 512u;
    }
    void qemuNamespaces()
    {
        QFETCH(QString, name);
        QFETCH(uint, mssrl);
        QFETCH(uint, mcl);
        QFETCH(uint, msrc);
        QFETCH(uint, lbaBytes);
        const auto* found = role(name.toStdString());
        QVERIFY(found);
        const auto& cap = *found;
        QCOMPARE(cap.status, ProbeStatus::Ok);
        QCOMPARE(cap.mechanism, CopyMechanism::NvmeCopy);
        QVERIFY(cap.nvme.has_value());
        // QEMU 10: Copy, single atomicity, all fast copy; descriptor formats 0-3
        QCOMPARE(cap.nvme->oncs, uint16_t{0x75d});
        QVERIFY(cap.nvme->copy && cap.nvme->copySingleAtomicity && cap.nvme->allFastCopy);
        QCOMPARE(cap.nvme->ocfs, uint16_t{0xf});
        QCOMPARE(cap.nvme->mssrl, mssrl);
        QCOMPARE(cap.nvme->mcl, mcl);
        QCOMPARE(cap.nvme->msrc, msrc);
        QCOMPARE(cap.nvme->lbaBytes, lbaBytes);
        QVERIFY(cap.nvme->subsysnqn.starts_with("nqn.2019-08.org.qemu:OFFLCTRL"));
    }

    void lioLuns_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("serial");
        QTest::newRow("SD_T1A") << "SD_T1A" << "c0de0a01";
        QTest::newRow("SD_T1B") << "SD_T1B" << "c0de0a02";
        QTest::newRow("SD_T1F") << "SD_T1F" << "c0de0a03";
        QTest::newRow("SD_T2C") << "SD_T2C" << "c0de0b01";
    }
    void lioLuns()
    {
        QFETCH(QString, name);
        QFETCH(QString, serial);
        const auto* found = role(name.toStdString());
        QVERIFY(found);
        const auto& cap = *found;
        QCOMPARE(cap.status, ProbeStatus::Ok);
        QCOMPARE(cap.mechanism, CopyMechanism::ScsiXcopy);
        const ScsiCopyCaps& s = *cap.scsi;
        QVERIFY(s.threePC);
        QCOMPARE(s.naaFormat, uint8_t{6});
        QCOMPARE(s.naaDesignator.size(), std::size_t{16});
        // LIO derives the NAA 6 designator from the unit serial's hex digits
        QCOMPARE(QString::fromStdString(s.unitSerial), serial);
        QByteArray hex = QByteArray(reinterpret_cast<const char*>(s.naaDesignator.data()),
                                    static_cast<qsizetype>(s.naaDesignator.size()))
                             .toHex();
        QVERIFY2(hex.startsWith("6001405" + serial.toLatin1()), hex.constData());
        // LIO: 2 CSCD descriptors, 1 segment descriptor, 256 MiB segments, list ID not needed
        QCOMPARE(s.maxCscdDescriptors, uint16_t{2});
        QCOMPARE(s.maxSegmentDescriptors, uint16_t{1});
        QCOMPARE(s.maxSegmentLength, 256u << 20);
        QVERIFY(s.supportsNoListId);
        QCOMPARE(s.supportedDescriptorCodes, (std::vector<uint8_t>{0x02, 0xe4}));
    }

    void lioLunWithout3pc()
    {
        const auto* found = role("SD_T1N");
        QVERIFY(found);
        const auto& cap = *found;
        QCOMPARE(cap.status, ProbeStatus::Ok);
        QCOMPARE(cap.mechanism, CopyMechanism::None);
        QVERIFY2(cap.reason.starts_with("no 3PC"), cap.reason.c_str());
        QCOMPARE(cap.scsi->naaFormat, uint8_t{6});
    }

    void virtioDisk()
    {
        const auto* found = role("VD_PLAIN");
        QVERIFY(found);
        const auto& cap = *found;
        QCOMPARE(cap.status, ProbeStatus::NotApplicable);
        QCOMPARE(cap.reason, std::string("virtio-blk: no copy offload command"));
    }
};

QTEST_GUILESS_MAIN(TestProbeLab)
#include "test_probe_lab.moc"
