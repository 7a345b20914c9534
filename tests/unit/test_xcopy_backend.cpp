// SPDX-License-Identifier: GPL-2.0-or-later
// ScsiXcopyBackend against the transport fake: the exact parameter list for a two-LUN
// step, copy-manager limits enforced before sending, LIO-like declines, media errors, and
// how far a failed multi-segment copy got (sense segment number, RECEIVE COPY RESULTS).
#include "FakeTransports.h"
#include "copy/OffloadBackend.h"

#include <QtTest>

using namespace offload;
using offload::test::FakeScsiTransport;

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

constexpr uint64_t kLunBytes = 1ull << 30;
const char* kSdaNaa = "6001405a1b2c3d4e5f60718293a4b5c6";
const char* kSdbNaa = "6001405d7e8f90a1b2c3d4e5f6071829";

BlockDevice scsiDisk(std::string name, DevNum devnum, std::string hctl)
{
    BlockDevice dev;
    dev.name = std::move(name);
    dev.devnum = devnum;
    dev.kind = DeviceKind::ScsiDisk;
    dev.sizeBytes = kLunBytes;
    dev.logicalBlockSize = 512;
    dev.scsi = ScsiDiskInfo{};
    dev.scsi->vendor = "LIO-ORG";
    dev.scsi->hctl = std::move(hctl);
    return dev;
}

// 0 sda, 1 sdb (same target), 2 sda1 (partition of sda), 3 dm-0 (on sdb)
Topology sample()
{
    BlockDevice sda = scsiDisk("sda", {8, 0}, "0:0:1:0");
    BlockDevice sdb = scsiDisk("sdb", {8, 16}, "0:0:1:1");
    BlockDevice part;
    part.name = "sda1";
    part.devnum = {8, 1};
    part.kind = DeviceKind::Partition;
    part.sizeBytes = kLunBytes / 2;
    part.partition = PartitionInfo{};
    part.partition->number = 1;
    part.partition->startSector = 2048;
    part.lowers = {0};
    BlockDevice dm;
    dm.name = "dm-0";
    dm.devnum = {253, 0};
    dm.kind = DeviceKind::DeviceMapper;
    dm.sizeBytes = kLunBytes / 4;
    dm.dm = DmInfo{};
    dm.dm->name = "lin";
    dm.lowers = {1};
    return Topology({sda, sdb, part, dm});
}

/// What LIO reports: 3PC, NAA 6 from the unit serial, RCOP with SNLID, 2 CSCDs,
/// 1 segment, 1024-byte descriptor lists, 256 MiB segments.
ScsiCopyCaps lioCaps(const char* naa)
{
    ScsiCopyCaps caps;
    caps.threePC = true;
    caps.naaDesignator = hex(naa);
    caps.naaFormat = 6;
    caps.rcopKnown = true;
    caps.supportsNoListId = true;
    caps.maxCscdDescriptors = 2;
    caps.maxSegmentDescriptors = 1;
    caps.maxDescriptorListLength = 1024;
    caps.maxSegmentLength = 256u << 20;
    caps.blockBytes = 512;
    return caps;
}

CapabilitySet capsFor(const Topology& topology, ScsiCopyCaps sda, ScsiCopyCaps sdb)
{
    CapabilitySet set;
    for (const BlockDevice& dev : topology.devices()) {
        DeviceCapability cap;
        cap.device = dev.index;
        if (dev.kind == DeviceKind::ScsiDisk) {
            cap.mechanism = CopyMechanism::ScsiXcopy;
            cap.status = ProbeStatus::Ok;
            cap.scsi = dev.index == 0 ? sda : sdb;
        }
        set.devices.push_back(cap);
    }
    return set;
}

XcopySegment segment(uint64_t src, uint64_t dst, uint32_t blocks)
{
    XcopySegment s;
    s.srcLba = src;
    s.dstLba = dst;
    s.blocks = blocks;
    return s;
}

XcopyStep step(std::vector<XcopySegment> segments)
{
    XcopyStep s;
    s.srcLun = 0;
    s.dstLun = 1;
    s.issueTo = 1;
    s.blockBytes = 512;
    s.segments = std::move(segments);
    return s;
}

/// A copy manager that takes several segments and no "no list id" (so list ids are used).
ScsiCopyCaps multiSegmentCaps(const char* naa)
{
    ScsiCopyCaps caps = lioCaps(naa);
    caps.supportsNoListId = false;
    caps.maxSegmentDescriptors = 4;
    return caps;
}

} // namespace

class TestXcopyBackend : public QObject {
    Q_OBJECT
private slots:
    void twoLunParameterListIsByteExact()
    {
        const Topology topo = sample();
        const CapabilitySet caps = capsFor(topo, lioCaps(kSdaNaa), lioCaps(kSdbNaa));
        FakeScsiTransport fake;
        ScsiXcopyBackend backend(topo, caps, fake);
        const StepOutcome out = backend.run(step({segment(2048, 0x10000, 8192)}));
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Done));
        QCOMPARE(out.unitsDone, std::size_t(1));

        const auto sent = fake.extendedCopies();
        QCOMPARE(sent.size(), std::size_t(1));
        QCOMPARE(sent[0].device, std::string("sdb")); // issueTo
        QVERIFY(sent[0].devnum == (DevNum{8, 16}));
        const auto expected = hex(
            "00" "18" "0040" "00000000" "0000001c" "00000000"
            "e4" "00" "0000" "01" "03" "00" "10" "6001405a1b2c3d4e5f60718293a4b5c6" "00000000" "00" "000200"
            "e4" "00" "0000" "01" "03" "00" "10" "6001405d7e8f90a1b2c3d4e5f6071829" "00000000" "00" "000200"
            "02" "00" "0018" "0000" "0001" "0000" "2000" "0000000000000800" "0000000000010000");
        QCOMPARE(toHex(sent[0].parameterList), toHex(expected));
        QVERIFY(fake.receiveCopyResultsCalls().empty());
    }

    void lioDeclinesAcrossTargets()
    {
        const Topology topo = sample();
        const CapabilitySet caps = capsFor(topo, lioCaps(kSdaNaa), lioCaps(kSdbNaa));
        FakeScsiTransport fake;
        fake.replySense(0x0A, 0x0D, 0x02); // COPY ABORTED, copy target device not reachable
        ScsiXcopyBackend backend(topo, caps, fake);
        const StepOutcome out = backend.run(step({segment(0, 0, 128)}));
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Declined));
        QCOMPARE(out.unitsDone, std::size_t(0));
        QVERIFY2(QString::fromStdString(out.reason).contains("COPY ABORTED"), out.reason.c_str());
        QVERIFY(out.error && out.error->scsi);
        QCOMPARE(int(out.error->scsi->asc), 0x0D);
        QVERIFY2(QString::fromStdString(out.error->device).contains("sdb"), out.error->device.c_str());
    }

    void declineAndFailureSenseKeys_data()
    {
        QTest::addColumn<int>("key");
        QTest::addColumn<int>("asc");
        QTest::addColumn<int>("kind");
        const int declined = int(StepOutcome::Kind::Declined);
        const int failed = int(StepOutcome::Kind::Failed);
        QTest::newRow("ILLEGAL REQUEST, invalid field in parameter list") << 0x05 << 0x26 << declined;
        QTest::newRow("ILLEGAL REQUEST, invalid opcode") << 0x05 << 0x20 << declined;
        QTest::newRow("ABORTED COMMAND") << 0x0B << 0x00 << declined;
        QTest::newRow("MEDIUM ERROR") << 0x03 << 0x11 << failed;
        QTest::newRow("HARDWARE ERROR") << 0x04 << 0x44 << failed;
        QTest::newRow("DATA PROTECT") << 0x07 << 0x27 << failed;
    }
    void declineAndFailureSenseKeys()
    {
        QFETCH(int, key);
        QFETCH(int, asc);
        QFETCH(int, kind);
        const Topology topo = sample();
        const CapabilitySet caps = capsFor(topo, lioCaps(kSdaNaa), lioCaps(kSdbNaa));
        FakeScsiTransport fake;
        fake.replySense(uint8_t(key), uint8_t(asc), 0);
        ScsiXcopyBackend backend(topo, caps, fake);
        const StepOutcome out = backend.run(step({segment(0, 0, 128)}));
        QCOMPARE(int(out.kind), kind);
        QCOMPARE(out.unitsDone, std::size_t(0));
        QVERIFY(out.error && out.error->scsi);
    }

    void unitAttentionIsRetriedOnce()
    {
        const Topology topo = sample();
        const CapabilitySet caps = capsFor(topo, lioCaps(kSdaNaa), lioCaps(kSdbNaa));
        FakeScsiTransport fake;
        fake.replySense(0x06, 0x29, 0x00); // UNIT ATTENTION, power on or reset: not executed
        ScsiXcopyBackend backend(topo, caps, fake);
        StepOutcome out = backend.run(step({segment(0, 0, 128)}));
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Done));
        auto sent = fake.extendedCopies();
        QCOMPARE(sent.size(), std::size_t(2));
        QCOMPARE(sent[1].parameterList, sent[0].parameterList);

        // twice in a row: declined, not retried forever
        fake.replySense(0x06, 0x29, 0x00);
        fake.replySense(0x06, 0x2a, 0x01);
        out = backend.run(step({segment(0, 0, 128)}));
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Declined));
        QCOMPARE(fake.extendedCopies().size(), std::size_t(4));
    }

    void mediumErrorFailsWithTheLba()
    {
        const Topology topo = sample();
        const CapabilitySet caps = capsFor(topo, lioCaps(kSdaNaa), lioCaps(kSdbNaa));
        FakeScsiTransport fake;
        fake.replySense(0x03, 0x11, 0x00, 4100); // MEDIUM ERROR, unrecovered read error at 4100
        ScsiXcopyBackend backend(topo, caps, fake);
        const StepOutcome out = backend.run(step({segment(4096, 0, 64)}));
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Failed));
        QVERIFY(out.error);
        QCOMPARE(out.error->lba, std::optional<uint64_t>(4100));
        const QString message = QString::fromStdString(out.error->message());
        QVERIFY2(message.contains("MEDIUM ERROR") && message.contains("segment 0") && message.contains("sda"),
                 qPrintable(message));

        fake.replySense(0x04, 0x44, 0x00); // no INFORMATION: the segment's source LBA
        const StepOutcome hw = backend.run(step({segment(777, 0, 64)}));
        QCOMPARE(int(hw.kind), int(StepOutcome::Kind::Failed));
        QCOMPARE(hw.error->lba, std::optional<uint64_t>(777));
    }

    void limitsAndIdentityCheckedBeforeSending_data()
    {
        QTest::addColumn<int>("which");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("two segments, LIO takes one") << 0 << "segments exceed";
        QTest::newRow("segment over max segment length") << 1 << "maximum segment length";
        QTest::newRow("source without NAA 6") << 2 << "NAA 6";
        QTest::newRow("block sizes differ") << 3 << "block sizes";
        QTest::newRow("no 3PC") << 4 << "3PC";
        QTest::newRow("destination past the end") << 5 << "beyond";
        QTest::newRow("issued to a partition node") << 6 << "not a SCSI disk leaf";
        QTest::newRow("source is a dm node") << 7 << "not a SCSI disk leaf";
        QTest::newRow("unknown operating parameters: one segment") << 8 << "operating parameters unknown";
        QTest::newRow("65536-block segment") << 9 << "65535";
    }
    void limitsAndIdentityCheckedBeforeSending()
    {
        QFETCH(int, which);
        QFETCH(QString, mentions);
        const Topology topo = sample();
        ScsiCopyCaps sda = lioCaps(kSdaNaa);
        ScsiCopyCaps sdb = lioCaps(kSdbNaa);
        XcopyStep s = step({segment(0, 0, 2048)});
        switch (which) {
        case 0: s.segments.push_back(segment(4096, 4096, 8)); break;
        case 1: sdb.maxSegmentLength = 512 * 1024; break; // 2048 blocks = 1 MiB > 512 KiB
        case 2: sda.naaDesignator = hex("5001405a1b2c3d4e"); sda.naaFormat = 5; break;
        case 3: s.blockBytes = 4096; break;
        case 4: sda.threePC = false; break;
        case 5: s.segments[0].dstLba = kLunBytes / 512 - 100; break;
        case 6: s.issueTo = 2; break;
        case 7: s.srcLun = 3; break;
        case 8:
            sdb.rcopKnown = false;
            s.segments.push_back(segment(4096, 4096, 8));
            break;
        case 9: s.segments[0].blocks = 65536; sdb.maxSegmentLength = 0; break;
        default: break;
        }
        CapabilitySet caps = capsFor(topo, sda, sdb);
        FakeScsiTransport fake;
        ScsiXcopyBackend backend(topo, caps, fake);
        const StepOutcome out = backend.run(s);
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Declined));
        QCOMPARE(out.unitsDone, std::size_t(0));
        QVERIFY2(QString::fromStdString(out.reason).contains(mentions), out.reason.c_str());
        QVERIFY(fake.extendedCopies().empty());
        if (which == 2) {
            QCOMPARE(out.error->code, Errc::Unsupported);
            QVERIFY2(QString::fromStdString(out.error->device).contains("sda"), out.error->device.c_str());
        }
    }

    void listIdUsedWhenNoListIdIsUnsupported()
    {
        const Topology topo = sample();
        const CapabilitySet caps = capsFor(topo, multiSegmentCaps(kSdaNaa), multiSegmentCaps(kSdbNaa));
        FakeScsiTransport fake;
        ScsiXcopyBackend backend(topo, caps, fake);
        const auto segments = std::vector<XcopySegment>{segment(0, 0, 8), segment(8, 8, 8), segment(16, 16, 8)};
        QCOMPARE(int(backend.run(step(segments)).kind), int(StepOutcome::Kind::Done));
        QCOMPARE(int(backend.run(step(segments)).kind), int(StepOutcome::Kind::Done));
        const auto sent = fake.extendedCopies();
        QCOMPARE(sent.size(), std::size_t(2));
        QVERIFY(sent[0].parameterList[0] != 0);
        QCOMPARE(int(sent[0].parameterList[1]), 0x10); // LIST ID USAGE 10b
        QVERIFY(sent[1].parameterList[0] != sent[0].parameterList[0]); // a fresh list id per command
        QCOMPARE(sent[0].parameterList.size(), std::size_t(16 + 64 + 3 * 28));
    }

    void progressFromSenseSegmentNumber()
    {
        const Topology topo = sample();
        const CapabilitySet caps = capsFor(topo, multiSegmentCaps(kSdaNaa), multiSegmentCaps(kSdbNaa));
        FakeScsiTransport fake;
        fake.replySense(0x0A, 0x0D, 0x01, std::nullopt, 2); // COPY ABORTED while processing segment 2
        ScsiXcopyBackend backend(topo, caps, fake);
        const StepOutcome out =
            backend.run(step({segment(0, 0, 8), segment(8, 8, 8), segment(16, 16, 8), segment(24, 24, 8)}));
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Declined));
        QCOMPARE(out.unitsDone, std::size_t(2));
        QVERIFY(fake.receiveCopyResultsCalls().empty());
    }

    void progressFromReceiveCopyResults()
    {
        const Topology topo = sample();
        const CapabilitySet caps = capsFor(topo, multiSegmentCaps(kSdaNaa), multiSegmentCaps(kSdbNaa));
        FakeScsiTransport fake;
        fake.replySense(0x03, 0x11, 0x00); // MEDIUM ERROR, no INFORMATION, no segment number
        // COPY STATUS: completed with errors, 3 segments processed (the third one failed)
        fake.replyCopyResults(hex("00000008" "02" "0003" "00" "00000000"));
        ScsiXcopyBackend backend(topo, caps, fake);
        const StepOutcome out =
            backend.run(step({segment(0, 0, 8), segment(8, 8, 8), segment(16, 16, 8), segment(24, 24, 8)}));
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Failed));
        QCOMPARE(out.unitsDone, std::size_t(2));
        QCOMPARE(out.error->lba, std::optional<uint64_t>(16)); // segment 2's source LBA
        const auto asked = fake.receiveCopyResultsCalls();
        QCOMPARE(asked.size(), std::size_t(1));
        QCOMPARE(int(asked[0].serviceAction), 0x00);
        QCOMPARE(int(asked[0].listId), int(fake.extendedCopies()[0].parameterList[0]));
        QCOMPARE(asked[0].device, std::string("sdb"));
    }

    void unansweredCopyResultsMeansNothingDone()
    {
        const Topology topo = sample();
        const CapabilitySet caps = capsFor(topo, multiSegmentCaps(kSdaNaa), multiSegmentCaps(kSdbNaa));
        FakeScsiTransport fake;
        fake.replySense(0x05, 0x26, 0x00); // ILLEGAL REQUEST; RECEIVE COPY RESULTS refused too
        ScsiXcopyBackend backend(topo, caps, fake);
        const StepOutcome out = backend.run(step({segment(0, 0, 8), segment(8, 8, 8)}));
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Declined));
        QCOMPARE(out.unitsDone, std::size_t(0));
        QVERIFY2(QString::fromStdString(out.reason).contains("RECEIVE COPY RESULTS"), out.reason.c_str());
    }

    void errnoFailures()
    {
        const Topology topo = sample();
        const CapabilitySet caps = capsFor(topo, lioCaps(kSdaNaa), lioCaps(kSdbNaa));
        FakeScsiTransport fake;
        fake.replyErrno(EIO);
        fake.replyErrno(ENOTTY);
        ScsiXcopyBackend backend(topo, caps, fake);
        StepOutcome out = backend.run(step({segment(0, 0, 8)}));
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Failed));
        QCOMPARE(out.error->sysErrno, EIO);
        out = backend.run(step({segment(0, 0, 8)}));
        QCOMPARE(int(out.kind), int(StepOutcome::Kind::Declined));
        QCOMPARE(out.error->sysErrno, ENOTTY);
    }
};

QTEST_GUILESS_MAIN(TestXcopyBackend)
#include "test_xcopy_backend.moc"
