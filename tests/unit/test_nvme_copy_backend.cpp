// SPDX-License-Identifier: GPL-2.0-or-later
// NvmeCopyBackend against the transport fake: the exact command it sends, the limits it
// enforces without sending anything, and how it maps completions to Done / Declined /
// Failed (partial completion through DW0, media errors with their LBA).
#include "FakeTransports.h"
#include "copy/OffloadBackend.h"

#include <QtTest>

using namespace offload;
using offload::test::FakeNvmeTransport;
using offload::test::errnoError;
using offload::test::nvmeStatusError;

namespace {

std::vector<uint8_t> hex(const char* text)
{
    const QByteArray bytes = QByteArray::fromHex(QByteArray(text));
    return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

QByteArray toHex(const std::vector<uint8_t>& bytes)
{
    return QByteArray(reinterpret_cast<const char*>(bytes.data()), qsizetype(bytes.size())).toHex(' ');
}

constexpr uint64_t kNsBytes = 1ull << 30; // 2 Mi blocks of 512 bytes

BlockDevice nvmeNamespace(std::string name, DevNum devnum, uint32_t nsid)
{
    BlockDevice dev;
    dev.name = std::move(name);
    dev.devnum = devnum;
    dev.kind = DeviceKind::NvmeNamespace;
    dev.sizeBytes = kNsBytes;
    dev.logicalBlockSize = 512;
    dev.nvme = NvmeNamespaceInfo{};
    dev.nvme->controller = "nvme0";
    dev.nvme->serial = "SER1";
    dev.nvme->nsid = nsid;
    return dev;
}

// 0 nvme0n1 (nsid 1), 1 nvme0n1p1 (partition on 0), 2 dm-0 (linear on 1), 3 nvme0n2 (nsid 2)
Topology sample()
{
    BlockDevice ns1 = nvmeNamespace("nvme0n1", {259, 0}, 1);
    BlockDevice part;
    part.name = "nvme0n1p1";
    part.devnum = {259, 1};
    part.kind = DeviceKind::Partition;
    part.sizeBytes = kNsBytes / 2;
    part.partition = PartitionInfo{};
    part.partition->number = 1;
    part.partition->startSector = 2048;
    part.lowers = {0};
    BlockDevice dm;
    dm.name = "dm-0";
    dm.devnum = {253, 0};
    dm.kind = DeviceKind::DeviceMapper;
    dm.sizeBytes = kNsBytes / 4;
    dm.dm = DmInfo{};
    dm.dm->name = "vg-lin";
    dm.lowers = {1};
    BlockDevice ns2 = nvmeNamespace("nvme0n2", {259, 2}, 2);
    return Topology({ns1, part, dm, ns2});
}

NvmeCopyCaps qemuCaps()
{
    NvmeCopyCaps caps;
    caps.oncs = 0x15d;
    caps.copy = true;
    caps.ocfs = 0x3;
    caps.mssrl = 256;
    caps.mcl = 1024;
    caps.msrc = 7;
    caps.lbaBytes = 512;
    return caps;
}

CapabilitySet capsFor(const Topology& topology, NvmeCopyCaps nvme)
{
    CapabilitySet set;
    for (const BlockDevice& dev : topology.devices()) {
        DeviceCapability cap;
        cap.device = dev.index;
        if (dev.kind == DeviceKind::NvmeNamespace) {
            cap.mechanism = CopyMechanism::NvmeCopy;
            cap.status = ProbeStatus::Ok;
            cap.nvme = nvme;
        }
        set.devices.push_back(cap);
    }
    return set;
}

NvmeSourceRange range(uint64_t slba, uint32_t blocks, uint32_t snsid = 0)
{
    NvmeSourceRange r;
    r.slba = slba;
    r.blocks = blocks;
    r.snsid = snsid;
    return r;
}

NvmeCopyStep step(std::vector<NvmeSourceRange> ranges, uint64_t sdlba = 5000)
{
    NvmeCopyStep s;
    s.ns = 0;
    s.srcNs = 0;
    s.sdlba = sdlba;
    s.format = 0;
    s.lbaBytes = 512;
    s.ranges = std::move(ranges);
    return s;
}

NvmeCopyStep fourRanges()
{
    return step({range(100, 8), range(300, 256), range(2000, 16), range(9000, 32)});
}

} // namespace

class TestNvmeCopyBackend : public QObject {
    Q_OBJECT
private slots:
    void multiRangeCommandIsByteExact()
    {
        const Topology topo = sample();
        const CapabilitySet caps = capsFor(topo, qemuCaps());
        FakeNvmeTransport fake;
        NvmeCopyBackend backend(topo, caps, fake);

        const StepOutcome out = backend.run(step({range(100, 8), range(0x123456, 256), range(2000, 16)}, 0x1388));
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Done));
        QCOMPARE(out.unitsDone, std::size_t(3));
        QVERIFY(!out.error);

        const auto sent = fake.copies();
        QCOMPARE(sent.size(), std::size_t(1));
        QCOMPARE(sent[0].device, std::string("nvme0n1"));
        QVERIFY(sent[0].devnum == (DevNum{259, 0}));
        QCOMPARE(sent[0].command.nsid, 1u);
        QCOMPARE(sent[0].command.sdlba, 0x1388ull);
        QCOMPARE(int(sent[0].command.format), 0);
        QCOMPARE(int(sent[0].command.nr), 2);
        const auto expected = hex("0000000000000000" "6400000000000000" "0700" "0000000000000000000000000000"
                                  "0000000000000000" "5634120000000000" "ff00" "0000000000000000000000000000"
                                  "0000000000000000" "d007000000000000" "0f00" "0000000000000000000000000000");
        QCOMPARE(toHex(sent[0].command.descriptors), toHex(expected));
    }

    void limitViolationsNeverReachTheTransport_data()
    {
        QTest::addColumn<int>("which");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("range over MSSRL") << 0 << "MSSRL";
        QTest::newRow("total over MCL") << 1 << "MCL";
        QTest::newRow("more than MSRC+1 ranges") << 2 << "MSRC";
        QTest::newRow("format not in OCFS") << 3 << "format 2";
        QTest::newRow("MSSRL of 0") << 4 << "limit of 0";
        QTest::newRow("no Copy in ONCS") << 5 << "ONCS";
        QTest::newRow("destination past the end") << 6 << "beyond";
        QTest::newRow("source past the end") << 7 << "beyond";
        QTest::newRow("LBA size disagrees") << 8 << "LBA sizes";
        QTest::newRow("not probed") << 9 << "not probed";
    }
    void limitViolationsNeverReachTheTransport()
    {
        QFETCH(int, which);
        QFETCH(QString, mentions);
        const Topology topo = sample();
        NvmeCopyCaps nvme = qemuCaps();
        NvmeCopyStep s = fourRanges();
        switch (which) {
        case 0: s.ranges[1].blocks = 257; break;
        case 1: s = step({range(0, 256), range(1000, 256), range(2000, 256), range(3000, 256), range(4000, 1)}); break;
        case 2:
            s.ranges.clear();
            for (int i = 0; i < 9; ++i)
                s.ranges.push_back(range(uint64_t(i) * 100, 8));
            break;
        case 3:
            s.format = 2;
            s.srcNs = 3;
            for (auto& r : s.ranges)
                r.snsid = 2;
            break;
        case 4: nvme.mssrl = 0; break;
        case 5: nvme.copy = false; break;
        case 6: s.sdlba = kNsBytes / 512 - 100; break;
        case 7: s.ranges[3].slba = kNsBytes / 512 - 8; break;
        case 8: nvme.lbaBytes = 4096; break;
        default: break;
        }
        CapabilitySet caps = capsFor(topo, nvme);
        if (which == 9)
            caps.devices[0].status = ProbeStatus::NeedsRoot;
        FakeNvmeTransport fake;
        NvmeCopyBackend backend(topo, caps, fake);
        const StepOutcome out = backend.run(s);
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Declined));
        QCOMPARE(out.unitsDone, std::size_t(0));
        QVERIFY2(QString::fromStdString(out.reason).contains(mentions), out.reason.c_str());
        QVERIFY(out.error.has_value());
        QCOMPARE(fake.copyCount(), std::size_t(0));
        QVERIFY(backend.precheck(s).has_value());
    }

    void withinLimitsIsSentAtTheEdges()
    {
        // exactly MSRC+1 ranges, one of MSSRL blocks, total exactly MCL
        const Topology topo = sample();
        const CapabilitySet caps = capsFor(topo, qemuCaps());
        FakeNvmeTransport fake;
        NvmeCopyBackend backend(topo, caps, fake);
        std::vector<NvmeSourceRange> ranges{range(0, 256), range(1000, 256), range(2000, 256), range(3000, 51),
                                            range(3100, 51), range(3200, 51), range(3300, 51), range(3400, 52)};
        QCOMPARE(ranges.size(), std::size_t(8));
        const StepOutcome out = backend.run(step(ranges, kNsBytes / 512 - 1024));
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Done));
        QCOMPARE(fake.copyCount(), std::size_t(1));
        QCOMPARE(int(fake.copies()[0].command.nr), 7);
    }

    void partialCompletionFromDw0()
    {
        const Topology topo = sample();
        const CapabilitySet caps = capsFor(topo, qemuCaps());
        FakeNvmeTransport fake;
        fake.replyNvmeStatus(1, 0x83, 2); // Command Size Limit Exceeded, ranges 0 and 1 done
        NvmeCopyBackend backend(topo, caps, fake);
        const StepOutcome out = backend.run(fourRanges());
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Declined));
        QCOMPARE(out.unitsDone, std::size_t(2));
        const QString reason = QString::fromStdString(out.reason);
        QVERIFY2(reason.contains("Command Size Limit Exceeded") && reason.contains("2 of 4"), out.reason.c_str());
        QVERIFY2(!reason.contains("nvme0n1"), out.reason.c_str()); // the caller prints the device
        QVERIFY(out.error && out.error->nvme);
        QCOMPARE(int(out.error->nvme->sc), 0x83);
        QVERIFY(QString::fromStdString(out.error->device).contains("nvme0n1"));
        QCOMPARE(fake.copyCount(), std::size_t(1));
    }

    void declineStatuses_data()
    {
        QTest::addColumn<int>("sct");
        QTest::addColumn<int>("sc");
        QTest::addColumn<int>("kind");
        const int declined = int(StepOutcome::Kind::Declined);
        const int failed = int(StepOutcome::Kind::Failed);
        QTest::newRow("Invalid Opcode") << 0 << 0x01 << declined;
        QTest::newRow("Invalid Field (QEMU, CDFE unset)") << 0 << 0x02 << declined;
        QTest::newRow("Internal Error (QEMU 7.2 MSSRL)") << 0 << 0x06 << declined;
        QTest::newRow("Incompatible Namespace") << 1 << 0x85 << declined;
        QTest::newRow("Fast Copy Not Possible") << 1 << 0x86 << declined;
        QTest::newRow("Insufficient Resources") << 1 << 0x89 << declined;
        QTest::newRow("LBA Out of Range") << 0 << 0x80 << failed;
        QTest::newRow("Data Transfer Error") << 0 << 0x04 << failed;
        QTest::newRow("Unrecovered Read Error") << 2 << 0x81 << failed;
        QTest::newRow("Write Fault") << 2 << 0x80 << failed;
        QTest::newRow("Write to read-only range") << 1 << 0x82 << failed;
        QTest::newRow("Zone Invalid Write") << 1 << 0xbc << failed;
        QTest::newRow("path error") << 3 << 0x00 << failed;
    }
    void declineStatuses()
    {
        QFETCH(int, sct);
        QFETCH(int, sc);
        QFETCH(int, kind);
        const Topology topo = sample();
        const CapabilitySet caps = capsFor(topo, qemuCaps());
        FakeNvmeTransport fake;
        fake.replyNvmeStatus(uint8_t(sct), uint8_t(sc), 0);
        NvmeCopyBackend backend(topo, caps, fake);
        const StepOutcome out = backend.run(fourRanges());
        QCOMPARE(int(out.kind), kind);
        QCOMPARE(out.unitsDone, std::size_t(0));
        QVERIFY(out.error && out.error->nvme);
        QVERIFY(!out.reason.empty());
    }

    void mediaErrorFailsWithTheLba()
    {
        const Topology topo = sample();
        const CapabilitySet caps = capsFor(topo, qemuCaps());
        FakeNvmeTransport fake;
        fake.replyNvmeStatus(2, 0x81, 1); // Unrecovered Read Error in range 1
        NvmeCopyBackend backend(topo, caps, fake);
        const StepOutcome out = backend.run(fourRanges());
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Failed));
        QCOMPARE(out.unitsDone, std::size_t(1));
        QVERIFY(out.error);
        QCOMPARE(out.error->lba, std::optional<uint64_t>(300));
        QVERIFY2(QString::fromStdString(out.error->device).contains("nvme0n1"), out.error->device.c_str());
        const QString message = QString::fromStdString(out.error->message());
        QVERIFY2(message.contains("Unrecovered Read Error") && message.contains("at LBA 300"), qPrintable(message));
    }

    void writeFaultNamesTheDestinationLba()
    {
        const Topology topo = sample();
        const CapabilitySet caps = capsFor(topo, qemuCaps());
        FakeNvmeTransport fake;
        fake.replyNvmeStatus(2, 0x80, 2); // Write Fault in range 2
        NvmeCopyBackend backend(topo, caps, fake);
        const StepOutcome out = backend.run(fourRanges());
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Failed));
        QCOMPARE(out.unitsDone, std::size_t(2));
        QCOMPARE(out.error->lba, std::optional<uint64_t>(5000 + 8 + 256));
    }

    void untrustworthyDw0GivesNothingDone()
    {
        const Topology topo = sample();
        const CapabilitySet caps = capsFor(topo, qemuCaps());
        FakeNvmeTransport fake;
        fake.replyNvmeStatus(1, 0x86, 9);  // DW0 beyond the 4 ranges
        fake.replyNvmeStatus(0, 0x01, 3);  // Invalid Opcode: the command never ran
        NvmeCopyBackend backend(topo, caps, fake);
        StepOutcome out = backend.run(fourRanges());
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Declined));
        QCOMPARE(out.unitsDone, std::size_t(0));
        out = backend.run(fourRanges());
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Declined));
        QCOMPARE(out.unitsDone, std::size_t(0));
    }

    void errnoFailures_data()
    {
        QTest::addColumn<int>("err");
        QTest::addColumn<int>("kind");
        QTest::newRow("ENOTTY") << ENOTTY << int(StepOutcome::Kind::Declined);
        QTest::newRow("EOPNOTSUPP") << EOPNOTSUPP << int(StepOutcome::Kind::Declined);
        QTest::newRow("EACCES") << EACCES << int(StepOutcome::Kind::Declined);
        QTest::newRow("EIO") << EIO << int(StepOutcome::Kind::Failed);
        QTest::newRow("ETIMEDOUT") << ETIMEDOUT << int(StepOutcome::Kind::Failed);
    }
    void errnoFailures()
    {
        QFETCH(int, err);
        QFETCH(int, kind);
        const Topology topo = sample();
        const CapabilitySet caps = capsFor(topo, qemuCaps());
        FakeNvmeTransport fake;
        fake.replyErrno(err);
        NvmeCopyBackend backend(topo, caps, fake);
        const StepOutcome out = backend.run(fourRanges());
        QCOMPARE(int(out.kind), kind);
        QCOMPARE(out.unitsDone, std::size_t(0));
        QVERIFY(out.error);
        QCOMPARE(out.error->sysErrno, err);
        QVERIFY(!out.error->device.empty());
    }

    void cancelledCommandSaysWhy()
    {
        // EINTR from the passthrough ioctl: the kernel cancelled the command (a controller
        // reset or removal, a dropped fabrics connection). A failure that says so.
        const Topology topo = sample();
        const CapabilitySet caps = capsFor(topo, qemuCaps());
        FakeNvmeTransport fake;
        fake.replyErrno(EINTR);
        NvmeCopyBackend backend(topo, caps, fake);
        const StepOutcome out = backend.run(fourRanges());
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Failed));
        QVERIFY(out.error);
        QVERIFY(out.error->lba);
        QVERIFY2(out.error->message().find("cancelled the command") != std::string::npos,
                 out.error->message().c_str());
    }

    void refusesPartitionAndDmNodes_data()
    {
        QTest::addColumn<int>("device");
        QTest::newRow("partition") << 1;
        QTest::newRow("dm-linear") << 2;
        QTest::newRow("not in topology") << 17;
    }
    void refusesPartitionAndDmNodes()
    {
        QFETCH(int, device);
        const Topology topo = sample();
        CapabilitySet caps = capsFor(topo, qemuCaps());
        // Even if someone attached copy caps to the upper node, it must not be addressed.
        for (auto& cap : caps.devices) {
            cap.status = ProbeStatus::Ok;
            cap.nvme = qemuCaps();
        }
        FakeNvmeTransport fake;
        NvmeCopyBackend backend(topo, caps, fake);
        NvmeCopyStep s = step({range(0, 8)}, 100);
        s.ns = std::size_t(device);
        s.srcNs = std::size_t(device);
        const StepOutcome out = backend.run(s);
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Declined));
        QCOMPARE(fake.copyCount(), std::size_t(0));
        if (device < 3)
            QVERIFY2(QString::fromStdString(out.reason).contains("not an NVMe namespace leaf"), out.reason.c_str());
    }

    void crossNamespaceFormat2()
    {
        const Topology topo = sample();
        NvmeCopyCaps nvme = qemuCaps();
        nvme.ocfs = 0xf;
        const CapabilitySet caps = capsFor(topo, nvme);
        FakeNvmeTransport fake;
        NvmeCopyBackend backend(topo, caps, fake);
        NvmeCopyStep s = step({range(64, 8, 2), range(128, 8, 2)}, 10);
        s.format = 2;
        s.srcNs = 3;
        StepOutcome out = backend.run(s);
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Done));
        QCOMPARE(fake.copyCount(), std::size_t(1));
        const auto sent = fake.copies()[0];
        QCOMPARE(sent.device, std::string("nvme0n1")); // sent to the destination namespace
        QCOMPARE(sent.command.nsid, 1u);
        QCOMPARE(toHex(sent.command.descriptors),
                 toHex(hex("02000000" "00000000" "4000000000000000" "0700" "0000000000000000000000000000"
                           "02000000" "00000000" "8000000000000000" "0700" "0000000000000000000000000000")));

        // An SNSID that is not the source namespace's nsid is refused.
        s.ranges[1].snsid = 1;
        out = backend.run(s);
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Declined));
        QCOMPARE(fake.copyCount(), std::size_t(1));

        // A source namespace in another subsystem is refused.
        {
            std::vector<BlockDevice> devices = topo.devices();
            devices[0].nvme->subsysnqn = "nqn.2019-08.org.qemu:A";
            devices[3].nvme->subsysnqn = "nqn.2019-08.org.qemu:B";
            for (auto& d : devices)
                d.uppers.clear();
            const Topology split(devices);
            NvmeCopyBackend other(split, caps, fake);
            NvmeCopyStep cross = step({range(64, 8, 2)}, 10);
            cross.format = 2;
            cross.srcNs = 3;
            out = other.run(cross);
            QCOMPARE(int(out.kind), int(StepOutcome::Kind::Declined));
            QVERIFY2(QString::fromStdString(out.reason).contains("subsystem"), out.reason.c_str());
            QCOMPARE(fake.copyCount(), std::size_t(1));
        }

        // Format 0 naming another source namespace is refused too.
        s = step({range(0, 8)}, 10);
        s.srcNs = 3;
        out = backend.run(s);
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Declined));
        QCOMPARE(fake.copyCount(), std::size_t(1));
    }

    // ---- Host Behavior Support (CDFE) before cross-namespace copies -------------------
    void cdfeIsSetWithOnlyItsBitAdded()
    {
        const Topology topo = sample();
        NvmeCopyCaps nvme = qemuCaps();
        nvme.ocfs = 0xf;
        const CapabilitySet caps = capsFor(topo, nvme);
        FakeNvmeTransport fake;
        std::vector<uint8_t> before(kHostBehaviorBytes, 0);
        before[0] = 0x01;   // ACRE
        before[4] = 0x01;   // CDFE: format 0 only
        before[5] = 0x80;   // an upper CDFE bit the controller reports
        before[100] = 0xab; // reserved bytes go back unchanged
        before[511] = 0x5a;
        fake.setHostBehaviorData(before);
        NvmeCopyBackend backend(topo, caps, fake);
        NvmeCopyStep s = step({range(64, 8, 2)}, 10);
        s.format = 2;
        s.srcNs = 3;
        StepOutcome out = backend.run(s);
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Done));
        QCOMPARE(fake.hostBehaviorGets(), std::size_t(1));
        const auto sets = fake.hostBehaviorSets();
        QCOMPARE(sets.size(), std::size_t(1));
        std::vector<uint8_t> expected = before;
        expected[4] = 0x05; // format 2 added, format 0 kept
        QCOMPARE(toHex(sets[0]), toHex(expected));
        QCOMPARE(fake.copyCount(), std::size_t(1));

        // The controller is now known to have it: no more Get or Set.
        out = backend.run(s);
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Done));
        QCOMPARE(fake.hostBehaviorGets(), std::size_t(1));
        QCOMPARE(fake.hostBehaviorSets().size(), std::size_t(1));
        QCOMPARE(fake.copyCount(), std::size_t(2));
    }

    void cdfeAlreadyEnabledSendsNoSet()
    {
        const Topology topo = sample();
        NvmeCopyCaps nvme = qemuCaps();
        nvme.ocfs = 0xf;
        const CapabilitySet caps = capsFor(topo, nvme);
        FakeNvmeTransport fake;
        std::vector<uint8_t> enabled(kHostBehaviorBytes, 0);
        enabled[4] = 0x04;
        fake.setHostBehaviorData(enabled);
        fake.refuseSetHostBehavior(errnoError(EACCES)); // would decline if it were asked
        NvmeCopyBackend backend(topo, caps, fake);
        NvmeCopyStep s = step({range(64, 8, 2)}, 10);
        s.format = 2;
        s.srcNs = 3;
        const StepOutcome out = backend.run(s);
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Done));
        QCOMPARE(fake.hostBehaviorGets(), std::size_t(1));
        QVERIFY(fake.hostBehaviorSets().empty());
        QCOMPARE(fake.copyCount(), std::size_t(1));
    }

    void cdfeSetRefusedDeclinesWithTheReason()
    {
        const Topology topo = sample();
        NvmeCopyCaps nvme = qemuCaps();
        nvme.ocfs = 0xf;
        const CapabilitySet caps = capsFor(topo, nvme);
        FakeNvmeTransport fake;
        fake.refuseSetHostBehavior(errnoError(EACCES)); // Linux 6.12+
        NvmeCopyBackend backend(topo, caps, fake);
        NvmeCopyStep s = step({range(64, 8, 2), range(128, 8, 2)}, 10);
        s.format = 2;
        s.srcNs = 3;
        StepOutcome out = backend.run(s);
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Declined)); // falls back, never Failed
        QCOMPARE(out.unitsDone, std::size_t(0));
        QVERIFY(out.error.has_value());
        QCOMPARE(fake.copyCount(), std::size_t(0));
        QCOMPARE(fake.hostBehaviorSets().size(), std::size_t(1));
        QVERIFY2(QString::fromStdString(out.reason).contains("format 2"), out.reason.c_str());
        QVERIFY2(QString::fromStdString(out.reason).contains("refused"), out.reason.c_str());
        QVERIFY2(QString::fromStdString(out.reason).contains("6.12"), out.reason.c_str());

        // Later steps on that controller decline the same way without asking again.
        const StepOutcome again = backend.run(s);
        QCOMPARE(int(again.kind), int(StepOutcome::Kind::Declined));
        QCOMPARE(again.reason, out.reason);
        QCOMPARE(fake.hostBehaviorGets(), std::size_t(1));
        QCOMPARE(fake.hostBehaviorSets().size(), std::size_t(1));
        QCOMPARE(fake.copyCount(), std::size_t(0));

        // Copies within one namespace need no Host Behavior Support and still run.
        const StepOutcome within = backend.run(fourRanges());
        QCOMPARE(int(within.kind), int(StepOutcome::Kind::Done));
        QCOMPARE(fake.copyCount(), std::size_t(1));
        QCOMPARE(fake.hostBehaviorGets(), std::size_t(1));
    }

    void cdfeUnreadableOrRejectedDeclines()
    {
        const Topology topo = sample();
        NvmeCopyCaps nvme = qemuCaps();
        nvme.ocfs = 0xf;
        const CapabilitySet caps = capsFor(topo, nvme);
        NvmeCopyStep s = step({range(64, 8, 2)}, 10);
        s.format = 2;
        s.srcNs = 3;
        {
            FakeNvmeTransport fake;
            fake.refuseGetHostBehavior(nvmeStatusError(0, 0x02)); // Invalid Field: no feature 16h
            NvmeCopyBackend backend(topo, caps, fake);
            const StepOutcome out = backend.run(s);
            QCOMPARE(int(out.kind), int(StepOutcome::Kind::Declined));
            QVERIFY2(QString::fromStdString(out.reason).contains("Get Features"), out.reason.c_str());
            QVERIFY(fake.hostBehaviorSets().empty());
            QCOMPARE(fake.copyCount(), std::size_t(0));
        }
        {
            FakeNvmeTransport fake;
            fake.refuseSetHostBehavior(nvmeStatusError(0, 0x02)); // the controller rejects the value
            NvmeCopyBackend backend(topo, caps, fake);
            const StepOutcome out = backend.run(s);
            QCOMPARE(int(out.kind), int(StepOutcome::Kind::Declined));
            QVERIFY2(QString::fromStdString(out.reason).contains("refused"), out.reason.c_str());
            QCOMPARE(fake.copyCount(), std::size_t(0));
        }
        {
            FakeNvmeTransport fake;
            fake.setHostBehaviorData(std::vector<uint8_t>(16, 0)); // a short answer
            NvmeCopyBackend backend(topo, caps, fake);
            const StepOutcome out = backend.run(s);
            QCOMPARE(int(out.kind), int(StepOutcome::Kind::Declined));
            QVERIFY(fake.hostBehaviorSets().empty());
            QCOMPARE(fake.copyCount(), std::size_t(0));
        }
    }

    void formatZeroNeverTouchesHostBehavior()
    {
        const Topology topo = sample();
        NvmeCopyCaps nvme = qemuCaps();
        nvme.ocfs = 0xf;
        const CapabilitySet caps = capsFor(topo, nvme);
        FakeNvmeTransport fake;
        fake.refuseGetHostBehavior(errnoError(EACCES));
        NvmeCopyBackend backend(topo, caps, fake);
        const StepOutcome out = backend.run(fourRanges());
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Done));
        QCOMPARE(fake.hostBehaviorGets(), std::size_t(0));
        QVERIFY(fake.hostBehaviorSets().empty());
    }
};

QTEST_GUILESS_MAIN(TestNvmeCopyBackend)
#include "test_nvme_copy_backend.moc"
