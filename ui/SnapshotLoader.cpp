// SPDX-License-Identifier: GPL-2.0-or-later
#include "SnapshotLoader.h"

#include <QCoreApplication>
#include <QMetaObject>
#include <QPointer>

#include <thread>

namespace offload::ui {

SnapshotLoader::SnapshotLoader(QString fixture, QObject* parent)
    : QObject(parent)
    , m_fixture(std::move(fixture))
    , m_alive(std::make_shared<bool>(true))
{
}

SnapshotLoader::~SnapshotLoader()
{
    *m_alive = false;
}

Result<std::shared_ptr<const VolumeSnapshot>> SnapshotLoader::scanNow(const QString& fixture)
{
    ScanOptions options;
    if (!fixture.isEmpty())
        options.fixture = fixture.toStdString();
    auto snapshot = scanSystem(options);
    if (!snapshot)
        return std::unexpected(snapshot.error());
    return VolumeSnapshot::make(std::move(*snapshot),
                                fixture.isEmpty() ? QObject::tr("this machine") : fixtureDisplayName(fixture),
                                fixture.isEmpty());
}

void SnapshotLoader::rescan()
{
    if (m_busy) {
        m_again = true;
        return;
    }
    m_busy = true;
    m_again = false;
    emit started();
    QPointer<SnapshotLoader> self(this);
    const QString fixture = m_fixture;
    // A detached worker: the scan blocks on probes; the QPointer drops the result if the
    // loader is gone by then.
    std::thread([self, fixture] {
        auto result = scanNow(fixture);
        QMetaObject::invokeMethod(
            qApp ? static_cast<QObject*>(qApp) : nullptr,
            [self, result = std::move(result)]() mutable {
                if (self)
                    self->finish(std::move(result));
            },
            Qt::QueuedConnection);
    }).detach();
}

void SnapshotLoader::finish(Result<std::shared_ptr<const VolumeSnapshot>> result)
{
    m_busy = false;
    if (result)
        emit loaded(*result);
    else
        emit failed(QString::fromStdString(result.error().message()));
    if (m_again)
        rescan();
}

} // namespace offload::ui
