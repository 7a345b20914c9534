// SPDX-License-Identifier: GPL-2.0-or-later
#include "JobController.h"

#include "Units.h"

#include "OffloadCli.h"

#include "copy/CopyEventRecord.h"

#include <QMetaObject>
#include <QProcess>

#include <cstring>
#include <sys/resource.h>

namespace offload::ui {

JobController::JobController(std::shared_ptr<const Topology> topology, CapabilitySet capabilities, CopyPlan plan,
                             CopyOptions options, QObject* parent)
    : QObject(parent)
    , m_topology(std::move(topology))
    , m_caps(std::move(capabilities))
    , m_plan(std::move(plan))
    , m_options(std::move(options))
{
    m_progress.totalBytes = m_plan.length;
    m_progress.extentsTotal = m_plan.extents.size();
    m_throttle.setSingleShot(true);
    connect(&m_throttle, &QTimer::timeout, this, &JobController::deliverProgress);
    // Single-shot, re-armed for when the relay next has something to show.
    m_heartbeat.setSingleShot(true);
    connect(&m_heartbeat, &QTimer::timeout, this, [this] {
        if (!m_relay || !m_job || m_state != State::Running)
            return;
        m_relay->heartbeat([this] { return m_job->progress(); });
        m_heartbeat.start(static_cast<int>(m_relay->untilDue().count()) + 1);
    });
}

JobController* JobController::viaCli(CopyPlan plan, const QString& source, const QString& destination,
                                     CopyOptions options, bool elevate, QObject* parent)
{
    auto* job = new JobController(std::make_shared<const Topology>(), {}, std::move(plan), options, parent);
    const auto inv = OffloadCli::copy(source, destination, options.verify, options.requireOffload, elevate);
    job->m_cliCommand = QStringList{inv.program} + inv.arguments;
    return job;
}

JobController::~JobController()
{
    if (m_process) {
        m_process->disconnect(this);
        if (m_process->state() != QProcess::NotRunning) {
            // "cancel", then EOF: either stops the CLI (--cancel-on-stdin) after its I/Os in flight.
            m_process->write("cancel\n");
            m_process->closeWriteChannel();
            if (!m_process->waitForFinished(30000))
                m_process->kill(); // only works when the CLI is not elevated
        }
    }
    // Joins the worker while `this` is still whole: callbacks may still post to us until then.
    if (m_job) {
        m_job->cancel();
        m_job->wait();
        m_job.reset();
    }
}

double JobController::processCpuSeconds()
{
    rusage usage{};
    if (::getrusage(RUSAGE_SELF, &usage) != 0)
        return 0;
    auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
    return secs(usage.ru_utime) + secs(usage.ru_stime);
}

void JobController::start()
{
    if (m_state != State::Pending)
        return;
    m_state = State::Running;
    m_cpuAtStart = processCpuSeconds();
    m_cpuNow = m_cpuAtStart;
    m_sinceEmit.start();
    if (!m_cliCommand.isEmpty())
        return startCli();

    CopyEvents events;
    // Worker thread (or the heartbeat, on this one): store the newest progress; post at most
    // one delivery at a time.
    m_relay = std::make_unique<ProgressRelay>([this](const CopyProgress& p) {
        {
            std::lock_guard lock(m_mutex);
            m_latest = p;
        }
        if (!m_posted.exchange(true))
            QMetaObject::invokeMethod(this, &JobController::deliverProgress, Qt::QueuedConnection);
    });
    events.progress = [relay = m_relay.get()](const CopyProgress& p) { relay->event(p); };
    events.fallback = [this](const CopyFallback& f) {
        QString reason = QStringLiteral("%1 at %2 (%3): %4")
                             .arg(QString::fromLatin1(toString(f.planned)), formatBytes(f.srcOffset), formatBytes(f.length),
                                  QString::fromStdString(f.reason));
        QMetaObject::invokeMethod(
            this,
            [this, reason] {
                m_fallbacks << reason;
                emit fallbackOccurred(reason);
            },
            Qt::QueuedConnection);
    };
    events.done = [this](const CopyResult& r) {
        QMetaObject::invokeMethod(this, [this, r] { onDone(r); }, Qt::QueuedConnection);
    };
    emit started();
    m_job = CopyJob::start(m_topology, m_caps, m_plan, m_options, std::move(events));
    m_heartbeat.start(static_cast<int>(m_relay->untilDue().count()) + 1);
}

void JobController::cancel()
{
    if (m_state != State::Running)
        return;
    m_cancelRequested = true;
    if (m_job)
        m_job->cancel();
    if (m_process) {
        // The control channel of `copy --cancel-on-stdin`: works when the CLI runs as root
        // through pkexec, where a signal from this (unprivileged) process would be refused.
        // The CLI answers with its final "cancelled" record; until then the job runs on.
        m_process->write("cancel\n");
    }
    emit progressChanged(); // the state text says "cancelling" now
}

void JobController::startCli()
{
    m_process = new QProcess(this);
    connect(m_process, &QProcess::readyReadStandardOutput, this, [this] {
        m_cliBuffer += m_process->readAllStandardOutput();
        qsizetype nl;
        while ((nl = m_cliBuffer.indexOf('\n')) >= 0) {
            const QByteArray line = m_cliBuffer.left(nl);
            m_cliBuffer.remove(0, nl + 1);
            applyCliLine(line);
        }
    });
    connect(m_process, &QProcess::readyReadStandardError, this,
            [this] { m_cliStderr += QString::fromLocal8Bit(m_process->readAllStandardError()); });
    connect(m_process, &QProcess::finished, this, [this](int code) { cliFinished(code); });
    connect(m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart) {
            m_cliStderr += tr("could not start %1: %2").arg(m_cliCommand.first(), m_process->errorString());
            cliFinished(-1);
        }
    });
    emit started();
    m_process->start(m_cliCommand.first(), m_cliCommand.mid(1), QIODevice::ReadWrite);
}

void JobController::applyCliLine(const QByteArray& line)
{
    auto record = parseCopyEventRecord(std::string_view(line.constData(), std::size_t(line.size())));
    if (!record)
        return; // no JSON object: nothing `copy --json` prints
    if (record->invalid) {
        // Not applied: a count the app cannot hold exactly is no count at all. The job fails
        // with it if this was the final record, or when the CLI ends without one it can read.
        qWarning("JobController: %s", record->invalid->message().c_str());
        if (!m_cliRecordError)
            m_cliRecordError = record->invalid;
        const bool final = record->kind == CopyEventRecord::Kind::Done || record->kind == CopyEventRecord::Kind::Error;
        if (final && (m_state == State::Running || m_state == State::Pending)) {
            CopyResult r;
            r.totalBytes = m_plan.length;
            r.doneBytes = m_progress.doneBytes;
            r.status = std::unexpected(*record->invalid);
            m_state = State::Running;
            onDone(std::move(r));
        }
        return;
    }
    switch (record->kind) {
    case CopyEventRecord::Kind::Progress: {
        {
            std::lock_guard lock(m_mutex);
            m_latest = record->progress;
        }
        deliverProgress();
        break;
    }
    case CopyEventRecord::Kind::Fallback: {
        const QString reason = QStringLiteral("%1 at %2 (%3): %4")
                                   .arg(QString::fromStdString(record->plannedMethod), formatBytes(record->srcOffset),
                                        formatBytes(record->length), QString::fromStdString(record->reason));
        m_fallbacks << reason;
        emit fallbackOccurred(reason);
        break;
    }
    case CopyEventRecord::Kind::Done:
    case CopyEventRecord::Kind::Error: {
        CopyResult r = std::move(record->result);
        if (record->kind == CopyEventRecord::Kind::Error)
            r.totalBytes = m_plan.length;
        if (m_state == State::Running || m_state == State::Pending) {
            m_state = State::Running;
            onDone(std::move(r));
        }
        break;
    }
    case CopyEventRecord::Kind::Other:
        break;
    }
}

void JobController::cliFinished(int exitCode)
{
    if (m_state != State::Running)
        return; // a done / error line already ended it
    CopyResult r;
    r.totalBytes = m_plan.length;
    r.doneBytes = m_progress.doneBytes;
    if (m_cancelRequested) {
        r.status = std::unexpected(Error::make(Errc::Cancelled, {}, "cancelled"));
    } else {
        QString what = m_cliStderr.trimmed();
        if (m_cliRecordError)
            what = QString::fromStdString(m_cliRecordError->message()) + (what.isEmpty() ? QString() : QStringLiteral("\n") + what);
        if (m_cliCommand.first() == QStringLiteral("pkexec") && (exitCode == 126 || exitCode == 127))
            what = tr("authorization was refused or cancelled (pkexec exit %1)").arg(exitCode);
        r.status = std::unexpected(Error::make(Errc::System, m_cliCommand.value(1).toStdString(),
                                               (what.isEmpty() ? tr("offloadcp copy exited with %1").arg(exitCode) : what)
                                                   .toStdString(),
                                               "run `offloadcp copy` by hand to see its full output"));
    }
    onDone(std::move(r));
}

void JobController::deliverProgress()
{
    // Clear the flag first: progress stored after the swap below then posts again.
    m_posted = false;
    std::optional<CopyProgress> latest;
    {
        std::lock_guard lock(m_mutex);
        latest.swap(m_latest);
    }
    if (latest) {
        m_progress = *latest;
        addSample(*latest);
    }
    if (m_state != State::Running)
        return;
    // Rate limit: emit at most every m_minIntervalMs; a held-back update goes out later.
    const qint64 since = m_sinceEmit.elapsed();
    if (since < m_minIntervalMs) {
        if (!m_throttle.isActive())
            m_throttle.start(static_cast<int>(m_minIntervalMs - since));
        return;
    }
    m_sinceEmit.restart();
    m_cpuNow = processCpuSeconds();
    emit progressChanged();
}

void JobController::addSample(const CopyProgress& p)
{
    if (m_lastSampled) {
        const double dt = p.elapsedSeconds - m_lastSampled->elapsedSeconds;
        if (dt <= 0.05)
            return;
        ThroughputSample s;
        s.seconds = p.elapsedSeconds;
        for (std::size_t m = 0; m < kCopyMethodCount; ++m) {
            const uint64_t now = p.bytesByMethod[m];
            const uint64_t before = m_lastSampled->bytesByMethod[m];
            s.bytesPerSecond[m] = now > before ? static_cast<double>(now - before) / dt : 0.0;
        }
        m_samples.push_back(s);
        m_lastSampled = p;
        emit sampleAdded(s);
    } else {
        m_lastSampled = p;
        ThroughputSample s; // the origin: 0 B/s at t=0
        m_samples.push_back(s);
        emit sampleAdded(s);
    }
}

void JobController::onDone(CopyResult result)
{
    m_throttle.stop();
    m_heartbeat.stop();
    deliverProgress(); // whatever arrived before done
    m_progress.doneBytes = result.doneBytes;
    m_progress.bytesByMethod = result.bytesByMethod;
    m_progress.offloadedBytes = result.offloadedBytes;
    m_progress.hostBytes = result.hostBytes;
    m_progress.elapsedSeconds = result.wallSeconds;
    m_progress.etaSeconds = 0.0;
    if (result.ok())
        m_state = State::Succeeded;
    else if (result.cancelled())
        m_state = State::Cancelled;
    else
        m_state = State::Failed;
    m_result = std::move(result);
    emit progressChanged();
    emit finished(m_state);
}

double JobController::hostCpuSeconds() const
{
    if (m_result)
        return m_result->cpuUserSeconds + m_result->cpuSystemSeconds;
    return m_cpuNow - m_cpuAtStart;
}

QString JobController::stateText() const
{
    switch (m_state) {
    case State::Pending: return tr("waiting");
    case State::Running:
        if (m_cancelRequested)
            return tr("cancelling…");
        return m_progress.verifying ? tr("verifying") : tr("copying");
    case State::Succeeded:
        if (m_result && m_result->verify)
            return m_result->verify->match ? tr("done, verified") : tr("verify mismatch");
        return tr("done");
    case State::Failed: return tr("failed");
    case State::Cancelled: return tr("cancelled");
    }
    return {};
}

QString JobController::title() const
{
    return QStringLiteral("%1 → %2").arg(QString::fromStdString(m_plan.source.label),
                                         QString::fromStdString(m_plan.destination.label));
}

QString JobController::failureText() const
{
    if (!m_result)
        return {};
    QStringList lines;
    if (m_result->verify && !m_result->verify->match)
        lines << tr("Verify: %1").arg(QString::fromStdString(m_result->verify->message()));
    if (m_result->ok() || m_result->cancelled()) {
        if (m_result->cancelled())
            lines << tr("Cancelled after %1 of %2; the destination holds a partial copy.")
                         .arg(formatBytes(m_result->doneBytes), formatBytes(m_result->totalBytes));
        return lines.join(QLatin1Char('\n'));
    }
    const Error& e = m_result->status.error();
    lines << tr("Device: %1").arg(e.device.empty() ? tr("(none named)") : QString::fromStdString(e.device));
    if (e.lba)
        lines << tr("LBA: %1").arg(*e.lba);
    lines << tr("What happened: %1").arg(QString::fromStdString(e.what));
    if (e.nvme)
        lines << tr("NVMe status: %1").arg(QString::fromStdString(describeNvmeStatus(*e.nvme)));
    if (e.scsi)
        lines << tr("SCSI sense: %1").arg(QString::fromStdString(describeScsiSense(*e.scsi)));
    if (e.sysErrno)
        lines << tr("System error: %1").arg(QString::fromLocal8Bit(std::strerror(e.sysErrno)));
    lines << tr("What to do: %1")
                 .arg(e.hint.empty() ? tr("check the device's kernel log (dmesg) and retry; the copied part is "
                                          "listed above")
                                     : QString::fromStdString(e.hint));
    lines << tr("Copied before the failure: %1 of %2")
                 .arg(formatBytes(m_result->doneBytes), formatBytes(m_result->totalBytes));
    return lines.join(QLatin1Char('\n'));
}

} // namespace offload::ui
