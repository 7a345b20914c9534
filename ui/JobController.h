// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "copy/CopyJob.h"
#include "copy/CopyPlan.h"
#include "copy/ProgressRelay.h"

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QTimer>
#include <QVector>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>

class QProcess;

namespace offload::ui {

/// One point of a job's throughput history: bytes per second per CopyMethod over the
/// interval that ended `seconds` after the start.
struct ThroughputSample {
    double seconds = 0;
    std::array<double, kCopyMethodCount> bytesPerSecond{};
};

/// A QObject around core's CopyJob. The job's callbacks arrive on its worker thread; this
/// class stores the latest progress and posts one queued call at a time to its own thread,
/// where it re-emits Qt signals, at most every `minInterval` (the last progress and
/// finished() are always delivered). Owns the job: destroying the controller cancels the
/// copy and waits for the worker to stop.
class JobController : public QObject {
    Q_OBJECT
public:
    enum class State { Pending, Running, Succeeded, Failed, Cancelled };
    Q_ENUM(State)

    JobController(std::shared_ptr<const Topology> topology, CapabilitySet capabilities, CopyPlan plan,
                  CopyOptions options, QObject* parent = nullptr);
    ~JobController() override;

    /// A job run by the CLI instead of in this process: `[pkexec] offloadcp copy --json
    /// SRC DST` (the app's privileged path when it is not root). `source`/`destination` are
    /// stable ids; `plan` is the app's own plan, shown while the CLI works. Its JSON lines
    /// (start, progress, fallback, done, error) drive the same signals. Cancel writes
    /// "cancel" to the CLI's stdin (--cancel-on-stdin): an elevated process cannot be
    /// signalled by the user; the CLI stops after the I/Os in flight and reports how far
    /// it got in its final "cancelled" record (exit 130).
    static JobController* viaCli(CopyPlan plan, const QString& source, const QString& destination, CopyOptions options,
                                 bool elevate, QObject* parent = nullptr);
    /// Applies one JSON line of `offloadcp copy --json` (public for tests). Byte counts are
    /// read as exact 64-bit integers; a record with a negative, fractional or out-of-range
    /// count is not applied, and the job fails with that error when the record was the final
    /// one or when the CLI ends without a final record the app can read.
    void applyCliLine(const QByteArray& line);

    /// Starts the copy (once). Signals follow on this object's thread.
    void start();
    /// Asks the job to stop; finished() follows with State::Cancelled (or another state if
    /// the job ended first).
    Q_INVOKABLE void cancel();

    State state() const { return m_state; }
    bool cancelRequested() const { return m_cancelRequested; }
    QString stateText() const;
    QString title() const;                 ///< "vg/img1 → vg/img2"
    const CopyPlan& plan() const { return m_plan; }
    const CopyProgress& progress() const { return m_progress; }
    const std::optional<CopyResult>& result() const { return m_result; }
    const QVector<ThroughputSample>& samples() const { return m_samples; }
    const QStringList& fallbackReasons() const { return m_fallbacks; }
    /// Host CPU seconds: while running, this process's CPU time since start (an upper
    /// bound); when finished, the job's own threads (from the result).
    double hostCpuSeconds() const;
    /// Bytes the device moved, so the host did not read and write them.
    uint64_t hostBytesSaved() const { return m_progress.offloadedBytes; }
    /// For a failed job: device, LBA and what to do, as lines; empty otherwise.
    QString failureText() const;

    void setMinInterval(int ms) { m_minIntervalMs = ms; }

signals:
    void started();
    void progressChanged();
    void sampleAdded(const offload::ui::ThroughputSample& sample);
    void fallbackOccurred(const QString& reason);
    void finished(offload::ui::JobController::State state);

private:
    void deliverProgress();
    void onDone(CopyResult result);
    void startCli();
    void cliFinished(int exitCode);
    void addSample(const CopyProgress& p);
    static double processCpuSeconds();

    std::shared_ptr<const Topology> m_topology;
    CapabilitySet m_caps;
    CopyPlan m_plan;
    CopyOptions m_options;
    std::shared_ptr<CopyJob> m_job;
    QProcess* m_process = nullptr;
    QStringList m_cliCommand; ///< program + arguments, when run by the CLI
    QByteArray m_cliBuffer;
    bool m_cancelRequested = false;
    QString m_cliStderr;
    std::optional<Error> m_cliRecordError; ///< the first CLI record that could not be read

    State m_state = State::Pending;
    CopyProgress m_progress;
    std::optional<CopyResult> m_result;
    QVector<ThroughputSample> m_samples;
    QStringList m_fallbacks;
    double m_cpuAtStart = 0;
    double m_cpuNow = 0;

    // Worker -> GUI hand-over.
    std::mutex m_mutex;
    std::optional<CopyProgress> m_latest;
    std::atomic<bool> m_posted{false};

    int m_minIntervalMs = 250;
    QElapsedTimer m_sinceEmit;
    QTimer m_throttle;
    /// In-process jobs: the job's events pass through the relay; when none came for a
    /// second (a long command keeps the worker waiting), the timer shows the job's snapshot.
    std::unique_ptr<ProgressRelay> m_relay;
    QTimer m_heartbeat;
    std::optional<CopyProgress> m_lastSampled;
};

} // namespace offload::ui
