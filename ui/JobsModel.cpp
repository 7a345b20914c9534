// SPDX-License-Identifier: GPL-2.0-or-later
#include "JobsModel.h"

#include "Icons.h"
#include "JobController.h"
#include "Units.h"

namespace offload::ui {

JobsModel::JobsModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void JobsModel::addJob(JobController* job)
{
    const int row = static_cast<int>(m_jobs.size());
    beginInsertRows({}, row, row);
    job->setParent(this);
    m_jobs << job;
    endInsertRows();
    connect(job, &JobController::started, this, [this, job] { jobChanged(job); });
    connect(job, &JobController::progressChanged, this, [this, job] { jobChanged(job); });
    connect(job, &JobController::finished, this, [this, job] { jobChanged(job); });
}

JobController* JobsModel::job(int row) const
{
    return row >= 0 && row < m_jobs.size() ? m_jobs[row] : nullptr;
}

int JobsModel::rowOf(const JobController* job) const
{
    for (int i = 0; i < m_jobs.size(); ++i)
        if (m_jobs[i] == job)
            return i;
    return -1;
}

int JobsModel::runningCount() const
{
    int n = 0;
    for (auto* j : m_jobs)
        n += j->state() == JobController::State::Running ? 1 : 0;
    return n;
}

void JobsModel::jobChanged(JobController* job)
{
    const int row = rowOf(job);
    if (row >= 0)
        emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

int JobsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_jobs.size());
}

int JobsModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant JobsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case JobColumn: return tr("Job");
    case StateColumn: return tr("State");
    case ProgressColumn: return tr("Progress");
    case RateColumn: return tr("Rate");
    case EtaColumn: return tr("ETA");
    case OffloadedColumn: return tr("Offloaded");
    case CpuColumn: return tr("Host CPU");
    case SavedColumn: return tr("Host bytes saved");
    default: return {};
    }
}

QVariant JobsModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= m_jobs.size())
        return {};
    const JobController* j = m_jobs[index.row()];
    const CopyProgress& p = j->progress();
    const bool running = j->state() == JobController::State::Running;
    if (role == FractionRole)
        return p.fraction();
    if (role == Qt::DisplayRole || role == Qt::AccessibleTextRole) {
        switch (index.column()) {
        case JobColumn: return j->title();
        case StateColumn: return j->stateText();
        case ProgressColumn:
            return QStringLiteral("%1 % (%2 of %3)")
                .arg(static_cast<int>(p.fraction() * 100.0))
                .arg(formatBytes(p.doneBytes), formatBytes(p.totalBytes));
        case RateColumn:
            if (running)
                return formatRate(p.bytesPerSecond);
            return p.elapsedSeconds > 0 ? formatRate(static_cast<double>(p.doneBytes) / p.elapsedSeconds) : QString();
        case EtaColumn:
            if (!running)
                return formatDuration(p.elapsedSeconds) + tr(" total");
            return p.etaSeconds ? formatDuration(*p.etaSeconds) : QStringLiteral("—");
        case OffloadedColumn: return p.doneBytes ? formatShare(p.offloadedShare()) : QStringLiteral("—");
        case CpuColumn: return QStringLiteral("%1 s").arg(j->hostCpuSeconds(), 0, 'f', 2);
        case SavedColumn: return formatBytes(j->hostBytesSaved());
        }
    }
    if (role == Qt::DecorationRole && index.column() == StateColumn) {
        switch (j->state()) {
        case JobController::State::Failed: return icon(QStringLiteral("job-cancel"));
        case JobController::State::Succeeded: return icon(QStringLiteral("offload-full"));
        default: return {};
        }
    }
    if (role == Qt::ToolTipRole) {
        QString tip = j->title();
        if (!j->failureText().isEmpty())
            tip += QLatin1Char('\n') + j->failureText();
        return tip;
    }
    return {};
}

} // namespace offload::ui
