// SPDX-License-Identifier: GPL-2.0-or-later
// A captured fixture tree (`--fixture DIR`: sys/ attributes, dmsetup-table.txt, mountinfo,
// swaps, probe/ bytes), read by scanSystem and judged by volumeVerdict, as `report --fixture`
// does, and copies between its leaves planned by planCopy, as `plan --fixture` does. At start the lab fixture lab-dm-mixed (or $OFFLOADCP_FUZZ_FIXTURE) is copied into a
// private directory on tmpfs (/dev/shm, else $TMPDIR); each input then replaces the contents
// of some of its files and the tree is scanned. An input is records separated by NUL bytes,
// each "<path relative to the tree>\n<new contents>"; a path that is no regular file of the
// template is ignored, so nothing outside the copy is ever written. The files are restored
// after each run. The tree's directories and links stay as captured.
#include "FuzzInput.h"

#include "capability/Scan.h"
#include "capability/Verdict.h"
#include "copy/CopyPlanner.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <cerrno>
#include <csignal>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

constexpr uint64_t kMaxVerdictBytes = 64ull << 20; // larger volumes: topology only (speed)

struct Tree {
    fs::path dir;
    std::map<std::string, std::string> original; ///< relative path -> contents, every regular file
};

Tree* tree = nullptr;

std::string readAll(const fs::path& file)
{
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeAll(const fs::path& file, std::string_view contents)
{
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
}

void removeTree()
{
    if (tree) {
        std::error_code ec;
        fs::remove_all(tree->dir, ec);
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    const char* env = std::getenv("OFFLOADCP_FUZZ_FIXTURE");
    const fs::path source = env && *env ? fs::path(env) : fs::path(OFFLOADCP_FUZZ_FIXTURE);
    const fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    // A run that crashed (abort skips atexit) left its copy behind: remove those whose
    // process is gone.
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(base, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.starts_with("offloadcp-fuzz-tree-")
            && ::kill(static_cast<pid_t>(std::atol(name.c_str() + 20)), 0) != 0 && errno == ESRCH)
            fs::remove_all(entry.path(), ec);
    }
    tree = new Tree;
    tree->dir = base / ("offloadcp-fuzz-tree-" + std::to_string(::getpid()));
    fs::remove_all(tree->dir);
    // The fixture's links inside sys/ are kept as links; its probe/ (a link to a shared
    // folder in some fixtures) is copied as a folder.
    fs::copy(source, tree->dir, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    if (fs::is_symlink(tree->dir / "probe")) {
        fs::remove(tree->dir / "probe");
        fs::copy(fs::canonical(source / "probe"), tree->dir / "probe", fs::copy_options::recursive);
    }
    for (const auto& entry : fs::recursive_directory_iterator(tree->dir))
        if (entry.is_regular_file() && !entry.is_symlink())
            tree->original[fs::relative(entry.path(), tree->dir).string()] = readAll(entry.path());
    std::atexit(removeTree);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size)
{
    using namespace offload;
    std::vector<std::string> changed;
    for (std::string_view record : fuzz::split(fuzz::text(data, size), '\0', 64)) {
        const auto newline = record.find('\n');
        if (newline == std::string_view::npos)
            continue;
        const std::string path(record.substr(0, newline));
        if (!tree->original.contains(path))
            continue;
        writeAll(tree->dir / path, record.substr(newline + 1));
        changed.push_back(path);
    }

    ScanOptions options;
    options.fixture = tree->dir;
    if (auto snapshot = scanSystem(options)) {
        const Topology& topology = *snapshot->topology;
        OFFLOADCP_FUZZ_CHECK(snapshot->capabilities.devices.size() == topology.size());
        for (const BlockDevice& dev : topology.devices()) {
            OFFLOADCP_FUZZ_CHECK(dev.index < topology.size());
            for (std::size_t lower : dev.lowers)
                OFFLOADCP_FUZZ_CHECK(lower < topology.size() && lower != dev.index);
            (void)dev.stableId();
            (void)topology.leavesOf(dev.index);
            if (dev.sizeBytes <= kMaxVerdictBytes)
                (void)volumeVerdict(topology, snapshot->capabilities, dev.index);
        }
        // A copy of the first MiB from each device onto the next one and onto its own second MiB.
        for (std::size_t s = 0; s < topology.size(); ++s) {
            for (const std::size_t d : {(s + 1) % topology.size(), s}) {
                CopyRequest request;
                request.source = deviceEndpoint(topology, s);
                request.destination = deviceEndpoint(topology, d);
                request.length = 1 << 20;
                request.dstOffset = s == d ? 1 << 20 : 0;
                if (auto plan = planCopy(topology, snapshot->capabilities, request)) {
                    uint64_t planned = 0;
                    for (const PlannedExtent& e : plan->extents)
                        planned += e.length;
                    OFFLOADCP_FUZZ_CHECK(planned == plan->length);
                }
            }
        }
    }

    for (const std::string& path : changed)
        writeAll(tree->dir / path, tree->original.at(path));
    return 0;
}
