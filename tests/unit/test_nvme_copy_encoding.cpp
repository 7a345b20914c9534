// SPDX-License-Identifier: GPL-2.0-or-later
// NVMe Copy source range entries, byte by byte, against the NVM Command Set layouts:
// format 0h/2h 32 bytes, 1h/3h 40 bytes; [0:3] SNSID (2h/3h), [8:15] SLBA, [16:17] NLB
// (0's based), everything else (CETYPE, CEV, SOPT, protection fields) zero; little-endian.
#include "copy/OffloadBackend.h"

#include <QtTest>

using namespace offload;

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

NvmeSourceRange range(uint64_t slba, uint32_t blocks, uint32_t snsid = 0)
{
    NvmeSourceRange r;
    r.slba = slba;
    r.blocks = blocks;
    r.snsid = snsid;
    return r;
}

NvmeCopyStep twoRanges(uint8_t format, uint32_t snsid = 0)
{
    NvmeCopyStep step;
    step.format = format;
    step.sdlba = 0x1122334455667788ull;
    step.ranges = {range(0x0102030405060708ull, 0x100, snsid), range(0x10, 65536, snsid)};
    return step;
}

} // namespace

class TestNvmeCopyEncoding : public QObject {
    Q_OBJECT
private slots:
    void format0TwoRangesByteExact()
    {
        auto cmd = encodeNvmeCopy(7, twoRanges(0));
        QVERIFY2(cmd.has_value(), cmd ? "" : cmd.error().message().c_str());
        QCOMPARE(cmd->nsid, 7u);
        QCOMPARE(cmd->sdlba, 0x1122334455667788ull);
        QCOMPARE(int(cmd->format), 0);
        QCOMPARE(int(cmd->nr), 1); // two ranges, 0's based
        const auto expected = hex(
            // entry 0: reserved[0:7], SLBA[8:15] LE, NLB[16:17] = 0x00FF, zero[18:31]
            "0000000000000000" "0807060504030201" "ff00" "0000000000000000000000000000"
            // entry 1: SLBA 0x10, NLB 0xFFFF (65536 blocks)
            "0000000000000000" "1000000000000000" "ffff" "0000000000000000000000000000");
        QCOMPARE(cmd->descriptors.size(), std::size_t(64));
        QCOMPARE(toHex(cmd->descriptors), toHex(expected));
    }

    void format1EntriesAre40Bytes()
    {
        auto cmd = encodeNvmeCopy(1, twoRanges(1));
        QVERIFY(cmd.has_value());
        QCOMPARE(int(cmd->format), 1);
        const auto expected = hex(
            // [0:7] reserved, [8:15] SLBA, [16:17] NLB, [18:25] CETYPE/CEV/reserved,
            // [26:35] ELBT, [36:37] ELBAT, [38:39] ELBATM: all zero
            "0000000000000000" "0807060504030201" "ff00" "0000000000000000" "00000000000000000000" "0000" "0000"
            "0000000000000000" "1000000000000000" "ffff" "0000000000000000" "00000000000000000000" "0000" "0000");
        QCOMPARE(cmd->descriptors.size(), std::size_t(80));
        QCOMPARE(toHex(cmd->descriptors), toHex(expected));
    }

    void format2CarriesSnsid()
    {
        auto cmd = encodeNvmeCopy(2, twoRanges(2, 0x11223344));
        QVERIFY(cmd.has_value());
        QCOMPARE(int(cmd->format), 2);
        const auto expected = hex(
            // [0:3] SNSID LE, [4:7] reserved, [8:15] SLBA, [16:17] NLB, [18] CETYPE,
            // [19] reserved, [20:21] CEV, [22:23] SOPT, [24:31] protection: zero
            "44332211" "00000000" "0807060504030201" "ff00" "00" "00" "0000" "0000" "0000000000000000"
            "44332211" "00000000" "1000000000000000" "ffff" "00" "00" "0000" "0000" "0000000000000000");
        QCOMPARE(cmd->descriptors.size(), std::size_t(64));
        QCOMPARE(toHex(cmd->descriptors), toHex(expected));
    }

    void format3CarriesSnsidIn40Bytes()
    {
        NvmeCopyStep step;
        step.format = 3;
        step.sdlba = 5;
        step.ranges = {range(0xAABB, 1, 3)};
        auto cmd = encodeNvmeCopy(1, step);
        QVERIFY(cmd.has_value());
        QCOMPARE(int(cmd->nr), 0);
        QCOMPARE(cmd->sdlba, 5ull);
        const auto expected = hex("03000000" "00000000" "bbaa000000000000" "0000" "00" "00" "0000" "0000"
                                  "0000" "00000000000000000000" "0000" "0000");
        QCOMPARE(cmd->descriptors.size(), std::size_t(40));
        QCOMPARE(toHex(cmd->descriptors), toHex(expected));
    }

    void nrIsZerosBasedUpTo256Ranges()
    {
        NvmeCopyStep step;
        for (uint32_t i = 0; i < 256; ++i)
            step.ranges.push_back(range(i * 8, 8));
        auto cmd = encodeNvmeCopy(1, step);
        QVERIFY(cmd.has_value());
        QCOMPARE(int(cmd->nr), 255);
        QCOMPARE(cmd->descriptors.size(), std::size_t(256 * 32));
        // the last entry's SLBA (255 * 8 = 0x7F8) and NLB (7)
        QCOMPARE(int(cmd->descriptors[255 * 32 + 8]), 0xF8);
        QCOMPARE(int(cmd->descriptors[255 * 32 + 9]), 0x07);
        QCOMPARE(int(cmd->descriptors[255 * 32 + 16]), 7);
        QCOMPARE(int(cmd->descriptors[255 * 32 + 17]), 0);

        step.ranges.push_back(range(4096, 8));
        QVERIFY(!encodeNvmeCopy(1, step).has_value());
    }

    void rejectsImpossibleCommands_data()
    {
        QTest::addColumn<int>("format");
        QTest::addColumn<uint>("blocks");
        QTest::addColumn<uint>("snsid");
        QTest::addColumn<uint>("nsid");
        QTest::newRow("zero blocks") << 0 << 0u << 0u << 1u;
        QTest::newRow("65537 blocks") << 0 << 65537u << 0u << 1u;
        QTest::newRow("format 4") << 4 << 8u << 0u << 1u;
        QTest::newRow("nsid 0") << 0 << 8u << 0u << 0u;
        QTest::newRow("format 2 without snsid") << 2 << 8u << 0u << 1u;
        QTest::newRow("format 0 from another namespace") << 0 << 8u << 2u << 1u;
        QTest::newRow("format 1 from another namespace") << 1 << 8u << 2u << 1u;
    }
    void rejectsImpossibleCommands()
    {
        QFETCH(int, format);
        QFETCH(uint, blocks);
        QFETCH(uint, snsid);
        QFETCH(uint, nsid);
        NvmeCopyStep step;
        step.format = uint8_t(format);
        step.ranges = {range(0, blocks, snsid)};
        auto cmd = encodeNvmeCopy(nsid, step);
        QVERIFY(!cmd.has_value());
        QCOMPARE(cmd.error().code, Errc::InvalidArgument);
    }

    void rejectsNoRanges()
    {
        QVERIFY(!encodeNvmeCopy(1, NvmeCopyStep{}).has_value());
    }

    void format0AcceptsOwnNsidAsSource()
    {
        NvmeCopyStep step;
        step.ranges = {range(9, 1, 4)};
        auto cmd = encodeNvmeCopy(4, step);
        QVERIFY(cmd.has_value());
        // formats 0/1 have no SNSID field: bytes 0-3 stay reserved (zero)
        QCOMPARE(toHex(cmd->descriptors),
                 toHex(hex("0000000000000000" "0900000000000000" "0000" "0000000000000000000000000000")));
    }
};

QTEST_GUILESS_MAIN(TestNvmeCopyEncoding)
#include "test_nvme_copy_encoding.moc"
