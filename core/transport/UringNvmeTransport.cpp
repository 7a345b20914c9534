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
#include <map>
#include <mutex>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <vector>

namespace offload {

namespace {

constexpr uint8_t kCopyOpcode = 0x19;
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

/// A one-entry ring: one caller's command at a time, submitted and waited for with one
/// io_uring_enter, so the completion wakes that caller directly.
struct Ring {
    io_uring ring{};
    bool up = false;
    ~Ring()
    {
        if (up)
            io_uring_queue_exit(&ring);
    }
};

/// nullptr with the negative errno in `rc` when the kernel cannot make such a ring.
std::unique_ptr<Ring> makeRing(int& rc)
{
    auto r = std::make_unique<Ring>();
    rc = io_uring_queue_init(1, &r->ring, kRingFlags);
    if (rc < 0)
        return nullptr;
    r->up = true;
    return r;
}

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
        int rc = 0;
        auto first = makeRing(rc);
        if (!first)
            return; // an older kernel: every command goes through the fallback
        m_free.push_back(std::move(first));
        m_rings = 1;
        m_ringReady = true;
    }

    ~UringNvmeTransport() override
    {
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
        if (ns.readOnly) // as the ioctl transport: the generic node would not see the flag
            return std::unexpected(Error::make(Errc::InvalidArgument, ns.name, "the destination namespace is read-only"));
        const int fd = m_ringReady ? genericNode(ns) : -1;
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

    /// A ring of the pool, made when fewer than `depth` exist, else the next one released.
    std::unique_ptr<Ring> acquire()
    {
        std::unique_lock lock(m_mutex);
        for (;;) {
            if (!m_free.empty()) {
                auto r = std::move(m_free.back());
                m_free.pop_back();
                return r;
            }
            if (m_rings < m_options.depth) {
                ++m_rings;
                lock.unlock();
                int rc = 0;
                auto r = makeRing(rc);
                if (!r) {
                    lock.lock();
                    --m_rings;
                    m_released.notify_one();
                }
                return r;
            }
            m_released.wait(lock);
        }
    }

    void release(std::unique_ptr<Ring> r)
    {
        std::lock_guard lock(m_mutex);
        if (r)
            m_free.push_back(std::move(r));
        else
            --m_rings; // dropped (its state is unknown)
        m_released.notify_one();
    }

    /// (result, DW0). -EOPNOTSUPP: not sent, the caller falls back.
    std::pair<int, uint64_t> submitAndWait(int fd, const NvmeCopyCommand& command)
    {
        std::unique_ptr<Ring> r = acquire();
        if (!r)
            return {-EOPNOTSUPP, 0};
        io_uring_sqe* sqe = io_uring_get_sqe(&r->ring);
        if (!sqe) {
            release(std::move(r));
            return {-EOPNOTSUPP, 0};
        }
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
        // One system call submits the command and sleeps until it completes.
        int rc = io_uring_submit_and_wait(&r->ring, 1);
        if (rc < 1 && io_uring_sq_ready(&r->ring) > 0) {
            // Not submitted: take the SQE back by dropping the ring; the caller falls back.
            release(nullptr);
            return {-EOPNOTSUPP, 0};
        }
        io_uring_cqe* cqe = nullptr;
        do
            rc = io_uring_wait_cqe(&r->ring, &cqe);
        while (rc == -EINTR);
        if (rc < 0) {
            // Submitted but no completion can be read: whether it ran is unknown, so it
            // fails with EIO (not a fallback), and the ring is not used again.
            release(nullptr);
            return {-EIO, 0};
        }
        const std::pair<int, uint64_t> out{cqe->res, cqe->big_cqe[0]};
        io_uring_cqe_seen(&r->ring, cqe);
        release(std::move(r));
        return out;
    }

    std::unique_ptr<NvmeTransport> m_fallback;
    UringNvmeOptions m_options;
    bool m_ringReady = false; ///< set once by the constructor
    std::mutex m_mutex;
    std::condition_variable m_released;
    std::vector<std::unique_ptr<Ring>> m_free; ///< rings not in use
    unsigned m_rings = 0;                      ///< rings in existence (at most depth)
    std::map<DevNum, GenericNode> m_nodes;
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
