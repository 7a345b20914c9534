// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace offload {

/// A block device number (major:minor). The identity of a device within one boot.
struct DevNum {
    uint32_t major = 0;
    uint32_t minor = 0;
    auto operator<=>(const DevNum&) const = default;
    std::string str() const { return std::to_string(major) + ":" + std::to_string(minor); }
    dev_t toDevT() const;
    static DevNum fromDevT(dev_t dev);
    /// Parses "259:0"; nullopt when malformed.
    static std::optional<DevNum> parse(std::string_view text);
};

enum class DeviceKind { NvmeNamespace, ScsiDisk, Partition, DeviceMapper, Loop, Other };
const char* toString(DeviceKind kind);

struct NvmeNamespaceInfo {
    std::string controller;  ///< kernel name of the controller (display only), e.g. nvme0
    std::string transport;   ///< pcie, tcp, rdma, fc, loop
    std::string subsysnqn;
    std::string serial;
    std::string model;
    std::string firmware;
    uint32_t nsid = 0;
    std::string eui64;
    std::string nguid;
    std::string uuid;
    std::string wwid;
    std::string genericNode; ///< the ngXnY char device name when present, for passthrough
    DevNum genericDevNum;    ///< its dev_t (0:0 when there is none)
};

struct ScsiDiskInfo {
    std::string hctl;        ///< host:channel:target:lun
    std::string vendor;
    std::string model;
    std::string revision;
    std::string wwid;        ///< /sys/block/X/device/wwid (e.g. naa.6001405...)
    std::string sgNode;      ///< the sgN char device name when present
    DevNum sgDevNum;         ///< its dev_t (0:0 when there is none)
    std::string targetId;    ///< host:channel:target, identifies the copy manager's target
};

struct PartitionInfo {
    uint32_t number = 0;
    uint64_t startSector = 0; ///< in 512-byte sectors on the parent disk
    std::string parentId;     ///< the parent disk's stableId(); Topology fills it in when empty
};

/// One device-mapper table line: a segment of the dm device, in 512-byte sectors.
struct DmSegment {
    uint64_t start = 0;
    uint64_t length = 0;
    std::string target;      ///< "linear", "striped", "crypt", ...
    std::string params;      ///< the target's arguments as the kernel prints them
    auto operator<=>(const DmSegment&) const = default;
};

struct DmInfo {
    std::string name;
    std::string uuid;
    bool suspended = false;
    std::vector<DmSegment> table;
    bool tableKnown = false;  ///< false when the table could not be read (no device-mapper, not root)
    std::string tableError;   ///< why not, when !tableKnown
};

struct LoopInfo {
    std::string backingFile;
    uint64_t offset = 0;      ///< bytes
    uint64_t sizeLimit = 0;   ///< bytes, 0 = whole file
    bool directIo = false;
    bool autoclear = false;
    bool backingDeleted = false; ///< the backing file was deleted (the kernel appends " (deleted)")
};

/// One node of the topology DAG. Holds only data read from sysfs / device-mapper.
struct BlockDevice {
    std::size_t index = 0;           ///< position in Topology::devices()
    std::string name;                ///< kernel name (nvme0n1, dm-3): display only, never identity
    DevNum devnum;
    DeviceKind kind = DeviceKind::Other;
    uint64_t sizeBytes = 0;
    uint32_t logicalBlockSize = 512;
    uint32_t physicalBlockSize = 512;
    bool readOnly = false;
    bool removable = false;
    std::string driverHint;          ///< for Other: what it is (virtio-blk, md, zram, ...)
    std::string serial;              ///< for Other: /sys/block/X/serial (virtio-blk) when it has one
    bool stableIdAmbiguous = false;  ///< another device has the same identity: stableId() uses devnum
    std::string zoned;               ///< queue/zoned: none, host-aware, host-managed

    std::vector<std::size_t> lowers; ///< devices this one is built on (slaves; a partition's disk)
    std::vector<std::size_t> uppers; ///< devices built on this one (holders, partitions)

    std::optional<NvmeNamespaceInfo> nvme;
    std::optional<ScsiDiskInfo> scsi;
    std::optional<PartitionInfo> partition;
    std::optional<DmInfo> dm;
    std::optional<LoopInfo> loop;

    std::vector<std::string> mountpoints; ///< where it is mounted (from mountinfo), swap included as "[SWAP]"
    std::vector<std::string> warnings;    ///< attributes that could not be read, with why

    bool isLeaf() const { return lowers.empty(); }
    /// A boot-independent identifier: "nvme:<subsysnqn|serial>:nsid=<n>", "wwn:<wwid>",
    /// "dm-uuid:<uuid>", "part:<parent id>:<n>", "loop:<backing file>", or "devnum:<maj:min>".
    std::string stableId() const;
    /// The /dev path users know it by (for messages): /dev/mapper/<name> for dm, else /dev/<name>.
    std::string devPath() const;
    /// Human label for messages: "nvme0n1 (serial X, nsid 1)".
    std::string label() const;
};

} // namespace offload
