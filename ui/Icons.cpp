// SPDX-License-Identifier: GPL-2.0-or-later
#include "Icons.h"

#include <QHash>

static void registerOffloadcpResources()
{
    Q_INIT_RESOURCE(offloadcp);
}

namespace offload::ui {

void ensureResources()
{
    static const bool once = [] {
        registerOffloadcpResources();
        return true;
    }();
    (void)once;
}

QIcon icon(const QString& name)
{
    ensureResources();
    static QHash<QString, QIcon> cache;
    auto it = cache.find(name);
    if (it == cache.end())
        it = cache.insert(name, QIcon(QStringLiteral(":/offloadcp/icons/%1.svg").arg(name)));
    return *it;
}

QIcon appIcon()
{
    ensureResources();
    return QIcon(QStringLiteral(":/offloadcp/app.svg"));
}

} // namespace offload::ui
