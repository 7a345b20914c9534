// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "capability/HostSupport.h"
#include "topology/Topology.h"
#include "util/Error.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace offload {

enum class CopyMechanism { None, NvmeCopy, ScsiXcopy };
const char* toString(CopyMechanism mechanism);

/// Whether a probe ran and what it found.
enum class ProbeStatus {
    Ok,             ///< probed; the fields below are the device's answer
    NeedsRoot,      ///< not probed: opening the device needs root ("unknown: needs root")
    Failed,         ///< the probe was sent and failed; reason says how
    NotApplicable,  ///< this kind of device has nothing to probe (dm, partition, loop, other)
    Skipped,        ///< not probed: the command does not use this device (ScanOptions::probeOnly)
};
const char* toString(ProbeStatus status);

/// NVMe Copy support, from Identify Controller (ONCS, OCFS) and Identify Namespace.
struct NvmeCopyCaps {
    uint16_t oncs = 0;
    bool copy = false;                ///< ONCS bit 8
    bool copySingleAtomicity = false; ///< ONCS bit 9
    bool allFastCopy = false;         ///< ONCS bit 10
    uint16_t ocfs = 0;                ///< bit n: copy descriptor format n supported
    uint32_t mssrl = 0;               ///< max blocks in one source range
    uint32_t mcl = 0;                 ///< max blocks in one command
    uint32_t msrc = 0;                ///< max source ranges, 0's based (as in the spec)
    uint32_t lbaBytes = 512;          ///< from the formatted LBA format (LBADS)
    uint16_t metadataBytes = 0;
    uint8_t flbas = 0;
    uint8_t dps = 0;                  ///< protection information settings
    uint8_t mdts = 0;                 ///< raw MDTS: 2^mdts units of CAP.MPSMIN, 0 = no limit
    uint32_t mdtsBytes = 0;           ///< 0 = no limit or unknown (CAP.MPSMIN is not in Identify)
    uint16_t controllerId = 0;
    std::string subsysnqn;            ///< from Identify Controller
    uint32_t maxRanges() const { return msrc + 1; }
    bool supportsFormat(unsigned format) const { return (ocfs >> format) & 1u; }
};

/// SCSI third-party copy support, from INQUIRY, VPD 0x83, RECEIVE COPY OPERATING
/// PARAMETERS and VPD 0x8F.
struct ScsiCopyCaps {
    bool threePC = false;                ///< standard INQUIRY byte 5 bit 3
    std::vector<uint8_t> naaDesignator;  ///< the NAA designator's identifier bytes (8 or 16)
    uint8_t naaFormat = 0;               ///< NAA field: 5 = IEEE Registered, 6 = Registered Extended
    bool rcopKnown = false;              ///< RECEIVE COPY OPERATING PARAMETERS answered
    bool supportsNoListId = false;       ///< RCOP byte 4 bit 0 (SNLID): LIST ID USAGE 11b allowed
    uint16_t maxCscdDescriptors = 0;
    uint16_t maxSegmentDescriptors = 0;
    uint32_t maxDescriptorListLength = 0;
    uint32_t maxSegmentLength = 0;       ///< bytes, 0 = not reported
    uint32_t maxInlineData = 0;
    std::vector<uint8_t> supportedDescriptorCodes; ///< from RCOP
    bool tpcVpdPresent = false;          ///< VPD 0x8F exists
    uint32_t blockBytes = 512;
    std::string unitSerial;              ///< VPD 0x80
};

/// What one leaf device can do, or why it cannot. Intermediate devices (dm, partition)
/// get ProbeStatus::NotApplicable and mechanism None; the verdict analysis covers them.
struct DeviceCapability {
    std::size_t device = 0;
    CopyMechanism mechanism = CopyMechanism::None;
    ProbeStatus status = ProbeStatus::NotApplicable;
    std::string reason; ///< why None or why unknown, e.g. "loop device: no copy command"
    std::optional<NvmeCopyCaps> nvme;
    std::optional<ScsiCopyCaps> scsi;
};

/// Capabilities for every device of a topology, indexed like Topology::devices().
struct CapabilitySet {
    std::vector<DeviceCapability> devices;
    /// What the host allows (cross-namespace NVMe Copy); default: unknown, so not promised.
    HostCopySupport host;
    const DeviceCapability& at(std::size_t index) const { return devices.at(index); }
};

// ---- Pure parsers (byte-exact, tested against spec layouts) ------------------------
/// Identify Controller data structure (4096 bytes).
Result<NvmeCopyCaps> parseNvmeIdentifyController(const std::vector<uint8_t>& data);
/// Identify Namespace (NVM command set, 4096 bytes): fills mssrl/mcl/msrc/lba fields into caps.
Status parseNvmeIdentifyNamespace(const std::vector<uint8_t>& data, NvmeCopyCaps& caps);
/// Standard INQUIRY data: 3PC bit.
Status parseScsiInquiry(const std::vector<uint8_t>& data, ScsiCopyCaps& caps);
/// VPD page 0x83: picks the NAA designator (prefers NAA 6, logical-unit association).
Status parseScsiDeviceIdVpd(const std::vector<uint8_t>& data, ScsiCopyCaps& caps);
/// RECEIVE COPY OPERATING PARAMETERS (0x84/0x03) parameter data.
Status parseScsiCopyOperatingParameters(const std::vector<uint8_t>& data, ScsiCopyCaps& caps);
/// VPD page 0x80 (Unit Serial Number): fills caps.unitSerial.
Status parseScsiUnitSerialVpd(const std::vector<uint8_t>& data, ScsiCopyCaps& caps);

class NvmeTransport;
class ScsiTransport;

/// Probes every leaf of `topology` (NVMe namespaces through `nvme`, SCSI disks through
/// `scsi`); everything else gets its reason. With `only`, just the leaves under those
/// devices are probed and the other leaves are ProbeStatus::Skipped. Never fails as a
/// whole: a failed probe is recorded per device. Thread-compatible; blocking.
CapabilitySet probeCapabilities(const Topology& topology, NvmeTransport& nvme, ScsiTransport& scsi,
                                const std::optional<std::vector<std::size_t>>& only = std::nullopt);

} // namespace offload
