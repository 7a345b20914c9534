// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "topology/Topology.h"
#include "util/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace offload {

/// What a piece of a mapped range turned out to be.
enum class PieceKind {
    Leaf,     ///< reached a leaf device at leafOffset: a copy command could address it
    Opaque,   ///< stopped at `device`, a layer a copy cannot pass (crypt, thin, raid, ...); reason says why
    Zero,     ///< dm-zero: reads return zeros
    Error,    ///< dm-error or a hole in the table: I/O fails
};
const char* toString(PieceKind kind);

/// A contiguous part of a mapped range and where it lives.
struct MappedPiece {
    uint64_t offset = 0;      ///< byte offset within the queried device
    uint64_t length = 0;      ///< bytes
    PieceKind kind = PieceKind::Leaf;
    std::size_t device = 0;   ///< the leaf (Leaf) or the layer where mapping stopped (Opaque/Zero/Error)
    uint64_t deviceOffset = 0;///< byte offset on `device`
    std::string reason;       ///< for Opaque/Zero/Error: why, e.g. "dm-crypt: the IV is derived from the sector ..."
    std::vector<std::size_t> path; ///< devices from the queried one down to `device`, both included
    auto operator<=>(const MappedPiece&) const = default;
};

/// Maps [offset, offset+length) of `device` down through partitions and device-mapper
/// tables (linear, striped, delay, flakey, multipath map through; crypt, integrity,
/// thin, snapshot, raid, mirror, cache, ... stop with their reason) to pieces in order.
/// Pure: reads only the topology snapshot. Errors when the range exceeds the device or a
/// table cannot be interpreted.
Result<std::vector<MappedPiece>> mapRange(const Topology& topology, std::size_t device,
                                          uint64_t offset, uint64_t length);

/// Why a dm target stops a copy ("" when it maps through): the transparency table.
std::string dmTargetOpacityReason(const std::string& target);

} // namespace offload
