// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "VolumeSnapshot.h"

#include <QObject>
#include <QString>

#include <memory>

namespace offload::ui {

/// Runs core's scanSystem on a worker thread and hands the result back on the thread
/// that owns the loader. One scan at a time: a request during a scan is remembered and
/// run when the current one ends (device events come in bursts).
class SnapshotLoader : public QObject {
    Q_OBJECT
public:
    /// `fixture` empty: this machine; else a captured fixture directory.
    explicit SnapshotLoader(QString fixture = {}, QObject* parent = nullptr);
    ~SnapshotLoader() override;

    const QString& fixture() const { return m_fixture; }
    bool busy() const { return m_busy; }

    /// Scans synchronously on the calling thread (tests, --help-free startup paths).
    static Result<std::shared_ptr<const VolumeSnapshot>> scanNow(const QString& fixture);

public slots:
    void rescan();

signals:
    void started();
    void loaded(std::shared_ptr<const offload::ui::VolumeSnapshot> snapshot);
    void failed(const QString& message);

private:
    void finish(Result<std::shared_ptr<const VolumeSnapshot>> result);

    QString m_fixture;
    bool m_busy = false;
    bool m_again = false;
    std::shared_ptr<bool> m_alive;
};

} // namespace offload::ui
