// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "util/Error.h"

#include <cstdint>
#include <string_view>

namespace offload {

/// Parses a byte count as users type it (command line, dialogs): decimal digits (or 0x hex) with an
/// optional suffix, letters case-insensitive:
///   K, M, G, T, P and KiB, MiB, GiB, TiB, PiB: powers of 1024 (as dd, lsblk and LVM mean them);
///   KB, MB, GB, TB, PB: powers of 1000;  s: 512-byte sectors;  B (or none): bytes.
/// Errc::InvalidArgument on anything else or on overflow, saying what is accepted.
Result<uint64_t> parseByteSize(std::string_view text);

/// One line for --help describing the accepted forms.
inline constexpr const char* kByteSizeHelp =
    "bytes; suffixes K M G T (or KiB MiB GiB TiB) = powers of 1024, KB MB GB TB = powers of 1000, "
    "s = 512-byte sectors";

} // namespace offload
