// SPDX-License-Identifier: GPL-2.0-or-later
// The EXTENDED COPY (LID1) parameter list, byte by byte, against SPC-4: 16-byte header,
// 32-byte CSCD identification descriptors (E4h) carrying VPD 83h NAA 6 designators, 28-byte
// block-to-block segment descriptors (02h). Big-endian throughout.
#include "copy/OffloadBackend.h"

#include <QtTest>

using namespace offload;

namespace {

std::vector<uint8_t> hex(const char* text)
{
    const QByteArray bytes = QByteArray::fromHex(QByteArray(text));
    return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

QByteArray toHex(const std::vector<uint8_t>& bytes, std::size_t from = 0, std::size_t count = std::size_t(-1))
{
    count = std::min(count, bytes.size() - from);
    return QByteArray(reinterpret_cast<const char*>(bytes.data() + from), qsizetype(count)).toHex(' ');
}

ScsiCopyCaps lun(const char* naaHex, uint32_t blockBytes = 512)
{
    ScsiCopyCaps caps;
    caps.threePC = true;
    caps.naaDesignator = hex(naaHex);
    caps.naaFormat = caps.naaDesignator.empty() ? 0 : uint8_t(caps.naaDesignator[0] >> 4);
    caps.blockBytes = blockBytes;
    return caps;
}

XcopySegment segment(uint64_t src, uint64_t dst, uint32_t blocks)
{
    XcopySegment s;
    s.srcLba = src;
    s.dstLba = dst;
    s.blocks = blocks;
    return s;
}

const char* kSrcNaa = "6001405abcdef0123456789abcdef011";
const char* kDstNaa = "6001405fedcba9876543210fedcba922";

} // namespace

class TestXcopyEncoding : public QObject {
    Q_OBJECT
private slots:
    void oneSegmentNoListIdByteExact()
    {
        auto list = encodeXcopyParameterList(lun(kSrcNaa), lun(kDstNaa), 512,
                                             {segment(0x0102030405060708ull, 0x1112131415161718ull, 0xFFFF)}, 0);
        QVERIFY2(list.has_value(), list ? "" : list.error().message().c_str());
        const auto expected = hex(
            // header: LIST ID 0, LIST ID USAGE 11b (no list id) = 0x18, CSCD list length 64,
            // reserved[4:7], segment list length 28, inline data length 0
            "00" "18" "0040" "00000000" "0000001c" "00000000"
            // CSCD 0 (source): E4h, PDT 0, RELATIVE INITIATOR PORT 0, code set binary,
            // assoc LU + type NAA, reserved, length 16, designator, 4 bytes pad of the
            // 20-byte designator field, byte 28 (PAD 0), disk block length 512
            "e4" "00" "0000" "01" "03" "00" "10" "6001405abcdef0123456789abcdef011" "00000000" "00" "000200"
            // CSCD 1 (destination)
            "e4" "00" "0000" "01" "03" "00" "10" "6001405fedcba9876543210fedcba922" "00000000" "00" "000200"
            // segment: type 02h, DC/CAT 0, length 0x0018, src index 0, dst index 1,
            // reserved, 65535 blocks, source LBA, destination LBA
            "02" "00" "0018" "0000" "0001" "0000" "ffff" "0102030405060708" "1112131415161718");
        QCOMPARE(list->size(), std::size_t(16 + 64 + 28));
        QCOMPARE(toHex(*list), toHex(expected));
    }

    void headerFieldsWithListId()
    {
        std::vector<XcopySegment> segments{segment(0, 100, 8), segment(8, 108, 16), segment(24, 124, 1)};
        auto list = encodeXcopyParameterList(lun(kSrcNaa, 4096), lun(kDstNaa, 4096), 4096, segments, 0x2a);
        QVERIFY(list.has_value());
        QCOMPARE(list->size(), std::size_t(16 + 64 + 3 * 28));
        QCOMPARE(int((*list)[0]), 0x2a);  // LIST IDENTIFIER
        QCOMPARE(int((*list)[1]), 0x10);  // STR 0, LIST ID USAGE 10b, PRIORITY 0
        QCOMPARE(toHex(*list, 2, 2), toHex(hex("0040")));
        QCOMPARE(toHex(*list, 4, 4), toHex(hex("00000000")));
        QCOMPARE(toHex(*list, 8, 4), toHex(hex("00000054")));  // 3 * 28
        QCOMPARE(toHex(*list, 12, 4), toHex(hex("00000000")));
        // disk block length 4096 in both CSCDs
        QCOMPARE(toHex(*list, 16 + 28, 4), toHex(hex("00001000")));
        QCOMPARE(toHex(*list, 48 + 28, 4), toHex(hex("00001000")));
        // the second segment, whole
        QCOMPARE(toHex(*list, 80 + 28, 28),
                 toHex(hex("02" "00" "0018" "0000" "0001" "0000" "0010" "0000000000000008" "000000000000006c")));
        // the third segment's block count
        QCOMPARE(toHex(*list, 80 + 56 + 10, 2), toHex(hex("0001")));
    }

    void refusesLunWithoutNaa6_data()
    {
        QTest::addColumn<QByteArray>("srcNaa");
        QTest::addColumn<QByteArray>("dstNaa");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("source none") << QByteArray("") << QByteArray(kDstNaa) << QString("source");
        QTest::newRow("destination NAA 5") << QByteArray(kSrcNaa) << QByteArray("5001405abcdef012")
                                           << QString("destination");
        QTest::newRow("16 bytes, not NAA 6") << QByteArray("3001405abcdef0123456789abcdef011")
                                             << QByteArray(kDstNaa) << QString("source");
    }
    void refusesLunWithoutNaa6()
    {
        QFETCH(QByteArray, srcNaa);
        QFETCH(QByteArray, dstNaa);
        QFETCH(QString, mentions);
        auto list = encodeXcopyParameterList(lun(srcNaa.constData()), lun(dstNaa.constData()), 512,
                                             {segment(0, 0, 1)}, 0);
        QVERIFY(!list.has_value());
        QCOMPARE(list.error().code, Errc::Unsupported);
        const QString what = QString::fromStdString(list.error().what);
        QVERIFY2(what.contains(mentions) && what.contains("NAA 6"), qPrintable(what));
    }

    void refusesBadSegmentsAndBlockSizes()
    {
        auto zero = encodeXcopyParameterList(lun(kSrcNaa), lun(kDstNaa), 512, {segment(0, 0, 0)}, 0);
        QVERIFY(!zero.has_value());
        QCOMPARE(zero.error().code, Errc::InvalidArgument);
        auto tooLong = encodeXcopyParameterList(lun(kSrcNaa), lun(kDstNaa), 512, {segment(0, 0, 65536)}, 0);
        QVERIFY(!tooLong.has_value());
        auto none = encodeXcopyParameterList(lun(kSrcNaa), lun(kDstNaa), 512, {}, 0);
        QVERIFY(!none.has_value());
        auto mixed = encodeXcopyParameterList(lun(kSrcNaa, 512), lun(kDstNaa, 4096), 512, {segment(0, 0, 8)}, 0);
        QVERIFY(!mixed.has_value());
        QCOMPARE(mixed.error().code, Errc::InvalidArgument);
    }

    void parsesCopyStatus()
    {
        auto st = parseXcopyCopyStatus(hex("00000008" "82" "0003" "f1" "00000400"));
        QVERIFY(st.has_value());
        QVERIFY(st->heldDataDiscarded);
        QCOMPARE(int(st->copyManagerStatus), 2);
        QCOMPARE(int(st->segmentsProcessed), 3);
        QCOMPARE(int(st->transferCountUnits), 0xf1);
        QCOMPARE(st->transferCount, 1024u);
        QVERIFY(!parseXcopyCopyStatus(hex("0000000801")).has_value());
        QVERIFY(!parseXcopyCopyStatus(hex("00000004" "01" "0000" "00" "00000000")).has_value());
    }
};

QTEST_GUILESS_MAIN(TestXcopyEncoding)
#include "test_xcopy_encoding.moc"
