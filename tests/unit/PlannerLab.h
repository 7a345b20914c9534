// SPDX-License-Identifier: GPL-2.0-or-later
// Hand-built topologies and capability sets for the planner tests.
#pragma once

#include "capability/Capability.h"
#include "copy/CopyPlan.h"
#include "copy/CopyPlanner.h"
#include "topology/Topology.h"

#include <cstdint>
#include <string>
#include <vector>

namespace offload::test {

constexpr uint64_t KiB = 1024;
constexpr uint64_t MiB = 1024 * KiB;
constexpr uint64_t GiB = 1024 * MiB;

/// NVMe Copy limits of QEMU's `nvme-ns ...,mssrl=256,mcl=1024,msrc=7`, formats 0 and 1.
inline NvmeCopyCaps qemuNvmeCaps(uint32_t lbaBytes = 512)
{
    NvmeCopyCaps caps;
    caps.oncs = 0x15d;
    caps.copy = true;
    caps.ocfs = 0x3;
    caps.mssrl = 256;
    caps.mcl = 1024;
    caps.msrc = 7;
    caps.lbaBytes = lbaBytes;
    caps.controllerId = 1;
    caps.subsysnqn = "nqn.2019-08.org.qemu:ctrl0";
    return caps;
}

/// LIO's answer: 3PC, NAA 6 designator, 2 CSCDs, 1 segment descriptor, 256 MiB segments.
inline ScsiCopyCaps lioScsiCaps(uint8_t naaSeed, uint32_t blockBytes = 512)
{
    ScsiCopyCaps caps;
    caps.threePC = true;
    caps.naaFormat = 6;
    caps.naaDesignator.assign(16, naaSeed);
    caps.naaDesignator[0] = 0x60;
    caps.rcopKnown = true;
    caps.maxCscdDescriptors = 2;
    caps.maxSegmentDescriptors = 1;
    caps.maxDescriptorListLength = 1024;
    caps.maxSegmentLength = 256 * 1024 * 1024;
    caps.supportedDescriptorCodes = {0x02, 0xe4};
    caps.blockBytes = blockBytes;
    return caps;
}

/// Builds a Topology and a CapabilitySet device by device (indexes are returned).
class PlannerLab {
public:
    std::size_t nvme(const std::string& name, uint32_t nsid, uint64_t sizeBytes, NvmeCopyCaps caps,
                     const std::string& controller = "nvme0")
    {
        BlockDevice dev = base(name, {259, m_nextNvmeMinor++}, DeviceKind::NvmeNamespace, sizeBytes, caps.lbaBytes);
        NvmeNamespaceInfo info;
        info.controller = controller;
        info.transport = "pcie";
        info.subsysnqn = caps.subsysnqn;
        info.serial = "serial-" + controller;
        info.nsid = nsid;
        dev.nvme = info;
        DeviceCapability cap;
        cap.mechanism = caps.copy ? CopyMechanism::NvmeCopy : CopyMechanism::None;
        cap.status = ProbeStatus::Ok;
        if (!caps.copy)
            cap.reason = "the controller does not support Copy (ONCS bit 8 clear)";
        cap.nvme = caps;
        return add(std::move(dev), std::move(cap));
    }

    std::size_t scsi(const std::string& name, const std::string& targetId, uint64_t sizeBytes, ScsiCopyCaps caps)
    {
        BlockDevice dev = base(name, {8, m_nextScsiMinor}, DeviceKind::ScsiDisk, sizeBytes, caps.blockBytes);
        m_nextScsiMinor += 16;
        ScsiDiskInfo info;
        info.hctl = targetId + ":" + std::to_string(m_nextScsiMinor / 16);
        info.targetId = targetId;
        info.vendor = "LIO-ORG";
        dev.scsi = info;
        DeviceCapability cap;
        cap.mechanism = caps.threePC ? CopyMechanism::ScsiXcopy : CopyMechanism::None;
        cap.status = ProbeStatus::Ok;
        cap.scsi = caps;
        return add(std::move(dev), std::move(cap));
    }

    std::size_t loop(const std::string& name, uint64_t sizeBytes)
    {
        BlockDevice dev = base(name, {7, m_nextLoopMinor++}, DeviceKind::Loop, sizeBytes, 512);
        dev.loop = LoopInfo{"/var/tmp/" + name + ".img", 0, 0, true, false};
        DeviceCapability cap;
        cap.status = ProbeStatus::NotApplicable;
        cap.reason = "loop device: no copy command";
        return add(std::move(dev), std::move(cap));
    }

    std::size_t partition(const std::string& name, std::size_t disk, uint32_t number, uint64_t startSector,
                          uint64_t sizeBytes)
    {
        BlockDevice dev = base(name, {m_devices[disk].devnum.major, m_devices[disk].devnum.minor + 100 + number},
                               DeviceKind::Partition, sizeBytes, m_devices[disk].logicalBlockSize);
        PartitionInfo info;
        info.number = number;
        info.startSector = startSector;
        dev.partition = info;
        dev.lowers = {disk};
        return add(std::move(dev), {});
    }

    /// A device-mapper device; `table` params name lowers by major:minor (use devnum()).
    std::size_t dm(const std::string& name, std::vector<DmSegment> table, std::vector<std::size_t> lowers)
    {
        uint64_t sectors = 0;
        uint32_t block = 512;
        for (const DmSegment& segment : table)
            sectors = std::max(sectors, segment.start + segment.length);
        for (std::size_t lower : lowers)
            block = std::max(block, m_devices[lower].logicalBlockSize);
        BlockDevice dev = base("dm-" + std::to_string(m_nextDmMinor), {253, m_nextDmMinor}, DeviceKind::DeviceMapper,
                               sectors * 512, block);
        ++m_nextDmMinor;
        DmInfo info;
        info.name = name;
        info.uuid = "LVM-" + name;
        info.table = std::move(table);
        info.tableKnown = true;
        dev.dm = info;
        dev.lowers = std::move(lowers);
        return add(std::move(dev), {});
    }

    /// dm-linear of one segment: `sectors` sectors of `lower` from `offsetSectors`.
    std::size_t linear(const std::string& name, std::size_t lower, uint64_t offsetSectors, uint64_t sectors)
    {
        return dm(name, {{0, sectors, "linear", devnum(lower) + " " + std::to_string(offsetSectors)}}, {lower});
    }

    std::string devnum(std::size_t index) const { return m_devices[index].devnum.str(); }
    BlockDevice& device(std::size_t index) { return m_devices[index]; }
    DeviceCapability& capability(std::size_t index) { return m_caps[index]; }

    Topology topology() const { return Topology(m_devices); }
    /// The host the capabilities describe (default: kernel unknown).
    void setKernelRelease(const std::string& release) { m_host = hostCopySupportFor(release); }
    CapabilitySet capabilities() const
    {
        CapabilitySet set;
        set.devices = m_caps;
        set.host = m_host;
        return set;
    }

    /// Plans with a fresh snapshot of what was built so far.
    Result<CopyPlan> plan(std::size_t src, std::size_t dst, uint64_t srcOffset, uint64_t dstOffset, uint64_t length,
                          CopyRequest request = {}) const
    {
        const Topology topo = topology();
        request.source = deviceEndpoint(topo, src);
        request.destination = deviceEndpoint(topo, dst);
        request.srcOffset = srcOffset;
        request.dstOffset = dstOffset;
        request.length = length;
        return planCopy(topo, capabilities(), request);
    }

private:
    static BlockDevice base(const std::string& name, DevNum devnum, DeviceKind kind, uint64_t sizeBytes,
                            uint32_t block)
    {
        BlockDevice dev;
        dev.name = name;
        dev.devnum = devnum;
        dev.kind = kind;
        dev.sizeBytes = sizeBytes;
        dev.logicalBlockSize = block;
        dev.physicalBlockSize = block;
        dev.zoned = "none";
        return dev;
    }

    std::size_t add(BlockDevice dev, DeviceCapability cap)
    {
        const std::size_t index = m_devices.size();
        dev.index = index;
        cap.device = index;
        m_devices.push_back(std::move(dev));
        m_caps.push_back(std::move(cap));
        return index;
    }

    std::vector<BlockDevice> m_devices;
    HostCopySupport m_host;
    std::vector<DeviceCapability> m_caps;
    uint32_t m_nextNvmeMinor = 0;
    uint32_t m_nextScsiMinor = 0;
    uint32_t m_nextLoopMinor = 0;
    uint32_t m_nextDmMinor = 0;
};

} // namespace offload::test
