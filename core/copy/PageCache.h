// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "topology/Topology.h"

#include <string>
#include <vector>

namespace offload {

/// Passthrough copies bypass the page cache, so the engine keeps the caches honest itself.

/// Writes back every dirty page of `device` and of every layer below it (top down:
/// open read-only, fsync); clean cached pages are kept. Call before an offloaded copy on
/// the source stack, and on the destination stack (so stale dirty pages cannot land on the
/// new data later; dropStackCache clears its clean ones after the copy). Returns one
/// warning per layer that could not be flushed; blocking.
std::vector<std::string> flushStack(const Topology& topology, std::size_t device);

/// Drops the cached pages of `device` and every layer below it (BLKFLSBUF, and
/// POSIX_FADV_DONTNEED where BLKFLSBUF is refused), so a buffered read shows what the
/// device now holds. Call after an offloaded copy on the destination stack.
std::vector<std::string> dropStackCache(const Topology& topology, std::size_t device);

/// `device` followed by every device below it, top down, each once.
std::vector<std::size_t> stackTopDown(const Topology& topology, std::size_t device);

} // namespace offload
