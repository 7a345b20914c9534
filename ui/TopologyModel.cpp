// SPDX-License-Identifier: GPL-2.0-or-later
#include "TopologyModel.h"

#include "Icons.h"
#include "Units.h"

#include <algorithm>

namespace offload::ui {

TopologyModel::TopologyModel(QObject* parent)
    : QAbstractItemModel(parent)
{
}

TopologyModel::~TopologyModel() = default;

void TopologyModel::setSnapshot(std::shared_ptr<const VolumeSnapshot> snapshot)
{
    beginResetModel();
    m_snapshot = std::move(snapshot);
    m_root.children.clear();
    if (m_snapshot && m_snapshot->topology) {
        std::vector<std::size_t> stack;
        for (std::size_t root : m_snapshot->topology->roots()) {
            if (isHidden(m_snapshot->device(root)))
                continue;
            auto node = std::make_unique<Node>();
            node->device = root;
            node->parent = &m_root;
            node->row = static_cast<int>(m_root.children.size());
            stack.push_back(root);
            build(*node, stack);
            stack.pop_back();
            m_root.children.push_back(std::move(node));
        }
    }
    endResetModel();
}

bool TopologyModel::isHidden(const BlockDevice& device)
{
    // lsblk's habit: a loop device with nothing attached is not a volume.
    return device.kind == DeviceKind::Loop && device.sizeBytes == 0 && device.uppers.empty();
}

void TopologyModel::build(Node& node, std::vector<std::size_t>& stack)
{
    const BlockDevice& dev = m_snapshot->topology->at(node.device);
    for (std::size_t up : dev.uppers) {
        // The topology is a DAG; refuse a cycle in malformed input rather than recurse forever.
        if (std::find(stack.begin(), stack.end(), up) != stack.end())
            continue;
        auto child = std::make_unique<Node>();
        child->device = up;
        child->parent = &node;
        child->row = static_cast<int>(node.children.size());
        stack.push_back(up);
        build(*child, stack);
        stack.pop_back();
        node.children.push_back(std::move(child));
    }
}

const TopologyModel::Node* TopologyModel::nodeFor(const QModelIndex& index) const
{
    if (!index.isValid())
        return &m_root;
    return static_cast<const Node*>(index.internalPointer());
}

QModelIndex TopologyModel::index(int row, int column, const QModelIndex& parent) const
{
    if (row < 0 || column < 0 || column >= ColumnCount)
        return {};
    if (parent.isValid() && parent.column() != 0)
        return {};
    const Node* p = nodeFor(parent);
    if (static_cast<std::size_t>(row) >= p->children.size())
        return {};
    return createIndex(row, column, static_cast<const void*>(p->children[static_cast<std::size_t>(row)].get()));
}

QModelIndex TopologyModel::parent(const QModelIndex& child) const
{
    if (!child.isValid())
        return {};
    const Node* node = nodeFor(child);
    const Node* p = node->parent;
    if (p == nullptr || p == &m_root)
        return {};
    return createIndex(p->row, 0, static_cast<const void*>(p));
}

int TopologyModel::rowCount(const QModelIndex& parent) const
{
    if (parent.isValid() && parent.column() != 0)
        return 0;
    return static_cast<int>(nodeFor(parent)->children.size());
}

int TopologyModel::columnCount(const QModelIndex&) const
{
    return ColumnCount;
}

Qt::ItemFlags TopologyModel::flags(const QModelIndex& index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable;
}

QVariant TopologyModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn: return tr("Name");
    case TypeColumn: return tr("Type");
    case SizeColumn: return tr("Size");
    case MechanismColumn: return tr("Copy mechanism");
    case VerdictColumn: return tr("Verdict");
    default: return {};
    }
}

QString TopologyModel::toolTip(std::size_t device) const
{
    const BlockDevice& dev = m_snapshot->device(device);
    const VolumeAssessment& a = m_snapshot->assessment(device);
    QString text = QStringLiteral("<b>%1</b> — %2<br/>%3")
                       .arg(QString::fromStdString(dev.name).toHtmlEscaped(), badgeText(a.badge).toHtmlEscaped(),
                            QString::fromStdString(dev.stableId()).toHtmlEscaped());
    if (!a.reasons.isEmpty()) {
        text += QStringLiteral("<ul style=\"margin:0\">");
        for (const auto& r : a.reasons)
            text += QStringLiteral("<li>%1</li>").arg(r.toHtmlEscaped());
        text += QStringLiteral("</ul>");
    }
    return text;
}

QVariant TopologyModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || !m_snapshot)
        return {};
    const Node* node = nodeFor(index);
    const std::size_t device = node->device;
    const BlockDevice& dev = m_snapshot->device(device);
    const VolumeAssessment& a = m_snapshot->assessment(device);

    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case NameColumn:
            if (dev.dm && !dev.dm->name.empty())
                return QStringLiteral("%1 (%2)").arg(QString::fromStdString(dev.dm->name), QString::fromStdString(dev.name));
            return QString::fromStdString(dev.name);
        case TypeColumn: return deviceTypeText(dev);
        case SizeColumn: return formatBytes(dev.sizeBytes);
        case MechanismColumn: return a.mechanism;
        case VerdictColumn: return badgeText(a.badge);
        }
        break;
    case Qt::DecorationRole:
        if (index.column() == VerdictColumn)
            return icon(badgeIconName(a.badge));
        if (index.column() == NameColumn && dev.isLeaf())
            return icon(QStringLiteral("device-disk"));
        break;
    case Qt::ToolTipRole: return toolTip(device);
    case Qt::AccessibleTextRole:
        if (index.column() == VerdictColumn)
            return tr("Verdict: %1").arg(badgeText(a.badge));
        break;
    case Qt::AccessibleDescriptionRole: return a.reasons.join(QStringLiteral("; "));
    case Qt::TextAlignmentRole:
        if (index.column() == SizeColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case DeviceIndexRole: return QVariant::fromValue<qulonglong>(device);
    case BadgeRole: return static_cast<int>(a.badge);
    case StableIdRole: return QString::fromStdString(dev.stableId());
    case SizeBytesRole: return QVariant::fromValue<qulonglong>(dev.sizeBytes);
    }
    return {};
}

QModelIndex TopologyModel::indexForDevice(std::size_t device) const
{
    std::vector<const Node*> queue{&m_root};
    while (!queue.empty()) {
        const Node* n = queue.front();
        queue.erase(queue.begin());
        for (const auto& c : n->children) {
            if (c->device == device)
                return createIndex(c->row, 0, static_cast<const void*>(c.get()));
            queue.push_back(c.get());
        }
    }
    return {};
}

QModelIndex TopologyModel::indexForStableId(const QString& stableId) const
{
    if (!m_snapshot)
        return {};
    const BlockDevice* dev = m_snapshot->topology->findByStableId(stableId.toStdString());
    return dev ? indexForDevice(dev->index) : QModelIndex{};
}

} // namespace offload::ui
