// SPDX-License-Identifier: GPL-2.0-or-later
// CopyJob against files standing in for volumes and scripted offload steps: fallback on
// decline (with reason, data right), partial completion, real errors, cancel, progress,
// cache hooks in the right order, and the passthrough guard.
#include "copy/CopyJob.h"
#include "copy/ProgressRelay.h"
#include "copy/Verify.h"
#include "FakeTransports.h"

#include <QtTest>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <fcntl.h>
#include <functional>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <unistd.h>

using namespace offload;

namespace {

constexpr uint64_t kMiB = 1ull << 20;

BlockDevice makeDevice(std::string name, DeviceKind kind, uint64_t size, std::vector<std::size_t> lowers = {})
{
    BlockDevice dev;
    dev.name = std::move(name);
    dev.kind = kind;
    dev.sizeBytes = size;
    dev.logicalBlockSize = 512;
    dev.lowers = std::move(lowers);
    return dev;
}

/// Two temporary files standing in for a source and a destination volume.
struct Volumes {
    QTemporaryDir dir;
    std::string src;
    std::string dst;
    std::vector<unsigned char> data;
    uint64_t size = 0;

    explicit Volumes(uint64_t bytes)
        : size(bytes)
    {
        src = dir.filePath("src.img").toStdString();
        dst = dir.filePath("dst.img").toStdString();
        data.resize(bytes);
        std::mt19937_64 rng(42);
        for (auto& b : data)
            b = static_cast<unsigned char>(rng());
        writeFile(src, data);
        writeFile(dst, std::vector<unsigned char>(bytes, 0xEE));
    }
    static void writeFile(const std::string& path, const std::vector<unsigned char>& bytes)
    {
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        QVERIFY(fd >= 0);
        QCOMPARE(::pwrite(fd, bytes.data(), bytes.size(), 0), ssize_t(bytes.size()));
        ::close(fd);
    }
    std::vector<unsigned char> readDst() const
    {
        std::vector<unsigned char> out(size);
        int fd = ::open(dst.c_str(), O_RDONLY);
        if (::pread(fd, out.data(), out.size(), 0) != ssize_t(out.size()))
            out.clear();
        ::close(fd);
        return out;
    }
    /// Copies bytes between the files the way a device would (for the fake step runner).
    void deviceCopy(uint64_t srcOff, uint64_t dstOff, uint64_t len) const
    {
        std::vector<unsigned char> buf(len);
        int s = ::open(src.c_str(), O_RDONLY);
        int d = ::open(dst.c_str(), O_WRONLY);
        if (::pread(s, buf.data(), len, off_t(srcOff)) == ssize_t(len))
            (void)::pwrite(d, buf.data(), len, off_t(dstOff));
        ::close(s);
        ::close(d);
    }
    EndpointOpener opener() const
    {
        return [this](const CopyEndpoint&, EndpointAccess role, bool direct, bool) -> Result<UniqueFd> {
            int flags = (role == EndpointAccess::Destination ? O_WRONLY : O_RDONLY) | (direct ? O_DIRECT : 0);
            const std::string& path = role == EndpointAccess::Source ? src : dst;
            int fd = ::open(path.c_str(), flags);
            if (fd < 0 && direct)
                fd = ::open(path.c_str(), flags & ~O_DIRECT);
            if (fd < 0)
                return std::unexpected(Error::sys(errno, path, "open"));
            return UniqueFd(fd);
        };
    }
};

/// Topology: two NVMe namespaces (0, 1) and a partition (2) on namespace 0.
std::shared_ptr<const Topology> twoNamespaces(uint64_t size)
{
    std::vector<BlockDevice> devices;
    devices.push_back(makeDevice("nvme0n1", DeviceKind::NvmeNamespace, size * 4));
    devices.push_back(makeDevice("nvme0n2", DeviceKind::NvmeNamespace, size * 4));
    BlockDevice part = makeDevice("nvme0n1p1", DeviceKind::Partition, size, {0});
    PartitionInfo info;
    info.number = 1;
    info.startSector = 2048;
    part.partition = info;
    devices.push_back(part);
    return std::make_shared<Topology>(std::move(devices));
}

CopyPlan basePlan(uint64_t size)
{
    CopyPlan plan;
    plan.source.device = 0;
    plan.source.sizeBytes = size * 4;
    plan.source.label = "nvme0n1";
    plan.destination.device = 1;
    plan.destination.sizeBytes = size * 4;
    plan.destination.label = "nvme0n2";
    plan.length = size;
    return plan;
}

/// A plan for [0, size): the first half by NVMe Copy in `steps` commands of
/// `rangesPerStep` ranges, the second half by read/write.
CopyPlan mixedPlan(uint64_t size, std::size_t steps, std::size_t rangesPerStep)
{
    CopyPlan plan = basePlan(size);
    const uint64_t half = size / 2;
    plan.extents.push_back({0, 0, half, CopyMethod::NvmeCopy, "same namespace", 0, 1, 0, 0});
    plan.extents.push_back({half, half, size - half, CopyMethod::ReadWrite, "test: host", {}, {}, 0, 0});
    const uint64_t rangeBytes = half / (steps * rangesPerStep);
    uint64_t off = 0;
    for (std::size_t s = 0; s < steps; ++s) {
        NvmeCopyStep step;
        step.ns = 1;
        step.srcNs = 0;
        step.sdlba = off / 512;
        step.lbaBytes = 512;
        for (std::size_t r = 0; r < rangesPerStep; ++r) {
            step.ranges.push_back({off / 512, uint32_t(rangeBytes / 512), 0, off, off});
            off += rangeBytes;
        }
        plan.nvmeSteps.push_back(step);
    }
    return plan;
}

CopyOptions testOptions(const Volumes& v)
{
    CopyOptions o;
    o.openEndpoint = v.opener();
    o.flushSourceStack = [](const Topology&, std::size_t) { return std::vector<std::string>{}; };
    o.dropDestinationCache = [](const Topology&, std::size_t) { return std::vector<std::string>{}; };
    o.ioBytes = 256 * 1024;
    o.ioDepth = 4;
    return o;
}

/// A scripted device: copies what it claims to copy.
StepOutcome copyRanges(const Volumes& v, const NvmeCopyStep& step, std::size_t count)
{
    for (std::size_t i = 0; i < count && i < step.ranges.size(); ++i)
        v.deviceCopy(step.ranges[i].volumeSrcOffset, step.ranges[i].volumeDstOffset,
                     uint64_t(step.ranges[i].blocks) * step.lbaBytes);
    StepOutcome out;
    out.unitsDone = count;
    return out;
}

/// A step runner for `v` that takes 40 ms per command and records the most commands it
/// saw at once (the job's offload threads call it concurrently).
struct InFlightMeter {
    std::atomic<unsigned> now{0};
    std::atomic<unsigned> most{0};
    std::atomic<unsigned> commands{0};

    std::function<StepOutcome(const NvmeCopyStep&)> runner(const Volumes& v)
    {
        return [this, &v](const NvmeCopyStep& step) {
            const unsigned current = ++now;
            unsigned seen = most.load();
            while (current > seen && !most.compare_exchange_weak(seen, current)) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(40));
            ++commands;
            --now;
            StepOutcome out = copyRanges(v, step, step.ranges.size());
            out.kind = StepOutcome::Kind::Done;
            return out;
        };
    }
};

/// Namespaces 1 and 2 (dev_t 259:1, 259:2) of one NVMe controller with Copy: `ocfs` copy
/// formats, `mssrl` blocks per range, MCL 65536, 8 ranges; `subsysnqn` may be empty.
std::pair<std::shared_ptr<Topology>, CapabilitySet> twoNamespaceController(uint64_t size, uint16_t ocfs,
                                                                           uint32_t mssrl,
                                                                           const std::string& subsysnqn)
{
    std::vector<BlockDevice> devices;
    for (uint32_t nsid : {1u, 2u}) {
        BlockDevice dev = makeDevice("nvme0n" + std::to_string(nsid), DeviceKind::NvmeNamespace, size * 4);
        dev.devnum = DevNum{259, nsid};
        NvmeNamespaceInfo info;
        info.nsid = nsid;
        info.serial = "S1";
        info.controller = "nvme0";
        info.subsysnqn = subsysnqn;
        dev.nvme = info;
        devices.push_back(dev);
    }
    CapabilitySet caps;
    for (std::size_t i = 0; i < 2; ++i) {
        DeviceCapability c;
        c.device = i;
        c.mechanism = CopyMechanism::NvmeCopy;
        c.status = ProbeStatus::Ok;
        NvmeCopyCaps n;
        n.copy = true;
        n.ocfs = ocfs;
        n.mssrl = mssrl;
        n.mcl = 65536;
        n.msrc = 7;
        n.lbaBytes = 512;
        n.subsysnqn = subsysnqn;
        c.nvme = n;
        caps.devices.push_back(c);
    }
    return {std::make_shared<Topology>(std::move(devices)), std::move(caps)};
}

} // namespace

class TestCopyJob : public QObject {
    Q_OBJECT
private slots:
    void hostCopyIsExactAndProgressMonotonic();
    void declinedStepFallsBackForTheRest();
    void failedStepIsReportedNotHidden();
    void requireOffloadTurnsDeclineIntoError();
    void cancelStopsAndSaysHowFar();
    void cacheHooksWrapOffload();
    void passthroughToPartitionIsRefused();
    void unsafePlanIsRefusedBeforeWriting();
    void readOnlyFlagSetAfterTheScanIsRefused();
    void verifyFindsFirstDifferingLba();
    void withoutOffloadClearsSteps();
    void realBackendPartialCompletionFallsBackFromDw0();
    void crossNamespaceRefusedByTheKernelFallsBack();
    void offloadDepthBoundsCommandsInFlight();
    void offloadProgressFollowsCommandsWithoutPolling();
    void defaultDepthFollowsCommandSize();
    void offloadOnlyPlanRunsCommandsOnTheWorker();
    void relayShowsSnapshotsAndNeverGoesBack();
    void progressMovesOnWhileACommandIsSlow();
};

void TestCopyJob::hostCopyIsExactAndProgressMonotonic()
{
    const uint64_t size = 8 * kMiB;
    Volumes v(size);
    CopyPlan plan = basePlan(size);
    plan.extents.push_back({0, 0, size, CopyMethod::ReadWrite, "test", {}, {}, 0, 0});
    CopyOptions options = testOptions(v);
    options.progressInterval = std::chrono::milliseconds(0);
    options.verify = true;

    std::mutex m;
    std::vector<CopyProgress> seen;
    int doneCalls = 0;
    CopyEvents events;
    events.progress = [&](const CopyProgress& p) {
        std::lock_guard lock(m);
        seen.push_back(p);
    };
    events.done = [&](const CopyResult&) { ++doneCalls; };
    auto job = CopyJob::start(twoNamespaces(size), {}, plan, options, events);
    const CopyResult& r = job->wait();
    QVERIFY2(r.ok(), r.ok() ? "" : r.status.error().message().c_str());
    QCOMPARE(doneCalls, 1);
    QCOMPARE(r.doneBytes, size);
    QCOMPARE(r.hostBytes, size);
    QCOMPARE(r.offloadedBytes, uint64_t(0));
    QCOMPARE(r.extents.size(), std::size_t(1));
    QCOMPARE(r.extents[0].actual, CopyMethod::ReadWrite);
    QVERIFY(r.extents[0].completed);
    QVERIFY(r.verify && r.verify->match);
    QVERIFY(r.copySeconds > 0 && r.copySeconds <= r.wallSeconds);
    QVERIFY(v.readDst() == v.data);
    QVERIFY(seen.size() >= 3);
    for (std::size_t i = 1; i < seen.size(); ++i)
        QVERIFY(seen[i].doneBytes >= seen[i - 1].doneBytes);
    QCOMPARE(seen.back().doneBytes, size);
    QCOMPARE(seen.back().extentsDone, std::size_t(1));
    QCOMPARE(job->progress().fraction(), 1.0);
}

void TestCopyJob::declinedStepFallsBackForTheRest()
{
    const uint64_t size = 8 * kMiB;
    Volumes v(size);
    CopyPlan plan = mixedPlan(size, 2, 4); // 2 commands x 4 ranges of 512 KiB
    CopyOptions options = testOptions(v);
    options.runNvmeStep = [&](const NvmeCopyStep& step) {
        if (step.sdlba == 0)
            return copyRanges(v, step, step.ranges.size()); // first command: done
        StepOutcome out = copyRanges(v, step, 1);          // second: DW0 = 1
        out.kind = StepOutcome::Kind::Declined;
        out.reason = "Command Size Limit Exceeded (SCT 1h SC 83h)";
        Error e = Error::make(Errc::NvmeStatus, "nvme0n2", "copy declined");
        e.nvme = NvmeStatus{1, 0x83, true, 1};
        out.error = e;
        return out;
    };
    std::vector<CopyFallback> events;
    CopyEvents ev;
    ev.fallback = [&](const CopyFallback& f) { events.push_back(f); };
    auto job = CopyJob::start(twoNamespaces(size), {}, plan, options, ev);
    const CopyResult& r = job->wait();
    QVERIFY2(r.ok(), r.ok() ? "" : r.status.error().message().c_str());
    QVERIFY(v.readDst() == v.data);

    const uint64_t range = 512 * 1024;
    QCOMPARE(r.bytesByMethod[methodIndex(CopyMethod::NvmeCopy)], 5 * range);
    QCOMPARE(r.offloadedBytes, 5 * range);
    QCOMPARE(r.hostBytes, size - 5 * range);
    QCOMPARE(r.fallbacks.size(), std::size_t(1)); // ranges 1..3 of the second command, merged
    QCOMPARE(events.size(), std::size_t(1));
    const CopyFallback& f = r.fallbacks[0];
    QCOMPARE(f.srcOffset, 5 * range);
    QCOMPARE(f.length, 3 * range);
    QCOMPARE(f.planned, CopyMethod::NvmeCopy);
    QVERIFY(f.reason.find("Command Size Limit Exceeded") != std::string::npos);
    QVERIFY(f.deviceAnswer && f.deviceAnswer->nvme && f.deviceAnswer->nvme->dw0 == 1);
    QVERIFY(r.extents[0].fellBack);
    QCOMPARE(r.extents[0].actual, CopyMethod::NvmeCopy); // 5 of 8 ranges by the device
    QCOMPARE(r.extents[0].offloadedBytes, 5 * range);
    QCOMPARE(r.extents[0].hostBytes, 3 * range);
    QVERIFY(r.extents[0].completed);
    QVERIFY(!r.extents[1].fellBack);
}

void TestCopyJob::failedStepIsReportedNotHidden()
{
    const uint64_t size = 4 * kMiB;
    Volumes v(size);
    CopyPlan plan = mixedPlan(size, 1, 2);
    CopyOptions options = testOptions(v);
    options.runNvmeStep = [&](const NvmeCopyStep& step) {
        StepOutcome out = copyRanges(v, step, 0);
        out.kind = StepOutcome::Kind::Failed;
        Error e = Error::make(Errc::NvmeStatus, "nvme0n1", "Copy failed");
        e.nvme = NvmeStatus{2, 0x81, true, 0};
        e.lba = 1234;
        out.error = e;
        out.reason = "Unrecovered Read Error";
        return out;
    };
    auto job = CopyJob::start(twoNamespaces(size), {}, plan, options, {});
    const CopyResult& r = job->wait();
    QVERIFY(!r.ok());
    QCOMPARE(r.status.error().code, Errc::NvmeStatus);
    QCOMPARE(r.status.error().device, std::string("nvme0n1"));
    QCOMPARE(r.status.error().lba, std::optional<uint64_t>(1234));
    QVERIFY(r.fallbacks.empty()); // an I/O error never turns into a silent fallback
    QCOMPARE(r.offloadedBytes, uint64_t(0));
}

void TestCopyJob::requireOffloadTurnsDeclineIntoError()
{
    const uint64_t size = 4 * kMiB;
    Volumes v(size);
    CopyPlan plan = mixedPlan(size, 1, 2);
    CopyOptions options = testOptions(v);
    options.requireOffload = true;
    options.runNvmeStep = [&](const NvmeCopyStep&) {
        StepOutcome out;
        out.kind = StepOutcome::Kind::Declined;
        out.reason = "Invalid Command Opcode (SCT 0h SC 1h)";
        return out;
    };
    auto job = CopyJob::start(twoNamespaces(size), {}, plan, options, {});
    const CopyResult& r = job->wait();
    QVERIFY(!r.ok());
    QCOMPARE(r.status.error().code, Errc::Unsupported);
    QVERIFY(r.status.error().what.find("Invalid Command Opcode") != std::string::npos);
    QVERIFY(r.fallbacks.empty());
}

void TestCopyJob::cancelStopsAndSaysHowFar()
{
    const uint64_t size = 16 * kMiB;
    Volumes v(size);
    CopyPlan plan = basePlan(size);
    plan.extents.push_back({0, 0, size, CopyMethod::ReadWrite, "test", {}, {}, 0, 0});
    CopyOptions options = testOptions(v);
    options.ioBytes = 64 * 1024;
    options.ioDepth = 1;
    options.progressInterval = std::chrono::milliseconds(0);
    std::shared_ptr<CopyJob> job;
    std::mutex m;
    std::stop_source stop;
    CopyEvents ev;
    ev.progress = [&](const CopyProgress& p) {
        std::lock_guard lock(m);
        if (p.doneBytes >= 1 * kMiB)
            stop.request_stop();
    };
    {
        std::lock_guard lock(m);
        job = CopyJob::start(twoNamespaces(size), {}, plan, options, ev);
        stop = job->stopSource();
    }
    const CopyResult& r = job->wait();
    QVERIFY(r.cancelled());
    QVERIFY(r.doneBytes >= 1 * kMiB);
    QVERIFY(r.doneBytes < size);
    QVERIFY(r.status.error().what.find("cancelled after " + std::to_string(r.doneBytes)) != std::string::npos);
    QVERIFY(!r.extents[0].completed);
    QVERIFY(job->finished());
}

void TestCopyJob::cacheHooksWrapOffload()
{
    const uint64_t size = 4 * kMiB;
    Volumes v(size);
    CopyPlan plan = mixedPlan(size, 2, 1);
    CopyOptions options = testOptions(v);
    std::mutex m;
    std::vector<std::string> order;
    auto log = [&](std::string what) {
        std::lock_guard lock(m);
        order.push_back(std::move(what));
    };
    options.flushSourceStack = [&](const Topology&, std::size_t dev) {
        log("flush " + std::to_string(dev));
        return std::vector<std::string>{};
    };
    options.dropDestinationCache = [&](const Topology&, std::size_t dev) {
        log("drop " + std::to_string(dev));
        return std::vector<std::string>{"drop warning"};
    };
    options.beforeCopy = [&] { log("before"); };
    options.runNvmeStep = [&](const NvmeCopyStep& step) {
        log("step");
        return copyRanges(v, step, step.ranges.size());
    };
    auto job = CopyJob::start(twoNamespaces(size), {}, plan, options, {});
    const CopyResult& r = job->wait();
    QVERIFY(r.ok());
    QVERIFY(v.readDst() == v.data);
    const std::vector<std::string> expected{"flush 0", "flush 1", "before", "step", "step", "drop 1"};
    QCOMPARE(order, expected);
    QVERIFY(std::find(r.warnings.begin(), r.warnings.end(), "drop warning") != r.warnings.end());

    // A plan without offload steps touches no cache.
    order.clear();
    auto job2 = CopyJob::start(twoNamespaces(size), {}, withoutOffload(plan, "--no-offload"), options, {});
    QVERIFY(job2->wait().ok());
    QCOMPARE(order, std::vector<std::string>{"before"});

    // Both ends on one device (a copy within a namespace): its stack is flushed once.
    order.clear();
    CopyPlan same = plan;
    same.source.device = same.destination.device;
    same.dstOffset = same.srcOffset + same.length; // the job refuses overlapping ranges on one device
    auto job3 = CopyJob::start(twoNamespaces(size), {}, same, options, {});
    const CopyResult& r3 = job3->wait();
    QVERIFY2(r3.ok(), r3.ok() ? "" : r3.status.error().message().c_str());
    QCOMPARE(std::count(order.begin(), order.end(), "flush " + std::to_string(*same.source.device)), 1);
    QCOMPARE(std::count_if(order.begin(), order.end(), [](const std::string& s) { return s.starts_with("flush"); }),
             1);
}

void TestCopyJob::passthroughToPartitionIsRefused()
{
    const uint64_t size = 2 * kMiB;
    Volumes v(size);
    CopyPlan plan = mixedPlan(size, 1, 1);
    plan.nvmeSteps[0].ns = 2; // the partition: must never get a passthrough command
    CopyOptions options = testOptions(v);
    int sent = 0;
    options.runNvmeStep = [&](const NvmeCopyStep& step) {
        ++sent;
        return copyRanges(v, step, step.ranges.size());
    };
    auto job = CopyJob::start(twoNamespaces(size), {}, plan, options, {});
    const CopyResult& r = job->wait();
    QVERIFY(!r.ok());
    QCOMPARE(r.status.error().code, Errc::Internal);
    QVERIFY(r.status.error().what.find("partition") != std::string::npos);
    QCOMPARE(sent, 0);
}

void TestCopyJob::unsafePlanIsRefusedBeforeWriting()
{
    const uint64_t size = 2 * kMiB;
    Volumes v(size);
    std::vector<BlockDevice> devices;
    devices.push_back(makeDevice("nvme0n1", DeviceKind::NvmeNamespace, size * 4));
    devices.push_back(makeDevice("nvme0n2", DeviceKind::NvmeNamespace, size * 4));
    devices[1].mountpoints = {"/mnt/data"};
    auto topology = std::make_shared<Topology>(std::move(devices));
    CopyPlan plan = basePlan(size);
    plan.extents.push_back({0, 0, size, CopyMethod::ReadWrite, "test", {}, {}, 0, 0});
    CopyOptions options = testOptions(v);
    bool opened = false;
    auto inner = options.openEndpoint;
    options.openEndpoint = [&](const CopyEndpoint& ep, EndpointAccess role, bool direct, bool force) {
        opened = true;
        return inner(ep, role, direct, force);
    };
    auto job = CopyJob::start(topology, {}, plan, options, {});
    const CopyResult& r = job->wait();
    QVERIFY(!r.ok());
    QCOMPARE(r.status.error().code, Errc::Busy);
    QVERIFY(r.status.error().message().find("/mnt/data") != std::string::npos);
    QVERIFY(!opened);
    QVERIFY(v.readDst() == std::vector<unsigned char>(size, 0xEE));

    options.force = true;
    auto forced = CopyJob::start(topology, {}, plan, options, {});
    QVERIFY(forced->wait().ok());
    QVERIFY(v.readDst() == v.data);
}

void TestCopyJob::readOnlyFlagSetAfterTheScanIsRefused()
{
    // The snapshot says writable; by the time the job opens the destination, the namespace
    // under it is read-only (blockdev --setro after the scan): no command, no byte.
    const uint64_t size = 2 * kMiB;
    Volumes v(size);
    CopyPlan plan = mixedPlan(size, 1, 1);
    CopyOptions options = testOptions(v);
    int sent = 0;
    bool started = false;
    options.runNvmeStep = [&](const NvmeCopyStep& step) {
        ++sent;
        return copyRanges(v, step, step.ranges.size());
    };
    options.beforeCopy = [&] { started = true; };
    std::vector<std::string> asked;
    options.readOnlyNow = [&](const BlockDevice& dev) {
        asked.push_back(dev.name);
        return dev.name == "nvme0n2";
    };
    auto job = CopyJob::start(twoNamespaces(size), {}, plan, options, {});
    const CopyResult& r = job->wait();
    QVERIFY(!r.ok());
    QCOMPARE(r.status.error().code, Errc::InvalidArgument);
    QCOMPARE(r.status.error().device, std::string("/dev/nvme0n2"));
    QVERIFY(r.status.error().hint.find("blockdev --setrw") != std::string::npos);
    QCOMPARE(asked, std::vector<std::string>{"nvme0n2"});
    QCOMPARE(sent, 0);
    QVERIFY(!started);
    QVERIFY(v.readDst() == std::vector<unsigned char>(size, 0xEE));

    options.readOnlyNow = [](const BlockDevice&) { return false; };
    auto writable = CopyJob::start(twoNamespaces(size), {}, plan, options, {});
    QVERIFY(writable->wait().ok());
    QVERIFY(v.readDst() == v.data);
}

void TestCopyJob::verifyFindsFirstDifferingLba()
{
    const uint64_t size = 6 * kMiB;
    Volumes v(size);
    std::vector<unsigned char> copy = v.data;
    copy[3 * kMiB + 4097] ^= 0x01;
    Volumes::writeFile(v.dst, copy);
    int s = ::open(v.src.c_str(), O_RDONLY);
    int d = ::open(v.dst.c_str(), O_RDONLY);
    auto r = verifyRanges({s, "src", 512}, {d, "dst", 4096}, 0, 0, size, {});
    QVERIFY(r.has_value());
    QVERIFY(!r->match);
    QCOMPARE(r->firstDifferingOffset, std::optional<uint64_t>(3 * kMiB + 4097));
    QCOMPARE(r->firstDifferingDstLba, std::optional<uint64_t>((3 * kMiB + 4097) / 4096));
    QCOMPARE(r->firstDifferingSrcLba, std::optional<uint64_t>((3 * kMiB + 4097) / 512));
    QVERIFY(r->message().find("destination LBA " + std::to_string((3 * kMiB + 4097) / 4096)) != std::string::npos);

    // Offsets are honoured: compare the differing byte's neighbourhood shifted away.
    auto same = verifyRanges({s, "src", 512}, {d, "dst", 512}, 0, 0, 3 * kMiB, {});
    QVERIFY(same && same->match);
    QCOMPARE(same->bytesCompared, 3 * kMiB);
    ::close(s);
    ::close(d);
}

void TestCopyJob::withoutOffloadClearsSteps()
{
    CopyPlan plan = mixedPlan(4 * kMiB, 2, 2);
    CopyPlan host = withoutOffload(plan, "--no-offload");
    QVERIFY(host.nvmeSteps.empty());
    QCOMPARE(host.extents[0].method, CopyMethod::ReadWrite);
    QCOMPARE(host.extents[0].reason, std::string("--no-offload"));
    QCOMPARE(host.extents[1].reason, std::string("test: host"));
    QCOMPARE(host.offloadedBytes(), uint64_t(0));
}

void TestCopyJob::realBackendPartialCompletionFallsBackFromDw0()
{
    // NvmeCopyBackend over a fake transport: Command Size Limit Exceeded with DW0 = 1
    // means range 0 was copied by the device; ranges 1 and 2 go by read/write.
    const uint64_t size = 6 * kMiB;
    Volumes v(size);
    auto [topology, caps] = twoNamespaceController(size, 0x3, 4096, "");
    // Same namespace pair as the fake device: copy within nvme0n2's "namespace" is what
    // the plan says; the volumes are files, so only the accounting is checked for range 0.
    CopyPlan plan = basePlan(size);
    plan.source.device = 1;
    plan.destination.device = 1;
    plan.extents.push_back({0, 0, size, CopyMethod::NvmeCopy, "same namespace", 1, 1, 0, 0});
    NvmeCopyStep step;
    step.ns = 1;
    step.srcNs = 1;
    step.lbaBytes = 512;
    step.sdlba = 8 * kMiB / 512;
    for (uint64_t r = 0; r < 3; ++r)
        step.ranges.push_back({r * 2 * kMiB / 512, uint32_t(2 * kMiB / 512), 0, r * 2 * kMiB, r * 2 * kMiB});
    plan.dstOffset = 0;
    plan.nvmeSteps.push_back(step);
    // Files: the source file stands for the range, the destination file for its target.
    plan.source.device.reset();
    plan.destination.device.reset();
    plan.source.file = v.src;
    plan.destination.file = v.dst;

    test::FakeNvmeTransport nvme;
    nvme.replyNvmeStatus(1, 0x83, 1);
    CopyOptions options = testOptions(v);
    options.nvme = &nvme;
    auto job = CopyJob::start(topology, caps, plan, options, {});
    const CopyResult& r = job->wait();
    QVERIFY2(r.ok(), r.ok() ? "" : r.status.error().message().c_str());
    const auto sent = nvme.copies();
    QCOMPARE(sent.size(), std::size_t(1));
    QCOMPARE(sent[0].devnum, (DevNum{259, 2}));
    QCOMPARE(sent[0].command.sdlba, 8 * kMiB / 512);
    QCOMPARE(r.offloadedBytes, 2 * kMiB);
    QCOMPARE(r.hostBytes, 4 * kMiB);
    QCOMPARE(r.fallbacks.size(), std::size_t(1));
    QCOMPARE(r.fallbacks[0].srcOffset, 2 * kMiB);
    QCOMPARE(r.fallbacks[0].length, 4 * kMiB);
    QVERIFY(r.fallbacks[0].reason.find("Command Size Limit Exceeded") != std::string::npos);
    const auto dst = v.readDst();
    QVERIFY(std::equal(dst.begin() + 2 * kMiB, dst.end(), v.data.begin() + 2 * kMiB));
    // The fake device copied nothing: range 0 is untouched, proving it was not copied twice.
    QVERIFY(std::all_of(dst.begin(), dst.begin() + 2 * kMiB, [](unsigned char b) { return b == 0xEE; }));
}

void TestCopyJob::crossNamespaceRefusedByTheKernelFallsBack()
{
    // A cross-namespace copy (format 2) on a controller whose Host Behavior Support cannot be
    // changed (Linux 6.12+: EACCES): the job does not fail; the extent goes by read/write
    // with the reason, and no Copy command is sent.
    const uint64_t size = 4 * kMiB;
    Volumes v(size);
    auto [topology, caps] = twoNamespaceController(size, 0xf, 65536, "nqn.test:a");
    CopyPlan plan = basePlan(size);
    plan.extents.push_back({0, 0, size, CopyMethod::NvmeCopy, "cross-namespace", 0, 1, 0, 0});
    NvmeCopyStep step;
    step.ns = 1;
    step.srcNs = 0;
    step.format = 2;
    step.lbaBytes = 512;
    step.sdlba = 0;
    step.ranges.push_back({0, uint32_t(size / 512), 1, 0, 0});
    plan.nvmeSteps.push_back(step);
    plan.source.file = v.src;
    plan.destination.file = v.dst;

    test::FakeNvmeTransport nvme;
    nvme.refuseSetHostBehavior(test::errnoError(EACCES));
    CopyOptions options = testOptions(v);
    options.nvme = &nvme;
    auto job = CopyJob::start(topology, caps, plan, options, {});
    const CopyResult& r = job->wait();
    QVERIFY2(r.ok(), r.ok() ? "" : r.status.error().message().c_str());
    QVERIFY2(r.fallbacks.size() == 1, r.fallbacks.empty() ? "no fallback" : r.fallbacks[0].reason.c_str());
    QVERIFY2(nvme.hostBehaviorSets().size() == 1, r.fallbacks[0].reason.c_str());
    QCOMPARE(nvme.copyCount(), std::size_t(0));
    QCOMPARE(r.offloadedBytes, uint64_t(0));
    QCOMPARE(r.hostBytes, size);
    QCOMPARE(r.fallbacks.size(), std::size_t(1));
    QVERIFY2(r.fallbacks[0].reason.find("enabling it was refused") != std::string::npos,
             r.fallbacks[0].reason.c_str());
    QVERIFY(v.readDst() == v.data);
}

void TestCopyJob::offloadDepthBoundsCommandsInFlight()
{
    // CopyOptions::offloadInFlight (copy --offload-depth): never more commands at the
    // device at once; 1 sends them one after another.
    const uint64_t size = 8 * kMiB;
    for (unsigned depth : {1u, 3u}) {
        Volumes v(size);
        CopyPlan plan = mixedPlan(size, 8, 1); // 8 commands
        CopyOptions options = testOptions(v);
        options.offloadInFlight = depth;
        InFlightMeter meter;
        options.runNvmeStep = meter.runner(v);
        auto job = CopyJob::start(twoNamespaces(size), {}, plan, options, {});
        const CopyResult& r = job->wait();
        QVERIFY2(r.ok(), r.ok() ? "" : r.status.error().message().c_str());
        QVERIFY(v.readDst() == v.data);
        QCOMPARE(meter.commands.load(), 8u);
        QVERIFY2(meter.most.load() <= depth, std::to_string(meter.most.load()).c_str());
        if (depth > 1)
            QVERIFY2(meter.most.load() >= 2, "the commands never overlapped");
    }
}

void TestCopyJob::offloadProgressFollowsCommandsWithoutPolling()
{
    // While only offload commands run, the worker sleeps until a command's bytes make a
    // progress event due: one event per completed command here (each takes 80 ms, the
    // interval is 40 ms), not one per interval, and the bytes only grow.
    const uint64_t size = 8 * kMiB;
    Volumes v(size);
    CopyPlan plan = mixedPlan(size, 8, 1);
    plan.extents.pop_back(); // no host copy: offload only
    plan.length = size / 2;
    CopyOptions options = testOptions(v);
    options.offloadInFlight = 1;
    options.progressInterval = std::chrono::milliseconds(40);
    options.runNvmeStep = [&](const NvmeCopyStep& step) {
        std::this_thread::sleep_for(std::chrono::milliseconds(80));
        StepOutcome out = copyRanges(v, step, step.ranges.size());
        out.kind = StepOutcome::Kind::Done;
        return out;
    };
    std::mutex m;
    std::vector<uint64_t> done;
    CopyEvents events;
    events.progress = [&](const CopyProgress& p) {
        std::lock_guard lock(m);
        done.push_back(p.doneBytes);
    };
    auto job = CopyJob::start(twoNamespaces(size), {}, plan, options, events);
    const CopyResult& r = job->wait();
    QVERIFY2(r.ok(), r.ok() ? "" : r.status.error().message().c_str());
    QCOMPARE(r.offloadedBytes, size / 2);
    std::lock_guard lock(m);
    QVERIFY(!done.empty());
    QCOMPARE(done.back(), size / 2);
    for (std::size_t i = 1; i < done.size(); ++i)
        QVERIFY(done[i] >= done[i - 1]);
    std::set<uint64_t> between;
    for (uint64_t b : done)
        if (b > 0 && b < size / 2)
            between.insert(b);
    QVERIFY2(between.size() >= 3, std::to_string(between.size()).c_str()); // the commands show as they complete
    QVERIFY2(done.size() <= 8 + 4, std::to_string(done.size()).c_str());   // start, 8 commands, end: no timer
}

void TestCopyJob::defaultDepthFollowsCommandSize()
{
    // As many as fit in 32 MiB: large commands one at a time, small ones up to 4.
    auto planOf = [](std::size_t steps, uint64_t stepBytes) {
        CopyPlan plan = basePlan(steps * stepBytes);
        for (std::size_t s = 0; s < steps; ++s) {
            XcopyStep step;
            step.blockBytes = 512;
            step.segments.push_back({s * stepBytes / 512, s * stepBytes / 512, uint32_t(stepBytes / 512), 0, 0});
            plan.xcopySteps.push_back(step);
        }
        return plan;
    };
    QCOMPARE(defaultOffloadDepth(planOf(8, 65535 * 512)), 1u); // LIO's 65,535-block segments
    QCOMPARE(defaultOffloadDepth(planOf(8, 32 * kMiB)), 1u);
    QCOMPARE(defaultOffloadDepth(planOf(3, 16 * kMiB)), 2u);
    QCOMPARE(defaultOffloadDepth(planOf(5, 10 * kMiB)), 3u);
    QCOMPARE(defaultOffloadDepth(planOf(100, 1 * kMiB)), 4u);
    QCOMPARE(defaultOffloadDepth(basePlan(kMiB)), 1u);                    // nothing to offload
    CopyPlan nvme = mixedPlan(512 * kMiB, 2, 1);                           // 2 commands of 128 MiB
    QCOMPARE(defaultOffloadDepth(nvme), 1u);

    // The job uses it when no depth is given: 8 small commands overlap.
    const uint64_t size = 8 * kMiB;
    Volumes v(size);
    CopyPlan plan = mixedPlan(size, 8, 1);
    CopyOptions options = testOptions(v);
    QCOMPARE(options.offloadInFlight, 0u);
    InFlightMeter meter;
    options.runNvmeStep = meter.runner(v);
    auto job = CopyJob::start(twoNamespaces(size), {}, plan, options, {});
    QVERIFY(job->wait().ok());
    QVERIFY(v.readDst() == v.data);
    QVERIFY2(meter.most.load() >= 2 && meter.most.load() <= 4, std::to_string(meter.most.load()).c_str());
}

void TestCopyJob::offloadOnlyPlanRunsCommandsOnTheWorker()
{
    // A plan that offloads every extent: the worker sends commands itself (with one in
    // flight no other thread, so no hand-off per command) and copies what a device declines
    // as it comes. A plan with host extents keeps the commands off the worker, which copies
    // those extents meanwhile.
    const uint64_t size = 8 * kMiB;
    struct Case {
        bool hostExtent;
        unsigned depth;
    };
    for (Case c : {Case{false, 1}, Case{false, 2}, Case{true, 1}}) {
        Volumes v(size);
        CopyPlan plan = mixedPlan(size, 8, 1); // 8 commands of 512 KiB over the first half
        if (!c.hostExtent) {
            plan.extents.pop_back();
            plan.length = size / 2;
        }
        CopyOptions options = testOptions(v);
        options.offloadInFlight = c.depth;
        std::mutex m;
        std::thread::id worker;
        std::set<std::thread::id> stepThreads;
        options.beforeCopy = [&] { worker = std::this_thread::get_id(); };
        InFlightMeter meter;
        auto run = meter.runner(v);
        options.runNvmeStep = [&](const NvmeCopyStep& step) {
            {
                std::lock_guard lock(m);
                stepThreads.insert(std::this_thread::get_id());
            }
            if (step.sdlba != 2 * 1024) // the third command: declined, nothing copied
                return run(step);
            StepOutcome out;
            out.kind = StepOutcome::Kind::Declined;
            out.reason = "test: declined";
            return out;
        };
        std::vector<CopyFallback> fallbacks;
        CopyEvents events;
        events.fallback = [&](const CopyFallback& f) { fallbacks.push_back(f); };
        auto job = CopyJob::start(twoNamespaces(size), {}, plan, options, events);
        const CopyResult& r = job->wait();
        const std::string what = std::string(c.hostExtent ? "with" : "without") + " a host extent, depth "
                                 + std::to_string(c.depth);
        QVERIFY2(r.ok(), (what + ": " + (r.ok() ? "" : r.status.error().message())).c_str());
        std::vector<unsigned char> dst = v.readDst();
        QVERIFY2(std::equal(dst.begin(), dst.begin() + long(plan.length), v.data.begin()), what.c_str());
        QCOMPARE(r.offloadedBytes, size / 2 - 512 * 1024);
        QCOMPARE(fallbacks.size(), std::size_t(1));
        QCOMPARE(fallbacks[0].srcOffset, uint64_t(1024 * 1024));
        QCOMPARE(meter.commands.load(), 7u);
        QVERIFY2(meter.most.load() <= c.depth, what.c_str());

        std::lock_guard lock(m);
        QVERIFY(worker != std::thread::id{});
        if (c.hostExtent) {
            QVERIFY2(!stepThreads.count(worker), what.c_str());
        } else if (c.depth == 1) {
            QVERIFY2(stepThreads == std::set<std::thread::id>{worker}, what.c_str());
        } else {
            QVERIFY2(stepThreads.count(worker) && stepThreads.size() == 2, what.c_str());
            QVERIFY2(meter.most.load() == 2, what.c_str());
        }
    }
}


void TestCopyJob::relayShowsSnapshotsAndNeverGoesBack()
{
    std::vector<CopyProgress> shown;
    ProgressRelay relay([&](const CopyProgress& p) { shown.push_back(p); }, std::chrono::milliseconds(50));
    auto at = [](double elapsed, uint64_t done) {
        CopyProgress p;
        p.elapsedSeconds = elapsed;
        p.doneBytes = done;
        return p;
    };
    relay.event(at(1.0, 10));
    QVERIFY(relay.untilDue() > std::chrono::milliseconds(0));
    QVERIFY(!relay.heartbeat([&] { return at(1.01, 10); })); // an event just went out
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    QCOMPARE(relay.untilDue(), std::chrono::milliseconds(0));
    QVERIFY(relay.heartbeat([&] { return at(2.0, 10); }));  // quiet for long enough
    relay.event(at(1.5, 10));                                  // computed before that snapshot
    relay.event(at(2.5, 20));
    QCOMPARE(shown.size(), std::size_t(3));
    QCOMPARE(shown[0].elapsedSeconds, 1.0);
    QCOMPARE(shown[1].elapsedSeconds, 2.0);
    QCOMPARE(shown[2].elapsedSeconds, 2.5);
    QCOMPARE(shown[2].doneBytes, uint64_t(20));
}

void TestCopyJob::progressMovesOnWhileACommandIsSlow()
{
    // A plan that offloads every extent with one command in flight: the worker itself waits
    // for each command and sends no event meanwhile. A caller's heartbeat (the relay, on
    // the job's snapshot) still sees the clock run and the rate fall while the second
    // command takes its time, and what it shows never goes back.
    const uint64_t size = 8 * kMiB;
    Volumes v(size);
    CopyPlan plan = mixedPlan(size, 2, 1);
    plan.extents.pop_back(); // offload only
    plan.length = size / 2;
    CopyOptions options = testOptions(v);
    options.offloadInFlight = 1;
    options.progressInterval = std::chrono::milliseconds(0);
    std::mutex m;
    std::condition_variable cv;
    bool slowStarted = false;
    bool release = false;
    options.runNvmeStep = [&](const NvmeCopyStep& step) {
        if (step.sdlba != 0) { // the second command: held until the test lets it go
            std::unique_lock lock(m);
            slowStarted = true;
            cv.notify_all();
            cv.wait(lock, [&] { return release; });
        }
        StepOutcome out = copyRanges(v, step, step.ranges.size());
        out.kind = StepOutcome::Kind::Done;
        return out;
    };
    std::mutex shownMutex;
    std::vector<CopyProgress> shown;
    std::atomic<int> events{0};
    ProgressRelay relay(
        [&](const CopyProgress& p) {
            std::lock_guard lock(shownMutex);
            shown.push_back(p);
        },
        std::chrono::milliseconds(100));
    CopyEvents ev;
    ev.progress = [&](const CopyProgress& p) {
        ++events;
        relay.event(p);
    };
    auto job = CopyJob::start(twoNamespaces(size), {}, plan, options, ev);
    auto letGo = [&] {
        {
            std::lock_guard lock(m);
            release = true;
        }
        cv.notify_all();
    };
    struct OnExit { // a failed check returns early: the held command must end before the job is joined
        std::function<void()> run;
        ~OnExit() { run(); }
    } releaseOnExit{letGo};
    {
        std::unique_lock lock(m);
        QVERIFY(cv.wait_for(lock, std::chrono::seconds(20), [&] { return slowStarted; }));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const int eventsBefore = events.load();
    const CopyProgress first = job->progress();
    QCOMPARE(first.doneBytes, size / 4); // the first command's bytes
    QVERIFY2(first.bytesPerSecond > 0, std::to_string(first.bytesPerSecond).c_str());
    for (int i = 0; i < 5; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        QVERIFY(relay.heartbeat([&] { return job->progress(); }));
    }
    QCOMPARE(events.load(), eventsBefore); // the worker was silent all along
    {
        std::lock_guard lock(shownMutex);
        const CopyProgress& last = shown.back();
        QCOMPARE(last.doneBytes, size / 4);
        QVERIFY2(last.elapsedSeconds >= first.elapsedSeconds + 0.7, std::to_string(last.elapsedSeconds).c_str());
        QVERIFY2(last.bytesPerSecond < first.bytesPerSecond * 0.8,
                 (std::to_string(last.bytesPerSecond) + " vs " + std::to_string(first.bytesPerSecond)).c_str());
    }
    letGo();
    const CopyResult& r = job->wait();
    QVERIFY2(r.ok(), r.ok() ? "" : r.status.error().message().c_str());
    const std::vector<unsigned char> dst = v.readDst();
    QVERIFY(std::equal(v.data.begin(), v.data.begin() + size / 2, dst.begin()));
    std::lock_guard lock(shownMutex);
    QCOMPARE(shown.back().doneBytes, size / 2);
    for (std::size_t i = 1; i < shown.size(); ++i) {
        QVERIFY(shown[i].elapsedSeconds >= shown[i - 1].elapsedSeconds);
        QVERIFY(shown[i].doneBytes >= shown[i - 1].doneBytes);
    }
}

QTEST_GUILESS_MAIN(TestCopyJob)
#include "test_copyjob.moc"
