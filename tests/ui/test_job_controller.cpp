// SPDX-License-Identifier: GPL-2.0-or-later
// JobController on real copies: regular files always, loop devices when root.
#ifndef Q_MOC_RUN // moc 6.4 cannot parse the C++23 library headers
#include "JobController.h"
#include "JobsModel.h"
#include "JobsPanel.h"
#include "SnapshotLoader.h"
#include "ThroughputChart.h"
#include "capability/Scan.h"
#include "copy/CopyPlanner.h"
#endif

#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QProcess>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <chrono>
#include <thread>
#include <unistd.h>

using namespace offload;
using namespace offload::ui;

Q_DECLARE_METATYPE(offload::ui::JobController::State)

namespace {

constexpr uint64_t MiB = 1024 * 1024;

QByteArray randomBytes(qsizetype size)
{
    QByteArray data(size, Qt::Uninitialized);
    QRandomGenerator gen(1234);
    gen.fillRange(reinterpret_cast<quint32*>(data.data()), size / 4);
    return data;
}

/// A temporary folder with src.img (`size` random bytes) and the path of dst.img.
struct SourceFile {
    QTemporaryDir dir;
    QString src = dir.filePath(QStringLiteral("src.img"));
    QString dst = dir.filePath(QStringLiteral("dst.img"));
    QByteArray data;

    explicit SourceFile(qsizetype size)
        : data(randomBytes(size))
    {
        QFile f(src);
        if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size())
            qFatal("cannot write %s", qPrintable(src));
    }
};

CopyEndpoint fileEndpoint(const QString& path, uint64_t size)
{
    CopyEndpoint e;
    e.file = path.toStdString();
    e.sizeBytes = size;
    e.blockSize = 512;
    e.label = QFileInfo(path).fileName().toStdString();
    return e;
}

/// A host-copy plan between two files (read/write: the path every stack can take).
CopyPlan filePlan(const QString& src, const QString& dst, uint64_t size)
{
    CopyRequest request;
    request.source = fileEndpoint(src, size);
    request.destination = fileEndpoint(dst, 0);
    request.length = size;
    request.noOffload = true;
    auto plan = planCopy(Topology{}, CapabilitySet{}, request);
    if (!plan)
        qFatal("planCopy: %s", plan.error().message().c_str());
    return *plan;
}

bool waitFinished(JobController& job, int ms)
{
    QSignalSpy spy(&job, &JobController::finished);
    return job.state() != JobController::State::Running || spy.wait(ms);
}

} // namespace

class TestJobController : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { qRegisterMetaType<offload::ui::JobController::State>(); }

    void copiesAFileWithQueuedSignals()
    {
        const SourceFile files(64 * MiB);
        const QString& src = files.src;
        const QString& dst = files.dst;
        const QByteArray& data = files.data;
        CopyOptions options;
        options.verify = true;
        options.progressInterval = std::chrono::milliseconds(10);
        options.ioBytes = 1u << 20;
        JobController job(std::make_shared<const Topology>(), {}, filePlan(src, dst, data.size()), options);
        QSignalSpy started(&job, &JobController::started);
        QSignalSpy progress(&job, &JobController::progressChanged);
        QSignalSpy samples(&job, &JobController::sampleAdded);
        QSignalSpy finished(&job, &JobController::finished);
        const Qt::HANDLE guiThread = QThread::currentThreadId();
        Qt::HANDLE progressThread = nullptr;
        connect(&job, &JobController::progressChanged, this, [&] { progressThread = QThread::currentThreadId(); });

        job.start();
        QCOMPARE(started.count(), 1);
        QCOMPARE(job.state(), JobController::State::Running);
        QVERIFY(finished.wait(60000));
        QCOMPARE(finished.count(), 1);
        QCOMPARE(finished.at(0).at(0).value<JobController::State>(), JobController::State::Succeeded);
        QVERIFY2(job.failureText().isEmpty(), qPrintable(job.failureText()));
        QVERIFY(progress.count() >= 1);
        QCOMPARE(progressThread, guiThread); // re-emitted on the controller's thread
        QVERIFY(samples.count() >= 1);
        QCOMPARE(job.progress().doneBytes, uint64_t(data.size()));
        QCOMPARE(job.progress().fraction(), 1.0);
        QVERIFY(job.result()->verify && job.result()->verify->match);
        QCOMPARE(job.stateText(), QStringLiteral("done, verified"));
        QFile out(dst);
        QVERIFY(out.open(QIODevice::ReadOnly));
        QVERIFY(out.readAll() == data);
    }

    void progressIsRateLimited()
    {
        const SourceFile files(256 * MiB);
        const QString& src = files.src;
        const QString& dst = files.dst;
        const QByteArray& data = files.data;
        CopyOptions options;
        options.progressInterval = std::chrono::milliseconds(1); // core reports very often
        options.ioBytes = 256u << 10;
        JobController job(std::make_shared<const Topology>(), {}, filePlan(src, dst, data.size()), options);
        job.setMinInterval(200);
        QSignalSpy progress(&job, &JobController::progressChanged);
        QElapsedTimer clock;
        clock.start();
        job.start();
        QVERIFY(waitFinished(job, 120000));
        const qint64 ms = clock.elapsed();
        QCOMPARE(job.state(), JobController::State::Succeeded);
        // At most one per 200 ms while running, plus the final one(s).
        QVERIFY2(progress.count() <= ms / 200 + 3,
                 qPrintable(QStringLiteral("%1 signals in %2 ms").arg(progress.count()).arg(ms)));
        QVERIFY(progress.count() >= 1);
    }

    void progressGoesOnWhileTheWorkerWaits()
    {
        // The job's worker can wait a long time without an event (one long copy command;
        // here the job's test hook before the copy). The window still sees the clock run:
        // once a second the controller shows the job's snapshot.
        const SourceFile files(4 * MiB);
        const QString& src = files.src;
        const QString& dst = files.dst;
        const QByteArray& data = files.data;
        std::atomic<bool> waiting{false};
        std::atomic<bool> release{false};
        CopyOptions options;
        options.progressInterval = std::chrono::milliseconds(10);
        options.beforeCopy = [&] {
            waiting = true;
            for (int i = 0; i < 3000 && !release; ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
        };
        JobController job(std::make_shared<const Topology>(), {}, filePlan(src, dst, data.size()), options);
        job.setMinInterval(0);
        QSignalSpy progress(&job, &JobController::progressChanged);
        job.start();
        QTRY_VERIFY_WITH_TIMEOUT(waiting.load(), 10000);
        const qsizetype before = progress.count();
        QTest::qWait(2600);
        const qsizetype during = progress.count() - before;
        const double elapsed = job.progress().elapsedSeconds;
        release = true;
        QVERIFY(waitFinished(job, 60000));
        QCOMPARE(job.state(), JobController::State::Succeeded);
        QVERIFY2(during >= 2, qPrintable(QStringLiteral("%1 progress signals in 2.6 s of waiting").arg(during)));
        QVERIFY2(elapsed >= 2.0, qPrintable(QString::number(elapsed)));
        QCOMPARE(job.progress().doneBytes, uint64_t(data.size()));
    }

    void cancelStopsTheJob()
    {
        QTemporaryDir dir;
        const QString src = dir.filePath(QStringLiteral("src.img"));
        const QString dst = dir.filePath(QStringLiteral("dst.img"));
        {
            QFile f(src);
            QVERIFY(f.open(QIODevice::WriteOnly));
            QVERIFY(f.resize(qint64(2048 * MiB))); // sparse: reads are fast but not instant
        }
        CopyOptions options;
        options.ioBytes = 64u << 10;
        options.ioDepth = 1;
        JobController job(std::make_shared<const Topology>(), {}, filePlan(src, dst, 2048 * MiB), options);
        JobsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        auto* owned = new JobController(std::make_shared<const Topology>(), {}, filePlan(src, dst, 2048 * MiB), options);
        model.addJob(owned);
        QCOMPARE(model.rowCount(), 1);
        owned->start();
        QCOMPARE(model.runningCount(), 1);
        QCOMPARE(model.index(0, JobsModel::StateColumn).data().toString(), QStringLiteral("copying"));
        QTest::qWait(50);
        owned->cancel();
        // Until the job's final result arrives (queued), it says it is stopping.
        QCOMPARE(owned->state(), JobController::State::Running);
        QVERIFY(owned->cancelRequested());
        QCOMPARE(model.index(0, JobsModel::StateColumn).data().toString(), QStringLiteral("cancelling…"));
        QVERIFY(waitFinished(*owned, 60000));
        QCOMPARE(owned->state(), JobController::State::Cancelled);
        QCOMPARE(model.runningCount(), 0);
        QCOMPARE(model.index(0, JobsModel::StateColumn).data().toString(), QStringLiteral("cancelled"));
        QVERIFY(owned->progress().doneBytes < 2048 * MiB);
        QVERIFY(owned->failureText().contains(QStringLiteral("Cancelled after")));
    }

    void failureNamesDeviceAndWhatToDo()
    {
        QTemporaryDir dir;
        const QString src = dir.filePath(QStringLiteral("src.img"));
        const QString dst = dir.filePath(QStringLiteral("no-such-dir/dst.img"));
        {
            QFile f(src);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(randomBytes(MiB));
        }
        JobController job(std::make_shared<const Topology>(), {}, filePlan(src, dir.filePath(QStringLiteral("x.img")), MiB),
                          {});
        // Point the plan's destination into a directory that does not exist: opening fails.
        CopyPlan plan = job.plan();
        plan.destination.file = dst.toStdString();
        JobController failing(std::make_shared<const Topology>(), {}, plan, {});
        failing.start();
        QVERIFY(waitFinished(failing, 30000));
        QCOMPARE(failing.state(), JobController::State::Failed);
        const QString text = failing.failureText();
        QVERIFY2(text.contains(QStringLiteral("Device:")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("What to do:")), qPrintable(text));
    }

    void jobsPanelFollowsTheJob()
    {
        QTemporaryDir dir;
        const QString src = dir.filePath(QStringLiteral("src.img"));
        {
            QFile f(src);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(randomBytes(32 * MiB));
        }
        JobsModel model;
        JobsPanel panel(&model);
        CopyOptions options;
        options.progressInterval = std::chrono::milliseconds(5);
        auto* job = new JobController(std::make_shared<const Topology>(), {},
                                      filePlan(src, dir.filePath(QStringLiteral("dst.img")), 32 * MiB), options);
        job->setMinInterval(0);
        model.addJob(job);
        QCOMPARE(panel.chart()->job(), job); // a new job is selected
        job->start();
        QVERIFY(waitFinished(*job, 60000));
        QCOMPARE(panel.chart()->pointCount(CopyMethod::ReadWrite), int(job->samples().size()));
        QVERIFY(panel.detailsLabel()->text().startsWith(QStringLiteral("done")));
        QCOMPARE(model.index(0, JobsModel::OffloadedColumn).data().toString(), QStringLiteral("0 %"));
        QCOMPARE(model.index(0, JobsModel::SavedColumn).data().toString(), QStringLiteral("0 B"));
    }

    void parsesTheCliJsonLines()
    {
        // The privileged path: `pkexec offloadcp copy --json` lines drive the same signals.
        CopyPlan plan;
        plan.length = 8 * MiB;
        plan.source.label = "vg/img";
        plan.destination.label = "vg/clone";
        std::unique_ptr<JobController> job(JobController::viaCli(plan, QStringLiteral("dm-uuid:LVM-a"),
                                                                 QStringLiteral("dm-uuid:LVM-b"), {}, false));
        job->setMinInterval(0);
        QSignalSpy progress(job.get(), &JobController::progressChanged);
        QSignalSpy fallback(job.get(), &JobController::fallbackOccurred);
        QSignalSpy finished(job.get(), &JobController::finished);
        job->applyCliLine(R"({"schema_version":1,"event":"progress","bytes_total":8388608,"bytes_done":4194304,)"
                          R"("bytes_offloaded":3145728,"bytes_host":1048576,"bytes_by_method":{"nvme-copy":3145728,)"
                          R"("read-write":1048576},"rate_bytes_per_second":1000000,"elapsed_seconds":0.5,)"
                          R"("extents_done":1,"extents_total":2,"fallbacks":1,"verifying":false,"eta_seconds":4})");
        QCOMPARE(job->progress().doneBytes, 4 * MiB);
        QCOMPARE(job->progress().offloadedBytes, 3 * MiB);
        QCOMPARE(job->progress().etaSeconds.value_or(-1), 4.0);
        job->applyCliLine(R"({"schema_version":1,"event":"fallback","extent":1,"planned_method":"nvme-copy",)"
                          R"("src_offset":4194304,"dst_offset":4194304,"length":1048576,"reason":"nvme0n1: declined"})");
        QCOMPARE(fallback.count(), 1);
        QVERIFY(job->fallbackReasons().first().contains(QStringLiteral("nvme0n1: declined")));
        job->applyCliLine(R"({"schema_version":1,"event":"done","status":"error","exit_code":1,"bytes_total":8388608,)"
                          R"("bytes_done":6291456,"bytes_host":2097152,"bytes_offloaded":4194304,"bytes_by_method":{},)"
                          R"("wall_seconds":1.5,"cpu_user_seconds":0.1,"cpu_system_seconds":0.2,"warnings":[],)"
                          R"("error":{"code":"system","message":"write failed","device":"/dev/sdc","lba":12288},)"
                          R"("extents":[],"verify":null})");
        QCOMPARE(finished.count(), 1);
        QCOMPARE(job->state(), JobController::State::Failed);
        QCOMPARE(job->hostCpuSeconds(), 0.1 + 0.2);
        const QString text = job->failureText();
        QVERIFY2(text.contains(QStringLiteral("/dev/sdc")) && text.contains(QStringLiteral("LBA: 12288")), qPrintable(text));
        QVERIFY(progress.count() >= 1);
    }

    void readsCliByteCountsAsExactIntegers()
    {
        // 2^53 + 1 bytes has no double; -1 and 2^64 are no byte count at all.
        CopyPlan plan;
        plan.length = 9007199254740993ull;
        std::unique_ptr<JobController> job(JobController::viaCli(plan, QStringLiteral("dm-uuid:LVM-a"),
                                                                 QStringLiteral("dm-uuid:LVM-b"), {}, false));
        job->setMinInterval(0);
        QSignalSpy finished(job.get(), &JobController::finished);
        job->applyCliLine(R"({"schema_version":1,"event":"progress","bytes_total":9007199254740993,)"
                          R"("bytes_done":9007199254740993,"bytes_offloaded":9007199254740993,"bytes_host":0,)"
                          R"("bytes_by_method":{"nvme-copy":9007199254740993},"elapsed_seconds":1})");
        QCOMPARE(job->progress().doneBytes, uint64_t(9007199254740993ull));
        QCOMPARE(job->progress().offloadedBytes, uint64_t(9007199254740993ull));
        QCOMPARE(job->progress().bytesByMethod[methodIndex(CopyMethod::NvmeCopy)], uint64_t(9007199254740993ull));

        // Refused, not applied: the progress stays where it was.
        job->applyCliLine(R"({"schema_version":1,"event":"progress","bytes_total":9007199254740993,"bytes_done":-1})");
        QCOMPARE(job->progress().doneBytes, uint64_t(9007199254740993ull));
        job->applyCliLine(R"({"schema_version":1,"event":"progress","bytes_done":18446744073709551616})");
        QCOMPARE(job->progress().doneBytes, uint64_t(9007199254740993ull));
        QCOMPARE(finished.count(), 0);

        // A final record with a negative count fails the job, naming the field.
        job->applyCliLine(R"({"schema_version":1,"event":"done","status":"ok","exit_code":0,)"
                          R"("bytes_total":9007199254740993,"bytes_done":-5,"verify":null})");
        QCOMPARE(finished.count(), 1);
        QCOMPARE(job->state(), JobController::State::Failed);
        const QString text = job->failureText();
        QVERIFY2(text.contains(QStringLiteral("bytes_done = -5")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("not a count from 0 to 18446744073709551615")), qPrintable(text));
    }

    void copiesBetweenLoopDevices()
    {
        if (::geteuid() != 0)
            QSKIP("loop devices need root");
        QTemporaryDir dir(QStringLiteral("/var/tmp/offloadcp-ui-XXXXXX"));
        const QString a = dir.filePath(QStringLiteral("a.img")), b = dir.filePath(QStringLiteral("b.img"));
        const QByteArray data = randomBytes(32 * MiB);
        {
            QFile fa(a), fb(b);
            QVERIFY(fa.open(QIODevice::WriteOnly) && fb.open(QIODevice::WriteOnly));
            fa.write(data);
            QVERIFY(fb.resize(qint64(48 * MiB)));
        }
        auto losetup = [](const QString& file) {
            QProcess p;
            p.start(QStringLiteral("losetup"), {QStringLiteral("--find"), QStringLiteral("--show"), QStringLiteral("--direct-io=on"), file});
            p.waitForFinished(10000);
            return p.exitCode() == 0 ? QString::fromLocal8Bit(p.readAllStandardOutput()).trimmed() : QString();
        };
        const QString la = losetup(a), lb = losetup(b);
        auto detach = qScopeGuard([&] {
            for (const QString& l : {la, lb})
                if (!l.isEmpty())
                    QProcess::execute(QStringLiteral("losetup"), {QStringLiteral("-d"), l});
        });
        if (la.isEmpty() || lb.isEmpty())
            QSKIP("losetup failed (no loop support here)");

        auto snap = SnapshotLoader::scanNow({});
        QVERIFY2(snap.has_value(), snap ? "" : snap.error().message().c_str());
        const Topology& t = *(*snap)->topology;
        const BlockDevice* da = t.find(la.toStdString());
        const BlockDevice* db = t.find(lb.toStdString());
        QVERIFY(da && db);
        CopyRequest request;
        request.source = deviceEndpoint(t, da->index);
        request.destination = deviceEndpoint(t, db->index);
        request.length = da->sizeBytes;
        auto plan = planCopy(t, (*snap)->capabilities, request);
        QVERIFY2(plan.has_value(), plan ? "" : plan.error().message().c_str());
        CopyOptions options;
        options.verify = true;
        JobController job((*snap)->topology, (*snap)->capabilities, *plan, options);
        QSignalSpy progress(&job, &JobController::progressChanged);
        job.start();
        QVERIFY(waitFinished(job, 60000));
        QVERIFY2(job.state() == JobController::State::Succeeded, qPrintable(job.failureText()));
        QVERIFY(progress.count() >= 1);
        QVERIFY(job.result()->verify && job.result()->verify->match);
        QFile fb(b);
        QVERIFY(fb.open(QIODevice::ReadOnly));
        QVERIFY(fb.read(data.size()) == data);
    }
};

QTEST_MAIN(TestJobController)
#include "test_job_controller.moc"
