// SPDX-License-Identifier: GPL-2.0-or-later
// The app's privileged path end to end: JobController::viaCli(elevate) runs
// `pkexec offloadcp copy --json --cancel-on-stdin` as a non-root user. Driven by
// tests/integration/pkexec_copy.sh, which starts D-Bus and polkitd, creates the user, the
// loop devices, the policy and the rule, runs one function at a time and checks the
// devices afterwards. Run on its own (no OFFLOADCP_PKEXEC_SRC), every function skips.
#ifndef Q_MOC_RUN // moc 6.4 cannot parse the C++23 library headers
#include "CloneDialog.h"
#include "JobController.h"
#include "JobsModel.h"
#include "MainWindow.h"
#include "OffloadCli.h"
#include "TopologyModel.h"
#endif

#include <QAction>
#include <QFile>
#include <QSignalSpy>
#include <QtTest>

#include <unistd.h>

using namespace offload;
using namespace offload::ui;

Q_DECLARE_METATYPE(offload::ui::JobController::State)

namespace {

struct Route {
    QString source;      ///< stable id of the source loop device
    QString destination; ///< stable id of the destination loop device
    uint64_t length = 0; ///< bytes (the whole source)
    QString resultFile;  ///< where this test writes what the script checks on the devices
};

std::optional<Route> routeFromEnvironment()
{
    Route r;
    r.source = qEnvironmentVariable("OFFLOADCP_PKEXEC_SRC");
    r.destination = qEnvironmentVariable("OFFLOADCP_PKEXEC_DST");
    r.length = qEnvironmentVariable("OFFLOADCP_PKEXEC_LENGTH").toULongLong();
    r.resultFile = qEnvironmentVariable("OFFLOADCP_PKEXEC_RESULT");
    if (r.source.isEmpty() || r.destination.isEmpty() || r.length == 0)
        return std::nullopt;
    return r;
}

/// What the app shows while the CLI works; the CLI plans again, as root.
CopyPlan displayPlan(const Route& r)
{
    CopyPlan plan;
    plan.length = r.length;
    plan.source.label = r.source.toStdString();
    plan.source.sizeBytes = r.length;
    plan.destination.label = r.destination.toStdString();
    plan.destination.sizeBytes = r.length;
    PlannedExtent e;
    e.length = r.length;
    plan.extents.push_back(e);
    return plan;
}

void writeResult(const Route& r, const QByteArray& text)
{
    if (r.resultFile.isEmpty())
        return;
    QFile f(r.resultFile);
    if (f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        f.write(text);
}

QAction* probeAction(MainWindow& window)
{
    for (QAction* a : window.findChildren<QAction*>())
        if (a->text() == QStringLiteral("&Probe as administrator…"))
            return a;
    return nullptr;
}

} // namespace

class TestPkexecRoute : public QObject {
    Q_OBJECT
    std::optional<Route> m_route;

private slots:
    void initTestCase()
    {
        qRegisterMetaType<offload::ui::JobController::State>();
        m_route = routeFromEnvironment();
    }

    void init()
    {
        if (!m_route)
            QSKIP("run by tests/integration/pkexec_copy.sh (needs polkit, a test user and loop devices)");
        QVERIFY2(::geteuid() != 0, "the privileged route is for a non-root app");
        QVERIFY(OffloadCli::needsElevation());
    }

    void copiesThroughPkexec()
    {
        std::unique_ptr<JobController> job(
            JobController::viaCli(displayPlan(*m_route), m_route->source, m_route->destination, {}, true));
        job->setMinInterval(0);
        QSignalSpy started(job.get(), &JobController::started);
        QSignalSpy progress(job.get(), &JobController::progressChanged);
        QSignalSpy samples(job.get(), &JobController::sampleAdded);
        QSignalSpy finished(job.get(), &JobController::finished);
        job->start();
        QCOMPARE(started.count(), 1);
        QVERIFY(finished.wait(120000));
        QCOMPARE(finished.count(), 1);
        QVERIFY2(job->state() == JobController::State::Succeeded, qPrintable(job->failureText()));
        QCOMPARE(job->stateText(), QStringLiteral("done"));
        // Values parsed from the CLI's JSON lines, not the app's own plan.
        QVERIFY(job->result().has_value());
        QCOMPARE(job->result()->totalBytes, m_route->length);
        QCOMPARE(job->result()->doneBytes, m_route->length);
        QCOMPARE(job->result()->bytesByMethod[std::size_t(CopyMethod::ReadWrite)], m_route->length);
        QCOMPARE(job->result()->hostBytes, m_route->length);
        QVERIFY(job->result()->wallSeconds > 0);
        QCOMPARE(job->progress().doneBytes, m_route->length);
        QVERIFY(progress.count() >= 2); // at least one progress line and the final record
        QVERIFY(samples.count() >= 1);
        writeResult(*m_route, QByteArray::number(qulonglong(job->result()->doneBytes)));
    }

    void refusedAuthorizationChangesNothing()
    {
        std::unique_ptr<JobController> job(
            JobController::viaCli(displayPlan(*m_route), m_route->source, m_route->destination, {}, true));
        QSignalSpy progress(job.get(), &JobController::progressChanged);
        QSignalSpy finished(job.get(), &JobController::finished);
        job->start();
        QVERIFY(finished.wait(60000));
        QCOMPARE(job->state(), JobController::State::Failed);
        const QString text = job->failureText();
        QVERIFY2(text.contains(QStringLiteral("authorization was refused or cancelled (pkexec exit 12")), qPrintable(text));
        QCOMPARE(job->result()->doneBytes, uint64_t(0));
        // The jobs list says what happened too.
        JobsModel model;
        model.addJob(job.release());
        QCOMPARE(model.index(0, JobsModel::StateColumn).data().toString(), QStringLiteral("failed"));
        writeResult(*m_route, text.toUtf8());
    }

    void cancelsMidCopy()
    {
        std::unique_ptr<JobController> job(
            JobController::viaCli(displayPlan(*m_route), m_route->source, m_route->destination, {}, true));
        job->setMinInterval(0);
        QSignalSpy finished(job.get(), &JobController::finished);
        // Cancel as soon as the CLI reports that the copy runs (its first progress line).
        bool askedToCancel = false;
        connect(job.get(), &JobController::progressChanged, this, [&] {
            if (!askedToCancel && job->state() == JobController::State::Running) {
                askedToCancel = true;
                job->cancel();
                QCOMPARE(job->stateText(), QStringLiteral("cancelling…"));
            }
        });
        job->start();
        QVERIFY(finished.wait(120000));
        QVERIFY(askedToCancel);
        QVERIFY2(job->state() == JobController::State::Cancelled, qPrintable(job->stateText() + job->failureText()));
        QCOMPARE(job->stateText(), QStringLiteral("cancelled"));
        QVERIFY(job->result()->cancelled());
        const uint64_t done = job->result()->doneBytes;
        QVERIFY2(done < m_route->length, qPrintable(QString::number(done)));
        QCOMPARE(job->result()->totalBytes, m_route->length);
        QVERIFY(job->failureText().contains(QStringLiteral("Cancelled after")));
        JobsModel model;
        model.addJob(job.release());
        QCOMPARE(model.index(0, JobsModel::StateColumn).data().toString(), QStringLiteral("cancelled"));
        writeResult(*m_route, QByteArray::number(qulonglong(done)));
    }

    void clonesFromTheMainWindow()
    {
        // The whole app path: the clone dialog on the live (unprivileged) snapshot, then
        // MainWindow::startJob, which picks pkexec and passes the devices' stable ids.
        MainWindow window;
        QSignalSpy loaded(&window, &MainWindow::snapshotLoaded);
        QVERIFY(loaded.count() > 0 || loaded.wait(60000));
        const auto snap = window.snapshot();
        QVERIFY(snap->live);
        const BlockDevice* src = snap->topology->find(m_route->source.toStdString());
        const BlockDevice* dst = snap->topology->find(m_route->destination.toStdString());
        QVERIFY(src && dst);
        QVERIFY(window.selectDevice(m_route->source));
        std::unique_ptr<CloneDialog> dialog(window.createCloneDialog());
        QVERIFY(dialog);
        dialog->setSource(src->index);
        dialog->setDestination(dst->index);
        QVERIFY2(dialog->plan().has_value(), qPrintable(dialog->blocker()));
        QVERIFY2(dialog->blocker().isEmpty(), qPrintable(dialog->blocker()));
        JobController* job = window.startJob(*dialog);
        QVERIFY(job);
        QSignalSpy finished(job, &JobController::finished);
        QVERIFY(job->state() != JobController::State::Running || finished.wait(120000));
        QVERIFY2(job->state() == JobController::State::Succeeded, qPrintable(job->failureText()));
        QCOMPARE(job->result()->doneBytes, m_route->length);
        writeResult(*m_route, QByteArray::number(qulonglong(job->result()->doneBytes)));
    }

    void probesAsAdministrator()
    {
        // The live app, unprivileged: "Probe as administrator" runs `pkexec offloadcp
        // report --json` and merges it; the tree still shows the devices by stable id.
        MainWindow window;
        QSignalSpy loaded(&window, &MainWindow::snapshotLoaded);
        QVERIFY(loaded.count() > 0 || loaded.wait(60000));
        QAction* probe = probeAction(window);
        QVERIFY(probe && probe->isVisible());
        const auto before = window.snapshot();
        QVERIFY(window.statusText().contains(QStringLiteral("not root")));
        QSignalSpy probed(&window, &MainWindow::administratorProbeFinished);
        probe->trigger();
        QVERIFY(probed.wait(60000));
        const QString error = probed.at(0).at(0).toString();
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY(window.topologyModel()->indexForStableId(m_route->source).isValid());
        QVERIFY(window.topologyModel()->indexForStableId(m_route->destination).isValid());
        QVERIFY(probe->isEnabled());
        QVERIFY(window.snapshot() != before); // the merged snapshot is shown
        QVERIFY2(window.statusText().contains(QStringLiteral("probed as administrator")), qPrintable(window.statusText()));
        writeResult(*m_route, window.statusText().toUtf8());
    }

    void probeRefused()
    {
        MainWindow window;
        QSignalSpy loaded(&window, &MainWindow::snapshotLoaded);
        QVERIFY(loaded.count() > 0 || loaded.wait(60000));
        const auto before = window.snapshot();
        QSignalSpy probed(&window, &MainWindow::administratorProbeFinished);
        probeAction(window)->trigger();
        QVERIFY(probed.wait(60000));
        const QString error = probed.at(0).at(0).toString();
        QVERIFY2(error.contains(QStringLiteral("authorization was refused or cancelled (pkexec exit 12")), qPrintable(error));
        QCOMPARE(window.snapshot(), before); // nothing merged, nothing reloaded
        QCOMPARE(window.snapshot()->adminProbed, std::size_t(0));
        writeResult(*m_route, error.toUtf8());
    }
};

QTEST_MAIN(TestPkexecRoute)
#include "test_pkexec_route.moc"
