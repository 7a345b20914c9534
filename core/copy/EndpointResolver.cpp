// SPDX-License-Identifier: GPL-2.0-or-later
#include "copy/EndpointResolver.h"

#include "copy/CopyPlanner.h"
#include "copy/FileEndpoint.h"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>

namespace offload {

namespace {

const char* roleName(EndpointRole role)
{
    return role == EndpointRole::Source ? "source" : "destination";
}

Error destinationIsLink(const std::string& spec)
{
    return Error::make(Errc::InvalidArgument, spec,
                       "the destination is a symbolic link to a file: offloadcp does not write through a link",
                       "give the path of the file itself");
}

/// A source is followed to its file (as cp does); a destination keeps its last component
/// (the job opens it with O_NOFOLLOW), its directories resolved.
std::filesystem::path filePath(const std::string& spec, EndpointRole role)
{
    std::error_code ec;
    const std::filesystem::path absolute = std::filesystem::absolute(spec).lexically_normal();
    if (role == EndpointRole::Source) {
        auto canonical = std::filesystem::canonical(spec, ec);
        return ec ? absolute : canonical;
    }
    auto directory = std::filesystem::canonical(absolute.parent_path(), ec);
    return ec ? absolute : directory / absolute.filename();
}

/// The filesystem facts of a file endpoint; refuses a pseudo filesystem (procfs, sysfs, ...).
Status addFileSystem(CopyEndpoint& endpoint, EndpointRole role)
{
    auto fs = fileSystemOf(endpoint.file);
    if (!fs)
        return {}; // the job's open reports it
    if (auto st = checkFileEndpointFileSystem(*fs, endpoint.label, roleName(role)); !st)
        return st;
    endpoint.fileSystem = *fs;
    return {};
}

Result<CopyEndpoint> fileEndpoint(const std::string& spec, const struct stat& st, EndpointRole role)
{
    CopyEndpoint endpoint;
    endpoint.file = filePath(spec, role);
    endpoint.sizeBytes = static_cast<uint64_t>(st.st_size);
    endpoint.blockSize = 512;
    endpoint.label = spec;
    if (auto fs = addFileSystem(endpoint, role); !fs)
        return std::unexpected(fs.error());
    return endpoint;
}

} // namespace

Result<CopyEndpoint> resolveEndpoint(const Topology& topology, const std::string& spec, EndpointRole role)
{
    const std::string hint = "give a /dev path, a kernel name (nvme0n1), a dm name or a stable id as listed by "
                             "`offloadcp report --long`, or a regular file";
    if (spec.empty())
        return std::unexpected(Error::make(Errc::InvalidArgument, {}, std::string("empty ") + roleName(role), hint));
    const bool isPath = spec.find('/') != std::string::npos;
    if (!isPath) {
        if (const BlockDevice* device = topology.find(spec))
            return deviceEndpoint(topology, device->index);
    }

    struct stat st {};
    struct stat link {};
    const bool isLink = ::lstat(spec.c_str(), &link) == 0 && S_ISLNK(link.st_mode);
    if (::stat(spec.c_str(), &st) == 0) {
        if (S_ISREG(st.st_mode)) {
            if (isLink && role == EndpointRole::Destination)
                return std::unexpected(destinationIsLink(spec));
            return fileEndpoint(spec, st, role);
        }
        if (S_ISBLK(st.st_mode)) {
            if (const BlockDevice* device = topology.find(spec))
                return deviceEndpoint(topology, device->index);
            return std::unexpected(Error::make(Errc::NotFound, spec,
                                               "this block device (" + DevNum::fromDevT(st.st_rdev).str() +
                                                   ") is not in the scanned topology",
                                               "it may have just appeared: run the command again"));
        }
        if (S_ISDIR(st.st_mode))
            return std::unexpected(Error::make(Errc::InvalidArgument, spec,
                                               std::string("the ") + roleName(role) + " is a directory", hint));
        if (const BlockDevice* device = topology.find(spec))
            return deviceEndpoint(topology, device->index);
        return std::unexpected(Error::make(Errc::InvalidArgument, spec,
                                           std::string("the ") + roleName(role) +
                                               " is neither a block device nor a regular file",
                                           hint));
    }
    const int statErrno = errno;
    // Not on this file system: a device of the snapshot (a fixture, or a name like /dev/mapper/x).
    if (const BlockDevice* device = topology.find(spec))
        return deviceEndpoint(topology, device->index);
    if (statErrno == EACCES)
        return std::unexpected(Error::sys(statErrno, spec, "cannot look up the " + std::string(roleName(role)),
                                          "check the permissions of its directory"));

    const std::filesystem::path path = std::filesystem::absolute(spec);
    const bool underDev = path.string().starts_with("/dev/");
    std::error_code ec;
    if (role == EndpointRole::Destination && isLink) // a dangling link: writing it would create its target
        return std::unexpected(destinationIsLink(spec));
    if (role == EndpointRole::Destination && !underDev && std::filesystem::is_directory(path.parent_path(), ec)) {
        CopyEndpoint endpoint;
        endpoint.file = filePath(spec, role);
        endpoint.sizeBytes = 0;
        endpoint.label = spec + " (new file)";
        if (auto fs = addFileSystem(endpoint, role); !fs)
            return std::unexpected(fs.error());
        return endpoint;
    }
    return std::unexpected(Error::make(Errc::NotFound, spec,
                                       std::string("no block device or file by this name (") + roleName(role) + ")",
                                       hint));
}

std::vector<std::size_t> endpointDevices(const Topology& topology, const std::string& source,
                                         const std::string& destination)
{
    std::vector<std::size_t> devices;
    for (auto [spec, role] : {std::pair{&source, EndpointRole::Source}, std::pair{&destination, EndpointRole::Destination}})
        if (auto endpoint = resolveEndpoint(topology, *spec, role); endpoint && endpoint->device)
            devices.push_back(*endpoint->device);
    return devices;
}

std::optional<std::vector<DevNum>> endpointDevNums(const std::vector<std::string>& specs,
                                                   const std::filesystem::path& sysfsRoot)
{
    std::vector<DevNum> numbers;
    auto blockDevice = [](const std::string& path) -> std::optional<DevNum> {
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0 && S_ISBLK(st.st_mode))
            return DevNum::fromDevT(st.st_rdev);
        return std::nullopt;
    };
    for (const std::string& spec : specs) {
        if (spec.empty())
            return std::nullopt;
        if (spec.find('/') != std::string::npos) {
            struct stat st {};
            if (::stat(spec.c_str(), &st) == 0) {
                if (S_ISBLK(st.st_mode))
                    numbers.push_back(DevNum::fromDevT(st.st_rdev));
                else if (!S_ISREG(st.st_mode))
                    return std::nullopt; // an error either way; the full scan words it
            } else if (spec.find(':') != std::string::npos ||
                       std::filesystem::absolute(spec).string().starts_with("/dev/")) {
                return std::nullopt; // a stable id (loop:/file), or a device name without its node
            }
            continue;
        }
        // Bare names, in Topology::find's order: kernel name, dm name, MAJ:MIN.
        std::ifstream dev(sysfsRoot / "class/block" / spec / "dev");
        std::string text;
        if (dev && std::getline(dev, text)) {
            if (auto number = DevNum::parse(text)) {
                numbers.push_back(*number);
                continue;
            }
        }
        if (auto number = blockDevice("/dev/mapper/" + spec)) {
            numbers.push_back(*number);
            continue;
        }
        if (auto number = DevNum::parse(spec)) {
            numbers.push_back(*number);
            continue;
        }
        return std::nullopt;
    }
    return numbers;
}

} // namespace offload
