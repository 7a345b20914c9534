// SPDX-License-Identifier: GPL-2.0-or-later
// A hand-built machine for UI tests: NVMe with partitions, SCSI LUNs, dm-linear across
// both, dm-crypt on top, a loop device, a mounted disk, a small disk and a free partition.
#pragma once

#include "capability/Capability.h"
#include "capability/Scan.h"
#include "topology/Topology.h"

#include <memory>
#include <string>

namespace offload::uitest {

constexpr uint64_t MiB = 1024 * 1024;

enum Dev : std::size_t {
    Nvme0n1, Nvme0n1p1, Nvme0n1p2, Sda, DmLinear, DmCrypt, Loop0, Sdb, DmMixed, Sdc, Nvme1n1, Nvme0n1p3, DeviceCount
};

inline BlockDevice makeDevice(std::string name, DevNum devnum, uint64_t bytes, DeviceKind kind)
{
    BlockDevice dev;
    dev.name = std::move(name);
    dev.devnum = devnum;
    dev.kind = kind;
    dev.sizeBytes = bytes;
    return dev;
}

inline BlockDevice makeNvme(std::string name, DevNum devnum, uint64_t bytes, std::string serial, uint32_t nsid)
{
    BlockDevice dev = makeDevice(std::move(name), devnum, bytes, DeviceKind::NvmeNamespace);
    NvmeNamespaceInfo info;
    info.controller = "nvme0";
    info.transport = "pcie";
    info.serial = std::move(serial);
    info.model = "QEMU NVMe Ctrl";
    info.nsid = nsid;
    info.subsysnqn = "nqn.2019-08.org.qemu:" + info.serial;
    dev.nvme = info;
    return dev;
}

inline BlockDevice makeScsi(std::string name, DevNum devnum, uint64_t bytes, std::string wwid)
{
    BlockDevice dev = makeDevice(std::move(name), devnum, bytes, DeviceKind::ScsiDisk);
    ScsiDiskInfo info;
    info.hctl = "2:0:0:" + std::to_string(devnum.minor / 16);
    info.vendor = "LIO-ORG";
    info.model = "lun";
    info.wwid = std::move(wwid);
    info.targetId = "2:0:0";
    dev.scsi = info;
    return dev;
}

inline BlockDevice makePartition(std::string name, DevNum devnum, uint64_t bytes, std::size_t parent, uint32_t number,
                                 uint64_t startSector)
{
    BlockDevice dev = makeDevice(std::move(name), devnum, bytes, DeviceKind::Partition);
    dev.partition = PartitionInfo{number, startSector, {}};
    dev.lowers = {parent};
    return dev;
}

inline BlockDevice makeDm(std::string name, DevNum devnum, std::vector<DmSegment> table, std::vector<std::size_t> lowers)
{
    uint64_t sectors = 0;
    for (const auto& seg : table)
        sectors = std::max(sectors, seg.start + seg.length);
    BlockDevice dev = makeDevice("dm-" + std::to_string(devnum.minor), devnum, sectors * 512, DeviceKind::DeviceMapper);
    DmInfo info;
    info.name = std::move(name);
    info.uuid = "LVM-test" + std::to_string(devnum.minor);
    info.table = std::move(table);
    info.tableKnown = true;
    dev.dm = std::move(info);
    dev.lowers = std::move(lowers);
    return dev;
}

/// The machine described above, with capabilities: NVMe Copy on nvme0n1 and nvme1n1,
/// EXTENDED COPY on the SCSI LUNs, nothing on loop0.
inline SystemSnapshot makeSnapshot()
{
    constexpr uint64_t S = MiB / 512; // sectors per MiB
    std::vector<BlockDevice> d(DeviceCount);
    d[Nvme0n1] = makeNvme("nvme0n1", {259, 0}, 2048 * MiB, "SN-A", 1);
    d[Nvme0n1p1] = makePartition("nvme0n1p1", {259, 1}, 512 * MiB, Nvme0n1, 1, 2048);
    d[Nvme0n1p2] = makePartition("nvme0n1p2", {259, 2}, 600 * MiB, Nvme0n1, 2, 2048 + 512 * S);
    d[Sda] = makeScsi("sda", {8, 0}, 1024 * MiB, "naa.6001405aaaaaaaaaaaaaaaaaaaaaaaaa");
    d[DmLinear] = makeDm("vg-lv", {253, 0},
                         {{0, 256 * S, "linear", "259:1 0"}, {256 * S, 256 * S, "linear", "8:0 2048"}},
                         {Nvme0n1p1, Sda});
    d[DmCrypt] = makeDm("secret", {253, 1}, {{0, 512 * S, "crypt", "aes-xts-plain64 - 0 253:0 0"}}, {DmLinear});
    d[DmCrypt].mountpoints = {"/srv"};
    d[Loop0] = makeDevice("loop0", {7, 0}, 64 * MiB, DeviceKind::Loop);
    d[Loop0].loop = LoopInfo{"/var/tmp/disk.img", 0, 0, true, false};
    d[Sdb] = makeScsi("sdb", {8, 16}, 100 * MiB, "naa.6001405bbbbbbbbbbbbbbbbbbbbbbbbb");
    d[DmMixed] = makeDm("mixed", {253, 2}, {{0, 32 * S, "linear", "259:2 0"}, {32 * S, 32 * S, "linear", "7:0 0"}},
                        {Nvme0n1p2, Loop0});
    d[Sdc] = makeScsi("sdc", {8, 32}, 1024 * MiB, "naa.6001405ccccccccccccccccccccccccc");
    d[Nvme1n1] = makeNvme("nvme1n1", {259, 3}, 1024 * MiB, "SN-B", 1);
    d[Nvme1n1].mountpoints = {"/data"};
    d[Nvme0n1p3] = makePartition("nvme0n1p3", {259, 4}, 512 * MiB, Nvme0n1, 3, 2048 + 1112 * S);

    SystemSnapshot snap;
    snap.topology = std::make_shared<const Topology>(std::move(d));
    snap.capabilities.devices.resize(DeviceCount);
    for (std::size_t i = 0; i < DeviceCount; ++i)
        snap.capabilities.devices[i].device = i;
    for (std::size_t i : {std::size_t{Nvme0n1}, std::size_t{Nvme1n1}}) {
        auto& c = snap.capabilities.devices[i];
        c.mechanism = CopyMechanism::NvmeCopy;
        c.status = ProbeStatus::Ok;
        NvmeCopyCaps n;
        n.oncs = 0x15d;
        n.copy = true;
        n.ocfs = 0x3;
        n.mssrl = 256;
        n.mcl = 1024;
        n.msrc = 7;
        n.lbaBytes = 512;
        c.nvme = n;
    }
    for (std::size_t i : {std::size_t{Sda}, std::size_t{Sdb}, std::size_t{Sdc}}) {
        auto& c = snap.capabilities.devices[i];
        c.mechanism = CopyMechanism::ScsiXcopy;
        c.status = ProbeStatus::Ok;
        ScsiCopyCaps s;
        s.threePC = true;
        s.naaFormat = 6;
        s.naaDesignator.assign(16, static_cast<uint8_t>(0x60 + i));
        s.rcopKnown = true;
        s.maxCscdDescriptors = 2;
        s.maxSegmentDescriptors = 1;
        s.maxSegmentLength = 256 * MiB;
        c.scsi = s;
    }
    snap.capabilities.devices[Loop0].reason = "loop device: no copy command";
    return snap;
}

} // namespace offload::uitest
