// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace offload {

/// Whether this host lets offloadcp enable cross-namespace NVMe Copy (descriptor formats
/// 2/3): that takes Set Features Host Behavior Support (FID 16h, CDFE bits) from user space.
enum class CrossNamespaceEnable {
    Unknown, ///< the kernel release is not known (e.g. a fixture without one): do not promise it
    Refused, ///< Linux >= 6.12 rejects that Set Features from user space (EACCES, even as root)
    Allowed, ///< older kernels pass it to the controller
};
/// "unknown", "refused", "allowed".
const char* toString(CrossNamespaceEnable enable);

/// What the host (not a device) allows for copy offload. The one place the planner, the
/// verdicts and the report learn it from: CapabilitySet::host, filled by scanSystem.
struct HostCopySupport {
    std::string kernelRelease; ///< `uname -r`, or a fixture's kernel-release file; empty: unknown
    CrossNamespaceEnable crossNamespace = CrossNamespaceEnable::Unknown;
};

/// Whether a kernel release ("6.12.9-amd64", "6.1.0-28-amd64") lets user space send Set
/// Features Host Behavior Support: false from 6.12 on, true before, nullopt if unparsable.
std::optional<bool> kernelAllowsHostBehaviorSet(std::string_view release);

/// The host support implied by a kernel release (empty or unparsable: Unknown). Pure.
HostCopySupport hostCopySupportFor(std::string_view kernelRelease);

/// The running kernel's release (uname); empty if uname fails.
std::string runningKernelRelease();

} // namespace offload
