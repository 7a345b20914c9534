// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "capability/Capability.h"
#include "topology/Topology.h"
#include "util/Error.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace offload {

enum class CopyMethod { NvmeCopy, ScsiXcopy, ReadWrite, FileClone, CopyFileRange };
const char* toString(CopyMethod method);
inline bool isOffload(CopyMethod m) { return m != CopyMethod::ReadWrite; }
struct PlannedExtent;
/// Whether the extent's bytes avoid host memory: an offload method not done by the host.
bool offloads(const PlannedExtent& extent);

/// The filesystem a regular-file endpoint lives on (for a new file: its directory's).
struct FileSystemInfo {
    uint64_t magic = 0;  ///< statfs f_type (EXT4_SUPER_MAGIC, XFS_SUPER_MAGIC, ...)
    DevNum dev;          ///< st_dev: the mounted filesystem (a block device for disk filesystems)
    std::string type;    ///< the mount's fstype from mountinfo ("ext4", "devtmpfs"); empty if unknown
};

/// One side of a copy: a block device of the topology or a regular file.
struct CopyEndpoint {
    std::optional<std::size_t> device;  ///< index in the topology, for block devices
    std::filesystem::path file;         ///< for regular files (device empty)
    std::optional<FileSystemInfo> fileSystem; ///< regular files: where it lives (nullopt: not looked up)
    uint64_t sizeBytes = 0;
    uint32_t blockSize = 512;           ///< logical block size (files: 512)
    std::string label;                  ///< for messages
};

/// A pair of equally long pieces of source and destination and how they are copied.
struct PlannedExtent {
    uint64_t srcOffset = 0;       ///< bytes, in the source volume
    uint64_t dstOffset = 0;       ///< bytes, in the destination volume
    uint64_t length = 0;
    CopyMethod method = CopyMethod::ReadWrite;
    std::string reason;           ///< why this method ("same namespace, Copy supported", "dm-crypt: ...")
    std::optional<std::size_t> srcLeaf;  ///< leaf device the source bytes live on, when known
    std::optional<std::size_t> dstLeaf;
    uint64_t srcLeafOffset = 0;   ///< bytes on srcLeaf
    uint64_t dstLeafOffset = 0;
    /// CopyFileRange on a filesystem without server-side copy (ext4, tmpfs, XFS without a
    /// clone): the kernel copies through host memory, so it is no offload.
    bool throughHost = false;
};

/// One NVMe source range, with where it sits in the user's volumes (for fallback).
struct NvmeSourceRange {
    uint64_t slba = 0;            ///< namespace-absolute, in the namespace's LBAs
    uint32_t blocks = 0;          ///< count (not 0's based)
    uint32_t snsid = 0;           ///< source namespace for formats 2/3, else 0
    uint64_t volumeSrcOffset = 0; ///< bytes in the source volume
    uint64_t volumeDstOffset = 0; ///< bytes in the destination volume
};

/// One NVMe Copy command, already split by MSSRL/MCL/MSRC: ranges land one after
/// another from sdlba on the destination namespace.
struct NvmeCopyStep {
    std::size_t ns = 0;           ///< destination namespace device (the command goes here)
    std::size_t srcNs = 0;        ///< source namespace device (== ns unless format 2/3)
    uint64_t sdlba = 0;
    uint8_t format = 0;
    uint32_t lbaBytes = 512;      ///< the namespaces' LBA size: blocks * lbaBytes = bytes
    std::vector<NvmeSourceRange> ranges;
    uint64_t bytes() const;
};

/// One EXTENDED COPY segment (block-to-block, type 0x02), with volume positions.
struct XcopySegment {
    uint64_t srcLba = 0;
    uint64_t dstLba = 0;
    uint32_t blocks = 0;          ///< at most 65,535
    uint64_t volumeSrcOffset = 0;
    uint64_t volumeDstOffset = 0;
};

/// One EXTENDED COPY LID1 command, split by the copy manager's limits.
struct XcopyStep {
    std::size_t srcLun = 0;
    std::size_t dstLun = 0;
    std::size_t issueTo = 0;      ///< the LUN the command is sent to (LIO: either; we use dst)
    uint32_t blockBytes = 512;
    std::vector<XcopySegment> segments;
    uint64_t bytes() const;
};

/// The whole plan: extents cover [0, length) in order; offloaded extents are also
/// expressed as the commands that will carry them. ReadWrite extents go through the
/// user's own volume nodes (never through leaves), so any stack works for them.
struct CopyPlan {
    CopyEndpoint source;
    CopyEndpoint destination;
    uint64_t srcOffset = 0;
    uint64_t dstOffset = 0;
    uint64_t length = 0;
    std::vector<PlannedExtent> extents;
    std::vector<NvmeCopyStep> nvmeSteps;
    std::vector<XcopyStep> xcopySteps;
    std::vector<std::string> warnings;

    uint64_t bytesBy(CopyMethod method) const;
    uint64_t offloadedBytes() const;
    double offloadedShare() const; ///< 0..1
};

} // namespace offload
