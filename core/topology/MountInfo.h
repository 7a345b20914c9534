// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "topology/BlockDevice.h"

#include <optional>
#include <string>
#include <string_view>

namespace offload {

/// The fields offloadcp reads from one line of /proc/PID/mountinfo (proc(5)):
/// "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS".
struct MountInfoLine {
    DevNum dev; ///< the st_dev of files on this mount
    std::string mountPoint; ///< with mountinfo's octal escapes ("\040") decoded
    std::string fsType; ///< the filesystem type after the " - " separator; empty if the line has none
};

/// Parses one mountinfo line; nullopt for a line without a MAJ:MIN field or a mount point.
std::optional<MountInfoLine> parseMountInfoLine(std::string_view line);

/// "\040" in mountinfo and /proc/swaps stands for a space (and so on).
std::string unescapeOctal(std::string_view text);

} // namespace offload
