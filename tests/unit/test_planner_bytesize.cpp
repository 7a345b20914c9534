// SPDX-License-Identifier: GPL-2.0-or-later
// Sizes and offsets as users type them for `offloadcp plan` / `copy`.
#ifndef Q_MOC_RUN // moc 6.4 cannot parse the C++23 library headers
#include "util/ByteSize.h"
#endif

#include <QtTest>

using namespace offload;

class TestPlannerByteSize : public QObject {
    Q_OBJECT

private slots:
    void accepted_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<quint64>("bytes");
        QTest::newRow("plain") << "4096" << quint64(4096);
        QTest::newRow("zero") << "0" << quint64(0);
        QTest::newRow("bytes") << "512B" << quint64(512);
        QTest::newRow("K") << "64K" << quint64(64 * 1024);
        QTest::newRow("k lower") << "64k" << quint64(64 * 1024);
        QTest::newRow("KiB") << "4KiB" << quint64(4096);
        QTest::newRow("KB decimal") << "4KB" << quint64(4000);
        QTest::newRow("M") << "1M" << quint64(1 << 20);
        QTest::newRow("MiB") << "3MiB" << quint64(3 << 20);
        QTest::newRow("MB") << "1MB" << quint64(1000000);
        QTest::newRow("G") << "2G" << quint64(2ull << 30);
        QTest::newRow("gib") << "1gib" << quint64(1ull << 30);
        QTest::newRow("GB") << "1GB" << quint64(1000000000ull);
        QTest::newRow("T") << "1T" << quint64(1ull << 40);
        QTest::newRow("TB") << "2TB" << quint64(2000000000000ull);
        QTest::newRow("P") << "1P" << quint64(1ull << 50);
        QTest::newRow("sectors") << "2048s" << quint64(2048 * 512);
        QTest::newRow("hex") << "0x1000" << quint64(4096);
        QTest::newRow("max") << "18446744073709551615" << quint64(18446744073709551615ull);
    }
    void accepted()
    {
        QFETCH(QString, text);
        QFETCH(quint64, bytes);
        const auto value = parseByteSize(text.toStdString());
        QVERIFY2(value, value ? "" : value.error().message().c_str());
        QCOMPARE(quint64(*value), bytes);
    }

    void refused_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("empty") << "";
        QTest::newRow("negative") << "-1";
        QTest::newRow("letters") << "abc";
        QTest::newRow("unknown suffix") << "4X";
        QTest::newRow("space") << "4 K";
        QTest::newRow("fraction") << "1.5G";
        QTest::newRow("hex with suffix") << "0x10K";
        QTest::newRow("overflow digits") << "18446744073709551616";
        QTest::newRow("overflow suffix") << "20000000P";
        QTest::newRow("bare 0x") << "0x";
    }
    void refused()
    {
        QFETCH(QString, text);
        const auto value = parseByteSize(text.toStdString());
        QVERIFY(!value);
        QCOMPARE(value.error().code, Errc::InvalidArgument);
        QVERIFY(!value.error().what.empty());
    }
};

QTEST_GUILESS_MAIN(TestPlannerByteSize)
#include "test_planner_bytesize.moc"
