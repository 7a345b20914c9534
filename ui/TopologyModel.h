// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "VolumeSnapshot.h"

#include <QAbstractItemModel>

#include <memory>
#include <vector>

namespace offload::ui {

/// The block topology as a tree, the way lsblk draws it: roots are leaf devices (disks,
/// namespaces, loop devices), children are the devices built on them (partitions, dm).
/// A device built on several leaves (a dm-linear across two disks) appears under each.
class TopologyModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { NameColumn, TypeColumn, SizeColumn, MechanismColumn, VerdictColumn, ColumnCount };
    enum Role {
        DeviceIndexRole = Qt::UserRole + 1, ///< std::size_t index into the topology (as qulonglong)
        BadgeRole,                          ///< int(Badge)
        StableIdRole,                       ///< QString
        SizeBytesRole,                      ///< qulonglong
    };

    explicit TopologyModel(QObject* parent = nullptr);
    ~TopologyModel() override;

    /// Replaces the whole tree (a rescan yields a new snapshot).
    void setSnapshot(std::shared_ptr<const VolumeSnapshot> snapshot);
    const std::shared_ptr<const VolumeSnapshot>& snapshot() const { return m_snapshot; }

    /// Devices the tree leaves out: loop devices with no file attached (as lsblk does).
    static bool isHidden(const BlockDevice& device);

    /// The first index that shows `device` in column 0, invalid when absent.
    QModelIndex indexForDevice(std::size_t device) const;
    /// The first index whose device has this stable id.
    QModelIndex indexForStableId(const QString& stableId) const;

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;

private:
    struct Node {
        std::size_t device = 0;
        Node* parent = nullptr;
        int row = 0;
        std::vector<std::unique_ptr<Node>> children;
    };
    void build(Node& node, std::vector<std::size_t>& stack);
    const Node* nodeFor(const QModelIndex& index) const;
    QString toolTip(std::size_t device) const;

    std::shared_ptr<const VolumeSnapshot> m_snapshot;
    Node m_root;
};

} // namespace offload::ui
