// SPDX-License-Identifier: GPL-2.0-or-later
#include "JobsPanel.h"

#include "Icons.h"
#include "JobController.h"
#include "JobsModel.h"
#include "ThroughputChart.h"
#include "Units.h"

#include <QApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPainter>
#include <QPushButton>
#include <QSplitter>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QVBoxLayout>

namespace offload::ui {

namespace {

/// Draws the progress column as a progress bar in the current style.
class ProgressDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override
    {
        QStyleOptionViewItem base(option);
        initStyleOption(&base, index);
        base.text.clear();
        const QWidget* widget = option.widget;
        QStyle* style = widget ? widget->style() : QApplication::style();
        style->drawControl(QStyle::CE_ItemViewItem, &base, painter, widget);

        QStyleOptionProgressBar bar;
        bar.rect = option.rect.adjusted(2, 2, -2, -2);
        bar.minimum = 0;
        bar.maximum = 1000;
        bar.progress = static_cast<int>(index.data(JobsModel::FractionRole).toDouble() * 1000.0);
        bar.text = index.data().toString();
        bar.textVisible = true;
        bar.state = option.state | QStyle::State_Horizontal;
        bar.palette = option.palette;
        bar.fontMetrics = option.fontMetrics;
        style->drawControl(QStyle::CE_ProgressBar, &bar, painter, widget);
    }
};

} // namespace

JobsPanel::JobsPanel(JobsModel* model, QWidget* parent)
    : QWidget(parent)
    , m_model(model)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* split = new QSplitter(Qt::Horizontal, this);

    auto* left = new QWidget(split);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    m_view = new QTableView(left);
    m_view->setModel(model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setItemDelegateForColumn(JobsModel::ProgressColumn, new ProgressDelegate(m_view));
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setSectionResizeMode(JobsModel::ProgressColumn, QHeaderView::Interactive);
    m_view->setColumnWidth(JobsModel::ProgressColumn, 220);
    m_view->setAccessibleName(tr("Copy jobs"));
    m_view->setTabKeyNavigation(false);
    leftLayout->addWidget(m_view, 1);

    auto* row = new QHBoxLayout;
    m_cancel = new QPushButton(icon(QStringLiteral("job-cancel")), tr("&Cancel job"), left);
    m_cancel->setAccessibleName(tr("Cancel the selected job"));
    m_cancel->setEnabled(false);
    row->addWidget(m_cancel);
    row->addStretch();
    leftLayout->addLayout(row);

    m_details = new QLabel(left);
    m_details->setWordWrap(true);
    m_details->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    m_details->setAccessibleName(tr("Job details"));
    m_details->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    leftLayout->addWidget(m_details);

    m_chart = new ThroughputChart(split);
    split->addWidget(left);
    split->addWidget(m_chart);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    layout->addWidget(split);

    connect(m_cancel, &QPushButton::clicked, this, [this] {
        if (auto* j = currentJob())
            j->cancel();
    });
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this] {
        m_chart->setJob(currentJob());
        updateDetails();
    });
    connect(model, &QAbstractItemModel::dataChanged, this, [this] { updateDetails(); });
    connect(model, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex&, int first) {
        selectJob(m_model->job(first));
    });
    updateDetails();
}

JobController* JobsPanel::currentJob() const
{
    const QModelIndex current = m_view->selectionModel()->currentIndex();
    return current.isValid() ? m_model->job(current.row()) : nullptr;
}

void JobsPanel::selectJob(JobController* job)
{
    const int row = m_model->rowOf(job);
    if (row < 0)
        return;
    m_view->selectionModel()->setCurrentIndex(m_model->index(row, 0),
                                              QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

void JobsPanel::updateDetails()
{
    JobController* j = currentJob();
    // Once asked, the job is stopping (a copy run through pkexec answers with its final record).
    m_cancel->setEnabled(j && j->state() == JobController::State::Running && !j->cancelRequested());
    if (!j) {
        m_details->setText(m_model->rowCount() ? tr("Select a job to see its details.")
                                               : tr("No copy jobs yet. Use Clone… to start one."));
        return;
    }
    QStringList lines;
    const CopyProgress& p = j->progress();
    lines << tr("%1: %2 of %3 extents, %4 offloaded, %5 by host read/write.")
                 .arg(j->stateText())
                 .arg(p.extentsDone)
                 .arg(p.extentsTotal)
                 .arg(formatBytes(p.offloadedBytes), formatBytes(p.hostBytes));
    if (!j->fallbackReasons().isEmpty())
        lines << tr("Fell back to host copy: %1").arg(j->fallbackReasons().join(QStringLiteral("; ")));
    const QString failure = j->failureText();
    if (!failure.isEmpty())
        lines << failure;
    if (j->result() && j->result()->verify)
        lines << tr("Verify: %1").arg(QString::fromStdString(j->result()->verify->message()));
    m_details->setText(lines.join(QLatin1Char('\n')));
}

} // namespace offload::ui
