// SPDX-License-Identifier: GPL-2.0-or-later
// readTopology on the live /sys, on a captured fixture (tests/fixtures/host-loop), and on
// small sysfs trees built by the test (NVMe multipath, SCSI, dm, partitions, vanishing devices).
#include "topology/Topology.h"
#include "transport/DeviceNode.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fcntl.h>
#include <fstream>
#include <set>
#include <sys/stat.h>
#include <tuple>
#include <unistd.h>

using namespace offload;
namespace fs = std::filesystem;

namespace {

/// Builds a fake sysfs tree: write(path, text) and link(path, target).
class FakeSysfs {
public:
    explicit FakeSysfs(const QString& root) : m_root(root.toStdString()) {}
    fs::path root() const { return m_root; }
    void write(const std::string& path, const std::string& text)
    {
        fs::create_directories((m_root / path).parent_path());
        std::ofstream(m_root / path) << text << "\n";
    }
    void link(const std::string& path, const std::string& target)
    {
        fs::create_directories((m_root / path).parent_path());
        fs::create_directory_symlink(target, m_root / path);
    }
    /// A block device directory under devices/ plus its class/block link.
    void block(const std::string& devDir, const std::string& name, const std::string& devnum, uint64_t sectors)
    {
        write(devDir + "/dev", devnum);
        write(devDir + "/size", std::to_string(sectors));
        write(devDir + "/ro", "0");
        write(devDir + "/removable", "0");
        link("class/block/" + name, "../../" + devDir);
    }

private:
    fs::path m_root;
};

const BlockDevice& mustFind(const Topology& topo, const char* name)
{
    const BlockDevice* dev = topo.find(name);
    if (!dev)
        qFatal("device %s not found", name);
    return *dev;
}

} // namespace

class TestTopologyReader : public QObject {
    Q_OBJECT
private slots:
    void liveHostIsQuiet()
    {
        // Nothing may reach stderr (libdm logs included), and every device must be usable.
        fflush(stderr);
        const int saved = ::dup(2);
        QTemporaryFile capture;
        QVERIFY(capture.open());
        ::dup2(capture.handle(), 2);
        auto topo = readTopology();
        fflush(stderr);
        ::dup2(saved, 2);
        ::close(saved);
        QVERIFY2(topo.has_value(), topo ? "" : topo.error().message().c_str());
        QCOMPARE(capture.size(), qint64(0));
        std::set<DevNum> seen;
        for (const auto& dev : topo->devices()) {
            QVERIFY2(seen.insert(dev.devnum).second, dev.name.c_str());
            QVERIFY(!dev.stableId().empty());
            struct stat st {};
            const std::string node = "/dev/" + dev.name;
            if (::stat(node.c_str(), &st) == 0 && S_ISBLK(st.st_mode))
                QCOMPARE(DevNum::fromDevT(st.st_rdev), dev.devnum);
        }
    }

    void hostLoopFixture()
    {
        // Captured by tests/tools/capture-fixture.sh on the development host with two loop
        // devices attached: a.img (16 MiB) and b.img (8 MiB, offset 1 MiB, direct I/O).
        auto topo = readFixtureTopology(OFFLOADCP_FIXTURES "/host-loop");
        QVERIFY2(topo.has_value(), topo ? "" : topo.error().message().c_str());
        QVERIFY(topo->warnings().empty());
        const BlockDevice* a = nullptr;
        const BlockDevice* b = nullptr;
        for (const auto& dev : topo->devices()) {
            if (dev.loop && dev.loop->backingFile == "/var/tmp/offloadcp-fixture/a.img")
                a = &dev;
            if (dev.loop && dev.loop->backingFile == "/var/tmp/offloadcp-fixture/b.img")
                b = &dev;
        }
        QVERIFY(a && b);
        QCOMPARE(a->kind, DeviceKind::Loop);
        QCOMPARE(a->sizeBytes, uint64_t(16) << 20);
        QCOMPARE(a->loop->offset, uint64_t(0));
        QVERIFY(!a->loop->directIo);
        QCOMPARE(b->sizeBytes, uint64_t(7) << 20);
        QCOMPARE(b->loop->offset, uint64_t(1) << 20);
        QVERIFY(b->loop->directIo);
        QCOMPARE(a->stableId(), std::string("loop:/var/tmp/offloadcp-fixture/a.img"));
        QCOMPARE(b->stableId(), std::string("loop:/var/tmp/offloadcp-fixture/b.img@1048576"));
        QVERIFY(a->isLeaf() && a->uppers.empty());
        QCOMPARE(topo->find(a->stableId()), a);

        // Every device has a stable id, and no two share one.
        std::set<std::string> ids;
        for (const auto& dev : topo->devices()) {
            QVERIFY2(dev.warnings.empty(), dev.name.c_str());
            QVERIFY(!dev.stableId().empty());
            QVERIFY2(ids.insert(dev.stableId()).second, dev.stableId().c_str());
        }
        // The host's root disk is virtio-blk (driver name from the captured `device/driver` link).
        const BlockDevice& vda = mustFind(*topo, "vda");
        QCOMPARE(vda.kind, DeviceKind::Other);
        QCOMPARE(vda.driverHint, std::string("virtio-blk"));
        QCOMPARE(vda.mountpoints, (std::vector<std::string>{"/"}));
        QCOMPARE(mustFind(*topo, "zram0").driverHint, std::string("zram"));
        QCOMPARE(mustFind(*topo, "zram0").logicalBlockSize, 4096u);
    }

    void fakeNvmeMultipathAndPartition()
    {
        QTemporaryDir dir;
        FakeSysfs sys(dir.path());
        // Native multipath: the block node lives under the subsystem; nsid 2 is nvme1n1.
        const std::string subsys = "devices/virtual/nvme-subsystem/nvme-subsys1";
        sys.write(subsys + "/subsysnqn", "nqn.2019-08.org.qemu:SERIAL7");
        sys.write(subsys + "/serial", "SERIAL7");
        sys.write(subsys + "/model", "QEMU NVMe Ctrl");
        sys.write(subsys + "/firmware_rev", "7.2");
        const std::string ctrl = "devices/pci0000:00/0000:00:04.0/nvme/nvme0";
        sys.write(ctrl + "/transport", "pcie");
        sys.write(ctrl + "/serial", "SERIAL7");
        sys.write(ctrl + "/model", "QEMU NVMe Ctrl");
        sys.write(ctrl + "/firmware_rev", "7.2");
        sys.write(ctrl + "/subsysnqn", "nqn.2019-08.org.qemu:SERIAL7");
        sys.link(subsys + "/nvme0", "../../../pci0000:00/0000:00:04.0/nvme/nvme0");
        const std::string ns = subsys + "/nvme1n1";
        sys.block(ns, "nvme1n1", "259:0", 2048 * 64);
        sys.write(ns + "/nsid", "2");
        sys.write(ns + "/eui", "0011223344556677");
        sys.write(ns + "/queue/logical_block_size", "4096");
        sys.write(ns + "/queue/physical_block_size", "4096");
        sys.write(ns + "/queue/zoned", "none");
        sys.link(ns + "/device", "../../nvme-subsys1");
        sys.write(subsys + "/ng1n1/dev", "243:1");
        // The hidden per-path node must be skipped.
        sys.block(ctrl + "/nvme0c0n2", "nvme0c0n2", "259:9", 2048 * 64);
        sys.write(ctrl + "/nvme0c0n2/hidden", "1");
        // A partition: its parent comes from the directory it sits in.
        sys.block(ns + "/nvme1n1p1", "nvme1n1p1", "259:1", 2048 * 8);
        sys.write(ns + "/nvme1n1p1/partition", "1");
        sys.write(ns + "/nvme1n1p1/start", "2048");
        sys.write(ns + "/holders/.keep", "");
        std::ofstream(dir.filePath("mountinfo").toStdString())
            << "30 1 259:1 / /mnt/my\\040data rw - ext4 /dev/nvme1n1p1 rw\n";

        TopologyOptions options;
        options.sysfsRoot = sys.root();
        options.mountinfo = dir.filePath("mountinfo").toStdString();
        options.swaps.clear();
        auto topo = readTopology(options);
        QVERIFY(topo.has_value());
        QCOMPARE(topo->size(), std::size_t(2));
        const auto& nsDev = mustFind(*topo, "nvme1n1");
        QCOMPARE(nsDev.kind, DeviceKind::NvmeNamespace);
        QVERIFY(nsDev.nvme.has_value());
        QCOMPARE(nsDev.nvme->nsid, 2u);
        QCOMPARE(nsDev.nvme->controller, std::string("nvme0"));
        QCOMPARE(nsDev.nvme->transport, std::string("pcie"));
        QCOMPARE(nsDev.nvme->serial, std::string("SERIAL7"));
        QCOMPARE(nsDev.nvme->eui64, std::string("0011223344556677"));
        QCOMPARE(nsDev.nvme->genericNode, std::string("ng1n1"));
        QCOMPARE(nsDev.nvme->genericDevNum, (DevNum{243, 1}));
        QCOMPARE(nsDev.logicalBlockSize, 4096u);
        QCOMPARE(nsDev.sizeBytes, uint64_t(2048) * 64 * 512);
        QCOMPARE(nsDev.stableId(), std::string("nvme:nqn.2019-08.org.qemu:SERIAL7:nsid=2"));
        const auto& part = mustFind(*topo, "nvme1n1p1");
        QCOMPARE(part.kind, DeviceKind::Partition);
        QCOMPARE(part.partition->startSector, uint64_t(2048));
        QCOMPARE(part.lowers, (std::vector<std::size_t>{nsDev.index}));
        QCOMPARE(part.logicalBlockSize, 4096u);
        QCOMPARE(part.mountpoints, (std::vector<std::string>{"/mnt/my data"}));
        QCOMPARE(part.stableId(), nsDev.stableId().insert(0, "part:") + ":1");
    }

    void fakeScsiDmAndVanishedDevice()
    {
        QTemporaryDir dir;
        FakeSysfs sys(dir.path());
        const std::string lun = "devices/platform/host2/target2:0:1/2:0:1:3";
        sys.write(lun + "/type", "0");
        sys.write(lun + "/vendor", "LIO-ORG ");
        sys.write(lun + "/model", "disk1           ");
        sys.write(lun + "/rev", "4.0 ");
        sys.write(lun + "/wwid", "naa.6001405aaaaaaaaaaaaaaaaaaaaaaaaa");
        sys.write(lun + "/scsi_generic/sg3/dev", "21:3");
        const std::string sd = lun + "/block/sdc";
        sys.block(sd, "sdc", "8:32", 1 << 20);
        sys.link(sd + "/device", "../../../2:0:1:3");
        sys.link(sd + "/holders/dm-0", "../../../../../../virtual/block/dm-0");
        const std::string dm = "devices/virtual/block/dm-0";
        sys.block(dm, "dm-0", "253:0", 1 << 19);
        sys.write(dm + "/dm/name", "vg-lv");
        sys.write(dm + "/dm/uuid", "LVM-xyz");
        sys.write(dm + "/dm/suspended", "0");
        // Slaves link deliberately missing: the holders edge alone must connect the two.
        std::ofstream(dir.filePath("dmsetup-table.txt").toStdString()) << "vg-lv: 0 524288 linear 8:32 2048\n";
        // A device whose dev attribute is gone (it vanished between listing and reading).
        fs::create_directories(sys.root() / "devices/virtual/block/loop9");
        sys.link("class/block/loop9", "../../devices/virtual/block/loop9");
        // A dangling class link.
        sys.link("class/block/sdz", "../../devices/nowhere/sdz");

        auto dmSource = makeDmsetupTextSource(dir.filePath("dmsetup-table.txt").toStdString());
        TopologyOptions options;
        options.sysfsRoot = sys.root();
        options.mountinfo.clear();
        options.swaps.clear();
        options.dm = dmSource.get();
        auto topo = readTopology(options);
        QVERIFY(topo.has_value());
        QCOMPARE(topo->size(), std::size_t(2));
        QCOMPARE(topo->warnings().size(), std::size_t(2));
        const auto& disk = mustFind(*topo, "sdc");
        QCOMPARE(disk.kind, DeviceKind::ScsiDisk);
        QCOMPARE(disk.scsi->hctl, std::string("2:0:1:3"));
        QCOMPARE(disk.scsi->targetId, std::string("2:0:1"));
        QCOMPARE(disk.scsi->vendor, std::string("LIO-ORG"));
        QCOMPARE(disk.scsi->model, std::string("disk1"));
        QCOMPARE(disk.scsi->sgNode, std::string("sg3"));
        QCOMPARE(disk.scsi->sgDevNum, (DevNum{21, 3}));
        QCOMPARE(disk.stableId(), std::string("wwn:naa.6001405aaaaaaaaaaaaaaaaaaaaaaaaa"));
        const auto& lv = mustFind(*topo, "/dev/mapper/vg-lv");
        QCOMPARE(lv.kind, DeviceKind::DeviceMapper);
        QVERIFY(lv.dm->tableKnown);
        QCOMPARE(lv.dm->table.size(), std::size_t(1));
        QCOMPARE(lv.dm->table[0].params, std::string("8:32 2048"));
        QCOMPARE(lv.lowers, (std::vector<std::size_t>{disk.index}));
        QCOMPARE(disk.uppers, (std::vector<std::size_t>{lv.index}));
        QCOMPARE(lv.stableId(), std::string("dm-uuid:LVM-xyz"));
    }

    void unreadableAttributeGivesPartialEntry()
    {
        // A directory where the attribute should be: read() fails (EISDIR) even for root.
        QTemporaryDir dir;
        FakeSysfs sys(dir.path());
        sys.block("devices/virtual/block/vdb", "vdb", "254:16", 100);
        fs::remove(sys.root() / "devices/virtual/block/vdb/size");
        fs::create_directory(sys.root() / "devices/virtual/block/vdb/size");
        TopologyOptions options;
        options.sysfsRoot = sys.root();
        auto topo = readTopology(options);
        QVERIFY(topo.has_value());
        QCOMPARE(topo->size(), std::size_t(1));
        QCOMPARE(topo->at(0).sizeBytes, uint64_t(0));
        QCOMPARE(topo->at(0).warnings.size(), std::size_t(1));
        QVERIFY(topo->at(0).warnings[0].find("size") != std::string::npos);
        QCOMPARE(topo->at(0).driverHint, std::string("virtio-blk"));
    }

    void sizeBeyond64BitBytes()
    {
        // 2^55 + 1 sectors is 512 bytes in 64-bit arithmetic.
        QTemporaryDir dir;
        FakeSysfs sys(dir.path());
        sys.block("devices/virtual/block/vdb", "vdb", "254:16", (uint64_t(1) << 55) + 1);
        TopologyOptions options;
        options.sysfsRoot = sys.root();
        auto topo = readTopology(options);
        QVERIFY(topo.has_value());
        QCOMPARE(topo->at(0).sizeBytes, uint64_t(0));
        QCOMPARE(topo->at(0).warnings.size(), std::size_t(1));
        QVERIFY(topo->at(0).warnings[0].starts_with("size: "));
    }

    void blockSizesThatAreNoBlockSize()
    {
        // A captured tree may say anything; a logical block size of 0 divided the planner's
        // alignment checks by zero (found by tests/fuzz/fuzz_fixture_tree).
        QTemporaryDir dir;
        FakeSysfs sys(dir.path());
        for (const auto& [name, devnum, lbs, pbs] : {std::tuple{"vdb", "254:16", "0", "0"},
                                                     std::tuple{"vdc", "254:32", "3000", "4097"},
                                                     std::tuple{"vdd", "254:48", "4096", "65536"}}) {
            sys.block(std::string("devices/virtual/block/") + name, name, devnum, 2048);
            sys.write(std::string("devices/virtual/block/") + name + "/queue/logical_block_size", lbs);
            sys.write(std::string("devices/virtual/block/") + name + "/queue/physical_block_size", pbs);
        }
        TopologyOptions options;
        options.sysfsRoot = sys.root();
        auto topo = readTopology(options);
        QVERIFY(topo.has_value());
        for (const char* name : {"vdb", "vdc"}) {
            const BlockDevice& dev = mustFind(*topo, name);
            QCOMPARE(dev.logicalBlockSize, 512u);
            QCOMPARE(dev.physicalBlockSize, 512u);
            QCOMPARE(dev.warnings.size(), std::size_t(2));
            QVERIFY2(dev.warnings[0].find("queue/logical_block_size") != std::string::npos, dev.warnings[0].c_str());
        }
        QCOMPARE(mustFind(*topo, "vdd").logicalBlockSize, 4096u);
        QCOMPARE(mustFind(*topo, "vdd").physicalBlockSize, 65536u);
        QVERIFY(mustFind(*topo, "vdd").warnings.empty());
    }

    void identitiesThatCannotBeTrusted()
    {
        QTemporaryDir dir;
        FakeSysfs sys(dir.path());
        // virtio disks: one with its own serial, two the hypervisor gave the same one.
        sys.block("devices/pci0000:00/0000:00:02.0/virtio1/block/vda", "vda", "254:0", 1000);
        sys.write("devices/pci0000:00/0000:00:02.0/virtio1/block/vda/serial", "  disk-a ");
        sys.block("devices/pci0000:00/0000:00:03.0/virtio2/block/vdb", "vdb", "254:16", 1000);
        sys.write("devices/pci0000:00/0000:00:03.0/virtio2/block/vdb/serial", "same");
        sys.block("devices/pci0000:00/0000:00:04.0/virtio3/block/vdc", "vdc", "254:32", 1000);
        sys.write("devices/pci0000:00/0000:00:04.0/virtio3/block/vdc/serial", "same");
        // Two loop devices on one file, and one whose file was deleted.
        for (const auto& [name, devnum, file] :
             {std::tuple{"loop0", "7:0", "/srv/a.img"}, std::tuple{"loop1", "7:1", "/srv/a.img"},
              std::tuple{"loop2", "7:2", "/srv/b.img (deleted)"}}) {
            const std::string loopDir = std::string("devices/virtual/block/") + name;
            sys.block(loopDir, name, devnum, 1000);
            sys.write(loopDir + "/loop/backing_file", file);
            sys.write(loopDir + "/loop/offset", "0");
        }
        TopologyOptions options;
        options.sysfsRoot = sys.root();
        options.mountinfo.clear();
        options.swaps.clear();
        auto topo = readTopology(options);
        QVERIFY(topo.has_value());
        QCOMPARE(mustFind(*topo, "vda").stableId(), std::string("serial:virtio-blk:disk-a"));
        QCOMPARE(mustFind(*topo, "vdb").stableId(), std::string("devnum:254:16"));
        QCOMPARE(mustFind(*topo, "vdc").stableId(), std::string("devnum:254:32"));
        QVERIFY(!mustFind(*topo, "vdb").warnings.empty());
        QCOMPARE(mustFind(*topo, "loop0").stableId(), std::string("devnum:7:0"));
        QCOMPARE(mustFind(*topo, "loop1").stableId(), std::string("devnum:7:1"));
        const auto& deleted = mustFind(*topo, "loop2");
        QCOMPARE(deleted.loop->backingFile, std::string("/srv/b.img"));
        QVERIFY(deleted.loop->backingDeleted);
        QCOMPARE(deleted.stableId(), std::string("devnum:7:2"));
        QVERIFY(deleted.label().find("(deleted)") != std::string::npos);
        // Every id in one topology names one device.
        std::set<std::string> ids;
        for (const auto& dev : topo->devices())
            QVERIFY2(ids.insert(dev.stableId()).second, dev.stableId().c_str());
        QCOMPARE(topo->findByStableId("serial:virtio-blk:disk-a"), &mustFind(*topo, "vda"));
    }

    void longMountinfoIsReadToTheEnd()
    {
        // A host with thousands of mounts (containers): the destination's line comes after
        // megabytes of others and must still be seen (a missed mount would let a copy in).
        QTemporaryDir dir;
        FakeSysfs sys(dir.path());
        sys.block("devices/virtual/block/loop3", "loop3", "7:3", 2048);
        std::ofstream mountinfo(dir.filePath("mountinfo").toStdString());
        for (int i = 0; i < 40000; ++i)
            mountinfo << 100 + i << " 1 0:" << 50 + i % 1000 << " / /run/containers/c" << i
                      << "/rootfs/merged rw,relatime shared:1 - overlay overlay rw,lowerdir=/var/lib/x\n";
        mountinfo << "99 1 7:3 / /srv/data rw - ext4 /dev/loop3 rw\n";
        mountinfo.close();
        QVERIFY(QFileInfo(dir.filePath("mountinfo")).size() > (4 << 20));
        TopologyOptions options;
        options.sysfsRoot = sys.root();
        options.mountinfo = dir.filePath("mountinfo").toStdString();
        options.swaps.clear();
        auto topo = readTopology(options);
        QVERIFY(topo.has_value());
        QCOMPARE(mustFind(*topo, "loop3").mountpoints, std::vector<std::string>{"/srv/data"});
    }

    void notASysfsTree()
    {
        TopologyOptions options;
        options.sysfsRoot = "/nonexistent-sysfs";
        auto topo = readTopology(options);
        QVERIFY(!topo.has_value());
        QCOMPARE(topo.error().code, Errc::NotFound);
    }

    void openBlockDeviceVerifiesDevNum()
    {
        auto topo = readTopology();
        QVERIFY(topo.has_value());
        const BlockDevice* loop = topo->find("loop0");
        if (!loop || ::access("/dev/loop0", R_OK) != 0)
            QSKIP("no readable /dev/loop0");
        auto fd = openBlockDevice(*loop, O_RDONLY);
        QVERIFY2(fd.has_value(), fd ? "" : fd.error().message().c_str());
        struct stat st {};
        QCOMPARE(::fstat(fd->get(), &st), 0);
        QCOMPARE(DevNum::fromDevT(st.st_rdev), loop->devnum);
        // No node by that name: found through /dev/block or a private mknod'ed node.
        BlockDevice unnamed = *loop;
        unnamed.name = "offloadcp-no-such-node";
        auto viaNumber = openBlockDevice(unnamed, O_RDONLY);
        if (::geteuid() == 0) {
            QVERIFY2(viaNumber.has_value(), viaNumber ? "" : viaNumber.error().message().c_str());
            QCOMPARE(::fstat(viaNumber->get(), &st), 0);
            QCOMPARE(DevNum::fromDevT(st.st_rdev), loop->devnum);
        } else if (!viaNumber) {
            QVERIFY(!viaNumber.error().message().empty()); // mknod needs root: a clear error
        }
        // A device whose name points at a different node must not be opened by name.
        BlockDevice wrong = *loop;
        wrong.devnum = {7, 1};
        auto other = openBlockDevice(wrong, O_RDONLY);
        if (other) {
            QCOMPARE(::fstat(other->get(), &st), 0);
            QCOMPARE(DevNum::fromDevT(st.st_rdev), (DevNum{7, 1}));
        }
    }
};

QTEST_GUILESS_MAIN(TestTopologyReader)
#include "test_topologyreader.moc"
