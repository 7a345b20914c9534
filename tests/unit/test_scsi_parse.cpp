// SPDX-License-Identifier: GPL-2.0-or-later
// INQUIRY, VPD 0x80 / 0x83 and RECEIVE COPY OPERATING PARAMETERS parsing, with buffers
// built at the byte offsets of SPC-4.
#ifndef Q_MOC_RUN // moc 6.4 cannot parse the C++23 library headers
#include "capability/Capability.h"
#endif

#include <QtTest>

#include <algorithm>

using namespace offload;

namespace {

using Bytes = std::vector<uint8_t>;

void putBe16(Bytes& b, std::size_t at, uint16_t v)
{
    b[at] = static_cast<uint8_t>(v >> 8);
    b[at + 1] = static_cast<uint8_t>(v);
}

void putBe32(Bytes& b, std::size_t at, uint32_t v)
{
    for (int i = 0; i < 4; ++i)
        b[at + static_cast<std::size_t>(i)] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

/// One designation descriptor: code set, association, type, designator bytes.
Bytes designator(uint8_t codeSet, uint8_t association, uint8_t type, const Bytes& id)
{
    Bytes d = {codeSet, static_cast<uint8_t>((association << 4) | type), 0,
               static_cast<uint8_t>(id.size())};
    d.insert(d.end(), id.begin(), id.end());
    return d;
}

/// A VPD 0x83 page holding `descriptors`.
Bytes vpd83(const std::vector<Bytes>& descriptors)
{
    Bytes page = {0x00, 0x83, 0, 0};
    for (const auto& d : descriptors)
        page.insert(page.end(), d.begin(), d.end());
    putBe16(page, 2, static_cast<uint16_t>(page.size() - 4));
    return page;
}

const Bytes kNaa6 = {0x60, 0x01, 0x40, 0x5a, 0xbc, 0xde, 0xf0, 0x12,
                     0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x01};
const Bytes kNaa5 = {0x50, 0x00, 0xc5, 0x00, 0x11, 0x22, 0x33, 0x44};

/// RECEIVE COPY OPERATING PARAMETERS data as SPC-4 lays it out.
Bytes rcop(uint16_t cscd, uint16_t segments, uint32_t listLength, uint32_t segmentLength,
           uint32_t inlineData, const Bytes& codes)
{
    Bytes b(44 + codes.size(), 0);
    putBe32(b, 0, static_cast<uint32_t>(b.size() - 4));
    b[4] = 0x01; // SNLID
    putBe16(b, 8, cscd);
    putBe16(b, 10, segments);
    putBe32(b, 12, listLength);
    putBe32(b, 16, segmentLength);
    putBe32(b, 20, inlineData);
    b[43] = static_cast<uint8_t>(codes.size());
    std::copy(codes.begin(), codes.end(), b.begin() + 44);
    return b;
}

} // namespace

class TestScsiParse : public QObject {
    Q_OBJECT
private slots:
    void inquiry3pc()
    {
        Bytes inq(36, 0);
        inq[4] = 31;
        inq[5] = 0x08;
        ScsiCopyCaps caps;
        QVERIFY(parseScsiInquiry(inq, caps).has_value());
        QVERIFY(caps.threePC);

        inq[5] = 0xf7; // every bit but 3PC
        QVERIFY(parseScsiInquiry(inq, caps).has_value());
        QVERIFY(!caps.threePC);

        inq[5] = 0;
        inq[4] = 0x08; // 3PC's bit in the wrong byte
        inq[6] = 0x08;
        QVERIFY(parseScsiInquiry(inq, caps).has_value());
        QVERIFY(!caps.threePC);
    }

    void shortInquiryIsCorrupt()
    {
        ScsiCopyCaps caps;
        auto st = parseScsiInquiry(Bytes{0, 0, 5, 2, 31}, caps);
        QVERIFY(!st.has_value());
        QCOMPARE(st.error().code, Errc::Corrupt);
    }

    void prefersNaa6LogicalUnit()
    {
        const Bytes t10 = {'L', 'I', 'O', '-', 'O', 'R', 'G', ' ', 'a', 'b', 'c'};
        const Bytes port6 = {0x6f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
        Bytes page = vpd83({
            designator(2, 0, 1, t10),    // T10 vendor id, ASCII
            designator(1, 0, 3, kNaa5),  // NAA 5, logical unit
            designator(1, 1, 3, port6),  // NAA 6 of the target port: not the LU
            designator(1, 0, 3, kNaa6),  // NAA 6, logical unit
        });
        ScsiCopyCaps caps;
        QVERIFY(parseScsiDeviceIdVpd(page, caps).has_value());
        QCOMPARE(caps.naaFormat, uint8_t{6});
        QCOMPARE(caps.naaDesignator, kNaa6);
    }

    void naa5WhenNoNaa6()
    {
        ScsiCopyCaps caps;
        QVERIFY(parseScsiDeviceIdVpd(vpd83({designator(1, 0, 3, kNaa5)}), caps).has_value());
        QCOMPARE(caps.naaFormat, uint8_t{5});
        QCOMPARE(caps.naaDesignator, kNaa5);
    }

    void noLogicalUnitNaa()
    {
        const Bytes eui = {1, 2, 3, 4, 5, 6, 7, 8};
        ScsiCopyCaps caps;
        caps.naaDesignator = kNaa5; // stale value must go
        caps.naaFormat = 5;
        QVERIFY(parseScsiDeviceIdVpd(vpd83({designator(1, 0, 2, eui), designator(1, 1, 3, kNaa6)}), caps)
                    .has_value());
        QVERIFY(caps.naaDesignator.empty());
        QCOMPARE(caps.naaFormat, uint8_t{0});
    }

    void naaWithWrongLengthIsIgnored()
    {
        Bytes shortNaa6(kNaa6.begin(), kNaa6.begin() + 8);
        ScsiCopyCaps caps;
        QVERIFY(parseScsiDeviceIdVpd(vpd83({designator(1, 0, 3, shortNaa6)}), caps).has_value());
        QVERIFY(caps.naaDesignator.empty());
    }

    void truncatedVpd83IsCorrupt()
    {
        Bytes page = vpd83({designator(1, 0, 3, kNaa6)});
        ScsiCopyCaps caps;

        Bytes cut = page;
        cut.resize(cut.size() - 1); // page length promises one byte more
        auto st = parseScsiDeviceIdVpd(cut, caps);
        QVERIFY(!st.has_value());
        QCOMPARE(st.error().code, Errc::Corrupt);

        Bytes overrun = page;
        overrun[4 + 3] = 17; // designator length past the page end
        st = parseScsiDeviceIdVpd(overrun, caps);
        QVERIFY(!st.has_value());
        QCOMPARE(st.error().code, Errc::Corrupt);

        Bytes wrongPage = page;
        wrongPage[1] = 0x80;
        QVERIFY(!parseScsiDeviceIdVpd(wrongPage, caps).has_value());
        QVERIFY(!parseScsiDeviceIdVpd(Bytes{0, 0x83}, caps).has_value());
    }

    void lioLikeOperatingParameters()
    {
        ScsiCopyCaps caps;
        auto st = parseScsiCopyOperatingParameters(rcop(2, 1, 1024, 256u << 20, 0, {0x02, 0xe4}), caps);
        QVERIFY(st.has_value());
        QVERIFY(caps.rcopKnown);
        QVERIFY(caps.supportsNoListId);
        QCOMPARE(caps.maxCscdDescriptors, uint16_t{2});
        QCOMPARE(caps.maxSegmentDescriptors, uint16_t{1});
        QCOMPARE(caps.maxDescriptorListLength, 1024u);
        QCOMPARE(caps.maxSegmentLength, 268435456u);
        QCOMPARE(caps.maxInlineData, 0u);
        QCOMPARE(caps.supportedDescriptorCodes, (Bytes{0x02, 0xe4}));
    }

    void operatingParametersAreBigEndian()
    {
        ScsiCopyCaps caps;
        QVERIFY(parseScsiCopyOperatingParameters(rcop(0x0102, 0x0304, 0x05060708, 0x090a0b0c, 0x0d0e0f10, {}),
                                                 caps)
                    .has_value());
        QCOMPARE(caps.maxCscdDescriptors, uint16_t{0x0102});
        QCOMPARE(caps.maxSegmentDescriptors, uint16_t{0x0304});
        QCOMPARE(caps.maxDescriptorListLength, 0x05060708u);
        QCOMPARE(caps.maxSegmentLength, 0x090a0b0cu);
        QCOMPARE(caps.maxInlineData, 0x0d0e0f10u);
        QVERIFY(caps.supportedDescriptorCodes.empty());

        ScsiCopyCaps other;
        Bytes noSnlid = rcop(2, 1, 1024, 1, 0, {});
        noSnlid[4] = 0xfe; // every bit of byte 4 but SNLID
        QVERIFY(parseScsiCopyOperatingParameters(noSnlid, other).has_value());
        QVERIFY(!other.supportsNoListId);
    }

    void truncatedOperatingParametersAreCorrupt()
    {
        ScsiCopyCaps caps;
        Bytes full = rcop(2, 1, 1024, 256u << 20, 0, {0x02, 0xe4});

        Bytes cut = full;
        cut.resize(43);
        auto st = parseScsiCopyOperatingParameters(cut, caps);
        QVERIFY(!st.has_value());
        QCOMPARE(st.error().code, Errc::Corrupt);
        QVERIFY(!caps.rcopKnown);

        Bytes listCut = full;
        listCut.resize(45); // the list says 2 codes, 1 arrived
        QVERIFY(!parseScsiCopyOperatingParameters(listCut, caps).has_value());

        Bytes smallAvailable = full;
        putBe32(smallAvailable, 0, 20);
        QVERIFY(!parseScsiCopyOperatingParameters(smallAvailable, caps).has_value());
        QVERIFY(!caps.rcopKnown);
    }

    void unitSerial()
    {
        Bytes page = {0x00, 0x80, 0x00, 0x0a, ' ', 'S', 'E', 'R', 'I', 'A', 'L', '4', '2', ' '};
        ScsiCopyCaps caps;
        QVERIFY(parseScsiUnitSerialVpd(page, caps).has_value());
        QCOMPARE(caps.unitSerial, std::string("SERIAL42"));
        page[3] = 0x20;
        auto st = parseScsiUnitSerialVpd(page, caps);
        QVERIFY(!st.has_value());
        QCOMPARE(st.error().code, Errc::Corrupt);
    }
};

QTEST_GUILESS_MAIN(TestScsiParse)
#include "test_scsi_parse.moc"
