// SPDX-License-Identifier: GPL-2.0-or-later
// io_uring NVMe passthrough for Copy: the only file that issues IORING_OP_URING_CMD.
#include "transport/UringNvmeTransport.h"

#include <liburing.h>
#include <linux/nvme_ioctl.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <set>
#include <thread>
#include <unistd.h>

namespace offload {

namespace {

constexpr uint8_t kCopyOpcode = 0x19;
constexpr uint64_t kStopToken = ~uint64_t(0);
constexpr unsigned kRingFlags = IORING_SETUP_SQE128 | IORING_SETUP_CQE32;

static_assert(sizeof(nvme_uring_cmd) <= 80, "nvme_uring_cmd fits the big SQE's command area");

bool allDigits(std::string_view s)
{
    if (s.empty())
        return false;
    for (char c : s)
        if (c < '0' || c > '9')
            return false;
    return true;
}

std::string readTrimmed(const std::filesystem::path& path)
{
    std::ifstream in(path);
    std::string text;
    std::getline(in, text);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.pop_back();
    return text;
}

/// One command waiting for its completion: (result, DW0).
struct Pending {
    std::promise<std::pair<int, uint64_t>> done;
};

/// A verified generic node for one namespace, or why there is none.
struct GenericNode {
    int fd = -1;
    std::string unusable; ///< non-empty: go through the fallback, this is why
};

class UringNvmeTransport final : public NvmeTransport {
public:
    UringNvmeTransport(std::unique_ptr<NvmeTransport> fallback, UringNvmeOptions options)
        : m_fallback(std::move(fallback)), m_options(std::move(options))
    {
        if (m_options.depth == 0)
            m_options.depth = 1;
        const int rc = io_uring_queue_init(m_options.depth + 1, &m_ring, kRingFlags);
        if (rc < 0)
            return; // an older kernel: every command goes through the fallback
        m_ringReady = true;
        m_reaper = std::thread([this] { reap(); });
    }

    ~UringNvmeTransport() override
    {
        if (m_ringReady) {
            {
                std::unique_lock lock(m_mutex);
                io_uring_sqe* sqe = m_ringBroken ? nullptr : io_uring_get_sqe(&m_ring);
                if (sqe) {
                    io_uring_prep_nop(sqe);
                    io_uring_sqe_set_data64(sqe, kStopToken);
                    io_uring_submit(&m_ring);
                }
            }
            if (m_reaper.joinable())
                m_reaper.join();
            io_uring_queue_exit(&m_ring);
        }
        for (auto& [dev, node] : m_nodes)
            if (node.fd >= 0)
                ::close(node.fd);
    }

    Result<std::vector<uint8_t>> identifyController(const BlockDevice& ns) override
    {
        return m_fallback->identifyController(ns);
    }
    Result<std::vector<uint8_t>> identifyNamespace(const BlockDevice& ns) override
    {
        return m_fallback->identifyNamespace(ns);
    }
    Result<std::vector<uint8_t>> getHostBehavior(const BlockDevice& ns) override
    {
        return m_fallback->getHostBehavior(ns);
    }
    Status setHostBehavior(const BlockDevice& ns, const std::vector<uint8_t>& data) override
    {
        return m_fallback->setHostBehavior(ns, data);
    }

    Status copy(const BlockDevice& ns, const NvmeCopyCommand& command) override
    {
        if (ns.kind != DeviceKind::NvmeNamespace || !ns.isLeaf() || !ns.nvme)
            return std::unexpected(Error::make(
                Errc::InvalidArgument, ns.name,
                std::string("refusing NVMe passthrough: this is a ") + toString(ns.kind) + ", not an NVMe namespace",
                "commands go to the leaf namespace with translated LBAs, never to a partition or dm node"));
        const std::size_t entryBytes = command.format == 1 || command.format == 3 ? 40 : 32;
        if (command.format > 3 || command.descriptors.size() != (std::size_t{command.nr} + 1) * entryBytes)
            return std::unexpected(Error::make(Errc::InvalidArgument, ns.name, "malformed NVMe Copy command"));
        if (ns.nvme->nsid != 0 && command.nsid != ns.nvme->nsid)
            return std::unexpected(Error::make(Errc::InvalidArgument, ns.name,
                                               "copy command addressed to nsid " + std::to_string(command.nsid) +
                                                   " sent to the node of nsid " + std::to_string(ns.nvme->nsid)));
        const int fd = ringUsable() ? genericNode(ns) : -1;
        if (fd < 0)
            return m_fallback->copy(ns, command);

        auto [result, dw0] = submitAndWait(fd, command);
        if (result == -EOPNOTSUPP) {
            // The node does not take uring commands: the command did not run. Remember it.
            {
                std::lock_guard lock(m_mutex);
                m_nodes[ns.devnum].unusable = "the generic node refuses io_uring commands";
            }
            return m_fallback->copy(ns, command);
        }
        return nvmePassthroughStatus(result, dw0, ns.name);
    }

private:
    /// Opens and verifies /dev/ngXnY for `ns` once; -1 when the fallback must be used.
    int genericNode(const BlockDevice& ns)
    {
        std::lock_guard lock(m_mutex);
        auto it = m_nodes.find(ns.devnum);
        if (it != m_nodes.end())
            return it->second.unusable.empty() ? it->second.fd : -1;
        GenericNode node;
        node.unusable = openVerified(ns, node.fd);
        if (!node.unusable.empty() && node.fd >= 0) {
            ::close(node.fd);
            node.fd = -1;
        }
        m_nodes.emplace(ns.devnum, node);
        return node.unusable.empty() ? node.fd : -1;
    }

    /// Returns why the node cannot be used ("" when fd is a verified node of ns).
    std::string openVerified(const BlockDevice& ns, int& fd) const
    {
        const std::string name = ns.nvme && !ns.nvme->genericNode.empty()
                                     ? ns.nvme->genericNode
                                     : nvmeGenericNodeName(ns.name).value_or(std::string());
        if (name.empty())
            return "no generic node name for " + ns.name;
        const auto expected = DevNum::parse(readTrimmed(m_options.sysfsRoot / "class/nvme-generic" / name / "dev"));
        if (!expected)
            return "no " + name + " in sysfs";
        fd = ::open((m_options.devRoot / name).c_str(), O_RDWR | O_CLOEXEC);
        if (fd < 0)
            return "cannot open " + name + ": " + std::strerror(errno);
        struct stat st {};
        if (::fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode) || DevNum::fromDevT(st.st_rdev) != *expected)
            return "/dev/" + name + " is not the generic node " + expected->str();
        const int nsid = ::ioctl(fd, NVME_IOCTL_ID);
        if (nsid < 0 || static_cast<uint32_t>(nsid) != ns.nvme->nsid)
            return name + " answers nsid " + std::to_string(nsid) + ", expected " + std::to_string(ns.nvme->nsid);
        return {};
    }

    bool ringUsable()
    {
        std::lock_guard lock(m_mutex);
        return m_ringReady && !m_ringBroken;
    }

    std::pair<int, uint64_t> submitAndWait(int fd, const NvmeCopyCommand& command)
    {
        Pending pending;
        auto done = pending.done.get_future();
        {
            std::unique_lock lock(m_mutex);
            m_slots.wait(lock, [this] { return m_inFlight < m_options.depth || m_ringBroken; });
            if (m_ringBroken)
                return {-EOPNOTSUPP, 0}; // not sent: the caller falls back
            io_uring_sqe* sqe = io_uring_get_sqe(&m_ring);
            if (!sqe)
                return {-EOPNOTSUPP, 0};
            std::memset(sqe, 0, 2 * sizeof(io_uring_sqe)); // a 128-byte SQE
            sqe->opcode = IORING_OP_URING_CMD;
            sqe->fd = fd;
            sqe->cmd_op = NVME_URING_CMD_IO;
            auto* cmd = reinterpret_cast<nvme_uring_cmd*>(sqe->cmd);
            const NvmeCopyDwords dw = nvmeCopyDwords(command);
            cmd->opcode = kCopyOpcode;
            cmd->nsid = command.nsid;
            cmd->addr = reinterpret_cast<uintptr_t>(command.descriptors.data());
            cmd->data_len = static_cast<uint32_t>(command.descriptors.size());
            cmd->cdw10 = dw.cdw10;
            cmd->cdw11 = dw.cdw11;
            cmd->cdw12 = dw.cdw12;
            io_uring_sqe_set_data64(sqe, reinterpret_cast<uintptr_t>(&pending));
            const int rc = io_uring_submit(&m_ring);
            if (rc < 1)
                return {-EOPNOTSUPP, 0}; // not submitted: the caller falls back
            ++m_inFlight;
            m_pending.insert(&pending);
        }
        return done.get();
    }

    void reap()
    {
        for (;;) {
            io_uring_cqe* cqe = nullptr;
            const int rc = io_uring_wait_cqe(&m_ring, &cqe);
            if (rc == -EINTR)
                continue;
            if (rc < 0) {
                // The ring is broken: nothing more completes through it. Whether the
                // commands in flight ran is unknown, so they fail with EIO (not a fallback).
                std::lock_guard lock(m_mutex);
                m_ringBroken = true;
                for (Pending* p : m_pending)
                    p->done.set_value({-EIO, 0});
                m_pending.clear();
                m_inFlight = 0;
                m_slots.notify_all();
                return;
            }
            const uint64_t token = io_uring_cqe_get_data64(cqe);
            const int result = cqe->res;
            const uint64_t dw0 = cqe->big_cqe[0];
            io_uring_cqe_seen(&m_ring, cqe);
            if (token == kStopToken)
                return;
            auto* pending = reinterpret_cast<Pending*>(static_cast<uintptr_t>(token));
            {
                std::lock_guard lock(m_mutex);
                --m_inFlight;
                m_pending.erase(pending);
            }
            m_slots.notify_one();
            pending->done.set_value({result, dw0});
        }
    }

    std::unique_ptr<NvmeTransport> m_fallback;
    UringNvmeOptions m_options;
    io_uring m_ring{};
    bool m_ringReady = false;
    bool m_ringBroken = false;
    std::set<Pending*> m_pending;
    std::mutex m_mutex;
    std::condition_variable m_slots;
    unsigned m_inFlight = 0;
    std::map<DevNum, GenericNode> m_nodes;
    std::thread m_reaper;
};

} // namespace

std::unique_ptr<NvmeTransport> makeUringNvmeTransport(std::unique_ptr<NvmeTransport> fallback,
                                                      UringNvmeOptions options)
{
    return std::make_unique<UringNvmeTransport>(std::move(fallback), std::move(options));
}

Status probeUringNvmePassthrough()
{
    io_uring ring{};
    const int rc = io_uring_queue_init(2, &ring, kRingFlags);
    if (rc < 0)
        return std::unexpected(Error::sys(-rc, {}, "this kernel cannot make an io_uring for NVMe passthrough "
                                                   "(128-byte SQEs, 32-byte CQEs; Linux 5.19+)"));
    io_uring_queue_exit(&ring);
    return {};
}

std::optional<std::string> nvmeGenericNodeName(std::string_view blockName)
{
    if (blockName.substr(0, 4) != "nvme")
        return std::nullopt;
    const std::string_view rest = blockName.substr(4);
    const auto n = rest.find('n');
    if (n == std::string_view::npos || !allDigits(rest.substr(0, n)) || !allDigits(rest.substr(n + 1)))
        return std::nullopt;
    return "ng" + std::string(rest);
}

NvmeCopyDwords nvmeCopyDwords(const NvmeCopyCommand& command)
{
    NvmeCopyDwords dw;
    dw.cdw10 = static_cast<uint32_t>(command.sdlba & 0xffffffffu);
    dw.cdw11 = static_cast<uint32_t>(command.sdlba >> 32);
    dw.cdw12 = uint32_t{command.nr} | (uint32_t{command.format & 0xfu} << 8);
    return dw;
}

Status nvmePassthroughStatus(int result, uint64_t dw0, const std::string& device)
{
    if (result == 0)
        return {};
    if (result < 0)
        return std::unexpected(Error::sys(-result, device, "Copy through io_uring passthrough failed"));
    // The status field as the kernel returns it: SC bits 7:0, SCT bits 10:8, CRD 12:11,
    // MORE 13, DNR 14.
    NvmeStatus status;
    status.sc = static_cast<uint8_t>(result & 0xff);
    status.sct = static_cast<uint8_t>((result >> 8) & 0x7);
    status.dnr = (result & 0x4000) != 0;
    status.dw0 = static_cast<uint32_t>(dw0);
    Error e = Error::make(Errc::NvmeStatus, device, "Copy failed");
    e.nvme = status;
    return std::unexpected(std::move(e));
}

} // namespace offload
