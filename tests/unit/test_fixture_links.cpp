// SPDX-License-Identifier: GPL-2.0-or-later
// --fixture reads nothing outside the fixture tree: a copy of the lab fixture whose
// attribute, dm table, identify blob or device link points at a file outside it (by an
// absolute link, or a relative one that climbs above the root) gives a report without
// that file's content and with a warning naming the link (exit 8, partial); links that
// stay inside keep working, and an untouched copy reports exactly what the original does.
#include "CliRun.h"

#include "util/FileTree.h"

#include <QtTest>

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

const QString kLab = QStringLiteral(OFFLOADCP_FIXTURES "/lab-all");
const QString kController = QStringLiteral("sys/devices/pci0000:00/0000:00:03.0/nvme/nvme0");
constexpr const char* kSecret = "TOPSECRET-7f3a9c";

bool writeFile(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}

/// Replaces `relative` in the fixture copy with a symlink to `target`.
bool relink(const QString& fixture, const QString& relative, const QString& target)
{
    const QString path = fixture + "/" + relative;
    QFile::remove(path);
    return QFile::link(target, path);
}

} // namespace

class TestFixtureLinks : public QObject {
    Q_OBJECT
private slots:
    void init();
    void untouchedCopyReportsTheSame();
    void attributeLinkOutIsNotFollowed();
    void dmTableLinkOutIsNotFollowed();
    void identifyLinkOutIsNotFollowed();
    void probeFolderLinkOutIsNotFollowed();
    void deviceLinkOutIsLeftOut();
    void sysLinkOutIsRefused();
    void fileTreeStaysBelowItsRoot();

private:
    CliRun report(const QStringList& extra = {}) const
    {
        return runCli(QStringList{"report", "--json", "--fixture", m_fixture} + extra);
    }
    void expectNoSecret(const CliRun& run) const
    {
        QVERIFY2(!run.out.contains(kSecret), run.out.constData());
        QVERIFY2(!run.err.contains(kSecret), run.err.constData());
    }

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_fixture;
    QString m_secretFile;
};

void TestFixtureLinks::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_fixture = m_dir->filePath("fixture");
    QCOMPARE(QProcess::execute("cp", {"-a", kLab, m_fixture}), 0); // keeps the relative links
    QVERIFY(QDir().mkpath(m_dir->filePath("outside")));
    m_secretFile = m_dir->filePath("outside/secret");
    QVERIFY(writeFile(m_secretFile, QByteArray(kSecret) + "\n"));
}

void TestFixtureLinks::untouchedCopyReportsTheSame()
{
    const CliRun original = runCli({"report", "--json", "--fixture", kLab});
    const CliRun copy = report();
    QCOMPARE(copy.exitCode, original.exitCode);
    QCOMPARE(copy.out, original.out);
    QCOMPARE(copy.err, original.err);
}

void TestFixtureLinks::attributeLinkOutIsNotFollowed()
{
    // The controller's model by an absolute link, its firmware revision by a relative link
    // that climbs out of the tree: both are what `report` prints for nvme0n1.
    QVERIFY(relink(m_fixture, kController + "/model", m_secretFile));
    const QString controllerDir = m_fixture + "/" + kController;
    QVERIFY(relink(m_fixture, kController + "/firmware_rev", QDir(controllerDir).relativeFilePath(m_secretFile)));
    QVERIFY(QFileInfo(controllerDir + "/firmware_rev").symLinkTarget() == QFileInfo(m_secretFile).canonicalFilePath());

    const CliRun run = report({"-l"});
    expectNoSecret(run);
    QCOMPARE(run.exitCode, 8);
    QVERIFY2(run.err.contains("nvme0n1: cannot read controller model: "), run.err.constData());
    QVERIFY2(run.err.contains(QByteArray(kController.toUtf8()) + "/model leads out of "), run.err.constData());
    QVERIFY2(run.err.contains("/firmware_rev leads out of "), run.err.constData());
    QVERIFY(run.out.contains("\"warnings\""));
    QVERIFY(run.out.contains("leads out of"));
    // The rest of the tree still reads (its relative links stay inside).
    QVERIFY(run.out.contains("\"serial\": \"OFFLCTRLA\""));
    QVERIFY(run.out.contains("dm-name:lab_lin"));
}

void TestFixtureLinks::dmTableLinkOutIsNotFollowed()
{
    // A line that the dm table parser would quote in its error if it read it.
    QVERIFY(writeFile(m_secretFile, QByteArray(kSecret) + " this is no table\n"));
    QVERIFY(relink(m_fixture, "dmsetup-table.txt", m_secretFile));
    const CliRun run = report();
    expectNoSecret(run);
    QCOMPARE(run.exitCode, 8);
    QVERIFY2(run.err.contains("dm-0: device-mapper table: lab_lin: cannot read the table: "), run.err.constData());
    QVERIFY2(run.err.contains("dmsetup-table.txt is a link that leads out of its folder (not followed)"),
             run.err.constData());
}

void TestFixtureLinks::identifyLinkOutIsNotFollowed()
{
    // Identify Controller data whose model number field (bytes 24-63) is the secret.
    QByteArray id(4096, '\0');
    id.replace(24, static_cast<int>(strlen(kSecret)), kSecret);
    QVERIFY(writeFile(m_secretFile, id));
    QVERIFY(relink(m_fixture, "probe/nvme0n1.id-ctrl", m_secretFile));
    const CliRun run = report();
    expectNoSecret(run);
    QCOMPARE(run.exitCode, 8);
    QVERIFY2(run.err.contains("nvme0n1: probe failed: "), run.err.constData());
    QVERIFY2(run.err.contains("probe/nvme0n1.id-ctrl is a link that leads out of the fixture (not followed)"),
             run.err.constData());
}

void TestFixtureLinks::probeFolderLinkOutIsNotFollowed()
{
    // The whole probe/ folder a link to a folder outside with the same files.
    const QString outside = m_dir->filePath("outside/probe");
    QCOMPARE(QProcess::execute("cp", {"-a", m_fixture + "/probe", outside}), 0);
    QByteArray id(4096, '\0');
    id.replace(24, static_cast<int>(strlen(kSecret)), kSecret);
    QVERIFY(writeFile(outside + "/nvme0n1.id-ctrl", id));
    QCOMPARE(QProcess::execute("rm", {"-rf", m_fixture + "/probe"}), 0);
    QVERIFY(QFile::link(outside, m_fixture + "/probe"));
    const CliRun run = report();
    expectNoSecret(run);
    QCOMPARE(run.exitCode, 8);
    // (the first file looked for is the replayed-error file beside it)
    QVERIFY2(run.err.contains("nvme0n1: probe failed: "), run.err.constData());
    QVERIFY2(run.err.contains("/probe/nvme0n1.id-ctrl.error is a link that leads out of the fixture (not followed)"),
             run.err.constData());
    QVERIFY2(run.err.contains("/probe/sda.inquiry.error is a link that leads out of the fixture"), run.err.constData());
}

void TestFixtureLinks::deviceLinkOutIsLeftOut()
{
    // class/block/sda pointing at a directory outside that looks like a device.
    const QString evil = m_dir->filePath("outside/sda");
    QVERIFY(QDir().mkpath(evil));
    QVERIFY(writeFile(evil + "/dev", "8:0\n"));
    QVERIFY(writeFile(evil + "/size", "8\n"));
    QVERIFY(writeFile(evil + "/serial", QByteArray(kSecret) + "\n"));
    QVERIFY(relink(m_fixture, "sys/class/block/sda", evil));
    const CliRun run = report();
    expectNoSecret(run);
    QCOMPARE(run.exitCode, 8);
    QVERIFY2(run.err.contains("sda: " + QFile::encodeName(m_fixture) + "/sys/class/block/sda leads out of "),
             run.err.constData());
    QVERIFY(run.err.contains("; left out"));
}

void TestFixtureLinks::sysLinkOutIsRefused()
{
    // The whole sys/ pointing at this machine's /sys: not read, and said why.
    QVERIFY(QProcess::execute("rm", {"-rf", m_fixture + "/sys"}) == 0);
    QVERIFY(QFile::link("/sys", m_fixture + "/sys"));
    const CliRun run = report();
    QCOMPARE(run.exitCode, 3);
    QVERIFY2(run.err.contains("/sys leads out of "), run.err.constData());
    QVERIFY(run.out.isEmpty());
}

void TestFixtureLinks::fileTreeStaysBelowItsRoot()
{
    using offload::FileTree;
    const std::string root = m_fixture.toStdString();
    auto tree = FileTree::below(root);
    QVERIFY(tree.has_value());
    QVERIFY(tree->contained());
    // In-tree relative links resolve as before.
    int err = 0;
    auto resolved = tree->resolve(root + "/sys/class/block/nvme0n1", err);
    QVERIFY2(resolved.has_value(), std::strerror(err));
    QCOMPARE(QString::fromStdString(resolved->string()),
             QFileInfo(m_fixture + "/sys/devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1").canonicalFilePath());
    QVERIFY(tree->readAll(root + "/sys/class/block/nvme0n1/size", err).has_value());
    QVERIFY(!tree->list(root + "/sys/class/block").empty());
    // Out of it: a path outside, "..", an absolute link, a relative link that climbs out.
    QVERIFY(!tree->readAll(m_secretFile.toStdString(), err));
    QCOMPARE(err, EXDEV);
    QVERIFY(!tree->readAll(root + "/../outside/secret", err));
    QCOMPARE(err, EXDEV);
    QVERIFY(QFile::link(m_secretFile, m_fixture + "/abs"));
    QVERIFY(!tree->readAll(root + "/abs", err));
    QCOMPARE(err, EXDEV);
    QVERIFY(!tree->exists(root + "/abs"));
    QVERIFY(QFile::link("../outside", m_fixture + "/up"));
    QVERIFY(!tree->readAll(root + "/up/secret", err));
    QCOMPARE(err, EXDEV);
    QVERIFY(!tree->list(root + "/up").size());
    // Only regular files: a FIFO in the tree is refused at once (it would block a reader).
    QCOMPARE(::mkfifo((root + "/fifo").c_str(), 0600), 0);
    QVERIFY(!tree->readAll(root + "/fifo", err));
    QCOMPARE(err, EINVAL);
    // readLink reads the link itself (the text, not the target).
    auto text = tree->readLink(root + "/abs", err);
    QVERIFY(text.has_value());
    QCOMPARE(QString::fromStdString(*text), m_secretFile);
    // The whole filesystem: plain paths.
    QVERIFY(FileTree().readAll(m_secretFile.toStdString(), err).has_value());
}

QTEST_GUILESS_MAIN(TestFixtureLinks)
#include "test_fixture_links.moc"
