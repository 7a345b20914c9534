// SPDX-License-Identifier: GPL-2.0-or-later
// Regular-file endpoints (issue 16): no destination through a symbolic link, no pseudo
// filesystem on either side (refused before anything is created), plans that promise only
// what the filesystems give, --require-offload that writes nothing, bytes counted by what
// moved them (cloned / offloaded / host), --truncate, a file source into a block device
// checked as a device source is, and one status word for how a job ended.
#include "copy/CopyJob.h"
#include "copy/CopyPlanner.h"
#include "copy/CopySafety.h"
#include "copy/EndpointResolver.h"
#include "copy/FileBackend.h"
#include "copy/FileEndpoint.h"

#include <QtTest>

#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

using namespace offload;

namespace {

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kTmpfsMagic = 0x01021994;

std::vector<unsigned char> pattern(std::size_t bytes, unsigned char seed)
{
    std::vector<unsigned char> data(bytes);
    for (std::size_t i = 0; i < bytes; ++i)
        data[i] = static_cast<unsigned char>((i * 131 + seed) ^ (i >> 12));
    return data;
}

void writeFile(const std::string& path, const std::vector<unsigned char>& bytes)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<unsigned char> readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool exists(const std::string& path)
{
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

/// A directory on tmpfs (no reflink, copy_file_range is the kernel's host copy), or empty.
QString tmpfsDirectory()
{
    struct statfs sfs {};
    if (::statfs("/dev/shm", &sfs) == 0 && static_cast<uint64_t>(static_cast<uint32_t>(sfs.f_type)) == kTmpfsMagic
        && ::access("/dev/shm", W_OK) == 0)
        return QStringLiteral("/dev/shm");
    return {};
}

FileSystemInfo fs(uint64_t magic, DevNum dev, std::string type = {})
{
    return FileSystemInfo{magic, dev, std::move(type)};
}

CopyRequest fileRequest(FileSystemInfo src, FileSystemInfo dst, uint64_t size)
{
    CopyRequest request;
    request.source.file = "/data/a.img";
    request.source.sizeBytes = size;
    request.source.fileSystem = src;
    request.destination.file = "/other/b.img";
    request.destination.fileSystem = dst;
    return request;
}

/// Resolves and plans SRC -> DST as `copy` does (no devices).
CopyPlan planFiles(const std::string& src, const std::string& dst)
{
    const Topology none;
    CopyRequest request;
    auto source = resolveEndpoint(none, src, EndpointRole::Source);
    if (!source)
        qFatal("%s", source.error().message().c_str());
    request.source = *source;
    if (auto destination = resolveEndpoint(none, dst, EndpointRole::Destination)) {
        request.destination = *destination;
    } else {
        // resolveEndpoint takes no new file under /dev (/dev/shm here): the same endpoint by hand.
        request.destination.file = dst;
        request.destination.label = dst;
        if (auto fs = fileSystemOf(std::filesystem::path(dst)))
            request.destination.fileSystem = *fs;
    }
    auto plan = planCopy(none, {}, request);
    if (!plan)
        qFatal("%s", plan.error().message().c_str());
    return *plan;
}

const CopyResult& runJob(std::shared_ptr<CopyJob>& job, CopyPlan plan, CopyOptions options = {})
{
    job = CopyJob::start(std::make_shared<Topology>(), {}, std::move(plan), std::move(options), {});
    return job->wait();
}

PlannedExtent hostExtent(uint64_t length)
{
    PlannedExtent extent;
    extent.length = length;
    extent.method = CopyMethod::ReadWrite;
    extent.reason = "test";
    return extent;
}

BlockDevice device(std::string name, DeviceKind kind, DevNum num, uint64_t size, std::vector<std::size_t> lowers = {})
{
    BlockDevice d;
    d.name = std::move(name);
    d.kind = kind;
    d.devnum = num;
    d.sizeBytes = size;
    d.logicalBlockSize = 512;
    d.physicalBlockSize = 512;
    d.lowers = std::move(lowers);
    return d;
}

} // namespace

class TestFileEndpoints : public QObject {
    Q_OBJECT

private slots:
    void pseudoFileSystemsAreRefused();
    void devtmpfsIsToldApartFromTmpfs();
    void newFileOnDevtmpfsIsNeverCreated();
    void destinationSymlinkIsRefused();
    void planPromisesOnlyWhatTheFileSystemsGive();
    void planOnTmpfsIsAHostCopy();
    void fileBackendUnderRequireOffloadWritesNothing();
    void fileBackendSaysWhichMethodTookOver();
    void jobCountsKernelCopiesAsHost();
    void jobRequireOffloadLeavesNoFileBehind();
    void longerDestinationKeptOrTruncated();
    void fileSourceIntoHeldDeviceRefused();
    void deviceSourceIntoFileOnItsOwnFileSystemWarns();
    void outcomeNameMatchesTheExitCode();
};

void TestFileEndpoints::pseudoFileSystemsAreRefused()
{
    const Topology none;
    for (const char* path : {"/proc/self/status", "/sys/kernel/uevent_seqnum"}) {
        if (!exists(path))
            continue;
        auto source = resolveEndpoint(none, path, EndpointRole::Source);
        QVERIFY2(!source, path);
        QCOMPARE(std::string(toString(source.error().code)), std::string(toString(Errc::InvalidArgument)));
        QVERIFY2(source.error().what.find("pseudo filesystem") != std::string::npos, source.error().what.c_str());
        auto opened = openFileEndpoint(path, false, false);
        QVERIFY2(!opened, path);
        QVERIFY(opened.error().what.find("pseudo filesystem") != std::string::npos);
    }
    // A new destination file in a sysfs directory: refused at once, naming the filesystem.
    auto created = resolveEndpoint(none, "/sys/kernel/offloadcp-test-new", EndpointRole::Destination);
    QVERIFY(!created);
    QVERIFY2(created.error().what.find("sysfs") != std::string::npos, created.error().what.c_str());

    QCOMPARE(pseudoFileSystem(fs(0x9fa0, {0, 22})).value_or(""), std::string("proc"));
    QCOMPARE(pseudoFileSystem(fs(0x63677270, {0, 26})).value_or(""), std::string("cgroup2"));
    QCOMPARE(pseudoFileSystem(fs(0xde5e81e4, {0, 27})).value_or(""), std::string("efivarfs"));
    QVERIFY(!pseudoFileSystem(fs(0xef53, {8, 1}, "ext4")));
}

void TestFileEndpoints::devtmpfsIsToldApartFromTmpfs()
{
    QTemporaryDir dir;
    const std::string mountinfo = dir.filePath("mountinfo").toStdString();
    std::ofstream(mountinfo) << "22 1 0:5 / /dev rw,nosuid shared:2 - devtmpfs udev rw,size=4096k\n"
                                "23 22 0:24 / /dev/shm rw,nosuid,nodev shared:3 - tmpfs tmpfs rw\n"
                                "24 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n";
    QCOMPARE(mountTypeOf({0, 5}, mountinfo), std::string("devtmpfs"));
    QCOMPARE(mountTypeOf({0, 24}, mountinfo), std::string("tmpfs"));
    QCOMPARE(mountTypeOf({8, 1}, mountinfo), std::string("ext4"));
    QCOMPARE(mountTypeOf({9, 9}, mountinfo), std::string());
    // Both report TMPFS_MAGIC; the mount's type tells them apart.
    QCOMPARE(pseudoFileSystem(fs(kTmpfsMagic, {0, 5}, "devtmpfs")).value_or(""), std::string("devtmpfs"));
    QVERIFY(!pseudoFileSystem(fs(kTmpfsMagic, {0, 24}, "tmpfs")));
}

void TestFileEndpoints::newFileOnDevtmpfsIsNeverCreated()
{
    auto devFs = fileSystemOf(std::filesystem::path("/dev"));
    if (!devFs || devFs->type != "devtmpfs" || ::access("/dev", W_OK) != 0)
        QSKIP("needs a writable devtmpfs on /dev (root)");
    const std::string path = "/dev/offloadcp-test-" + std::to_string(::getpid());
    auto opened = openFileEndpoint(path, true, false);
    const bool created = exists(path);
    ::unlink(path.c_str());
    QVERIFY(!opened);
    QVERIFY2(opened.error().what.find("devtmpfs") != std::string::npos, opened.error().what.c_str());
    QVERIFY2(!created, "the refusal came after the file was created");
}

void TestFileEndpoints::destinationSymlinkIsRefused()
{
    QTemporaryDir dir;
    const std::string secret = dir.filePath("secret").toStdString();
    const std::string link = dir.filePath("innocent.img").toStdString();
    const std::string dangling = dir.filePath("dangling.img").toStdString();
    const std::string source = dir.filePath("source.img").toStdString();
    writeFile(secret, pattern(8192, 1));
    writeFile(source, pattern(8192, 2));
    QCOMPARE(::symlink(secret.c_str(), link.c_str()), 0);
    QCOMPARE(::symlink(dir.filePath("not-there").toLocal8Bit().constData(), dangling.c_str()), 0);

    const Topology none;
    auto viaLink = resolveEndpoint(none, link, EndpointRole::Destination);
    QVERIFY(!viaLink);
    QVERIFY2(viaLink.error().what.find("symbolic link") != std::string::npos, viaLink.error().what.c_str());
    auto toNothing = resolveEndpoint(none, dangling, EndpointRole::Destination);
    QVERIFY(!toNothing);
    QVERIFY(toNothing.error().what.find("symbolic link") != std::string::npos);
    // A source is followed, as cp does.
    auto linkSource = resolveEndpoint(none, link, EndpointRole::Source);
    QVERIFY(linkSource);
    QCOMPARE(linkSource->file, std::filesystem::path(secret));

    // The job's open refuses the link itself (O_NOFOLLOW), and nothing reaches its target.
    auto opened = openFileEndpoint(link, true, false);
    QVERIFY(!opened);
    QCOMPARE(opened.error().sysErrno, ELOOP);
    QVERIFY(opened.error().what.find("symbolic link") != std::string::npos);
    QVERIFY(!openFileEndpoint(dangling, true, false));
    QVERIFY(!exists(dir.filePath("not-there").toStdString()));

    CopyPlan plan;
    plan.source = *resolveEndpoint(none, source, EndpointRole::Source);
    plan.destination.file = link; // a caller that did not resolve it
    plan.length = 8192;
    plan.extents.push_back(hostExtent(8192));
    std::shared_ptr<CopyJob> job;
    const CopyResult& r = runJob(job, plan);
    QVERIFY(!r.ok());
    QVERIFY(readFile(secret) == pattern(8192, 1));

    // Directories on the way may be links (the user's own path); the file itself may not.
    const std::string linkedDir = dir.filePath("linked-dir").toStdString();
    QCOMPARE(::symlink(dir.path().toLocal8Bit().constData(), linkedDir.c_str()), 0);
    auto inLinkedDir = resolveEndpoint(none, linkedDir + "/new.img", EndpointRole::Destination);
    QVERIFY2(inLinkedDir, inLinkedDir ? "" : inLinkedDir.error().message().c_str());
    QCOMPARE(inLinkedDir->file, std::filesystem::canonical(dir.path().toStdString()) / "new.img");
}

void TestFileEndpoints::planPromisesOnlyWhatTheFileSystemsGive()
{
    const Topology none;
    const uint64_t size = 8 * kMiB;
    // XFS into btrfs: neither a clone nor copy_file_range crosses filesystems: the host copies.
    auto plan = planCopy(none, {}, fileRequest(fs(0x58465342, {7, 0}, "xfs"), fs(0x9123683e, {0, 40}, "btrfs"), size));
    QVERIFY(plan);
    QCOMPARE(std::string(toString(plan->extents[0].method)), std::string(toString(CopyMethod::ReadWrite)));
    QCOMPARE(plan->offloadedBytes(), uint64_t(0));
    QVERIFY2(plan->extents[0].reason.find("two filesystems") != std::string::npos, plan->extents[0].reason.c_str());
    // Two XFS filesystems: no clone across them either.
    plan = planCopy(none, {}, fileRequest(fs(0x58465342, {7, 0}, "xfs"), fs(0x58465342, {7, 1}, "xfs"), size));
    QCOMPARE(std::string(toString(plan->extents[0].method)), std::string(toString(CopyMethod::ReadWrite)));
    // One ext4: copy_file_range, which is the kernel copying through the host.
    plan = planCopy(none, {}, fileRequest(fs(0xef53, {8, 1}, "ext4"), fs(0xef53, {8, 1}, "ext4"), size));
    QCOMPARE(std::string(toString(plan->extents[0].method)), std::string(toString(CopyMethod::CopyFileRange)));
    QVERIFY(plan->extents[0].throughHost);
    QCOMPARE(plan->offloadedBytes(), uint64_t(0));
    QVERIFY(plan->extents[0].reason.find("through the host") != std::string::npos);
    // One XFS: a reflink is promised (metadata only).
    plan = planCopy(none, {}, fileRequest(fs(0x58465342, {7, 0}, "xfs"), fs(0x58465342, {7, 0}, "xfs"), size));
    QCOMPARE(std::string(toString(plan->extents[0].method)), std::string(toString(CopyMethod::FileClone)));
    QCOMPARE(plan->offloadedBytes(), size);
    // btrfs subvolumes have their own st_dev but are one filesystem.
    plan = planCopy(none, {}, fileRequest(fs(0x9123683e, {0, 40}, "btrfs"), fs(0x9123683e, {0, 41}, "btrfs"), size));
    QCOMPARE(std::string(toString(plan->extents[0].method)), std::string(toString(CopyMethod::FileClone)));
    // NFS, range not aligned for a clone: copy_file_range is the server's copy.
    CopyRequest nfs = fileRequest(fs(0x6969, {0, 50}, "nfs4"), fs(0x6969, {0, 50}, "nfs4"), size);
    nfs.srcOffset = 100;
    plan = planCopy(none, {}, nfs);
    QCOMPARE(std::string(toString(plan->extents[0].method)), std::string(toString(CopyMethod::CopyFileRange)));
    QVERIFY(!plan->extents[0].throughHost);
    QCOMPARE(plan->offloadedBytes(), size - 100);
}

void TestFileEndpoints::planOnTmpfsIsAHostCopy()
{
    const QString shm = tmpfsDirectory();
    if (shm.isEmpty())
        QSKIP("needs a writable tmpfs on /dev/shm");
    QTemporaryDir dir(shm + "/offloadcp-test-XXXXXX");
    const std::string src = dir.filePath("a").toStdString();
    writeFile(src, pattern(kMiB, 3));
    const CopyPlan plan = planFiles(src, dir.filePath("b").toStdString());
    QCOMPARE(plan.extents.size(), std::size_t(1));
    QCOMPARE(std::string(toString(plan.extents[0].method)), std::string(toString(CopyMethod::CopyFileRange)));
    QCOMPARE(plan.offloadedShare(), 0.0);
    QVERIFY(plan.destination.fileSystem);
    QCOMPARE(plan.destination.fileSystem->type, std::string("tmpfs"));
}

void TestFileEndpoints::fileBackendUnderRequireOffloadWritesNothing()
{
    const QString shm = tmpfsDirectory();
    if (shm.isEmpty())
        QSKIP("needs a writable tmpfs on /dev/shm");
    QTemporaryDir dir(shm + "/offloadcp-test-XXXXXX");
    const std::string src = dir.filePath("a").toStdString();
    const std::string dst = dir.filePath("b").toStdString();
    writeFile(src, pattern(2 * kMiB, 4));
    writeFile(dst, std::vector<unsigned char>(2 * kMiB, 0xEE));
    int s = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
    int d = ::open(dst.c_str(), O_WRONLY | O_CLOEXEC);
    QVERIFY(s >= 0 && d >= 0);
    ReadWriteBackend host({s, "a", 512}, {d, "b", 512}, {});
    FileBackend::Options options;
    options.hostAllowed = false; // --require-offload; tmpfs has no clone and no server-side copy
    for (CopyMethod first : {CopyMethod::FileClone, CopyMethod::CopyFileRange}) {
        FileBackend files({s, "a", 512}, {d, "b", 512}, host, options);
        uint64_t reported = 0;
        auto out = files.copy(0, 0, 2 * kMiB, first, {}, [&](CopyMethod, uint64_t n) { reported += n; });
        QVERIFY(!out);
        QCOMPARE(std::string(toString(out.error().code)), std::string(toString(Errc::Unsupported)));
        QCOMPARE(reported, uint64_t(0));
    }
    ::close(s);
    ::close(d);
    QVERIFY(readFile(dst) == std::vector<unsigned char>(2 * kMiB, 0xEE));
}

void TestFileEndpoints::fileBackendSaysWhichMethodTookOver()
{
    const QString shm = tmpfsDirectory();
    if (shm.isEmpty())
        QSKIP("needs a writable tmpfs on /dev/shm");
    QTemporaryDir dir(shm + "/offloadcp-test-XXXXXX");
    const std::string src = dir.filePath("a").toStdString();
    const std::string dst = dir.filePath("b").toStdString();
    writeFile(src, pattern(2 * kMiB, 5));
    writeFile(dst, {});
    int s = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
    int d = ::open(dst.c_str(), O_WRONLY | O_CLOEXEC);
    ReadWriteBackend host({s, "a", 512}, {d, "b", 512}, {});
    FileBackend files({s, "a", 512}, {d, "b", 512}, host);
    auto out = files.copy(0, 0, 2 * kMiB, CopyMethod::FileClone, {});
    ::close(s);
    ::close(d);
    QVERIFY(out);
    QCOMPARE(out->clonedBytes, uint64_t(0));
    QCOMPARE(out->copyFileRangeBytes, 2 * kMiB);
    QCOMPARE(std::string(toString(out->tookOver)), std::string(toString(CopyMethod::CopyFileRange))); // not "read/write"
    QVERIFY(out->note.find("FICLONERANGE") != std::string::npos);
}

void TestFileEndpoints::jobCountsKernelCopiesAsHost()
{
    const QString shm = tmpfsDirectory();
    if (shm.isEmpty())
        QSKIP("needs a writable tmpfs on /dev/shm");
    QTemporaryDir dir(shm + "/offloadcp-test-XXXXXX");
    const std::string src = dir.filePath("a").toStdString();
    const std::string dst = dir.filePath("b").toStdString();
    writeFile(src, pattern(4 * kMiB, 6));
    CopyPlan plan = planFiles(src, dst);
    // As a plan made without filesystem facts would: a reflink first.
    plan.extents[0].method = CopyMethod::FileClone;
    plan.extents[0].throughHost = false;
    std::vector<CopyFallback> fallbacks;
    CopyEvents events;
    events.fallback = [&](const CopyFallback& f) { fallbacks.push_back(f); };
    auto job = CopyJob::start(std::make_shared<Topology>(), {}, plan, {}, events);
    const CopyResult& r = job->wait();
    QVERIFY2(r.ok(), r.ok() ? "" : r.status.error().message().c_str());
    QVERIFY(readFile(dst) == pattern(4 * kMiB, 6));
    QCOMPARE(r.bytesByMethod[methodIndex(CopyMethod::CopyFileRange)], 4 * kMiB);
    QCOMPARE(r.hostBytes, 4 * kMiB);         // the kernel copied through host memory
    QCOMPARE(r.offloadedBytes, uint64_t(0)); // not an offload
    QCOMPARE(r.clonedBytes, uint64_t(0));
    QCOMPARE(r.extents[0].hostBytes, 4 * kMiB);
    QCOMPARE(fallbacks.size(), std::size_t(1));
    QCOMPARE(std::string(toString(fallbacks[0].actual)), std::string(toString(CopyMethod::CopyFileRange)));
    const CopyProgress p = job->progress();
    QCOMPARE(p.hostBytes, 4 * kMiB);
    QCOMPARE(p.offloadedBytes, uint64_t(0));
}

void TestFileEndpoints::jobRequireOffloadLeavesNoFileBehind()
{
    const QString shm = tmpfsDirectory();
    if (shm.isEmpty())
        QSKIP("needs a writable tmpfs on /dev/shm");
    QTemporaryDir dir(shm + "/offloadcp-test-XXXXXX");
    const std::string src = dir.filePath("a").toStdString();
    const std::string fresh = dir.filePath("new").toStdString();
    const std::string existing = dir.filePath("old").toStdString();
    writeFile(src, pattern(4 * kMiB, 7));
    writeFile(existing, std::vector<unsigned char>(4 * kMiB, 0xEE));
    for (const std::string& dst : {fresh, existing}) {
        CopyPlan plan = planFiles(src, dst);
        plan.extents[0].method = CopyMethod::FileClone; // promised, then declined by tmpfs
        CopyOptions options;
        options.requireOffload = true;
        std::shared_ptr<CopyJob> job;
        const CopyResult& r = runJob(job, plan, options);
        QVERIFY(!r.ok());
        QCOMPARE(std::string(toString(r.status.error().code)), std::string(toString(Errc::Unsupported)));
        QCOMPARE(r.doneBytes, uint64_t(0));
        QCOMPARE(r.hostBytes, uint64_t(0));
    }
    QVERIFY2(!exists(fresh), "the refused copy left the file it created");
    QVERIFY(readFile(existing) == std::vector<unsigned char>(4 * kMiB, 0xEE));
}

void TestFileEndpoints::longerDestinationKeptOrTruncated()
{
    QTemporaryDir dir;
    const std::string src = dir.filePath("a").toStdString();
    const std::string dst = dir.filePath("b").toStdString();
    writeFile(src, pattern(kMiB, 8));
    for (bool truncate : {false, true}) {
        writeFile(dst, std::vector<unsigned char>(3 * kMiB, 0xEE));
        CopyPlan plan = planFiles(src, dst);
        CopyOptions options;
        options.truncateDestination = truncate;
        std::shared_ptr<CopyJob> job;
        const CopyResult& r = runJob(job, plan, options);
        QVERIFY2(r.ok(), r.ok() ? "" : r.status.error().message().c_str());
        const auto out = readFile(dst);
        QVERIFY(std::equal(out.begin(), out.begin() + kMiB, pattern(kMiB, 8).begin()));
        if (truncate) {
            QCOMPARE(out.size(), std::size_t(kMiB)); // as cp leaves it
        } else {
            QCOMPARE(out.size(), std::size_t(3 * kMiB)); // as dd conv=notrunc leaves it
            QVERIFY(std::all_of(out.begin() + kMiB, out.end(), [](unsigned char b) { return b == 0xEE; }));
        }
    }
}

void TestFileEndpoints::fileSourceIntoHeldDeviceRefused()
{
    // loop7 with a partition loop7p1, and loop8 mounted, and loop9 read-only.
    std::vector<BlockDevice> d;
    d.push_back(device("loop7", DeviceKind::Loop, {7, 7}, 64 * kMiB));
    BlockDevice part = device("loop7p1", DeviceKind::Partition, {259, 7}, 32 * kMiB, {0});
    part.partition = PartitionInfo{1, 2048, {}};
    d.push_back(part);
    d.push_back(device("loop8", DeviceKind::Loop, {7, 8}, 64 * kMiB));
    d[2].mountpoints = {"/mnt/data"};
    d.push_back(device("loop9", DeviceKind::Loop, {7, 9}, 64 * kMiB));
    d[3].readOnly = true;
    const Topology topology(std::move(d));

    auto planInto = [&](std::size_t device) {
        CopyPlan plan;
        plan.source.file = "/srv/image.raw";
        plan.source.sizeBytes = 8 * kMiB;
        plan.destination = deviceEndpoint(topology, device);
        plan.length = 8 * kMiB;
        return plan;
    };
    auto held = checkCopySafety(topology, planInto(0), {});
    QVERIFY(!held);
    QCOMPARE(std::string(toString(held.error().code)), std::string(toString(Errc::Busy)));
    QVERIFY2(held.error().what.find("held by /dev/loop7p1") != std::string::npos, held.error().what.c_str());
    auto mounted = checkCopySafety(topology, planInto(2), {});
    QVERIFY(!mounted);
    QVERIFY(mounted.error().what.find("mounted on /mnt/data") != std::string::npos);
    QVERIFY(!checkCopySafety(topology, planInto(3), {}));
    auto forced = checkCopySafety(topology, planInto(0), SafetyOptions{true});
    QVERIFY(forced);
    QCOMPARE(forced->size(), std::size_t(1)); // "in use; copying anyway because of --force"
    // A file on the partition's filesystem into the disk under it: refused even with --force.
    CopyPlan onItself = planInto(0);
    onItself.source.fileSystem = fs(0xef53, {259, 7}, "ext4");
    auto itself = checkCopySafety(topology, onItself, SafetyOptions{true});
    QVERIFY(!itself);
    QVERIFY2(itself.error().what.find("would overwrite the source") != std::string::npos, itself.error().what.c_str());

    // The job runs the same check before it opens anything.
    std::shared_ptr<CopyJob> job;
    CopyPlan plan = planInto(0);
    plan.extents.push_back(hostExtent(plan.length));
    bool opened = false;
    CopyOptions options;
    options.openEndpoint = [&](const CopyEndpoint&, EndpointAccess, bool, bool) -> Result<UniqueFd> {
        opened = true;
        return std::unexpected(Error::invalid("not in this test"));
    };
    job = CopyJob::start(std::make_shared<Topology>(topology), {}, plan, options, {});
    const CopyResult& r = job->wait();
    QVERIFY(!r.ok());
    QCOMPARE(std::string(toString(r.status.error().code)), std::string(toString(Errc::Busy)));
    QVERIFY(!opened);
}

void TestFileEndpoints::deviceSourceIntoFileOnItsOwnFileSystemWarns()
{
    std::vector<BlockDevice> d;
    d.push_back(device("loop3", DeviceKind::Loop, {7, 3}, 64 * kMiB));
    d[0].mountpoints = {"/mnt/src"};
    const Topology topology(std::move(d));
    CopyPlan plan;
    plan.source = deviceEndpoint(topology, 0);
    plan.destination.file = "/mnt/src/copy.img";
    plan.destination.fileSystem = fs(0xef53, {7, 3}, "ext4");
    plan.length = 8 * kMiB;
    auto warnings = checkCopySafety(topology, plan, {});
    QVERIFY(warnings);
    QCOMPARE(warnings->size(), std::size_t(2));
    QCOMPARE((*warnings)[0],
             std::string("the source /dev/loop3 is mounted on /mnt/src: a copy of a live filesystem may be inconsistent"));
    QVERIFY2((*warnings)[1].find("changes the source") != std::string::npos, (*warnings)[1].c_str());

    plan.destination.fileSystem = fs(0xef53, {8, 1}, "ext4"); // elsewhere: only the mounted-source warning
    warnings = checkCopySafety(topology, plan, {});
    QCOMPARE(warnings->size(), std::size_t(1));
}

void TestFileEndpoints::outcomeNameMatchesTheExitCode()
{
    CopyResult r;
    QCOMPARE(std::string(outcomeName(r)), std::string("ok"));
    r.verify = VerifyResult{};
    r.verify->match = false;
    QCOMPARE(std::string(outcomeName(r)), std::string("verify_mismatch"));
    r.verify->match = true;
    QCOMPARE(std::string(outcomeName(r)), std::string("ok"));
    r.status = std::unexpected(Error::make(Errc::Cancelled, {}, "cancelled"));
    QCOMPARE(std::string(outcomeName(r)), std::string("cancelled"));
    r.status = std::unexpected(Error::make(Errc::Unsupported, {}, "declined"));
    QCOMPARE(std::string(outcomeName(r)), std::string("error"));
}

QTEST_GUILESS_MAIN(TestFileEndpoints)
#include "test_file_endpoints.moc"
