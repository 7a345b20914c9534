// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "capability/Capability.h"
#include "copy/CopyPlan.h"
#include "copy/OffloadBackend.h"
#include "topology/Topology.h"
#include "transport/DeviceNode.h"
#include "util/Error.h"

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace offload {

class NvmeTransport;
class ScsiTransport;

/// Number of CopyMethod values; arrays indexed by CopyMethod have this size.
inline constexpr std::size_t kCopyMethodCount = 5;
inline constexpr std::size_t methodIndex(CopyMethod method) { return static_cast<std::size_t>(method); }

/// Bytes per CopyMethod, indexed by methodIndex().
using BytesByMethod = std::array<uint64_t, kCopyMethodCount>;

/// A snapshot of a running (or finished) job's progress. Plain value; copy it freely.
struct CopyProgress {
    uint64_t totalBytes = 0;       ///< the plan's length
    uint64_t doneBytes = 0;        ///< copied so far, by any method (monotonic)
    BytesByMethod bytesByMethod{}; ///< doneBytes split by the method that actually moved them
    /// Not moved through host memory: copied by the device or the storage server (NvmeCopy,
    /// ScsiXcopy, a server-side CopyFileRange) or cloned (FileClone, clonedBytes).
    uint64_t offloadedBytes = 0;
    /// Moved through host memory: ReadWrite (fallbacks included) and a CopyFileRange the
    /// kernel did itself (ext4, tmpfs, XFS without a clone).
    uint64_t hostBytes = 0;
    uint64_t clonedBytes = 0;      ///< of offloadedBytes: reflinked (metadata only, nothing copied)
    double bytesPerSecond = 0;     ///< recent rate of copied bytes (clones excluded; a few seconds' window); 0 until measurable
    double elapsedSeconds = 0;
    std::optional<double> etaSeconds; ///< nullopt while the rate is unknown
    std::size_t extentsTotal = 0;
    std::size_t extentsDone = 0;
    std::size_t fallbacks = 0;     ///< ranges that fell back to read/write so far
    bool verifying = false;        ///< copying is over and --verify is reading back

    double fraction() const { return totalBytes ? double(doneBytes) / double(totalBytes) : 1.0; }
    /// Share of done bytes the device moved (0..1).
    double offloadedShare() const { return doneBytes ? double(offloadedBytes) / double(doneBytes) : 0.0; }
};

/// A range that was planned for offload but went by read/write instead, and why.
struct CopyFallback {
    std::size_t extent = 0;        ///< index of the first plan extent it touches
    CopyMethod planned = CopyMethod::ReadWrite;
    uint64_t srcOffset = 0;        ///< bytes in the source volume
    uint64_t dstOffset = 0;        ///< bytes in the destination volume
    uint64_t length = 0;
    std::string reason;            ///< e.g. "nvme0n1: Command Size Limit Exceeded (SCT 1h SC 83h)"
    std::optional<Error> deviceAnswer; ///< the device's answer, when there was one
    /// What copied the range instead: ReadWrite, or for a declined reflink CopyFileRange.
    CopyMethod actual = CopyMethod::ReadWrite;
};

/// What happened to one extent of the plan.
struct ExtentResult {
    std::size_t index = 0;         ///< in CopyPlan::extents
    uint64_t srcOffset = 0;
    uint64_t dstOffset = 0;
    uint64_t length = 0;
    CopyMethod planned = CopyMethod::ReadWrite;
    CopyMethod actual = CopyMethod::ReadWrite; ///< the method that moved the most of its bytes
    bool fellBack = false;         ///< some of its bytes went by read/write instead of `planned`
    std::string reason;            ///< the plan's reason; when fellBack, the fallback reason
    uint64_t offloadedBytes = 0;   ///< as CopyProgress::offloadedBytes
    uint64_t hostBytes = 0;
    uint64_t clonedBytes = 0;      ///< of offloadedBytes: reflinked
    double seconds = 0;            ///< time spent on its commands / I/Os (overlapping work counts once per extent)
    bool completed = false;        ///< all its bytes are copied
};

/// The outcome of --verify.
struct VerifyResult {
    bool match = false;
    uint64_t bytesCompared = 0;
    uint32_t blockSize = 512;               ///< the destination's logical block size
    std::optional<uint64_t> firstDifferingOffset; ///< bytes from the start of the range
    std::optional<uint64_t> firstDifferingDstLba; ///< LBA of the destination volume
    std::optional<uint64_t> firstDifferingSrcLba; ///< LBA of the source volume (its own block size)
    std::string message() const;            ///< "ranges match (N bytes)" / "first difference at destination LBA n ..."
};

/// Everything a finished job reports.
struct CopyResult {
    Status status;                 ///< error (Errc::Cancelled when cancelled) with device and LBA
    std::vector<ExtentResult> extents;
    std::vector<CopyFallback> fallbacks;
    uint64_t totalBytes = 0;
    uint64_t doneBytes = 0;        ///< copied before the end (all of it on success)
    BytesByMethod bytesByMethod{};
    uint64_t hostBytes = 0;        ///< bytes through host memory (read/write, a kernel copy_file_range)
    uint64_t offloadedBytes = 0;   ///< bytes the device or storage server copied, or cloned
    uint64_t clonedBytes = 0;      ///< of offloadedBytes: reflinked (metadata only: no copy rate applies)
    double wallSeconds = 0;        ///< the whole job, verify included
    double copySeconds = 0;        ///< until the last byte was copied and flushed (verify excluded)
    double cpuUserSeconds = 0;     ///< getrusage(RUSAGE_THREAD) summed over the job's threads
    double cpuSystemSeconds = 0;
    std::optional<VerifyResult> verify; ///< present when CopyOptions::verify and the copy succeeded
    std::vector<std::string> warnings;  ///< e.g. a cache drop that failed on one layer

    bool ok() const { return status.has_value(); }
    bool cancelled() const { return !status && status.error().code == Errc::Cancelled; }
};

/// How the job opens an endpoint: which side, and what for.
enum class EndpointAccess {
    Source,              ///< read-only
    Destination,         ///< write-only (O_EXCL for block devices unless force)
    DestinationReadBack, ///< read-only, for --verify
};

/// Opens a copy endpoint (the user's volume node or file) for read/write copying and
/// verification. Source: read-only. Destination: write-only, O_EXCL for block devices
/// unless `force`; DestinationReadBack: read-only. `direct` asks for O_DIRECT.
using EndpointOpener = std::function<Result<UniqueFd>(const CopyEndpoint& endpoint, EndpointAccess role,
                                                      bool direct, bool force)>;
/// Flushes (before the first offload step: the source stack, then the destination stack,
/// so no stale dirty page lands on the copied data later) or drops the cache of (after
/// offload: the destination stack) every layer of `device`'s stack. Returns warnings for
/// layers that failed. Not called for plans without offload steps.
using StackCacheHook = std::function<std::vector<std::string>(const Topology& topology, std::size_t device)>;

/// How to run a copy. Defaults are for the real system; tests inject fakes.
struct CopyOptions {
    bool verify = false;           ///< read back both ranges with O_DIRECT and compare
    bool force = false;            ///< allow a mounted / held destination (skips O_EXCL)
    bool requireOffload = false;   ///< a device that declines is an error (Errc::Unsupported), no fallback
    /// A regular-file destination ends where the copied range ends (cp's behaviour; the
    /// default keeps what lies beyond the range, like dd conv=notrunc). Applied after the
    /// last byte is copied and flushed; ignored for block devices.
    bool truncateDestination = false;

    uint32_t ioBytes = 4u << 20;   ///< read/write: bytes per I/O (tests/bench: 4 MiB x 8 measured best)
    unsigned ioDepth = 8;          ///< read/write: I/Os in flight
    unsigned offloadInFlight = 0;  ///< offload commands in flight (thread pool size); 0: defaultOffloadDepth
    std::chrono::milliseconds progressInterval{200}; ///< minimum gap between progress events

    /// Transports for offload steps (not owned; must outlive the job). Null: the job makes
    /// the real libnvme / libsgutils2 transport when the plan has such steps (for NVMe with
    /// several commands in flight, io_uring passthrough on /dev/ngXnY; with one, the ioctl).
    NvmeTransport* nvme = nullptr;
    ScsiTransport* scsi = nullptr;
    /// Test hooks; empty = the real system (openBlockDevice / open(2); PageCache.h).
    EndpointOpener openEndpoint;
    StackCacheHook flushSourceStack;
    StackCacheHook dropDestinationCache;
    /// Offload step runners; empty = NvmeCopyBackend / ScsiXcopyBackend over the transports
    /// above. Called from the job's offload threads (several at once), and from its worker
    /// thread when the plan offloads every extent.
    std::function<StepOutcome(const NvmeCopyStep&)> runNvmeStep;
    std::function<StepOutcome(const XcopyStep&)> runXcopyStep;
    /// The kernel's read-only flag of one layer of the destination's stack as it is now: the
    /// job asks for every layer the range is written through after opening the endpoints and
    /// before the first byte moves (`blockdev --setro` may have come after the scan) and
    /// refuses as checkDestinationWritable does. Empty: /sys/dev/block/MAJ:MIN/ro when the job
    /// opens the real devices (no openEndpoint hook), else the snapshot's flags.
    std::function<bool(const BlockDevice&)> readOnlyNow;
    /// Called after safety checks and opening, before any byte moves (tests use it to
    /// observe ordering); runs on the worker thread.
    std::function<void()> beforeCopy;
};

/// How many offload commands a job keeps in flight when CopyOptions::offloadInFlight is 0:
/// as many as fit in 32 MiB, at least 1 and at most 4 (1 for LIO's 65,535-block segments
/// and larger commands, 4 for commands of 8 MiB or less). A large copy command keeps a device busy on its own; more of them at once
/// only compete (in the QEMU lab, 4 NVMe Copy commands of 128 MiB in flight took 3x as
/// long as one at a time, and 4 EXTENDED COPY commands tripled offloadcp's CPU time for
/// the same speed).
unsigned defaultOffloadDepth(const CopyPlan& plan);

/// Callbacks from a running job. ALL are called on the job's worker thread (never on the
/// thread that called start()); a UI must hop to its own thread (queued signal). They must
/// not call wait() on the same job. Any may be empty.
struct CopyEvents {
    /// At most once per CopyOptions::progressInterval, and once at the end. While only
    /// offload commands run, when a completed command makes one due (else after a second
    /// without one, unless the worker is itself waiting for a command: a plan that offloads
    /// every extent with one command in flight). A caller that shows a clock asks
    /// CopyJob::progress() when no event came for a while.
    std::function<void(const CopyProgress&)> progress;
    /// Each time a range planned for offload goes by read/write instead.
    std::function<void(const CopyFallback&)> fallback;
    /// Once, last, with the final result (also returned by wait()).
    std::function<void(const CopyResult&)> done;
};

/// A running copy. start() runs safety checks, opens the endpoints, flushes the source
/// stack when the plan offloads, executes offload steps (several in flight) and read/write
/// extents, falls back per range when a device declines, drops the destination's cached
/// pages, optionally verifies, and reports. Thread-safe: progress(), cancel() and wait()
/// may be called from any thread. Destroying the handle cancels and joins.
class CopyJob {
public:
    /// Starts the job on its own worker thread and returns at once. Never throws; every
    /// failure (including safety refusals) ends up in the result's status.
    static std::shared_ptr<CopyJob> start(std::shared_ptr<const Topology> topology, CapabilitySet caps,
                                          CopyPlan plan, CopyOptions options, CopyEvents events);

    ~CopyJob();
    CopyJob(const CopyJob&) = delete;
    CopyJob& operator=(const CopyJob&) = delete;

    /// A consistent snapshot; cheap (takes a mutex). Between progress events too: the
    /// elapsed time is now's, and the rate is measured up to now, so it falls while a
    /// command is slow to complete.
    CopyProgress progress() const;
    /// Requests cancellation: in-flight I/Os and commands finish, nothing new starts, the
    /// result says Errc::Cancelled and how far it got. Idempotent.
    void cancel();
    /// The stop source the job watches (to tie it to a parent's stop_token or a signal).
    std::stop_source stopSource() const { return m_stop; }
    bool finished() const;
    /// Blocks until the job ends; returns the result (valid as long as the job handle).
    const CopyResult& wait();
    /// As wait(), but gives up after `timeout`; nullptr if still running.
    const CopyResult* waitFor(std::chrono::milliseconds timeout);

    const CopyPlan& plan() const { return m_plan; }

    struct Private; ///< implementation detail (shared with the worker's helpers)

private:
    CopyJob(std::shared_ptr<const Topology> topology, CapabilitySet caps, CopyPlan plan, CopyOptions options,
            CopyEvents events);
    void run();

    std::shared_ptr<const Topology> m_topology;
    CapabilitySet m_caps;
    CopyPlan m_plan;
    CopyOptions m_options;
    CopyEvents m_events;
    std::stop_source m_stop;
    std::unique_ptr<Private> d;

    mutable std::mutex m_doneMutex;
    std::condition_variable m_doneCv;
    bool m_finished = false;
    CopyResult m_result;
    std::thread m_thread; ///< last member: started after everything else exists
};

/// One word for how a job ended, consistent with the CLI's exit code: "ok" (exit 0),
/// "verify_mismatch" (a finished copy whose --verify found a difference: exit 7),
/// "cancelled" (exit 130) or "error" (any other failure).
const char* outcomeName(const CopyResult& result);

/// The plan with every extent turned into ReadWrite (reason `reason`, e.g. "--no-offload")
/// and no offload steps (FileClone / CopyFileRange extents too).
CopyPlan withoutOffload(CopyPlan plan, const std::string& reason);

} // namespace offload
