// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "transport/NvmeTransport.h"
#include "util/Error.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace offload {

struct UringNvmeOptions {
    unsigned depth = 32;                         ///< commands in flight at most (one-entry rings)
    std::filesystem::path sysfsRoot = "/sys";    ///< where /class/nvme-generic/ngXnY/dev is read
    std::filesystem::path devRoot = "/dev";      ///< where ngXnY nodes are opened
};

/// An NvmeTransport that sends Copy through io_uring NVMe passthrough (IORING_OP_URING_CMD,
/// NVME_URING_CMD_IO) on the namespace's generic char device (/dev/ngXnY). Each copy() call
/// takes a one-entry ring from a small pool, submits its command and sleeps until it
/// completes in the same system call, so callers on several threads (CopyJob's offload
/// threads) keep several commands in flight, and each completion wakes only its caller.
/// Completions carry the NVMe status and DW0 like the ioctl path.
///
/// Guarded at runtime: when the kernel cannot make a 128-byte-SQE / 32-byte-CQE ring, when
/// a namespace has no generic node, when the node cannot be verified (its dev_t must match
/// sysfs and NVME_IOCTL_ID must return the namespace's nsid), or when the node answers
/// uring commands with EOPNOTSUPP (the command did not run), the command goes through
/// `fallback` (the libnvme ioctl transport). Identify and Get/Set Features always go through
/// `fallback`.
/// Only leaf NVMe namespaces are accepted, as with every NvmeTransport.
/// Thread-safe. `fallback` must not be null.
std::unique_ptr<NvmeTransport> makeUringNvmeTransport(std::unique_ptr<NvmeTransport> fallback,
                                                      UringNvmeOptions options = {});

/// Whether this kernel can run NVMe passthrough through io_uring at all (a ring with
/// IORING_SETUP_SQE128 | IORING_SETUP_CQE32 can be made); the error says why not.
Status probeUringNvmePassthrough();

// ---- Pure helpers (tested without a device) -----------------------------------------
/// The generic char device of a namespace block device: "nvme1n2" -> "ng1n2" (the kernel
/// names both after the same controller/subsystem and namespace instances). nullopt for
/// anything else (partitions, controllers, multipath path nodes, other disks).
std::optional<std::string> nvmeGenericNodeName(std::string_view blockName);

/// Copy's command dwords: CDW10-11 SDLBA, CDW12 NR (0's based, bits 7:0) and the
/// descriptor format (bits 11:8); nothing else is set (no PI, no FUA, no directives).
struct NvmeCopyDwords {
    uint32_t cdw10 = 0;
    uint32_t cdw11 = 0;
    uint32_t cdw12 = 0;
};
NvmeCopyDwords nvmeCopyDwords(const NvmeCopyCommand& command);

/// Maps a passthrough result (0, a positive NVMe status field as the kernel returns it, or a
/// negative errno) and the completion's DW0 to a Status with Error::nvme / sysErrno.
Status nvmePassthroughStatus(int result, uint64_t dw0, const std::string& device);

} // namespace offload
