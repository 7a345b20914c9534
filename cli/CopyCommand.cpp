// SPDX-License-Identifier: GPL-2.0-or-later
// `offloadcp copy SRC DST`: plan, check, run the copy job, report. Human output and
// --json (one object per line: start, progress, fallback, done) come from the same values.
#include "Cli.h"
#include "CopyProgressBar.h"
#include "PrivilegedRoute.h"

#include "capability/Scan.h"
#include "copy/CopyJob.h"
#include "copy/CopyPlanner.h"
#include "copy/CopySafety.h"
#include "copy/EndpointResolver.h"
#include "copy/ProgressRelay.h"
#include "util/ByteSize.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <fcntl.h>
#include <iostream>
#include <memory>
#include <mutex>
#include <poll.h>
#include <string_view>
#include <unistd.h>

namespace offload::cli {

namespace {

constexpr int kCopySchemaVersion = 1;

volatile std::sig_atomic_t g_interrupted = 0;
/// Write end of the pipe the copy command sleeps on (-1 when none): the signal handler
/// and the job's done event each put a byte in it.
volatile std::sig_atomic_t g_wakeFd = -1;

extern "C" void onInterrupt(int)
{
    g_interrupted = 1;
    const int saved = errno;
    if (g_wakeFd >= 0)
        [[maybe_unused]] auto n = ::write(g_wakeFd, "i", 1);
    errno = saved;
}

/// A pipe to sleep on until something happens: the copy command waits for its job without
/// waking up on a timer (on a VM every wake-up of an otherwise idle offloaded copy is
/// charged to it).
class WakePipe {
public:
    WakePipe()
    {
        if (::pipe2(m_fd, O_CLOEXEC | O_NONBLOCK) != 0)
            m_fd[0] = m_fd[1] = -1;
    }
    ~WakePipe()
    {
        for (int fd : m_fd)
            if (fd >= 0)
                ::close(fd);
    }
    WakePipe(const WakePipe&) = delete;
    WakePipe& operator=(const WakePipe&) = delete;
    int readFd() const { return m_fd[0]; }
    int writeFd() const { return m_fd[1]; }
    void notify() const
    {
        if (m_fd[1] >= 0)
            [[maybe_unused]] auto n = ::write(m_fd[1], "d", 1);
    }
    /// Empties the pipe; true when the job's done event was among what it held.
    bool drain() const
    {
        bool done = false;
        char buf[64];
        ssize_t n;
        while (m_fd[0] >= 0 && (n = ::read(m_fd[0], buf, sizeof buf)) > 0)
            done = done || std::string_view(buf, static_cast<std::size_t>(n)).find('d') != std::string_view::npos;
        return done;
    }

private:
    int m_fd[2] = {-1, -1};
};

struct CopyCommandOptions {
    std::string source;
    std::string destination;
    std::string srcOffset = "0";
    std::string dstOffset = "0";
    std::string length = "0";
    std::string ioBytes = "4M";
    bool requireOffload = false;
    bool noOffload = false;
    bool crossNamespace = false;
    bool verify = false;
    bool force = false;
    bool truncate = false;
    bool cancelOnStdin = false;
    unsigned ioDepth = 8;
    unsigned offloadDepth = 0; ///< 0: from the command size (defaultOffloadDepth)
};

/// --cancel-on-stdin: the control channel of a caller that cannot signal this process
/// (the desktop app runs it as root through pkexec). A line "cancel" or the end of stdin
/// asks the job to stop; other lines are ignored. Polled without blocking.
class StdinCancel {
public:
    /// True once "cancel" or EOF has been read (or stdin failed).
    bool poll()
    {
        while (!m_requested) {
            pollfd pfd{STDIN_FILENO, POLLIN, 0};
            if (::poll(&pfd, 1, 0) <= 0 || !(pfd.revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)))
                break;
            char buf[256];
            const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                break;
            if (n <= 0) { // EOF: the caller is gone or closed the channel
                m_requested = true;
                break;
            }
            m_pending.append(buf, static_cast<std::size_t>(n));
            std::size_t nl;
            while ((nl = m_pending.find('\n')) != std::string::npos) {
                std::string line = m_pending.substr(0, nl);
                m_pending.erase(0, nl + 1);
                if (!line.empty() && line.back() == '\r')
                    line.pop_back();
                if (line == "cancel")
                    m_requested = true;
            }
        }
        return m_requested;
    }

private:
    std::string m_pending;
    bool m_requested = false;
};

int exitCodeFor(const Error& error)
{
    switch (error.code) {
    case Errc::InvalidArgument: return ExitUsage;
    case Errc::NotFound: return ExitNotFound;
    case Errc::PermissionDenied: return ExitPermission;
    case Errc::Busy: return ExitBusy;
    case Errc::Cancelled: return ExitCancelled;
    case Errc::Unsupported: return ExitNoOffload;
    default: return ExitFailure;
    }
}

nlohmann::json errorJson(const Error& e)
{
    nlohmann::json j{{"code", toString(e.code)}, {"message", e.message()}, {"device", e.device}};
    j["lba"] = e.lba ? nlohmann::json(*e.lba) : nlohmann::json(nullptr);
    if (e.sysErrno)
        j["errno"] = e.sysErrno;
    if (e.nvme)
        j["nvme_status"] = {{"sct", e.nvme->sct}, {"sc", e.nvme->sc}, {"dw0", e.nvme->dw0}};
    if (e.scsi)
        j["scsi_sense"] = {{"key", e.scsi->key}, {"asc", e.scsi->asc}, {"ascq", e.scsi->ascq}};
    return j;
}

nlohmann::json bytesByMethodJson(const BytesByMethod& bytes)
{
    nlohmann::json j = nlohmann::json::object();
    for (std::size_t m = 0; m < kCopyMethodCount; ++m)
        j[toString(static_cast<CopyMethod>(m))] = bytes[m];
    return j;
}

nlohmann::json endpointJson(const CopyEndpoint& ep, const Topology& topology, uint64_t offset)
{
    nlohmann::json j{{"label", ep.label}, {"offset", offset}, {"size_bytes", ep.sizeBytes},
                     {"logical_block_size", ep.blockSize}};
    if (ep.device && *ep.device < topology.size()) {
        j["device"] = topology.at(*ep.device).devPath();
        j["stable_id"] = topology.at(*ep.device).stableId();
    } else {
        j["file"] = ep.file.string();
    }
    return j;
}

nlohmann::json progressJson(const CopyProgress& p)
{
    nlohmann::json j{{"schema_version", kCopySchemaVersion},
                     {"event", "progress"},
                     {"bytes_total", p.totalBytes},
                     {"bytes_done", p.doneBytes},
                     {"bytes_offloaded", p.offloadedBytes},
                     {"bytes_host", p.hostBytes},
                     {"bytes_cloned", p.clonedBytes},
                     {"bytes_by_method", bytesByMethodJson(p.bytesByMethod)},
                     {"rate_bytes_per_second", p.bytesPerSecond},
                     {"elapsed_seconds", p.elapsedSeconds},
                     {"extents_done", p.extentsDone},
                     {"extents_total", p.extentsTotal},
                     {"fallbacks", p.fallbacks},
                     {"verifying", p.verifying}};
    j["eta_seconds"] = p.etaSeconds ? nlohmann::json(*p.etaSeconds) : nlohmann::json(nullptr);
    return j;
}

nlohmann::json fallbackJson(const CopyFallback& f)
{
    nlohmann::json j{{"schema_version", kCopySchemaVersion},
                     {"event", "fallback"},
                     {"extent", f.extent},
                     {"planned_method", toString(f.planned)},
                     {"actual_method", toString(f.actual)},
                     {"src_offset", f.srcOffset},
                     {"dst_offset", f.dstOffset},
                     {"length", f.length},
                     {"reason", f.reason}};
    if (f.deviceAnswer)
        j["device_answer"] = errorJson(*f.deviceAnswer);
    return j;
}

/// Prints JSON lines or human text; serialised because the job's worker thread prints too.
class Output {
public:
    Output(bool json, bool tty)
        : m_json(json)
        , m_bar(stderr, tty && !json)
    {
    }
    bool json() const { return m_json; }
    CopyProgressBar& bar() { return m_bar; }
    void line(const nlohmann::json& j)
    {
        std::lock_guard lock(m_mutex);
        std::cout << j.dump() << '\n' << std::flush;
    }
    void text(const std::string& s)
    {
        m_bar.finish();
        std::lock_guard lock(m_mutex);
        std::cout << s << '\n' << std::flush;
    }
    void warn(const std::string& s)
    {
        if (m_json)
            return;
        m_bar.message("offloadcp: " + s);
    }
    /// Reports an error before or after the job; returns its exit code.
    int fail(const Error& e, int code)
    {
        if (m_json) {
            line({{"schema_version", kCopySchemaVersion}, {"event", "error"}, {"error", errorJson(e)},
                  {"exit_code", code}});
        } else {
            m_bar.finish();
            std::cerr << "offloadcp copy: " << e.message() << '\n';
        }
        return code;
    }

private:
    bool m_json;
    CopyProgressBar m_bar;
    std::mutex m_mutex;
};

std::string methodSummary(const CopyPlan& plan)
{
    std::string out;
    for (std::size_t m = 0; m < kCopyMethodCount; ++m) {
        auto method = static_cast<CopyMethod>(m);
        uint64_t bytes = plan.bytesBy(method);
        if (bytes == 0)
            continue;
        if (!out.empty())
            out += ", ";
        char pct[16];
        std::snprintf(pct, sizeof pct, "%.0f%%", plan.length ? 100.0 * double(bytes) / double(plan.length) : 0.0);
        out += std::string(toString(method)) + " " + CopyProgressBar::bytes(bytes) + " (" + pct + ")";
    }
    return out;
}

void printPlan(Output& out, const CopyPlan& plan)
{
    out.text("Copying " + CopyProgressBar::bytes(plan.length) + " from " + plan.source.label + " (offset "
             + std::to_string(plan.srcOffset) + ") to " + plan.destination.label + " (offset "
             + std::to_string(plan.dstOffset) + ")");
    out.text("  methods: " + methodSummary(plan));
    const std::size_t shown = std::min<std::size_t>(plan.extents.size(), 8);
    for (std::size_t i = 0; i < shown; ++i) {
        const PlannedExtent& e = plan.extents[i];
        out.text("  extent " + std::to_string(i) + ": " + CopyProgressBar::bytes(e.length) + " at "
                 + std::to_string(e.srcOffset) + " -> " + std::to_string(e.dstOffset) + ": " + toString(e.method)
                 + (e.reason.empty() ? "" : " (" + e.reason + ")"));
    }
    if (plan.extents.size() > shown)
        out.text("  ... " + std::to_string(plan.extents.size() - shown) + " more extents (see `offloadcp plan`)");
    for (const std::string& w : plan.warnings)
        out.warn(w);
}

nlohmann::json doneJson(const CopyResult& r, int exitCode)
{
    nlohmann::json j{{"schema_version", kCopySchemaVersion},
                     {"event", "done"},
                     {"status", outcomeName(r)}, // "ok" only with exit code 0
                     {"exit_code", exitCode},
                     {"bytes_total", r.totalBytes},
                     {"bytes_done", r.doneBytes},
                     {"bytes_host", r.hostBytes},
                     {"bytes_offloaded", r.offloadedBytes},
                     {"bytes_cloned", r.clonedBytes},
                     {"bytes_by_method", bytesByMethodJson(r.bytesByMethod)},
                     {"wall_seconds", r.wallSeconds},
                     {"copy_seconds", r.copySeconds},
                     {"cpu_user_seconds", r.cpuUserSeconds},
                     {"cpu_system_seconds", r.cpuSystemSeconds},
                     {"warnings", r.warnings}};
    if (!r.ok())
        j["error"] = errorJson(r.status.error());
    nlohmann::json extents = nlohmann::json::array();
    for (const ExtentResult& e : r.extents)
        extents.push_back({{"index", e.index},
                           {"src_offset", e.srcOffset},
                           {"dst_offset", e.dstOffset},
                           {"length", e.length},
                           {"planned_method", toString(e.planned)},
                           {"actual_method", toString(e.actual)},
                           {"fell_back", e.fellBack},
                           {"reason", e.reason},
                           {"bytes_offloaded", e.offloadedBytes},
                           {"bytes_host", e.hostBytes},
                           {"bytes_cloned", e.clonedBytes},
                           {"seconds", e.seconds},
                           {"completed", e.completed}});
    j["extents"] = extents;
    if (r.verify) {
        nlohmann::json v{{"match", r.verify->match}, {"bytes_compared", r.verify->bytesCompared},
                         {"block_size", r.verify->blockSize}, {"message", r.verify->message()}};
        auto opt = [](const std::optional<uint64_t>& x) { return x ? nlohmann::json(*x) : nlohmann::json(nullptr); };
        v["first_differing_offset"] = opt(r.verify->firstDifferingOffset);
        v["first_differing_dst_lba"] = opt(r.verify->firstDifferingDstLba);
        v["first_differing_src_lba"] = opt(r.verify->firstDifferingSrcLba);
        j["verify"] = v;
    } else {
        j["verify"] = nullptr;
    }
    return j;
}

std::string doneText(const CopyResult& r)
{
    auto rate = [&](uint64_t bytes) {
        return r.copySeconds > 0 ? CopyProgressBar::bytes(uint64_t(double(bytes) / r.copySeconds)) + "/s" : "-";
    };
    char cpu[64];
    std::snprintf(cpu, sizeof cpu, "%.2f s user + %.2f s system", r.cpuUserSeconds, r.cpuSystemSeconds);
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.2f s", r.copySeconds > 0 ? r.copySeconds : r.wallSeconds);
    std::string out;
    if (r.cancelled()) {
        char pct[16];
        std::snprintf(pct, sizeof pct, "%.0f%%", r.totalBytes ? 100.0 * double(r.doneBytes) / double(r.totalBytes) : 0.0);
        out = "Cancelled after copying " + CopyProgressBar::bytes(r.doneBytes) + " of "
              + CopyProgressBar::bytes(r.totalBytes) + " (" + pct + ", " + secs
              + "); the destination range holds a partial copy.";
        return out;
    }
    if (r.ok() && r.doneBytes > 0 && r.clonedBytes == r.doneBytes) {
        // A reflink shares blocks: nothing was copied, so there is no copy rate to give.
        out = "Cloned " + CopyProgressBar::bytes(r.doneBytes) + " of " + CopyProgressBar::bytes(r.totalBytes) + " in "
              + secs + " (reflink: metadata only, no data copied); host CPU " + cpu;
    } else {
        const uint64_t copied = r.doneBytes - r.clonedBytes;
        out = std::string(r.ok() ? "Copied " : "Stopped after ") + CopyProgressBar::bytes(r.doneBytes) + " of "
              + CopyProgressBar::bytes(r.totalBytes) + " in " + secs + " (" + rate(copied)
              + (r.clonedBytes ? " for the bytes not cloned" : "") + "): " + CopyProgressBar::bytes(r.offloadedBytes)
              + " offloaded" + (r.clonedBytes ? " (" + CopyProgressBar::bytes(r.clonedBytes) + " of it cloned)" : "")
              + ", " + CopyProgressBar::bytes(r.hostBytes) + " through the host; host CPU " + cpu;
    }
    if (!r.fallbacks.empty()) {
        const bool allHost = std::all_of(r.fallbacks.begin(), r.fallbacks.end(),
                                         [](const CopyFallback& f) { return f.actual == CopyMethod::ReadWrite; });
        out += "\n  " + std::to_string(r.fallbacks.size()) + " range(s) fell back to "
               + (allHost ? "read/write" : "a slower method") + " (see above)";
    }
    if (r.verify)
        out += "\n  verify: " + r.verify->message();
    return out;
}

int runCopy(const CopyCommandOptions& o, const GlobalOptions& global)
{
    Output out(global.json, ::isatty(STDERR_FILENO) == 1);
    if (o.requireOffload && o.noOffload)
        return out.fail(Error::invalid("--require-offload and --no-offload contradict each other"), ExitUsage);
    if (!global.fixture.empty())
        return out.fail(Error::invalid("copy works on this machine's devices only, not on a --fixture",
                                       "use `offloadcp plan --fixture` to see what a copy would do"),
                        ExitUsage);

    uint64_t sizes[4] = {};
    const std::pair<const char*, const std::string*> sizeOptions[4] = {
        {"--src-offset", &o.srcOffset}, {"--dst-offset", &o.dstOffset}, {"--length", &o.length}, {"--io-size", &o.ioBytes}};
    for (std::size_t i = 0; i < 4; ++i) {
        auto value = parseByteSize(*sizeOptions[i].second);
        if (!value) {
            Error e = value.error();
            e.what = std::string(sizeOptions[i].first) + ": " + e.what;
            return out.fail(e, ExitUsage);
        }
        sizes[i] = *value;
    }
    if (sizes[3] < 4096 || sizes[3] > (256u << 20) || sizes[3] % 4096 != 0)
        return out.fail(Error::invalid("--io-size must be a multiple of 4 KiB between 4K and 256M"), ExitUsage);

    // Read and probe only the two stacks of this copy: the machine's other devices cost
    // nothing and get no commands.
    ScanOptions scanOptions;
    scanOptions.around = endpointDevNums({o.source, o.destination});
    scanOptions.probeOnly = [&](const Topology& t) {
        if (global.privileged && !global.privileged->checkEndpoints(t, o.source, o.destination))
            return std::vector<std::size_t>{}; // refused below; probe nothing
        return endpointDevices(t, o.source, o.destination);
    };
    auto snapshot = scanSystem(scanOptions);
    if (!snapshot)
        return out.fail(snapshot.error(), exitCodeFor(snapshot.error()));
    std::shared_ptr<const Topology> topology = snapshot->topology;

    auto src = resolveEndpoint(*topology, o.source, EndpointRole::Source);
    if (!src)
        return out.fail(src.error(), exitCodeFor(src.error()));
    auto dst = resolveEndpoint(*topology, o.destination, EndpointRole::Destination);
    if (!dst)
        return out.fail(dst.error(), exitCodeFor(dst.error()));
    if (global.privileged) {
        for (auto [spec, endpoint] : {std::pair{&o.source, &*src}, std::pair{&o.destination, &*dst}})
            if (Status allowed = global.privileged->checkResolved(*topology, *spec, *endpoint); !allowed)
                return out.fail(allowed.error(), ExitPermission);
    }

    if (o.truncate && dst->device)
        return out.fail(Error::make(Errc::InvalidArgument, dst->label,
                                    "--truncate applies to a regular-file destination, not a block device",
                                    "leave out --truncate"),
                        ExitUsage);

    CopyRequest request;
    request.source = *src;
    request.destination = *dst;
    request.srcOffset = sizes[0];
    request.dstOffset = sizes[1];
    request.length = sizes[2];
    request.noOffload = o.noOffload;
    request.forceCrossNamespace = o.crossNamespace;
    auto plan = planCopy(*topology, snapshot->capabilities, request);
    if (!plan)
        return out.fail(plan.error(), exitCodeFor(plan.error()));
    if (o.noOffload)
        *plan = withoutOffload(std::move(*plan), "--no-offload");
    if (o.requireOffload && plan->offloadedBytes() < plan->length) {
        std::string why;
        for (const PlannedExtent& e : plan->extents) {
            if (!offloads(e)) {
                why = e.reason;
                break;
            }
        }
        Error e = Error::make(Errc::Unsupported, plan->source.label,
                              "--require-offload: " + CopyProgressBar::bytes(plan->length - plan->offloadedBytes())
                                  + " of the range cannot be offloaded" + (why.empty() ? "" : " (" + why + ")"),
                              "see `offloadcp plan` for every extent's reason; nothing was written");
        return out.fail(e, ExitNoOffload);
    }

    // Refuse before saying "start": a mounted or held destination, overlap, sizes. (The job
    // checks again; this gives the refusal without a half-started copy in the output.)
    auto safety = checkCopySafety(*topology, *plan, SafetyOptions{o.force});
    if (!safety)
        return out.fail(safety.error(), exitCodeFor(safety.error()));

    if (out.json()) {
        nlohmann::json start{{"schema_version", kCopySchemaVersion},
                             {"event", "start"},
                             {"source", endpointJson(plan->source, *topology, plan->srcOffset)},
                             {"destination", endpointJson(plan->destination, *topology, plan->dstOffset)},
                             {"length", plan->length},
                             {"offloaded_share", plan->offloadedShare()},
                             {"verify", o.verify},
                             {"warnings", plan->warnings}};
        nlohmann::json extents = nlohmann::json::array();
        for (const PlannedExtent& e : plan->extents)
            extents.push_back({{"src_offset", e.srcOffset},
                               {"dst_offset", e.dstOffset},
                               {"length", e.length},
                               {"method", toString(e.method)},
                               {"reason", e.reason}});
        start["extents"] = extents;
        out.line(start);
    } else {
        printPlan(out, *plan);
    }

    CopyOptions options;
    options.verify = o.verify;
    options.force = o.force;
    options.requireOffload = o.requireOffload;
    options.truncateDestination = o.truncate;
    options.ioBytes = static_cast<uint32_t>(sizes[3]);
    options.ioDepth = o.ioDepth;
    options.offloadInFlight = o.offloadDepth;
    options.progressInterval = std::chrono::milliseconds(out.json() ? 500 : 100);

    // A bar or a JSON stream shows a clock: when the worker waits for one long command and
    // sends no event, the main thread shows the job's snapshot once a second (the relay).
    const bool clock = out.json() || out.bar().enabled();
    ProgressRelay relay([&](const CopyProgress& p) {
        if (out.json())
            out.line(progressJson(p));
        else
            out.bar().update(p);
    });
    CopyEvents events;
    events.progress = [&relay](const CopyProgress& p) { relay.event(p); };
    events.fallback = [&](const CopyFallback& f) {
        if (out.json())
            out.line(fallbackJson(f));
        else if (f.actual == CopyMethod::CopyFileRange) // a declined reflink; copy_file_range did the rest
            out.warn("no reflink for " + CopyProgressBar::bytes(f.length) + " at source offset "
                     + std::to_string(f.srcOffset) + " (" + f.reason + "): copied with copy_file_range instead");
        else
            out.warn("falling back to read/write for " + CopyProgressBar::bytes(f.length) + " at source offset "
                     + std::to_string(f.srcOffset) + ": " + f.reason);
    };

    // The main thread sleeps on a pipe until the job is done (its done event), Ctrl-C (the
    // signal handler), with --cancel-on-stdin input arrives, or with a clock to show, a
    // second passes without a progress event. Otherwise it does not poll: the job always
    // ends with the done event. Without a pipe (pipe2 failed) it looks once a second.
    WakePipe wake;
    events.done = [&wake](const CopyResult&) { wake.notify(); };
    g_wakeFd = wake.writeFd();

    // Ctrl-C cancels cleanly; a second one kills (SA_RESETHAND).
    struct sigaction sa {};
    sa.sa_handler = onInterrupt;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    struct sigaction oldInt {};
    struct sigaction oldTerm {};
    sigaction(SIGINT, &sa, &oldInt);
    sigaction(SIGTERM, &sa, &oldTerm);

    auto job = CopyJob::start(topology, snapshot->capabilities, std::move(*plan), options, events);
    StdinCancel stdinCancel;
    const CopyResult* result = nullptr;
    bool told = false;
    while (!(result = job->waitFor(std::chrono::milliseconds(0)))) {
        int pollTimeout = wake.readFd() >= 0 ? -1 : 1000;
        if (clock)
            pollTimeout = static_cast<int>(std::min<int64_t>(relay.untilDue().count() + 1, 1000));
        pollfd fds[2] = {{wake.readFd(), POLLIN, 0}, {o.cancelOnStdin && !told ? STDIN_FILENO : -1, POLLIN, 0}};
        const int ready = ::poll(fds, 2, pollTimeout);
        if (ready > 0 && (fds[0].revents & POLLIN) && wake.drain()) {
            result = &job->wait(); // the done event: the result follows at once
            break;
        }
        if (ready == 0 && clock)
            relay.heartbeat([&job] { return job->progress(); });
        const bool asked = o.cancelOnStdin && !told && stdinCancel.poll();
        if ((g_interrupted || asked) && !told) {
            job->cancel(); // the job's stop token
            told = true;
            out.warn(std::string(asked ? "cancel requested on stdin" : "interrupted")
                     + ": stopping after the I/Os in flight...");
        }
    }
    g_wakeFd = -1;
    sigaction(SIGINT, &oldInt, nullptr);
    sigaction(SIGTERM, &oldTerm, nullptr);
    out.bar().finish();

    const CopyResult& r = *result;
    int code = ExitOk;
    if (!r.ok())
        code = exitCodeFor(r.status.error());
    else if (r.verify && !r.verify->match)
        code = ExitVerifyMismatch;

    for (const std::string& w : r.warnings)
        out.warn(w);
    if (out.json()) {
        out.line(doneJson(r, code));
    } else {
        if (!r.ok() && !r.cancelled())
            std::cerr << "offloadcp copy: " << r.status.error().message() << '\n';
        out.text(doneText(r));
    }
    return code;
}

} // namespace

void addCopyCommand(CLI::App& app, GlobalOptions& global, Runner& run)
{
    auto o = std::make_shared<CopyCommandOptions>();
    CLI::App* cmd = app.add_subcommand(
        "copy", "Copy SRC to DST (block devices or regular files), offloading to the device where the stacks allow");
    cmd->add_option("SRC", o->source, "source volume (/dev path, dm name, stable id) or regular file")->required();
    cmd->add_option("DST", o->destination, "destination volume or regular file")->required();
    cmd->add_option("--src-offset", o->srcOffset, std::string("offset in SRC, ") + kByteSizeHelp);
    cmd->add_option("--dst-offset", o->dstOffset, "offset in DST (same forms)");
    cmd->add_option("--length", o->length, "how much to copy (same forms; default: to the end of SRC)");
    auto* require = cmd->add_flag("--require-offload", o->requireOffload,
                                  "fail (exit 6) unless the device copies every byte (files: a reflink or a server-side copy); "
                                  "nothing is written then");
    auto* none = cmd->add_flag("--no-offload", o->noOffload, "copy through the host only (io_uring read/write)");
    require->excludes(none);
    cmd->add_flag("--cross-namespace", o->crossNamespace, kCrossNamespaceHelp)->excludes(none);
    cmd->add_flag("--verify", o->verify, "read both ranges back with O_DIRECT and compare (exit 7 on a difference)");
    cmd->add_flag("--force", o->force,
                  "allow a destination that is mounted or held by another device (never one that is read-only "
                  "at any layer below it: exit 2)");
    cmd->add_flag("--truncate", o->truncate,
                  "regular-file DST: end it where the copied range ends, as cp does (default: keep its bytes "
                  "beyond the range, like dd conv=notrunc)");
    cmd->add_option("--io-size", o->ioBytes, "host copy: bytes per I/O (default 4M)");
    cmd->add_option("--io-depth", o->ioDepth, "host copy: I/Os in flight (default 8)")->check(CLI::Range(1, 64));
    cmd->add_option("--offload-depth", o->offloadDepth,
                    "offload: copy commands in flight (default: as many as fit in 32 MiB, 1 to 4)")
        ->check(CLI::Range(1, 32));
    cmd->add_flag("--cancel-on-stdin", o->cancelOnStdin,
                  "cancel (exit 130) when stdin reads a line \"cancel\" or ends: for callers that cannot signal a "
                  "privileged copy");
    cmd->add_flag("--json", global.json, "one JSON object per line: start, progress, fallback, done");
    cmd->callback([o, &global, &run] { run = [o, &global] { return runCopy(*o, global); }; });
}

} // namespace offload::cli
