// SPDX-License-Identifier: GPL-2.0-or-later
#include "topology/BlockDevice.h"

#include <charconv>
#include <sys/sysmacros.h>

namespace offload {

dev_t DevNum::toDevT() const
{
    return makedev(major, minor);
}

DevNum DevNum::fromDevT(dev_t dev)
{
    return DevNum{static_cast<uint32_t>(::major(dev)), static_cast<uint32_t>(::minor(dev))};
}

std::optional<DevNum> DevNum::parse(std::string_view text)
{
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.remove_suffix(1);
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 >= text.size())
        return std::nullopt;
    DevNum out;
    const char* begin = text.data();
    const char* mid = begin + colon;
    const char* end = begin + text.size();
    auto first = std::from_chars(begin, mid, out.major);
    if (first.ec != std::errc{} || first.ptr != mid)
        return std::nullopt;
    auto second = std::from_chars(mid + 1, end, out.minor);
    if (second.ec != std::errc{} || second.ptr != end)
        return std::nullopt;
    return out;
}

const char* toString(DeviceKind kind)
{
    switch (kind) {
    case DeviceKind::NvmeNamespace: return "nvme";
    case DeviceKind::ScsiDisk: return "scsi";
    case DeviceKind::Partition: return "partition";
    case DeviceKind::DeviceMapper: return "dm";
    case DeviceKind::Loop: return "loop";
    case DeviceKind::Other: return "other";
    }
    return "other";
}

std::string BlockDevice::stableId() const
{
    if (stableIdAmbiguous)
        return "devnum:" + devnum.str();
    if (nvme) {
        const std::string& owner = !nvme->subsysnqn.empty() ? nvme->subsysnqn : nvme->serial;
        if (!owner.empty() && nvme->nsid != 0)
            return "nvme:" + owner + ":nsid=" + std::to_string(nvme->nsid);
        if (!nvme->wwid.empty())
            return "wwn:" + nvme->wwid;
    }
    if (scsi && !scsi->wwid.empty())
        return "wwn:" + scsi->wwid;
    if (partition && !partition->parentId.empty())
        return "part:" + partition->parentId + ":" + std::to_string(partition->number);
    if (dm) {
        if (!dm->uuid.empty())
            return "dm-uuid:" + dm->uuid;
        if (!dm->name.empty())
            return "dm-name:" + dm->name;
    }
    if (kind == DeviceKind::Other && !serial.empty())
        return "serial:" + (driverHint.empty() ? std::string("block") : driverHint) + ":" + serial;
    // A deleted backing file no longer names the device: another file may take its path.
    if (loop && !loop->backingFile.empty() && !loop->backingDeleted) {
        std::string id = "loop:" + loop->backingFile;
        if (loop->offset != 0)
            id += "@" + std::to_string(loop->offset);
        return id;
    }
    return "devnum:" + devnum.str();
}

std::string BlockDevice::devPath() const
{
    if (dm && !dm->name.empty())
        return "/dev/mapper/" + dm->name;
    return "/dev/" + name;
}

std::string BlockDevice::label() const
{
    std::string detail;
    if (nvme) {
        if (!nvme->serial.empty())
            detail = "serial " + nvme->serial + ", ";
        detail += "nsid " + std::to_string(nvme->nsid);
    } else if (scsi) {
        detail = scsi->vendor;
        if (!scsi->model.empty())
            detail += (detail.empty() ? "" : " ") + scsi->model;
        if (!scsi->hctl.empty())
            detail += (detail.empty() ? "" : ", ") + scsi->hctl;
    } else if (partition) {
        detail = "partition " + std::to_string(partition->number);
    } else if (dm) {
        detail = dm->name.empty() ? std::string("device-mapper") : dm->name;
    } else if (loop) {
        detail = loop->backingFile.empty() ? std::string("loop, detached")
                                           : "backed by " + loop->backingFile +
                                                 (loop->backingDeleted ? " (deleted)" : "");
    } else if (!driverHint.empty()) {
        detail = driverHint;
    }
    if (detail.empty())
        return name;
    return name + " (" + detail + ")";
}

} // namespace offload
