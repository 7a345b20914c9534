// SPDX-License-Identifier: GPL-2.0-or-later
#include "JobController.h"

#include "Units.h"

#include "OffloadCli.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
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

namespace {

BytesByMethod bytesByMethod(const QJsonObject& o)
{
    BytesByMethod out{};
    for (std::size_t m = 0; m < kCopyMethodCount; ++m)
        out[m] = static_cast<uint64_t>(o.value(QLatin1String(toString(static_cast<CopyMethod>(m)))).toDouble());
    return out;
}

Error errorFromJson(const QJsonObject& o)
{
    static const std::array codes{Errc::System,      Errc::NvmeStatus, Errc::ScsiSense, Errc::InvalidArgument,
                                  Errc::NotFound,    Errc::PermissionDenied, Errc::Unsupported, Errc::Busy,
                                  Errc::Cancelled,   Errc::Corrupt,    Errc::Internal};
    Error e;
    const QString code = o.value(QStringLiteral("code")).toString();
    for (Errc c : codes)
        if (code == QLatin1String(toString(c)))
            e.code = c;
    e.device = o.value(QStringLiteral("device")).toString().toStdString();
    e.what = o.value(QStringLiteral("message")).toString().toStdString();
    if (o.value(QStringLiteral("lba")).isDouble())
        e.lba = static_cast<uint64_t>(o.value(QStringLiteral("lba")).toDouble());
    e.sysErrno = o.value(QStringLiteral("errno")).toInt();
    return e;
}

uint64_t u64(const QJsonObject& o, const char* key)
{
    return static_cast<uint64_t>(o.value(QLatin1String(key)).toDouble());
}

} // namespace

void JobController::applyCliLine(const QByteArray& line)
{
    const QJsonObject o = QJsonDocument::fromJson(line).object();
    const QString event = o.value(QStringLiteral("event")).toString();
    if (event == QStringLiteral("progress")) {
        CopyProgress p;
        p.totalBytes = u64(o, "bytes_total");
        p.doneBytes = u64(o, "bytes_done");
        p.offloadedBytes = u64(o, "bytes_offloaded");
        p.hostBytes = u64(o, "bytes_host");
        p.bytesByMethod = bytesByMethod(o.value(QStringLiteral("bytes_by_method")).toObject());
        p.bytesPerSecond = o.value(QStringLiteral("rate_bytes_per_second")).toDouble();
        p.elapsedSeconds = o.value(QStringLiteral("elapsed_seconds")).toDouble();
        if (o.value(QStringLiteral("eta_seconds")).isDouble())
            p.etaSeconds = o.value(QStringLiteral("eta_seconds")).toDouble();
        p.extentsDone = u64(o, "extents_done");
        p.extentsTotal = u64(o, "extents_total");
        p.fallbacks = u64(o, "fallbacks");
        p.verifying = o.value(QStringLiteral("verifying")).toBool();
        {
            std::lock_guard lock(m_mutex);
            m_latest = p;
        }
        deliverProgress();
    } else if (event == QStringLiteral("fallback")) {
        const QString reason = QStringLiteral("%1 at %2 (%3): %4")
                                   .arg(o.value(QStringLiteral("planned_method")).toString(),
                                        formatBytes(u64(o, "src_offset")), formatBytes(u64(o, "length")),
                                        o.value(QStringLiteral("reason")).toString());
        m_fallbacks << reason;
        emit fallbackOccurred(reason);
    } else if (event == QStringLiteral("done") || event == QStringLiteral("error")) {
        CopyResult r;
        const QString status = o.value(QStringLiteral("status")).toString();
        if (event == QStringLiteral("error") || status == QStringLiteral("error"))
            r.status = std::unexpected(errorFromJson(o.value(QStringLiteral("error")).toObject()));
        else if (status == QStringLiteral("cancelled"))
            r.status = std::unexpected(Error::make(Errc::Cancelled, {}, "cancelled"));
        r.totalBytes = event == QStringLiteral("done") ? u64(o, "bytes_total") : m_plan.length;
        r.doneBytes = u64(o, "bytes_done");
        r.hostBytes = u64(o, "bytes_host");
        r.offloadedBytes = u64(o, "bytes_offloaded");
        r.bytesByMethod = bytesByMethod(o.value(QStringLiteral("bytes_by_method")).toObject());
        r.wallSeconds = o.value(QStringLiteral("wall_seconds")).toDouble();
        r.cpuUserSeconds = o.value(QStringLiteral("cpu_user_seconds")).toDouble();
        r.cpuSystemSeconds = o.value(QStringLiteral("cpu_system_seconds")).toDouble();
        const QJsonObject v = o.value(QStringLiteral("verify")).toObject();
        if (!v.isEmpty()) {
            VerifyResult vr;
            vr.match = v.value(QStringLiteral("match")).toBool();
            vr.bytesCompared = u64(v, "bytes_compared");
            vr.blockSize = static_cast<uint32_t>(u64(v, "block_size"));
            if (v.value(QStringLiteral("first_differing_offset")).isDouble())
                vr.firstDifferingOffset = u64(v, "first_differing_offset");
            if (v.value(QStringLiteral("first_differing_dst_lba")).isDouble())
                vr.firstDifferingDstLba = u64(v, "first_differing_dst_lba");
            if (v.value(QStringLiteral("first_differing_src_lba")).isDouble())
                vr.firstDifferingSrcLba = u64(v, "first_differing_src_lba");
            r.verify = vr;
        }
        if (m_state == State::Running || m_state == State::Pending) {
            m_state = State::Running;
            onDone(std::move(r));
        }
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
