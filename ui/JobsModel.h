// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <QAbstractTableModel>
#include <QList>

namespace offload::ui {

class JobController;

/// Running and finished copy jobs, one row each: progress, rate, ETA, offloaded share,
/// host CPU and the bytes the host did not have to move. Takes ownership of the
/// controllers added to it (as their QObject parent).
class JobsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        JobColumn, StateColumn, ProgressColumn, RateColumn, EtaColumn, OffloadedColumn, CpuColumn, SavedColumn,
        ColumnCount
    };
    enum Role { FractionRole = Qt::UserRole + 1 }; ///< double 0..1 for the progress column

    explicit JobsModel(QObject* parent = nullptr);

    void addJob(JobController* job);
    JobController* job(int row) const;
    int rowOf(const JobController* job) const;
    int runningCount() const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    void jobChanged(JobController* job);
    QList<JobController*> m_jobs;
};

} // namespace offload::ui
