// SPDX-License-Identifier: GPL-2.0-or-later
// `offloadcp report` end to end: golden outputs on every captured fixture, the JSON
// schema, device selection, exit codes and help.
//
// Each fixture directory with a sys/ tree gets expected-report.txt and
// expected-report.json beside it. To (re)generate them after a deliberate change:
//     UPDATE_EXPECTED=1 build/debug/tests/test_cli_report
// then review the diff with git.
#include "CliRun.h"

#include <QtTest>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

namespace {

/// Fixture directories that hold a captured sys/ tree.
QStringList fixtureDirs()
{
    QStringList dirs;
    const QDir root(OFFLOADCP_FIXTURES);
    for (const QString& name : root.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name))
        if (QDir(root.filePath(name) + "/sys").exists())
            dirs << root.filePath(name);
    return dirs;
}

bool updating()
{
    return qEnvironmentVariable("UPDATE_EXPECTED") == "1";
}

/// Shows the first differing line, which is what a reviewer needs.
QString firstDifference(const QByteArray& actual, const QByteArray& expected)
{
    const QList<QByteArray> a = actual.split('\n');
    const QList<QByteArray> e = expected.split('\n');
    for (qsizetype i = 0; i < std::max(a.size(), e.size()); ++i) {
        const QByteArray left = i < a.size() ? a[i] : QByteArray("<end>");
        const QByteArray right = i < e.size() ? e[i] : QByteArray("<end>");
        if (left != right)
            return QString("line %1:\n  actual:   %2\n  expected: %3").arg(i + 1).arg(QString::fromUtf8(left),
                                                                                    QString::fromUtf8(right));
    }
    return {};
}

QString firstFixture()
{
    const QStringList dirs = fixtureDirs();
    return dirs.isEmpty() ? QString() : dirs.front();
}

} // namespace

class TestCliReport : public QObject {
    Q_OBJECT
private slots:
    void golden_data()
    {
        QTest::addColumn<QString>("fixture");
        QTest::addColumn<bool>("json");
        for (const QString& dir : fixtureDirs()) {
            const QByteArray name = QDir(dir).dirName().toUtf8();
            QTest::newRow(name + " text") << dir << false;
            QTest::newRow(name + " json") << dir << true;
        }
        if (fixtureDirs().isEmpty())
            QTest::newRow("no fixtures") << QString() << false;
    }

    void golden()
    {
        QFETCH(QString, fixture);
        QFETCH(bool, json);
        if (fixture.isEmpty())
            QSKIP("no fixture with a sys/ tree under tests/fixtures yet");
        QStringList arguments{"--fixture", fixture, "report"};
        if (json)
            arguments << "--json";
        const CliRun run = runCli(arguments);
        QVERIFY2(run.exitCode == 0 || run.exitCode == 8,
                 qPrintable(QString("exit %1, stderr: %2").arg(run.exitCode).arg(QString::fromUtf8(run.err))));
        QVERIFY2(!run.out.isEmpty(), "no output");

        const QString expectedPath = fixture + (json ? "/expected-report.json" : "/expected-report.txt");
        QFile expectedFile(expectedPath);
        if (updating()) {
            QVERIFY(expectedFile.open(QIODevice::WriteOnly | QIODevice::Truncate));
            expectedFile.write(run.out);
            qInfo("updated %s", qPrintable(expectedPath));
            return;
        }
        if (!expectedFile.exists())
            QSKIP(qPrintable("no " + expectedPath + " yet: run with UPDATE_EXPECTED=1 and review it"));
        QVERIFY(expectedFile.open(QIODevice::ReadOnly));
        const QByteArray expected = expectedFile.readAll();
        QVERIFY2(run.out == expected,
                 qPrintable(expectedPath + " differs at " + firstDifference(run.out, expected)
                            + "\nIf the change is intended: UPDATE_EXPECTED=1 test_cli_report, then review the diff"));
    }

    void jsonSchema_data()
    {
        QTest::addColumn<QString>("fixture");
        for (const QString& dir : fixtureDirs())
            QTest::newRow(QDir(dir).dirName().toUtf8()) << dir;
        if (fixtureDirs().isEmpty())
            QTest::newRow("no fixtures") << QString();
    }

    void jsonSchema()
    {
        QFETCH(QString, fixture);
        if (fixture.isEmpty())
            QSKIP("no fixture with a sys/ tree under tests/fixtures yet");
        const CliRun run = runCli({"--fixture", fixture, "report", "--json"});
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(run.out, &error);
        QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
        const QJsonObject root = document.object();
        QCOMPARE(root.value("schema_version").toInt(), 1);
        QVERIFY(root.value("warnings").isArray());
        const QJsonArray devices = root.value("devices").toArray();
        QVERIFY(!devices.isEmpty());
        QSet<QString> ids;
        for (const QJsonValue& value : devices) {
            const QJsonObject device = value.toObject();
            for (const char* key : {"id", "devnum", "kind", "type", "size", "lowers", "uppers", "capability", "limits",
                                    "mechanism", "verdict", "reasons", "offloadable_share"})
                QVERIFY2(device.contains(key), qPrintable(QString("device without \"%1\"").arg(key)));
            const QString id = device.value("id").toString();
            QVERIFY2(!id.isEmpty(), "empty stable id");
            QVERIFY2(!ids.contains(id), qPrintable("duplicate stable id " + id));
            ids.insert(id);
            const QString verdict = device.value("verdict").toString();
            QVERIFY2(QStringList({"full", "partial", "none", "unknown"}).contains(verdict), qPrintable(verdict));
            if (verdict != "full")
                QVERIFY2(!device.value("reasons").toArray().isEmpty(),
                         qPrintable(id + ": verdict " + verdict + " without a reason"));
        }
        // lowers/uppers refer to devices by stable id: every reference must resolve when the
        // whole tree is shown.
        for (const QJsonValue& value : devices)
            for (const char* key : {"lowers", "uppers"})
                for (const QJsonValue& ref : value.toObject().value(key).toArray())
                    QVERIFY2(ids.contains(ref.toString()), qPrintable("dangling reference " + ref.toString()));
    }

    void partialWhenDeviceVanished()
    {
        // A copy of the synthetic fixture where sdc disappears mid-scan (its dev file is
        // gone) and xtarget's table still names it: a report with warnings and exit 8.
        const QString synthetic = QString(OFFLOADCP_FIXTURES) + "/report-synthetic";
        if (!QDir(synthetic + "/sys").exists())
            QSKIP("no report-synthetic fixture");
        QTemporaryDir temp;
        QVERIFY(temp.isValid());
        QCOMPARE(QProcess::execute("cp", {"-a", synthetic, temp.path() + "/fx"}), 0);
        const QString sdc = QFileInfo(temp.path() + "/fx/sys/class/block/sdc").canonicalFilePath();
        QVERIFY(!sdc.isEmpty());
        QVERIFY(QFile::remove(sdc + "/dev"));

        const CliRun run = runCli({"--fixture", temp.path() + "/fx", "report", "--json"});
        QCOMPARE(run.exitCode, 8);
        QVERIFY2(run.err.contains("warning: sdc disappeared during the scan"), run.err.constData());
        const QJsonObject root = QJsonDocument::fromJson(run.out).object();
        QVERIFY(root.value("warnings").toArray().contains(QJsonValue("sdc disappeared during the scan")));
        bool sawXtarget = false;
        for (const QJsonValue& value : root.value("devices").toArray()) {
            const QJsonObject device = value.toObject();
            QVERIFY(device.value("kname").toString() != "sdc");
            if (device.value("name").toString() == "xtarget") {
                sawXtarget = true;
                QCOMPARE(device.value("verdict").toString(), QString("unknown"));
            }
        }
        QVERIFY(sawXtarget);
        // The text report is still printed.
        const CliRun text = runCli({"--fixture", temp.path() + "/fx", "report"});
        QCOMPARE(text.exitCode, 8);
        QVERIFY(text.out.startsWith("NAME"));
    }

    void version()
    {
        const CliRun run = runCli({"--version"});
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(QString::fromUtf8(run.out).trimmed(), QString("offloadcp " OFFLOADCP_VERSION));
    }

    void helpListsExitCodes()
    {
        const CliRun top = runCli({"--help"});
        QCOMPARE(top.exitCode, 0);
        QVERIFY(top.out.contains("Exit codes:"));
        QVERIFY(top.out.contains("not-found"));
        QVERIFY(top.out.contains("report"));
        const CliRun report = runCli({"report", "--help"});
        QCOMPARE(report.exitCode, 0);
        QVERIFY(report.out.contains("--json"));
        QVERIFY(report.out.contains("Columns for -o"));
        QVERIFY(report.out.contains("Exit codes:"));
    }

    void usageErrors()
    {
        QCOMPARE(runCli({}).exitCode, 2);
        QCOMPARE(runCli({"report", "--no-such-option"}).exitCode, 2);
        QCOMPARE(runCli({"--fixture", "/nonexistent/fixture", "report"}).exitCode, 2);
    }

    void unknownDeviceIsNotFound()
    {
        const QString fixture = firstFixture();
        if (fixture.isEmpty())
            QSKIP("no fixture with a sys/ tree under tests/fixtures yet");
        const CliRun run = runCli({"--fixture", fixture, "report", "nosuchdevice0"});
        QCOMPARE(run.exitCode, 3);
        QVERIFY(run.out.isEmpty());
        QVERIFY2(run.err.contains("no block device 'nosuchdevice0'"), run.err.constData());
    }

    void unknownColumnIsUsageError()
    {
        const QString fixture = firstFixture();
        if (fixture.isEmpty())
            QSKIP("no fixture with a sys/ tree under tests/fixtures yet");
        const CliRun run = runCli({"--fixture", fixture, "report", "-o", "name,bogus"});
        QCOMPARE(run.exitCode, 2);
        QVERIFY(run.err.contains("unknown column 'bogus'"));
    }

    void deviceSelectsSubtree()
    {
        const QString fixture = firstFixture();
        if (fixture.isEmpty())
            QSKIP("no fixture with a sys/ tree under tests/fixtures yet");
        const CliRun all = runCli({"--fixture", fixture, "report", "--json"});
        const QJsonArray devices = QJsonDocument::fromJson(all.out).object().value("devices").toArray();
        QVERIFY(!devices.isEmpty());
        // Pick the last device: select it by stable id, by kernel name and by /dev path.
        const QJsonObject chosen = devices.last().toObject();
        const QString id = chosen.value("id").toString();
        const QString kname = chosen.value("kname").toString();
        for (const QString& spec : {id, kname, "/dev/" + kname}) {
            const CliRun one = runCli({"--fixture", fixture, "report", "--json", spec});
            QVERIFY2(one.exitCode == 0 || one.exitCode == 8, qPrintable(spec + ": " + QString::fromUtf8(one.err)));
            const QJsonObject root = QJsonDocument::fromJson(one.out).object();
            QCOMPARE(root.value("roots").toArray().size(), 1);
            QCOMPARE(root.value("roots").toArray().first().toString(), id);
            QCOMPARE(root.value("devices").toArray().first().toObject().value("id").toString(), id);
        }
        // The text form starts with the header and the chosen device's row.
        const CliRun text = runCli({"--fixture", fixture, "report", "-o", "name,verdict", kname});
        const QList<QByteArray> lines = text.out.trimmed().split('\n');
        QVERIFY(lines.size() >= 2);
        QVERIFY(lines[0].startsWith("NAME"));
        QVERIFY2(lines[1].startsWith(chosen.value("name").toString().toUtf8()), lines[1].constData());
    }

    void textAndJsonAgree()
    {
        // One field table feeds both: the VERDICT column equals the JSON verdicts in order.
        const QString fixture = firstFixture();
        if (fixture.isEmpty())
            QSKIP("no fixture with a sys/ tree under tests/fixtures yet");
        const CliRun json = runCli({"--fixture", fixture, "report", "--json"});
        const CliRun text = runCli({"--fixture", fixture, "report", "-o", "id,verdict,mechanism"});
        QHash<QString, QString> fromJson;
        for (const QJsonValue& value : QJsonDocument::fromJson(json.out).object().value("devices").toArray()) {
            const QJsonObject device = value.toObject();
            fromJson[device.value("id").toString()] =
                device.value("verdict").toString() + " " + device.value("mechanism").toString();
        }
        const QList<QByteArray> lines = text.out.trimmed().split('\n');
        QVERIFY(lines.size() >= 2);
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QStringList cells = QString::fromUtf8(lines[i]).split(' ', Qt::SkipEmptyParts);
            QCOMPARE(cells.size(), 3);
            QVERIFY2(fromJson.contains(cells[0]), qPrintable(cells[0]));
            QCOMPARE(cells[1] + " " + cells[2], fromJson.value(cells[0]));
        }
    }
};

QTEST_GUILESS_MAIN(TestCliReport)
#include "test_cli_report.moc"
