// SPDX-License-Identifier: GPL-2.0-or-later
#include "capability/ReportCapabilities.h"

#include <nlohmann/json.hpp>

#include <array>
#include <limits>
#include <optional>

namespace offload {

namespace {

constexpr int kReportSchemaVersion = 1;

/// An unsigned integer that fits T, else `fallback` (a negative or larger number too: a cast
/// would make some other, wrong value of it).
template <typename T>
T number(const nlohmann::json& object, const char* key, T fallback = T{})
{
    const auto it = object.find(key);
    return it != object.end() && it->is_number_unsigned() && it->get<uint64_t>() <= std::numeric_limits<T>::max()
               ? static_cast<T>(it->get<uint64_t>())
               : fallback;
}

/// Reads the numbers of one device; the first one that is present but no unsigned integer
/// fitting its field is kept in `error`.
struct DeviceNumbers {
    const std::string& id;
    std::optional<Error> error;

    template <typename T> T get(const nlohmann::json& object, const char* key, T fallback = T{})
    {
        const auto it = object.find(key);
        if (it == object.end() || it->is_null())
            return fallback;
        if (it->is_number_unsigned() && it->get<uint64_t>() <= std::numeric_limits<T>::max())
            return static_cast<T>(it->get<uint64_t>());
        if (!error)
            error = Error::make(Errc::InvalidArgument, id,
                                std::string("the report has ") + key + " = " + it->dump().substr(0, 40)
                                    + ", not a count from 0 to " + std::to_string(std::numeric_limits<T>::max()),
                                "use an offloadcp of the same version as this program");
        return fallback;
    }
};

bool flag(const nlohmann::json& object, const char* key)
{
    const auto it = object.find(key);
    return it != object.end() && it->is_boolean() && it->get<bool>();
}

std::string text(const nlohmann::json& object, const char* key)
{
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<ProbeStatus> probeStatusFrom(const std::string& s)
{
    for (ProbeStatus v : {ProbeStatus::Ok, ProbeStatus::NeedsRoot, ProbeStatus::Failed, ProbeStatus::NotApplicable,
                          ProbeStatus::Skipped})
        if (s == toString(v))
            return v;
    return std::nullopt;
}

std::optional<CopyMechanism> mechanismFrom(const std::string& s)
{
    for (CopyMechanism v : {CopyMechanism::None, CopyMechanism::NvmeCopy, CopyMechanism::ScsiXcopy})
        if (s == toString(v))
            return v;
    return std::nullopt;
}

std::vector<uint8_t> hexBytes(const std::string& hex)
{
    std::vector<uint8_t> out;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    };
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
        if (hi < 0 || lo < 0)
            return {};
        out.push_back(static_cast<uint8_t>(hi << 4 | lo));
    }
    return out;
}

/// One device object of the report -> its capability; nullopt when it has none.
std::optional<DeviceCapability> capabilityFrom(const nlohmann::json& device, DeviceNumbers& numbers)
{
    const auto cap = device.find("capability");
    if (cap == device.end() || !cap->is_object())
        return std::nullopt;
    const auto status = probeStatusFrom(text(*cap, "status"));
    const auto mechanism = mechanismFrom(text(*cap, "mechanism"));
    if (!status || !mechanism)
        return std::nullopt;
    DeviceCapability out;
    out.status = *status;
    out.mechanism = *mechanism;
    out.reason = text(*cap, "reason");
    static const nlohmann::json noLimits = nlohmann::json::object();
    const auto limitsIt = device.find("limits");
    const nlohmann::json& limits = limitsIt != device.end() && limitsIt->is_object() ? *limitsIt : noLimits;
    if (cap->contains("oncs")) {
        NvmeCopyCaps nvme;
        nvme.oncs = numbers.get<uint16_t>(*cap, "oncs");
        nvme.copy = flag(*cap, "copy");
        nvme.copySingleAtomicity = (nvme.oncs >> 9) & 1u;
        nvme.allFastCopy = (nvme.oncs >> 10) & 1u;
        nvme.ocfs = numbers.get<uint16_t>(*cap, "ocfs");
        nvme.lbaBytes = numbers.get<uint32_t>(*cap, "lba_bytes", 512);
        nvme.controllerId = numbers.get<uint16_t>(*cap, "controller_id");
        nvme.dps = numbers.get<uint8_t>(*cap, "dps");
        nvme.metadataBytes = numbers.get<uint16_t>(*cap, "metadata_bytes");
        nvme.subsysnqn = text(device, "subsysnqn");
        nvme.mssrl = numbers.get<uint32_t>(limits, "mssrl");
        nvme.mcl = numbers.get<uint32_t>(limits, "mcl");
        nvme.msrc = numbers.get<uint32_t>(limits, "msrc");
        out.nvme = nvme;
    }
    if (cap->contains("three_pc")) {
        ScsiCopyCaps scsi;
        scsi.threePC = flag(*cap, "three_pc");
        scsi.naaDesignator = hexBytes(text(*cap, "naa_designator"));
        if (!scsi.naaDesignator.empty())
            scsi.naaFormat = scsi.naaDesignator.front() >> 4;
        scsi.tpcVpdPresent = flag(*cap, "tpc_vpd_present");
        scsi.rcopKnown = flag(*cap, "copy_parameters_known");
        scsi.supportsNoListId = flag(*cap, "supports_no_list_id");
        scsi.maxDescriptorListLength = numbers.get<uint32_t>(*cap, "max_descriptor_list_length");
        scsi.blockBytes = numbers.get<uint32_t>(*cap, "block_bytes", 512);
        scsi.maxSegmentDescriptors = numbers.get<uint16_t>(limits, "max_segment_descriptors");
        scsi.maxCscdDescriptors = numbers.get<uint16_t>(limits, "max_cscd_descriptors");
        scsi.maxSegmentLength = numbers.get<uint32_t>(limits, "max_segment_length");
        scsi.unitSerial = text(device, "serial");
        out.scsi = scsi;
    }
    return out;
}

} // namespace

Result<std::vector<ReportedCapability>> parseReportCapabilities(std::string_view json)
{
    const nlohmann::json doc = nlohmann::json::parse(json, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        return std::unexpected(Error::invalid("the report is not JSON", "run `offloadcp report --json` to see its output"));
    if (number<int>(doc, "schema_version", -1) != kReportSchemaVersion)
        return std::unexpected(Error::invalid("the report has schema_version "
                                                  + (doc.contains("schema_version") ? doc["schema_version"].dump() : "(none)")
                                                  + ", this program reads " + std::to_string(kReportSchemaVersion),
                                              "use an offloadcp of the same version as this program"));
    const auto devices = doc.find("devices");
    if (devices == doc.end() || !devices->is_array())
        return std::unexpected(Error::invalid("the report has no device list"));
    std::vector<ReportedCapability> out;
    for (const nlohmann::json& device : *devices) {
        if (!device.is_object())
            continue;
        const std::string id = text(device, "id");
        DeviceNumbers numbers{id, std::nullopt};
        auto capability = capabilityFrom(device, numbers);
        if (numbers.error)
            return std::unexpected(std::move(*numbers.error));
        if (id.empty() || !capability)
            continue;
        out.push_back({id, std::move(*capability)});
    }
    return out;
}

std::size_t mergeReportedCapabilities(const Topology& topology, const std::vector<ReportedCapability>& reported,
                                      CapabilitySet& capabilities)
{
    if (capabilities.devices.size() < topology.size())
        capabilities.devices.resize(topology.size());
    std::size_t merged = 0;
    for (const ReportedCapability& r : reported) {
        if (r.capability.status != ProbeStatus::Ok && r.capability.status != ProbeStatus::Failed)
            continue;
        for (const BlockDevice& device : topology.devices()) {
            if (device.stableId() != r.stableId)
                continue;
            DeviceCapability capability = r.capability;
            capability.device = device.index;
            capabilities.devices[device.index] = std::move(capability);
            ++merged;
            break;
        }
    }
    return merged;
}

} // namespace offload
