// SPDX-License-Identifier: GPL-2.0-or-later
#include "ReportExporter.h"

#include "OffloadCli.h"
#include "Units.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QSaveFile>

#include <functional>

namespace offload::ui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }
} // namespace

ReportExporter::ReportExporter(std::shared_ptr<const VolumeSnapshot> snapshot, QString fixture)
    : m_snapshot(std::move(snapshot))
    , m_fixture(std::move(fixture))
{
}

ReportExporter::Format ReportExporter::formatForPath(const QString& path)
{
    return path.endsWith(QStringLiteral(".json"), Qt::CaseInsensitive) ? Format::Json : Format::Text;
}

std::optional<QByteArray> ReportExporter::fromCli(Format format, QString* error) const
{
    if (m_fixture.isEmpty() && OffloadCli::needsElevation()) {
        if (error)
            *error = QObject::tr("reading this machine's devices needs root; using the app's own scan");
        return std::nullopt;
    }
    if (OffloadCli::cliPath().isEmpty()) {
        if (error)
            *error = QObject::tr("offloadcp CLI not found");
        return std::nullopt;
    }
    auto out = OffloadCli::run(OffloadCli::report(m_fixture, {}, format == Format::Json, false), error);
    if (!out)
        return out;
    // Only a real report is passed on: a JSON object, or text that names this snapshot's devices.
    bool plausible = false;
    if (format == Format::Json) {
        plausible = QJsonDocument::fromJson(*out).isObject();
    } else if (!m_snapshot->topology->devices().empty()) {
        plausible = out->contains(QByteArray::fromStdString(m_snapshot->topology->devices().front().name));
    }
    if (!plausible) {
        if (error)
            *error = QObject::tr("offloadcp report gave no usable report");
        return std::nullopt;
    }
    return out;
}

QJsonDocument ReportExporter::snapshotJson() const
{
    QJsonObject root;
    root[QStringLiteral("schema")] = QStringLiteral("offloadcp-gui-report");
    root[QStringLiteral("schemaVersion")] = 1;
    root[QStringLiteral("origin")] = m_snapshot->origin;
    QJsonArray warnings;
    for (const auto& w : m_snapshot->topology->warnings())
        warnings.append(q(w));
    root[QStringLiteral("warnings")] = warnings;
    QJsonArray devices;
    for (const BlockDevice& dev : m_snapshot->topology->devices()) {
        const VolumeAssessment& a = m_snapshot->assessment(dev.index);
        QJsonObject d;
        d[QStringLiteral("name")] = q(dev.name);
        d[QStringLiteral("devnum")] = q(dev.devnum.str());
        d[QStringLiteral("stableId")] = q(dev.stableId());
        d[QStringLiteral("type")] = deviceTypeText(dev);
        d[QStringLiteral("kind")] = QString::fromLatin1(toString(dev.kind));
        d[QStringLiteral("sizeBytes")] = static_cast<qint64>(dev.sizeBytes);
        d[QStringLiteral("logicalBlockSize")] = static_cast<qint64>(dev.logicalBlockSize);
        d[QStringLiteral("mechanism")] = a.mechanism;
        d[QStringLiteral("verdict")] = badgeText(a.badge);
        d[QStringLiteral("offloadableShare")] = a.offloadableShare;
        d[QStringLiteral("reasons")] = QJsonArray::fromStringList(a.reasons);
        QJsonArray lowers;
        for (std::size_t l : dev.lowers)
            lowers.append(q(m_snapshot->device(l).name));
        d[QStringLiteral("lowers")] = lowers;
        if (dev.index < m_snapshot->capabilities.devices.size()) {
            const DeviceCapability& cap = m_snapshot->capabilities.at(dev.index);
            QJsonObject c;
            c[QStringLiteral("status")] = QString::fromLatin1(toString(cap.status));
            c[QStringLiteral("reason")] = q(cap.reason);
            if (cap.nvme) {
                c[QStringLiteral("oncs")] = cap.nvme->oncs;
                c[QStringLiteral("ocfs")] = cap.nvme->ocfs;
                c[QStringLiteral("mssrl")] = static_cast<qint64>(cap.nvme->mssrl);
                c[QStringLiteral("mcl")] = static_cast<qint64>(cap.nvme->mcl);
                c[QStringLiteral("msrc")] = static_cast<qint64>(cap.nvme->msrc);
                c[QStringLiteral("lbaBytes")] = static_cast<qint64>(cap.nvme->lbaBytes);
            }
            if (cap.scsi) {
                c[QStringLiteral("threePC")] = cap.scsi->threePC;
                c[QStringLiteral("maxSegmentDescriptors")] = cap.scsi->maxSegmentDescriptors;
                c[QStringLiteral("maxCscdDescriptors")] = cap.scsi->maxCscdDescriptors;
                c[QStringLiteral("maxSegmentLength")] = static_cast<qint64>(cap.scsi->maxSegmentLength);
            }
            d[QStringLiteral("capability")] = c;
        }
        devices.append(d);
    }
    root[QStringLiteral("devices")] = devices;
    return QJsonDocument(root);
}

QString ReportExporter::snapshotText() const
{
    QStringList lines;
    lines << QObject::tr("offloadcp capability report — %1")
                 .arg(m_snapshot->live ? m_snapshot->origin : QObject::tr("fixture %1").arg(m_snapshot->origin));
    for (const auto& w : m_snapshot->topology->warnings())
        lines << QObject::tr("warning: %1").arg(q(w));
    lines << QString();
    std::function<void(std::size_t, int)> walk = [&](std::size_t index, int depth) {
        const BlockDevice& dev = m_snapshot->device(index);
        const VolumeAssessment& a = m_snapshot->assessment(index);
        lines << QStringLiteral("%1%2  %3  %4  %5  [%6]")
                     .arg(QString(depth * 2, QLatin1Char(' ')), q(dev.name), deviceTypeText(dev), formatBytes(dev.sizeBytes),
                          a.mechanism, badgeText(a.badge));
        for (const auto& r : a.reasons)
            lines << QStringLiteral("%1    - %2").arg(QString(depth * 2, QLatin1Char(' ')), r);
        for (std::size_t up : dev.uppers)
            walk(up, depth + 1);
    };
    for (std::size_t root : m_snapshot->topology->roots())
        walk(root, 0);
    return lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

QString ReportExporter::exportTo(const QString& path, bool* usedCli) const
{
    const Format format = formatForPath(path);
    QString cliError;
    std::optional<QByteArray> bytes = fromCli(format, &cliError);
    if (usedCli)
        *usedCli = bytes.has_value();
    if (!bytes)
        bytes = format == Format::Json ? snapshotJson().toJson(QJsonDocument::Indented) : snapshotText().toUtf8();
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return QObject::tr("%1: %2").arg(path, file.errorString());
    file.write(*bytes);
    if (!file.commit())
        return QObject::tr("%1: %2").arg(path, file.errorString());
    return {};
}

} // namespace offload::ui
