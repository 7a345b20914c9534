// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "VolumeSnapshot.h"

#include <QByteArray>
#include <QJsonDocument>
#include <QString>

#include <memory>

namespace offload::ui {

/// The capability report the app exports. Preferably the CLI's own `report` output (one
/// schema for both tools); when the CLI cannot be used, the same facts from the app's
/// snapshot: every device with identity, mechanism, limits, verdict and reasons.
class ReportExporter {
public:
    enum class Format { Json, Text };

    explicit ReportExporter(std::shared_ptr<const VolumeSnapshot> snapshot, QString fixture = {});

    /// The report as the CLI prints it (`offloadcp [--fixture] report [--json]`), when the CLI
    /// is available and may run without elevation; nullopt otherwise (error says why).
    std::optional<QByteArray> fromCli(Format format, QString* error) const;
    /// The report built from the snapshot in this process.
    QJsonDocument snapshotJson() const;
    QString snapshotText() const;

    /// Writes the report to `path` (format by extension: .json or anything else = text).
    /// Returns an empty string on success, else the error. `usedCli` tells which source was used.
    QString exportTo(const QString& path, bool* usedCli = nullptr) const;
    static Format formatForPath(const QString& path);

private:
    std::shared_ptr<const VolumeSnapshot> m_snapshot;
    QString m_fixture;
};

} // namespace offload::ui
