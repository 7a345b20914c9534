// SPDX-License-Identifier: GPL-2.0-or-later
#include "DetailsPane.h"

#include "ExtentBar.h"
#include "Icons.h"
#include "Units.h"

#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QScrollArea>
#include <QVBoxLayout>

#include <set>

namespace offload::ui {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

QString hexBytes(const std::vector<uint8_t>& bytes)
{
    QString out;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i > 0 && i % 4 == 0)
            out += QLatin1Char(' '); // groups of 4 bytes, so a narrow pane can wrap it
        out += QStringLiteral("%1").arg(bytes[i], 2, 16, QLatin1Char('0'));
    }
    return out;
}

QString blocksText(uint32_t blocks, uint32_t blockBytes)
{
    return QStringLiteral("%1 blocks (%2)").arg(blocks).arg(formatBytes(uint64_t{blocks} * blockBytes));
}

/// Which segment of the queried dm device holds `offset` (bytes), 1-based; 0 when not dm.
int dmSegmentAt(const BlockDevice& dev, uint64_t offset)
{
    if (!dev.dm)
        return 0;
    const uint64_t sector = offset / 512;
    for (std::size_t i = 0; i < dev.dm->table.size(); ++i) {
        const auto& seg = dev.dm->table[i];
        if (sector >= seg.start && sector < seg.start + seg.length)
            return static_cast<int>(i) + 1;
    }
    return 0;
}

} // namespace

DetailsPane::DetailsPane(QWidget* parent)
    : QWidget(parent)
{
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    outer->addWidget(scroll);

    auto* content = new QWidget(scroll);
    auto* layout = new QVBoxLayout(content);

    auto* header = new QHBoxLayout;
    m_title = new QLabel(content);
    QFont titleFont = m_title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.3);
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    m_badgeIcon = new QLabel(content);
    m_badge = new QLabel(content);
    m_badge->setWordWrap(true);
    m_badgeIcon->setFixedSize(20, 20);
    layout->addWidget(m_title);
    header->addWidget(m_badgeIcon, 0, Qt::AlignTop);
    header->addWidget(m_badge, 1);
    layout->addLayout(header);

    auto* mapBox = new QGroupBox(tr("Where the bytes live"), content);
    auto* mapLayout = new QVBoxLayout(mapBox);
    m_extentBar = new ExtentBar(mapBox);
    mapLayout->addWidget(m_extentBar);
    layout->addWidget(mapBox);

    m_reasonsBox = new QGroupBox(tr("Reasons"), content);
    auto* reasonsLayout = new QVBoxLayout(m_reasonsBox);
    m_reasons = new QLabel(m_reasonsBox);
    m_reasons->setWordWrap(true);
    m_reasons->setTextFormat(Qt::RichText);
    m_reasons->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    m_reasons->setAccessibleName(tr("Reasons"));
    reasonsLayout->addWidget(m_reasons);
    layout->addWidget(m_reasonsBox);

    auto* boxes = new QVBoxLayout;
    m_identityBox = new QGroupBox(tr("Identity"), content);
    m_identity = new QFormLayout(m_identityBox);
    m_identity->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_limitsBox = new QGroupBox(tr("Copy limits"), content);
    m_limits = new QFormLayout(m_limitsBox);
    m_limits->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    boxes->addWidget(m_identityBox);
    boxes->addWidget(m_limitsBox);
    layout->addLayout(boxes);
    layout->addStretch();

    scroll->setWidget(content);
    showDevice(std::nullopt);
}

void DetailsPane::setSnapshot(std::shared_ptr<const VolumeSnapshot> snapshot)
{
    m_snapshot = std::move(snapshot);
    showDevice(std::nullopt);
}

void DetailsPane::clearForm(QFormLayout* form)
{
    while (form->rowCount() > 0)
        form->removeRow(0);
}

void DetailsPane::addRow(QFormLayout* form, const QString& label, const QString& value)
{
    if (value.isEmpty())
        return;
    auto* field = new QLabel(value);
    field->setWordWrap(true);
    field->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    field->setAccessibleName(label);
    form->addRow(label + QLatin1Char(':'), field);
}

void DetailsPane::fillExtentBar(ExtentBar& bar, const VolumeSnapshot& snapshot, std::size_t device)
{
    const BlockDevice& dev = snapshot.device(device);
    const VolumeAssessment& a = snapshot.assessment(device);
    QList<ExtentBar::Segment> segments;
    std::set<int> used; // which legend entries appear
    for (const AssessedPiece& ap : a.pieces) {
        const MappedPiece& p = ap.piece;
        const BlockDevice& where = snapshot.device(p.device);
        ExtentBar::Segment s;
        s.offset = p.offset;
        s.length = p.length;
        QString label = q(where.name);
        const int seg = dmSegmentAt(dev, p.offset);
        if (seg > 0 && dev.dm->table.size() > 1)
            label = QStringLiteral("seg %1 → %2").arg(seg).arg(label);
        s.label = label;
        int legend = 0;
        switch (p.kind) {
        case PieceKind::Leaf:
            if (ap.ability == PieceAbility::Offload) {
                s.color = ap.mechanism == CopyMechanism::ScsiXcopy ? ExtentBar::xcopyColor() : ExtentBar::offloadColor();
                legend = ap.mechanism == CopyMechanism::ScsiXcopy ? 1 : 0;
            } else if (ap.ability == PieceAbility::Unknown) {
                s.color = ExtentBar::unknownColor();
                legend = 4;
            } else {
                s.color = ExtentBar::hostColor();
                legend = 2;
            }
            break;
        case PieceKind::Opaque:
            s.color = ExtentBar::stopColor();
            legend = 3;
            break;
        case PieceKind::Zero:
        case PieceKind::Error:
            s.color = ExtentBar::errorColor();
            legend = 5;
            break;
        }
        used.insert(legend);
        QStringList path;
        for (std::size_t d : p.path)
            path << q(snapshot.device(d).name);
        s.toolTip = QStringLiteral("%1 – %2 of %3\n%4 at %5\n%6%7")
                        .arg(formatBytes(p.offset), formatBytes(p.offset + p.length), q(dev.name),
                             path.join(QStringLiteral(" → ")), formatBytes(p.deviceOffset), ap.reason,
                             seg > 0 ? QStringLiteral("\ndm table segment %1 (%2)")
                                           .arg(seg)
                                           .arg(q(dev.dm->table[static_cast<std::size_t>(seg - 1)].target))
                                     : QString());
        segments << s;
    }
    const QList<ExtentBar::LegendEntry> all{
        {ExtentBar::offloadColor(), tr("NVMe Copy can offload")},
        {ExtentBar::xcopyColor(), tr("EXTENDED COPY can offload")},
        {ExtentBar::hostColor(), tr("leaf cannot offload: host copy")},
        {ExtentBar::stopColor(), tr("a layer stops offload: host copy")},
        {ExtentBar::unknownColor(), tr("not probed (needs root)")},
        {ExtentBar::errorColor(), tr("zero / error target")},
    };
    QList<ExtentBar::LegendEntry> legend;
    for (int i : used)
        legend << all[i];
    bar.setExtents(dev.sizeBytes, segments, legend);
}

void DetailsPane::showDevice(std::optional<std::size_t> device)
{
    clearForm(m_identity);
    clearForm(m_limits);
    if (!m_snapshot || !device || *device >= m_snapshot->topology->size()) {
        m_title->setText(tr("Select a volume"));
        m_badge->clear();
        m_badgeIcon->clear();
        m_extentBar->clear();
        m_reasons->setText(tr("Select a device in the tree to see its identity, copy limits and "
                              "whether a copy into or out of it can be offloaded."));
        m_identityBox->setVisible(false);
        m_limitsBox->setVisible(false);
        return;
    }
    m_identityBox->setVisible(true);
    m_limitsBox->setVisible(true);
    const BlockDevice& dev = m_snapshot->device(*device);
    const VolumeAssessment& a = m_snapshot->assessment(*device);

    m_title->setText(dev.dm && !dev.dm->name.empty() ? QStringLiteral("%1 (%2)").arg(q(dev.dm->name), q(dev.name))
                                                     : q(dev.name));
    m_badgeIcon->setPixmap(icon(badgeIconName(a.badge)).pixmap(20, 20));
    m_badge->setText(tr("%1 — %2 of its bytes on devices with a copy command")
                         .arg(badgeText(a.badge), formatShare(a.offloadableShare)));
    m_badge->setAccessibleName(tr("Verdict"));

    fillExtentBar(*m_extentBar, *m_snapshot, *device);

    QString reasons = QStringLiteral("<ul style=\"margin-left:-20px\">");
    for (const auto& r : a.reasons)
        reasons += QStringLiteral("<li>%1</li>").arg(r.toHtmlEscaped());
    reasons += QStringLiteral("</ul>");
    m_reasons->setText(a.reasons.isEmpty() ? tr("No reasons recorded.") : reasons);

    // Identity
    addRow(m_identity, tr("Type"), deviceTypeText(dev));
    addRow(m_identity, tr("Size"), QStringLiteral("%1 (%2 bytes)").arg(formatBytes(dev.sizeBytes)).arg(dev.sizeBytes));
    addRow(m_identity, tr("Device"), QStringLiteral("%1  (dev_t %2)").arg(q(dev.devPath()), q(dev.devnum.str())));
    addRow(m_identity, tr("Stable id"), q(dev.stableId()));
    addRow(m_identity, tr("Block size"),
           QStringLiteral("%1 logical / %2 physical").arg(dev.logicalBlockSize).arg(dev.physicalBlockSize));
    if (dev.nvme) {
        const auto& n = *dev.nvme;
        addRow(m_identity, tr("Model"), q(n.model));
        addRow(m_identity, tr("Serial"), q(n.serial));
        addRow(m_identity, tr("Namespace"), n.nsid ? QString::number(n.nsid) : QString());
        addRow(m_identity, tr("Controller"), QStringLiteral("%1 (%2)").arg(q(n.controller), q(n.transport)));
        addRow(m_identity, tr("Subsystem NQN"), q(n.subsysnqn));
        addRow(m_identity, tr("EUI-64"), q(n.eui64));
        addRow(m_identity, tr("NGUID"), q(n.nguid));
        addRow(m_identity, tr("WWID"), q(n.wwid));
    }
    if (dev.scsi) {
        const auto& s = *dev.scsi;
        addRow(m_identity, tr("Vendor / model"), QStringLiteral("%1 %2").arg(q(s.vendor), q(s.model)).trimmed());
        addRow(m_identity, tr("H:C:T:L"), q(s.hctl));
        addRow(m_identity, tr("WWN"), q(s.wwid));
    }
    if (dev.partition)
        addRow(m_identity, tr("Start"),
               QStringLiteral("sector %1 (%2)").arg(dev.partition->startSector).arg(formatBytes(dev.partition->startSector * 512)));
    if (dev.dm) {
        addRow(m_identity, tr("dm name"), q(dev.dm->name));
        addRow(m_identity, tr("dm uuid"), q(dev.dm->uuid));
        if (dev.dm->tableKnown) {
            QStringList lines;
            for (const auto& seg : dev.dm->table)
                lines << QStringLiteral("%1 %2 %3 %4").arg(seg.start).arg(seg.length).arg(q(seg.target), q(seg.params));
            addRow(m_identity, tr("dm table"), lines.join(QLatin1Char('\n')));
        } else {
            addRow(m_identity, tr("dm table"), tr("unknown: %1").arg(q(dev.dm->tableError)));
        }
    }
    if (dev.loop) {
        addRow(m_identity, tr("Backing file"), q(dev.loop->backingFile));
        addRow(m_identity, tr("Direct I/O"), dev.loop->directIo ? tr("on") : tr("off"));
    }
    QStringList mounts;
    for (const auto& m : dev.mountpoints)
        mounts << q(m);
    addRow(m_identity, tr("Mounted on"), mounts.join(QStringLiteral(", ")));
    addRow(m_identity, tr("In use"), m_snapshot->inUseReason(*device));

    // Limits of every leaf under the volume.
    for (std::size_t leaf : m_snapshot->topology->leavesOf(*device)) {
        if (leaf >= m_snapshot->capabilities.devices.size())
            continue;
        const DeviceCapability& cap = m_snapshot->capabilities.at(leaf);
        const QString prefix = leaf == *device ? QString() : q(m_snapshot->device(leaf).name) + QStringLiteral(" ");
        addRow(m_limits, prefix + tr("Mechanism"),
               cap.status == ProbeStatus::NeedsRoot ? tr("unknown: needs root") : mechanismLabel(cap.mechanism));
        if (cap.nvme) {
            const auto& n = *cap.nvme;
            QStringList formats;
            for (unsigned f = 0; f < 4; ++f)
                if (n.supportsFormat(f))
                    formats << QString::number(f);
            addRow(m_limits, prefix + tr("ONCS / OCFS"),
                   QStringLiteral("0x%1 (Copy %2) / 0x%3 (formats %4)")
                       .arg(n.oncs, 0, 16)
                       .arg(n.copy ? tr("yes") : tr("no"))
                       .arg(n.ocfs, 0, 16)
                       .arg(formats.isEmpty() ? tr("none") : formats.join(QLatin1Char(','))));
            addRow(m_limits, prefix + tr("MSSRL"), blocksText(n.mssrl, n.lbaBytes));
            addRow(m_limits, prefix + tr("MCL"), blocksText(n.mcl, n.lbaBytes));
            addRow(m_limits, prefix + tr("MSRC"), tr("%1 (up to %2 ranges per command)").arg(n.msrc).arg(n.maxRanges()));
            addRow(m_limits, prefix + tr("LBA size"), QStringLiteral("%1 bytes").arg(n.lbaBytes));
            if (n.mdtsBytes)
                addRow(m_limits, prefix + tr("MDTS"), formatBytes(n.mdtsBytes));
        }
        if (cap.scsi) {
            const auto& s = *cap.scsi;
            addRow(m_limits, prefix + tr("3PC"), s.threePC ? tr("yes") : tr("no"));
            addRow(m_limits, prefix + tr("NAA designator"),
                   s.naaDesignator.empty() ? tr("none") : QStringLiteral("NAA %1: %2").arg(s.naaFormat).arg(hexBytes(s.naaDesignator)));
            if (s.rcopKnown) {
                addRow(m_limits, prefix + tr("Max CSCD descriptors"), QString::number(s.maxCscdDescriptors));
                addRow(m_limits, prefix + tr("Max segment descriptors"), QString::number(s.maxSegmentDescriptors));
                addRow(m_limits, prefix + tr("Max segment length"),
                       s.maxSegmentLength ? formatBytes(s.maxSegmentLength) : tr("not reported"));
                addRow(m_limits, prefix + tr("Max descriptor list"), QStringLiteral("%1 bytes").arg(s.maxDescriptorListLength));
            }
            addRow(m_limits, prefix + tr("Segment limit"), tr("65,535 blocks per segment descriptor"));
        }
        if (!cap.reason.empty())
            addRow(m_limits, prefix + tr("Why"), q(cap.reason));
    }
    if (m_limits->rowCount() == 0)
        addRow(m_limits, tr("Limits"), tr("none reported"));
}

} // namespace offload::ui
