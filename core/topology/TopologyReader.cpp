// SPDX-License-Identifier: GPL-2.0-or-later
// readTopology: the block device DAG from a sysfs tree (live /sys or a captured fixture).
#include "topology/MountInfo.h"
#include "topology/Topology.h"
#include "util/FileTree.h"
#include "util/NaturalSort.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <dirent.h>
#include <climits>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <sstream>
#include <limits>
#include <map>
#include <sys/stat.h>
#include <unistd.h>

namespace offload {

namespace fs = std::filesystem;

namespace {

std::string trimmed(std::string text)
{
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.pop_back();
    std::size_t first = 0;
    while (first < text.size() && std::isspace(static_cast<unsigned char>(text[first])))
        ++first;
    return text.substr(first);
}

/// Where a sysfs link points, without symlinks: sysfs links are relative ("../../devices/...")
/// and live in real directories, so one readlink and a lexical normalisation give what
/// fs::canonical gives with a readlink per path component (path lookups are most of a scan's
/// cost, and a QEMU TCG guest pays dearly for each). `link`'s directory must be free of
/// symlinks. A path that is no link is returned as it is; a target that is a link again
/// goes through fs::canonical. In a contained tree (a fixture) every lookup stays in it: a
/// link that leads out fails with EXDEV.
fs::path resolveLink(const FileTree& tree, const fs::path& link, std::error_code& ec)
{
    ec.clear();
    int err = 0;
    const auto target = tree.readLink(link, err);
    if (!target) {
        if (err == EINVAL && tree.exists(link))
            return link;
        ec.assign(err, std::generic_category());
        return {};
    }
    const fs::path to(*target);
    fs::path resolved = (to.is_absolute() ? to : link.parent_path() / to).lexically_normal();
    if (!resolved.empty() && resolved.native().size() > 1 && resolved.native().back() == '/')
        resolved = resolved.parent_path();
    if (tree.readLink(resolved, err) || err != EINVAL) {
        auto canonical = tree.resolve(link, err);
        if (!canonical) {
            ec.assign(err, std::generic_category());
            return {};
        }
        return *canonical;
    }
    return resolved;
}

/// Reads a small sysfs attribute; nullopt with errno in `err` when it cannot be read.
std::optional<std::string> readSmallFile(const FileTree& tree, const fs::path& path, int& err)
{
    const int fd = tree.open(path, O_RDONLY);
    if (fd < 0) {
        err = errno;
        return std::nullopt;
    }
    std::string text;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            err = errno;
            ::close(fd);
            return std::nullopt;
        }
        if (n == 0 || text.size() > (1u << 20))
            break;
        text.append(buf, static_cast<std::size_t>(n));
        // sysfs produces an attribute whole, in one read: a short one is the end, and a
        // read to see end of file would cost a system call per attribute.
        if (static_cast<std::size_t>(n) < sizeof buf)
            break;
    }
    ::close(fd);
    err = 0;
    return trimmed(std::move(text));
}

template <class T> std::optional<T> toNumber(const std::string& text)
{
    T value{};
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || ptr != text.data() + text.size() || text.empty())
        return std::nullopt;
    return value;
}


bool isHctl(const std::string& text)
{
    int parts = 0;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        auto end = text.find(':', pos);
        if (end == std::string::npos)
            end = text.size();
        if (end == pos || !std::all_of(text.begin() + static_cast<std::ptrdiff_t>(pos),
                                       text.begin() + static_cast<std::ptrdiff_t>(end),
                                       [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
            return false;
        ++parts;
        pos = end + 1;
    }
    return parts == 4;
}

std::vector<std::string> words(const std::string& line)
{
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < line.size()) {
        while (pos < line.size() && std::isspace(static_cast<unsigned char>(line[pos])))
            ++pos;
        std::size_t end = pos;
        while (end < line.size() && !std::isspace(static_cast<unsigned char>(line[end])))
            ++end;
        if (end > pos)
            out.push_back(line.substr(pos, end - pos));
        pos = end;
    }
    return out;
}

/// A block device while it is being read: its sysfs directory and the names of its neighbours.
struct Entry {
    BlockDevice dev;
    fs::path dir;                      ///< the resolved /sys/devices/... directory
    std::vector<std::string> slaves;   ///< slaves/ entries (kernel names)
    std::vector<std::string> holders;  ///< holders/ entries
};

class SysfsReader {
public:
    explicit SysfsReader(const TopologyOptions& options) : m_options(options) {}

    Result<Topology> read();

private:
    std::optional<std::string> attr(Entry& entry, const fs::path& relative, bool optional = true);
    std::optional<std::string> attrAt(Entry& entry, const fs::path& path, const std::string& what,
                                      bool optional);
    void collect(const fs::path& link, std::vector<Entry>& out);
    void collectAround(const fs::path& classBlock, const std::vector<DevNum>& seeds, std::vector<Entry>& out);
    void fill(Entry& entry);
    void fillNvme(Entry& entry);
    void fillScsi(Entry& entry, const fs::path& deviceDir);
    void fillDm(Entry& entry);
    void fillLoop(Entry& entry);
    void fillOther(Entry& entry);
    std::vector<std::string> listDir(const fs::path& dir);
    void readMounts(std::vector<Entry>& entries);
    void readSwaps(std::vector<Entry>& entries);
    bool live() const { return m_options.sysfsRoot == fs::path("/sys"); }
    fs::path resolveLink(const fs::path& link, std::error_code& ec) const
    {
        return offload::resolveLink(m_tree, link, ec);
    }
    std::optional<std::string> readSmallFile(const fs::path& path, int& err) const
    {
        return offload::readSmallFile(m_tree, path, err);
    }
    bool exists(const fs::path& path) const { return m_tree.exists(path); }
    /// mountinfo / swaps: within the tree when they lie in it, else within their own folder.
    std::optional<std::string> readListFile(const fs::path& path, int& err) const;

    const TopologyOptions& m_options;
    FileTree m_tree; ///< the whole filesystem for the live /sys; else only below the tree
    std::vector<std::string> m_warnings;
    DmTableSource* m_dm = nullptr;
    std::unique_ptr<DmTableSource> m_ownedDm;
    bool m_dmWarned = false;
};

std::optional<std::string> SysfsReader::attrAt(Entry& entry, const fs::path& path, const std::string& what,
                                               bool optional)
{
    int err = 0;
    auto value = readSmallFile(path, err);
    if (!value && !(optional && err == ENOENT))
        entry.dev.warnings.push_back("cannot read " + what + ": " + m_tree.why(err, path));
    return value;
}

std::optional<std::string> SysfsReader::attr(Entry& entry, const fs::path& relative, bool optional)
{
    return attrAt(entry, entry.dir / relative, relative.string(), optional);
}

std::vector<std::string> SysfsReader::listDir(const fs::path& dir)
{
    // opendir, not fs::directory_iterator: that one adds two fcntl calls per directory, and
    // reading the stacks lists a handful of directories per device.
    std::vector<std::string> names = m_tree.list(dir);
    std::sort(names.begin(), names.end(), naturalLess);
    return names;
}

void SysfsReader::collect(const fs::path& link, std::vector<Entry>& out)
{
    Entry entry;
    entry.dev.name = link.filename().string();
    std::error_code ec;
    entry.dir = resolveLink(link, ec);
    if (ec && ec.value() == EXDEV && m_tree.contained()) {
        m_warnings.push_back(entry.dev.name + ": " + m_tree.why(EXDEV, link) + "; left out");
        return;
    }
    if (ec) {
        m_warnings.push_back(entry.dev.name + " disappeared during the scan (" + ec.message() + ")");
        return;
    }
    int err = 0;
    auto dev = readSmallFile(entry.dir / "dev", err);
    if (!dev) {
        if (err == ENOENT)
            m_warnings.push_back(entry.dev.name + " disappeared during the scan");
        else
            m_warnings.push_back(entry.dev.name + ": cannot read its device number (" +
                                 m_tree.why(err, entry.dir / "dev") + "); left out");
        return;
    }
    auto devnum = DevNum::parse(*dev);
    if (!devnum) {
        m_warnings.push_back(entry.dev.name + ": malformed device number \"" + *dev + "\"; left out");
        return;
    }
    entry.dev.devnum = *devnum;
    // NVMe multipath path devices (nvme0c0n1) are hidden: the head device stands for them.
    if (auto hidden = readSmallFile(entry.dir / "hidden", err); hidden && *hidden == "1")
        return;
    out.push_back(std::move(entry));
}

void SysfsReader::collectAround(const fs::path& classBlock, const std::vector<DevNum>& seeds,
                                std::vector<Entry>& out)
{
    // Kernel names of the seeds: /sys/dev/block/MAJ:MIN links to the device's directory
    // (a captured tree has no dev/: every device's number is read once instead).
    std::vector<std::string> names;
    std::optional<std::map<DevNum, std::string>> byNumber;
    for (DevNum seed : seeds) {
        std::error_code ec;
        const fs::path dir = resolveLink(classBlock.parent_path().parent_path() / "dev/block" / seed.str(), ec);
        if (!ec) {
            names.push_back(dir.filename().string());
            continue;
        }
        if (!byNumber) {
            byNumber.emplace();
            for (const auto& name : listDir(classBlock)) {
                int err = 0;
                if (auto dev = readSmallFile(classBlock / name / "dev", err))
                    if (auto number = DevNum::parse(*dev))
                        byNumber->emplace(*number, name);
            }
        }
        if (auto it = byNumber->find(seed); it != byNumber->end())
            names.push_back(it->second);
    }

    // Breadth first over the names, each device read once. Down: its lowers (slaves, a
    // partition's disk). Up: what is built on it (holders, a disk's partitions), each of
    // which is complete downwards too.
    enum : unsigned { Down = 1, Up = 2 };
    constexpr std::size_t kLeftOut = std::numeric_limits<std::size_t>::max();
    std::map<std::string, std::pair<std::size_t, unsigned>> seen; // name -> (entry, directions done)
    std::deque<std::pair<std::string, unsigned>> queue;
    for (const auto& name : names)
        queue.emplace_back(name, Down | Up);
    while (!queue.empty()) {
        auto [name, directions] = queue.front();
        queue.pop_front();
        auto it = seen.find(name);
        if (it == seen.end()) {
            const std::size_t before = out.size();
            collect(classBlock / name, out); // left out when hidden or gone
            if (out.size() > before)
                fill(out.back());
            it = seen.emplace(name, std::pair{out.size() > before ? before : kLeftOut, 0u}).first;
        }
        auto& [position, done] = it->second;
        const unsigned todo = directions & ~done;
        if (position == kLeftOut || todo == 0)
            continue;
        done |= todo;
        const Entry& entry = out[position];
        if (todo & Down) {
            for (const auto& slave : entry.slaves)
                queue.emplace_back(slave, Down);
            if (entry.dev.partition)
                queue.emplace_back(entry.dir.parent_path().filename().string(), Down);
        }
        if (todo & Up) {
            for (const auto& holder : entry.holders)
                queue.emplace_back(holder, Down | Up);
            if (!entry.dev.partition) {
                for (const auto& sub : listDir(entry.dir))
                    if (sub.starts_with(name) && sub.size() > name.size() && exists(entry.dir / sub / "partition"))
                        queue.emplace_back(sub, Down | Up);
            }
        }
    }
}

void SysfsReader::fill(Entry& entry)
{
    BlockDevice& dev = entry.dev;
    if (auto size = attr(entry, "size", false)) {
        if (auto sectors = toNumber<uint64_t>(*size); sectors && *sectors <= UINT64_MAX / 512)
            dev.sizeBytes = *sectors * 512;
        else
            dev.warnings.push_back("size: not a number of sectors below 2^64 bytes (\"" + *size + "\")");
    }
    if (auto ro = attr(entry, "ro"))
        dev.readOnly = *ro == "1";
    if (auto removable = attr(entry, "removable"))
        dev.removable = *removable == "1";
    // A power of two from 512 bytes, as the kernel reports them; anything else (a captured
    // tree says what it says) keeps 512 with a warning: the planner divides by it.
    for (auto [relative, size] : {std::pair{"queue/logical_block_size", &dev.logicalBlockSize},
                                  std::pair{"queue/physical_block_size", &dev.physicalBlockSize}}) {
        auto text = attr(entry, relative);
        if (!text)
            continue;
        const auto bytes = toNumber<uint32_t>(*text);
        if (bytes && *bytes >= 512 && std::has_single_bit(*bytes))
            *size = *bytes;
        else
            dev.warnings.push_back(std::string(relative) + ": not a block size (\"" + *text + "\"), taking 512");
    }
    if (auto zoned = attr(entry, "queue/zoned"))
        dev.zoned = *zoned;
    entry.slaves = listDir(entry.dir / "slaves");
    entry.holders = listDir(entry.dir / "holders");

    std::error_code ec;
    if (exists(entry.dir / "partition")) {
        dev.kind = DeviceKind::Partition;
        PartitionInfo info;
        if (auto number = attr(entry, "partition", false))
            info.number = toNumber<uint32_t>(*number).value_or(0);
        if (auto start = attr(entry, "start", false))
            info.startSector = toNumber<uint64_t>(*start).value_or(0);
        dev.partition = info;
        return; // block sizes and zoning come from the parent disk once it is known

    }
    if (exists(entry.dir / "dm")) {
        dev.kind = DeviceKind::DeviceMapper;
        fillDm(entry);
        return;
    }
    if (dev.devnum.major == 7 && dev.name.starts_with("loop")) {
        dev.kind = DeviceKind::Loop;
        fillLoop(entry);
        return;
    }
    if (dev.name.starts_with("nvme") && exists(entry.dir / "nsid")) {
        dev.kind = DeviceKind::NvmeNamespace;
        fillNvme(entry);
        return;
    }
    const fs::path deviceDir = resolveLink(entry.dir / "device", ec);
    if (!ec && isHctl(deviceDir.filename().string())) {
        auto type = attrAt(entry, deviceDir / "type", "device/type", true);
        const int scsiType = type ? toNumber<int>(*type).value_or(-1) : -1;
        if (scsiType == 0 || scsiType == 14) {
            dev.kind = DeviceKind::ScsiDisk;
            fillScsi(entry, deviceDir);
            return;
        }
    }
    fillOther(entry);
}

void SysfsReader::fillNvme(Entry& entry)
{
    NvmeNamespaceInfo info;
    if (auto nsid = attr(entry, "nsid", false))
        info.nsid = toNumber<uint32_t>(*nsid).value_or(0);
    info.eui64 = attr(entry, "eui").value_or("");
    info.nguid = attr(entry, "nguid").value_or("");
    info.uuid = attr(entry, "uuid").value_or("");
    info.wwid = attr(entry, "wwid").value_or("");

    // Without native multipath `device` is the controller; with it, the subsystem, whose
    // controllers are the nvmeN links inside it. Both carry serial/model/subsysnqn.
    std::error_code ec;
    const fs::path parent = resolveLink(entry.dir / "device", ec);
    if (ec) {
        entry.dev.warnings.push_back("no controller or subsystem link (device/): "
                                     + m_tree.why(ec.value(), entry.dir / "device"));
    } else {
        fs::path controller;
        if (exists(parent / "transport")) {
            controller = parent;
        } else {
            for (const auto& name : listDir(parent)) {
                if (!name.starts_with("nvme") || name.find_first_not_of("0123456789", 4) != std::string::npos ||
                    name.size() == 4)
                    continue;
                const fs::path candidate = resolveLink(parent / name, ec);
                if (!ec && exists(candidate / "transport")) {
                    controller = candidate;
                    break;
                }
            }
        }
        const fs::path identity = controller.empty() ? parent : controller;
        auto read = [&](const char* name) {
            return attrAt(entry, identity / name, std::string("controller ") + name, true).value_or("");
        };
        info.serial = read("serial");
        info.model = read("model");
        info.firmware = read("firmware_rev");
        info.subsysnqn = read("subsysnqn");
        if (info.subsysnqn.empty())
            info.subsysnqn = attrAt(entry, parent / "subsysnqn", "subsystem subsysnqn", true).value_or("");
        if (!controller.empty()) {
            info.controller = controller.filename().string();
            info.transport = read("transport");
        } else {
            entry.dev.warnings.push_back("no NVMe controller found for this namespace");
        }
    }
    // The generic char device ngXnY shares the block device's instance numbers and parent.
    const std::string generic = "ng" + entry.dev.name.substr(4);
    for (const fs::path& candidate : {entry.dir.parent_path() / generic,
                                      m_options.sysfsRoot / "class/nvme-generic" / generic}) {
        int err = 0;
        if (auto dev = readSmallFile(candidate / "dev", err)) {
            if (auto devnum = DevNum::parse(*dev)) {
                info.genericNode = generic;
                info.genericDevNum = *devnum;
                break;
            }
        }
    }
    entry.dev.nvme = std::move(info);
}

void SysfsReader::fillScsi(Entry& entry, const fs::path& deviceDir)
{
    ScsiDiskInfo info;
    info.hctl = deviceDir.filename().string();
    info.targetId = info.hctl.substr(0, info.hctl.rfind(':'));
    auto read = [&](const char* name, bool optional) {
        return attrAt(entry, deviceDir / name, std::string("device/") + name, optional).value_or("");
    };
    info.vendor = read("vendor", false);
    info.model = read("model", false);
    info.revision = read("rev", true);
    info.wwid = read("wwid", true);
    for (const auto& sg : listDir(deviceDir / "scsi_generic")) {
        int err = 0;
        if (auto dev = readSmallFile(deviceDir / "scsi_generic" / sg / "dev", err)) {
            if (auto devnum = DevNum::parse(*dev)) {
                info.sgNode = sg;
                info.sgDevNum = *devnum;
                break;
            }
        }
    }
    entry.dev.scsi = std::move(info);
}

void SysfsReader::fillDm(Entry& entry)
{
    DmInfo info;
    info.name = attr(entry, "dm/name", false).value_or("");
    info.uuid = attr(entry, "dm/uuid").value_or("");
    info.suspended = attr(entry, "dm/suspended").value_or("0") == "1";
    if (!m_dm) {
        if (m_options.dm) {
            m_dm = m_options.dm;
        } else if (live()) {
            m_ownedDm = makeLibDmTableSource();
            m_dm = m_ownedDm.get();
        }
    }
    if (!m_dm) {
        info.tableError = "no device-mapper table source for this sysfs tree";
    } else if (auto reason = m_dm->unavailableReason(); !reason.empty()) {
        info.tableError = reason;
        if (!m_dmWarned) {
            m_warnings.push_back(reason + ": device-mapper tables unknown");
            m_dmWarned = true;
        }
    } else if (auto table = m_dm->table(entry.dev.devnum, info.name)) {
        info.table = std::move(*table);
        info.tableKnown = true;
    } else {
        info.tableError = table.error().message();
        entry.dev.warnings.push_back("device-mapper table: " + info.tableError);
    }
    entry.dev.dm = std::move(info);
}

void SysfsReader::fillLoop(Entry& entry)
{
    if (!exists(entry.dir / "loop"))
        return; // not attached to a file
    LoopInfo info;
    info.backingFile = attr(entry, "loop/backing_file", false).value_or("");
    constexpr std::string_view kDeleted = " (deleted)";
    if (info.backingFile.ends_with(kDeleted)) {
        info.backingFile.resize(info.backingFile.size() - kDeleted.size());
        info.backingDeleted = true;
        entry.dev.warnings.push_back("backing file " + info.backingFile + " was deleted");
    }
    info.offset = toNumber<uint64_t>(attr(entry, "loop/offset").value_or("0")).value_or(0);
    info.sizeLimit = toNumber<uint64_t>(attr(entry, "loop/sizelimit").value_or("0")).value_or(0);
    info.directIo = attr(entry, "loop/dio").value_or("0") == "1";
    info.autoclear = attr(entry, "loop/autoclear").value_or("0") == "1";
    entry.dev.loop = std::move(info);
}

void SysfsReader::fillOther(Entry& entry)
{
    BlockDevice& dev = entry.dev;
    dev.kind = DeviceKind::Other;
    std::error_code ec;
    // Only the link's last component matters; its target need not exist in a captured tree.
    int linkErr = 0;
    const fs::path driver = m_tree.readLink(entry.dir / "device/driver", linkErr).value_or("");
    if (linkErr)
        ec.assign(linkErr, std::generic_category());
    // virtio-blk (and a few others) expose the serial the hypervisor gave the disk.
    dev.serial = attr(entry, "serial").value_or("");
    dev.serial.erase(std::remove_if(dev.serial.begin(), dev.serial.end(),
                                    [](unsigned char c) { return std::isspace(c) || !std::isprint(c); }),
                     dev.serial.end());
    if (!ec && !driver.filename().empty()) {
        dev.driverHint = driver.filename().string();
        std::replace(dev.driverHint.begin(), dev.driverHint.end(), '_', '-');
    }
    if (!dev.driverHint.empty())
        return;
    static const std::pair<const char*, const char*> byPrefix[] = {
        {"md", "md"},       {"zram", "zram"},   {"sr", "sr"},       {"mmcblk", "mmc"},
        {"nbd", "nbd"},     {"rbd", "rbd"},     {"ram", "brd"},     {"vd", "virtio-blk"},
        {"xvd", "xen-blkfront"}, {"bcache", "bcache"}, {"pmem", "pmem"}, {"ublkb", "ublk"},
        {"drbd", "drbd"},   {"zd", "zfs"},
    };
    for (const auto& [prefix, hint] : byPrefix) {
        if (dev.name.starts_with(prefix)) {
            dev.driverHint = hint;
            return;
        }
    }
}

void SysfsReader::readMounts(std::vector<Entry>& entries)
{
    if (m_options.mountinfo.empty())
        return;
    int err = 0;
    const auto text = readListFile(m_options.mountinfo, err);
    if (!text) {
        if (live())
            m_warnings.push_back("cannot read " + m_options.mountinfo.string() + ": mountpoints unknown");
        else if (err == EXDEV)
            m_warnings.push_back("cannot read " + m_options.mountinfo.string() + ": "
                                 + m_tree.why(err, m_options.mountinfo) + "; mountpoints unknown");
        return;
    }
    std::istringstream in(*text);
    std::map<DevNum, Entry*> byDevNum;
    for (auto& entry : entries)
        byDevNum[entry.dev.devnum] = &entry;
    std::string line;
    while (std::getline(in, line)) {
        const auto mount = parseMountInfoLine(line);
        if (!mount)
            continue;
        auto it = byDevNum.find(mount->dev);
        if (it == byDevNum.end())
            continue;
        auto& mounts = it->second->dev.mountpoints;
        if (std::find(mounts.begin(), mounts.end(), mount->mountPoint) == mounts.end())
            mounts.push_back(mount->mountPoint);
    }
}

void SysfsReader::readSwaps(std::vector<Entry>& entries)
{
    if (m_options.swaps.empty())
        return;
    int err = 0;
    const auto text = readListFile(m_options.swaps, err);
    if (!text && err == EXDEV)
        m_warnings.push_back("cannot read " + m_options.swaps.string() + ": " + m_tree.why(err, m_options.swaps)
                             + "; swap devices unknown");
    std::istringstream in(text.value_or(""));
    std::string line;
    bool header = true;
    while (std::getline(in, line)) {
        if (header) {
            header = false;
            continue;
        }
        const auto fields = words(line);
        if (fields.size() < 2 || fields[1] != "partition")
            continue; // swap files live on a filesystem, which mountinfo already shows
        const auto file = unescapeOctal(fields[0]);
        Entry* match = nullptr;
        struct stat st {};
        if (live() && ::stat(file.c_str(), &st) == 0 && S_ISBLK(st.st_mode)) {
            const auto devnum = DevNum::fromDevT(st.st_rdev);
            for (auto& entry : entries) {
                if (entry.dev.devnum == devnum)
                    match = &entry;
            }
        } else {
            for (auto& entry : entries) {
                if (file == "/dev/" + entry.dev.name ||
                    (entry.dev.dm && file == "/dev/mapper/" + entry.dev.dm->name))
                    match = &entry;
            }
        }
        if (match)
            match->dev.mountpoints.push_back("[SWAP]");
    }
}

std::optional<std::string> SysfsReader::readListFile(const fs::path& path, int& err) const
{
    // No size limit worth the name: a host with thousands of mounts must not lose one.
    constexpr std::size_t kWhole = std::size_t{1} << 30;
    if (live() || m_tree.holds(path))
        return m_tree.readAll(path, err, kWhole);
    auto own = FileTree::below(path.has_parent_path() ? path.parent_path() : ".");
    if (!own) {
        err = own.error().sysErrno ? own.error().sysErrno : ENOENT;
        return std::nullopt;
    }
    return own->readAll(path, err, kWhole);
}

Result<Topology> SysfsReader::read()
{
    // Outside the live /sys, nothing is read from outside the tree (a fixture's links that
    // lead out are refused with a warning naming them).
    if (!live()) {
        const fs::path treeRoot = m_options.treeRoot.empty() ? m_options.sysfsRoot : m_options.treeRoot;
        auto tree = FileTree::below(treeRoot);
        if (!tree)
            return std::unexpected(Error::make(Errc::NotFound, m_options.sysfsRoot.string(),
                                               "no class/block or block directory: not a sysfs tree",
                                               "point the sysfs root at /sys or a captured fixture's sys/"));
        m_tree = std::move(*tree);
    }
    // A root without symlinks: resolveLink works from the directories below it.
    int rootErr = 0;
    auto resolvedRoot = m_tree.resolve(m_options.sysfsRoot, rootErr);
    if (!resolvedRoot && rootErr == EXDEV)
        return std::unexpected(Error::make(Errc::NotFound, m_options.sysfsRoot.string(),
                                           "not a sysfs tree: " + m_tree.why(rootErr, m_options.sysfsRoot),
                                           "capture the fixture again (tests/tools/capture-fixture.sh)"));
    fs::path root = resolvedRoot.value_or(m_options.sysfsRoot);
    std::vector<Entry> entries;
    const fs::path classBlock = root / "class/block";
    const bool around = m_options.around && m_tree.isDirectory(classBlock);
    if (around) {
        collectAround(classBlock, *m_options.around, entries); // read as they are found
    } else if (m_tree.isDirectory(classBlock)) {
        for (const auto& name : listDir(classBlock))
            collect(classBlock / name, entries);
    } else if (m_tree.isDirectory(root / "block")) {
        // Old layout: /sys/block/<disk> with partitions as subdirectories.
        for (const auto& disk : listDir(root / "block")) {
            collect(root / "block" / disk, entries);
            for (const auto& sub : listDir(root / "block" / disk)) {
                if (exists(root / "block" / disk / sub / "partition"))
                    collect(root / "block" / disk / sub, entries);
            }
        }
    } else {
        return std::unexpected(Error::make(Errc::NotFound, root.string(),
                                           "no class/block or block directory: not a sysfs tree",
                                           "point the sysfs root at /sys or a captured fixture's sys/"));
    }
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return naturalLess(a.dev.name, b.dev.name); });

    if (!around)
        for (auto& entry : entries)
            fill(entry);

    std::map<std::string, std::size_t> byName;
    std::map<fs::path, std::size_t> byDir;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        byName[entries[i].dev.name] = i;
        byDir[entries[i].dir] = i;
    }
    auto addLower = [&](std::size_t upper, std::size_t lower) {
        auto& lowers = entries[upper].dev.lowers;
        if (upper != lower && std::find(lowers.begin(), lowers.end(), lower) == lowers.end())
            lowers.push_back(lower);
    };
    for (std::size_t i = 0; i < entries.size(); ++i) {
        auto& entry = entries[i];
        if (entry.dev.partition) {
            auto parent = byDir.find(entry.dir.parent_path());
            if (parent != byDir.end()) {
                addLower(i, parent->second);
                const BlockDevice& disk = entries[parent->second].dev;
                entry.dev.logicalBlockSize = disk.logicalBlockSize;
                entry.dev.physicalBlockSize = disk.physicalBlockSize;
                entry.dev.zoned = disk.zoned;
            }
            else
                entry.dev.warnings.push_back("parent disk of this partition not found");
        }
        for (const auto& slave : entry.slaves) {
            if (auto it = byName.find(slave); it != byName.end())
                addLower(i, it->second);
            else
                entry.dev.warnings.push_back("lower device " + slave + " disappeared during the scan");
        }
        for (const auto& holder : entry.holders) {
            if (auto it = byName.find(holder); it != byName.end())
                addLower(it->second, i);
        }
    }

    readMounts(entries);
    readSwaps(entries);

    // Two devices with one identity (two loop devices on one file, two virtio disks with the
    // same serial) must never be confused: both fall back to their dev_t.
    std::map<std::string, std::vector<std::size_t>> byStableId;
    for (std::size_t i = 0; i < entries.size(); ++i)
        if (!entries[i].dev.partition) // a partition's id derives from its (now unique) disk
            byStableId[entries[i].dev.stableId()].push_back(i);
    for (const auto& [id, users] : byStableId) {
        if (users.size() < 2)
            continue;
        for (std::size_t i : users) {
            entries[i].dev.stableIdAmbiguous = true;
            entries[i].dev.warnings.push_back("identity " + id + " is shared with another device: identified by dev_t");
        }
    }

    std::vector<BlockDevice> devices;
    devices.reserve(entries.size());
    for (auto& entry : entries)
        devices.push_back(std::move(entry.dev));
    return Topology(std::move(devices), std::move(m_warnings));
}

} // namespace

Result<Topology> readTopology(const TopologyOptions& options)
{
    SysfsReader reader(options);
    return reader.read();
}

Result<Topology> readFixtureTopology(const fs::path& dir, const std::optional<std::vector<DevNum>>& around)
{
    std::error_code ec;
    if (!fs::is_directory(dir / "sys", ec))
        return std::unexpected(Error::make(Errc::NotFound, dir.string(), "not a fixture: no sys/ directory"));
    auto dm = makeDmsetupTextSource(dir / "dmsetup-table.txt");
    TopologyOptions options;
    options.sysfsRoot = dir / "sys";
    options.treeRoot = dir;
    options.mountinfo = fs::exists(dir / "mountinfo", ec) ? dir / "mountinfo" : fs::path();
    options.swaps = fs::exists(dir / "swaps", ec) ? dir / "swaps" : fs::path();
    options.dm = dm.get();
    options.around = around;
    return readTopology(options);
}

} // namespace offload
