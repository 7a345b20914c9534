// SPDX-License-Identifier: GPL-2.0-or-later
#include "Units.h"

#include <QLocale>

#include <array>
#include <cmath>

namespace offload::ui {

QString formatBytes(uint64_t bytes)
{
    static constexpr std::array units{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double value = static_cast<double>(bytes);
    std::size_t unit = 0;
    while (value >= 1024.0 && unit + 1 < units.size()) {
        value /= 1024.0;
        ++unit;
    }
    if (unit == 0)
        return QStringLiteral("%1 B").arg(bytes);
    const int decimals = value < 10.0 ? 2 : (value < 100.0 ? 1 : 0);
    return QStringLiteral("%1 %2").arg(value, 0, 'f', decimals).arg(QLatin1String(units[unit]));
}

QString formatRate(double bytesPerSecond)
{
    if (!(bytesPerSecond >= 0.0) || std::isinf(bytesPerSecond))
        return QStringLiteral("—");
    static constexpr std::array units{"B/s", "kB/s", "MB/s", "GB/s", "TB/s"};
    double value = bytesPerSecond;
    std::size_t unit = 0;
    while (value >= 1000.0 && unit + 1 < units.size()) {
        value /= 1000.0;
        ++unit;
    }
    const int decimals = (unit == 0 || value >= 100.0) ? 0 : 1;
    return QStringLiteral("%1 %2").arg(value, 0, 'f', decimals).arg(QLatin1String(units[unit]));
}

QString formatDuration(double seconds)
{
    if (!(seconds >= 0.0) || std::isinf(seconds))
        return QStringLiteral("—");
    const auto total = static_cast<long long>(std::llround(seconds));
    const long long h = total / 3600;
    const long long m = (total % 3600) / 60;
    const long long s = total % 60;
    if (h > 0)
        return QStringLiteral("%1 h %2 min").arg(h).arg(m, 2, 10, QLatin1Char('0'));
    if (m > 0)
        return QStringLiteral("%1 min %2 s").arg(m).arg(s, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1 s").arg(s);
}

QString formatShare(double share)
{
    if (!(share >= 0.0))
        return QStringLiteral("—");
    return QStringLiteral("%1 %").arg(std::lround(share * 100.0));
}

} // namespace offload::ui
