// SPDX-License-Identifier: GPL-2.0-or-later
#include "VolumeSnapshot.h"

#include "capability/LeafCopyChoice.h"
#include "capability/Verdict.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

#include <algorithm>

namespace offload::ui {

QString badgeText(Badge badge)
{
    switch (badge) {
    case Badge::EndToEnd: return QCoreApplication::translate("offload", "offloads end to end");
    case Badge::Partly: return QCoreApplication::translate("offload", "partly");
    case Badge::HostOnly: return QCoreApplication::translate("offload", "host copy only");
    case Badge::Unknown: return QCoreApplication::translate("offload", "unknown");
    }
    return {};
}

QString badgeIconName(Badge badge)
{
    switch (badge) {
    case Badge::EndToEnd: return QStringLiteral("offload-full");
    case Badge::Partly: return QStringLiteral("offload-partial");
    case Badge::HostOnly: return QStringLiteral("offload-none");
    case Badge::Unknown: return QStringLiteral("offload-unknown");
    }
    return {};
}

QString mechanismLabel(CopyMechanism mechanism)
{
    switch (mechanism) {
    case CopyMechanism::NvmeCopy: return QStringLiteral("NVMe Copy");
    case CopyMechanism::ScsiXcopy: return QStringLiteral("EXTENDED COPY");
    case CopyMechanism::None: return QStringLiteral("none");
    }
    return {};
}

QString fixtureDisplayName(const QString& fixtureDir)
{
    const QString name = QFileInfo(QDir::cleanPath(fixtureDir)).fileName();
    return name.isEmpty() ? fixtureDir : name;
}

QString countText(qsizetype count, const QString& singular, const QString& plural)
{
    return QStringLiteral("%1 %2").arg(count).arg(count == 1 ? singular : plural);
}

QString deviceTypeText(const BlockDevice& device)
{
    switch (device.kind) {
    case DeviceKind::NvmeNamespace: return QStringLiteral("NVMe namespace");
    case DeviceKind::ScsiDisk: return QStringLiteral("SCSI disk");
    case DeviceKind::Partition:
        return device.partition ? QStringLiteral("partition %1").arg(device.partition->number)
                                : QStringLiteral("partition");
    case DeviceKind::DeviceMapper: {
        if (!device.dm || device.dm->table.empty())
            return QStringLiteral("device-mapper");
        QStringList targets;
        for (const auto& seg : device.dm->table) {
            const QString t = QString::fromStdString(seg.target);
            if (!targets.contains(t))
                targets << t;
        }
        return QStringLiteral("dm-%1").arg(targets.join(QLatin1Char('+')));
    }
    case DeviceKind::Loop: return QStringLiteral("loop");
    case DeviceKind::Other:
        return device.driverHint.empty() ? QStringLiteral("other") : QString::fromStdString(device.driverHint);
    }
    return {};
}

namespace {

void addReason(QStringList& reasons, const QString& reason)
{
    if (!reason.isEmpty() && !reasons.contains(reason))
        reasons << reason;
}

AssessedPiece assessPiece(const Topology& topology, const CapabilitySet& caps, const MappedPiece& piece)
{
    AssessedPiece out;
    out.piece = piece;
    const BlockDevice& dev = topology.at(piece.device);
    switch (piece.kind) {
    case PieceKind::Leaf: {
        // The same decision the badge, `report` and the planner use: can this leaf copy
        // within itself (a zoned namespace, for one, cannot be a destination).
        LeafExtentPair within;
        within.srcLeaf = within.dstLeaf = piece.device;
        const LeafCopyChoice choice = chooseLeafCopy(topology, caps, within);
        out.mechanism = choice.mechanism;
        out.ability = choice.outcome == LeafCopyChoice::Outcome::Offload    ? PieceAbility::Offload
                      : choice.outcome == LeafCopyChoice::Outcome::Unknown ? PieceAbility::Unknown
                                                                            : PieceAbility::HostOnly;
        out.reason = QString::fromStdString(choice.reason);
        break;
    }
    case PieceKind::Opaque:
    case PieceKind::Zero:
    case PieceKind::Error:
        out.ability = PieceAbility::HostOnly;
        out.reason = QStringLiteral("%1: %2").arg(QString::fromStdString(dev.name), QString::fromStdString(piece.reason));
        break;
    }
    return out;
}

Badge badgeFor(Verdict verdict)
{
    switch (verdict) {
    case Verdict::Full: return Badge::EndToEnd;
    case Verdict::Partial: return Badge::Partly;
    case Verdict::None: return Badge::HostOnly;
    case Verdict::Unknown: return Badge::Unknown;
    }
    return Badge::Unknown;
}

/// The badge, mechanism and reasons come from core's volume verdict; the pieces (for the
/// extent bar) from mapRange, each judged by its leaf's capability.
VolumeAssessment assess(const Topology& topology, const CapabilitySet& caps, std::size_t index)
{
    VolumeAssessment a;
    const BlockDevice& dev = topology.at(index);
    const OffloadVerdict verdict = volumeVerdict(topology, caps, index);
    a.badge = badgeFor(verdict.verdict);
    a.offloadableShare = verdict.offloadableShare();
    for (const auto& r : verdict.reasons)
        addReason(a.reasons, QString::fromStdString(r));
    for (const auto& w : dev.warnings)
        addReason(a.reasons, QString::fromStdString(w));
    QStringList mechanisms;
    for (CopyMechanism m : verdict.mechanisms)
        mechanisms << mechanismLabel(m);
    if (!mechanisms.isEmpty())
        a.mechanism = mechanisms.join(QStringLiteral(", "));
    else if (verdict.verdict == Verdict::Unknown) {
        const bool needsRoot = std::any_of(verdict.leaves.begin(), verdict.leaves.end(), [&](std::size_t leaf) {
            return leaf < caps.devices.size() && caps.at(leaf).status == ProbeStatus::NeedsRoot;
        });
        a.mechanism = needsRoot || verdict.leaves.empty() ? QStringLiteral("unknown: needs root")
                                                          : QStringLiteral("unknown: probe failed");
    }
    else
        a.mechanism = QStringLiteral("none");

    if (dev.sizeBytes > 0) {
        auto pieces = mapRange(topology, index, 0, dev.sizeBytes);
        if (!pieces) {
            addReason(a.reasons, QString::fromStdString(pieces.error().message()));
            return a;
        }
        for (const auto& p : *pieces)
            a.pieces.push_back(assessPiece(topology, caps, p));
    }
    return a;
}

} // namespace

std::shared_ptr<const VolumeSnapshot> VolumeSnapshot::make(SystemSnapshot snapshot, QString origin, bool live)
{
    auto out = std::make_shared<VolumeSnapshot>();
    out->topology = snapshot.topology ? snapshot.topology : std::make_shared<const Topology>();
    out->capabilities = std::move(snapshot.capabilities);
    out->origin = std::move(origin);
    out->live = live;
    out->assessments.reserve(out->topology->size());
    for (std::size_t i = 0; i < out->topology->size(); ++i)
        out->assessments.push_back(assess(*out->topology, out->capabilities, i));
    return out;
}

std::shared_ptr<const VolumeSnapshot>
VolumeSnapshot::withReportedCapabilities(const std::vector<ReportedCapability>& reported) const
{
    auto out = std::make_shared<VolumeSnapshot>();
    out->topology = topology;
    out->capabilities = capabilities;
    out->origin = origin;
    out->live = live;
    out->adminProbed = mergeReportedCapabilities(*topology, reported, out->capabilities);
    out->assessments.reserve(topology->size());
    for (std::size_t i = 0; i < topology->size(); ++i)
        out->assessments.push_back(assess(*topology, out->capabilities, i));
    return out;
}

QString VolumeSnapshot::inUseReason(std::size_t index) const
{
    const BlockDevice& dev = topology->at(index);
    if (!dev.mountpoints.empty()) {
        QStringList where;
        for (const auto& m : dev.mountpoints)
            where << QString::fromStdString(m);
        return QStringLiteral("mounted on %1").arg(where.join(QStringLiteral(", ")));
    }
    for (std::size_t up : dev.uppers) {
        const BlockDevice& upper = topology->at(up);
        if (upper.kind != DeviceKind::Partition) {
            return QStringLiteral("held by %1").arg(QString::fromStdString(upper.dm ? upper.dm->name : upper.name));
        }
        const QString sub = inUseReason(up);
        if (!sub.isEmpty())
            return QStringLiteral("partition %1 is %2").arg(QString::fromStdString(upper.name), sub);
    }
    if (dev.readOnly)
        return QStringLiteral("read-only device");
    return {};
}

} // namespace offload::ui
