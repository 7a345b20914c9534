// SPDX-License-Identifier: GPL-2.0-or-later
// The io_uring NVMe passthrough path: its pure parts (generic node names, command dwords,
// completion status mapping) and its runtime guard (no verified /dev/ngXnY: the command
// goes through the fallback transport unchanged; never a partition or dm node).
#include "FakeTransports.h"
#include "transport/UringNvmeTransport.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cerrno>
#include <fstream>

using namespace offload;
using offload::test::FakeNvmeTransport;

namespace {

BlockDevice namespaceDevice(std::string name, uint32_t nsid)
{
    BlockDevice dev;
    dev.name = std::move(name);
    dev.devnum = {259, nsid};
    dev.kind = DeviceKind::NvmeNamespace;
    dev.sizeBytes = 1 << 30;
    dev.nvme = NvmeNamespaceInfo{};
    dev.nvme->nsid = nsid;
    return dev;
}

NvmeCopyCommand command(uint32_t nsid)
{
    NvmeCopyCommand cmd;
    cmd.nsid = nsid;
    cmd.sdlba = 4096;
    cmd.format = 0;
    cmd.nr = 0;
    cmd.descriptors.assign(32, 0);
    cmd.descriptors[8] = 0x10;
    cmd.descriptors[16] = 7;
    return cmd;
}

} // namespace

class TestUringNvmeTransport : public QObject {
    Q_OBJECT
private slots:
    void genericNodeNames()
    {
        QCOMPARE(nvmeGenericNodeName("nvme0n1"), std::optional<std::string>("ng0n1"));
        QCOMPARE(nvmeGenericNodeName("nvme12n34"), std::optional<std::string>("ng12n34"));
        QVERIFY(!nvmeGenericNodeName("nvme0n1p2").has_value());
        QVERIFY(!nvmeGenericNodeName("nvme0c1n1").has_value());
        QVERIFY(!nvmeGenericNodeName("nvme0").has_value());
        QVERIFY(!nvmeGenericNodeName("nvme0n").has_value());
        QVERIFY(!nvmeGenericNodeName("sda").has_value());
        QVERIFY(!nvmeGenericNodeName("dm-0").has_value());
    }

    void copyDwords()
    {
        NvmeCopyCommand cmd;
        cmd.sdlba = 0x1122334455667788ull;
        cmd.nr = 7;
        cmd.format = 2;
        const NvmeCopyDwords dw = nvmeCopyDwords(cmd);
        QCOMPARE(dw.cdw10, 0x55667788u);
        QCOMPARE(dw.cdw11, 0x11223344u);
        QCOMPARE(dw.cdw12, 0x00000207u);
        cmd.nr = 255;
        cmd.format = 1;
        QCOMPARE(nvmeCopyDwords(cmd).cdw12, 0x000001ffu);
    }

    void completionStatus()
    {
        QVERIFY(nvmePassthroughStatus(0, 5, "nvme0n1").has_value());

        // Command Size Limit Exceeded with DNR, DW0 = 2 (ranges 0 and 1 copied)
        Status st = nvmePassthroughStatus(0x4183, 2, "nvme0n1");
        QVERIFY(!st.has_value());
        QCOMPARE(st.error().code, Errc::NvmeStatus);
        QVERIFY(st.error().nvme.has_value());
        QCOMPARE(int(st.error().nvme->sct), 1);
        QCOMPARE(int(st.error().nvme->sc), 0x83);
        QVERIFY(st.error().nvme->dnr);
        QCOMPARE(st.error().nvme->dw0, 2u);
        QCOMPARE(st.error().device, std::string("nvme0n1"));

        // Unrecovered Read Error, no DNR
        st = nvmePassthroughStatus(0x281, 0, "nvme0n1");
        QCOMPARE(int(st.error().nvme->sct), 2);
        QCOMPARE(int(st.error().nvme->sc), 0x81);
        QVERIFY(!st.error().nvme->dnr);

        // an errno
        st = nvmePassthroughStatus(-EIO, 0, "nvme0n1");
        QCOMPARE(st.error().sysErrno, EIO);
        QVERIFY(!st.error().nvme.has_value());
    }

    void withoutGenericNodeTheFallbackCarriesTheCommand()
    {
        QTemporaryDir sysfs; // no class/nvme-generic in it
        QVERIFY(sysfs.isValid());
        auto fallback = std::make_unique<FakeNvmeTransport>();
        FakeNvmeTransport* fake = fallback.get();
        fake->replyNvmeStatus(1, 0x86, 1);
        UringNvmeOptions options;
        options.sysfsRoot = sysfs.path().toStdString();
        options.devRoot = sysfs.path().toStdString();
        auto transport = makeUringNvmeTransport(std::move(fallback), options);

        const BlockDevice ns = namespaceDevice("nvme0n1", 1);
        const NvmeCopyCommand cmd = command(1);
        Status st = transport->copy(ns, cmd);
        QVERIFY(!st.has_value());
        QCOMPARE(int(st.error().nvme->sc), 0x86); // the fallback's answer, unchanged
        QCOMPARE(st.error().nvme->dw0, 1u);
        QVERIFY(transport->copy(ns, cmd).has_value());
        const auto sent = fake->copies();
        QCOMPARE(sent.size(), std::size_t(2));
        QCOMPARE(sent[0].command.descriptors, cmd.descriptors);
        QCOMPARE(sent[0].command.sdlba, 4096ull);

        // identify goes through the fallback
        fake->setIdentifyController(ns.devnum, std::vector<uint8_t>(4096, 0xab));
        auto id = transport->identifyController(ns);
        QVERIFY(id.has_value());
        QCOMPARE(int((*id)[0]), 0xab);
    }

    void mismatchedDevNodeIsNotUsed()
    {
        // sysfs says ng0n1 is 240:0, but /dev/ng0n1 is a regular file: not the node.
        QTemporaryDir root;
        QVERIFY(root.isValid());
        const std::string base = root.path().toStdString();
        QVERIFY(QDir().mkpath(root.path() + "/class/nvme-generic/ng0n1"));
        std::ofstream(base + "/class/nvme-generic/ng0n1/dev") << "240:0\n";
        std::ofstream(base + "/ng0n1") << "not a device\n";
        auto fallback = std::make_unique<FakeNvmeTransport>();
        FakeNvmeTransport* fake = fallback.get();
        UringNvmeOptions options;
        options.sysfsRoot = base;
        options.devRoot = base;
        auto transport = makeUringNvmeTransport(std::move(fallback), options);
        QVERIFY(transport->copy(namespaceDevice("nvme0n1", 1), command(1)).has_value());
        QCOMPARE(fake->copyCount(), std::size_t(1));
    }

    void refusesNonNamespaces()
    {
        auto fallback = std::make_unique<FakeNvmeTransport>();
        FakeNvmeTransport* fake = fallback.get();
        auto transport = makeUringNvmeTransport(std::move(fallback));
        BlockDevice part = namespaceDevice("nvme0n1p1", 1);
        part.kind = DeviceKind::Partition;
        part.lowers = {0};
        Status st = transport->copy(part, command(1));
        QVERIFY(!st.has_value());
        QCOMPARE(st.error().code, Errc::InvalidArgument);
        BlockDevice dm = namespaceDevice("dm-0", 1);
        dm.kind = DeviceKind::DeviceMapper;
        QVERIFY(!transport->copy(dm, command(1)).has_value());
        // a command for another namespace than the node's
        QVERIFY(!transport->copy(namespaceDevice("nvme0n1", 1), command(2)).has_value());
        QCOMPARE(fake->copyCount(), std::size_t(0));
    }

    void refusesReadOnlyNamespaces()
    {
        // The snapshot says read-only: no command on the generic node, none by the fallback.
        auto fallback = std::make_unique<FakeNvmeTransport>();
        FakeNvmeTransport* fake = fallback.get();
        auto transport = makeUringNvmeTransport(std::move(fallback));
        BlockDevice ns = namespaceDevice("nvme0n1", 1);
        ns.readOnly = true;
        Status st = transport->copy(ns, command(1));
        QVERIFY(!st.has_value());
        QCOMPARE(st.error().code, Errc::InvalidArgument);
        QVERIFY(st.error().what.find("read-only") != std::string::npos);
        QCOMPARE(fake->copyCount(), std::size_t(0));
    }

    void kernelProbe()
    {
        Status st = probeUringNvmePassthrough();
        if (!st)
            QSKIP(st.error().message().c_str());
        QVERIFY(st.has_value());
    }
};

QTEST_GUILESS_MAIN(TestUringNvmeTransport)
#include "test_uring_nvme_transport.moc"
