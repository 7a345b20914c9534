// SPDX-License-Identifier: GPL-2.0-or-later
// `dmsetup table` parsing and the table sources.
#include "topology/Topology.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace offload;

class TestDmTable : public QObject {
    Q_OBJECT
private slots:
    void parsesMultiDeviceOutput()
    {
        const char* text = "vg-lv: 0 2048 linear 259:0 2048\n"
                           "vg-lv: 2048 4096 linear 8:16 0\n"
                           "st: 0 65536 striped 2 128 259:0 8192 259:1 8192\n"
                           "secret: 0 1024 crypt aes-xts-plain64 :64:logon:cryptsetup:k 0 253:0 4096 1 allow_discards\n"
                           "empty: \n"
                           "zeros: 0 100 zero \n";
        auto parsed = parseDmsetupTable(text);
        QVERIFY2(parsed.has_value(), parsed ? "" : parsed.error().message().c_str());
        QCOMPARE(parsed->size(), std::size_t(6));
        QCOMPARE((*parsed)[0].first, std::string("vg-lv"));
        QCOMPARE((*parsed)[0].second, (DmSegment{0, 2048, "linear", "259:0 2048"}));
        QCOMPARE((*parsed)[1].second, (DmSegment{2048, 4096, "linear", "8:16 0"}));
        QCOMPARE((*parsed)[2].second.params, std::string("2 128 259:0 8192 259:1 8192"));
        QCOMPARE((*parsed)[3].second.target, std::string("crypt"));
        QCOMPARE((*parsed)[3].second.params,
                 std::string("aes-xts-plain64 :64:logon:cryptsetup:k 0 253:0 4096 1 allow_discards"));
        QCOMPARE((*parsed)[4].first, std::string("empty"));
        QVERIFY((*parsed)[4].second.target.empty());
        QCOMPARE((*parsed)[5].second, (DmSegment{0, 100, "zero", ""}));
    }

    void noDevices()
    {
        auto parsed = parseDmsetupTable("No devices found\n");
        QVERIFY(parsed.has_value());
        QVERIFY(parsed->empty());
        QVERIFY(parseDmsetupTable("").value().empty());
    }

    void rejectsGarbage_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("no colon") << "vg-lv 0 2048 linear 8:0 0";
        QTest::newRow("bad start") << "vg-lv: x 2048 linear 8:0 0";
        QTest::newRow("bad length") << "vg-lv: 0 -5 linear 8:0 0";
        QTest::newRow("no target") << "vg-lv: 0 2048";
        QTest::newRow("no name") << ": 0 2048 linear 8:0 0";
    }
    void rejectsGarbage()
    {
        QFETCH(QString, text);
        auto parsed = parseDmsetupTable(text.toStdString());
        QVERIFY(!parsed.has_value());
        QCOMPARE(parsed.error().code, Errc::Corrupt);
        QVERIFY(parsed.error().what.find("line 1") != std::string::npos);
    }

    void textSourceLooksUpByName()
    {
        QTemporaryDir dir;
        const auto file = std::filesystem::path(dir.path().toStdString()) / "dmsetup-table.txt";
        std::ofstream(file) << "a: 0 8 linear 7:0 0\na: 8 8 linear 7:1 0\nb: \n";
        auto source = makeDmsetupTextSource(file);
        QVERIFY(source->unavailableReason().empty());
        auto a = source->table({253, 0}, "a");
        QVERIFY(a.has_value());
        QCOMPARE(a->size(), std::size_t(2));
        QCOMPARE((*a)[1].params, std::string("7:1 0"));
        auto b = source->table({253, 1}, "b");
        QVERIFY(b.has_value());
        QVERIFY(b->empty());
        auto c = source->table({253, 2}, "c");
        QVERIFY(!c.has_value());
        QCOMPARE(c.error().code, Errc::NotFound);
    }

    void textSourceWithoutFile()
    {
        auto source = makeDmsetupTextSource("/nonexistent/dmsetup-table.txt");
        QVERIFY(!source->unavailableReason().empty());
        QVERIFY(!source->table({253, 0}, "a").has_value());
    }

    void libDmSourceReportsAbsenceQuietly()
    {
        // On a kernel without device-mapper the source must say so; with it, a
        // nonexistent minor must be an error, never a crash.
        auto source = makeLibDmTableSource();
        const bool hasDm = QFile::exists("/dev/mapper/control");
        if (!hasDm && source->unavailableReason().empty())
            QSKIP("device-mapper registered but no control node");
        if (!source->unavailableReason().empty()) {
            QCOMPARE(source->unavailableReason(), std::string("no device-mapper in this kernel"));
            QVERIFY(!source->table({253, 0}, "x").has_value());
        } else {
            QVERIFY(!source->table({253, 1048000}, "").has_value());
        }
    }
};

QTEST_GUILESS_MAIN(TestDmTable)
#include "test_dmtable.moc"
