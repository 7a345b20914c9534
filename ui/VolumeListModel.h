// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "VolumeSnapshot.h"

#include <QAbstractListModel>
#include <QSortFilterProxyModel>

#include <memory>
#include <optional>

namespace offload::ui {

/// Every volume of a snapshot as a flat list (for source / destination pickers).
class VolumeListModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role {
        DeviceIndexRole = Qt::UserRole + 1, ///< qulonglong
        SizeBytesRole,                      ///< qulonglong
        InUseReasonRole,                    ///< QString, empty when free
        StableIdRole,                       ///< QString
    };
    explicit VolumeListModel(QObject* parent = nullptr);

    void setSnapshot(std::shared_ptr<const VolumeSnapshot> snapshot);
    const std::shared_ptr<const VolumeSnapshot>& snapshot() const { return m_snapshot; }
    int rowForDevice(std::size_t device) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

private:
    std::shared_ptr<const VolumeSnapshot> m_snapshot;
};

/// The destinations a clone of `source` may go to: large enough for the source, not the
/// source itself and not part of its stack. Ones that are mounted or held by another
/// device stay listed but disabled, with the reason in the text and tooltip.
class DestinationFilterModel : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit DestinationFilterModel(QObject* parent = nullptr);

    /// nullopt: nothing chosen, so nothing is offered.
    void setSource(std::optional<std::size_t> source);
    std::optional<std::size_t> source() const { return m_source; }
    /// Why a destination row is not usable (too small is filtered out instead), empty when usable.
    QString unusableReason(std::size_t device) const;

    Qt::ItemFlags flags(const QModelIndex& index) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    const VolumeSnapshot* snapshot() const;
    std::optional<std::size_t> m_source;
};

} // namespace offload::ui
