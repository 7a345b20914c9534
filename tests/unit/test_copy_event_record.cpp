// SPDX-License-Identifier: GPL-2.0-or-later
// parseCopyEventRecord: the lines of `offloadcp copy --json` as the app reads them back.
#include "copy/CopyEventRecord.h"

#include <QtTest>

using namespace offload;

class TestCopyEventRecord : public QObject {
    Q_OBJECT
private slots:
    void readsCountsExactly()
    {
        // 2^53 + 1 and 2^64 - 1: no double holds either.
        const auto r = parseCopyEventRecord(
            R"({"schema_version":1,"event":"progress","bytes_total":18446744073709551615,)"
            R"("bytes_done":9007199254740993,"bytes_by_method":{"read-write":9007199254740993},"eta_seconds":null})");
        QVERIFY(r.has_value());
        QVERIFY(!r->invalid);
        QCOMPARE(r->kind, CopyEventRecord::Kind::Progress);
        QCOMPARE(r->progress.totalBytes, std::numeric_limits<uint64_t>::max());
        QCOMPARE(r->progress.doneBytes, uint64_t(9007199254740993ull));
        QCOMPARE(r->progress.bytesByMethod[methodIndex(CopyMethod::ReadWrite)], uint64_t(9007199254740993ull));
        QVERIFY(!r->progress.etaSeconds);
    }

    void refusesWhatIsNoCount_data()
    {
        QTest::addColumn<QByteArray>("line");
        QTest::addColumn<QByteArray>("field");
        QTest::newRow("negative") << QByteArray(R"({"event":"progress","bytes_done":-1})") << QByteArray("bytes_done = -1");
        QTest::newRow("2^64") << QByteArray(R"({"event":"progress","bytes_host":18446744073709551616})")
                              << QByteArray("bytes_host = ");
        QTest::newRow("fraction") << QByteArray(R"({"event":"fallback","length":4096.5})") << QByteArray("length = 4096.5");
        QTest::newRow("string") << QByteArray(R"({"event":"done","bytes_total":"8"})") << QByteArray(R"(bytes_total = "8")");
        QTest::newRow("nested") << QByteArray(R"({"event":"done","verify":{"block_size":4294967296}})")
                                << QByteArray("verify.block_size = 4294967296");
        QTest::newRow("errno") << QByteArray(R"({"event":"error","error":{"errno":2147483648}})")
                               << QByteArray("error.errno = 2147483648");
        QTest::newRow("lba") << QByteArray(R"({"event":"error","error":{"lba":-8}})") << QByteArray("error.lba = -8");
    }

    void refusesWhatIsNoCount()
    {
        QFETCH(QByteArray, line);
        QFETCH(QByteArray, field);
        const auto r = parseCopyEventRecord(std::string_view(line.constData(), std::size_t(line.size())));
        QVERIFY(r.has_value());
        QVERIFY(r->invalid.has_value());
        QCOMPARE(r->invalid->code, Errc::Corrupt);
        QVERIFY2(r->invalid->what.find(field.toStdString()) != std::string::npos, r->invalid->what.c_str());
    }

    void readsTheFinalRecord()
    {
        const auto r = parseCopyEventRecord(
            R"({"event":"error","exit_code":5,"error":{"code":"busy","message":"held by /dev/loop7p1",)"
            R"("device":"/dev/loop7","lba":null,"errno":16}})");
        QVERIFY(r && !r->invalid);
        QCOMPARE(r->kind, CopyEventRecord::Kind::Error);
        QVERIFY(!r->result.ok());
        QCOMPARE(r->result.status.error().code, Errc::Busy);
        QCOMPARE(r->result.status.error().device, std::string("/dev/loop7"));
        QCOMPARE(r->result.status.error().sysErrno, 16);
        QVERIFY(!r->result.status.error().lba);
        QVERIFY(!parseCopyEventRecord("offloadcp: not json"));
        QCOMPARE(parseCopyEventRecord(R"({"event":"start"})")->kind, CopyEventRecord::Kind::Other);
    }
};

QTEST_GUILESS_MAIN(TestCopyEventRecord)
#include "test_copy_event_record.moc"
