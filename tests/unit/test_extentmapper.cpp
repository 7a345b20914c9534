// SPDX-License-Identifier: GPL-2.0-or-later
// mapRange on hand-built topologies and table strings.
#include "topology/ExtentMapper.h"

#include <QtTest>

using namespace offload;

namespace {

constexpr uint64_t MiB = 1024 * 1024;

BlockDevice disk(std::string name, DevNum devnum, uint64_t bytes, DeviceKind kind = DeviceKind::NvmeNamespace)
{
    BlockDevice dev;
    dev.name = std::move(name);
    dev.devnum = devnum;
    dev.kind = kind;
    dev.sizeBytes = bytes;
    return dev;
}

BlockDevice partition(std::string name, DevNum devnum, uint64_t bytes, std::size_t parent,
                      uint32_t number, uint64_t startSector)
{
    BlockDevice dev = disk(std::move(name), devnum, bytes, DeviceKind::Partition);
    dev.partition = PartitionInfo{number, startSector, {}};
    dev.lowers = {parent};
    return dev;
}

BlockDevice dmDevice(std::string name, DevNum devnum, std::vector<DmSegment> table,
                     std::vector<std::size_t> lowers)
{
    uint64_t sectors = 0;
    for (const auto& seg : table)
        sectors = std::max(sectors, seg.start + seg.length);
    BlockDevice dev = disk("dm-" + std::to_string(devnum.minor), devnum, sectors * 512,
                           DeviceKind::DeviceMapper);
    DmInfo info;
    info.name = std::move(name);
    info.table = std::move(table);
    info.tableKnown = true;
    dev.dm = std::move(info);
    dev.lowers = std::move(lowers);
    return dev;
}

} // namespace

class TestExtentMapper : public QObject {
    Q_OBJECT
private slots:
    void partitionAddsStartOffset()
    {
        Topology topo({disk("nvme0n1", {259, 0}, 100 * MiB),
                       partition("nvme0n1p1", {259, 1}, 50 * MiB, 0, 1, 2048)});
        auto pieces = mapRange(topo, 1, 4096, 8192);
        QVERIFY(pieces.has_value());
        QCOMPARE(pieces->size(), 1u);
        const auto& p = pieces->front();
        QCOMPARE(p.kind, PieceKind::Leaf);
        QCOMPARE(p.device, std::size_t(0));
        QCOMPARE(p.offset, uint64_t(4096));
        QCOMPARE(p.length, uint64_t(8192));
        QCOMPARE(p.deviceOffset, uint64_t(2048 * 512 + 4096));
        QCOMPARE(p.path, (std::vector<std::size_t>{1, 0}));
    }

    void linearOnLinearSplitsAtSegments()
    {
        // dm-0: sectors 0..2047 -> nvme0n1 @ 4096, sectors 2048..4095 -> sda @ 0
        // dm-1: sectors 0..1023 -> dm-0 @ 1536 (straddles dm-0's segment boundary at 2048)
        Topology topo({disk("nvme0n1", {259, 0}, 100 * MiB),
                       disk("sda", {8, 0}, 100 * MiB, DeviceKind::ScsiDisk),
                       dmDevice("lower", {253, 0},
                                {{0, 2048, "linear", "259:0 4096"}, {2048, 2048, "linear", "8:0 0"}},
                                {0, 1}),
                       dmDevice("upper", {253, 1}, {{0, 1024, "linear", "253:0 1536"}}, {2})});
        auto pieces = mapRange(topo, 3, 0, 1024 * 512);
        QVERIFY2(pieces.has_value(), pieces ? "" : pieces.error().message().c_str());
        QCOMPARE(pieces->size(), 2u);
        const auto& a = (*pieces)[0];
        const auto& b = (*pieces)[1];
        QCOMPARE(a.kind, PieceKind::Leaf);
        QCOMPARE(a.device, std::size_t(0));
        QCOMPARE(a.offset, uint64_t(0));
        QCOMPARE(a.length, uint64_t(512 * 512));
        QCOMPARE(a.deviceOffset, uint64_t((4096 + 1536) * 512));
        QCOMPARE(a.path, (std::vector<std::size_t>{3, 2, 0}));
        QCOMPARE(b.device, std::size_t(1));
        QCOMPARE(b.offset, uint64_t(512 * 512));
        QCOMPARE(b.length, uint64_t(512 * 512));
        QCOMPARE(b.deviceOffset, uint64_t(0));
        QCOMPARE(b.path, (std::vector<std::size_t>{3, 2, 1}));
    }

    void partitionOnDm()
    {
        Topology topo({disk("nvme0n1", {259, 0}, 100 * MiB),
                       dmDevice("vol", {253, 0}, {{0, 65536, "linear", "259:0 8192"}}, {0}),
                       partition("dm-0p1", {259, 5}, 16 * MiB, 1, 1, 2048)});
        auto pieces = mapRange(topo, 2, 512, 1024);
        QVERIFY(pieces.has_value());
        QCOMPARE(pieces->size(), 1u);
        QCOMPARE(pieces->front().device, std::size_t(0));
        QCOMPARE(pieces->front().deviceOffset, uint64_t((8192 + 2048) * 512 + 512));
        QCOMPARE(pieces->front().path, (std::vector<std::size_t>{2, 1, 0}));
    }

    void stripedChunks()
    {
        // 2 stripes of 8-sector (4 KiB) chunks: chunk 0 -> a@100s, 1 -> b@200s, 2 -> a@108s, ...
        Topology topo({disk("nvme0n1", {259, 0}, 10 * MiB), disk("nvme1n1", {259, 1}, 10 * MiB),
                       dmDevice("st", {253, 0}, {{0, 64, "striped", "2 8 259:0 100 259:1 200"}}, {0, 1})});
        // bytes 2048 .. 2048+12288: half of chunk 0, chunk 1, chunk 2, half of chunk 3
        auto pieces = mapRange(topo, 2, 2048, 12288);
        QVERIFY2(pieces.has_value(), pieces ? "" : pieces.error().message().c_str());
        QCOMPARE(pieces->size(), 4u);
        const uint64_t chunk = 4096;
        QCOMPARE((*pieces)[0].device, std::size_t(0));
        QCOMPARE((*pieces)[0].deviceOffset, uint64_t(100 * 512 + 2048));
        QCOMPARE((*pieces)[0].length, uint64_t(2048));
        QCOMPARE((*pieces)[1].device, std::size_t(1));
        QCOMPARE((*pieces)[1].deviceOffset, uint64_t(200 * 512));
        QCOMPARE((*pieces)[1].length, chunk);
        QCOMPARE((*pieces)[1].offset, uint64_t(4096));
        QCOMPARE((*pieces)[2].device, std::size_t(0));
        QCOMPARE((*pieces)[2].deviceOffset, uint64_t(100 * 512 + chunk));
        QCOMPARE((*pieces)[3].device, std::size_t(1));
        QCOMPARE((*pieces)[3].deviceOffset, uint64_t(200 * 512 + chunk));
        QCOMPARE((*pieces)[3].length, uint64_t(2048));
        uint64_t total = 0;
        for (const auto& p : *pieces)
            total += p.length;
        QCOMPARE(total, uint64_t(12288));
    }

    void stripedAcrossSegmentBoundary()
    {
        // A second segment starts the chunk numbering again at its own start.
        Topology topo({disk("a", {259, 0}, 10 * MiB), disk("b", {259, 1}, 10 * MiB),
                       dmDevice("st", {253, 0},
                                {{0, 24, "striped", "2 8 259:0 0 259:1 0"},
                                 {24, 16, "striped", "2 8 259:0 1000 259:1 1000"}},
                                {0, 1})});
        auto pieces = mapRange(topo, 2, 16 * 512, 16 * 512);
        QVERIFY(pieces.has_value());
        QCOMPARE(pieces->size(), 2u);
        QCOMPARE((*pieces)[0].device, std::size_t(0));          // chunk 2 of segment 1 -> a, row 1
        QCOMPARE((*pieces)[0].deviceOffset, uint64_t(8 * 512));
        QCOMPARE((*pieces)[1].device, std::size_t(0));          // chunk 0 of segment 2 -> a @1000
        QCOMPARE((*pieces)[1].deviceOffset, uint64_t(1000 * 512));
    }

    void cryptIsOpaqueWithReason()
    {
        Topology topo({disk("nvme0n1", {259, 0}, 100 * MiB),
                       dmDevice("secret", {253, 0},
                                {{0, 2048, "crypt", "aes-xts-plain64 :64:logon:k 0 259:0 4096"}}, {0})});
        auto pieces = mapRange(topo, 1, 0, 4096);
        QVERIFY(pieces.has_value());
        QCOMPARE(pieces->size(), 1u);
        QCOMPARE(pieces->front().kind, PieceKind::Opaque);
        QCOMPARE(pieces->front().device, std::size_t(1));
        QVERIFY(pieces->front().reason.starts_with("dm-crypt:"));
        QVERIFY(pieces->front().reason.find("IV") != std::string::npos);
        QCOMPARE(pieces->front().path, (std::vector<std::size_t>{1}));
    }

    void opacityTable()
    {
        QVERIFY(dmTargetOpacityReason("linear").empty());
        QVERIFY(dmTargetOpacityReason("striped").empty());
        QVERIFY(dmTargetOpacityReason("multipath").empty());
        for (const char* target : {"crypt", "integrity", "verity", "thin", "thin-pool", "snapshot",
                                   "snapshot-origin", "mirror", "raid", "cache", "writecache", "era",
                                   "vdo", "something-new"}) {
            const auto reason = dmTargetOpacityReason(target);
            QVERIFY2(reason.starts_with(std::string("dm-") + target + ":"), reason.c_str());
        }
    }

    void zeroErrorAndHoles()
    {
        Topology topo({disk("a", {259, 0}, 10 * MiB),
                       dmDevice("mixed", {253, 0},
                                {{0, 8, "zero", ""}, {8, 8, "linear", "259:0 0"}, {24, 8, "error", ""}},
                                {0})});
        auto pieces = mapRange(topo, 1, 0, 32 * 512);
        QVERIFY(pieces.has_value());
        QCOMPARE(pieces->size(), 4u);
        QCOMPARE((*pieces)[0].kind, PieceKind::Zero);
        QCOMPARE((*pieces)[1].kind, PieceKind::Leaf);
        QCOMPARE((*pieces)[2].kind, PieceKind::Error); // hole at sectors 16..23
        QCOMPARE((*pieces)[2].offset, uint64_t(16 * 512));
        QCOMPARE((*pieces)[2].length, uint64_t(8 * 512));
        QCOMPARE((*pieces)[3].kind, PieceKind::Error);
        QCOMPARE((*pieces)[3].reason, dmTargetOpacityReason("error"));
    }

    void multipathFirstPath()
    {
        Topology topo({disk("sda", {8, 0}, 10 * MiB, DeviceKind::ScsiDisk),
                       disk("sdb", {8, 16}, 10 * MiB, DeviceKind::ScsiDisk),
                       dmDevice("mpatha", {253, 0},
                                {{0, 20480, "multipath",
                                  "1 queue_if_no_path 0 2 1 service-time 0 1 2 8:16 1 1 round-robin 0 1 1 8:0 1"}},
                                {0, 1})});
        auto pieces = mapRange(topo, 2, 4096, 4096);
        QVERIFY2(pieces.has_value(), pieces ? "" : pieces.error().message().c_str());
        QCOMPARE(pieces->size(), 1u);
        QCOMPARE(pieces->front().device, std::size_t(1));
        QCOMPARE(pieces->front().deviceOffset, uint64_t(4096));
    }

    void delayAndFlakeyMapLikeLinear()
    {
        Topology topo({disk("a", {259, 0}, 10 * MiB),
                       dmDevice("slow", {253, 0}, {{0, 100, "delay", "259:0 10 500"}}, {0}),
                       dmDevice("flaky", {253, 1}, {{0, 100, "flakey", "259:0 20 5 5"}}, {0})});
        auto slow = mapRange(topo, 1, 512, 512);
        auto flaky = mapRange(topo, 2, 512, 512);
        QVERIFY(slow && flaky);
        QCOMPARE(slow->front().deviceOffset, uint64_t(11 * 512));
        QCOMPARE(flaky->front().deviceOffset, uint64_t(21 * 512));
    }

    void loopIsLeaf()
    {
        BlockDevice loop = disk("loop0", {7, 0}, MiB, DeviceKind::Loop);
        loop.loop = LoopInfo{"/var/tmp/img", 0, 0, false, false};
        Topology topo({loop});
        auto pieces = mapRange(topo, 0, 0, MiB);
        QVERIFY(pieces.has_value());
        QCOMPARE(pieces->front().kind, PieceKind::Leaf);
        QCOMPARE(pieces->front().device, std::size_t(0));
    }

    void outOfRangeIsAnError()
    {
        Topology topo({disk("a", {259, 0}, MiB)});
        QVERIFY(!mapRange(topo, 0, MiB - 512, 1024).has_value());
        QCOMPARE(mapRange(topo, 0, MiB + 1, 0).error().code, Errc::InvalidArgument);
        QVERIFY(!mapRange(topo, 5, 0, 512).has_value());
        QVERIFY(mapRange(topo, 0, MiB, 0).has_value());
    }

    void unknownLowerDeviceIsAnError()
    {
        Topology topo({disk("a", {259, 0}, MiB), dmDevice("x", {253, 0}, {{0, 8, "linear", "8:99 0"}}, {0})});
        auto pieces = mapRange(topo, 1, 0, 512);
        QVERIFY(!pieces.has_value());
        QVERIFY(pieces.error().what.find("8:99") != std::string::npos);
    }

    void segmentBeyond64BitBytesIsAnError()
    {
        // Sector 2^55 is byte 2^64: in 64 bits that wraps to byte 0, which this table does not map.
        const uint64_t sector2p55 = uint64_t(1) << 55;
        for (const DmSegment& seg : {DmSegment{sector2p55, 2048, "linear", "259:0 0"},
                                     DmSegment{0, sector2p55, "linear", "259:0 0"}}) {
            BlockDevice dm = dmDevice("x", {253, 0}, {seg}, {0});
            dm.sizeBytes = MiB;
            Topology topo({disk("a", {259, 0}, MiB), dm});
            auto pieces = mapRange(topo, 1, 0, 4096);
            QVERIFY2(!pieces.has_value(), pieces ? toString(pieces->front().kind) : "");
            QCOMPARE(pieces.error().code, Errc::Corrupt);
            QVERIFY2(pieces.error().what.find("2^64") != std::string::npos, pieces.error().what.c_str());
        }
    }

    void partitionStartBeyond64BitBytesIsAnError()
    {
        // A partition at sector 2^55 (a captured `start` attribute says so) would wrap to byte 0.
        Topology topo({disk("nvme0n1", {259, 0}, 100 * MiB),
                       partition("nvme0n1p1", {259, 1}, MiB, 0, 1, uint64_t(1) << 55)});
        auto pieces = mapRange(topo, 1, 0, 4096);
        QVERIFY2(!pieces.has_value(), pieces ? toString(pieces->front().kind) : "");
        QCOMPARE(pieces.error().code, Errc::Corrupt);
        QVERIFY2(pieces.error().what.find("2^64") != std::string::npos, pieces.error().what.c_str());
    }

    void unknownTableIsOpaque()
    {
        BlockDevice dm = dmDevice("x", {253, 0}, {}, {0});
        dm.sizeBytes = MiB;
        dm.dm->tableKnown = false;
        dm.dm->tableError = "no device-mapper in this kernel";
        Topology topo({disk("a", {259, 0}, MiB), dm});
        auto pieces = mapRange(topo, 1, 0, 512);
        QVERIFY(pieces.has_value());
        QCOMPARE(pieces->front().kind, PieceKind::Opaque);
        QVERIFY(pieces->front().reason.find("no device-mapper") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestExtentMapper)
#include "test_extentmapper.moc"
