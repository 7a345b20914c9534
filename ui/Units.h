// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <QString>

#include <cstdint>

namespace offload::ui {

/// "1.5 GiB", "512 B": binary units, one decimal above KiB.
QString formatBytes(uint64_t bytes);
/// "640 MB/s": decimal units, as disk benchmarks quote them.
QString formatRate(double bytesPerSecond);
/// "1 h 02 min", "3 min 05 s", "12 s"; "—" for a negative or unknown duration.
QString formatDuration(double seconds);
/// "73 %" (no decimals); "—" when the share is unknown (negative).
QString formatShare(double share);

} // namespace offload::ui
