// SPDX-License-Identifier: GPL-2.0-or-later
// Transports that answer from a captured fixture's probe/ folder instead of a device:
// probe/<kernel name>.<what> holds the raw bytes the device returned. A file
// probe/<kernel name>.<what>.error holding an errno name (EACCES, EPERM, ENODEV, EIO)
// replays a failed probe, e.g. a capture made without root.
#include "capability/Scan.h"
#include "transport/NvmeTransport.h"
#include "transport/ScsiTransport.h"
#include "util/FileTree.h"

#include <cerrno>
#include <optional>
#include <sstream>
#include <string>

namespace offload {

namespace {

namespace fs = std::filesystem;

int errnoByName(const std::string& name)
{
    if (name == "EACCES")
        return EACCES;
    if (name == "EPERM")
        return EPERM;
    if (name == "ENODEV")
        return ENODEV;
    if (name == "ENOENT")
        return ENOENT;
    return EIO;
}

/// Reads probe/<kernel name>.<what> within the fixture (the probe folder's parent): a link
/// that leads out of it, the probe folder's own included, is not followed (the probe fails,
/// naming the file).
Result<std::vector<uint8_t>> readProbeFile(const std::optional<FileTree>& dir, const fs::path& dirPath,
                                           const BlockDevice& dev, const std::string& what)
{
    const fs::path file = dev.name + "." + what;
    auto read = [&](const fs::path& name, int& err) -> std::optional<std::string> {
        if (!dir) {
            err = ENOENT;
            return std::nullopt;
        }
        return dir->readAll(dirPath / name, err);
    };
    auto outside = [&](const fs::path& name) {
        return std::unexpected(Error::sys(EXDEV, dev.name,
                                          what + ": " + (dirPath / name).string()
                                              + " is a link that leads out of the fixture (not followed)"));
    };
    int err = 0;
    const fs::path errorName = fs::path(file) += ".error";
    if (auto errorText = read(errorName, err)) {
        std::istringstream errorFile(*errorText);
        std::string name;
        errorFile >> name;
        return std::unexpected(Error::sys(errnoByName(name), dev.name, what + " (replayed from the fixture)"));
    }
    if (err == EXDEV)
        return outside(errorName);
    auto bytes = read(file, err);
    if (!bytes && err == EXDEV)
        return outside(file);
    if (!bytes)
        return std::unexpected(Error::make(Errc::NotFound, dev.name,
                                           "not probed: the fixture has no " + file.filename().string()));
    return std::vector<uint8_t>(bytes->begin(), bytes->end());
}

Error refused(const BlockDevice& dev, const char* expected)
{
    return Error::make(Errc::InvalidArgument, dev.name,
                       std::string("refusing passthrough: this is a ") + toString(dev.kind) + ", not " + expected);
}

class FixtureNvmeTransport final : public NvmeTransport {
public:
    explicit FixtureNvmeTransport(fs::path dir) : m_dirPath(std::move(dir))
    {
        if (auto tree = FileTree::below(m_dirPath.has_parent_path() ? m_dirPath.parent_path() : "."))
            m_dir = std::move(*tree);
    }

    Result<std::vector<uint8_t>> identifyController(const BlockDevice& ns) override
    {
        if (ns.kind != DeviceKind::NvmeNamespace)
            return std::unexpected(refused(ns, "an NVMe namespace"));
        return readProbeFile(m_dir, m_dirPath, ns, "id-ctrl");
    }
    Result<std::vector<uint8_t>> identifyNamespace(const BlockDevice& ns) override
    {
        if (ns.kind != DeviceKind::NvmeNamespace)
            return std::unexpected(refused(ns, "an NVMe namespace"));
        return readProbeFile(m_dir, m_dirPath, ns, "id-ns");
    }
    Status copy(const BlockDevice& ns, const NvmeCopyCommand&) override
    {
        return std::unexpected(Error::make(Errc::Unsupported, ns.name, "a fixture cannot copy"));
    }

private:
    fs::path m_dirPath;
    std::optional<FileTree> m_dir; ///< the fixture; unset when it cannot be opened
};

class FixtureScsiTransport final : public ScsiTransport {
public:
    explicit FixtureScsiTransport(fs::path dir) : m_dirPath(std::move(dir))
    {
        if (auto tree = FileTree::below(m_dirPath.has_parent_path() ? m_dirPath.parent_path() : "."))
            m_dir = std::move(*tree);
    }

    Result<std::vector<uint8_t>> inquiry(const BlockDevice& lun) override { return read(lun, "inquiry"); }
    Result<std::vector<uint8_t>> vpdPage(const BlockDevice& lun, uint8_t page) override
    {
        static const char* digits = "0123456789abcdef";
        std::string what = "vpd";
        what += digits[page >> 4];
        what += digits[page & 0xf];
        return read(lun, what);
    }
    Result<std::vector<uint8_t>> receiveCopyOperatingParameters(const BlockDevice& lun) override
    {
        return read(lun, "rcop");
    }
    Status extendedCopy(const BlockDevice& lun, const std::vector<uint8_t>&) override
    {
        return std::unexpected(Error::make(Errc::Unsupported, lun.name, "a fixture cannot copy"));
    }
    Result<std::vector<uint8_t>> receiveCopyResults(const BlockDevice& lun, uint8_t serviceAction, uint8_t) override
    {
        if (serviceAction == 0x03)
            return read(lun, "rcop");
        return std::unexpected(Error::make(Errc::Unsupported, lun.name, "a fixture has no copy results"));
    }

private:
    Result<std::vector<uint8_t>> read(const BlockDevice& lun, const std::string& what)
    {
        if (lun.kind != DeviceKind::ScsiDisk)
            return std::unexpected(refused(lun, "a SCSI disk"));
        return readProbeFile(m_dir, m_dirPath, lun, what);
    }

    fs::path m_dirPath;
    std::optional<FileTree> m_dir; ///< the fixture; unset when it cannot be opened
};

} // namespace

std::unique_ptr<NvmeTransport> makeFixtureNvmeTransport(const std::filesystem::path& probeDir)
{
    return std::make_unique<FixtureNvmeTransport>(probeDir);
}

std::unique_ptr<ScsiTransport> makeFixtureScsiTransport(const std::filesystem::path& probeDir)
{
    return std::make_unique<FixtureScsiTransport>(probeDir);
}

} // namespace offload
