// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "copy/CopyJob.h"

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

namespace offload::cli {

/// A one-line progress bar for `offloadcp copy` on a terminal: bar, percentage, bytes,
/// rate, ETA and the offloaded share, redrawn in place with '\r'. Thread-safe (the copy
/// job calls it from its worker thread while the main thread prints messages).
class CopyProgressBar {
public:
    /// Draws on `out` (stderr); `enabled` false makes every call a no-op except message().
    CopyProgressBar(std::FILE* out, bool enabled);

    bool enabled() const { return m_enabled; }
    void update(const CopyProgress& progress);
    /// Prints a line above the bar (clears the bar, prints, redraws on the next update).
    void message(const std::string& line);
    /// Clears the bar for good.
    void finish();

    /// "1.5 GiB", "512 MiB", "4.0 KiB", "17 B".
    static std::string bytes(uint64_t value);
    /// "1:05", "1:02:03", "0:00".
    static std::string duration(double seconds);
    /// The bar text for a progress snapshot, `width` columns for the bar itself.
    static std::string render(const CopyProgress& progress, int width);

private:
    void clearLocked();
    std::FILE* m_out;
    bool m_enabled;
    bool m_drawn = false;
    std::mutex m_mutex;
};

} // namespace offload::cli
