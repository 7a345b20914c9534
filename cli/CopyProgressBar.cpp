// SPDX-License-Identifier: GPL-2.0-or-later
#include "CopyProgressBar.h"

#include <algorithm>
#include <cmath>

namespace offload::cli {

CopyProgressBar::CopyProgressBar(std::FILE* out, bool enabled)
    : m_out(out)
    , m_enabled(enabled)
{
}

std::string CopyProgressBar::bytes(uint64_t value)
{
    static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = double(value);
    int unit = 0;
    while (v >= 1024.0 && unit < 5) {
        v /= 1024.0;
        ++unit;
    }
    char buf[32];
    if (unit == 0)
        std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(value));
    else
        std::snprintf(buf, sizeof buf, v < 10 ? "%.1f %s" : "%.0f %s", v, units[unit]);
    return buf;
}

std::string CopyProgressBar::duration(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0)
        seconds = 0;
    auto total = static_cast<long long>(seconds + 0.5);
    char buf[32];
    if (total >= 3600)
        std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", total / 3600, (total / 60) % 60, total % 60);
    else
        std::snprintf(buf, sizeof buf, "%lld:%02lld", total / 60, total % 60);
    return buf;
}

std::string CopyProgressBar::render(const CopyProgress& p, int width)
{
    const double fraction = std::clamp(p.fraction(), 0.0, 1.0);
    const int filled = static_cast<int>(fraction * width);
    std::string bar = "[" + std::string(std::size_t(filled), '#') + std::string(std::size_t(width - filled), '.') + "]";
    char pct[16];
    std::snprintf(pct, sizeof pct, "%3.0f%%", fraction * 100.0);
    std::string line = bar + " " + pct + " " + bytes(p.doneBytes) + "/" + bytes(p.totalBytes);
    if (p.bytesPerSecond > 0)
        line += "  " + bytes(uint64_t(p.bytesPerSecond)) + "/s";
    if (p.verifying)
        line += "  verifying";
    else if (p.etaSeconds)
        line += "  ETA " + duration(*p.etaSeconds);
    char share[32];
    std::snprintf(share, sizeof share, "  offloaded %.0f%%", p.offloadedShare() * 100.0);
    line += share;
    if (p.fallbacks)
        line += "  fallbacks " + std::to_string(p.fallbacks);
    return line;
}

void CopyProgressBar::clearLocked()
{
    if (m_drawn) {
        std::fputs("\r\033[2K", m_out);
        m_drawn = false;
    }
}

void CopyProgressBar::update(const CopyProgress& progress)
{
    if (!m_enabled)
        return;
    std::lock_guard lock(m_mutex);
    std::fputs("\r\033[2K", m_out);
    std::fputs(render(progress, 30).c_str(), m_out);
    std::fflush(m_out);
    m_drawn = true;
}

void CopyProgressBar::message(const std::string& line)
{
    std::lock_guard lock(m_mutex);
    clearLocked();
    std::fputs(line.c_str(), m_out);
    std::fputc('\n', m_out);
    std::fflush(m_out);
}

void CopyProgressBar::finish()
{
    std::lock_guard lock(m_mutex);
    clearLocked();
    std::fflush(m_out);
}

} // namespace offload::cli
