// SPDX-License-Identifier: GPL-2.0-or-later
// `offloadcp plan` end to end on regular files (no devices needed): JSON schema, methods,
// size suffixes, exit codes, and that nothing is written.
#include "CliRun.h"

#include <QtTest>

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

namespace {

bool writeFile(const QString& path, qint64 size, char fill)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    return file.write(QByteArray(size, fill)) == size;
}

} // namespace

class TestPlannerCli : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_source;
    QString m_destination;

    QJsonObject planJson(const QStringList& extra)
    {
        const CliRun run = runCli(QStringList{"plan", m_source, m_destination, "--json"} + extra);
        if (run.exitCode != 0)
            qWarning("exit %d: %s", run.exitCode, run.err.constData());
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(run.out, &error);
        return document.object();
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_source = m_dir.filePath("source.img");
        m_destination = m_dir.filePath("destination.img");
        QVERIFY(writeFile(m_source, 1 << 20, 'S'));
        QVERIFY(writeFile(m_destination, 4096, 'D'));
    }

    void jsonPlanForFiles()
    {
        const QJsonObject out = planJson({});
        QCOMPARE(out.value("schema_version").toInt(), 1);
        const QJsonObject plan = out.value("plan").toObject();
        QCOMPARE(plan.value("length").toInteger(), qint64(1 << 20));
        QCOMPARE(plan.value("source").toString(), QFileInfo(m_source).canonicalFilePath());
        const QJsonArray extents = out.value("extents").toArray();
        QCOMPARE(extents.size(), 1);
        // One filesystem: a reflink where it has them (offloaded), else copy_file_range,
        // which on a local filesystem is the kernel's host copy (no offload).
        const QString method = extents[0].toObject().value("method").toString();
        QVERIFY2(method == QStringLiteral("file-clone") || method == QStringLiteral("copy-file-range"),
                 qPrintable(method));
        QCOMPARE(plan.value("offloaded_share").toDouble(), method == QStringLiteral("file-clone") ? 1.0 : 0.0);
        QVERIFY(!extents[0].toObject().value("reason").toString().isEmpty());
        QVERIFY(out.value("nvme_commands").toArray().isEmpty());
        QVERIFY(out.value("warnings").isArray());
    }

    void sizeSuffixesAndUnalignedRanges()
    {
        const QJsonObject out = planJson({"--src-offset", "64K", "--dst-offset", "1s", "--length", "0x100"});
        const QJsonObject plan = out.value("plan").toObject();
        QCOMPARE(plan.value("src_offset").toInteger(), qint64(65536));
        QCOMPARE(plan.value("dst_offset").toInteger(), qint64(512));
        QCOMPARE(plan.value("length").toInteger(), qint64(256));
        // Not block aligned: no reflink, copy_file_range instead.
        QCOMPARE(out.value("extents").toArray()[0].toObject().value("method").toString(),
                 QStringLiteral("copy-file-range"));

        const QJsonObject noOffload = planJson({"--no-offload"});
        const QJsonObject extent = noOffload.value("extents").toArray()[0].toObject();
        QCOMPARE(extent.value("method").toString(), QStringLiteral("read-write"));
        QCOMPARE(extent.value("reason").toString(), QStringLiteral("no offload requested (--no-offload)"));
    }

    void textOutput()
    {
        const CliRun run = runCli({"plan", m_source, m_destination, "--length", "4K"});
        QCOMPARE(run.exitCode, 0);
        QVERIFY2(run.out.contains("METHOD"), run.out.constData());
        QVERIFY(run.out.contains("REASON"));
        QVERIFY(run.out.contains("file-clone") || run.out.contains("copy-file-range"));
        QVERIFY(run.out.contains("SHARE"));
        QVERIFY(run.out.contains(run.out.contains("file-clone") ? "100%" : " 0%"));
    }

    void errorsAndExitCodes()
    {
        CliRun run = runCli({"plan", m_source, m_destination, "--length", "12X"});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("unknown suffix"), run.err.constData());

        run = runCli({"plan", m_dir.filePath("missing.img"), m_destination});
        QCOMPARE(run.exitCode, 3);
        QVERIFY(run.err.contains("missing.img"));

        run = runCli({"plan", m_source, m_destination, "--src-offset", "2M"});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("beyond"), run.err.constData());

        run = runCli({"plan", m_source, m_source, "--dst-offset", "4K"});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("overlap"), run.err.constData());
    }

    void labFixtureJson()
    {
        const QString fixture = QStringLiteral(OFFLOADCP_FIXTURES "/lab-all");
        CliRun run = runCli({"--fixture", fixture, "plan", "lab_mix", "lab_slin", "--json"});
        QCOMPARE(run.exitCode, 0);
        QJsonObject out = QJsonDocument::fromJson(run.out).object();
        const QJsonArray extents = out.value("extents").toArray();
        QCOMPARE(extents.size(), 2);
        QCOMPARE(extents[0].toObject().value("method").toString(), QStringLiteral("read-write"));
        QCOMPARE(extents[1].toObject().value("method").toString(), QStringLiteral("scsi-xcopy"));
        QCOMPARE(extents[1].toObject().value("dst_leaf").toString(), QStringLiteral("sdb"));
        QCOMPARE(extents[1].toObject().value("dst_lba").toInteger(), qint64(2048));
        const QJsonObject segment =
            out.value("xcopy_commands").toArray()[0].toObject().value("segments").toArray()[0].toObject();
        QCOMPARE(segment.value("dst_lba").toInteger(), qint64(2048));
        QCOMPARE(segment.value("blocks").toInteger(), qint64(32768));
        QCOMPARE(out.value("plan").toObject().value("offloaded_share").toDouble(), 0.5);

        // NVMe commands: namespace-absolute LBAs through the partitions, split by MSSRL 128.
        run = runCli({"--fixture", fixture, "plan", "nvme1n1p1", "nvme1n1p2", "--length", "256K", "--json"});
        QCOMPARE(run.exitCode, 0);
        out = QJsonDocument::fromJson(run.out).object();
        const QJsonObject command = out.value("nvme_commands").toArray()[0].toObject();
        QCOMPARE(command.value("sdlba").toInteger(), qint64(34816));
        const QJsonArray ranges = command.value("ranges").toArray();
        QCOMPARE(ranges.size(), 4);
        QCOMPARE(ranges[0].toObject().value("slba").toInteger(), qint64(2048));
        QCOMPARE(ranges[3].toObject().value("blocks").toInteger(), qint64(128));
    }

    void writesNothing()
    {
        const QString fresh = m_dir.filePath("fresh.img");
        const CliRun run = runCli({"plan", m_source, fresh});
        QCOMPARE(run.exitCode, 0);
        QVERIFY(!QFile::exists(fresh));
        QFile destination(m_destination);
        QVERIFY(destination.open(QIODevice::ReadOnly));
        QCOMPARE(destination.readAll(), QByteArray(4096, 'D'));
        QFile source(m_source);
        QVERIFY(source.open(QIODevice::ReadOnly));
        QCOMPARE(source.readAll(), QByteArray(1 << 20, 'S'));
    }
};

QTEST_GUILESS_MAIN(TestPlannerCli)
#include "test_planner_cli.moc"
