// SPDX-License-Identifier: GPL-2.0-or-later
// scanSystem: a fixture tree (tests/fixtures/scan-unit: a small sys/ tree whose probe/
// folder holds the hand-built bytes, also reached as tests/fixtures/probe-unit) and a quiet
// live scan of this machine.
#ifndef Q_MOC_RUN // moc 6.4 cannot parse the C++23 library headers
#include "capability/Scan.h"
#include "copy/CopyPlanner.h"
#include "copy/CopySafety.h"
#include "copy/EndpointResolver.h"
#include "transport/NvmeTransport.h"
#include "transport/ScsiTransport.h"
#endif

#include <QtTest>

#include <QTemporaryDir>

#include <fstream>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

using namespace offload;

namespace {

const std::filesystem::path kFixture = std::filesystem::path(OFFLOADCP_FIXTURES) / "scan-unit";

const DeviceCapability* capabilityOf(const SystemSnapshot& snap, const std::string& name)
{
    for (const auto& dev : snap.topology->devices())
        if (dev.name == name)
            return &snap.capabilities.at(dev.index);
    return nullptr;
}

/// Counts calls; answers nothing. Proves which transport scanSystem used.
class SilentNvme final : public NvmeTransport {
public:
    Result<std::vector<uint8_t>> identifyController(const BlockDevice& ns) override { return no(ns); }
    Result<std::vector<uint8_t>> identifyNamespace(const BlockDevice& ns) override { return no(ns); }
    Status copy(const BlockDevice& ns, const NvmeCopyCommand&) override { return std::unexpected(no(ns).error()); }
    int calls = 0;

private:
    Result<std::vector<uint8_t>> no(const BlockDevice& ns)
    {
        ++calls;
        return std::unexpected(Error::make(Errc::PermissionDenied, ns.name, "test"));
    }
};

/// Answers from a fixture's probe bytes and records which devices were asked.
class RecordingNvme final : public NvmeTransport {
public:
    explicit RecordingNvme(const std::filesystem::path& probe) : m_inner(makeFixtureNvmeTransport(probe)) {}
    Result<std::vector<uint8_t>> identifyController(const BlockDevice& ns) override
    {
        asked.insert(ns.name);
        return m_inner->identifyController(ns);
    }
    Result<std::vector<uint8_t>> identifyNamespace(const BlockDevice& ns) override
    {
        asked.insert(ns.name);
        return m_inner->identifyNamespace(ns);
    }
    Status copy(const BlockDevice& ns, const NvmeCopyCommand& c) override { return m_inner->copy(ns, c); }
    std::set<std::string> asked;

private:
    std::unique_ptr<NvmeTransport> m_inner;
};

class RecordingScsi final : public ScsiTransport {
public:
    explicit RecordingScsi(const std::filesystem::path& probe) : m_inner(makeFixtureScsiTransport(probe)) {}
    Result<std::vector<uint8_t>> inquiry(const BlockDevice& lun) override
    {
        asked.insert(lun.name);
        return m_inner->inquiry(lun);
    }
    Result<std::vector<uint8_t>> vpdPage(const BlockDevice& lun, uint8_t page) override
    {
        asked.insert(lun.name);
        return m_inner->vpdPage(lun, page);
    }
    Result<std::vector<uint8_t>> receiveCopyOperatingParameters(const BlockDevice& lun) override
    {
        asked.insert(lun.name);
        return m_inner->receiveCopyOperatingParameters(lun);
    }
    Status extendedCopy(const BlockDevice& lun, const std::vector<uint8_t>& list) override
    {
        return m_inner->extendedCopy(lun, list);
    }
    Result<std::vector<uint8_t>> receiveCopyResults(const BlockDevice& lun, uint8_t sa, uint8_t id) override
    {
        return m_inner->receiveCopyResults(lun, sa, id);
    }
    std::set<std::string> asked;

private:
    std::unique_ptr<ScsiTransport> m_inner;
};

/// The methods and reasons of planning SRC -> DST (whole source) on a snapshot.
std::vector<std::string> planned(const SystemSnapshot& snap, const std::string& src, const std::string& dst)
{
    CopyRequest request;
    request.source = *resolveEndpoint(*snap.topology, src, EndpointRole::Source);
    request.destination = *resolveEndpoint(*snap.topology, dst, EndpointRole::Destination);
    auto plan = planCopy(*snap.topology, snap.capabilities, request);
    if (!plan)
        return {"error: " + plan.error().message()};
    std::vector<std::string> out;
    for (const PlannedExtent& e : plan->extents)
        out.push_back(std::to_string(e.srcOffset) + " " + std::to_string(e.length) + " " + toString(e.method) + " "
                      + e.reason);
    return out;
}

/// Plan of SRC -> DST (64 MiB at most) with its safety verdict, device indexes replaced
/// by names: comparable between two topologies of one machine.
std::string planAndVerdict(const SystemSnapshot& snap, const std::string& src, const std::string& dst)
{
    const Topology& t = *snap.topology;
    CopyRequest request;
    request.source = deviceEndpoint(t, t.find(src)->index);
    request.destination = deviceEndpoint(t, t.find(dst)->index);
    request.length = std::min<uint64_t>({request.source.sizeBytes, request.destination.sizeBytes, 64ull << 20});
    auto plan = planCopy(t, snap.capabilities, request);
    if (!plan)
        return "error: " + plan.error().message();
    std::string out;
    for (const PlannedExtent& e : plan->extents)
        out += std::to_string(e.length) + " " + toString(e.method) + " " + e.reason + "\n";
    for (const NvmeCopyStep& step : plan->nvmeSteps) {
        out += "nvme " + t.at(step.ns).name + " " + std::to_string(step.format) + " @" + std::to_string(step.sdlba);
        for (const auto& r : step.ranges)
            out += " " + std::to_string(r.slba) + "+" + std::to_string(r.blocks);
        out += "\n";
    }
    for (const XcopyStep& step : plan->xcopySteps) {
        out += "xcopy " + t.at(step.srcLun).name + ">" + t.at(step.dstLun).name;
        for (const auto& g : step.segments)
            out += " " + std::to_string(g.srcLba) + ">" + std::to_string(g.dstLba) + "+" + std::to_string(g.blocks);
        out += "\n";
    }
    auto verdict = checkCopySafety(t, *plan, SafetyOptions{});
    out += verdict ? "safe" : "refused: " + verdict.error().message();
    if (verdict)
        for (const auto& w : *verdict)
            out += "; " + w;
    return out;
}

/// What the reader found about one device, other devices by name.
std::string described(const Topology& t, const BlockDevice& d)
{
    std::string out = d.name + " " + toString(d.kind) + " " + d.devnum.str() + " " + std::to_string(d.sizeBytes) + " "
                      + std::to_string(d.logicalBlockSize) + "/" + std::to_string(d.physicalBlockSize) + " "
                      + d.stableId() + " ro=" + std::to_string(d.readOnly) + " lowers:";
    for (std::size_t l : d.lowers)
        out += " " + t.at(l).name;
    out += " mounts:";
    for (const auto& m : d.mountpoints)
        out += " " + m;
    if (d.dm)
        for (const auto& seg : d.dm->table)
            out += " | " + std::to_string(seg.start) + " " + std::to_string(seg.length) + " " + seg.target + " "
                   + seg.params;
    if (d.nvme)
        out += " nvme " + d.nvme->serial + " " + d.nvme->controller + " " + std::to_string(d.nvme->nsid);
    if (d.scsi)
        out += " scsi " + d.scsi->hctl + " " + d.scsi->wwid;
    for (const auto& w : d.warnings)
        out += " warning: " + w;
    return out;
}

/// The devices a read around `seeds` must hold: what is built on them up to the top, and
/// everything under those, from the full topology's edges.
std::set<std::string> expectedAround(const Topology& full, const std::vector<std::size_t>& seeds)
{
    std::set<std::size_t> up(seeds.begin(), seeds.end());
    std::vector<std::size_t> work(seeds.begin(), seeds.end());
    while (!work.empty()) {
        const std::size_t i = work.back();
        work.pop_back();
        for (std::size_t u : full.at(i).uppers)
            if (up.insert(u).second)
                work.push_back(u);
    }
    std::set<std::size_t> all = up;
    work.assign(up.begin(), up.end());
    while (!work.empty()) {
        const std::size_t i = work.back();
        work.pop_back();
        for (std::size_t l : full.at(i).lowers)
            if (all.insert(l).second)
                work.push_back(l);
    }
    std::set<std::string> names;
    for (std::size_t i : all)
        names.insert(full.at(i).name);
    return names;
}

std::set<std::string> namesOf(const Topology& t)
{
    std::set<std::string> names;
    for (const auto& d : t.devices())
        names.insert(d.name);
    return names;
}

} // namespace

class TestScan : public QObject {
    Q_OBJECT
private slots:
    void fixtureScanProbesFromCapturedBytes()
    {
        ScanOptions options;
        options.fixture = kFixture;
        auto snap = scanSystem(options);
        QVERIFY2(snap.has_value(), snap ? "" : snap.error().message().c_str());
        QCOMPARE(snap->capabilities.devices.size(), snap->topology->size());

        const auto* nvme0 = capabilityOf(*snap, "nvme0n1");
        QVERIFY(nvme0);
        QCOMPARE(nvme0->mechanism, CopyMechanism::NvmeCopy);
        QCOMPARE(nvme0->nvme->mcl, 1024u);

        const auto* nvme1 = capabilityOf(*snap, "nvme1n1");
        QVERIFY(nvme1);
        QCOMPARE(nvme1->mechanism, CopyMechanism::None);
        QCOMPARE(nvme1->reason, std::string("controller has no Copy command (ONCS bit 8 clear)"));

        const auto* part = capabilityOf(*snap, "nvme0n1p1");
        QVERIFY(part);
        QCOMPARE(part->status, ProbeStatus::NotApplicable);

        const auto* sda = capabilityOf(*snap, "sda");
        QVERIFY(sda);
        QCOMPARE(sda->mechanism, CopyMechanism::ScsiXcopy);
        QCOMPARE(sda->scsi->maxSegmentLength, 256u << 20);

        const auto* sdb = capabilityOf(*snap, "sdb");
        QVERIFY(sdb);
        QVERIFY(sdb->reason.starts_with("no 3PC"));

        const auto* loop = capabilityOf(*snap, "loop0");
        QVERIFY(loop);
        QCOMPARE(loop->reason, std::string("loop device: the loop driver has no copy command"));

        const auto* vda = capabilityOf(*snap, "vda");
        QVERIFY(vda);
        QCOMPARE(vda->reason, std::string("virtio-blk: no copy offload command"));
    }

    void injectedTransportWins()
    {
        SilentNvme nvme;
        ScanOptions options;
        options.fixture = kFixture;
        options.nvme = &nvme;
        auto snap = scanSystem(options);
        QVERIFY(snap.has_value());
        QCOMPARE(nvme.calls, 2); // one Identify Controller per namespace, then it stops
        QCOMPARE(capabilityOf(*snap, "nvme0n1")->status, ProbeStatus::NeedsRoot);
        QCOMPARE(capabilityOf(*snap, "nvme0n1")->reason, std::string("unknown: needs root"));
        QCOMPARE(capabilityOf(*snap, "sda")->mechanism, CopyMechanism::ScsiXcopy); // fixture SCSI still used
    }

    void otherSysfsRootIsNotProbed()
    {
        ScanOptions options;
        options.sysfsRoot = kFixture / "sys";
        auto snap = scanSystem(options);
        QVERIFY2(snap.has_value(), snap ? "" : snap.error().message().c_str());
        const auto* nvme0 = capabilityOf(*snap, "nvme0n1");
        QVERIFY(nvme0);
        QCOMPARE(nvme0->status, ProbeStatus::Failed);
        QVERIFY2(nvme0->reason.find("not probed") != std::string::npos, nvme0->reason.c_str());
        QCOMPARE(capabilityOf(*snap, "loop0")->status, ProbeStatus::NotApplicable);
    }

    void labCaptureScansEndToEnd()
    {
        // The QEMU lab's capture (tests/fixtures/lab-devices): sysfs tree + probe bytes from
        // real QEMU 10 namespaces and LIO LUNs, names as in lab-env.txt.
        ScanOptions options;
        options.fixture = std::filesystem::path(OFFLOADCP_FIXTURES) / "lab-devices";
        auto snap = scanSystem(options);
        QVERIFY2(snap.has_value(), snap ? "" : snap.error().message().c_str());
        const auto* small = capabilityOf(*snap, "nvme0n1"); // NS_SMALL: mssrl=256 mcl=1024 msrc=7
        QVERIFY(small);
        QCOMPARE(small->mechanism, CopyMechanism::NvmeCopy);
        QCOMPARE(small->nvme->mssrl, 256u);
        QCOMPARE(small->nvme->mcl, 1024u);
        QCOMPARE(small->nvme->msrc, 7u);
        const auto* fourK = capabilityOf(*snap, "nvme1n2"); // NS_4K
        QVERIFY(fourK);
        QCOMPARE(fourK->nvme->lbaBytes, 4096u);
        const auto* part = capabilityOf(*snap, "nvme1n1p1");
        QVERIFY(part);
        QCOMPARE(part->status, ProbeStatus::NotApplicable);
        const auto* lio = capabilityOf(*snap, "sda"); // SD_T1A
        QVERIFY(lio);
        QCOMPARE(lio->mechanism, CopyMechanism::ScsiXcopy);
        const auto* no3pc = capabilityOf(*snap, "sdd"); // SD_T1N, emulate_3pc=0
        QVERIFY(no3pc);
        QVERIFY(no3pc->reason.starts_with("no 3PC"));
        const auto* virtio = capabilityOf(*snap, "vda");
        QVERIFY(virtio);
        QCOMPARE(virtio->reason, std::string("virtio-blk: no copy offload command"));
        const auto* loop = capabilityOf(*snap, "loop0");
        QVERIFY(loop);
        QCOMPARE(loop->reason, std::string("loop device: the loop driver has no copy command"));
    }

    void probeOnlyTheStacksACommandUses()
    {
        // `copy lab_mix lab_slin` (lab-all): lab_mix is on nvme0n3 and sda, lab_slin on sda
        // and sdb1. Only those leaves are asked; the machine's other namespaces and LUNs get
        // no command, are "skipped", and the plan is the one a full scan gives.
        const auto fixture = std::filesystem::path(OFFLOADCP_FIXTURES) / "lab-all";
        RecordingNvme nvme(fixture / "probe");
        RecordingScsi scsi(fixture / "probe");
        ScanOptions options;
        options.fixture = fixture;
        options.nvme = &nvme;
        options.scsi = &scsi;
        options.probeOnly = [](const Topology& t) { return endpointDevices(t, "lab_mix", "/dev/mapper/lab_slin"); };
        auto scoped = scanSystem(options);
        QVERIFY2(scoped.has_value(), scoped ? "" : scoped.error().message().c_str());
        QCOMPARE(nvme.asked, (std::set<std::string>{"nvme0n3"}));
        QCOMPARE(scsi.asked, (std::set<std::string>{"sda", "sdb"}));
        QCOMPARE(capabilityOf(*scoped, "nvme0n3")->status, ProbeStatus::Ok);
        QCOMPARE(capabilityOf(*scoped, "sdb")->status, ProbeStatus::Ok);
        for (const char* other : {"nvme0n1", "nvme1n2", "nvme2n1", "sdc", "sde"}) {
            const auto* cap = capabilityOf(*scoped, other);
            QCOMPARE(cap->status, ProbeStatus::Skipped);
            QVERIFY2(cap->reason.starts_with("unknown: not probed"), cap->reason.c_str());
        }
        QCOMPARE(capabilityOf(*scoped, "loop0")->status, ProbeStatus::NotApplicable);

        RecordingNvme allNvme(fixture / "probe");
        RecordingScsi allScsi(fixture / "probe");
        options.nvme = &allNvme;
        options.scsi = &allScsi;
        options.probeOnly = nullptr;
        auto full = scanSystem(options);
        QVERIFY(full.has_value());
        QVERIFY(allNvme.asked.size() > 3);
        QVERIFY(allScsi.asked.size() > 3);
        QCOMPARE(planned(*scoped, "lab_mix", "lab_slin"), planned(*full, "lab_mix", "lab_slin"));
        QVERIFY(!planned(*full, "lab_mix", "lab_slin").empty());

        // Names that are no device (a typo, a file) add nothing to probe.
        QCOMPARE(endpointDevices(*full->topology, "no-such-device", "/tmp"), std::vector<std::size_t>{});
    }

    void readOnlyTheStacksACommandUses()
    {
        // `copy` and `plan` read only the devices around their source and destination. For
        // every ordered pair of lab-all's devices: the read holds exactly the two stacks (down
        // to the leaves), what is built on the two (up to the top) and the stacks under that;
        // each device it holds is described as the full read describes it; and the plan, its
        // commands and the safety verdict (held, mounted, built on the other, overlapping)
        // are the full read's.
        const auto fixture = std::filesystem::path(OFFLOADCP_FIXTURES) / "lab-all";
        ScanOptions options;
        options.fixture = fixture;
        auto full = scanSystem(options);
        QVERIFY(full.has_value());
        const Topology& ft = *full->topology;
        std::map<std::string, std::string> fullDescription;
        for (const auto& d : ft.devices())
            fullDescription[d.name] = described(ft, d);

        std::size_t pairs = 0;
        std::size_t smaller = 0;
        std::set<std::string> verdicts;
        for (const BlockDevice& a : ft.devices()) {
            for (const BlockDevice& b : ft.devices()) {
                if (a.index == b.index || a.sizeBytes == 0 || b.sizeBytes == 0)
                    continue;
                options.around = std::vector<DevNum>{a.devnum, b.devnum};
                options.probeOnly = [&](const Topology& t) { return endpointDevices(t, a.name, b.name); };
                auto part = scanSystem(options);
                QVERIFY(part.has_value());
                const std::string pair = a.name + " -> " + b.name;
                QCOMPARE(namesOf(*part->topology), expectedAround(ft, {a.index, b.index}));
                for (const auto& d : part->topology->devices())
                    QVERIFY2(described(*part->topology, d) == fullDescription[d.name],
                             (pair + ":\n" + described(*part->topology, d) + "\nvs\n" + fullDescription[d.name]).c_str());
                const std::string mine = planAndVerdict(*part, a.name, b.name);
                const std::string theirs = planAndVerdict(*full, a.name, b.name);
                QVERIFY2(mine == theirs, (pair + ":\n" + mine + "\nvs\n" + theirs).c_str());
                verdicts.insert(mine.substr(mine.rfind('\n') + 1, 40));
                smaller += part->topology->size() < ft.size();
                ++pairs;
            }
        }
        QVERIFY(pairs > 500);
        QCOMPARE(smaller, pairs);
        QVERIFY(verdicts.size() > 3); // safe, held, built on the other, overlapping, ...

        // lab_slin (sda + sdb1): its leaves and sdb1's disk; no other namespace or LUN.
        options.around = std::vector<DevNum>{ft.find("lab_slin")->devnum};
        options.probeOnly = nullptr;
        auto slin = scanSystem(options);
        QVERIFY(slin.has_value());
        QCOMPARE(namesOf(*slin->topology), (std::set<std::string>{"dm-8", "sda", "sdb", "sdb1"}));
        // A number that is no device adds nothing.
        options.around = std::vector<DevNum>{DevNum{4095, 4095}};
        auto none = scanSystem(options);
        QVERIFY(none.has_value());
        QCOMPARE(none->topology->size(), std::size_t(0));
    }

    void readAroundFollowsDevBlockLinks()
    {
        // A live /sys has dev/block/MAJ:MIN links: the read starts there and never touches
        // the other devices. Proof: a device whose number cannot be read warns in a full
        // read and is not even looked at in a read around another device.
        const auto fixture = std::filesystem::path(OFFLOADCP_FIXTURES) / "lab-all";
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const std::filesystem::path sys = std::filesystem::path(tmp.path().toStdString()) / "sys";
        std::filesystem::copy(fixture / "sys", sys,
                              std::filesystem::copy_options::recursive | std::filesystem::copy_options::copy_symlinks);
        auto full = readFixtureTopology(fixture);
        QVERIFY(full.has_value());
        std::filesystem::create_directories(sys / "dev/block");
        for (const auto& d : full->devices()) {
            const auto target = std::filesystem::read_symlink(sys / "class/block" / d.name);
            std::filesystem::create_symlink(std::filesystem::path("../..") / target.lexically_relative("../.."),
                                            sys / "dev/block" / d.devnum.str());
        }
        const auto nvme1n2Dir = std::filesystem::canonical(sys / "class/block/nvme1n2");
        std::filesystem::remove(nvme1n2Dir / "dev");
        std::filesystem::create_directory(nvme1n2Dir / "dev"); // reading it fails (EISDIR)

        TopologyOptions options;
        options.sysfsRoot = sys;
        options.mountinfo.clear();
        options.swaps.clear();
        auto warned = readTopology(options);
        QVERIFY(warned.has_value());
        auto mentions = [](const Topology& t, const std::string& what) {
            for (const auto& w : t.warnings())
                if (w.find(what) != std::string::npos)
                    return true;
            return false;
        };
        QVERIFY(mentions(*warned, "nvme1n2"));

        auto dm = makeDmsetupTextSource(fixture / "dmsetup-table.txt");
        options.dm = dm.get();
        options.around = std::vector<DevNum>{full->find("lab_mix")->devnum, full->find("sdb1")->devnum};
        auto around = readTopology(options);
        QVERIFY(around.has_value());
        QVERIFY(!mentions(*around, "nvme1n2"));
        QCOMPARE(namesOf(*around), (std::set<std::string>{"dm-7", "dm-8", "nvme0n3", "sda", "sdb", "sdb1"}));
        QVERIFY(around->find("lab_mix")->dm->tableKnown);
    }

    void endpointNumbersWithoutATopology()
    {
        // What `copy` and `plan` read around, found from the names alone.
        const auto sys = std::filesystem::path(OFFLOADCP_FIXTURES) / "lab-all" / "sys";
        QTemporaryDir tmp;
        const std::string file = tmp.path().toStdString() + "/image.raw";
        std::ofstream(file) << "x";
        // kernel names (from the tree), MAJ:MIN; a file and a new destination add nothing
        auto found = endpointDevNums({"sda", "259:1", file, tmp.path().toStdString() + "/new.raw"}, sys);
        QVERIFY(found.has_value());
        QCOMPARE(found->size(), std::size_t(2));
        QCOMPARE((*found)[0], readFixtureTopology(sys.parent_path())->find("sda")->devnum);
        QCOMPARE((*found)[1], (DevNum{259, 1}));
        // Only the whole topology can tell: a stable id, a missing /dev path, a typo, a
        // character device, a directory.
        for (const char* spec : {"wwn:naa.6001405c0de0a010", "loop:/var/lib/image.raw", "/dev/no-such-disk",
                                 "no-such-thing", "/dev/null", "/tmp", ""})
            QVERIFY2(!endpointDevNums({"sda", spec}, sys).has_value(), spec);
        // A block device node: its st_rdev.
        for (const auto& entry : std::filesystem::directory_iterator("/dev")) {
            struct stat st {};
            if (::stat(entry.path().c_str(), &st) == 0 && S_ISBLK(st.st_mode)) {
                auto one = endpointDevNums({entry.path().string()});
                QVERIFY(one.has_value());
                QCOMPARE(*one, std::vector<DevNum>{DevNum::fromDevT(st.st_rdev)});
                break;
            }
        }
    }

    void missingFixtureIsAnError()
    {
        ScanOptions options;
        options.fixture = kFixture / "does-not-exist";
        QVERIFY(!scanSystem(options).has_value());
    }

    void liveScanOfThisMachine()
    {
        // Whatever this machine has: the scan succeeds, every device gets an entry, and
        // devices without a copy command say so. Probes that need root say "needs root".
        auto snap = scanSystem();
        QVERIFY2(snap.has_value(), snap ? "" : snap.error().message().c_str());
        QCOMPARE(snap->capabilities.devices.size(), snap->topology->size());
        for (const auto& dev : snap->topology->devices()) {
            const auto& cap = snap->capabilities.at(dev.index);
            QCOMPARE(cap.device, dev.index);
            if (dev.kind == DeviceKind::Loop) {
                QCOMPARE(cap.mechanism, CopyMechanism::None);
                QCOMPARE(cap.reason, std::string("loop device: the loop driver has no copy command"));
            }
            if (dev.kind == DeviceKind::Other) {
                QCOMPARE(cap.status, ProbeStatus::NotApplicable);
                QVERIFY2(cap.reason.ends_with(": no copy offload command"), cap.reason.c_str());
            }
            if (cap.status == ProbeStatus::NeedsRoot)
                QVERIFY(geteuid() != 0);
            if (cap.mechanism != CopyMechanism::None)
                QCOMPARE(cap.status, ProbeStatus::Ok);
        }
    }
};

QTEST_GUILESS_MAIN(TestScan)
#include "test_scan.moc"
