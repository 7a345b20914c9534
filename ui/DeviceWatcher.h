// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <QObject>
#include <QString>
#include <QTimer>

class QFileSystemWatcher;
class QSocketNotifier;

namespace offload::ui {

/// Notices block devices appearing, vanishing or changing, without root: the kernel's
/// uevent netlink multicast group (any user may listen) for "block" subsystem events, and
/// a QFileSystemWatcher on /dev as a fallback where netlink is unavailable (containers).
/// Bursts are coalesced: devicesChanged() fires once, `debounce` after the last event.
class DeviceWatcher : public QObject {
    Q_OBJECT
public:
    /// What to watch from the start: the system's block devices (netlink and /dev), or
    /// nothing but the directories given to watchDirectory() (tests, which must not see the
    /// loop devices other tests make meanwhile).
    enum class Sources { System, OnlyGivenDirectories };

    explicit DeviceWatcher(QObject* parent = nullptr, int debounceMs = 700, Sources sources = Sources::System);
    ~DeviceWatcher() override;

    bool netlinkActive() const { return m_netlinkFd >= 0; }
    /// Also watch this directory (tests point it at a temporary one).
    void watchDirectory(const QString& path);

signals:
    void devicesChanged();

private:
    void readNetlink();

    int m_netlinkFd = -1;
    QSocketNotifier* m_notifier = nullptr;
    QFileSystemWatcher* m_fsWatcher = nullptr;
    QTimer m_debounce;
};

} // namespace offload::ui
