// SPDX-License-Identifier: GPL-2.0-or-later
#include "capability/HostSupport.h"

#include <charconv>
#include <sys/utsname.h>

namespace offload {

const char* toString(CrossNamespaceEnable enable)
{
    switch (enable) {
    case CrossNamespaceEnable::Unknown: return "unknown";
    case CrossNamespaceEnable::Refused: return "refused";
    case CrossNamespaceEnable::Allowed: return "allowed";
    }
    return "unknown";
}

std::optional<bool> kernelAllowsHostBehaviorSet(std::string_view release)
{
    unsigned major = 0;
    unsigned minor = 0;
    const char* end = release.data() + release.size();
    auto first = std::from_chars(release.data(), end, major);
    if (first.ec != std::errc{} || first.ptr == end || *first.ptr != '.')
        return std::nullopt;
    auto second = std::from_chars(first.ptr + 1, end, minor);
    if (second.ec != std::errc{})
        return std::nullopt;
    return major < 6 || (major == 6 && minor < 12);
}

HostCopySupport hostCopySupportFor(std::string_view kernelRelease)
{
    HostCopySupport host;
    host.kernelRelease = std::string(kernelRelease);
    if (const auto allowed = kernelAllowsHostBehaviorSet(kernelRelease))
        host.crossNamespace = *allowed ? CrossNamespaceEnable::Allowed : CrossNamespaceEnable::Refused;
    return host;
}

std::string runningKernelRelease()
{
    utsname name{};
    if (uname(&name) != 0)
        return {};
    return name.release;
}

} // namespace offload
