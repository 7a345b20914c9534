// SPDX-License-Identifier: GPL-2.0-or-later
#include "topology/Topology.h"

#include <algorithm>
#include <sys/stat.h>

namespace offload {

Topology::Topology(std::vector<BlockDevice> devices, std::vector<std::string> warnings)
    : m_devices(std::move(devices))
    , m_warnings(std::move(warnings))
{
    for (std::size_t i = 0; i < m_devices.size(); ++i) {
        m_devices[i].index = i;
        m_devices[i].uppers.clear();
    }
    for (std::size_t i = 0; i < m_devices.size(); ++i) {
        auto& lowers = m_devices[i].lowers;
        // Drop edges that point nowhere or to itself: the DAG must stay walkable.
        std::erase_if(lowers, [&](std::size_t lower) { return lower >= m_devices.size() || lower == i; });
        for (std::size_t lower : lowers) {
            auto& uppers = m_devices[lower].uppers;
            if (std::find(uppers.begin(), uppers.end(), i) == uppers.end())
                uppers.push_back(i);
        }
    }
    // A partition's identity is its parent's identity plus its number; resolve parents
    // first (a partition of a partition does not exist, but a partition on a dm device does).
    for (auto& dev : m_devices) {
        if (dev.partition && dev.partition->parentId.empty() && !dev.lowers.empty())
            dev.partition->parentId = m_devices[dev.lowers.front()].stableId();
    }
}

const BlockDevice* Topology::findByDevNum(DevNum devnum) const
{
    for (const auto& dev : m_devices) {
        if (dev.devnum == devnum)
            return &dev;
    }
    return nullptr;
}

const BlockDevice* Topology::findByStableId(std::string_view id) const
{
    for (const auto& dev : m_devices) {
        if (dev.stableId() == id)
            return &dev;
    }
    return nullptr;
}

const BlockDevice* Topology::find(std::string_view spec) const
{
    if (spec.empty())
        return nullptr;
    if (spec.front() == '/') {
        const std::string path(spec);
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0 && S_ISBLK(st.st_mode)) {
            if (const auto* dev = findByDevNum(DevNum::fromDevT(st.st_rdev)))
                return dev;
        }
        constexpr std::string_view mapperPrefix = "/dev/mapper/";
        constexpr std::string_view devPrefix = "/dev/";
        if (spec.starts_with(mapperPrefix)) {
            const auto dmName = spec.substr(mapperPrefix.size());
            for (const auto& dev : m_devices) {
                if (dev.dm && dev.dm->name == dmName)
                    return &dev;
            }
            return nullptr;
        }
        if (spec.starts_with(devPrefix)) {
            const auto kernelName = spec.substr(devPrefix.size());
            for (const auto& dev : m_devices) {
                if (dev.name == kernelName)
                    return &dev;
            }
        }
        return nullptr;
    }
    for (const auto& dev : m_devices) {
        if (dev.name == spec)
            return &dev;
    }
    for (const auto& dev : m_devices) {
        if (dev.dm && dev.dm->name == spec)
            return &dev;
    }
    if (const auto devnum = DevNum::parse(spec)) {
        if (const auto* dev = findByDevNum(*devnum))
            return dev;
    }
    return findByStableId(spec);
}

std::vector<std::size_t> Topology::roots() const
{
    std::vector<std::size_t> out;
    for (const auto& dev : m_devices) {
        if (dev.lowers.empty())
            out.push_back(dev.index);
    }
    return out;
}

std::vector<std::size_t> Topology::leavesOf(std::size_t index) const
{
    std::vector<std::size_t> out;
    if (index >= m_devices.size())
        return out;
    std::vector<bool> seen(m_devices.size(), false);
    std::vector<std::size_t> stack{index};
    while (!stack.empty()) {
        const std::size_t cur = stack.back();
        stack.pop_back();
        if (seen[cur])
            continue;
        seen[cur] = true;
        const auto& lowers = m_devices[cur].lowers;
        if (lowers.empty()) {
            out.push_back(cur);
            continue;
        }
        // Push in reverse so leaves come out in table order.
        for (auto it = lowers.rbegin(); it != lowers.rend(); ++it)
            stack.push_back(*it);
    }
    return out;
}

bool Topology::dependsOn(std::size_t upper, std::size_t lower) const
{
    if (upper >= m_devices.size() || lower >= m_devices.size() || upper == lower)
        return false;
    std::vector<bool> seen(m_devices.size(), false);
    std::vector<std::size_t> stack(m_devices[upper].lowers);
    while (!stack.empty()) {
        const std::size_t cur = stack.back();
        stack.pop_back();
        if (cur == lower)
            return true;
        if (seen[cur])
            continue;
        seen[cur] = true;
        for (std::size_t next : m_devices[cur].lowers)
            stack.push_back(next);
    }
    return false;
}

} // namespace offload
