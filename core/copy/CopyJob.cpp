// SPDX-License-Identifier: GPL-2.0-or-later
#include "copy/CopyJob.h"

#include "copy/CopySafety.h"
#include "copy/FileBackend.h"
#include "copy/FileEndpoint.h"
#include "copy/PageCache.h"
#include "copy/ReadWriteBackend.h"
#include "copy/Verify.h"
#include "transport/NvmeTransport.h"
#include "transport/UringNvmeTransport.h"
#include "transport/ScsiTransport.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <deque>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

namespace offload {

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::duration d)
{
    return std::chrono::duration<double>(d).count();
}

double tv(const timeval& t)
{
    return double(t.tv_sec) + double(t.tv_usec) / 1e6;
}

/// This thread's CPU time so far (user, system).
std::pair<double, double> threadCpu()
{
    rusage ru{};
    if (getrusage(RUSAGE_THREAD, &ru) != 0)
        return {0, 0};
    return {tv(ru.ru_utime), tv(ru.ru_stime)};
}

constexpr uint64_t kFileDirectAlign = 4096;

/// Bytes by what moved them: offloaded (clones included), through the host, cloned.
struct ByteSplit {
    uint64_t offloaded = 0;
    uint64_t host = 0;
    uint64_t cloned = 0;
};

/// `copyFileRangeOffloads`: copy_file_range was a server-side copy (else the kernel's host copy).
ByteSplit splitBytes(const BytesByMethod& bytes, bool copyFileRangeOffloads)
{
    ByteSplit split;
    for (std::size_t m = 0; m < kCopyMethodCount; ++m) {
        const auto method = static_cast<CopyMethod>(m);
        const bool host = method == CopyMethod::ReadWrite
                          || (method == CopyMethod::CopyFileRange && !copyFileRangeOffloads);
        (host ? split.host : split.offloaded) += bytes[m];
        if (method == CopyMethod::FileClone)
            split.cloned += bytes[m];
    }
    return split;
}

/// A range the host must copy because a device declined it.
struct PendingFallback {
    CopyFallback record;
};

} // namespace

struct CopyJob::Private {
    Clock::time_point started = Clock::now();
    std::array<std::atomic<uint64_t>, kCopyMethodCount> byMethod{};
    std::atomic<std::size_t> fallbackCount{0};
    std::atomic<std::size_t> extentsDone{0};
    std::atomic<bool> verifying{false};
    std::atomic<bool> abort{false};     ///< a failure stops everyone
    std::atomic<bool> offloadBusy{false};
    std::atomic<bool> copyFileRangeOffloads{false}; ///< the destination filesystem copies server-side
    /// The destination file this job created (dev, inode), removed again when the job fails
    /// before writing a byte: a refusal leaves nothing behind.
    std::optional<std::pair<dev_t, ino_t>> createdFile;

    /// Per extent: bytes done by each method (index * kCopyMethodCount + method).
    std::unique_ptr<std::atomic<uint64_t>[]> extentBytes;
    std::vector<std::size_t> bySrc;     ///< extent indexes sorted by srcOffset

    mutable std::mutex mutex;           ///< guards everything below
    std::condition_variable wake;       ///< offload threads -> main thread
    std::deque<CopyFallback> pending;   ///< declined ranges waiting for the host copy
    std::vector<CopyFallback> fallbacks;
    std::optional<Error> failure;
    std::vector<double> extentSeconds;
    std::vector<std::string> extentFallbackReason;
    /// (seconds since start, done bytes) at each progress event, the last few seconds'
    /// worth: the rate is measured from the oldest one to now.
    std::deque<std::pair<double, uint64_t>> samples{{0.0, 0}};
    Clock::time_point lastProgress{};
    bool progressDue = false;           ///< an offload thread moved bytes and an event is due
    double cpuUser = 0;
    double cpuSystem = 0;
    std::size_t offloadThreadsRunning = 0;

    void fail(Error error)
    {
        std::lock_guard lock(mutex);
        if (!failure)
            failure = std::move(error);
        abort = true;
        wake.notify_all();
    }
};

namespace {

/// Opens an endpoint on the real system.
Result<UniqueFd> defaultOpen(const Topology& topology, const CopyEndpoint& ep, EndpointAccess role, bool direct,
                             bool force)
{
    int flags = O_CLOEXEC | (direct ? O_DIRECT : 0);
    switch (role) {
    case EndpointAccess::Source:
    case EndpointAccess::DestinationReadBack:
        flags |= O_RDONLY;
        break;
    case EndpointAccess::Destination:
        flags |= O_WRONLY;
        if (ep.device && !force)
            flags |= O_EXCL;
        if (!ep.device)
            flags |= O_CREAT;
        break;
    }
    if (ep.device) {
        if (*ep.device >= topology.size())
            return std::unexpected(Error::make(Errc::Internal, ep.label, "device index outside the topology"));
        auto fd = openBlockDevice(topology.at(*ep.device), flags);
        if (!fd && fd.error().code == Errc::Busy)
            fd.error().hint = "it is mounted or held by another device; unmount it or pass --force";
        return fd;
    }
    // Regular files: no symbolic link as the destination, no pseudo filesystem (FileEndpoint.h).
    return openFileEndpoint(ep.file, role == EndpointAccess::Destination, direct);
}

/// A layer's read-only flag as the kernel has it now (/sys/dev/block/MAJ:MIN/ro); the
/// snapshot's when that cannot be read (a vanished layer fails the copy's I/O anyway).
bool liveReadOnly(const BlockDevice& dev)
{
    const std::string path = "/sys/dev/block/" + dev.devnum.str() + "/ro";
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return dev.readOnly;
    char flag = 0;
    const ssize_t n = ::read(fd, &flag, 1);
    ::close(fd);
    return n == 1 ? flag == '1' : dev.readOnly;
}

std::string endpointLabel(const CopyEndpoint& ep)
{
    if (!ep.label.empty())
        return ep.label;
    return ep.file.string();
}

} // namespace

CopyJob::CopyJob(std::shared_ptr<const Topology> topology, CapabilitySet caps, CopyPlan plan, CopyOptions options,
                 CopyEvents events)
    : m_topology(std::move(topology))
    , m_caps(std::move(caps))
    , m_plan(std::move(plan))
    , m_options(std::move(options))
    , m_events(std::move(events))
    , d(std::make_unique<Private>())
{
    if (!m_topology)
        m_topology = std::make_shared<Topology>();
    const std::size_t n = m_plan.extents.size();
    d->extentBytes = std::make_unique<std::atomic<uint64_t>[]>(n * kCopyMethodCount);
    for (std::size_t i = 0; i < n * kCopyMethodCount; ++i)
        d->extentBytes[i] = 0;
    d->extentSeconds.assign(n, 0.0);
    d->extentFallbackReason.assign(n, {});
    d->bySrc.resize(n);
    for (std::size_t i = 0; i < n; ++i)
        d->bySrc[i] = i;
    std::sort(d->bySrc.begin(), d->bySrc.end(),
              [&](std::size_t a, std::size_t b) { return m_plan.extents[a].srcOffset < m_plan.extents[b].srcOffset; });
}

std::shared_ptr<CopyJob> CopyJob::start(std::shared_ptr<const Topology> topology, CapabilitySet caps, CopyPlan plan,
                                        CopyOptions options, CopyEvents events)
{
    std::shared_ptr<CopyJob> job(
        new CopyJob(std::move(topology), std::move(caps), std::move(plan), std::move(options), std::move(events)));
    job->m_thread = std::thread([raw = job.get()] { raw->run(); });
    return job;
}

CopyJob::~CopyJob()
{
    cancel();
    if (m_thread.joinable()) {
        if (m_thread.get_id() == std::this_thread::get_id())
            m_thread.detach(); // the last handle was dropped inside a callback
        else
            m_thread.join();
    }
}

void CopyJob::cancel()
{
    m_stop.request_stop();
    std::lock_guard lock(d->mutex);
    d->wake.notify_all();
}

bool CopyJob::finished() const
{
    std::lock_guard lock(m_doneMutex);
    return m_finished;
}

const CopyResult& CopyJob::wait()
{
    std::unique_lock lock(m_doneMutex);
    m_doneCv.wait(lock, [&] { return m_finished; });
    return m_result;
}

const CopyResult* CopyJob::waitFor(std::chrono::milliseconds timeout)
{
    std::unique_lock lock(m_doneMutex);
    if (!m_doneCv.wait_for(lock, timeout, [&] { return m_finished; }))
        return nullptr;
    return &m_result;
}

CopyProgress CopyJob::progress() const
{
    CopyProgress p;
    p.totalBytes = m_plan.length;
    for (std::size_t m = 0; m < kCopyMethodCount; ++m) {
        p.bytesByMethod[m] = d->byMethod[m].load();
        p.doneBytes += p.bytesByMethod[m];
    }
    const ByteSplit split = splitBytes(p.bytesByMethod, d->copyFileRangeOffloads.load());
    p.offloadedBytes = split.offloaded;
    p.hostBytes = split.host;
    p.clonedBytes = split.cloned;
    p.elapsedSeconds = seconds(Clock::now() - d->started);
    {
        // From the oldest sample to now, so the rate falls while a device is slow to answer
        // (a caller that asks between events sees it, and the elapsed time, move on). Samples
        // hold copied bytes: a clone moves nothing, so it has no rate.
        std::lock_guard lock(d->mutex);
        const auto [t0, done0] = d->samples.front();
        const uint64_t copied = p.doneBytes - p.clonedBytes;
        if (p.elapsedSeconds - t0 >= 0.1 && copied >= done0)
            p.bytesPerSecond = double(copied - done0) / (p.elapsedSeconds - t0);
    }
    if (p.bytesPerSecond > 0 && p.doneBytes <= p.totalBytes)
        p.etaSeconds = double(p.totalBytes - p.doneBytes) / p.bytesPerSecond;
    p.extentsTotal = m_plan.extents.size();
    p.extentsDone = d->extentsDone.load();
    p.fallbacks = d->fallbackCount.load();
    p.verifying = d->verifying.load();
    return p;
}

const char* outcomeName(const CopyResult& result)
{
    if (result.cancelled())
        return "cancelled";
    if (!result.ok())
        return "error";
    if (result.verify && !result.verify->match)
        return "verify_mismatch";
    return "ok";
}

CopyPlan withoutOffload(CopyPlan plan, const std::string& reason)
{
    for (PlannedExtent& extent : plan.extents) {
        if (extent.method != CopyMethod::ReadWrite) {
            extent.method = CopyMethod::ReadWrite;
            extent.reason = reason;
        }
    }
    plan.nvmeSteps.clear();
    plan.xcopySteps.clear();
    return plan;
}

namespace {

/// The worker's state for one run: everything that is not shared with other threads.
class Runner {
public:
    Runner(CopyJob& job, CopyJob::Private& state, const Topology& topology, const CapabilitySet& caps,
           const CopyPlan& plan, const CopyOptions& options, const CopyEvents& events, std::stop_source stop)
        : m_job(job), d(state), m_topology(topology), m_caps(caps), m_plan(plan), m_options(options), m_events(events),
          m_stop(std::move(stop))
    {
    }

    void run(CopyResult& result);

private:
    bool stopping() const { return m_stop.stop_requested() || d.abort.load(); }
    void add(CopyMethod method, uint64_t bytes) { d.byMethod[methodIndex(method)] += bytes; }
    void credit(uint64_t srcOffset, uint64_t length, CopyMethod method, double secs);
    void maybeProgress(bool force = false);
    Status copyHost(uint64_t srcOffset, uint64_t dstOffset, uint64_t length);
    void offloadThread();
    void runOffloadSteps(const std::function<void()>& afterEach);
    void runNvme(const NvmeCopyStep& step);
    void runXcopy(const XcopyStep& step);
    template <class Unit>
    void settle(const std::vector<Unit>& units, uint64_t unitBytesPerBlock, const StepOutcome& outcome,
                CopyMethod method, double secs, const std::string& device);
    void drainFallbacks(bool copy);

    CopyJob& m_job;
    CopyJob::Private& d;
    const Topology& m_topology;
    const CapabilitySet& m_caps;
    const CopyPlan& m_plan;
    const CopyOptions& m_options;
    const CopyEvents& m_events;
    std::stop_source m_stop;

    std::unique_ptr<ReadWriteBackend> m_host;
    std::unique_ptr<FileBackend> m_file;
    std::unique_ptr<NvmeTransport> m_ownNvme;
    std::unique_ptr<ScsiTransport> m_ownScsi;
    std::unique_ptr<NvmeCopyBackend> m_nvmeBackend;
    std::unique_ptr<ScsiXcopyBackend> m_xcopyBackend;
    std::atomic<std::size_t> m_nextStep{0};
};

void Runner::credit(uint64_t srcOffset, uint64_t length, CopyMethod method, double secs)
{
    const auto& extents = m_plan.extents;
    if (extents.empty() || length == 0)
        return;
    // First extent whose start is <= srcOffset.
    auto it = std::upper_bound(d.bySrc.begin(), d.bySrc.end(), srcOffset,
                               [&](uint64_t off, std::size_t i) { return off < extents[i].srcOffset; });
    if (it != d.bySrc.begin())
        --it;
    const uint64_t end = srcOffset + length;
    for (; it != d.bySrc.end(); ++it) {
        const PlannedExtent& e = extents[*it];
        if (e.srcOffset >= end)
            break;
        uint64_t lo = std::max(srcOffset, e.srcOffset);
        uint64_t hi = std::min(end, e.srcOffset + e.length);
        if (lo >= hi)
            continue;
        uint64_t part = hi - lo;
        std::atomic<uint64_t>* row = &d.extentBytes[*it * kCopyMethodCount];
        uint64_t before = 0;
        for (std::size_t m = 0; m < kCopyMethodCount; ++m)
            before += row[m].load();
        row[methodIndex(method)] += part;
        if (before < e.length && before + part >= e.length)
            ++d.extentsDone;
        std::lock_guard lock(d.mutex);
        d.extentSeconds[*it] += secs * double(part) / double(length);
    }
}

void Runner::maybeProgress(bool force)
{
    auto now = Clock::now();
    uint64_t done = 0;
    for (std::size_t m = 0; m < kCopyMethodCount; ++m)
        if (m != methodIndex(CopyMethod::FileClone)) // copied bytes: the rate's samples
            done += d.byMethod[m].load();
    {
        std::lock_guard lock(d.mutex);
        if (!force && now - d.lastProgress < m_options.progressInterval)
            return;
        d.lastProgress = now;
        double t = seconds(now - d.started);
        d.samples.emplace_back(t, done);
        while (d.samples.size() > 2 && t - d.samples[1].first >= 3.0)
            d.samples.pop_front();
    }
    if (m_events.progress)
        m_events.progress(m_job.progress());
}

Status Runner::copyHost(uint64_t srcOffset, uint64_t dstOffset, uint64_t length)
{
    auto t0 = Clock::now();
    Status st = m_host->copy(srcOffset, dstOffset, length, m_stop.get_token(), [&](uint64_t n) {
        add(CopyMethod::ReadWrite, n);
        maybeProgress();
    });
    if (st)
        credit(srcOffset, length, CopyMethod::ReadWrite, seconds(Clock::now() - t0));
    return st;
}

template <class Unit>
void Runner::settle(const std::vector<Unit>& units, uint64_t bytesPerBlock, const StepOutcome& outcome,
                    CopyMethod method, double secs, const std::string& device)
{
    const std::size_t doneUnits =
        outcome.kind == StepOutcome::Kind::Done ? units.size() : std::min(outcome.unitsDone, units.size());
    uint64_t doneBytes = 0;
    for (std::size_t u = 0; u < doneUnits; ++u)
        doneBytes += uint64_t(units[u].blocks) * bytesPerBlock;
    for (std::size_t u = 0; u < doneUnits; ++u) {
        uint64_t bytes = uint64_t(units[u].blocks) * bytesPerBlock;
        add(method, bytes);
        credit(units[u].volumeSrcOffset, bytes, method, doneBytes ? secs * double(bytes) / double(doneBytes) : 0);
    }
    if (doneBytes > 0) {
        // Wake the worker for a progress event only when one is due: it does not poll.
        std::lock_guard lock(d.mutex);
        if (Clock::now() - d.lastProgress >= m_options.progressInterval) {
            d.progressDue = true;
            d.wake.notify_all();
        }
    }
    if (outcome.kind == StepOutcome::Kind::Done)
        return;
    if (outcome.kind == StepOutcome::Kind::Failed) {
        Error e = outcome.error ? *outcome.error
                                : Error::make(Errc::System, device, "the copy command failed: " + outcome.reason);
        if (e.device.empty())
            e.device = device;
        d.fail(std::move(e));
        return;
    }
    // Declined: the rest goes by read/write (or is an error with --require-offload).
    std::string reason = outcome.reason.empty() ? "the device declined the copy" : outcome.reason;
    if (outcome.reason.empty() && outcome.error)
        reason = outcome.error->message();
    if (m_options.requireOffload) {
        Error e = Error::make(Errc::Unsupported, device, "the device declined the copy: " + reason,
                              "run without --require-offload to let offloadcp copy the rest itself");
        if (outcome.error) {
            e.nvme = outcome.error->nvme;
            e.scsi = outcome.error->scsi;
        }
        d.fail(std::move(e));
        return;
    }
    std::vector<CopyFallback> ranges;
    for (std::size_t u = doneUnits; u < units.size(); ++u) {
        uint64_t bytes = uint64_t(units[u].blocks) * bytesPerBlock;
        if (!ranges.empty()) {
            CopyFallback& last = ranges.back();
            if (last.srcOffset + last.length == units[u].volumeSrcOffset
                && last.dstOffset + last.length == units[u].volumeDstOffset) {
                last.length += bytes;
                continue;
            }
        }
        CopyFallback f;
        f.planned = method;
        f.srcOffset = units[u].volumeSrcOffset;
        f.dstOffset = units[u].volumeDstOffset;
        f.length = bytes;
        f.reason = device + ": " + reason;
        f.deviceAnswer = outcome.error;
        ranges.push_back(std::move(f));
    }
    for (CopyFallback& f : ranges) {
        auto it = std::upper_bound(d.bySrc.begin(), d.bySrc.end(), f.srcOffset, [&](uint64_t off, std::size_t i) {
            return off < m_plan.extents[i].srcOffset;
        });
        f.extent = it == d.bySrc.begin() ? 0 : *(it - 1);
    }
    std::lock_guard lock(d.mutex);
    for (CopyFallback& f : ranges)
        d.pending.push_back(std::move(f));
    d.wake.notify_all();
}

void Runner::runNvme(const NvmeCopyStep& step)
{
    std::string device = step.ns < m_topology.size() ? m_topology.at(step.ns).devPath() : "nvme";
    for (std::size_t target : {step.ns, step.srcNs}) {
        if (auto st = checkPassthroughTarget(m_topology, target); !st) {
            d.fail(st.error());
            return;
        }
    }
    auto t0 = Clock::now();
    StepOutcome outcome = m_options.runNvmeStep ? m_options.runNvmeStep(step) : m_nvmeBackend->run(step);
    settle(step.ranges, step.lbaBytes, outcome, CopyMethod::NvmeCopy, seconds(Clock::now() - t0), device);
}

void Runner::runXcopy(const XcopyStep& step)
{
    std::string device = step.issueTo < m_topology.size() ? m_topology.at(step.issueTo).devPath() : "scsi";
    for (std::size_t target : {step.srcLun, step.dstLun, step.issueTo}) {
        if (auto st = checkPassthroughTarget(m_topology, target); !st) {
            d.fail(st.error());
            return;
        }
    }
    auto t0 = Clock::now();
    StepOutcome outcome = m_options.runXcopyStep ? m_options.runXcopyStep(step) : m_xcopyBackend->run(step);
    settle(step.segments, step.blockBytes, outcome, CopyMethod::ScsiXcopy, seconds(Clock::now() - t0), device);
}

/// Takes the next offload step until none is left (several threads share the queue).
void Runner::runOffloadSteps(const std::function<void()>& afterEach)
{
    const std::size_t nvmeCount = m_plan.nvmeSteps.size();
    const std::size_t total = nvmeCount + m_plan.xcopySteps.size();
    while (!stopping()) {
        std::size_t i = m_nextStep++;
        if (i >= total)
            break;
        if (i < nvmeCount)
            runNvme(m_plan.nvmeSteps[i]);
        else
            runXcopy(m_plan.xcopySteps[i - nvmeCount]);
        if (afterEach)
            afterEach();
    }
}

void Runner::offloadThread()
{
    runOffloadSteps({});
    auto [user, sys] = threadCpu();
    std::lock_guard lock(d.mutex);
    d.cpuUser += user;
    d.cpuSystem += sys;
    --d.offloadThreadsRunning;
    d.wake.notify_all();
}

void Runner::drainFallbacks(bool copy)
{
    for (;;) {
        CopyFallback f;
        {
            std::lock_guard lock(d.mutex);
            if (d.pending.empty())
                return;
            f = std::move(d.pending.front());
            d.pending.pop_front();
            d.fallbacks.push_back(f);
            if (f.extent < d.extentFallbackReason.size() && d.extentFallbackReason[f.extent].empty())
                d.extentFallbackReason[f.extent] = f.reason;
        }
        ++d.fallbackCount;
        if (m_events.fallback)
            m_events.fallback(f);
        if (!copy || stopping())
            continue;
        if (auto st = copyHost(f.srcOffset, f.dstOffset, f.length); !st && st.error().code != Errc::Cancelled)
            d.fail(st.error());
    }
}

void Runner::run(CopyResult& result)
{
    result.totalBytes = m_plan.length;

    // 1. Safety: refuse before opening anything for writing.
    auto safety = checkCopySafety(m_topology, m_plan, SafetyOptions{m_options.force});
    if (!safety) {
        d.fail(safety.error());
        return;
    }
    result.warnings = *safety;

    const bool files = !m_plan.source.device && !m_plan.destination.device;
    auto open = [&](const CopyEndpoint& ep, EndpointAccess role, bool direct) {
        if (m_options.openEndpoint)
            return m_options.openEndpoint(ep, role, direct, m_options.force);
        return defaultOpen(m_topology, ep, role, direct, m_options.force);
    };
    // Files need O_DIRECT-friendly offsets; devices are aligned by the plan and the safety check.
    bool direct = true;
    if (files && ((m_plan.srcOffset | m_plan.dstOffset | m_plan.length) % kFileDirectAlign) != 0)
        direct = false;

    auto srcFd = open(m_plan.source, EndpointAccess::Source, direct);
    if (!srcFd) {
        d.fail(srcFd.error());
        return;
    }
    struct stat before {};
    const bool newFile = !m_plan.destination.device && ::lstat(m_plan.destination.file.c_str(), &before) != 0
                         && errno == ENOENT;
    auto dstFd = open(m_plan.destination, EndpointAccess::Destination, direct);
    if (!dstFd) {
        d.fail(dstFd.error());
        return;
    }
    if (struct stat created {}; newFile && ::fstat(dstFd->get(), &created) == 0)
        d.createdFile = std::pair{created.st_dev, created.st_ino};
    // The read-only flags again, now that the destination is open: they may have changed
    // since the scan. (A flag set after this is outside what a user-space check can see;
    // the kernel itself refuses writes to the top node it marks read-only.)
    if (m_plan.destination.device) {
        std::function<bool(const BlockDevice&)> readOnlyNow = m_options.readOnlyNow;
        if (!readOnlyNow && !m_options.openEndpoint)
            readOnlyNow = liveReadOnly;
        if (readOnlyNow) {
            if (auto writable = checkDestinationWritable(m_topology, *m_plan.destination.device, m_plan.dstOffset,
                                                         m_plan.length, readOnlyNow);
                !writable) {
                d.fail(writable.error());
                return;
            }
        }
    }
    if (files) {
        struct stat a {};
        struct stat b {};
        if (::fstat(srcFd->get(), &a) == 0 && ::fstat(dstFd->get(), &b) == 0 && a.st_dev == b.st_dev
            && a.st_ino == b.st_ino && m_plan.srcOffset < m_plan.dstOffset + m_plan.length
            && m_plan.dstOffset < m_plan.srcOffset + m_plan.length) {
            d.fail(Error::make(Errc::InvalidArgument, endpointLabel(m_plan.source),
                               "source and destination are the same file and the ranges overlap",
                               "choose ranges that do not overlap"));
            return;
        }
    }
    ReadWriteEndpoint srcEp{srcFd->get(), endpointLabel(m_plan.source), m_plan.source.blockSize};
    ReadWriteEndpoint dstEp{dstFd->get(), endpointLabel(m_plan.destination), m_plan.destination.blockSize};
    m_host = std::make_unique<ReadWriteBackend>(
        srcEp, dstEp, ReadWriteBackend::Options{m_options.ioBytes, m_options.ioDepth, true});

    // Plain (buffered) descriptors for FICLONERANGE / copy_file_range.
    std::optional<UniqueFd> srcPlain;
    std::optional<UniqueFd> dstPlain;
    bool hasFileExtents = std::any_of(m_plan.extents.begin(), m_plan.extents.end(), [](const PlannedExtent& e) {
        return e.method == CopyMethod::FileClone || e.method == CopyMethod::CopyFileRange;
    });
    if (hasFileExtents) {
        auto s = open(m_plan.source, EndpointAccess::Source, false);
        auto t = open(m_plan.destination, EndpointAccess::Destination, false);
        if (!s || !t) {
            d.fail(!s ? s.error() : t.error());
            return;
        }
        srcPlain.emplace(std::move(*s));
        dstPlain.emplace(std::move(*t));
        // What copy_file_range is here: the storage server's copy, or the kernel's through the host.
        auto dstFs = fileSystemOf(dstPlain->get());
        d.copyFileRangeOffloads = dstFs && copyFileRangeOffloads(*dstFs);
        FileBackend::Options fileOptions;
        fileOptions.copyFileRangeOffloads = d.copyFileRangeOffloads;
        fileOptions.hostAllowed = !m_options.requireOffload;
        m_file = std::make_unique<FileBackend>(ReadWriteEndpoint{srcPlain->get(), srcEp.label, srcEp.blockSize},
                                               ReadWriteEndpoint{dstPlain->get(), dstEp.label, dstEp.blockSize},
                                               *m_host, fileOptions);
    }

    // 2. Offload set-up: transports, backends, and flushing both stacks.
    const bool hasOffload = !m_plan.nvmeSteps.empty() || !m_plan.xcopySteps.empty();
    const std::size_t offloadSteps = m_plan.nvmeSteps.size() + m_plan.xcopySteps.size();
    const std::size_t inFlight = std::clamp<std::size_t>(
        m_options.offloadInFlight ? m_options.offloadInFlight : defaultOffloadDepth(m_plan), 1,
        std::max<std::size_t>(offloadSteps, 1));
    if (hasOffload) {
        if (!m_plan.nvmeSteps.empty() && !m_options.runNvmeStep) {
            NvmeTransport* t = m_options.nvme;
            if (!t) {
                // Several commands in flight: io_uring passthrough on /dev/ngXnY, each
                // completion waking only its sender (it falls back to the libnvme ioctl by
                // itself). One at a time: the ioctl, which needs no ring to set up.
                m_ownNvme = inFlight > 1 ? makeUringNvmeTransport(makeLibNvmeTransport()) : makeLibNvmeTransport();
                t = m_ownNvme.get();
            }
            m_nvmeBackend = std::make_unique<NvmeCopyBackend>(m_topology, m_caps, *t);
        }
        if (!m_plan.xcopySteps.empty() && !m_options.runXcopyStep) {
            ScsiTransport* t = m_options.scsi;
            if (!t) {
                m_ownScsi = makeSgUtilsTransport();
                t = m_ownScsi.get();
            }
            m_xcopyBackend = std::make_unique<ScsiXcopyBackend>(m_topology, m_caps, *t);
        }
        // Both ends' stacks, each device once (a copy within one namespace flushes it once).
        std::vector<std::size_t> ends;
        for (const CopyEndpoint* ep : {&m_plan.source, &m_plan.destination})
            if (ep->device && std::find(ends.begin(), ends.end(), *ep->device) == ends.end())
                ends.push_back(*ep->device);
        std::vector<std::string> warnings;
        if (m_options.flushSourceStack) {
            for (std::size_t end : ends) {
                auto w = m_options.flushSourceStack(m_topology, end);
                warnings.insert(warnings.end(), w.begin(), w.end());
            }
        } else if (!ends.empty()) {
            warnings = flushStacks(m_topology, ends);
        }
        result.warnings.insert(result.warnings.end(), warnings.begin(), warnings.end());
    }
    if (m_options.beforeCopy)
        m_options.beforeCopy();
    maybeProgress(true);

    // 3. Offload steps on their own threads while this one copies the host extents and the
    // fallbacks. When the plan offloads every extent, this thread runs one share of the
    // steps itself: with one command in flight there is no other thread, and no hand-off
    // (a wake-up) per command.
    std::vector<std::thread> pool;
    const bool hostExtents = std::any_of(m_plan.extents.begin(), m_plan.extents.end(), [](const PlannedExtent& e) {
        return e.method != CopyMethod::NvmeCopy && e.method != CopyMethod::ScsiXcopy;
    });
    const bool workerOffloads = hasOffload && !hostExtents;
    if (hasOffload) {
        const std::size_t n = inFlight - (workerOffloads ? 1 : 0);
        {
            std::lock_guard lock(d.mutex);
            d.offloadThreadsRunning = n;
        }
        for (std::size_t i = 0; i < n; ++i)
            pool.emplace_back([this] { offloadThread(); });
    }
    if (workerOffloads) {
        runOffloadSteps([this] {
            drainFallbacks(!stopping());
            maybeProgress();
        });
    }

    for (std::size_t i = 0; i < m_plan.extents.size() && !stopping(); ++i) {
        const PlannedExtent& e = m_plan.extents[i];
        if (e.method == CopyMethod::ReadWrite) {
            if (auto st = copyHost(e.srcOffset, e.dstOffset, e.length); !st && st.error().code != Errc::Cancelled)
                d.fail(st.error());
        } else if (e.method == CopyMethod::FileClone || e.method == CopyMethod::CopyFileRange) {
            auto t0 = Clock::now();
            auto outcome = m_file->copy(e.srcOffset, e.dstOffset, e.length, e.method, m_stop.get_token(),
                                        [&](CopyMethod m, uint64_t n) {
                                            add(m, n);
                                            maybeProgress();
                                        });
            if (!outcome) {
                if (outcome.error().code != Errc::Cancelled)
                    d.fail(outcome.error());
                continue;
            }
            double secs = seconds(Clock::now() - t0);
            uint64_t off = e.srcOffset;
            for (auto [m, bytes] : {std::pair{CopyMethod::FileClone, outcome->clonedBytes},
                                    std::pair{CopyMethod::CopyFileRange, outcome->copyFileRangeBytes},
                                    std::pair{CopyMethod::ReadWrite, outcome->hostBytes}}) {
                credit(off, bytes, m, secs * double(bytes) / double(std::max<uint64_t>(e.length, 1)));
                off += bytes;
            }
            if (!outcome->note.empty() && outcome->hostBytes + outcome->copyFileRangeBytes > 0
                && (e.method == CopyMethod::FileClone ? outcome->clonedBytes < e.length : outcome->hostBytes > 0)) {
                CopyFallback f;
                f.extent = i;
                f.planned = e.method;
                f.srcOffset = e.srcOffset + outcome->clonedBytes;
                f.dstOffset = e.dstOffset + outcome->clonedBytes;
                f.length = e.length - outcome->clonedBytes;
                f.reason = outcome->note;
                f.actual = outcome->tookOver;
                {
                    std::lock_guard lock(d.mutex);
                    d.fallbacks.push_back(f);
                    d.extentFallbackReason[i] = f.reason;
                }
                ++d.fallbackCount;
                if (m_events.fallback)
                    m_events.fallback(f);
            }
        }
        drainFallbacks(true);
        maybeProgress();
    }

    // Wait for the offload threads, copying what they decline as it comes. The worker
    // wakes when a command's bytes make a progress event due, for a fallback, at the end,
    // and otherwise when no event went out for a second (elapsed time and rate for a device
    // that is slow to answer).
    const auto heartbeat = std::max<std::chrono::milliseconds>(m_options.progressInterval, std::chrono::seconds(1));
    for (;;) {
        drainFallbacks(!stopping());
        std::unique_lock lock(d.mutex);
        if (d.offloadThreadsRunning == 0 && d.pending.empty())
            break;
        d.wake.wait_until(lock, d.lastProgress + heartbeat,
                          [&] { return !d.pending.empty() || d.offloadThreadsRunning == 0 || d.progressDue; });
        d.progressDue = false;
        lock.unlock();
        maybeProgress();
    }
    for (std::thread& t : pool)
        t.join();
    drainFallbacks(false);

    // 4. The device wrote behind the page cache's back: drop the destination's pages.
    if (hasOffload && m_plan.destination.device) {
        auto warnings = m_options.dropDestinationCache
                            ? m_options.dropDestinationCache(m_topology, *m_plan.destination.device)
                            : dropStackCache(m_topology, *m_plan.destination.device);
        result.warnings.insert(result.warnings.end(), warnings.begin(), warnings.end());
    }
    if (!stopping()) {
        // Host writes went through O_DIRECT; make them durable before saying "done".
        if (::fdatasync(dstFd->get()) != 0 && errno != EINVAL && errno != EROFS)
            d.fail(Error::sys(errno, dstEp.label, "flushing the destination failed"));
    }
    if (!stopping() && m_options.truncateDestination && !m_plan.destination.device) {
        // --truncate: the file ends where the copied range ends, as after cp.
        const auto end = static_cast<off_t>(m_plan.dstOffset + m_plan.length);
        if (::ftruncate(dstFd->get(), end) != 0 || ::fdatasync(dstFd->get()) != 0)
            d.fail(Error::sys(errno, dstEp.label, "cannot cut the destination file to " + std::to_string(end)
                                                      + " bytes (--truncate)"));
    }
    result.copySeconds = seconds(Clock::now() - d.started);
    maybeProgress(true);

    // 5. Verify.
    if (m_options.verify && !stopping()) {
        d.verifying = true;
        maybeProgress(true);
        auto vs = open(m_plan.source, EndpointAccess::Source, direct);
        auto vd = open(m_plan.destination, EndpointAccess::DestinationReadBack, direct);
        if (!vs || !vd) {
            d.fail(!vs ? vs.error() : vd.error());
            return;
        }
        auto verdict = verifyRanges(ReadWriteEndpoint{vs->get(), srcEp.label, srcEp.blockSize},
                                    ReadWriteEndpoint{vd->get(), dstEp.label, dstEp.blockSize}, m_plan.srcOffset,
                                    m_plan.dstOffset, m_plan.length, m_stop.get_token());
        if (!verdict) {
            if (verdict.error().code != Errc::Cancelled)
                d.fail(verdict.error());
        } else {
            result.verify = *verdict;
        }
    }
}

} // namespace

unsigned defaultOffloadDepth(const CopyPlan& plan)
{
    constexpr uint64_t kBytesInFlight = 32ull << 20;
    constexpr unsigned kMostInFlight = 4;
    uint64_t bytes = 0;
    for (const NvmeCopyStep& step : plan.nvmeSteps)
        bytes += step.bytes();
    for (const XcopyStep& step : plan.xcopySteps)
        bytes += step.bytes();
    const std::size_t steps = plan.nvmeSteps.size() + plan.xcopySteps.size();
    if (steps == 0 || bytes == 0)
        return 1;
    const uint64_t average = std::max<uint64_t>(bytes / steps, 1);
    return static_cast<unsigned>(std::clamp<uint64_t>(kBytesInFlight / average, 1, kMostInFlight));
}

void CopyJob::run()
{
    CopyResult result;
    {
        Runner runner(*this, *d, *m_topology, m_caps, m_plan, m_options, m_events, m_stop);
        runner.run(result);
    }
    auto [user, sys] = threadCpu();

    // Assemble the result.
    result.totalBytes = m_plan.length;
    for (std::size_t m = 0; m < kCopyMethodCount; ++m) {
        result.bytesByMethod[m] = d->byMethod[m].load();
        result.doneBytes += result.bytesByMethod[m];
    }
    const bool serverCopy = d->copyFileRangeOffloads.load();
    const ByteSplit split = splitBytes(result.bytesByMethod, serverCopy);
    result.offloadedBytes = split.offloaded;
    result.hostBytes = split.host;
    result.clonedBytes = split.cloned;
    result.wallSeconds = seconds(Clock::now() - d->started);
    {
        std::lock_guard lock(d->mutex);
        result.cpuUserSeconds = user + d->cpuUser;
        result.cpuSystemSeconds = sys + d->cpuSystem;
        result.fallbacks = d->fallbacks;
        for (std::size_t i = 0; i < m_plan.extents.size(); ++i) {
            const PlannedExtent& e = m_plan.extents[i];
            ExtentResult r;
            r.index = i;
            r.srcOffset = e.srcOffset;
            r.dstOffset = e.dstOffset;
            r.length = e.length;
            r.planned = e.method;
            uint64_t best = 0;
            uint64_t total = 0;
            r.actual = e.method;
            BytesByMethod extentBytes{};
            for (std::size_t m = 0; m < kCopyMethodCount; ++m) {
                uint64_t b = d->extentBytes[i * kCopyMethodCount + m].load();
                extentBytes[m] = b;
                total += b;
                if (b > best) {
                    best = b;
                    r.actual = static_cast<CopyMethod>(m);
                }
            }
            const ByteSplit extentSplit = splitBytes(extentBytes, serverCopy);
            r.offloadedBytes = extentSplit.offloaded;
            r.hostBytes = extentSplit.host;
            r.clonedBytes = extentSplit.cloned;
            r.fellBack = !d->extentFallbackReason[i].empty();
            r.reason = r.fellBack ? d->extentFallbackReason[i] : e.reason;
            r.seconds = d->extentSeconds[i];
            r.completed = total >= e.length;
            result.extents.push_back(std::move(r));
        }
        if (d->failure)
            result.status = std::unexpected(*d->failure);
    }
    if (result.status && m_stop.stop_requested()
        && (result.doneBytes < result.totalBytes || (m_options.verify && !result.verify))) {
        result.status = std::unexpected(Error::make(Errc::Cancelled, {},
                                                    "cancelled after " + std::to_string(result.doneBytes) + " of "
                                                        + std::to_string(result.totalBytes) + " bytes"));
    }
    if (result.status && result.doneBytes < result.totalBytes)
        result.status = std::unexpected(Error::make(Errc::Internal, {},
                                                    "the job ended with " + std::to_string(result.doneBytes)
                                                        + " of " + std::to_string(result.totalBytes)
                                                        + " bytes copied and no error",
                                                    "this is a bug in offloadcp; please report it"));

    if (!result.ok() && result.doneBytes == 0 && d->createdFile) {
        // Nothing was written into the file this job created: take it away again (if it is
        // still that empty file).
        struct stat st {};
        if (::lstat(m_plan.destination.file.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0
            && std::pair{st.st_dev, st.st_ino} == *d->createdFile)
            ::unlink(m_plan.destination.file.c_str());
    }
    if (m_events.progress)
        m_events.progress(progress());
    if (m_events.done)
        m_events.done(result);
    {
        std::lock_guard lock(m_doneMutex);
        m_result = std::move(result);
        m_finished = true;
    }
    m_doneCv.notify_all();
}

} // namespace offload
