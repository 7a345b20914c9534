// SPDX-License-Identifier: GPL-2.0-or-later
// The libnvme and libsgutils2 transports refuse anything but a leaf namespace / LUN and
// malformed commands before they open a device node.
#ifndef Q_MOC_RUN // moc 6.4 cannot parse the C++23 library headers
#include "transport/NvmeTransport.h"
#include "transport/ScsiTransport.h"
#endif

#include <QtTest>

using namespace offload;

namespace {

BlockDevice device(const std::string& name, DeviceKind kind, DevNum devnum)
{
    BlockDevice dev;
    dev.name = name;
    dev.kind = kind;
    dev.devnum = devnum;
    if (kind == DeviceKind::NvmeNamespace) {
        dev.nvme = NvmeNamespaceInfo{};
        dev.nvme->nsid = 1;
    }
    return dev;
}

// Device numbers that exist on no machine: a test must never reach a real node.
const DevNum kNowhere{4095, 1048575};

} // namespace

class TestProbeTransports : public QObject {
    Q_OBJECT
private slots:
    void nvmeRefusesEverythingButNamespaces_data()
    {
        QTest::addColumn<int>("kind");
        QTest::newRow("partition") << int(DeviceKind::Partition);
        QTest::newRow("dm") << int(DeviceKind::DeviceMapper);
        QTest::newRow("loop") << int(DeviceKind::Loop);
        QTest::newRow("scsi") << int(DeviceKind::ScsiDisk);
        QTest::newRow("other") << int(DeviceKind::Other);
    }
    void nvmeRefusesEverythingButNamespaces()
    {
        QFETCH(int, kind);
        auto transport = makeLibNvmeTransport();
        // A real loop device number: the refusal must come before any open.
        const BlockDevice dev = device("x", static_cast<DeviceKind>(kind), DevNum{7, 0});
        auto ctrl = transport->identifyController(dev);
        QVERIFY(!ctrl.has_value());
        QCOMPARE(ctrl.error().code, Errc::InvalidArgument);
        QVERIFY(ctrl.error().what.find("not an NVMe namespace") != std::string::npos);
        QCOMPARE(transport->identifyNamespace(dev).error().code, Errc::InvalidArgument);
        NvmeCopyCommand cmd;
        cmd.nsid = 1;
        cmd.descriptors.assign(32, 0);
        QCOMPARE(transport->copy(dev, cmd).error().code, Errc::InvalidArgument);
    }

    void scsiRefusesEverythingButDisks_data()
    {
        QTest::addColumn<int>("kind");
        QTest::newRow("partition") << int(DeviceKind::Partition);
        QTest::newRow("dm") << int(DeviceKind::DeviceMapper);
        QTest::newRow("loop") << int(DeviceKind::Loop);
        QTest::newRow("nvme") << int(DeviceKind::NvmeNamespace);
        QTest::newRow("other") << int(DeviceKind::Other);
    }
    void scsiRefusesEverythingButDisks()
    {
        QFETCH(int, kind);
        auto transport = makeSgUtilsTransport();
        const BlockDevice dev = device("x", static_cast<DeviceKind>(kind), DevNum{7, 0});
        auto inq = transport->inquiry(dev);
        QVERIFY(!inq.has_value());
        QCOMPARE(inq.error().code, Errc::InvalidArgument);
        QVERIFY(inq.error().what.find("not a SCSI disk") != std::string::npos);
        QCOMPARE(transport->vpdPage(dev, 0x83).error().code, Errc::InvalidArgument);
        QCOMPARE(transport->receiveCopyOperatingParameters(dev).error().code, Errc::InvalidArgument);
        QCOMPARE(transport->extendedCopy(dev, std::vector<uint8_t>(16, 0)).error().code, Errc::InvalidArgument);
        QCOMPARE(transport->receiveCopyResults(dev, 0x03, 0).error().code, Errc::InvalidArgument);
    }

    void malformedCopyCommandsAreRefused()
    {
        auto transport = makeLibNvmeTransport();
        const BlockDevice ns = device("nvme9n1", DeviceKind::NvmeNamespace, kNowhere);

        NvmeCopyCommand wrongSize;
        wrongSize.nsid = 1;
        wrongSize.nr = 1; // two ranges of 32 bytes expected
        wrongSize.descriptors.assign(32, 0);
        auto st = transport->copy(ns, wrongSize);
        QVERIFY(!st.has_value());
        QCOMPARE(st.error().code, Errc::InvalidArgument);

        NvmeCopyCommand format1;
        format1.nsid = 1;
        format1.format = 1;
        format1.descriptors.assign(32, 0); // format 1 entries are 40 bytes
        QCOMPARE(transport->copy(ns, format1).error().code, Errc::InvalidArgument);

        NvmeCopyCommand noFormat;
        noFormat.nsid = 1;
        noFormat.format = 4;
        noFormat.descriptors.assign(32, 0);
        QCOMPARE(transport->copy(ns, noFormat).error().code, Errc::InvalidArgument);

        BlockDevice readOnly = ns;
        readOnly.readOnly = true;
        NvmeCopyCommand ok;
        ok.nsid = 1;
        ok.descriptors.assign(32, 0);
        QCOMPARE(transport->copy(readOnly, ok).error().code, Errc::InvalidArgument);

        auto scsi = makeSgUtilsTransport();
        BlockDevice lun = device("sdzz", DeviceKind::ScsiDisk, kNowhere);
        QCOMPARE(scsi->extendedCopy(lun, {}).error().code, Errc::InvalidArgument);
    }

    void missingNodeIsNotFoundNotACrash()
    {
        // A namespace whose dev_t exists nowhere: opening fails cleanly.
        auto transport = makeLibNvmeTransport();
        auto r = transport->identifyController(device("nvme9n1", DeviceKind::NvmeNamespace, kNowhere));
        QVERIFY(!r.has_value());
        QVERIFY(r.error().code != Errc::Internal);
        auto scsi = makeSgUtilsTransport();
        auto s = scsi->inquiry(device("sdzz", DeviceKind::ScsiDisk, kNowhere));
        QVERIFY(!s.has_value());
        QVERIFY(s.error().code != Errc::Internal);
    }
};

QTEST_GUILESS_MAIN(TestProbeTransports)
#include "test_probe_transports.moc"
