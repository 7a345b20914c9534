// SPDX-License-Identifier: GPL-2.0-or-later
#include "DeviceWatcher.h"

#include <QFileSystemWatcher>
#include <QSocketNotifier>

#include <array>
#include <cstring>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

namespace offload::ui {

DeviceWatcher::DeviceWatcher(QObject* parent, int debounceMs, Sources sources)
    : QObject(parent)
{
    m_debounce.setSingleShot(true);
    m_debounce.setInterval(debounceMs);
    connect(&m_debounce, &QTimer::timeout, this, &DeviceWatcher::devicesChanged);
    m_fsWatcher = new QFileSystemWatcher(this);
    connect(m_fsWatcher, &QFileSystemWatcher::directoryChanged, this, [this] { m_debounce.start(); });
    if (sources == Sources::OnlyGivenDirectories)
        return;

    m_netlinkFd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
    if (m_netlinkFd >= 0) {
        sockaddr_nl addr{};
        addr.nl_family = AF_NETLINK;
        addr.nl_groups = 1; // kernel uevents
        if (::bind(m_netlinkFd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            ::close(m_netlinkFd);
            m_netlinkFd = -1;
        }
    }
    if (m_netlinkFd >= 0) {
        m_notifier = new QSocketNotifier(m_netlinkFd, QSocketNotifier::Read, this);
        connect(m_notifier, &QSocketNotifier::activated, this, &DeviceWatcher::readNetlink);
    }
    m_fsWatcher->addPath(QStringLiteral("/dev"));
    m_fsWatcher->addPath(QStringLiteral("/dev/mapper"));
}

DeviceWatcher::~DeviceWatcher()
{
    if (m_netlinkFd >= 0)
        ::close(m_netlinkFd);
}

void DeviceWatcher::watchDirectory(const QString& path)
{
    m_fsWatcher->addPath(path);
}

void DeviceWatcher::readNetlink()
{
    std::array<char, 8192> buf{};
    bool relevant = false;
    for (;;) {
        const ssize_t n = ::recv(m_netlinkFd, buf.data(), buf.size() - 1, 0);
        if (n <= 0)
            break;
        // "ACTION@DEVPATH\0KEY=VALUE\0...": keep only block-subsystem events.
        const auto len = static_cast<std::size_t>(n);
        for (std::size_t i = 0; i < len;) {
            const char* field = buf.data() + i;
            const std::size_t flen = ::strnlen(field, len - i);
            if (flen == 15 && std::strncmp(field, "SUBSYSTEM=block", 15) == 0)
                relevant = true;
            i += flen + 1;
        }
    }
    if (relevant)
        m_debounce.start();
}

} // namespace offload::ui
