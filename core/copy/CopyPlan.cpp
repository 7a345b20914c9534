// SPDX-License-Identifier: GPL-2.0-or-later
#include "copy/CopyPlan.h"

namespace offload {

const char* toString(CopyMethod method)
{
    switch (method) {
    case CopyMethod::NvmeCopy: return "nvme-copy";
    case CopyMethod::ScsiXcopy: return "scsi-xcopy";
    case CopyMethod::ReadWrite: return "read-write";
    case CopyMethod::FileClone: return "file-clone";
    case CopyMethod::CopyFileRange: return "copy-file-range";
    }
    return "unknown";
}

bool offloads(const PlannedExtent& extent)
{
    return isOffload(extent.method) && !extent.throughHost;
}

uint64_t NvmeCopyStep::bytes() const
{
    uint64_t blocks = 0;
    for (const NvmeSourceRange& range : ranges)
        blocks += range.blocks;
    return blocks * lbaBytes;
}

uint64_t XcopyStep::bytes() const
{
    uint64_t blocks = 0;
    for (const XcopySegment& segment : segments)
        blocks += segment.blocks;
    return blocks * blockBytes;
}

uint64_t CopyPlan::bytesBy(CopyMethod method) const
{
    uint64_t total = 0;
    for (const PlannedExtent& extent : extents) {
        if (extent.method == method)
            total += extent.length;
    }
    return total;
}

uint64_t CopyPlan::offloadedBytes() const
{
    uint64_t total = 0;
    for (const PlannedExtent& extent : extents) {
        if (offloads(extent))
            total += extent.length;
    }
    return total;
}

double CopyPlan::offloadedShare() const
{
    if (length == 0)
        return 0.0;
    return static_cast<double>(offloadedBytes()) / static_cast<double>(length);
}

} // namespace offload
