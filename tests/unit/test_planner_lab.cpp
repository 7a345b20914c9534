// SPDX-License-Identifier: GPL-2.0-or-later
// The copy planner on the QEMU lab as captured in tests/fixtures/lab-all (kernel 6.12,
// QEMU 10): real sysfs trees, dm tables and probed Identify / INQUIRY / RCOP bytes.
// Names below are the lab's (see lab-env.txt there):
//   controller A (nvme0): nvme0n1 (MSSRL 256, MCL 1024, MSRC 7), nvme0n2 (zoned), nvme0n3
//   controller B (nvme1): nvme1n1 (128/512/3, partitions p1 @2048, p2 @34816), nvme1n2 (4K LBAs, 64/256/15)
//   LIO target 0:0:1: sda, sdb (sdb1 @2048), sdc, sdd (no 3PC); target 1:0:1: sde
//   lab_lin = nvme0n1 @65536, lab_lin2 = lab_lin @32768, lab_plin = nvme1n1p2 @1024,
//   lab_str = striped 2 x 64 KiB over nvme0n3 @0 and nvme0n1 @262144,
//   lab_xstr = striped 2 x 64 KiB over sda @32768 and sde @0,
//   lab_crypt = crypt over lab_cryptbase = nvme0n3 @131072,
//   lab_mix = nvme0n3 @262144 (16 MiB) + sda @0 (16 MiB), lab_slin = sda @65536 + sdb1 @0.
#ifndef Q_MOC_RUN // moc 6.4 cannot parse the C++23 library headers
#include "capability/Scan.h"
#include "copy/CopyPlan.h"
#include "copy/CopyPlanner.h"
#endif

#include <QtTest>

using namespace offload;

namespace {

constexpr uint64_t KiB = 1024;
constexpr uint64_t MiB = 1024 * KiB;

QString str(const std::string& s)
{
    return QString::fromStdString(s);
}

} // namespace

class TestPlannerLab : public QObject {
    Q_OBJECT

private:
    SystemSnapshot m_lab;

    std::size_t dev(const char* name) const
    {
        const BlockDevice* device = m_lab.topology->find(name);
        if (!device)
            qFatal("lab device %s missing from the fixture", name);
        return device->index;
    }

    Result<CopyPlan> plan(const char* src, const char* dst, uint64_t srcOffset, uint64_t dstOffset, uint64_t length,
                          CopyRequest request = {}) const
    {
        request.source = deviceEndpoint(*m_lab.topology, dev(src));
        request.destination = deviceEndpoint(*m_lab.topology, dev(dst));
        request.srcOffset = srcOffset;
        request.dstOffset = dstOffset;
        request.length = length;
        return planCopy(*m_lab.topology, m_lab.capabilities, request);
    }

    /// Every NVMe command within the limits the lab's namespace reported.
    void checkNvmeLimits(const CopyPlan& plan) const
    {
        uint64_t bytes = 0;
        for (const NvmeCopyStep& step : plan.nvmeSteps) {
            const NvmeCopyCaps& caps = *m_lab.capabilities.at(step.ns).nvme;
            QVERIFY(step.ranges.size() <= caps.maxRanges());
            uint64_t blocks = 0;
            for (const NvmeSourceRange& range : step.ranges) {
                QVERIFY(range.blocks <= caps.mssrl);
                blocks += range.blocks;
            }
            QVERIFY(blocks <= caps.mcl);
            bytes += step.bytes();
        }
        QCOMPARE(bytes, plan.bytesBy(CopyMethod::NvmeCopy));
    }

private slots:
    void initTestCase()
    {
        ScanOptions options;
        options.fixture = OFFLOADCP_FIXTURES "/lab-all";
        auto snapshot = scanSystem(options);
        QVERIFY2(snapshot, snapshot ? "" : snapshot.error().message().c_str());
        m_lab = std::move(*snapshot);
    }

    void linearOnLinearToStripedMember()
    {
        // lab_lin2 sits at nvme0n1 sector 65536 + 32768. lab_str's odd chunks are on nvme0n1
        // from sector 262144, its even chunks on nvme0n3.
        const auto p = plan("lab_lin2", "lab_str", 0, 0, 1 * MiB);
        QVERIFY2(p, p ? "" : p.error().message().c_str());
        QCOMPARE(p->extents.size(), std::size_t(16));
        QCOMPARE(p->bytesBy(CopyMethod::NvmeCopy), 512 * KiB);
        const PlannedExtent& odd = p->extents[1];
        QCOMPARE(odd.method, CopyMethod::NvmeCopy);
        QCOMPARE(str(m_lab.topology->at(*odd.srcLeaf).name), QStringLiteral("nvme0n1"));
        QCOMPARE(odd.srcLeafOffset, (98304ull + 128) * 512);
        QCOMPARE(odd.dstLeafOffset, 262144ull * 512);
        const PlannedExtent& even = p->extents[0];
        QCOMPARE(even.method, CopyMethod::ReadWrite);
        // The fixture's kernel is 6.12: it refuses enabling cross-namespace copy.
        QVERIFY2(even.reason.find("nvme0n1 and nvme0n3 (nsid 1 and 2) are different namespaces") == 0,
                 even.reason.c_str());
        QVERIFY2(even.reason.find("does not let us enable it") != std::string::npos, even.reason.c_str());
        // Odd chunks land back to back on nvme0n1: 8 ranges of 128 blocks, one command
        // (MSRC 7 -> 8 ranges, MCL 1024).
        QCOMPARE(p->nvmeSteps.size(), std::size_t(1));
        QCOMPARE(p->nvmeSteps[0].sdlba, 262144ull);
        QCOMPARE(p->nvmeSteps[0].ranges.size(), std::size_t(8));
        QCOMPARE(p->nvmeSteps[0].ranges[0].slba, 98304ull + 128);
        QCOMPARE(p->nvmeSteps[0].ranges[1].slba, 98304ull + 384);
        checkNvmeLimits(*p);

        // Forced (--cross-namespace; controller A has OCFS 0xf), all of it is planned as NVMe Copy.
        CopyRequest cross;
        cross.forceCrossNamespace = true;
        const auto all = plan("lab_lin2", "lab_str", 0, 0, 1 * MiB, cross);
        QVERIFY(all);
        QCOMPARE(all->offloadedShare(), 1.0);
        bool sawFormat2 = false;
        for (const NvmeCopyStep& step : all->nvmeSteps) {
            if (step.format == 2) {
                sawFormat2 = true;
                QCOMPARE(str(m_lab.topology->at(step.ns).name), QStringLiteral("nvme0n3"));
                QCOMPARE(step.ranges[0].snsid, m_lab.topology->at(dev("nvme0n1")).nvme->nsid);
            }
        }
        QVERIFY(sawFormat2);
        checkNvmeLimits(*all);
    }

    void partitionsAndLimitsOfController_B()
    {
        // nvme1n1: MSSRL 128, MCL 512, MSRC 3 -> 4 ranges of 128 blocks per command.
        const auto p = plan("nvme1n1p1", "nvme1n1p2", 0, 0, 1 * MiB);
        QVERIFY2(p, p ? "" : p.error().message().c_str());
        QCOMPARE(p->extents.size(), std::size_t(1));
        QCOMPARE(p->extents[0].method, CopyMethod::NvmeCopy);
        QCOMPARE(p->nvmeSteps.size(), std::size_t(4));
        QCOMPARE(p->nvmeSteps[0].ranges.size(), std::size_t(4));
        QCOMPARE(p->nvmeSteps[0].ranges[0].slba, 2048ull);
        QCOMPARE(p->nvmeSteps[0].sdlba, 34816ull);
        QCOMPARE(p->nvmeSteps[3].sdlba, 34816ull + 1536);
        checkNvmeLimits(*p);

        // lab_plin: a linear volume on a partition.
        const auto lin = plan("lab_plin", "nvme1n1p1", 0, 0, 64 * KiB);
        QVERIFY(lin);
        QCOMPARE(lin->nvmeSteps.size(), std::size_t(1));
        QCOMPARE(lin->nvmeSteps[0].ranges[0].slba, 34816ull + 1024);
        QCOMPARE(lin->nvmeSteps[0].sdlba, 2048ull);
    }

    void fourKNamespace()
    {
        // nvme1n2: 4096-byte LBAs, MSSRL 64, MCL 256, MSRC 15.
        const auto p = plan("nvme1n2", "nvme1n2", 4 * MiB, 16 * MiB, 2 * MiB);
        QVERIFY2(p, p ? "" : p.error().message().c_str());
        QCOMPARE(p->nvmeSteps.size(), std::size_t(2));
        QCOMPARE(p->nvmeSteps[0].lbaBytes, 4096u);
        QCOMPARE(p->nvmeSteps[0].ranges.size(), std::size_t(4));
        QCOMPARE(p->nvmeSteps[0].ranges[0].slba, 1024ull);
        QCOMPARE(p->nvmeSteps[0].sdlba, 4096ull);
        checkNvmeLimits(*p);

        const auto misaligned = plan("nvme1n2", "nvme1n2", 512, 16 * MiB, 64 * KiB);
        QVERIFY(!misaligned);
        QVERIFY(misaligned.error().message().find("4096-byte logical block size") != std::string::npos);

        const auto mixed = plan("nvme1n2", "nvme1n1", 0, 0, 1 * MiB);
        QVERIFY(mixed);
        QCOMPARE(mixed->extents[0].method, CopyMethod::ReadWrite);
        QVERIFY2(mixed->extents[0].reason.find("logical block sizes differ: 4096 bytes on nvme1n2, 512 on nvme1n1")
                     == 0,
                 mixed->extents[0].reason.c_str());
    }

    void stripedOverTwoTargets()
    {
        // A multiple of the stripe width keeps every chunk on its LUN: all EXTENDED COPY,
        // one segment per command (LIO).
        const auto congruent = plan("lab_xstr", "lab_xstr", 0, 1 * MiB, 256 * KiB);
        QVERIFY2(congruent, congruent ? "" : congruent.error().message().c_str());
        QCOMPARE(congruent->offloadedShare(), 1.0);
        QCOMPARE(congruent->bytesBy(CopyMethod::ScsiXcopy), 256 * KiB);
        QVERIFY(!congruent->xcopySteps.empty());
        for (const XcopyStep& step : congruent->xcopySteps) {
            QCOMPARE(step.segments.size(), std::size_t(1));
            QCOMPARE(step.srcLun, step.dstLun);
        }
        // Shifted by one chunk: every chunk moves to the other target.
        const auto shifted = plan("lab_xstr", "lab_xstr", 0, 1 * MiB + 64 * KiB, 256 * KiB);
        QVERIFY(shifted);
        QCOMPARE(shifted->offloadedShare(), 0.0);
        QVERIFY2(shifted->extents[0].reason.find("sda (target 0:0:1) and sde (target 1:0:1) are on different SCSI "
                                                 "targets")
                     == 0,
                 shifted->extents[0].reason.c_str());
    }

    void mixedStackHalfOffloads()
    {
        // lab_mix = nvme0n3 + sda; lab_slin = sda + sdb1: the first half crosses device kinds,
        // the second goes from sda to sdb (partition at 2048) on one LIO target.
        const auto p = plan("lab_mix", "lab_slin", 0, 0, 0);
        QVERIFY2(p, p ? "" : p.error().message().c_str());
        QCOMPARE(p->length, 32 * MiB);
        QCOMPARE(p->extents.size(), std::size_t(2));
        QCOMPARE(p->extents[0].method, CopyMethod::ReadWrite);
        QVERIFY2(p->extents[0].reason.find("nvme0n3 offers NVMe Copy and sda SCSI EXTENDED COPY") == 0,
                 p->extents[0].reason.c_str());
        QCOMPARE(p->extents[1].method, CopyMethod::ScsiXcopy);
        QCOMPARE(p->extents[1].dstLeafOffset, 2048ull * 512);
        QCOMPARE(p->offloadedShare(), 0.5);
        QCOMPARE(p->xcopySteps.size(), std::size_t(1)); // 32768 blocks fit one segment
        QCOMPARE(p->xcopySteps[0].segments[0].srcLba, 0ull);
        QCOMPARE(p->xcopySteps[0].segments[0].dstLba, 2048ull);
        QCOMPARE(p->xcopySteps[0].segments[0].blocks, 32768u);
        QCOMPARE(p->xcopySteps[0].segments[0].volumeSrcOffset, 16 * MiB);
    }

    void lunWithout3pc()
    {
        const auto p = plan("sdd", "sda", 0, 0, 1 * MiB);
        QVERIFY(p);
        QCOMPARE(p->extents[0].method, CopyMethod::ReadWrite);
        QVERIFY2(p->extents[0].reason.find("no 3PC") != std::string::npos, p->extents[0].reason.c_str());
    }

    void cryptAndZonedFallBack()
    {
        const auto crypt = plan("lab_crypt", "lab_lin", 0, 0, 1 * MiB);
        QVERIFY(crypt);
        QCOMPARE(crypt->extents.size(), std::size_t(1));
        QCOMPARE(crypt->extents[0].method, CopyMethod::ReadWrite);
        QVERIFY2(crypt->extents[0].reason.find("dm-crypt") == 0, crypt->extents[0].reason.c_str());
        QVERIFY(crypt->extents[0].reason.find("lab_crypt") != std::string::npos);

        const auto zoned = plan("nvme0n1", "nvme0n2", 0, 0, 1 * MiB);
        QVERIFY(zoned);
        QCOMPARE(zoned->extents[0].method, CopyMethod::ReadWrite);
        QVERIFY(zoned->extents[0].reason.find("zoned") != std::string::npos);
    }

    void fabricsNamespaceOffloads()
    {
        const auto p = plan("nvme3n1", "nvme3n1", 30000 * 512ull, 40000 * 512ull, 1 * MiB);
        QVERIFY(p);
        QCOMPARE(p->offloadedShare(), 1.0);
        QCOMPARE(p->nvmeSteps.front().ranges.front().slba, 30000ull);
        QCOMPARE(p->nvmeSteps.front().sdlba, 40000ull);
        checkNvmeLimits(*p);
    }

    void stackValidation()
    {
        const auto down = plan("lab_lin", "lab_lin2", 0, 0, 1 * MiB);
        QVERIFY(!down);
        QCOMPARE(str(down.error().device), QStringLiteral("lab_lin2"));
        const auto up = plan("lab_lin2", "nvme0n1", 0, 200 * MiB, 1 * MiB);
        QVERIFY(!up);
        QVERIFY(up.error().what.find("built on the destination") != std::string::npos);
        const auto overlap = plan("sda", "sda", 0, 512 * KiB, 1 * MiB);
        QVERIFY(!overlap);
        QVERIFY(overlap.error().what.find("overlap") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestPlannerLab)
#include "test_planner_lab.moc"
