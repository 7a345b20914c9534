// SPDX-License-Identifier: GPL-2.0-or-later
// Resolving SRC/DST arguments: devices of the snapshot by any name, regular files, new files.
#ifndef Q_MOC_RUN // moc 6.4 cannot parse the C++23 library headers
#include "PlannerLab.h"

#include "copy/EndpointResolver.h"
#endif

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace offload;
using namespace offload::test;

class TestPlannerEndpoints : public QObject {
    Q_OBJECT

private:
    PlannerLab m_lab;
    Topology m_topology;
    std::size_t m_ns = 0;
    std::size_t m_lv = 0;

private slots:
    void initTestCase()
    {
        m_ns = m_lab.nvme("nvme7n3", 3, 1 * GiB, qemuNvmeCaps(4096));
        m_lv = m_lab.linear("vg-data", m_ns, 2048, 8192);
        m_topology = m_lab.topology();
    }

    void devicesByKernelNameDmNameAndDevPath()
    {
        for (const char* spec : {"nvme7n3", "/dev/nvme7n3"}) {
            const auto endpoint = resolveEndpoint(m_topology, spec, EndpointRole::Source);
            QVERIFY2(endpoint, endpoint ? "" : endpoint.error().message().c_str());
            QCOMPARE(endpoint->device, std::optional<std::size_t>(m_ns));
            QCOMPARE(endpoint->sizeBytes, 1 * GiB);
            QCOMPARE(endpoint->blockSize, 4096u);
        }
        for (const char* spec : {"vg-data", "/dev/mapper/vg-data"}) {
            const auto endpoint = resolveEndpoint(m_topology, spec, EndpointRole::Destination);
            QVERIFY2(endpoint, endpoint ? "" : endpoint.error().message().c_str());
            QCOMPARE(endpoint->device, std::optional<std::size_t>(m_lv));
            QCOMPARE(endpoint->label, std::string("vg-data"));
            QCOMPARE(endpoint->sizeBytes, 8192ull * 512);
        }
    }

    void regularFilesAndNewFiles()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string existing = dir.filePath("a.img").toStdString();
        {
            std::ofstream out(existing);
            out << std::string(12345, 'x');
        }
        const auto file = resolveEndpoint(m_topology, existing, EndpointRole::Source);
        QVERIFY2(file, file ? "" : file.error().message().c_str());
        QVERIFY(!file->device);
        QCOMPARE(file->sizeBytes, 12345ull);
        QVERIFY(file->file.is_absolute());

        const std::string fresh = dir.filePath("new.img").toStdString();
        QVERIFY(!resolveEndpoint(m_topology, fresh, EndpointRole::Source)); // a source must exist
        const auto created = resolveEndpoint(m_topology, fresh, EndpointRole::Destination);
        QVERIFY(created);
        QCOMPARE(created->sizeBytes, 0ull);
        QCOMPARE(created->file, std::filesystem::path(fresh));

        const auto directory = resolveEndpoint(m_topology, dir.path().toStdString(), EndpointRole::Source);
        QVERIFY(!directory);
        QCOMPARE(directory.error().code, Errc::InvalidArgument);
    }

    void unknownNamesAreNotFound()
    {
        const auto typo = resolveEndpoint(m_topology, "nvme9n9", EndpointRole::Source);
        QVERIFY(!typo);
        QCOMPARE(typo.error().code, Errc::NotFound);
        QVERIFY(!typo.error().hint.empty());
        // A missing /dev path is never taken for a new destination file.
        const auto missingDev = resolveEndpoint(m_topology, "/dev/nvme9n9", EndpointRole::Destination);
        QVERIFY(!missingDev);
        QCOMPARE(missingDev.error().code, Errc::NotFound);
        const auto noDir = resolveEndpoint(m_topology, "/nonexistent-dir/x.img", EndpointRole::Destination);
        QVERIFY(!noDir);
    }
};

QTEST_GUILESS_MAIN(TestPlannerEndpoints)
#include "test_planner_endpoints.moc"
