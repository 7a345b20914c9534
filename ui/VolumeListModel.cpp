// SPDX-License-Identifier: GPL-2.0-or-later
#include "VolumeListModel.h"

#include "Icons.h"
#include "Units.h"

namespace offload::ui {

VolumeListModel::VolumeListModel(QObject* parent)
    : QAbstractListModel(parent)
{
}

void VolumeListModel::setSnapshot(std::shared_ptr<const VolumeSnapshot> snapshot)
{
    beginResetModel();
    m_snapshot = std::move(snapshot);
    endResetModel();
}

int VolumeListModel::rowForDevice(std::size_t device) const
{
    return m_snapshot && device < m_snapshot->topology->size() ? static_cast<int>(device) : -1;
}

int VolumeListModel::rowCount(const QModelIndex& parent) const
{
    if (parent.isValid() || !m_snapshot)
        return 0;
    return static_cast<int>(m_snapshot->topology->size());
}

QVariant VolumeListModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || !m_snapshot || index.row() >= rowCount())
        return {};
    const auto device = static_cast<std::size_t>(index.row());
    const BlockDevice& dev = m_snapshot->device(device);
    switch (role) {
    case Qt::DisplayRole: {
        const QString name = dev.dm && !dev.dm->name.empty() ? QString::fromStdString(dev.dm->name)
                                                             : QString::fromStdString(dev.name);
        return QStringLiteral("%1 — %2, %3").arg(name, formatBytes(dev.sizeBytes), deviceTypeText(dev));
    }
    case Qt::DecorationRole: return icon(badgeIconName(m_snapshot->assessment(device).badge));
    case Qt::ToolTipRole: return QString::fromStdString(dev.stableId());
    case Qt::AccessibleTextRole: return QString::fromStdString(dev.label());
    case DeviceIndexRole: return QVariant::fromValue<qulonglong>(device);
    case SizeBytesRole: return QVariant::fromValue<qulonglong>(dev.sizeBytes);
    case InUseReasonRole: return m_snapshot->inUseReason(device);
    case StableIdRole: return QString::fromStdString(dev.stableId());
    }
    return {};
}

DestinationFilterModel::DestinationFilterModel(QObject* parent)
    : QSortFilterProxyModel(parent)
{
}

const VolumeSnapshot* DestinationFilterModel::snapshot() const
{
    auto* list = qobject_cast<VolumeListModel*>(sourceModel());
    return list && list->snapshot() ? list->snapshot().get() : nullptr;
}

void DestinationFilterModel::setSource(std::optional<std::size_t> source)
{
    m_source = source;
    invalidateFilter();
}

bool DestinationFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex&) const
{
    const VolumeSnapshot* snap = snapshot();
    if (!snap || !m_source || *m_source >= snap->topology->size())
        return false;
    const auto device = static_cast<std::size_t>(sourceRow);
    if (device == *m_source)
        return false;
    const BlockDevice& src = snap->device(*m_source);
    const BlockDevice& dst = snap->device(device);
    if (dst.sizeBytes < src.sizeBytes || dst.sizeBytes == 0)
        return false;
    // Writing into the source's own stack (above or below it) would destroy the source.
    const Topology& t = *snap->topology;
    if (t.dependsOn(device, *m_source) || t.dependsOn(*m_source, device))
        return false;
    return true;
}

QString DestinationFilterModel::unusableReason(std::size_t device) const
{
    const VolumeSnapshot* snap = snapshot();
    if (!snap)
        return {};
    return snap->inUseReason(device);
}

Qt::ItemFlags DestinationFilterModel::flags(const QModelIndex& index) const
{
    Qt::ItemFlags f = QSortFilterProxyModel::flags(index);
    if (!index.isValid())
        return f;
    const auto device = static_cast<std::size_t>(mapToSource(index).row());
    if (!unusableReason(device).isEmpty())
        f &= ~(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
    return f;
}

QVariant DestinationFilterModel::data(const QModelIndex& index, int role) const
{
    if (index.isValid() && (role == Qt::DisplayRole || role == Qt::ToolTipRole)) {
        const auto device = static_cast<std::size_t>(mapToSource(index).row());
        const QString reason = unusableReason(device);
        if (!reason.isEmpty()) {
            const QString base = QSortFilterProxyModel::data(index, role).toString();
            return role == Qt::DisplayRole ? tr("%1 — unavailable: %2").arg(base, reason)
                                           : tr("Cannot be overwritten: %1").arg(reason);
        }
    }
    return QSortFilterProxyModel::data(index, role);
}

} // namespace offload::ui
