// SPDX-License-Identifier: GPL-2.0-or-later
#include "copy/PageCache.h"

#include "transport/DeviceNode.h"

#include <cerrno>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <linux/fs.h>
#include <map>
#include <set>
#include <sys/ioctl.h>
#include <unistd.h>

namespace offload {

std::vector<std::size_t> stacksTopDown(const Topology& topology, const std::vector<std::size_t>& devices)
{
    // Every device under the given ones, each once, breadth first.
    std::vector<std::size_t> found;
    std::set<std::size_t> seen;
    for (std::size_t device : devices)
        if (seen.insert(device).second)
            found.push_back(device);
    for (std::size_t i = 0; i < found.size(); ++i)
        for (std::size_t lower : topology.at(found[i]).lowers)
            if (seen.insert(lower).second)
                found.push_back(lower);
    // Then every layer before the layers it is built on, even where one given device sits
    // under another: a device waits until each device above it (in the set) is placed.
    std::map<std::size_t, std::size_t> above;
    for (std::size_t index : found)
        for (std::size_t lower : topology.at(index).lowers)
            ++above[lower];
    std::vector<std::size_t> order;
    std::deque<std::size_t> ready;
    for (std::size_t index : found)
        if (above[index] == 0)
            ready.push_back(index);
    while (!ready.empty()) {
        const std::size_t index = ready.front();
        ready.pop_front();
        order.push_back(index);
        for (std::size_t lower : topology.at(index).lowers)
            if (--above[lower] == 0)
                ready.push_back(lower);
    }
    return order;
}

std::vector<std::size_t> stackTopDown(const Topology& topology, std::size_t device)
{
    return stacksTopDown(topology, {device});
}

namespace {
std::string errnoText(int err)
{
    return std::strerror(err);
}
} // namespace

std::vector<std::string> flushStacks(const Topology& topology, const std::vector<std::size_t>& devices)
{
    std::vector<std::string> warnings;
    for (std::size_t index : stacksTopDown(topology, devices)) {
        const BlockDevice& dev = topology.at(index);
        auto fd = openBlockDevice(dev, O_RDONLY | O_CLOEXEC);
        if (!fd) {
            warnings.push_back(dev.devPath() + ": cannot open to flush its cache: " + fd.error().message());
            continue;
        }
        // Write back only: the clean pages stay. The source is never written, so its cache
        // stays true, and an admin's warm cache of a volume survives cloning it. No cache
        // flush to the device (fsync would send one per layer): the device's copy reads
        // through its own write cache, and the job ends with an fdatasync of the destination.
        if (::sync_file_range(fd->get(), 0, 0,
                              SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER)
            != 0)
            warnings.push_back(dev.devPath() + ": writing back its dirty pages failed: " + errnoText(errno));
    }
    return warnings;
}

std::vector<std::string> flushStack(const Topology& topology, std::size_t device)
{
    return flushStacks(topology, {device});
}

std::vector<std::string> dropStackCache(const Topology& topology, std::size_t device)
{
    std::vector<std::string> warnings;
    for (std::size_t index : stackTopDown(topology, device)) {
        const BlockDevice& dev = topology.at(index);
        auto fd = openBlockDevice(dev, O_RDONLY | O_CLOEXEC);
        if (!fd) {
            warnings.push_back(dev.devPath() + ": cannot open to drop its cache: " + fd.error().message());
            continue;
        }
        if (::ioctl(fd->get(), BLKFLSBUF, 0) == 0)
            continue;
        int err = errno;
        int rc = ::posix_fadvise(fd->get(), 0, 0, POSIX_FADV_DONTNEED);
        if (rc != 0)
            warnings.push_back(dev.devPath() + ": cannot drop cached pages (BLKFLSBUF: " + errnoText(err)
                               + ", fadvise: " + errnoText(rc) + "); a buffered read may show old data");
    }
    return warnings;
}

} // namespace offload
