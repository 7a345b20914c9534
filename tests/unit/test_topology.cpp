// SPDX-License-Identifier: GPL-2.0-or-later
// The Topology DAG on hand-built devices: edges, lookups, stable ids.
#include "topology/Topology.h"

#include <QtTest>

using namespace offload;

namespace {

BlockDevice make(std::string name, DevNum devnum, DeviceKind kind, std::vector<std::size_t> lowers = {})
{
    BlockDevice dev;
    dev.name = std::move(name);
    dev.devnum = devnum;
    dev.kind = kind;
    dev.sizeBytes = 1 << 20;
    dev.lowers = std::move(lowers);
    return dev;
}

// 0 nvme0n1, 1 nvme0n1p1 (on 0), 2 sda, 3 dm-0 "vg-lv" (on 1 and 2), 4 dm-1 "top" (on 3), 5 loop0
Topology sample()
{
    auto nvme = make("nvme0n1", {259, 0}, DeviceKind::NvmeNamespace);
    nvme.nvme = NvmeNamespaceInfo{};
    nvme.nvme->subsysnqn = "nqn.2019-08.org.qemu:SER1";
    nvme.nvme->serial = "SER1";
    nvme.nvme->nsid = 1;
    auto part = make("nvme0n1p1", {259, 1}, DeviceKind::Partition, {0});
    part.partition = PartitionInfo{1, 2048, {}};
    auto sda = make("sda", {8, 0}, DeviceKind::ScsiDisk);
    sda.scsi = ScsiDiskInfo{};
    sda.scsi->wwid = "naa.6001405abc";
    auto lv = make("dm-0", {253, 0}, DeviceKind::DeviceMapper, {1, 2});
    lv.dm = DmInfo{};
    lv.dm->name = "vg-lv";
    lv.dm->uuid = "LVM-abc";
    auto top = make("dm-1", {253, 1}, DeviceKind::DeviceMapper, {3});
    top.dm = DmInfo{};
    top.dm->name = "top";
    auto loop = make("loop0", {7, 0}, DeviceKind::Loop);
    loop.loop = LoopInfo{"/var/tmp/a.img", 0, 0, false, false};
    return Topology({nvme, part, sda, lv, top, loop}, {"a warning"});
}

} // namespace

class TestTopology : public QObject {
    Q_OBJECT
private slots:
    void devNumParse()
    {
        QCOMPARE(DevNum::parse("259:0"), std::optional<DevNum>(DevNum{259, 0}));
        QCOMPARE(DevNum::parse("8:16\n"), std::optional<DevNum>(DevNum{8, 16}));
        QVERIFY(!DevNum::parse("8:").has_value());
        QVERIFY(!DevNum::parse(":1").has_value());
        QVERIFY(!DevNum::parse("8-1").has_value());
        QVERIFY(!DevNum::parse("8:1x").has_value());
        const DevNum big{259, 1048575};
        QCOMPARE(DevNum::fromDevT(big.toDevT()), big);
        QCOMPARE(big.str(), std::string("259:1048575"));
    }

    void uppersFilledFromLowers()
    {
        auto topo = sample();
        QCOMPARE(topo.size(), std::size_t(6));
        for (std::size_t i = 0; i < topo.size(); ++i)
            QCOMPARE(topo.at(i).index, i);
        QCOMPARE(topo.at(0).uppers, (std::vector<std::size_t>{1}));
        QCOMPARE(topo.at(1).uppers, (std::vector<std::size_t>{3}));
        QCOMPARE(topo.at(2).uppers, (std::vector<std::size_t>{3}));
        QCOMPARE(topo.at(3).uppers, (std::vector<std::size_t>{4}));
        QVERIFY(topo.at(4).uppers.empty());
        QCOMPARE(topo.warnings().size(), std::size_t(1));
    }

    void rootsLeavesDepends()
    {
        auto topo = sample();
        QCOMPARE(topo.roots(), (std::vector<std::size_t>{0, 2, 5}));
        QCOMPARE(topo.leavesOf(4), (std::vector<std::size_t>{0, 2}));
        QCOMPARE(topo.leavesOf(5), (std::vector<std::size_t>{5}));
        QVERIFY(topo.dependsOn(4, 0));
        QVERIFY(topo.dependsOn(4, 1));
        QVERIFY(topo.dependsOn(3, 2));
        QVERIFY(!topo.dependsOn(0, 4));
        QVERIFY(!topo.dependsOn(4, 5));
        QVERIFY(!topo.dependsOn(4, 4));
    }

    void stableIds()
    {
        auto topo = sample();
        QCOMPARE(topo.at(0).stableId(), std::string("nvme:nqn.2019-08.org.qemu:SER1:nsid=1"));
        QCOMPARE(topo.at(1).stableId(), std::string("part:nvme:nqn.2019-08.org.qemu:SER1:nsid=1:1"));
        QCOMPARE(topo.at(2).stableId(), std::string("wwn:naa.6001405abc"));
        QCOMPARE(topo.at(3).stableId(), std::string("dm-uuid:LVM-abc"));
        QCOMPARE(topo.at(4).stableId(), std::string("dm-name:top"));
        QCOMPARE(topo.at(5).stableId(), std::string("loop:/var/tmp/a.img"));
        BlockDevice bare;
        bare.name = "vda";
        bare.devnum = {254, 0};
        QCOMPARE(bare.stableId(), std::string("devnum:254:0"));
    }

    void findBySpec()
    {
        auto topo = sample();
        QCOMPARE(topo.find("nvme0n1p1")->index, std::size_t(1));
        QCOMPARE(topo.find("/dev/mapper/vg-lv")->index, std::size_t(3));
        QCOMPARE(topo.find("vg-lv")->index, std::size_t(3));
        QCOMPARE(topo.find("dm-1")->index, std::size_t(4));
        QCOMPARE(topo.find("wwn:naa.6001405abc")->index, std::size_t(2));
        QCOMPARE(topo.find("8:0")->index, std::size_t(2));
        QCOMPARE(topo.findByDevNum({253, 1})->index, std::size_t(4));
        QVERIFY(topo.find("/dev/mapper/nothing") == nullptr);
        QVERIFY(topo.find("nothing") == nullptr);
        QVERIFY(topo.find("") == nullptr);
    }

    void findResolvesExistingPathsByDevNum()
    {
        // A file path that exists but is no block device falls back to the name rule.
        auto topo = sample();
        QVERIFY(topo.find("/dev/null") == nullptr);
        // /dev/loop0 exists on most Linux hosts: it must resolve through st_rdev to 7:0.
        if (QFile::exists("/dev/loop0"))
            QCOMPARE(topo.find("/dev/loop0")->index, std::size_t(5));
    }

    void devPathAndLabel()
    {
        auto topo = sample();
        QCOMPARE(topo.at(3).devPath(), std::string("/dev/mapper/vg-lv"));
        QCOMPARE(topo.at(0).devPath(), std::string("/dev/nvme0n1"));
        QCOMPARE(topo.at(0).label(), std::string("nvme0n1 (serial SER1, nsid 1)"));
        QCOMPARE(std::string(toString(DeviceKind::DeviceMapper)), std::string("dm"));
    }
};

QTEST_GUILESS_MAIN(TestTopology)
#include "test_topology.moc"
