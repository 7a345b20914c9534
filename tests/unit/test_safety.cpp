// SPDX-License-Identifier: GPL-2.0-or-later
// CopySafety refusals on a hand-built topology: mounted / held destinations, sizes,
// alignment, stacks built on each other, overlap on one device and on a shared leaf,
// the read-only flag at any layer the destination range is written through, and the
// passthrough guard.
#include "copy/CopySafety.h"
#include "copy/PageCache.h"

#include <QtTest>

using namespace offload;

namespace {

constexpr uint64_t kMiB = 1ull << 20;

enum : std::size_t { Nvme0, Part1, Part2, Nvme1, Lin0, Lin1 };

BlockDevice dev(std::string name, DeviceKind kind, DevNum num, uint64_t size, uint32_t lbs,
                std::vector<std::size_t> lowers = {})
{
    BlockDevice d;
    d.name = std::move(name);
    d.kind = kind;
    d.devnum = num;
    d.sizeBytes = size;
    d.logicalBlockSize = lbs;
    d.physicalBlockSize = lbs;
    d.lowers = std::move(lowers);
    return d;
}

/// nvme0n1 (512-byte blocks) with two 256 MiB partitions; nvme1n1 (4096-byte blocks)
/// under two dm-linear devices: lin0 = leaf [0, 128 MiB), lin1 = leaf [64 MiB, 192 MiB).
Topology makeTopology(std::vector<std::string> p2Mounts = {})
{
    std::vector<BlockDevice> d;
    d.push_back(dev("nvme0n1", DeviceKind::NvmeNamespace, {259, 0}, 1024 * kMiB, 512));
    for (uint32_t n : {1u, 2u}) {
        BlockDevice p = dev("nvme0n1p" + std::to_string(n), DeviceKind::Partition, {259, n}, 256 * kMiB, 512, {Nvme0});
        PartitionInfo info;
        info.number = n;
        info.startSector = 2048 + (n - 1) * (256 * kMiB / 512);
        p.partition = info;
        d.push_back(p);
    }
    d[Part2].mountpoints = std::move(p2Mounts);
    d.push_back(dev("nvme1n1", DeviceKind::NvmeNamespace, {259, 3}, 1024 * kMiB, 4096));
    for (uint32_t n : {0u, 1u}) {
        BlockDevice lin = dev("dm-" + std::to_string(n), DeviceKind::DeviceMapper, {253, n}, 128 * kMiB, 4096, {Nvme1});
        DmInfo dm;
        dm.name = "lin" + std::to_string(n);
        dm.tableKnown = true;
        dm.table.push_back({0, 128 * kMiB / 512, "linear", "259:3 " + std::to_string(n * 64 * kMiB / 512)});
        lin.dm = dm;
        d.push_back(lin);
    }
    return Topology(std::move(d));
}

CopyPlan plan(const Topology& t, std::size_t src, std::size_t dst, uint64_t srcOff, uint64_t dstOff, uint64_t len)
{
    CopyPlan p;
    for (auto [ep, idx] : {std::pair{&p.source, src}, std::pair{&p.destination, dst}}) {
        ep->device = idx;
        ep->sizeBytes = t.at(idx).sizeBytes;
        ep->blockSize = t.at(idx).logicalBlockSize;
        ep->label = t.at(idx).devPath();
    }
    p.srcOffset = srcOff;
    p.dstOffset = dstOff;
    p.length = len;
    return p;
}

std::string refusal(const Result<std::vector<std::string>>& r)
{
    return r ? std::string() : r.error().message();
}

enum : std::size_t { RoSrc, RoDisk, RoPart, RoLv, RoPv0, RoPv1, RoSpan, RoCrypt };

/// For the read-only checks: a source disk; nvme1n1 with partition p1 under the dm-linear
/// "lv"; nvme2n1 and nvme3n1 (64 MiB each) concatenated by the dm-linear "span"
/// ([0, 64M) on nvme2n1, [64M, 128M) on nvme3n1); a dm-crypt on nvme3n1.
Topology makeReadOnlyTopology(std::vector<std::size_t> readOnly)
{
    std::vector<BlockDevice> d;
    d.push_back(dev("nvme0n1", DeviceKind::NvmeNamespace, {259, 0}, 1024 * kMiB, 512));
    d.push_back(dev("nvme1n1", DeviceKind::NvmeNamespace, {259, 1}, 1024 * kMiB, 512));
    BlockDevice part = dev("nvme1n1p1", DeviceKind::Partition, {259, 2}, 512 * kMiB, 512, {RoDisk});
    PartitionInfo info;
    info.number = 1;
    info.startSector = 2048;
    part.partition = info;
    d.push_back(part);
    auto linear = [](std::string name, uint32_t minor, uint64_t size, std::vector<DmSegment> table,
                     std::vector<std::size_t> lowers) {
        BlockDevice lin = dev("dm-" + std::to_string(minor), DeviceKind::DeviceMapper, {253, minor}, size, 512,
                              std::move(lowers));
        DmInfo dm;
        dm.name = std::move(name);
        dm.tableKnown = true;
        dm.table = std::move(table);
        lin.dm = dm;
        return lin;
    };
    d.push_back(linear("lv", 0, 256 * kMiB, {{0, 256 * kMiB / 512, "linear", "259:2 0"}}, {RoPart}));
    d.push_back(dev("nvme2n1", DeviceKind::NvmeNamespace, {259, 3}, 64 * kMiB, 512));
    d.push_back(dev("nvme3n1", DeviceKind::NvmeNamespace, {259, 4}, 64 * kMiB, 512));
    d.push_back(linear("span", 1, 128 * kMiB,
                       {{0, 64 * kMiB / 512, "linear", "259:3 0"},
                        {64 * kMiB / 512, 64 * kMiB / 512, "linear", "259:4 0"}},
                       {RoPv0, RoPv1}));
    d.push_back(linear("secret", 2, 32 * kMiB,
                       {{0, 32 * kMiB / 512, "crypt", "aes-xts-plain64 :64:logon:k 0 259:4 4096"}}, {RoPv1}));
    for (std::size_t i : readOnly)
        d[i].readOnly = true;
    return Topology(std::move(d));
}

} // namespace

class TestSafety : public QObject {
    Q_OBJECT
private slots:
    void plainCopyPasses();
    void mountedDestinationRefusedUnlessForced();
    void heldDestinationRefused();
    void destinationSmallerThanRange();
    void misalignedNamesTheBlockSize();
    void destinationBuiltOnSourceRefused();
    void overlapOnOneDevice();
    void overlapOnSharedLeaf();
    void passthroughOnlyToLeaves();
    void cacheLayersTopDown();
    void readOnlyTopRefusedEvenForced();
    void readOnlyPartitionUnderDmRefused();
    void readOnlyLeafUnderDmRefused();
    void readOnlyLowerOutsideTheRangeAllowed();
    void readOnlyBelowAnOpaqueLayerRefused();
    void writeStackFollowsTheRange();
};

void TestSafety::plainCopyPasses()
{
    Topology t = makeTopology();
    auto r = checkCopySafety(t, plan(t, Part1, Part2, 0, 0, 256 * kMiB), {});
    QVERIFY2(r.has_value(), refusal(r).c_str());
    QVERIFY(r->empty());
}

void TestSafety::mountedDestinationRefusedUnlessForced()
{
    Topology t = makeTopology({"/srv"});
    auto r = checkCopySafety(t, plan(t, Part1, Part2, 0, 0, 64 * kMiB), {});
    QVERIFY(!r);
    QCOMPARE(r.error().code, Errc::Busy);
    QVERIFY(r.error().message().find("mounted on /srv") != std::string::npos);
    QVERIFY(r.error().hint.find("--force") != std::string::npos);

    auto forced = checkCopySafety(t, plan(t, Part1, Part2, 0, 0, 64 * kMiB), {true});
    QVERIFY(forced.has_value());
    QCOMPARE(forced->size(), std::size_t(1));

    // A mounted source is allowed, with a warning.
    auto fromMounted = checkCopySafety(t, plan(t, Part2, Part1, 0, 0, 64 * kMiB), {});
    QVERIFY(fromMounted.has_value());
    QCOMPARE(fromMounted->size(), std::size_t(1));
}

void TestSafety::heldDestinationRefused()
{
    Topology t = makeTopology();
    auto r = checkCopySafety(t, plan(t, Part1, Nvme1, 0, 512 * kMiB, 64 * kMiB), {});
    QVERIFY(!r);
    QCOMPARE(r.error().code, Errc::Busy);
    QVERIFY(r.error().message().find("held by /dev/mapper/lin0") != std::string::npos);
}

void TestSafety::destinationSmallerThanRange()
{
    Topology t = makeTopology();
    auto r = checkCopySafety(t, plan(t, Nvme1, Part2, 0, 0, 300 * kMiB), {});
    QVERIFY(!r);
    QCOMPARE(r.error().code, Errc::InvalidArgument);
    QVERIFY(r.error().message().find("smaller than the range") != std::string::npos);

    auto beyond = checkCopySafety(t, plan(t, Part1, Part2, 200 * kMiB, 0, 100 * kMiB), {});
    QVERIFY(!beyond);
    QVERIFY(beyond.error().message().find("beyond its end") != std::string::npos);

    auto empty = checkCopySafety(t, plan(t, Part1, Part2, 0, 0, 0), {});
    QVERIFY(!empty);
}

void TestSafety::misalignedNamesTheBlockSize()
{
    Topology t = makeTopology();
    auto r = checkCopySafety(t, plan(t, Nvme1, Part2, 512, 0, 64 * kMiB), {});
    QVERIFY(!r);
    QCOMPARE(r.error().code, Errc::InvalidArgument);
    QVERIFY(r.error().message().find("4096") != std::string::npos);
    QCOMPARE(r.error().device, std::string("/dev/nvme1n1"));

    auto len = checkCopySafety(t, plan(t, Part1, Part2, 0, 0, 64 * kMiB + 100), {});
    QVERIFY(!len);
    QVERIFY(len.error().message().find("length") != std::string::npos);
}

void TestSafety::destinationBuiltOnSourceRefused()
{
    Topology t = makeTopology();
    auto r = checkCopySafety(t, plan(t, Nvme0, Part1, 0, 0, 64 * kMiB), {true});
    QVERIFY(!r);
    QVERIFY(r.error().message().find("built on the source") != std::string::npos);
    auto back = checkCopySafety(t, plan(t, Part1, Nvme0, 0, 0, 64 * kMiB), {true});
    QVERIFY(!back);
    QVERIFY(back.error().message().find("built on the destination") != std::string::npos);
}

void TestSafety::overlapOnOneDevice()
{
    Topology t = makeTopology();
    auto r = checkCopySafety(t, plan(t, Part1, Part1, 0, 32 * kMiB, 64 * kMiB), {});
    QVERIFY(!r);
    QVERIFY(r.error().message().find("overlap") != std::string::npos);
    auto ok = checkCopySafety(t, plan(t, Part1, Part1, 0, 64 * kMiB, 64 * kMiB), {});
    QVERIFY2(ok.has_value(), refusal(ok).c_str());
}

void TestSafety::overlapOnSharedLeaf()
{
    Topology t = makeTopology();
    // lin0 [0, 64M) is leaf [0, 64M); lin1 [0, 64M) is leaf [64M, 128M): disjoint.
    auto ok = checkCopySafety(t, plan(t, Lin0, Lin1, 0, 0, 64 * kMiB), {});
    QVERIFY2(ok.has_value(), refusal(ok).c_str());
    // lin0 [64M, 96M) is leaf [64M, 96M) = lin1 [0, 32M): the same blocks.
    auto r = checkCopySafety(t, plan(t, Lin0, Lin1, 64 * kMiB, 0, 32 * kMiB), {});
    QVERIFY(!r);
    QVERIFY(r.error().message().find("overlap") != std::string::npos);
    QCOMPARE(r.error().device, std::string("/dev/nvme1n1"));
}

void TestSafety::passthroughOnlyToLeaves()
{
    Topology t = makeTopology();
    QVERIFY(checkPassthroughTarget(t, Nvme0).has_value());
    QVERIFY(checkPassthroughTarget(t, Nvme1).has_value());
    QVERIFY(!checkPassthroughTarget(t, Part1).has_value());
    QVERIFY(!checkPassthroughTarget(t, Lin0).has_value());
    QVERIFY(!checkPassthroughTarget(t, 99).has_value());
}

void TestSafety::cacheLayersTopDown()
{
    // A dm-linear on a partition of a disk: flush and drop walk every layer, the top first.
    std::vector<BlockDevice> d;
    d.push_back(dev("nvme0n1", DeviceKind::NvmeNamespace, {259, 0}, 1024 * kMiB, 512));
    d.push_back(dev("nvme0n1p1", DeviceKind::Partition, {259, 1}, 512 * kMiB, 512, {0}));
    d.push_back(dev("dm-0", DeviceKind::DeviceMapper, {253, 0}, 256 * kMiB, 512, {1}));
    d.push_back(dev("nvme1n1", DeviceKind::NvmeNamespace, {259, 2}, 1024 * kMiB, 512));
    d.push_back(dev("dm-1", DeviceKind::DeviceMapper, {253, 1}, 256 * kMiB, 512, {2, 3})); // spans two
    Topology t(std::move(d));
    QCOMPARE(stackTopDown(t, 2), (std::vector<std::size_t>{2, 1, 0}));
    QCOMPARE(stackTopDown(t, 4), (std::vector<std::size_t>{4, 2, 3, 1, 0}));
    QCOMPARE(stackTopDown(t, 0), (std::vector<std::size_t>{0}));
    // Both ends of a copy: what they share is visited once (flushed once), and a layer
    // still comes before the ones it is built on when one end sits under the other.
    QCOMPARE(stacksTopDown(t, {2, 4}), (std::vector<std::size_t>{4, 2, 3, 1, 0}));
    QCOMPARE(stacksTopDown(t, {0, 2}), (std::vector<std::size_t>{2, 1, 0}));
    QCOMPARE(stacksTopDown(t, {1, 1}), (std::vector<std::size_t>{1, 0}));
}

void TestSafety::readOnlyTopRefusedEvenForced()
{
    Topology t = makeReadOnlyTopology({RoLv});
    auto r = checkCopySafety(t, plan(t, RoSrc, RoLv, 0, 0, 64 * kMiB), {true});
    QVERIFY(!r);
    QCOMPARE(r.error().code, Errc::InvalidArgument);
    QCOMPARE(r.error().device, std::string("/dev/mapper/lv"));
    QVERIFY2(r.error().message().find("the destination is read-only") != std::string::npos, refusal(r).c_str());
    QVERIFY(r.error().hint.find("blockdev --setrw /dev/mapper/lv") != std::string::npos);
}

void TestSafety::readOnlyPartitionUnderDmRefused()
{
    // blockdev --setro on the partition under a writable dm-linear: the kernel would only warn.
    Topology t = makeReadOnlyTopology({RoPart});
    QVERIFY(!t.at(RoLv).readOnly);
    auto r = checkCopySafety(t, plan(t, RoSrc, RoLv, 0, 0, 64 * kMiB), {true});
    QVERIFY(!r);
    QCOMPARE(r.error().code, Errc::InvalidArgument);
    QCOMPARE(r.error().device, std::string("/dev/nvme1n1p1"));
    QVERIFY2(r.error().message().find("/dev/mapper/lv is built on this partition, which is read-only")
                 != std::string::npos,
             refusal(r).c_str());
    QVERIFY(r.error().hint.find("blockdev --setrw /dev/nvme1n1p1") != std::string::npos);
    // The same answer from the function the planner calls.
    auto direct = checkDestinationWritable(t, RoLv, 0, 64 * kMiB);
    QVERIFY(!direct);
    QCOMPARE(direct.error().message(), r.error().message());
}

void TestSafety::readOnlyLeafUnderDmRefused()
{
    Topology t = makeReadOnlyTopology({RoDisk});
    auto r = checkCopySafety(t, plan(t, RoSrc, RoLv, 0, 0, 64 * kMiB), {});
    QVERIFY(!r);
    QCOMPARE(r.error().code, Errc::InvalidArgument);
    QCOMPARE(r.error().device, std::string("/dev/nvme1n1"));
    QVERIFY(r.error().message().find("NVMe namespace, which is read-only") != std::string::npos);

    // A partition shows its disk's flag too: the disk is named, the partition listed.
    Topology both = makeReadOnlyTopology({RoPart, RoDisk});
    auto r2 = checkCopySafety(both, plan(both, RoSrc, RoLv, 0, 0, 64 * kMiB), {});
    QVERIFY(!r2);
    QCOMPARE(r2.error().device, std::string("/dev/nvme1n1"));
    QVERIFY2(r2.error().message().find("also read-only: /dev/nvme1n1p1") != std::string::npos, refusal(r2).c_str());
    QVERIFY(r2.error().hint.find("blockdev --setrw /dev/nvme1n1 /dev/nvme1n1p1`") != std::string::npos);
}

void TestSafety::readOnlyLowerOutsideTheRangeAllowed()
{
    // span = nvme2n1 then nvme3n1; nvme3n1 is read-only. A range on nvme2n1 alone never
    // writes nvme3n1 (the kernel sends it no bio), so it is allowed; one that reaches into
    // nvme3n1 is refused, naming it.
    Topology t = makeReadOnlyTopology({RoPv1});
    auto first = checkCopySafety(t, plan(t, RoSrc, RoSpan, 0, 0, 64 * kMiB), {});
    QVERIFY2(first.has_value(), refusal(first).c_str());
    auto across = checkCopySafety(t, plan(t, RoSrc, RoSpan, 0, 32 * kMiB, 64 * kMiB), {});
    QVERIFY(!across);
    QCOMPARE(across.error().device, std::string("/dev/nvme3n1"));
    auto second = checkCopySafety(t, plan(t, RoSrc, RoSpan, 0, 64 * kMiB, 64 * kMiB), {});
    QVERIFY(!second);
    QCOMPARE(second.error().device, std::string("/dev/nvme3n1"));

    Topology other = makeReadOnlyTopology({RoPv0});
    QVERIFY(checkCopySafety(other, plan(other, RoSrc, RoSpan, 0, 64 * kMiB, 64 * kMiB), {}).has_value());
    QVERIFY(!checkCopySafety(other, plan(other, RoSrc, RoSpan, 0, 0, 4 * kMiB), {}).has_value());
}

void TestSafety::readOnlyBelowAnOpaqueLayerRefused()
{
    // dm-crypt cannot be mapped through: everything below it counts.
    Topology t = makeReadOnlyTopology({RoPv1});
    auto r = checkCopySafety(t, plan(t, RoSrc, RoCrypt, 0, 0, 4 * kMiB), {});
    QVERIFY(!r);
    QCOMPARE(r.error().device, std::string("/dev/nvme3n1"));
}

void TestSafety::writeStackFollowsTheRange()
{
    Topology t = makeReadOnlyTopology({});
    QCOMPARE(destinationWriteStack(t, RoLv, 0, 64 * kMiB), (std::vector<std::size_t>{RoLv, RoPart, RoDisk}));
    QCOMPARE(destinationWriteStack(t, RoSpan, 0, 64 * kMiB), (std::vector<std::size_t>{RoSpan, RoPv0}));
    QCOMPARE(destinationWriteStack(t, RoSpan, 60 * kMiB, 8 * kMiB),
             (std::vector<std::size_t>{RoSpan, RoPv0, RoPv1}));
    QCOMPARE(destinationWriteStack(t, RoCrypt, 0, 4 * kMiB), (std::vector<std::size_t>{RoCrypt, RoPv1}));
    QCOMPARE(destinationWriteStack(t, RoDisk, 0, 4 * kMiB), (std::vector<std::size_t>{RoDisk}));
}

QTEST_GUILESS_MAIN(TestSafety)
#include "test_safety.moc"
