// SPDX-License-Identifier: GPL-2.0-or-later
// openBlockDevice and OpenNodes on real loop devices (root only; skipped otherwise): a node
// is found by its device number, never by the name it is given, and OpenNodes keeps one
// descriptor per device and access mode for its own life.
#ifndef Q_MOC_RUN // moc 6.4 cannot parse the C++23 library headers
#include "transport/DeviceNode.h"
#endif
#include "LoopDevice.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>

using namespace offload;
using offload::testing::LoopDevice;

namespace {

/// A loop device's BlockDevice as the topology would give it: kernel name and number.
std::optional<BlockDevice> blockDeviceOf(const std::string& path)
{
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISBLK(st.st_mode))
        return std::nullopt;
    BlockDevice dev;
    dev.name = path.substr(path.rfind('/') + 1);
    dev.devnum = DevNum::fromDevT(st.st_rdev);
    dev.kind = DeviceKind::Loop;
    return dev;
}

/// The device number of the block device open on `fd`.
std::optional<DevNum> devnumOf(int fd)
{
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISBLK(st.st_mode))
        return std::nullopt;
    return DevNum::fromDevT(st.st_rdev);
}

bool isOpen(int fd)
{
    return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

} // namespace

class TestDeviceNode : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir{QStringLiteral("/var/tmp/offloadcp-devicenode.XXXXXX")};

    std::string backingFile(const char* name)
    {
        const std::string file = m_dir.filePath(QString::fromLatin1(name)).toStdString();
        const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        const bool sized = fd >= 0 && ::ftruncate(fd, 1 << 20) == 0;
        if (fd >= 0)
            ::close(fd);
        return sized ? file : std::string();
    }

private slots:
    void initTestCase()
    {
        if (::geteuid() != 0)
            QSKIP("needs root (loop devices)");
        QVERIFY(m_dir.isValid());
    }

    void aNameThatIsNotTheDevicesIsNotTrusted()
    {
        LoopDevice a(backingFile("a.img"));
        LoopDevice b(backingFile("b.img"));
        if (a.path.empty() || b.path.empty())
            QSKIP("no free loop devices");
        const auto devA = blockDeviceOf(a.path);
        const auto devB = blockDeviceOf(b.path);
        QVERIFY(devA && devB);

        // Device A under B's name (names move between boots): A's node is opened, not B's.
        BlockDevice renamed = *devA;
        renamed.name = devB->name;
        auto fd = openBlockDevice(renamed, O_RDONLY);
        QVERIFY2(fd.has_value(), fd ? "" : fd.error().message().c_str());
        QCOMPARE(devnumOf(fd->get()), std::optional<DevNum>(devA->devnum));

        // A name no node has: found by its number all the same.
        renamed.name = "offloadcp-no-such-node";
        fd = openBlockDevice(renamed, O_RDONLY);
        QVERIFY2(fd.has_value(), fd ? "" : fd.error().message().c_str());
        QCOMPARE(devnumOf(fd->get()), std::optional<DevNum>(devA->devnum));
    }

    void openNodesKeepsOneDescriptorPerDeviceAndAccessMode()
    {
        LoopDevice a(backingFile("c.img"));
        LoopDevice b(backingFile("d.img"));
        if (a.path.empty() || b.path.empty())
            QSKIP("no free loop devices");
        const auto devA = blockDeviceOf(a.path);
        const auto devB = blockDeviceOf(b.path);
        QVERIFY(devA && devB);

        int readA = -1;
        int writeA = -1;
        int readB = -1;
        {
            OpenNodes nodes;
            const auto r1 = nodes.get(*devA, O_RDONLY);
            const auto r2 = nodes.get(*devA, O_RDONLY | O_DIRECT); // same access mode: same descriptor
            const auto w1 = nodes.get(*devA, O_RDWR);
            const auto w2 = nodes.get(*devA, O_RDWR);
            const auto rb = nodes.get(*devB, O_RDONLY);
            QVERIFY(r1 && r2 && w1 && w2 && rb);
            readA = *r1;
            writeA = *w1;
            readB = *rb;
            QCOMPARE(*r2, readA);
            QCOMPARE(*w2, writeA);
            QVERIFY(writeA != readA);
            QVERIFY(readB != readA && readB != writeA);

            QCOMPARE(::fcntl(readA, F_GETFL) & O_ACCMODE, O_RDONLY);
            QCOMPARE(::fcntl(writeA, F_GETFL) & O_ACCMODE, O_RDWR);
            QVERIFY(::fcntl(readA, F_GETFD) & FD_CLOEXEC);
            QVERIFY(::fcntl(writeA, F_GETFD) & FD_CLOEXEC);
            QCOMPARE(devnumOf(readA), std::optional<DevNum>(devA->devnum));
            QCOMPARE(devnumOf(writeA), std::optional<DevNum>(devA->devnum));
            QCOMPARE(devnumOf(readB), std::optional<DevNum>(devB->devnum));
        }
        // Closed with the cache.
        QVERIFY(!isOpen(readA));
        QVERIFY(!isOpen(writeA));
        QVERIFY(!isOpen(readB));
    }

    void aDeviceThatCannotBeOpenedIsAnErrorNamingItsNumber()
    {
        // A device number with no device behind it: an extended minor (major 259) far above
        // any in use. (Not a loop number: opening a missing loop minor creates that device.)
        BlockDevice gone;
        gone.devnum = DevNum{259, 1000000 - 7};
        gone.name = "offloadcp-gone";

        OpenNodes nodes;
        for (int i = 0; i < 2; ++i) {
            const auto fd = nodes.get(gone, O_RDONLY);
            QVERIFY(!fd.has_value());
            // The message names the device by its number.
            QVERIFY2(fd.error().message().find(gone.devnum.str()) != std::string::npos,
                     fd.error().message().c_str());
        }
    }
};

QTEST_MAIN(TestDeviceNode)
#include "test_device_node.moc"
