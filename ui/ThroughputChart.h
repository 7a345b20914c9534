// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "JobController.h"

#include <QChartView>
#include <QPointer>

#include <array>

class QLineSeries;
class QValueAxis;

namespace offload::ui {

/// A live throughput chart of one job (MB/s over seconds), one line per copy method, so
/// offloaded and host-copied bytes are told apart. Follows the palette (light or dark).
class ThroughputChart : public QChartView {
    Q_OBJECT
public:
    explicit ThroughputChart(QWidget* parent = nullptr);

    /// Shows `job` (nullptr: empty chart). Redraws its history, then follows new samples.
    void setJob(JobController* job);
    JobController* job() const { return m_job; }
    /// Points of the line for `method` (tests).
    int pointCount(CopyMethod method) const;

protected:
    void changeEvent(QEvent* event) override;

private:
    void addSample(const ThroughputSample& sample);
    void applyPalette();

    QPointer<JobController> m_job;
    QMetaObject::Connection m_connection;
    std::array<QLineSeries*, kCopyMethodCount> m_series{};
    QValueAxis* m_axisX = nullptr;
    QValueAxis* m_axisY = nullptr;
    double m_maxY = 1.0;
};

/// The colour the app uses for a copy method (chart lines and plan extent bars).
QColor methodColor(CopyMethod method);
QString methodText(CopyMethod method);

} // namespace offload::ui
