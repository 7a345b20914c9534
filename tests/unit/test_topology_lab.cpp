// SPDX-License-Identifier: GPL-2.0-or-later
// The QEMU lab fixture (tests/fixtures/lab-all, kernel 6.12 + QEMU 10, captured by
// tests/tools/capture-fixture.sh): the reader and mapRange on a real device-mapper stack.
#include "topology/ExtentMapper.h"
#include "topology/Topology.h"

#include <QtTest>

using namespace offload;

namespace {

constexpr uint64_t kSector = 512;

std::size_t indexOf(const Topology& topo, const char* spec)
{
    const BlockDevice* dev = topo.find(spec);
    if (!dev)
        qFatal("%s not in the lab fixture", spec);
    return dev->index;
}

} // namespace

class TestTopologyLab : public QObject {
    Q_OBJECT
private:
    Topology m_topo;

private slots:
    void initTestCase()
    {
        auto topo = readFixtureTopology(OFFLOADCP_FIXTURES "/lab-all");
        QVERIFY2(topo.has_value(), topo ? "" : topo.error().message().c_str());
        m_topo = std::move(*topo);
        QVERIFY(m_topo.warnings().empty());
        for (const auto& dev : m_topo.devices()) {
            if (!dev.warnings.empty())
                QFAIL((dev.name + ": " + dev.warnings.front()).c_str());
        }
    }

    void nvmeNamespacesByNsidNotName()
    {
        // Names move under native multipath: nvme0n2 is nsid 3 (zoned), nvme0n3 is nsid 2.
        const auto& zoned = m_topo.at(indexOf(m_topo, "nvme0n2"));
        QCOMPARE(zoned.kind, DeviceKind::NvmeNamespace);
        QCOMPARE(zoned.nvme->nsid, 3u);
        QCOMPARE(zoned.zoned, std::string("host-managed"));
        QCOMPARE(zoned.nvme->controller, std::string("nvme0"));
        QCOMPARE(zoned.nvme->serial, std::string("OFFLCTRLA"));
        QCOMPARE(m_topo.at(indexOf(m_topo, "nvme0n3")).nvme->nsid, 2u);
        QCOMPARE(m_topo.at(indexOf(m_topo, "nvme1n2")).logicalBlockSize, 4096u);
        QCOMPARE(m_topo.find("nvme:nqn.2019-08.org.qemu:OFFLCTRLA:nsid=3"), &zoned);

        const auto& fabrics = m_topo.at(indexOf(m_topo, "nvme3n1"));
        QCOMPARE(fabrics.nvme->transport, std::string("tcp"));
        QCOMPARE(fabrics.nvme->controller, std::string("nvme3"));
        // Same serial as the passed-through controller, different subsystem: ids differ.
        QCOMPARE(fabrics.nvme->serial, m_topo.at(indexOf(m_topo, "nvme2n1")).nvme->serial);
        QVERIFY(fabrics.stableId() != m_topo.at(indexOf(m_topo, "nvme2n1")).stableId());
    }

    void scsiLuns()
    {
        const auto& sda = m_topo.at(indexOf(m_topo, "sda"));
        const auto& sde = m_topo.at(indexOf(m_topo, "sde"));
        QCOMPARE(sda.kind, DeviceKind::ScsiDisk);
        QCOMPARE(sda.scsi->vendor, std::string("LIO-ORG"));
        QCOMPARE(sda.scsi->targetId, std::string("0:0:1"));
        QCOMPARE(sde.scsi->targetId, std::string("1:0:1"));
        QVERIFY(sda.scsi->wwid.starts_with("naa.6001405"));
        QVERIFY(!sda.scsi->sgNode.empty());
        QVERIFY(sda.scsi->sgDevNum != DevNum{});
    }

    void stackEdges()
    {
        const auto lin2 = indexOf(m_topo, "lab_lin2");
        QVERIFY(m_topo.dependsOn(lin2, indexOf(m_topo, "lab_lin")));
        QVERIFY(m_topo.dependsOn(lin2, indexOf(m_topo, "nvme0n1")));
        QCOMPARE(m_topo.leavesOf(indexOf(m_topo, "lab_slin")),
                 (std::vector<std::size_t>{indexOf(m_topo, "sda"), indexOf(m_topo, "sdb")}));
        for (const auto& dev : m_topo.devices()) {
            for (std::size_t upper : dev.uppers) {
                const auto& lowers = m_topo.at(upper).lowers;
                QVERIFY(std::find(lowers.begin(), lowers.end(), dev.index) != lowers.end());
            }
            if (dev.dm)
                QVERIFY2(dev.dm->tableKnown, dev.name.c_str());
        }
    }

    void linearOnLinear()
    {
        auto pieces = mapRange(m_topo, indexOf(m_topo, "lab_lin2"), 4096, 8192);
        QVERIFY(pieces.has_value());
        QCOMPARE(pieces->size(), 1u);
        QCOMPARE(pieces->front().kind, PieceKind::Leaf);
        QCOMPARE(pieces->front().device, indexOf(m_topo, "nvme0n1"));
        QCOMPARE(pieces->front().deviceOffset, (65536 + 32768) * kSector + 4096);
        QCOMPARE(pieces->front().path.size(), std::size_t(3));
    }

    void linearOnPartition()
    {
        auto pieces = mapRange(m_topo, indexOf(m_topo, "lab_plin"), 0, kSector);
        QVERIFY(pieces.has_value());
        QCOMPARE(pieces->front().device, indexOf(m_topo, "nvme1n1"));
        QCOMPARE(pieces->front().deviceOffset, (34816 + 1024) * kSector);
        QCOMPARE(pieces->front().path,
                 (std::vector<std::size_t>{indexOf(m_topo, "lab_plin"), indexOf(m_topo, "nvme1n1p2"),
                                           indexOf(m_topo, "nvme1n1")}));
    }

    void stripedAcrossNamespaces()
    {
        auto pieces = mapRange(m_topo, indexOf(m_topo, "lab_str"), 0, 256 * kSector);
        QVERIFY(pieces.has_value());
        QCOMPARE(pieces->size(), 2u);
        QCOMPARE((*pieces)[0].device, indexOf(m_topo, "nvme0n3"));
        QCOMPARE((*pieces)[0].deviceOffset, uint64_t(0));
        QCOMPARE((*pieces)[1].device, indexOf(m_topo, "nvme0n1"));
        QCOMPARE((*pieces)[1].deviceOffset, 262144 * kSector);
    }

    void cryptStops()
    {
        auto pieces = mapRange(m_topo, indexOf(m_topo, "lab_crypt"), 0, 4096);
        QVERIFY(pieces.has_value());
        QCOMPARE(pieces->front().kind, PieceKind::Opaque);
        QCOMPARE(pieces->front().device, indexOf(m_topo, "lab_crypt"));
        QVERIFY(pieces->front().reason.starts_with("dm-crypt:"));
    }

    void linearAcrossNvmeAndScsi()
    {
        // lab_mix: first half on nvme0n3, second half on sda.
        const auto mix = indexOf(m_topo, "lab_mix");
        auto pieces = mapRange(m_topo, mix, 0, m_topo.at(mix).sizeBytes);
        QVERIFY(pieces.has_value());
        QCOMPARE(pieces->size(), 2u);
        QCOMPARE((*pieces)[0].device, indexOf(m_topo, "nvme0n3"));
        QCOMPARE((*pieces)[0].deviceOffset, 262144 * kSector);
        QCOMPARE((*pieces)[1].device, indexOf(m_topo, "sda"));
        QCOMPARE((*pieces)[1].offset, 32768 * kSector);
        QCOMPARE((*pieces)[1].deviceOffset, uint64_t(0));
    }
};

QTEST_GUILESS_MAIN(TestTopologyLab)
#include "test_topology_lab.moc"
