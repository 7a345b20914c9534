// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <QWidget>

class QLabel;
class QPushButton;
class QTableView;

namespace offload::ui {

class JobController;
class JobsModel;
class ThroughputChart;

/// The jobs list (progress bars, rate, ETA, offloaded share, host CPU, bytes saved), a
/// Cancel button, the selected job's fallbacks or failure (device, LBA, what to do), and
/// its live throughput chart.
class JobsPanel : public QWidget {
    Q_OBJECT
public:
    explicit JobsPanel(JobsModel* model, QWidget* parent = nullptr);

    void selectJob(JobController* job);
    QTableView* view() const { return m_view; }
    ThroughputChart* chart() const { return m_chart; }
    QLabel* detailsLabel() const { return m_details; }

private:
    JobController* currentJob() const;
    void updateDetails();

    JobsModel* m_model;
    QTableView* m_view = nullptr;
    QPushButton* m_cancel = nullptr;
    QLabel* m_details = nullptr;
    ThroughputChart* m_chart = nullptr;
};

} // namespace offload::ui
