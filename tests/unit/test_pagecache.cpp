// SPDX-License-Identifier: GPL-2.0-or-later
// flushStack and dropStackCache on a real loop device (root only; skipped otherwise):
// the flush before an offloaded copy writes dirty pages back and keeps the clean ones (the
// source's warm cache survives a clone); the drop after it empties the destination's cache.
#ifndef Q_MOC_RUN // moc 6.4 cannot parse the C++23 library headers
#include "copy/PageCache.h"
#include "topology/Topology.h"
#endif
#include "LoopDevice.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

using namespace offload;
using offload::testing::LoopDevice;

namespace {

constexpr std::size_t kBytes = 8u << 20;

/// How many pages of the first kBytes of `path` are in the page cache (mincore).
long residentPages(const std::string& path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    void* map = ::mmap(nullptr, kBytes, PROT_READ, MAP_SHARED, fd, 0);
    ::close(fd);
    if (map == MAP_FAILED)
        return -1;
    const long page = ::sysconf(_SC_PAGESIZE);
    std::vector<unsigned char> vec(kBytes / static_cast<std::size_t>(page));
    long resident = -1;
    if (::mincore(map, kBytes, vec.data()) == 0) {
        resident = 0;
        for (unsigned char v : vec)
            resident += v & 1;
    }
    ::munmap(map, kBytes);
    return resident;
}

/// Writes (dirty == true, buffered) or reads the first kBytes of `path` through the page cache.
bool touch(const std::string& path, bool dirty)
{
    const int fd = ::open(path.c_str(), (dirty ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0)
        return false;
    std::vector<char> buffer(1 << 20, 'x');
    bool ok = true;
    for (std::size_t off = 0; ok && off < kBytes; off += buffer.size()) {
        const auto n = dirty ? ::pwrite(fd, buffer.data(), buffer.size(), static_cast<off_t>(off))
                             : ::pread(fd, buffer.data(), buffer.size(), static_cast<off_t>(off));
        ok = n == static_cast<ssize_t>(buffer.size());
    }
    ::close(fd);
    return ok;
}

} // namespace

class TestPageCache : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir{QStringLiteral("/var/tmp/offloadcp-pagecache.XXXXXX")};

    const BlockDevice* findLive(const Topology& topology, const std::string& path)
    {
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0)
            return nullptr;
        return topology.findByDevNum(DevNum::fromDevT(st.st_rdev));
    }

private slots:
    void flushKeepsCleanPagesAndDropEmptiesTheCache()
    {
        if (::geteuid() != 0)
            QSKIP("needs root (a loop device)");
        const std::string file = m_dir.filePath(QStringLiteral("volume.img")).toStdString();
        {
            const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
            QVERIFY(fd >= 0);
            QCOMPARE(::ftruncate(fd, static_cast<off_t>(kBytes)), 0);
            ::close(fd);
        }
        LoopDevice loop(file);
        if (loop.path.empty())
            QSKIP("no free loop device");
        auto topology = readTopology();
        QVERIFY2(topology.has_value(), topology ? "" : topology.error().message().c_str());
        const BlockDevice* dev = findLive(*topology, loop.path);
        QVERIFY(dev);

        // Dirty pages: the flush writes them to the device and keeps them cached.
        QVERIFY(touch(loop.path, true));
        const long cachedBefore = residentPages(loop.path);
        QVERIFY2(cachedBefore >= 1, "the buffered write left nothing in the page cache");
        const auto flushWarnings = flushStack(*topology, dev->index);
        QVERIFY2(flushWarnings.empty(), flushWarnings.empty() ? "" : flushWarnings.front().c_str());
        QCOMPARE(residentPages(loop.path), cachedBefore);
        {   // written back: the backing file holds the data now, read past any cache
            const int fd = ::open(file.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
            QVERIFY(fd >= 0);
            void* raw = nullptr;
            QCOMPARE(::posix_memalign(&raw, 4096, 4096), 0);
            const auto n = ::pread(fd, raw, 4096, static_cast<off_t>(kBytes - 4096));
            const bool written = n == 4096 && static_cast<const char*>(raw)[0] == 'x';
            std::free(raw);
            ::close(fd);
            QVERIFY2(written, "the flush did not write the dirty pages to the device");
        }

        // The drop after a copy empties the cache, so a buffered read sees the device.
        const auto dropWarnings = dropStackCache(*topology, dev->index);
        QVERIFY2(dropWarnings.empty(), dropWarnings.empty() ? "" : dropWarnings.front().c_str());
        QCOMPARE(residentPages(loop.path), 0L);

        // Clean pages from a read survive the flush too.
        QVERIFY(touch(loop.path, false));
        const long readCached = residentPages(loop.path);
        QVERIFY(readCached >= 1);
        QVERIFY(flushStack(*topology, dev->index).empty());
        QCOMPARE(residentPages(loop.path), readCached);
    }
};

QTEST_GUILESS_MAIN(TestPageCache)
#include "test_pagecache.moc"
