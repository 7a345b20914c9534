// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "topology/BlockDevice.h"
#include "util/Error.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

namespace offload {

/// One NVMe Copy command (opcode 0x19) ready to send: descriptors already encoded.
struct NvmeCopyCommand {
    uint32_t nsid = 0;                ///< the namespace the command is sent to (= destination)
    uint64_t sdlba = 0;               ///< Starting Destination LBA (namespace-absolute)
    uint8_t format = 0;               ///< descriptor format 0..3
    uint8_t nr = 0;                   ///< number of ranges, 0's based
    std::vector<uint8_t> descriptors; ///< (nr+1) entries of 32 or 40 bytes
};

/// Host Behavior Support (Feature Identifier 16h): its data structure is 512 bytes; bytes
/// 4-5 hold CDFE (Copy Descriptor Formats Enable), bit n enabling copy descriptor format n.
inline constexpr uint8_t kFeatureHostBehavior = 0x16;
inline constexpr std::size_t kHostBehaviorBytes = 512;
inline constexpr std::size_t kHostBehaviorCdfeOffset = 4;

/// Talks to NVMe namespaces. The only implementation that issues ioctls uses libnvme;
/// tests use a fake that checks the exact bytes. Every call takes the *leaf namespace*
/// device: implementations refuse anything else (dm nodes, partitions).
class NvmeTransport {
public:
    virtual ~NvmeTransport() = default;
    /// Identify Controller (CNS 01h), 4096 bytes.
    virtual Result<std::vector<uint8_t>> identifyController(const BlockDevice& ns) = 0;
    /// Identify Namespace (CNS 00h) for ns's nsid, 4096 bytes.
    virtual Result<std::vector<uint8_t>> identifyNamespace(const BlockDevice& ns) = 0;
    /// Sends one Copy. On an NVMe error, Error::nvme carries status and DW0.
    virtual Status copy(const BlockDevice& ns, const NvmeCopyCommand& command) = 0;
    /// Get Features Host Behavior Support (current value) from ns's controller: 512 bytes.
    /// The default answers Errc::Unsupported (a transport that cannot send admin commands).
    virtual Result<std::vector<uint8_t>> getHostBehavior(const BlockDevice& ns);
    /// Set Features Host Behavior Support (not saved across resets) on ns's controller with
    /// `data` (512 bytes). Linux 6.12+ refuses it from user space (EACCES). The default
    /// answers Errc::Unsupported.
    virtual Status setHostBehavior(const BlockDevice& ns, const std::vector<uint8_t>& data);
};

/// libnvme adapter (the only place that includes libnvme headers). Opens the device node
/// whose st_rdev matches ns.devnum (by /dev/<name> checked with fstat, else
/// /dev/block/MAJ:MIN), never by name alone.
std::unique_ptr<NvmeTransport> makeLibNvmeTransport();

} // namespace offload
