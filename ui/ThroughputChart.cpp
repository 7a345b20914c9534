// SPDX-License-Identifier: GPL-2.0-or-later
#include "ThroughputChart.h"

#include "ExtentBar.h"

#include <QChart>
#include <QEvent>
#include <QLineSeries>
#include <QValueAxis>

namespace offload::ui {

QColor methodColor(CopyMethod method)
{
    switch (method) {
    case CopyMethod::NvmeCopy: return ExtentBar::offloadColor();
    case CopyMethod::ScsiXcopy: return ExtentBar::xcopyColor();
    case CopyMethod::ReadWrite: return ExtentBar::hostColor();
    case CopyMethod::FileClone: return QColor(0x7b, 0x4f, 0xc9);
    case CopyMethod::CopyFileRange: return QColor(0xb0, 0x4f, 0xa8);
    }
    return ExtentBar::hostColor();
}

QString methodText(CopyMethod method)
{
    switch (method) {
    case CopyMethod::NvmeCopy: return QObject::tr("NVMe Copy");
    case CopyMethod::ScsiXcopy: return QObject::tr("EXTENDED COPY");
    case CopyMethod::ReadWrite: return QObject::tr("host read/write");
    case CopyMethod::FileClone: return QObject::tr("reflink (FICLONE)");
    case CopyMethod::CopyFileRange: return QObject::tr("copy_file_range");
    }
    return {};
}

ThroughputChart::ThroughputChart(QWidget* parent)
    : QChartView(parent)
{
    auto* chart = new QChart;
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(4, 4, 4, 4));
    m_axisX = new QValueAxis(chart);
    m_axisX->setTitleText(tr("seconds"));
    m_axisX->setLabelFormat(QStringLiteral("%.0f"));
    m_axisX->setRange(0, 10);
    m_axisY = new QValueAxis(chart);
    m_axisY->setTitleText(tr("MB/s"));
    m_axisY->setLabelFormat(QStringLiteral("%.0f"));
    m_axisY->setRange(0, 1);
    chart->addAxis(m_axisX, Qt::AlignBottom);
    chart->addAxis(m_axisY, Qt::AlignLeft);
    for (std::size_t m = 0; m < kCopyMethodCount; ++m) {
        const auto method = static_cast<CopyMethod>(m);
        auto* s = new QLineSeries(chart);
        s->setName(methodText(method));
        QPen pen(methodColor(method));
        pen.setWidthF(2.0);
        s->setPen(pen);
        chart->addSeries(s);
        s->attachAxis(m_axisX);
        s->attachAxis(m_axisY);
        m_series[m] = s;
    }
    setChart(chart);
    setRenderHint(QPainter::Antialiasing);
    setMinimumHeight(180);
    setAccessibleName(tr("Throughput chart"));
    setAccessibleDescription(tr("Copy rate over time, one line per copy method"));
    applyPalette();
    setJob(nullptr);
}

void ThroughputChart::applyPalette()
{
    QChart* c = chart();
    const QPalette pal = palette();
    c->setBackgroundBrush(pal.color(QPalette::Base));
    c->setBackgroundPen(QPen(pal.color(QPalette::Mid)));
    c->setTitleBrush(pal.color(QPalette::Text));
    c->legend()->setLabelColor(pal.color(QPalette::Text));
    for (QValueAxis* axis : {m_axisX, m_axisY}) {
        axis->setLabelsColor(pal.color(QPalette::Text));
        axis->setTitleBrush(pal.color(QPalette::Text));
        axis->setLinePenColor(pal.color(QPalette::Mid));
        // 40 % of the way from the background to the text: visible in light and dark palettes.
        const QColor base = pal.color(QPalette::Base), text = pal.color(QPalette::Text);
        axis->setGridLineColor(QColor::fromRgbF(base.redF() * 0.6f + text.redF() * 0.4f,
                                                base.greenF() * 0.6f + text.greenF() * 0.4f,
                                                base.blueF() * 0.6f + text.blueF() * 0.4f));
    }
    setBackgroundBrush(pal.color(QPalette::Window));
}

void ThroughputChart::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::PaletteChange)
        applyPalette();
    QChartView::changeEvent(event);
}

void ThroughputChart::setJob(JobController* job)
{
    disconnect(m_connection);
    m_job = job;
    for (auto* s : m_series)
        s->clear();
    m_maxY = 1.0;
    m_axisX->setRange(0, 10);
    m_axisX->applyNiceNumbers(); // ticks at 0, 2, 4, ... rather than 2.5 shown as "3"
    m_axisY->setRange(0, 100);
    m_axisY->setLabelFormat(QStringLiteral("%.0f"));
    if (!job) {
        chart()->setTitle(tr("Throughput (select a job)"));
        for (auto* s : m_series)
            s->setVisible(false);
        return;
    }
    chart()->setTitle(tr("Throughput: %1").arg(job->title()));
    // Show the methods this plan uses (and read/write, the fallback of every plan).
    for (std::size_t m = 0; m < kCopyMethodCount; ++m) {
        const auto method = static_cast<CopyMethod>(m);
        const bool used = method == CopyMethod::ReadWrite || job->plan().bytesBy(method) > 0;
        m_series[m]->setVisible(used);
    }
    for (const auto& s : job->samples())
        addSample(s);
    m_connection = connect(job, &JobController::sampleAdded, this, &ThroughputChart::addSample);
}

void ThroughputChart::addSample(const ThroughputSample& sample)
{
    for (std::size_t m = 0; m < kCopyMethodCount; ++m) {
        const double mbps = sample.bytesPerSecond[m] / 1e6;
        m_series[m]->append(sample.seconds, mbps);
        if (mbps > 0 && !m_series[m]->isVisible())
            m_series[m]->setVisible(true);
        m_maxY = std::max(m_maxY, mbps);
    }
    m_axisX->setRange(0, std::max(10.0, sample.seconds * 1.1));
    m_axisX->applyNiceNumbers();
    m_axisY->setRange(0, m_maxY * 1.1);
    m_axisY->applyNiceNumbers();
    m_axisY->setLabelFormat(m_maxY < 10 ? QStringLiteral("%.1f") : QStringLiteral("%.0f"));
}

int ThroughputChart::pointCount(CopyMethod method) const
{
    return static_cast<int>(m_series[methodIndex(method)]->count());
}

} // namespace offload::ui
