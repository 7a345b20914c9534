// SPDX-License-Identifier: GPL-2.0-or-later
// The host copy backends on regular files: io_uring and pread/pwrite give the same bytes
// at the right offsets, errors name the device and LBA, cancellation stops, and the file
// backend's clone -> copy_file_range -> read/write chain accounts for every byte.
#include "copy/FileBackend.h"
#include "copy/ReadWriteBackend.h"
#include "LoopDevice.h"

#include <QtTest>

#include <fcntl.h>
#include <linux/loop.h>
#include <random>
#include <sys/ioctl.h>
#include <unistd.h>

using namespace offload;

namespace {

constexpr uint64_t kMiB = 1ull << 20;

std::vector<unsigned char> randomBytes(std::size_t n, unsigned seed)
{
    std::vector<unsigned char> v(n);
    std::mt19937 rng(seed);
    for (auto& b : v)
        b = static_cast<unsigned char>(rng());
    return v;
}

void writeFile(const QString& path, const std::vector<unsigned char>& bytes)
{
    int fd = ::open(path.toLocal8Bit().constData(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    QVERIFY(fd >= 0);
    QCOMPARE(::pwrite(fd, bytes.data(), bytes.size(), 0), ssize_t(bytes.size()));
    ::close(fd);
}

std::vector<unsigned char> readFile(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QByteArray all = f.readAll();
    return std::vector<unsigned char>(all.begin(), all.end());
}

int openDirect(const QString& path, int flags)
{
    int fd = ::open(path.toLocal8Bit().constData(), flags | O_DIRECT);
    if (fd < 0)
        fd = ::open(path.toLocal8Bit().constData(), flags);
    return fd;
}

} // namespace

class TestReadWrite : public QObject {
    Q_OBJECT
private slots:
    void copiesAtOffsets_data();
    void copiesAtOffsets();
    void shortSourceNamesDeviceAndLba();
    void writeErrorNamesDestination();
    void deviceThatWentAwaySaysSo();
    void firstFailingOffsetFindsTheFirstBadBlock_data();
    void firstFailingOffsetFindsTheFirstBadBlock();
    void firstFailingOffsetStopsOnOtherAnswers();
    void cancelBeforeStart();
    void fileBackendAccountsForEveryByte();
};

void TestReadWrite::copiesAtOffsets_data()
{
    QTest::addColumn<bool>("uring");
    QTest::addColumn<unsigned>("depth");
    QTest::addColumn<quint64>("ioBytes");
    QTest::newRow("io_uring depth 4") << true << 4u << quint64(256 * 1024);
    QTest::newRow("io_uring depth 1") << true << 1u << quint64(1 * kMiB);
    QTest::newRow("io_uring depth 8 small I/O") << true << 8u << quint64(4096);
    QTest::newRow("pread/pwrite") << false << 1u << quint64(256 * 1024);
}

void TestReadWrite::copiesAtOffsets()
{
    QFETCH(bool, uring);
    QFETCH(unsigned, depth);
    QFETCH(quint64, ioBytes);
    QTemporaryDir dir;
    const QString src = dir.filePath("src");
    const QString dst = dir.filePath("dst");
    auto data = randomBytes(8 * kMiB, 1);
    writeFile(src, data);
    writeFile(dst, std::vector<unsigned char>(8 * kMiB, 0));

    int s = openDirect(src, O_RDONLY);
    int d = openDirect(dst, O_WRONLY);
    QVERIFY(s >= 0 && d >= 0);
    ReadWriteBackend backend({s, "src", 512}, {d, "dst", 512},
                             {static_cast<uint32_t>(ioBytes), depth, uring});
    // The ring is set up by the first copy, not by the constructor.
    QVERIFY(!backend.usesIoUring());
    // 3 MiB + 7 blocks from 1 MiB + 512 to 4 MiB + 4096: not a multiple of the I/O size.
    const uint64_t srcOff = kMiB + 512;
    const uint64_t dstOff = 4 * kMiB + 4096;
    const uint64_t len = 3 * kMiB + 7 * 512;
    uint64_t reported = 0;
    auto st = backend.copy(srcOff, dstOff, len, {}, [&](uint64_t n) { reported += n; });
    QVERIFY2(st.has_value(), st ? "" : st.error().message().c_str());
    QCOMPARE(reported, len);
    QCOMPARE(backend.usesIoUring(), uring);
    ::close(s);
    ::close(d);

    auto out = readFile(dst);
    QCOMPARE(out.size(), std::size_t(8 * kMiB));
    QVERIFY(std::equal(out.begin() + dstOff, out.begin() + dstOff + len, data.begin() + srcOff));
    // Nothing outside the destination range was written.
    QVERIFY(std::all_of(out.begin(), out.begin() + dstOff, [](unsigned char b) { return b == 0; }));
    QVERIFY(std::all_of(out.begin() + dstOff + len, out.end(), [](unsigned char b) { return b == 0; }));
}

void TestReadWrite::shortSourceNamesDeviceAndLba()
{
    for (bool uring : {true, false}) {
        QTemporaryDir dir;
        writeFile(dir.filePath("src"), randomBytes(kMiB, 2));
        writeFile(dir.filePath("dst"), {});
        int s = ::open(dir.filePath("src").toLocal8Bit().constData(), O_RDONLY);
        int d = ::open(dir.filePath("dst").toLocal8Bit().constData(), O_WRONLY);
        ReadWriteBackend backend({s, "/dev/fake-src", 4096}, {d, "/dev/fake-dst", 4096}, {256 * 1024, 2, uring});
        auto st = backend.copy(0, 0, 2 * kMiB, {});
        QVERIFY(!st);
        QCOMPARE(st.error().device, std::string("/dev/fake-src"));
        QCOMPARE(st.error().lba, std::optional<uint64_t>(kMiB / 4096));
        QVERIFY(st.error().message().find("end of device") != std::string::npos);
        QVERIFY2(st.error().message().find("the file now has 1048576 bytes") != std::string::npos,
                 st.error().message().c_str());
        ::close(s);
        ::close(d);
    }
}

void TestReadWrite::writeErrorNamesDestination()
{
    for (bool uring : {true, false}) {
        QTemporaryDir dir;
        writeFile(dir.filePath("src"), randomBytes(kMiB, 3));
        writeFile(dir.filePath("dst"), std::vector<unsigned char>(kMiB, 0));
        int s = ::open(dir.filePath("src").toLocal8Bit().constData(), O_RDONLY);
        int d = ::open(dir.filePath("dst").toLocal8Bit().constData(), O_RDONLY); // not writable
        ReadWriteBackend backend({s, "src", 512}, {d, "/dev/fake-dst", 512}, {256 * 1024, 2, uring});
        auto st = backend.copy(0, 512 * 1024, 256 * 1024, {});
        QVERIFY(!st);
        QCOMPARE(st.error().device, std::string("/dev/fake-dst"));
        QCOMPARE(st.error().sysErrno, EBADF);
        QCOMPARE(st.error().lba, std::optional<uint64_t>(1024));
        ::close(s);
        ::close(d);
    }
}

void TestReadWrite::deviceThatWentAwaySaysSo()
{
    // A source device whose size dropped to 0 after the plan (as a removed NVMe namespace's
    // does): the error says it went away, not that the range was planned too large.
    QTemporaryDir dir;
    const QString backing = dir.filePath("disk");
    writeFile(backing, randomBytes(2 * kMiB, 5));
    testing::LoopDevice loop(backing.toStdString());
    if (loop.path.empty())
        QSKIP("needs root and a free loop device");
    writeFile(dir.filePath("dst"), {});
    int s = openDirect(QString::fromStdString(loop.path), O_RDONLY);
    int d = ::open(dir.filePath("dst").toLocal8Bit().constData(), O_WRONLY);
    QVERIFY(s >= 0 && d >= 0);
    QVERIFY(::truncate(backing.toLocal8Bit().constData(), 0) == 0);
    QVERIFY(::ioctl(s, LOOP_SET_CAPACITY, 0) == 0);
    ReadWriteBackend backend({s, "/dev/fake-src", 512}, {d, "dst", 512}, {256 * 1024, 2, true});
    auto st = backend.copy(0, 0, 2 * kMiB, {});
    QVERIFY(!st);
    QCOMPARE(st.error().device, std::string("/dev/fake-src"));
    QCOMPARE(st.error().lba, std::optional<uint64_t>(0));
    QVERIFY2(st.error().message().find("gone away") != std::string::npos, st.error().message().c_str());
    QVERIFY(st.error().message().find("smaller than the copy range") == std::string::npos);
    ::close(s);
    ::close(d);
}

void TestReadWrite::firstFailingOffsetFindsTheFirstBadBlock_data()
{
    QTest::addColumn<quint64>("badFrom"); // blocks of the I/O, 512 bytes each
    QTest::addColumn<quint64>("badTo");
    QTest::newRow("first block") << quint64(0) << quint64(8192);
    QTest::newRow("middle, 2048 bad blocks") << quint64(4096) << quint64(6144);
    QTest::newRow("one bad block") << quint64(5000) << quint64(5001);
    QTest::newRow("last block") << quint64(8191) << quint64(8192);
}

void TestReadWrite::firstFailingOffsetFindsTheFirstBadBlock()
{
    // A 4 MiB I/O at byte 1 MiB of a device whose blocks [badFrom, badTo) of the I/O fail
    // with EIO: the error must name the first of them, not the start of the I/O.
    QFETCH(quint64, badFrom);
    QFETCH(quint64, badTo);
    const uint64_t base = kMiB;
    unsigned retries = 0;
    auto retry = [&](uint64_t off, uint64_t len) {
        ++retries;
        const uint64_t first = (off - base) / 512;
        const uint64_t end = first + len / 512;
        return first < badTo && badFrom < end ? EIO : 0;
    };
    QCOMPARE(firstFailingOffset(base, 4 * kMiB, 512, EIO, retry), base + badFrom * 512);
    QVERIFY(retries <= 14); // halving: log2(8192) + 1
}

void TestReadWrite::firstFailingOffsetStopsOnOtherAnswers()
{
    // Another errno while narrowing (a device that vanished, an alignment the file system
    // wants): stop there rather than guess.
    unsigned retries = 0;
    auto vanished = [&](uint64_t, uint64_t) { return ++retries == 1 ? 0 : ENODEV; };
    QCOMPARE(firstFailingOffset(0, 1024 * 512, 512, EIO, vanished), uint64_t(512 * 512));
    QCOMPARE(retries, 2u);
    // Errors of the request, not of a block: no retry at all.
    retries = 0;
    auto counting = [&](uint64_t, uint64_t) { ++retries; return EBADF; };
    QCOMPARE(firstFailingOffset(4096, 1024 * 512, 512, EBADF, counting), uint64_t(4096));
    QCOMPARE(firstFailingOffset(4096, 1024 * 512, 512, EINVAL, counting), uint64_t(4096));
    QCOMPARE(retries, 0u);
}

void TestReadWrite::cancelBeforeStart()
{
    QTemporaryDir dir;
    writeFile(dir.filePath("src"), randomBytes(kMiB, 4));
    writeFile(dir.filePath("dst"), std::vector<unsigned char>(kMiB, 0));
    int s = ::open(dir.filePath("src").toLocal8Bit().constData(), O_RDONLY);
    int d = ::open(dir.filePath("dst").toLocal8Bit().constData(), O_WRONLY);
    for (bool uring : {true, false}) {
        ReadWriteBackend backend({s, "src", 512}, {d, "dst", 512}, {64 * 1024, 2, uring});
        std::stop_source stop;
        stop.request_stop();
        auto st = backend.copy(0, 0, kMiB, stop.get_token());
        QVERIFY(!st);
        QCOMPARE(st.error().code, Errc::Cancelled);
    }
    ::close(s);
    ::close(d);
    auto out = readFile(dir.filePath("dst"));
    QVERIFY(std::all_of(out.begin(), out.end(), [](unsigned char b) { return b == 0; }));
}

void TestReadWrite::fileBackendAccountsForEveryByte()
{
    QTemporaryDir dir;
    const QString src = dir.filePath("src");
    const QString dst = dir.filePath("dst");
    auto data = randomBytes(4 * kMiB, 5);
    writeFile(src, data);
    writeFile(dst, {});
    int s = ::open(src.toLocal8Bit().constData(), O_RDONLY);
    int d = ::open(dst.toLocal8Bit().constData(), O_WRONLY);
    ReadWriteBackend host({s, "src", 512}, {d, "dst", 512}, {});
    for (CopyMethod first : {CopyMethod::FileClone, CopyMethod::CopyFileRange, CopyMethod::ReadWrite}) {
        FileBackend files({s, "src", 512}, {d, "dst", 512}, host);
        uint64_t reported = 0;
        auto out = files.copy(0, 0, 4 * kMiB, first, {}, [&](CopyMethod, uint64_t n) { reported += n; });
        QVERIFY2(out.has_value(), out ? "" : out.error().message().c_str());
        QCOMPARE(out->clonedBytes + out->copyFileRangeBytes + out->hostBytes, 4 * kMiB);
        QCOMPARE(reported, 4 * kMiB);
        if (first == CopyMethod::ReadWrite)
            QCOMPARE(out->hostBytes, 4 * kMiB);
        if (first == CopyMethod::CopyFileRange)
            QCOMPARE(out->clonedBytes, uint64_t(0));
        QVERIFY(readFile(dst) == data);
    }
    ::close(s);
    ::close(d);
}

QTEST_GUILESS_MAIN(TestReadWrite)
#include "test_readwrite.moc"
