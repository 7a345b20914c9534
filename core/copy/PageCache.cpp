// SPDX-License-Identifier: GPL-2.0-or-later
#include "copy/PageCache.h"

#include "transport/DeviceNode.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/fs.h>
#include <set>
#include <sys/ioctl.h>
#include <unistd.h>

namespace offload {

std::vector<std::size_t> stackTopDown(const Topology& topology, std::size_t device)
{
    std::vector<std::size_t> order;
    std::set<std::size_t> seen;
    std::vector<std::size_t> frontier{device};
    // Breadth first: every layer comes before the layers it is built on.
    while (!frontier.empty()) {
        std::vector<std::size_t> next;
        for (std::size_t index : frontier) {
            if (!seen.insert(index).second)
                continue;
            order.push_back(index);
            for (std::size_t lower : topology.at(index).lowers)
                next.push_back(lower);
        }
        frontier = std::move(next);
    }
    return order;
}

namespace {
std::string errnoText(int err)
{
    return std::strerror(err);
}
} // namespace

std::vector<std::string> flushStack(const Topology& topology, std::size_t device)
{
    std::vector<std::string> warnings;
    for (std::size_t index : stackTopDown(topology, device)) {
        const BlockDevice& dev = topology.at(index);
        auto fd = openBlockDevice(dev, O_RDONLY | O_CLOEXEC);
        if (!fd) {
            warnings.push_back(dev.devPath() + ": cannot open to flush its cache: " + fd.error().message());
            continue;
        }
        // Write back only: the clean pages stay. The source is never written, so its cache
        // stays true, and an admin's warm cache of a volume survives cloning it.
        if (::fsync(fd->get()) != 0)
            warnings.push_back(dev.devPath() + ": fsync failed: " + errnoText(errno));
    }
    return warnings;
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
