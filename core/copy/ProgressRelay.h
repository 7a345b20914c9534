// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "copy/CopyJob.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <mutex>
#include <utility>

namespace offload {

/// Sits between a CopyJob and a display with a clock (a progress bar, a stream of JSON
/// lines, a window). It passes the job's progress events on. When none came for `quiet`,
/// heartbeat() shows the job's snapshot (CopyJob::progress()) instead, so that the elapsed
/// time and the rate move on while the worker itself waits for one long copy command. What
/// it shows never goes back in time: an event computed before a snapshot that was already
/// shown is dropped. Thread-safe; `show` runs under its lock, one call at a time.
class ProgressRelay {
public:
    using Clock = std::chrono::steady_clock;

    explicit ProgressRelay(std::function<void(const CopyProgress&)> show,
                           std::chrono::milliseconds quiet = std::chrono::seconds(1))
        : m_show(std::move(show))
        , m_quiet(quiet)
    {
    }

    /// A progress event of the job (on its worker thread).
    void event(const CopyProgress& progress)
    {
        std::lock_guard lock(m_mutex);
        if (progress.elapsedSeconds < m_shownElapsed)
            return; // older than a snapshot shown meanwhile
        showLocked(progress);
    }

    /// Shows `snapshot()` (taken under the lock) when nothing was shown for `quiet`;
    /// returns whether it did.
    template <class Snapshot>
    bool heartbeat(Snapshot&& snapshot)
    {
        std::lock_guard lock(m_mutex);
        if (Clock::now() - m_lastShown < m_quiet)
            return false;
        showLocked(snapshot());
        return true;
    }

    /// How long until a heartbeat would show something (0 when it is due now).
    std::chrono::milliseconds untilDue() const
    {
        std::lock_guard lock(m_mutex);
        const auto left = m_lastShown + m_quiet - Clock::now();
        return std::max(std::chrono::ceil<std::chrono::milliseconds>(left), std::chrono::milliseconds(0));
    }

private:
    void showLocked(const CopyProgress& progress)
    {
        m_lastShown = Clock::now();
        m_shownElapsed = progress.elapsedSeconds;
        if (m_show)
            m_show(progress);
    }

    std::function<void(const CopyProgress&)> m_show;
    std::chrono::milliseconds m_quiet;
    mutable std::mutex m_mutex;
    Clock::time_point m_lastShown = Clock::now();
    double m_shownElapsed = 0;
};

} // namespace offload
