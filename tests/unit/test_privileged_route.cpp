// SPDX-License-Identifier: GPL-2.0-or-later
// The privileged route: the CLI run with PKEXEC_UID set, as pkexec runs it for the desktop
// app. Every refused form exits 4 with "refused through pkexec" and leaves every file and
// device as it was; the app's own forms (report --json, plan and copy between block devices
// by /dev path or stable id) still work. Loop-device cases need root and skip otherwise.
// The last cases call PrivilegedRoute directly for what only a race would show: the
// endpoint a command resolved must be the device the checked path named.
#ifndef Q_MOC_RUN // moc 6.4 cannot parse the C++23 library headers
#include "PrivilegedRoute.h"
#include "capability/Scan.h"
#endif
#include "CliRun.h"
#include "LoopDevice.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <string>

using offload::testing::LoopDevice;

namespace {

const QStringList kPkexec{QStringLiteral("PKEXEC_UID=1000")};
constexpr qint64 kDeviceBytes = 1 << 20;

CliRun runPrivileged(const QStringList& arguments)
{
    return runCli(arguments, kPkexec);
}

QByteArray readAll(const QString& path, qint64 limit = kDeviceBytes)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.read(limit);
}

bool writeFile(const QString& path, const QByteArray& data)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(data) == data.size();
}

/// A pattern that differs from block to block, so a copy is visible anywhere.
QByteArray pattern(char seed)
{
    QByteArray data(kDeviceBytes, Qt::Uninitialized);
    for (qint64 i = 0; i < data.size(); ++i)
        data[i] = static_cast<char>(seed + (i / 512) * 7 + i % 13);
    return data;
}

} // namespace

class TestPrivilegedRoute : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir{QStringLiteral("/var/tmp/offloadcp-privroute.XXXXXX")};
    QByteArray m_sourceData = pattern(1);
    std::unique_ptr<LoopDevice> m_source;      ///< holds m_sourceData
    std::unique_ptr<LoopDevice> m_destination; ///< zeroed before each test
    QString m_src;
    QString m_dst;

    void verifyRefused(const CliRun& run, const char* what)
    {
        if (run.exitCode != 4)
            qWarning("stdout: %s\nstderr: %s", run.out.constData(), run.err.constData());
        QCOMPARE(run.exitCode, 4);
        // On stderr, or (refused once the devices are read) in copy --json's error record,
        // which is then the only thing on stdout.
        QByteArray message = run.err;
        if (!run.out.isEmpty()) {
            const QJsonObject record = QJsonDocument::fromJson(run.out.trimmed()).object();
            QCOMPARE(record.value("event").toString(), QStringLiteral("error"));
            QCOMPARE(record.value("exit_code").toInt(), 4);
            message += record.value("error").toObject().value("message").toString().toUtf8();
        }
        QVERIFY2(message.contains("refused through pkexec"), message.constData());
        QVERIFY2(message.contains(what), message.constData());
    }
    void needLoops()
    {
        if (m_src.isEmpty() || m_dst.isEmpty())
            QSKIP("needs root and two free loop devices");
    }
    void verifyDestinationUntouched()
    {
        if (!m_dst.isEmpty())
            QVERIFY2(readAll(m_dst) == QByteArray(kDeviceBytes, '\0'), "the destination device was written");
    }
    QString file(const char* name) const { return m_dir.filePath(QString::fromLatin1(name)); }
    QString stableIdOf(const QString& device)
    {
        const CliRun run = runCli({"report", "--json", device});
        const QJsonArray devices = QJsonDocument::fromJson(run.out).object().value("devices").toArray();
        return devices.isEmpty() ? QString() : devices.first().toObject().value("id").toString();
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        if (::geteuid() != 0)
            return; // the loop-device cases skip
        QVERIFY(writeFile(file("src.img"), m_sourceData));
        QVERIFY(writeFile(file("dst.img"), QByteArray(kDeviceBytes, '\0')));
        m_source = std::make_unique<LoopDevice>(file("src.img").toStdString());
        m_destination = std::make_unique<LoopDevice>(file("dst.img").toStdString());
        m_src = QString::fromStdString(m_source->path);
        m_dst = QString::fromStdString(m_destination->path);
    }

    void init()
    {
        if (!m_dst.isEmpty())
            QVERIFY(writeFile(m_dst, QByteArray(kDeviceBytes, '\0')));
    }

    // --- refused: files ---

    void refusesANewFileDestination()
    {
        needLoops();
        const QString target = file("new.img");
        const CliRun run = runPrivileged({"copy", "--json", "--cancel-on-stdin", "--", m_src, target});
        verifyRefused(run, "not a block device");
        QVERIFY2(!QFileInfo::exists(target), "the destination file was created");
    }

    void refusesAnExistingFileDestination()
    {
        needLoops();
        const QString target = file("existing.img");
        QVERIFY(writeFile(target, "keep me"));
        const CliRun run = runPrivileged({"copy", "--json", "--", m_src, target});
        verifyRefused(run, "the destination is a regular file");
        QCOMPARE(readAll(target), QByteArray("keep me"));
        // plan is refused the same way (it reads the file as root).
        verifyRefused(runPrivileged({"plan", "--json", "--", m_src, target}), "the destination is a regular file");
    }

    void refusesAFileSource()
    {
        needLoops();
        const QString source = file("source.img");
        QVERIFY(writeFile(source, QByteArray(kDeviceBytes, 'x')));
        const CliRun run = runPrivileged({"copy", "--json", "--", source, m_dst});
        verifyRefused(run, "the source is a regular file");
        verifyDestinationUntouched();
    }

    void refusesASymlinkToAFile()
    {
        needLoops();
        const QString victim = file("root-only.txt");
        QVERIFY(writeFile(victim, "secret"));
        const QString link = file("link-to-file");
        QVERIFY(QFile::link(victim, link));
        const CliRun run = runPrivileged({"copy", "--json", "--", m_src, link});
        verifyRefused(run, "the destination is a regular file (after following links)");
        QCOMPARE(readAll(victim), QByteArray("secret"));
        // A dangling link into a folder: the file it names is not created either.
        const QString dangling = file("link-to-nothing");
        QVERIFY(QFile::link(file("created-through-link.img"), dangling));
        verifyRefused(runPrivileged({"copy", "--json", "--", m_src, dangling}), "not a block device");
        QVERIFY(!QFileInfo::exists(file("created-through-link.img")));
    }

    void refusesProcFiles()
    {
        needLoops();
        verifyRefused(runPrivileged({"copy", "--json", "--", "/proc/self/status", m_dst}),
                      "the source is a regular file");
        verifyDestinationUntouched();
        verifyRefused(runPrivileged({"plan", "--json", "--", m_src, "/proc/self/status"}),
                      "the destination is a regular file");
    }

    void refusesOtherNonBlockEndpoints()
    {
        needLoops();
        verifyRefused(runPrivileged({"copy", "--json", "--", "/dev/zero", m_dst}), "a character device");
        verifyDestinationUntouched();
        verifyRefused(runPrivileged({"copy", "--json", "--", m_src, m_dir.path()}), "a directory");
    }

    // --- refused: options, subcommands, argument shapes ---

    void refusesFixture()
    {
        const QString fixture = QStringLiteral(OFFLOADCP_FIXTURES "/lab-all");
        verifyRefused(runPrivileged({"--fixture", fixture, "report", "--json"}), "the first argument must be");
        verifyRefused(runPrivileged({"report", "--json", "--fixture", fixture}), "--fixture: refused");
        verifyRefused(runPrivileged({"plan", "--fixture", fixture, "--json", "--", "lab_mix", "lab_slin"}),
                      "--fixture: refused");
    }

    void refusesForce()
    {
        needLoops();
        verifyRefused(runPrivileged({"copy", "--json", "--force", "--", m_src, m_dst}), "--force: refused");
        verifyDestinationUntouched();
    }

    void refusesOtherOptionsAndSubcommands_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("message");
        QTest::newRow("no arguments") << QStringList{} << "no subcommand";
        QTest::newRow("--version") << QStringList{"--version"} << "the first argument must be";
        QTest::newRow("--help") << QStringList{"--help"} << "the first argument must be";
        QTest::newRow("unknown subcommand") << QStringList{"scan", "--json"} << "the first argument must be";
        QTest::newRow("report without --json") << QStringList{"report"} << "--json is required";
        QTest::newRow("report --all") << QStringList{"report", "--json", "--all"} << "--all: refused";
        QTest::newRow("report -o") << QStringList{"report", "--json", "-o", "name"} << "-o: refused";
        QTest::newRow("report --json=x") << QStringList{"report", "--json=true"} << "--json=true: refused";
        QTest::newRow("copy --io-depth") << QStringList{"copy", "--json", "--io-depth", "4", "--", "a", "b"}
                                         << "--io-depth: refused";
        QTest::newRow("copy --length") << QStringList{"copy", "--json", "--length", "1M", "--", "a", "b"}
                                       << "--length: refused";
        QTest::newRow("copy --dst-offset=") << QStringList{"copy", "--json", "--dst-offset=4K", "--", "a", "b"}
                                            << "--dst-offset=4K: refused";
        QTest::newRow("plan --commands") << QStringList{"plan", "--json", "--commands", "--", "a", "b"}
                                         << "--commands: refused";
        QTest::newRow("plan --verify") << QStringList{"plan", "--json", "--verify", "--", "a", "b"}
                                       << "--verify: refused";
        QTest::newRow("unknown option") << QStringList{"copy", "--json", "--bogus", "--", "a", "b"}
                                        << "--bogus: refused";
    }
    void refusesOtherOptionsAndSubcommands()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, message);
        verifyRefused(runPrivileged(arguments), message.toUtf8().constData());
    }

    void refusesExtraOrMisplacedArguments()
    {
        needLoops();
        verifyRefused(runPrivileged({"copy", "--json", "--", m_src, m_dst, file("extra.img")}),
                      "3 arguments after `--`, expected SRC DST");
        verifyRefused(runPrivileged({"copy", "--json", "--", m_src}), "1 arguments after `--`");
        verifyRefused(runPrivileged({"copy", "--json", m_src, m_dst}), "argument not allowed here");
        verifyRefused(runPrivileged({"copy", "--json", "--", m_src, m_dst, "--force"}), "3 arguments after `--`");
        verifyDestinationUntouched();
        QVERIFY(!QFileInfo::exists(file("extra.img")));
    }

    // --- allowed: the app's forms ---

    void allowsReport()
    {
        const CliRun run = runPrivileged({"report", "--json"});
        QVERIFY2(run.exitCode == 0 || run.exitCode == 8, run.err.constData());
        QVERIFY(QJsonDocument::fromJson(run.out).object().contains("devices"));
        if (!m_src.isEmpty()) {
            const CliRun one = runPrivileged({"report", "--json", "--", m_src});
            QVERIFY2(one.exitCode == 0 || one.exitCode == 8, one.err.constData());
        }
    }

    void allowsPlanBetweenDevices()
    {
        needLoops();
        const CliRun run = runPrivileged({"plan", "--json", "--", m_src, m_dst});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(QJsonDocument::fromJson(run.out).object().value("plan").toObject().value("length").toInteger(),
                 kDeviceBytes);
    }

    void allowsCopyBetweenDevicesByStableId()
    {
        needLoops();
        const QString srcId = stableIdOf(m_src);
        const QString dstId = stableIdOf(m_dst);
        QVERIFY2(srcId.startsWith("loop:") && dstId.startsWith("loop:"), qPrintable(srcId + " " + dstId));
        const CliRun run =
            runPrivileged({"copy", "--json", "--cancel-on-stdin", "--verify", "--", srcId, dstId});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY(readAll(m_dst) == m_sourceData);
    }

    void allowsCopyBetweenDevicesByDevPath()
    {
        needLoops();
        const CliRun run = runPrivileged({"copy", "--json", "--require-offload", "--", m_src, m_dst});
        // Loop devices have no copy command: --require-offload refuses (exit 6), past the gate.
        QCOMPARE(run.exitCode, 6);
        QVERIFY(!run.out.contains("refused through pkexec"));
        const CliRun copied = runPrivileged({"copy", "--json", "--", m_src, m_dst});
        QVERIFY2(copied.exitCode == 0, copied.err.constData());
        QVERIFY(readAll(m_dst) == m_sourceData);
    }

    void refusesADeviceNamedOutsideDev()
    {
        // The prompt shows the names as given: a link of the user's own to a device could
        // make the destination look harmless.
        needLoops();
        const QString link = file("scratch-disk");
        QVERIFY(QFile::link(m_dst, link));
        verifyRefused(runPrivileged({"copy", "--json", "--", m_src, link}), "named by a path outside /dev");
        verifyRefused(runPrivileged({"copy", "--json", "--", m_src, "/dev/../" + m_dst.mid(1)}),
                      "named by a path outside /dev");
        verifyDestinationUntouched();
        if (QFileInfo(QStringLiteral("/dev/shm")).isDir()) {
            const QString shmLink = QStringLiteral("/dev/shm/offloadcp-test-%1").arg(::getpid());
            QVERIFY(QFile::link(m_dst, shmLink));
            const CliRun run = runPrivileged({"copy", "--json", "--", m_src, shmLink});
            QFile::remove(shmLink);
            verifyRefused(run, "a folder others than root may change");
            verifyDestinationUntouched();
        }
    }

    // --- PrivilegedRoute itself ---

    void aCheckedPathMustStayTheDeviceItNamed()
    {
        needLoops();
        const std::string src = m_src.toStdString();
        const std::string dst = m_dst.toStdString();
        const char* argv[] = {"offloadcp", "copy", "--json", "--", src.c_str(), dst.c_str()};
        auto route = offload::cli::PrivilegedRoute::check(6, argv);
        QVERIFY2(route.has_value(), route ? "" : route.error().message().c_str());
        offload::ScanOptions options;
        options.probeOnly = [](const offload::Topology&) { return std::vector<std::size_t>{}; };
        auto snapshot = offload::scanSystem(options);
        QVERIFY(snapshot.has_value());
        const offload::Topology& topology = *snapshot->topology;
        auto srcEndpoint = offload::resolveEndpoint(topology, src, offload::EndpointRole::Source);
        auto dstEndpoint = offload::resolveEndpoint(topology, dst, offload::EndpointRole::Destination);
        QVERIFY(srcEndpoint && dstEndpoint);
        QVERIFY(route->checkResolved(topology, src, *srcEndpoint).has_value());
        QVERIFY(route->checkResolved(topology, dst, *dstEndpoint).has_value());
        QVERIFY(route->checkEndpoints(topology, src, dst).has_value());

        // The destination's name now resolving to the other device (a link swapped after
        // the check): refused.
        const auto swapped = route->checkResolved(topology, dst, *srcEndpoint);
        QVERIFY(!swapped.has_value());
        QCOMPARE(swapped.error().code, offload::Errc::PermissionDenied);
        QVERIFY2(swapped.error().message().find("not to the block device it named") != std::string::npos,
                 swapped.error().message().c_str());

        // ... or to a file: refused.
        offload::CopyEndpoint fileEndpoint;
        fileEndpoint.file = file("swapped-in.img").toStdString();
        const auto asFile = route->checkResolved(topology, dst, fileEndpoint);
        QVERIFY(!asFile.has_value());
        QVERIFY2(asFile.error().message().find("names a file") != std::string::npos, asFile.error().message().c_str());
    }
};

QTEST_GUILESS_MAIN(TestPrivilegedRoute)
#include "test_privileged_route.moc"
