// SPDX-License-Identifier: GPL-2.0-or-later
// `dmsetup table` text (a fixture's dmsetup-table.txt): parseDmsetupTable, then every device
// it names becomes a device-mapper device (253:0, 253:1, ... in order of appearance) on top of
// nvme0n1 (259:0), sda (8:0) and its partition sda1 (8:1), and mapRange maps each of them
// whole and in part, as the planner does for a copy. Tables may refer to each other in any
// order, to themselves, and to devices that do not exist.
#include "FuzzInput.h"

#include "topology/ExtentMapper.h"

#include <algorithm>
#include <map>

namespace {

using namespace offload;

constexpr uint64_t kDmBytes = 1 << 20; // small, so that 1-sector stripes stay fast
constexpr std::size_t kMaxDmDevices = 8;

BlockDevice device(std::string name, DevNum devnum, DeviceKind kind, uint64_t bytes)
{
    BlockDevice dev;
    dev.name = std::move(name);
    dev.devnum = devnum;
    dev.kind = kind;
    dev.sizeBytes = bytes;
    return dev;
}

/// The pieces cover [offset, offset + length) in order, without gaps or overlaps.
void checkPieces(const std::vector<MappedPiece>& pieces, uint64_t offset, uint64_t length, std::size_t devices)
{
    uint64_t at = offset;
    for (const MappedPiece& p : pieces) {
        OFFLOADCP_FUZZ_CHECK(p.offset == at);
        OFFLOADCP_FUZZ_CHECK(p.length > 0 && p.length <= offset + length - at);
        OFFLOADCP_FUZZ_CHECK(p.device < devices && !p.path.empty() && p.path.back() == p.device);
        at += p.length;
    }
    OFFLOADCP_FUZZ_CHECK(at == offset + length);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size)
{
    auto parsed = parseDmsetupTable(fuzz::text(data, size));
    if (!parsed)
        return 0;
    std::vector<BlockDevice> devices;
    devices.push_back(device("nvme0n1", {259, 0}, DeviceKind::NvmeNamespace, 1ull << 30));
    devices.push_back(device("sda", {8, 0}, DeviceKind::ScsiDisk, 1ull << 30));
    devices.push_back(device("sda1", {8, 1}, DeviceKind::Partition, 1ull << 29));
    devices.back().partition = PartitionInfo{1, 2048, {}};
    devices.back().lowers = {1};
    std::map<std::string, std::size_t> byName;
    for (auto& [name, segment] : *parsed) {
        auto it = byName.find(name);
        if (it == byName.end()) {
            if (byName.size() == kMaxDmDevices)
                continue;
            const auto minor = static_cast<uint32_t>(byName.size());
            it = byName.emplace(name, devices.size()).first;
            devices.push_back(device("dm-" + std::to_string(minor), {253, minor}, DeviceKind::DeviceMapper, kDmBytes));
            devices.back().dm = DmInfo{};
            devices.back().dm->name = name;
            devices.back().dm->tableKnown = true;
            for (std::size_t lower = 0; lower < devices.size() - 1; ++lower)
                devices.back().lowers.push_back(lower);
        }
        if (!segment.target.empty())
            devices[it->second].dm->table.push_back(segment);
    }
    const Topology topology(std::move(devices));
    for (std::size_t i = 3; i < topology.size(); ++i) {
        for (const auto& [offset, length] : {std::pair<uint64_t, uint64_t>{0, kDmBytes}, {4096, 8192},
                                             {kDmBytes - 512, 512}, {0, 0}}) {
            auto pieces = mapRange(topology, i, offset, length);
            if (pieces)
                checkPieces(*pieces, offset, length, topology.size());
            else
                OFFLOADCP_FUZZ_CHECK(!pieces.error().message().empty());
        }
        (void)mapRange(topology, i, kDmBytes, 1); // beyond the end: an error, never a piece
    }
    return 0;
}
