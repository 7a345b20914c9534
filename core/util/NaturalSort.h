// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <string_view>

namespace offload {

/// Orders device names the way people read them: digit runs compare by value, so
/// "loop9" < "loop10" and "nvme0n2" < "nvme0n10" < "nvme0n10p1". A strict weak ordering.
bool naturalLess(std::string_view a, std::string_view b);

} // namespace offload
