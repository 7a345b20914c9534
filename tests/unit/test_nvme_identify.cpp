// SPDX-License-Identifier: GPL-2.0-or-later
// Identify Controller / Identify Namespace parsing, with buffers built field by field at
// the byte offsets of the NVM Express Base and NVM Command Set specifications.
#ifndef Q_MOC_RUN // moc 6.4 cannot parse the C++23 library headers
#include "capability/Capability.h"
#endif

#include <QtTest>

#include <cstring>

using namespace offload;

namespace {

using Bytes = std::vector<uint8_t>;

void putLe16(Bytes& b, std::size_t at, uint16_t v)
{
    b[at] = static_cast<uint8_t>(v);
    b[at + 1] = static_cast<uint8_t>(v >> 8);
}

void putLe32(Bytes& b, std::size_t at, uint32_t v)
{
    for (int i = 0; i < 4; ++i)
        b[at + static_cast<std::size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
}

/// Identify Controller: MDTS byte 77, CNTLID 79:78, ONCS 521:520, OCFS 535:534, SUBNQN 1023:768.
Bytes controller(uint16_t oncs, uint16_t ocfs, uint8_t mdts = 7, uint16_t cntlid = 0,
                 const char* subnqn = "nqn.2019-08.org.qemu:COPY1")
{
    Bytes b(4096, 0);
    b[77] = mdts;
    putLe16(b, 78, cntlid);
    putLe16(b, 520, oncs);
    putLe16(b, 534, ocfs);
    std::memcpy(b.data() + 768, subnqn, std::strlen(subnqn));
    return b;
}

struct Lbaf {
    uint16_t ms = 0;
    uint8_t lbads = 9;
};

/// Identify Namespace: NLBAF 25, FLBAS 26, DPS 29, MSSRL 75:74, MCL 79:76, MSRC 80, LBAF at 128.
Bytes nameSpace(uint16_t mssrl, uint32_t mcl, uint8_t msrc, uint8_t flbas, std::vector<Lbaf> formats,
                uint8_t dps = 0)
{
    Bytes b(4096, 0);
    b[25] = static_cast<uint8_t>(formats.size() - 1);
    b[26] = flbas;
    b[29] = dps;
    putLe16(b, 74, mssrl);
    putLe32(b, 76, mcl);
    b[80] = msrc;
    for (std::size_t i = 0; i < formats.size(); ++i) {
        putLe16(b, 128 + 4 * i, formats[i].ms);
        b[128 + 4 * i + 2] = formats[i].lbads;
    }
    return b;
}

} // namespace

class TestNvmeIdentify : public QObject {
    Q_OBJECT
private slots:
    void qemuLikeController()
    {
        auto caps = parseNvmeIdentifyController(controller(0x15d, 0x3, 7, 0x1234));
        QVERIFY(caps.has_value());
        QCOMPARE(caps->oncs, uint16_t{0x15d});
        QVERIFY(caps->copy);
        QVERIFY(!caps->copySingleAtomicity);
        QVERIFY(!caps->allFastCopy);
        QCOMPARE(caps->ocfs, uint16_t{0x3});
        QVERIFY(caps->supportsFormat(0));
        QVERIFY(caps->supportsFormat(1));
        QVERIFY(!caps->supportsFormat(2));
        QVERIFY(!caps->supportsFormat(3));
        QCOMPARE(caps->mdts, uint8_t{7});
        QCOMPARE(caps->mdtsBytes, 0u); // CAP.MPSMIN is not in Identify: left unknown
        QCOMPARE(caps->controllerId, uint16_t{0x1234});
        QCOMPARE(caps->subsysnqn, std::string("nqn.2019-08.org.qemu:COPY1"));
    }

    void atomicityAndFastCopyBits()
    {
        auto caps = parseNvmeIdentifyController(controller(0x0600, 0xf));
        QVERIFY(caps.has_value());
        QVERIFY(!caps->copy);
        QVERIFY(caps->copySingleAtomicity);
        QVERIFY(caps->allFastCopy);
        QVERIFY(caps->supportsFormat(2));
        QVERIFY(caps->supportsFormat(3));
    }

    void copyBitClear()
    {
        // 0x5d: Compare, DSM, Write Zeroes, Timestamp... but not bit 8.
        auto caps = parseNvmeIdentifyController(controller(0x005d, 0x0));
        QVERIFY(caps.has_value());
        QVERIFY(!caps->copy);
        QCOMPARE(caps->ocfs, uint16_t{0});
    }

    void oncsIsLittleEndian()
    {
        // ONCS byte 520 = 0x01, byte 521 = 0x00: only bit 0, no Copy. A big-endian read
        // would see bit 8 set.
        Bytes b = controller(0, 0);
        b[520] = 0x01;
        b[521] = 0x00;
        auto caps = parseNvmeIdentifyController(b);
        QVERIFY(caps.has_value());
        QVERIFY(!caps->copy);
        b[520] = 0x00;
        b[521] = 0x01;
        caps = parseNvmeIdentifyController(b);
        QVERIFY(caps->copy);
    }

    void subnqnFullWidthAndPadding()
    {
        Bytes b = controller(0x100, 1, 0, 0, "");
        std::memset(b.data() + 768, 'a', 256);
        b[1024] = 'z'; // outside the field
        auto caps = parseNvmeIdentifyController(b);
        QVERIFY(caps.has_value());
        QCOMPARE(caps->subsysnqn, std::string(256, 'a'));

        Bytes padded = controller(0x100, 1, 0, 0, "nqn.test   ");
        QCOMPARE(parseNvmeIdentifyController(padded)->subsysnqn, std::string("nqn.test"));
    }

    void shortControllerIsCorrupt()
    {
        Bytes b = controller(0x15d, 0x3);
        b.resize(4095);
        auto caps = parseNvmeIdentifyController(b);
        QVERIFY(!caps.has_value());
        QCOMPARE(caps.error().code, Errc::Corrupt);
        QVERIFY(!parseNvmeIdentifyController({}).has_value());
    }

    void qemuLikeNamespace()
    {
        NvmeCopyCaps caps;
        auto st = parseNvmeIdentifyNamespace(nameSpace(256, 1024, 7, 0, {{0, 9}, {8, 12}}), caps);
        QVERIFY(st.has_value());
        QCOMPARE(caps.mssrl, 256u);
        QCOMPARE(caps.mcl, 1024u);
        QCOMPARE(caps.msrc, 7u);
        QCOMPARE(caps.maxRanges(), 8u);
        QCOMPARE(caps.lbaBytes, 512u);
        QCOMPARE(caps.metadataBytes, uint16_t{0});
        QCOMPARE(caps.flbas, uint8_t{0});
        QCOMPARE(caps.dps, uint8_t{0});
    }

    void selectedFormatWithMetadataAndPi()
    {
        NvmeCopyCaps caps;
        auto st = parseNvmeIdentifyNamespace(nameSpace(128, 128, 127, 1, {{0, 9}, {8, 12}}, 0x1), caps);
        QVERIFY(st.has_value());
        QCOMPARE(caps.lbaBytes, 4096u);
        QCOMPARE(caps.metadataBytes, uint16_t{8});
        QCOMPARE(caps.flbas, uint8_t{1});
        QCOMPARE(caps.dps, uint8_t{1});
        QCOMPARE(caps.msrc, 127u);
    }

    void limitsAreLittleEndian()
    {
        Bytes b = nameSpace(0, 0, 0, 0, {{0, 9}});
        b[74] = 0x02;
        b[75] = 0x01;
        b[76] = 0x04;
        b[77] = 0x03;
        b[78] = 0x02;
        b[79] = 0x01;
        NvmeCopyCaps caps;
        QVERIFY(parseNvmeIdentifyNamespace(b, caps).has_value());
        QCOMPARE(caps.mssrl, 0x0102u);
        QCOMPARE(caps.mcl, 0x01020304u);
    }

    void flbasHighBitsSelectFormatsAbove15()
    {
        std::vector<Lbaf> formats(20, Lbaf{0, 9});
        formats[17] = Lbaf{16, 12};
        // index 17 = low nibble 1, bits 6:5 = 01
        NvmeCopyCaps caps;
        QVERIFY(parseNvmeIdentifyNamespace(nameSpace(1, 1, 0, 0x21, formats), caps).has_value());
        QCOMPARE(caps.lbaBytes, 4096u);
        QCOMPARE(caps.metadataBytes, uint16_t{16});
    }

    void formatIndexBeyondNlbafIsCorrupt()
    {
        NvmeCopyCaps caps;
        caps.mssrl = 99;
        auto st = parseNvmeIdentifyNamespace(nameSpace(256, 1024, 7, 2, {{0, 9}, {0, 12}}), caps);
        QVERIFY(!st.has_value());
        QCOMPARE(st.error().code, Errc::Corrupt);
        QCOMPARE(caps.mssrl, 99u); // untouched on failure
    }

    void inactiveNamespaceIsCorrupt()
    {
        NvmeCopyCaps caps;
        auto st = parseNvmeIdentifyNamespace(Bytes(4096, 0), caps);
        QVERIFY(!st.has_value());
        QCOMPARE(st.error().code, Errc::Corrupt);
    }

    void shortNamespaceIsCorrupt()
    {
        NvmeCopyCaps caps;
        Bytes b = nameSpace(256, 1024, 7, 0, {{0, 9}});
        b.resize(384);
        auto st = parseNvmeIdentifyNamespace(b, caps);
        QVERIFY(!st.has_value());
        QCOMPARE(st.error().code, Errc::Corrupt);
    }

    void mechanismAndStatusNames()
    {
        QCOMPARE(QString(toString(CopyMechanism::None)), QString("none"));
        QCOMPARE(QString(toString(CopyMechanism::NvmeCopy)), QString("nvme-copy"));
        QCOMPARE(QString(toString(CopyMechanism::ScsiXcopy)), QString("scsi-xcopy"));
        QCOMPARE(QString(toString(ProbeStatus::Ok)), QString("ok"));
        QCOMPARE(QString(toString(ProbeStatus::NeedsRoot)), QString("needs-root"));
        QCOMPARE(QString(toString(ProbeStatus::Failed)), QString("failed"));
        QCOMPARE(QString(toString(ProbeStatus::NotApplicable)), QString("not-applicable"));
    }
};

QTEST_GUILESS_MAIN(TestNvmeIdentify)
#include "test_nvme_identify.moc"
