// SPDX-License-Identifier: GPL-2.0-or-later
// volumeVerdict / pairVerdict / pairLeaves on hand-built topologies and capability sets.
#include "capability/Verdict.h"

#include <QtTest>

using namespace offload;

namespace {

constexpr uint64_t MiB = 1024 * 1024;
constexpr uint64_t Sectors1MiB = MiB / 512;

BlockDevice device(std::string name, DevNum devnum, uint64_t bytes, DeviceKind kind)
{
    BlockDevice dev;
    dev.name = std::move(name);
    dev.devnum = devnum;
    dev.kind = kind;
    dev.sizeBytes = bytes;
    return dev;
}

BlockDevice nvme(std::string name, DevNum devnum, uint64_t bytes, std::string subsysnqn, uint32_t nsid)
{
    BlockDevice dev = device(std::move(name), devnum, bytes, DeviceKind::NvmeNamespace);
    NvmeNamespaceInfo info;
    info.subsysnqn = std::move(subsysnqn);
    info.serial = "SER-" + info.subsysnqn;
    info.nsid = nsid;
    dev.nvme = info;
    return dev;
}

BlockDevice scsi(std::string name, DevNum devnum, uint64_t bytes, std::string targetId, std::string wwid)
{
    BlockDevice dev = device(std::move(name), devnum, bytes, DeviceKind::ScsiDisk);
    ScsiDiskInfo info;
    info.targetId = targetId;
    info.hctl = targetId + ":0";
    info.wwid = std::move(wwid);
    dev.scsi = info;
    return dev;
}

BlockDevice loop(std::string name, DevNum devnum, uint64_t bytes, std::string backing)
{
    BlockDevice dev = device(std::move(name), devnum, bytes, DeviceKind::Loop);
    dev.loop = LoopInfo{std::move(backing), 0, 0, true, false};
    return dev;
}

BlockDevice partition(std::string name, DevNum devnum, uint64_t bytes, std::size_t parent, uint64_t startSector)
{
    BlockDevice dev = device(std::move(name), devnum, bytes, DeviceKind::Partition);
    dev.partition = PartitionInfo{1, startSector, {}};
    dev.lowers = {parent};
    return dev;
}

BlockDevice dm(std::string name, DevNum devnum, std::vector<DmSegment> table, std::vector<std::size_t> lowers)
{
    uint64_t sectors = 0;
    for (const auto& segment : table)
        sectors = std::max(sectors, segment.start + segment.length);
    BlockDevice dev = device("dm-" + std::to_string(devnum.minor), devnum, sectors * 512, DeviceKind::DeviceMapper);
    DmInfo info;
    info.name = std::move(name);
    info.uuid = "TEST-" + info.name;
    info.table = std::move(table);
    info.tableKnown = true;
    dev.dm = std::move(info);
    dev.lowers = std::move(lowers);
    return dev;
}

DeviceCapability nvmeCopy(std::size_t index, std::string subsysnqn, uint16_t ocfs = 0x3)
{
    DeviceCapability cap;
    cap.device = index;
    cap.status = ProbeStatus::Ok;
    cap.mechanism = CopyMechanism::NvmeCopy;
    NvmeCopyCaps nvmeCaps;
    nvmeCaps.oncs = 0x15d;
    nvmeCaps.copy = true;
    nvmeCaps.ocfs = ocfs;
    nvmeCaps.mssrl = 256;
    nvmeCaps.mcl = 1024;
    nvmeCaps.msrc = 7;
    nvmeCaps.subsysnqn = std::move(subsysnqn);
    cap.nvme = nvmeCaps;
    return cap;
}

DeviceCapability xcopy(std::size_t index, bool withNaa = true)
{
    DeviceCapability cap;
    cap.device = index;
    cap.status = ProbeStatus::Ok;
    cap.mechanism = CopyMechanism::ScsiXcopy;
    ScsiCopyCaps scsiCaps;
    scsiCaps.threePC = true;
    if (withNaa)
        scsiCaps.naaDesignator = {0x60, 0x01, 0x40, 0x50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, static_cast<uint8_t>(index)};
    scsiCaps.naaFormat = 6;
    scsiCaps.rcopKnown = true;
    scsiCaps.maxCscdDescriptors = 2;
    scsiCaps.maxSegmentDescriptors = 1;
    scsiCaps.maxSegmentLength = 256 * MiB;
    cap.scsi = scsiCaps;
    return cap;
}

DeviceCapability noCopy(std::size_t index, std::string reason)
{
    DeviceCapability cap;
    cap.device = index;
    cap.status = ProbeStatus::NotApplicable;
    cap.reason = std::move(reason);
    return cap;
}

DeviceCapability needsRoot(std::size_t index)
{
    DeviceCapability cap;
    cap.device = index;
    cap.status = ProbeStatus::NeedsRoot;
    cap.reason = "unknown: needs root";
    return cap;
}

/// Capabilities for `topology`: NotApplicable everywhere but where `leaves` says.
CapabilitySet capabilities(const Topology& topology, std::vector<DeviceCapability> leaves)
{
    CapabilitySet set;
    for (std::size_t i = 0; i < topology.size(); ++i)
        set.devices.push_back(noCopy(i, {}));
    for (DeviceCapability& cap : leaves)
        set.devices.at(cap.device) = std::move(cap);
    return set;
}

bool anyReasonContains(const OffloadVerdict& verdict, const QString& text)
{
    for (const std::string& reason : verdict.reasons)
        if (QString::fromStdString(reason).contains(text))
            return true;
    return false;
}

QString allReasons(const OffloadVerdict& verdict)
{
    QStringList list;
    for (const std::string& reason : verdict.reasons)
        list << QString::fromStdString(reason);
    return list.join(" | ");
}

#define VERIFY_REASON(verdict, text) \
    QVERIFY2(anyReasonContains(verdict, text), qPrintable("no reason contains \"" + QString(text) + "\": " + allReasons(verdict)))

} // namespace

class TestVerdict : public QObject {
    Q_OBJECT
private slots:
    void nvmeLeafIsFull()
    {
        Topology topo({nvme("nvme0n1", {259, 0}, 64 * MiB, "nqn.a", 1)});
        const auto caps = capabilities(topo, {nvmeCopy(0, "nqn.a")});
        const OffloadVerdict v = volumeVerdict(topo, caps, 0);
        QCOMPARE(v.verdict, Verdict::Full);
        QCOMPARE(v.mechanisms, std::vector<CopyMechanism>{CopyMechanism::NvmeCopy});
        QCOMPARE(v.offloadableBytes, 64 * MiB);
        QCOMPARE(v.offloadableShare(), 1.0);
        VERIFY_REASON(v, "NVMe Copy within this namespace");
    }

    void linearOnNvmeIsFull()
    {
        Topology topo({nvme("nvme0n1", {259, 0}, 64 * MiB, "nqn.a", 1),
                       dm("lv", {253, 0}, {{0, 8 * Sectors1MiB, "linear", "259:0 2048"}}, {0})});
        const auto caps = capabilities(topo, {nvmeCopy(0, "nqn.a")});
        const OffloadVerdict v = volumeVerdict(topo, caps, 1);
        QCOMPARE(v.verdict, Verdict::Full);
        QCOMPARE(v.totalBytes, 8 * MiB);
        QCOMPARE(v.offloadableBytes, 8 * MiB);
        QCOMPARE(v.leaves, std::vector<std::size_t>{0});
        VERIFY_REASON(v, "maps entirely to nvme0n1");
    }

    void partitionIsFull()
    {
        Topology topo({scsi("sda", {8, 0}, 64 * MiB, "0:0:1", "naa.6001"), partition("sda1", {8, 1}, 32 * MiB, 0, 2048)});
        const auto caps = capabilities(topo, {xcopy(0)});
        const OffloadVerdict v = volumeVerdict(topo, caps, 1);
        QCOMPARE(v.verdict, Verdict::Full);
        QCOMPARE(v.mechanisms, std::vector<CopyMechanism>{CopyMechanism::ScsiXcopy});
        QCOMPARE(v.offloadableBytes, 32 * MiB);
    }

    void stripedOverTwoSubsystemsIsPartial()
    {
        Topology topo({nvme("nvme0n1", {259, 0}, 64 * MiB, "nqn.a", 1),
                       nvme("nvme1n1", {259, 1}, 64 * MiB, "nqn.b", 1),
                       dm("stripe", {253, 0}, {{0, 16 * Sectors1MiB, "striped", "2 128 259:0 0 259:1 0"}}, {0, 1})});
        const auto caps = capabilities(topo, {nvmeCopy(0, "nqn.a"), nvmeCopy(1, "nqn.b")});
        const OffloadVerdict v = volumeVerdict(topo, caps, 2);
        QCOMPARE(v.verdict, Verdict::Partial);
        // Every byte lies on a namespace that can copy; only copies between them cannot.
        QCOMPARE(v.offloadableBytes, 16 * MiB);
        QCOMPARE(v.leaves, (std::vector<std::size_t>{0, 1}));
        VERIFY_REASON(v, "different NVMe subsystems");
        VERIFY_REASON(v, "congruent modulo the stripe width (128 KiB)");
    }

    void stripedOverCrossNamespaceControllerDependsOnTheKernel()
    {
        Topology topo({nvme("nvme0n1", {259, 0}, 64 * MiB, "nqn.a", 1),
                       nvme("nvme0n2", {259, 1}, 64 * MiB, "nqn.a", 2),
                       dm("stripe", {253, 0}, {{0, 16 * Sectors1MiB, "striped", "2 128 259:0 0 259:1 0"}}, {0, 1})});
        auto caps = capabilities(topo, {nvmeCopy(0, "nqn.a", 0xf), nvmeCopy(1, "nqn.a", 0xf)});

        // Kernel unknown (the default): said so, and not promised.
        const OffloadVerdict unknown = volumeVerdict(topo, caps, 2);
        QCOMPARE(unknown.verdict, Verdict::Partial);
        VERIFY_REASON(unknown, "it is unknown whether this kernel lets us enable it");
        QCOMPARE(pairLeaves(topo, caps, 0, 1).verdict, Verdict::Unknown);

        caps.host = hostCopySupportFor("6.12.9-amd64");
        const OffloadVerdict onNew = volumeVerdict(topo, caps, 2);
        QCOMPARE(onNew.verdict, Verdict::Partial);
        VERIFY_REASON(onNew, "this kernel does not let us enable it");
        QCOMPARE(pairLeaves(topo, caps, 0, 1).verdict, Verdict::None);

        caps.host = hostCopySupportFor("6.1.0-28-amd64");
        const OffloadVerdict onOld = volumeVerdict(topo, caps, 2);
        QCOMPARE(onOld.verdict, Verdict::Full);
        // The caveat: offloadcp changes a controller setting for it.
        VERIFY_REASON(onOld, "Host Behavior Support (CDFE)");
        const LeafPairing pairing = pairLeaves(topo, caps, 0, 1);
        QCOMPARE(pairing.verdict, Verdict::Full);
        QCOMPARE(pairing.mechanism, CopyMechanism::NvmeCopy);

        QCOMPARE(kernelAllowsHostBehaviorSet("6.12.9-amd64"), std::optional<bool>(false));
        QCOMPARE(kernelAllowsHostBehaviorSet("6.18.44-fc-v669"), std::optional<bool>(false));
        QCOMPARE(kernelAllowsHostBehaviorSet("7.0.1"), std::optional<bool>(false));
        QCOMPARE(kernelAllowsHostBehaviorSet("6.1.0-28-amd64"), std::optional<bool>(true));
        QCOMPARE(kernelAllowsHostBehaviorSet("5.10.0"), std::optional<bool>(true));
        QCOMPARE(kernelAllowsHostBehaviorSet("garbage"), std::optional<bool>());
        QCOMPARE(hostCopySupportFor("").crossNamespace, CrossNamespaceEnable::Unknown);
        QCOMPARE(hostCopySupportFor("garbage").crossNamespace, CrossNamespaceEnable::Unknown);
        QCOMPARE(hostCopySupportFor("6.12.0").crossNamespace, CrossNamespaceEnable::Refused);
        QCOMPARE(hostCopySupportFor("6.11.9").crossNamespace, CrossNamespaceEnable::Allowed);
    }

    void hostManagedZonedIsNone()
    {
        // offloadcp never offloads a copy onto a host-managed zoned device (it cannot know the
        // write pointer), so the verdict says none, as the plan does.
        BlockDevice zoned = nvme("nvme0n2", {259, 1}, 64 * MiB, "nqn.a", 2);
        zoned.zoned = "host-managed";
        Topology topo({zoned, dm("lv", {253, 0}, {{0, 8 * Sectors1MiB, "linear", "259:1 0"}}, {0})});
        const auto caps = capabilities(topo, {nvmeCopy(0, "nqn.a")});
        const OffloadVerdict leaf = volumeVerdict(topo, caps, 0);
        QCOMPARE(leaf.verdict, Verdict::None);
        QCOMPARE(leaf.offloadableBytes, 0ull);
        VERIFY_REASON(leaf, "write pointer");
        const OffloadVerdict lv = volumeVerdict(topo, caps, 1);
        QCOMPARE(lv.verdict, Verdict::None);
        VERIFY_REASON(lv, "host-managed zoned device nvme0n2");
    }

    void cryptIsNoneWithReason()
    {
        Topology topo({nvme("nvme0n1", {259, 0}, 64 * MiB, "nqn.a", 1),
                       dm("secret", {253, 0}, {{0, 8 * Sectors1MiB, "crypt", "aes-xts-plain64 :64:logon:k 0 259:0 4096"}},
                          {0})});
        const auto caps = capabilities(topo, {nvmeCopy(0, "nqn.a")});
        const OffloadVerdict v = volumeVerdict(topo, caps, 1);
        QCOMPARE(v.verdict, Verdict::None);
        QCOMPARE(v.offloadableBytes, uint64_t{0});
        QVERIFY(v.mechanisms.empty());
        VERIFY_REASON(v, "dm-crypt");
        VERIFY_REASON(v, "IV");
    }

    void linearOverCryptAndNvmeIsPartialWithShare()
    {
        // lv: first 2 MiB on the namespace directly, last 6 MiB through dm-crypt.
        Topology topo({nvme("nvme0n1", {259, 0}, 64 * MiB, "nqn.a", 1),
                       dm("secret", {253, 0}, {{0, 16 * Sectors1MiB, "crypt", "aes-xts-plain64 k 0 259:0 32768"}}, {0}),
                       dm("lv", {253, 1},
                          {{0, 2 * Sectors1MiB, "linear", "259:0 0"}, {2 * Sectors1MiB, 6 * Sectors1MiB, "linear", "253:0 0"}},
                          {0, 1})});
        const auto caps = capabilities(topo, {nvmeCopy(0, "nqn.a")});
        const OffloadVerdict v = volumeVerdict(topo, caps, 2);
        QCOMPARE(v.verdict, Verdict::Partial);
        QCOMPARE(v.offloadableBytes, 2 * MiB);
        QCOMPARE(v.offloadableShare(), 0.25);
        VERIFY_REASON(v, "secret: dm-crypt");
        VERIFY_REASON(v, "(6 MiB, 75%)");
    }

    void linearSpanningNvmeAndScsiIsPartial()
    {
        Topology topo({nvme("nvme0n1", {259, 0}, 64 * MiB, "nqn.a", 1),
                       scsi("sda", {8, 0}, 64 * MiB, "0:0:1", "naa.6001"),
                       dm("span", {253, 0},
                          {{0, 4 * Sectors1MiB, "linear", "259:0 0"}, {4 * Sectors1MiB, 4 * Sectors1MiB, "linear", "8:0 0"}},
                          {0, 1})});
        const auto caps = capabilities(topo, {nvmeCopy(0, "nqn.a"), xcopy(1)});
        const OffloadVerdict v = volumeVerdict(topo, caps, 2);
        QCOMPARE(v.verdict, Verdict::Partial);
        QCOMPARE(v.mechanisms, (std::vector<CopyMechanism>{CopyMechanism::NvmeCopy, CopyMechanism::ScsiXcopy}));
        VERIFY_REASON(v, "copies between nvme0n1 and sda cannot offload");
        VERIFY_REASON(v, "between an NVMe namespace and a SCSI LUN");
    }

    void linearSpanningNvmeAndLoopIsPartial()
    {
        Topology topo({nvme("nvme0n1", {259, 0}, 64 * MiB, "nqn.a", 1), loop("loop0", {7, 0}, 64 * MiB, "/tmp/f"),
                       dm("span", {253, 0},
                          {{0, 4 * Sectors1MiB, "linear", "259:0 0"}, {4 * Sectors1MiB, 12 * Sectors1MiB, "linear", "7:0 0"}},
                          {0, 1})});
        const auto caps = capabilities(topo, {nvmeCopy(0, "nqn.a"), noCopy(1, "loop device: no copy offload command")});
        const OffloadVerdict v = volumeVerdict(topo, caps, 2);
        QCOMPARE(v.verdict, Verdict::Partial);
        QCOMPARE(v.offloadableBytes, 4 * MiB);
        VERIFY_REASON(v, "loop0: loop device: no copy offload command (12 MiB, 75%)");
    }

    void loopLeafIsNoneWithItsReason()
    {
        Topology topo({loop("loop0", {7, 0}, 64 * MiB, "/tmp/f")});
        const auto caps = capabilities(topo, {noCopy(0, "loop device: no copy offload command")});
        const OffloadVerdict v = volumeVerdict(topo, caps, 0);
        QCOMPARE(v.verdict, Verdict::None);
        QCOMPARE(v.reasons, std::vector<std::string>{"loop device: no copy offload command"});
    }

    void emptyLoopIsNone()
    {
        Topology topo({loop("loop1", {7, 1}, 0, "")});
        const OffloadVerdict v = volumeVerdict(topo, capabilities(topo, {}), 0);
        QCOMPARE(v.verdict, Verdict::None);
        VERIFY_REASON(v, "no backing file");
    }

    void needsRootIsUnknown()
    {
        Topology topo({nvme("nvme0n1", {259, 0}, 64 * MiB, "nqn.a", 1),
                       dm("lv", {253, 0}, {{0, 8 * Sectors1MiB, "linear", "259:0 0"}}, {0})});
        const auto caps = capabilities(topo, {needsRoot(0)});
        const OffloadVerdict leaf = volumeVerdict(topo, caps, 0);
        QCOMPARE(leaf.verdict, Verdict::Unknown);
        QCOMPARE(leaf.reasons, std::vector<std::string>{"unknown: needs root"});
        const OffloadVerdict lv = volumeVerdict(topo, caps, 1);
        QCOMPARE(lv.verdict, Verdict::Unknown);
        QCOMPARE(lv.unknownBytes, 8 * MiB);
        VERIFY_REASON(lv, "nvme0n1: unknown: needs root");
    }

    void unreadableDmTableIsUnknown()
    {
        BlockDevice lv = dm("lv", {253, 0}, {{0, 8 * Sectors1MiB, "linear", "259:0 0"}}, {0});
        lv.dm->table.clear();
        lv.dm->tableKnown = false;
        lv.dm->tableError = "not root";
        Topology topo({nvme("nvme0n1", {259, 0}, 64 * MiB, "nqn.a", 1), lv});
        const auto caps = capabilities(topo, {nvmeCopy(0, "nqn.a")});
        const OffloadVerdict v = volumeVerdict(topo, caps, 1);
        QCOMPARE(v.verdict, Verdict::Unknown);
        VERIFY_REASON(v, "unknown: device-mapper table not readable (not root)");
    }

    void zeroTargetIsNone()
    {
        Topology topo({dm("zeros", {253, 0}, {{0, 8 * Sectors1MiB, "zero", ""}}, {})});
        const OffloadVerdict v = volumeVerdict(topo, capabilities(topo, {}), 0);
        QCOMPARE(v.verdict, Verdict::None);
        VERIFY_REASON(v, "dm-zero");
    }

    void nvmeNamespacesWithoutCrossNamespaceFormats()
    {
        Topology topo({nvme("nvme0n1", {259, 0}, 64 * MiB, "nqn.a", 1), nvme("nvme0n2", {259, 1}, 64 * MiB, "nqn.a", 2)});
        const auto caps = capabilities(topo, {nvmeCopy(0, "nqn.a", 0x3), nvmeCopy(1, "nqn.a", 0x3)});
        const LeafPairing pairing = pairLeaves(topo, caps, 0, 1);
        QCOMPARE(pairing.verdict, Verdict::None);
        QVERIFY(pairing.reason.find("lacks copy descriptor format 2 (OCFS 0x3)") != std::string::npos);
        QVERIFY(pairing.reason.find("nsid 1 and 2") != std::string::npos);
        QCOMPARE(pairLeaves(topo, caps, 0, 0).verdict, Verdict::Full);
    }

    void scsiLunsOnDifferentTargets()
    {
        Topology topo({scsi("sda", {8, 0}, 64 * MiB, "0:0:1", "naa.1"), scsi("sdb", {8, 16}, 64 * MiB, "0:0:2", "naa.2"),
                       scsi("sdc", {8, 32}, 64 * MiB, "0:0:1", "naa.3")});
        const auto caps = capabilities(topo, {xcopy(0), xcopy(1), xcopy(2)});
        const LeafPairing apart = pairLeaves(topo, caps, 0, 1);
        QCOMPARE(apart.verdict, Verdict::None);
        QVERIFY(apart.reason.find("different SCSI targets") != std::string::npos);
        const LeafPairing together = pairLeaves(topo, caps, 0, 2);
        QCOMPARE(together.verdict, Verdict::Full);
        QCOMPARE(together.mechanism, CopyMechanism::ScsiXcopy);
    }

    void scsiLunWithoutNaaDesignator()
    {
        Topology topo({scsi("sda", {8, 0}, 64 * MiB, "0:0:1", "t10.x"), scsi("sdc", {8, 32}, 64 * MiB, "0:0:1", "naa.3")});
        const auto caps = capabilities(topo, {xcopy(0, false), xcopy(1)});
        const LeafPairing pairing = pairLeaves(topo, caps, 0, 1);
        QCOMPARE(pairing.verdict, Verdict::None);
        QVERIFY(pairing.reason.find("no NAA designator") != std::string::npos);
    }

    void blockSizesMustMatch()
    {
        BlockDevice big = scsi("sdc", {8, 32}, 64 * MiB, "0:0:1", "naa.3");
        big.logicalBlockSize = 4096;
        Topology topo({scsi("sda", {8, 0}, 64 * MiB, "0:0:1", "naa.1"), big});
        const auto caps = capabilities(topo, {xcopy(0), xcopy(1)});
        const LeafPairing pairing = pairLeaves(topo, caps, 0, 1);
        QCOMPARE(pairing.verdict, Verdict::None);
        QVERIFY(pairing.reason.find("logical block sizes differ") != std::string::npos);
    }

    void pairOfVolumesOnOneNamespaceIsFull()
    {
        Topology topo({nvme("nvme0n1", {259, 0}, 64 * MiB, "nqn.a", 1),
                       dm("a", {253, 0}, {{0, 8 * Sectors1MiB, "linear", "259:0 0"}}, {0}),
                       dm("b", {253, 1}, {{0, 8 * Sectors1MiB, "linear", "259:0 65536"}}, {0})});
        const auto caps = capabilities(topo, {nvmeCopy(0, "nqn.a")});
        const OffloadVerdict v = pairVerdict(topo, caps, 1, 2);
        QCOMPARE(v.verdict, Verdict::Full);
        QCOMPARE(v.offloadableBytes, 8 * MiB);
    }

    void pairAcrossStripesIsPartialExactly()
    {
        // Source striped over two subsystems, destination linear on the first: half the
        // chunks (those on nvme0n1) can copy, the other half cannot.
        Topology topo({nvme("nvme0n1", {259, 0}, 64 * MiB, "nqn.a", 1),
                       nvme("nvme1n1", {259, 1}, 64 * MiB, "nqn.b", 1),
                       dm("stripe", {253, 0}, {{0, 8 * Sectors1MiB, "striped", "2 128 259:0 0 259:1 0"}}, {0, 1}),
                       dm("dst", {253, 1}, {{0, 8 * Sectors1MiB, "linear", "259:0 32768"}}, {0})});
        const auto caps = capabilities(topo, {nvmeCopy(0, "nqn.a"), nvmeCopy(1, "nqn.b")});
        const OffloadVerdict v = pairVerdict(topo, caps, 2, 3);
        QCOMPARE(v.verdict, Verdict::Partial);
        QCOMPARE(v.offloadableBytes, 4 * MiB);
        VERIFY_REASON(v, "different NVMe subsystems");
    }

    void pairRefusesWritingTheSource()
    {
        Topology topo({nvme("nvme0n1", {259, 0}, 64 * MiB, "nqn.a", 1), partition("nvme0n1p1", {259, 1}, 8 * MiB, 0, 2048)});
        const auto caps = capabilities(topo, {nvmeCopy(0, "nqn.a")});
        const OffloadVerdict v = pairVerdict(topo, caps, 0, 1);
        QCOMPARE(v.verdict, Verdict::None);
        VERIFY_REASON(v, "overwrite the source");
        const OffloadVerdict smaller = pairVerdict(topo, caps, 1, 0);
        QCOMPARE(smaller.verdict, Verdict::None);
    }

    void pairDestinationTooSmall()
    {
        Topology topo({nvme("nvme0n1", {259, 0}, 64 * MiB, "nqn.a", 1), nvme("nvme0n2", {259, 1}, 32 * MiB, "nqn.a", 2)});
        const auto caps = capabilities(topo, {nvmeCopy(0, "nqn.a"), nvmeCopy(1, "nqn.a")});
        const OffloadVerdict v = pairVerdict(topo, caps, 0, 1);
        QCOMPARE(v.verdict, Verdict::None);
        VERIFY_REASON(v, "is smaller than the source");
    }

    void formatBytesIsReadable()
    {
        QCOMPARE(formatBytes(512), std::string("512 B"));
        QCOMPARE(formatBytes(64 * MiB), std::string("64 MiB"));
        QCOMPARE(formatBytes(1536 * 1024), std::string("1.5 MiB"));
    }
};

QTEST_GUILESS_MAIN(TestVerdict)
#include "test_verdict.moc"
