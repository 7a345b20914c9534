// SPDX-License-Identifier: GPL-2.0-or-later
#include "transport/NvmeTransport.h"

namespace offload {

Result<std::vector<uint8_t>> NvmeTransport::getHostBehavior(const BlockDevice& ns)
{
    return std::unexpected(Error::make(Errc::Unsupported, ns.name,
                                       "this NVMe transport cannot send Get Features Host Behavior Support"));
}

Status NvmeTransport::setHostBehavior(const BlockDevice& ns, const std::vector<uint8_t>&)
{
    return std::unexpected(Error::make(Errc::Unsupported, ns.name,
                                       "this NVMe transport cannot send Set Features Host Behavior Support"));
}

} // namespace offload
