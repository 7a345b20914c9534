// SPDX-License-Identifier: GPL-2.0-or-later
#include "CloneDialog.h"

#include "ExtentBar.h"
#include "Icons.h"
#include "ThroughputChart.h"
#include "Units.h"
#include "VolumeListModel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>

#include <map>
#include <set>

namespace offload::ui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }
} // namespace

CloneDialog::CloneDialog(std::shared_ptr<const VolumeSnapshot> snapshot, QWidget* parent)
    : QDialog(parent)
    , m_snapshot(std::move(snapshot))
{
    setWindowTitle(tr("Clone a volume"));
    setWindowIcon(icon(QStringLiteral("clone")));
    auto* layout = new QVBoxLayout(this);

    m_sources = new VolumeListModel(this);
    m_sources->setSnapshot(m_snapshot);
    m_destinations = new VolumeListModel(this);
    m_destinations->setSnapshot(m_snapshot);
    m_destModel = new DestinationFilterModel(this);
    m_destModel->setSourceModel(m_destinations);

    auto* form = new QFormLayout;
    m_sourceCombo = new QComboBox(this);
    m_sourceCombo->setModel(m_sources);
    m_sourceCombo->setAccessibleName(tr("Source volume"));
    m_sourceCombo->setCurrentIndex(-1);
    m_destCombo = new QComboBox(this);
    m_destCombo->setModel(m_destModel);
    m_destCombo->setAccessibleName(tr("Destination volume"));
    auto* srcLabel = new QLabel(tr("&Source:"), this);
    srcLabel->setBuddy(m_sourceCombo);
    auto* dstLabel = new QLabel(tr("&Destination (overwritten):"), this);
    dstLabel->setBuddy(m_destCombo);
    form->addRow(srcLabel, m_sourceCombo);
    form->addRow(dstLabel, m_destCombo);
    layout->addLayout(form);

    auto* planBox = new QGroupBox(tr("Plan (nothing is written until you start)"), this);
    auto* planLayout = new QVBoxLayout(planBox);
    m_share = new QLabel(planBox);
    QFont bold = m_share->font();
    bold.setBold(true);
    m_share->setFont(bold);
    m_share->setAccessibleName(tr("Offloaded share"));
    m_share->setWordWrap(true);
    planLayout->addWidget(m_share);
    m_planBar = new ExtentBar(planBox);
    m_planBar->setAccessibleName(tr("Plan extent map"));
    planLayout->addWidget(m_planBar);
    auto* scroll = new QScrollArea(planBox);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::StyledPanel);
    m_reasons = new QLabel(scroll);
    m_reasons->setWordWrap(true);
    m_reasons->setTextFormat(Qt::RichText);
    m_reasons->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_reasons->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    m_reasons->setAccessibleName(tr("Plan reasons and warnings"));
    m_reasons->setMargin(6);
    scroll->setWidget(m_reasons);
    scroll->setMinimumHeight(150);
    planLayout->addWidget(scroll, 1);
    layout->addWidget(planBox, 1);

    m_verify = new QCheckBox(tr("&Verify: read both back and compare after the copy"), this);
    m_requireOffload = new QCheckBox(tr("&Require offload: fail rather than copy through the host"), this);
    layout->addWidget(m_verify);
    layout->addWidget(m_requireOffload);

    m_blockerLabel = new QLabel(this);
    m_blockerLabel->setWordWrap(true);
    m_blockerLabel->setAccessibleName(tr("Why the copy cannot start"));
    layout->addWidget(m_blockerLabel);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    m_start = buttons->addButton(tr("Start &copy…"), QDialogButtonBox::AcceptRole);
    m_start->setIcon(icon(QStringLiteral("clone")));
    m_start->setAccessibleName(tr("Start the copy"));
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &CloneDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    connect(m_sourceCombo, &QComboBox::currentIndexChanged, this, &CloneDialog::sourceChanged);
    connect(m_destCombo, &QComboBox::currentIndexChanged, this, &CloneDialog::replan);
    connect(m_requireOffload, &QCheckBox::toggled, this, &CloneDialog::replan);

    resize(760, 600);
    sourceChanged();
}

std::optional<std::size_t> CloneDialog::source() const
{
    const QVariant v = m_sourceCombo->currentData(VolumeListModel::DeviceIndexRole);
    if (!v.isValid())
        return std::nullopt;
    return static_cast<std::size_t>(v.toULongLong());
}

std::optional<std::size_t> CloneDialog::destination() const
{
    const int row = m_destCombo->currentIndex();
    if (row < 0)
        return std::nullopt;
    const QModelIndex idx = m_destModel->index(row, 0);
    if (!(m_destModel->flags(idx) & Qt::ItemIsEnabled))
        return std::nullopt;
    return static_cast<std::size_t>(idx.data(VolumeListModel::DeviceIndexRole).toULongLong());
}

void CloneDialog::setSource(std::size_t device)
{
    m_sourceCombo->setCurrentIndex(m_sources->rowForDevice(device));
}

void CloneDialog::setDestination(std::size_t device)
{
    const QModelIndex src = m_destinations->index(m_destinations->rowForDevice(device), 0);
    const QModelIndex proxy = m_destModel->mapFromSource(src);
    m_destCombo->setCurrentIndex(proxy.isValid() ? proxy.row() : -1);
}

void CloneDialog::sourceChanged()
{
    m_destModel->setSource(source());
    // Pick the first usable destination, if any; the user can change it.
    int first = -1;
    for (int r = 0; r < m_destModel->rowCount(); ++r) {
        if (m_destModel->flags(m_destModel->index(r, 0)) & Qt::ItemIsEnabled) {
            first = r;
            break;
        }
    }
    m_destCombo->setCurrentIndex(first);
    replan();
}

bool CloneDialog::requireOffload() const
{
    return m_requireOffload->isChecked();
}

CopyOptions CloneDialog::options() const
{
    CopyOptions o;
    o.verify = m_verify->isChecked();
    o.requireOffload = m_requireOffload->isChecked();
    return o;
}

void CloneDialog::replan()
{
    m_plan.reset();
    m_blocker.clear();
    const auto src = source();
    const auto dst = destination();
    QStringList html;
    if (!m_snapshot || !src) {
        m_blocker = tr("Choose a source volume.");
    } else if (m_destModel->rowCount() == 0) {
        m_blocker = tr("No volume is large enough to hold %1 (%2).")
                        .arg(q(m_snapshot->device(*src).name), formatBytes(m_snapshot->device(*src).sizeBytes));
    } else if (!dst) {
        m_blocker = tr("Choose a destination; volumes that are mounted or in use cannot be chosen.");
    } else {
        const Topology& t = *m_snapshot->topology;
        CopyRequest request;
        request.source = deviceEndpoint(t, *src);
        request.destination = deviceEndpoint(t, *dst);
        request.length = t.at(*src).sizeBytes;
        auto plan = planCopy(t, m_snapshot->capabilities, request);
        if (!plan) {
            m_blocker = q(plan.error().message());
        } else {
            m_plan = std::move(*plan);
        }
    }

    if (m_plan) {
        const CopyPlan& p = *m_plan;
        QList<ExtentBar::Segment> segments;
        std::set<CopyMethod> methods;
        std::map<QString, uint64_t> reasons; // reason -> bytes
        for (const PlannedExtent& e : p.extents) {
            ExtentBar::Segment s;
            s.offset = e.srcOffset - p.srcOffset;
            s.length = e.length;
            s.color = methodColor(e.method);
            s.label = methodText(e.method);
            s.toolTip = tr("%1 – %2: %3\n%4")
                            .arg(formatBytes(s.offset), formatBytes(s.offset + s.length), methodText(e.method), q(e.reason));
            segments << s;
            methods.insert(e.method);
            reasons[QStringLiteral("%1: %2").arg(methodText(e.method), q(e.reason))] += e.length;
        }
        QList<ExtentBar::LegendEntry> legend;
        for (CopyMethod m : methods)
            legend << ExtentBar::LegendEntry{methodColor(m), methodText(m)};
        m_planBar->setExtents(p.length, segments, legend);
        QStringList commands;
        if (!p.nvmeSteps.empty())
            commands << countText(qsizetype(p.nvmeSteps.size()), tr("NVMe Copy command"), tr("NVMe Copy commands"));
        if (!p.xcopySteps.empty())
            commands << countText(qsizetype(p.xcopySteps.size()), tr("EXTENDED COPY command"), tr("EXTENDED COPY commands"));
        m_share->setText(tr("%1 of %2 offloaded to the device, %3 copied by the host (%4 extents%5)")
                             .arg(formatShare(p.offloadedShare()), formatBytes(p.length),
                                  formatBytes(p.length - p.offloadedBytes()))
                             .arg(p.extents.size())
                             .arg(commands.isEmpty() ? QString() : QStringLiteral("; ") + commands.join(QStringLiteral(", "))));
        html << QStringLiteral("<b>%1</b><ul style=\"margin-left:-20px\">").arg(tr("Reasons"));
        for (const auto& [reason, bytes] : reasons)
            html << QStringLiteral("<li>%1 <i>(%2)</i></li>").arg(reason.toHtmlEscaped(), formatBytes(bytes));
        html << QStringLiteral("</ul>");
        if (!p.warnings.empty()) {
            html << QStringLiteral("<b>%1</b><ul style=\"margin-left:-20px\">").arg(tr("Warnings"));
            for (const auto& w : p.warnings)
                html << QStringLiteral("<li>%1</li>").arg(q(w).toHtmlEscaped());
            html << QStringLiteral("</ul>");
        }
        html << tr("<b>Destination:</b> %1<br/><b>Stable id:</b> %2")
                    .arg(q(p.destination.label).toHtmlEscaped(),
                         q(m_snapshot->device(*dst).stableId()).toHtmlEscaped());

        if (requireOffload() && p.offloadedBytes() < p.length)
            m_blocker = tr("Require offload is on, but %1 would be copied by the host (see the reasons).")
                            .arg(formatBytes(p.length - p.offloadedBytes()));
        else if (!m_snapshot->live)
            m_blocker = tr("This is a captured fixture (%1), not this machine: you can plan, but not copy.")
                            .arg(fixtureDisplayName(m_snapshot->origin));
    } else {
        m_planBar->clear();
        m_share->setText(tr("No plan yet."));
    }
    m_reasons->setText(html.join(QString()));
    m_blockerLabel->setText(m_blocker);
    m_blockerLabel->setVisible(!m_blocker.isEmpty());
    m_start->setEnabled(m_plan && m_blocker.isEmpty());
}

QString CloneDialog::confirmationText() const
{
    if (!m_plan || !destination())
        return {};
    const BlockDevice& dst = m_snapshot->device(*destination());
    const BlockDevice& src = m_snapshot->device(*source());
    return tr("Overwrite %1?\n\nStable id: %2\nDevice: %3\n\nThe first %4 of it will be replaced by a copy of %5. "
              "Whatever is stored there now is lost.")
        .arg(q(dst.label()), q(dst.stableId()), q(dst.devPath()), formatBytes(m_plan->length), q(src.label()));
}

void CloneDialog::accept()
{
    if (!m_plan || !m_blocker.isEmpty())
        return;
    if (m_confirm) {
        QMessageBox box(QMessageBox::Warning, tr("Overwrite %1?").arg(q(m_snapshot->device(*destination()).name)),
                        confirmationText(), QMessageBox::Cancel, this);
        auto* overwrite = box.addButton(tr("&Overwrite"), QMessageBox::DestructiveRole);
        box.setDefaultButton(QMessageBox::Cancel);
        box.exec();
        if (box.clickedButton() != overwrite)
            return;
    }
    QDialog::accept();
}

} // namespace offload::ui
