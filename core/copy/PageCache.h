// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "topology/Topology.h"

#include <string>
#include <vector>

namespace offload {

/// Passthrough copies bypass the page cache, so the engine keeps the caches honest itself.

/// Writes back every dirty page of `device` and of every layer below it (top down: open
/// read-only, sync_file_range write and wait; no cache flush to the device); clean cached
/// pages are kept. Call before an offloaded copy on the source stack, and on the
/// destination stack (so stale dirty pages cannot land on the new data later;
/// dropStackCache clears its clean ones after the copy). Returns one warning per layer
/// that could not be written back; blocking.
std::vector<std::string> flushStack(const Topology& topology, std::size_t device);
/// flushStack for several stacks at once: a layer they share (one namespace under both
/// ends, a disk under two partitions) is written back once.
std::vector<std::string> flushStacks(const Topology& topology, const std::vector<std::size_t>& devices);

/// Drops the cached pages of `device` and every layer below it (BLKFLSBUF, and
/// POSIX_FADV_DONTNEED where BLKFLSBUF is refused), so a buffered read shows what the
/// device now holds. Call after an offloaded copy on the destination stack.
std::vector<std::string> dropStackCache(const Topology& topology, std::size_t device);

/// `device` followed by every device below it, top down, each once.
std::vector<std::size_t> stackTopDown(const Topology& topology, std::size_t device);
/// The same for several devices: the layers of all their stacks, each once, every layer
/// before the layers it is built on (also when one of the devices sits under another).
std::vector<std::size_t> stacksTopDown(const Topology& topology, const std::vector<std::size_t>& devices);

} // namespace offload
