// SPDX-License-Identifier: GPL-2.0-or-later
// The libnvme adapter: the only file that includes libnvme headers. Identify and Copy go to
// the leaf namespace's block node, opened by dev_t (openBlockDevice), never by name alone.
#include "transport/DeviceNode.h"
#include "transport/NvmeTransport.h"

#include <libnvme.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>

namespace offload {

namespace {

static_assert(sizeof(nvme_copy_range) == 32, "format 0 descriptor is 32 bytes");
static_assert(sizeof(nvme_copy_range_f1) == 40, "format 1 descriptor is 40 bytes");
static_assert(sizeof(nvme_feat_host_behavior) == kHostBehaviorBytes, "Host Behavior Support is 512 bytes");
static_assert(NVME_FEAT_FID_HOST_BEHAVIOR == kFeatureHostBehavior, "Host Behavior Support is feature 16h");
static_assert(sizeof(nvme_id_ctrl) == 4096 && sizeof(nvme_id_ns) == 4096, "identify is 4 KiB");

constexpr uint8_t kCopyOpcode = 0x19;
constexpr uint32_t kTimeoutMs = 0; // the kernel's default I/O timeout

std::size_t descriptorBytes(uint8_t format)
{
    return format == 1 || format == 3 ? 40 : 32;
}

/// Maps a libnvme return value (0, an NVMe status field > 0, or -1 with errno) to an Error.
Error commandError(int rc, int savedErrno, const BlockDevice& ns, const std::string& what, uint32_t dw0)
{
    if (rc < 0) {
        Error e = Error::sys(savedErrno, ns.name, what + " failed");
        if (e.code == Errc::PermissionDenied)
            e.hint = "Run offloadcp as root: NVMe passthrough needs CAP_SYS_ADMIN";
        return e;
    }
    const auto field = static_cast<uint16_t>(rc);
    NvmeStatus status;
    status.sct = static_cast<uint8_t>(nvme_status_code_type(field));
    status.sc = static_cast<uint8_t>(nvme_status_code(field));
    status.dnr = (field & NVME_SC_DNR) != 0;
    status.dw0 = dw0;
    Error e = Error::make(Errc::NvmeStatus, ns.name, what + " failed");
    e.nvme = status;
    return e;
}

class LibNvmeTransport final : public NvmeTransport {
public:
    Result<std::vector<uint8_t>> identifyController(const BlockDevice& ns) override
    {
        auto fd = openNamespace(ns, O_RDONLY);
        if (!fd)
            return std::unexpected(fd.error());
        std::vector<uint8_t> data(sizeof(nvme_id_ctrl), 0);
        nvme_id_ctrl id{};
        errno = 0;
        const int rc = nvme_identify_ctrl(*fd, &id);
        if (rc != 0)
            return std::unexpected(commandError(rc, errno, ns, "Identify Controller", 0));
        std::memcpy(data.data(), &id, sizeof id);
        return data;
    }

    Result<std::vector<uint8_t>> identifyNamespace(const BlockDevice& ns) override
    {
        auto fd = openNamespace(ns, O_RDONLY);
        if (!fd)
            return std::unexpected(fd.error());
        uint32_t nsid = ns.nvme ? ns.nvme->nsid : 0;
        if (nsid == 0) {
            errno = 0;
            if (nvme_get_nsid(*fd, &nsid) != 0)
                return std::unexpected(Error::sys(errno, ns.name, "cannot read the namespace id"));
        }
        std::vector<uint8_t> data(sizeof(nvme_id_ns), 0);
        nvme_id_ns id{};
        errno = 0;
        const int rc = nvme_identify_ns(*fd, nsid, &id);
        if (rc != 0)
            return std::unexpected(commandError(rc, errno, ns, "Identify Namespace", 0));
        std::memcpy(data.data(), &id, sizeof id);
        return data;
    }

    Result<std::vector<uint8_t>> getHostBehavior(const BlockDevice& ns) override
    {
        auto fd = openNamespace(ns, O_RDONLY);
        if (!fd)
            return std::unexpected(fd.error());
        std::vector<uint8_t> data(kHostBehaviorBytes, 0);
        uint32_t result = 0;
        errno = 0;
        const int rc = nvme_get_features_data(*fd, NVME_FEAT_FID_HOST_BEHAVIOR, 0,
                                              static_cast<uint32_t>(data.size()), data.data(), &result);
        if (rc != 0)
            return std::unexpected(commandError(rc, errno, ns, "Get Features Host Behavior Support", result));
        return data;
    }

    Status setHostBehavior(const BlockDevice& ns, const std::vector<uint8_t>& data) override
    {
        if (data.size() != kHostBehaviorBytes)
            return std::unexpected(Error::make(Errc::InvalidArgument, ns.name,
                                               "Host Behavior Support data must be " + std::to_string(kHostBehaviorBytes)
                                                   + " bytes, not " + std::to_string(data.size())));
        auto fd = openNamespace(ns, O_RDONLY);
        if (!fd)
            return std::unexpected(fd.error());
        std::vector<uint8_t> buffer = data;
        uint32_t result = 0;
        errno = 0;
        const int rc = nvme_set_features_data(*fd, kFeatureHostBehavior, 0, 0, false,
                                              static_cast<uint32_t>(buffer.size()), buffer.data(), &result);
        if (rc != 0)
            return std::unexpected(commandError(rc, errno, ns, "Set Features Host Behavior Support", result));
        return {};
    }

    Status copy(const BlockDevice& ns, const NvmeCopyCommand& command) override
    {
        if (command.format > 3)
            return std::unexpected(Error::make(Errc::InvalidArgument, ns.name,
                                               "copy descriptor format " + std::to_string(command.format)
                                                   + " does not exist"));
        const std::size_t ranges = std::size_t{command.nr} + 1;
        if (command.descriptors.size() != ranges * descriptorBytes(command.format))
            return std::unexpected(Error::make(Errc::InvalidArgument, ns.name,
                                               "copy command has " + std::to_string(command.descriptors.size())
                                                   + " descriptor bytes for " + std::to_string(ranges)
                                                   + " ranges of format " + std::to_string(command.format)));
        if (ns.readOnly)
            return std::unexpected(Error::make(Errc::InvalidArgument, ns.name,
                                               "the destination namespace is read-only"));
        auto fd = openNamespace(ns, O_RDWR);
        if (!fd)
            return std::unexpected(fd.error());
        const uint32_t nsid = command.nsid != 0 ? command.nsid : (ns.nvme ? ns.nvme->nsid : 0);
        if (nsid == 0)
            return std::unexpected(Error::make(Errc::InvalidArgument, ns.name, "copy command without a namespace id"));
        if (ns.nvme && ns.nvme->nsid != 0 && nsid != ns.nvme->nsid)
            return std::unexpected(Error::make(Errc::InvalidArgument, ns.name,
                                               "copy command addressed to nsid " + std::to_string(nsid)
                                                   + " sent to the node of nsid " + std::to_string(ns.nvme->nsid)));

        uint32_t dw0 = 0;
        int rc = 0;
        errno = 0;
        if (command.format <= 1) {
            // Formats 0 and 1: libnvme 1.3's nvme_copy() builds CDW10-12 itself.
            if (command.format == 0) {
                std::vector<nvme_copy_range> entries(ranges);
                std::memcpy(entries.data(), command.descriptors.data(), command.descriptors.size());
                rc = submitCopy(*fd, nsid, command, entries.data(), &dw0);
            } else {
                std::vector<nvme_copy_range_f1> entries(ranges);
                std::memcpy(entries.data(), command.descriptors.data(), command.descriptors.size());
                rc = submitCopy(*fd, nsid, command, entries.data(), &dw0);
            }
        } else {
            // Formats 2 and 3 (cross-namespace) need libnvme 1.7+: send the command by hand.
            std::vector<uint8_t> buffer = command.descriptors;
            nvme_passthru_cmd cmd{};
            cmd.opcode = kCopyOpcode;
            cmd.nsid = nsid;
            cmd.cdw10 = static_cast<uint32_t>(command.sdlba & 0xffffffffu);
            cmd.cdw11 = static_cast<uint32_t>(command.sdlba >> 32);
            cmd.cdw12 = uint32_t{command.nr} | (uint32_t{command.format} << 8);
            cmd.addr = reinterpret_cast<uintptr_t>(buffer.data());
            cmd.data_len = static_cast<uint32_t>(buffer.size());
            cmd.timeout_ms = kTimeoutMs;
            rc = nvme_submit_io_passthru(*fd, &cmd, &dw0);
        }
        if (rc != 0)
            return std::unexpected(commandError(rc, errno, ns, "Copy", dw0));
        return {};
    }

private:
    /// The namespace's node, kept open for the transport's life (a probe sends it two or
    /// three admin commands, a copy one Copy per step).
    Result<int> openNamespace(const BlockDevice& ns, int flags)
    {
        if (ns.kind != DeviceKind::NvmeNamespace)
            return std::unexpected(Error::make(
                Errc::InvalidArgument, ns.name,
                std::string("refusing NVMe passthrough: this is a ") + toString(ns.kind) + ", not an NVMe namespace",
                "Commands go to the leaf namespace with translated LBAs, never to a partition or dm node"));
        return m_nodes.get(ns, flags);
    }

    template <class Entry>
    static int submitCopy(int fd, uint32_t nsid, const NvmeCopyCommand& command, Entry* entries, uint32_t* dw0)
    {
        nvme_copy_args args{};
        args.args_size = sizeof args;
        args.fd = fd;
        args.nsid = nsid;
        args.sdlba = command.sdlba;
        args.result = dw0;
        args.copy = reinterpret_cast<nvme_copy_range*>(entries);
        args.nr = static_cast<uint16_t>(command.nr + 1); // libnvme takes the count, not 0's based
        args.format = command.format;
        args.timeout = kTimeoutMs;
        return nvme_copy(&args);
    }

    OpenNodes m_nodes;
};

} // namespace

std::unique_ptr<NvmeTransport> makeLibNvmeTransport()
{
    return std::make_unique<LibNvmeTransport>();
}

} // namespace offload
