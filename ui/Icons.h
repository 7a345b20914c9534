// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <QIcon>
#include <QString>

namespace offload::ui {

/// Icons compiled into offload_ui from resources/offloadcp.qrc, by file stem
/// ("offload-full", "clone", ...). Call ensureResources() once before the first use
/// (static libraries do not register their resources by themselves).
QIcon icon(const QString& name);
QIcon appIcon();
void ensureResources();

} // namespace offload::ui
