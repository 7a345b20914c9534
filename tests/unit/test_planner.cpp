// SPDX-License-Identifier: GPL-2.0-or-later
// The copy planner on hand-built stacks: offsets down to namespace LBAs, methods and
// reasons per extent, splitting by every device limit, validation errors.
#ifndef Q_MOC_RUN // moc 6.4 cannot parse the C++23 library headers
#include "PlannerLab.h"

#include "copy/CopyPlan.h"
#include "copy/CopyPlanner.h"
#include "copy/CopySafety.h"
#endif

#include <QtTest>

using namespace offload;
using namespace offload::test;

namespace {

QString str(const std::string& s)
{
    return QString::fromStdString(s);
}

/// Facts every plan must satisfy, whatever the stack: extents tile the range in order,
/// offloaded extents are carried by commands exactly, and every command is within limits.
void checkInvariants(const CopyPlan& plan, const CapabilitySet& caps)
{
    uint64_t rel = 0;
    for (const PlannedExtent& e : plan.extents) {
        QCOMPARE(e.srcOffset, plan.srcOffset + rel);
        QCOMPARE(e.dstOffset, plan.dstOffset + rel);
        QVERIFY(e.length > 0);
        QVERIFY(!e.reason.empty());
        rel += e.length;
    }
    QCOMPARE(rel, plan.length);

    uint64_t nvmeBytes = 0;
    for (const NvmeCopyStep& step : plan.nvmeSteps) {
        const NvmeCopyCaps& nvme = *caps.at(step.ns).nvme;
        QVERIFY(!step.ranges.empty());
        QVERIFY(step.ranges.size() <= nvme.maxRanges());
        QVERIFY(step.ranges.size() <= 256);
        uint64_t blocks = 0;
        for (const NvmeSourceRange& range : step.ranges) {
            QVERIFY(range.blocks > 0);
            QVERIFY(range.blocks <= nvme.mssrl);
            QVERIFY(range.blocks <= 65536);
            // The range lies inside one offloaded extent, and its LBAs are that extent's leaf
            // positions; Copy writes the ranges back to back from SDLBA.
            const uint64_t bytes = uint64_t(range.blocks) * step.lbaBytes;
            const auto extent = std::find_if(plan.extents.begin(), plan.extents.end(), [&](const PlannedExtent& e) {
                return range.volumeSrcOffset >= e.srcOffset && range.volumeSrcOffset + bytes <= e.srcOffset + e.length;
            });
            QVERIFY(extent != plan.extents.end());
            QCOMPARE(extent->method, CopyMethod::NvmeCopy);
            QCOMPARE(extent->dstLeaf, std::optional<std::size_t>(step.ns));
            QCOMPARE(extent->srcLeaf, std::optional<std::size_t>(step.srcNs));
            const uint64_t skip = range.volumeSrcOffset - extent->srcOffset;
            QCOMPARE(range.volumeDstOffset, extent->dstOffset + skip);
            QCOMPARE(range.slba * step.lbaBytes, extent->srcLeafOffset + skip);
            QCOMPARE((step.sdlba + blocks) * step.lbaBytes, extent->dstLeafOffset + skip);
            blocks += range.blocks;
        }
        QVERIFY(blocks <= nvme.mcl);
        QCOMPARE(step.bytes(), blocks * step.lbaBytes);
        nvmeBytes += step.bytes();
    }
    QCOMPARE(nvmeBytes, plan.bytesBy(CopyMethod::NvmeCopy));

    uint64_t xcopyBytes = 0;
    for (const XcopyStep& step : plan.xcopySteps) {
        const ScsiCopyCaps& scsi = *caps.at(step.dstLun).scsi;
        QVERIFY(!step.segments.empty());
        if (scsi.rcopKnown)
            QVERIFY(step.segments.size() <= scsi.maxSegmentDescriptors);
        for (const XcopySegment& segment : step.segments) {
            QVERIFY(segment.blocks > 0);
            QVERIFY(segment.blocks <= 65535);
            if (scsi.maxSegmentLength > 0)
                QVERIFY(uint64_t(segment.blocks) * step.blockBytes <= scsi.maxSegmentLength);
        }
        xcopyBytes += step.bytes();
    }
    QCOMPARE(xcopyBytes, plan.bytesBy(CopyMethod::ScsiXcopy));
}

/// Where a volume byte offset of the source lands, according to the NVMe commands.
struct NvmeHit {
    uint64_t slba = 0;
    uint64_t dlba = 0;
    std::size_t srcNs = 0;
    std::size_t dstNs = 0;
};
std::optional<NvmeHit> nvmeLocate(const CopyPlan& plan, uint64_t volumeSrcOffset)
{
    for (const NvmeCopyStep& step : plan.nvmeSteps) {
        uint64_t dlba = step.sdlba;
        for (const NvmeSourceRange& range : step.ranges) {
            const uint64_t bytes = uint64_t(range.blocks) * step.lbaBytes;
            if (volumeSrcOffset >= range.volumeSrcOffset && volumeSrcOffset < range.volumeSrcOffset + bytes) {
                const uint64_t skip = (volumeSrcOffset - range.volumeSrcOffset) / step.lbaBytes;
                return NvmeHit{range.slba + skip, dlba + skip, step.srcNs, step.ns};
            }
            dlba += range.blocks;
        }
    }
    return std::nullopt;
}

} // namespace

class TestPlanner : public QObject {
    Q_OBJECT

private slots:
    // ---- offsets through stacks -------------------------------------------------------
    void linearOnLinearReachesNamespaceLbas()
    {
        PlannerLab lab;
        const auto ns = lab.nvme("nvme0n1", 1, 4 * GiB, qemuNvmeCaps());
        const auto vg = lab.linear("vg-pool", ns, 2048, 4 * 1024 * 1024);     // 2 GiB from sector 2048
        const auto lvA = lab.linear("vg-a", vg, 1024, 8192);                  // linear on linear
        const auto lvB = lab.linear("vg-b", ns, 3 * 1024 * 1024, 8192);       // from 1.5 GiB
        const auto plan = lab.plan(lvA, lvB, 0, 0, 0);
        QVERIFY2(plan, plan ? "" : plan.error().message().c_str());
        QCOMPARE(plan->length, 8192ull * 512);
        QCOMPARE(plan->extents.size(), std::size_t(1));
        const PlannedExtent& e = plan->extents[0];
        QCOMPARE(e.method, CopyMethod::NvmeCopy);
        QCOMPARE(e.srcLeaf, std::optional<std::size_t>(ns));
        QCOMPARE(e.dstLeaf, std::optional<std::size_t>(ns));
        QCOMPARE(e.srcLeafOffset, (2048ull + 1024) * 512);
        QCOMPARE(e.dstLeafOffset, 3ull * 1024 * 1024 * 512);
        QVERIFY(e.reason.find("same namespace nvme0n1") != std::string::npos);
        // The commands address the namespace with namespace-absolute LBAs, never volume LBAs.
        const auto first = nvmeLocate(*plan, 0);
        QVERIFY(first);
        QCOMPARE(first->slba, 3072ull);
        QCOMPARE(first->dlba, 3ull * 1024 * 1024);
        const auto last = nvmeLocate(*plan, 8191ull * 512);
        QVERIFY(last);
        QCOMPARE(last->slba, 3072ull + 8191);
        QCOMPARE(last->dlba, 3ull * 1024 * 1024 + 8191);
        QCOMPARE(plan->offloadedShare(), 1.0);
        checkInvariants(*plan, lab.capabilities());
    }

    void partitionOffsetsIn4KLbas()
    {
        PlannerLab lab;
        const auto ns = lab.nvme("nvme0n1", 1, 8 * GiB, qemuNvmeCaps(4096));
        const auto p1 = lab.partition("nvme0n1p1", ns, 1, 2048, 1 * GiB);
        const auto p2 = lab.partition("nvme0n1p2", ns, 2, 2048 + 2 * 1024 * 1024, 1 * GiB);
        const auto plan = lab.plan(p1, p2, 64 * KiB, 128 * KiB, 1 * MiB);
        QVERIFY2(plan, plan ? "" : plan.error().message().c_str());
        QCOMPARE(plan->extents.size(), std::size_t(1));
        QCOMPARE(plan->extents[0].method, CopyMethod::NvmeCopy);
        QCOMPARE(plan->extents[0].srcLeafOffset, 2048ull * 512 + 64 * KiB);
        QCOMPARE(plan->extents[0].dstLeafOffset, (2048ull + 2 * 1024 * 1024) * 512 + 128 * KiB);
        const auto hit = nvmeLocate(*plan, 64 * KiB);
        QVERIFY(hit);
        // 2048 sectors = 256 LBAs of 4 KiB; 64 KiB = 16 LBAs.
        QCOMPARE(hit->slba, 256ull + 16);
        QCOMPARE(hit->dlba, (2048ull + 2 * 1024 * 1024) / 8 + 32);
        QCOMPARE(plan->nvmeSteps.front().lbaBytes, 4096u);
        // 1 MiB = 256 blocks of 4 KiB: one command, one range (MSSRL 256).
        QCOMPARE(plan->nvmeSteps.size(), std::size_t(1));
        QCOMPARE(plan->nvmeSteps[0].ranges.size(), std::size_t(1));
        QCOMPARE(plan->nvmeSteps[0].ranges[0].blocks, 256u);
        checkInvariants(*plan, lab.capabilities());
    }

    void stripedCongruentChunksOffload()
    {
        // Two namespaces on two controllers, striped with 64 KiB chunks; the destination is a
        // second stripe set on the same members with an offset congruent modulo the stripe
        // width: every chunk lands on its own member, so everything offloads.
        PlannerLab lab;
        NvmeCopyCaps other = qemuNvmeCaps();
        other.subsysnqn = "nqn.2019-08.org.qemu:ctrl1";
        const auto a = lab.nvme("nvme0n1", 1, 4 * GiB, qemuNvmeCaps(), "nvme0");
        const auto b = lab.nvme("nvme1n1", 1, 4 * GiB, other, "nvme1");
        const std::string members = lab.devnum(a) + " 0 " + lab.devnum(b) + " 0";
        const std::string membersHigh = lab.devnum(a) + " 1048576 " + lab.devnum(b) + " 1048576";
        const auto src = lab.dm("stripe-src", {{0, 2 * 1024 * 1024, "striped", "2 128 " + members}}, {a, b});
        const auto dst = lab.dm("stripe-dst", {{0, 2 * 1024 * 1024, "striped", "2 128 " + membersHigh}}, {a, b});
        const auto plan = lab.plan(src, dst, 0, 0, 1 * MiB);
        QVERIFY2(plan, plan ? "" : plan.error().message().c_str());
        QCOMPARE(plan->bytesBy(CopyMethod::NvmeCopy), 1 * MiB);
        QCOMPARE(plan->offloadedShare(), 1.0);
        for (const PlannedExtent& e : plan->extents)
            QCOMPARE(e.srcLeaf, e.dstLeaf);
        // Each member's chunks land back to back: 8 chunks of 128 blocks make one command
        // per member (MCL 1024, 8 ranges = MSRC + 1).
        QCOMPARE(plan->nvmeSteps.size(), std::size_t(2));
        QCOMPARE(plan->nvmeSteps[0].ranges.size(), std::size_t(8));
        QCOMPARE(plan->nvmeSteps[0].sdlba, 1048576ull);
        QCOMPARE(plan->nvmeSteps[1].ns, b);
        checkInvariants(*plan, lab.capabilities());
    }

    void stripedIncongruentChunksPartlyOffload()
    {
        // A destination one chunk later on the same stripe set lands member A's chunks on
        // member B. A linear destination on member A only: A's chunks offload, B's do not.
        PlannerLab lab;
        NvmeCopyCaps other = qemuNvmeCaps();
        other.subsysnqn = "nqn.2019-08.org.qemu:ctrl1";
        const auto a = lab.nvme("nvme0n1", 1, 4 * GiB, qemuNvmeCaps(), "nvme0");
        const auto b = lab.nvme("nvme1n1", 1, 4 * GiB, other, "nvme1");
        const std::string members = lab.devnum(a) + " 0 " + lab.devnum(b) + " 0";
        const auto src = lab.dm("stripe-src", {{0, 2 * 1024 * 1024, "striped", "2 128 " + members}}, {a, b});
        const auto dst = lab.linear("lin-a", a, 4 * 1024 * 1024, 2 * 1024 * 1024);

        const auto shifted = lab.plan(src, src, 0, 64 * KiB, 64 * KiB);
        QVERIFY2(shifted, shifted ? "" : shifted.error().message().c_str());
        QCOMPARE(shifted->extents.size(), std::size_t(1));
        QCOMPARE(shifted->extents[0].method, CopyMethod::ReadWrite);
        QVERIFY2(shifted->extents[0].reason.find("nvme0n1 and nvme1n1 are namespaces of different NVMe subsystems")
                     == 0,
                 shifted->extents[0].reason.c_str());

        const auto plan = lab.plan(src, dst, 0, 0, 1 * MiB);
        QVERIFY2(plan, plan ? "" : plan.error().message().c_str());
        QCOMPARE(plan->extents.size(), std::size_t(16)); // 16 chunks of 64 KiB alternate
        for (std::size_t i = 0; i < plan->extents.size(); ++i) {
            const PlannedExtent& e = plan->extents[i];
            QCOMPARE(e.length, 64 * KiB);
            QCOMPARE(e.method, i % 2 == 0 ? CopyMethod::NvmeCopy : CopyMethod::ReadWrite);
            QCOMPARE(e.srcLeaf, std::optional<std::size_t>(i % 2 == 0 ? a : b));
            QCOMPARE(e.srcLeafOffset, (i / 2) * 64 * KiB);
            QCOMPARE(e.dstLeafOffset, 4ull * 1024 * 1024 * 512 + i * 64 * KiB);
        }
        QCOMPARE(plan->offloadedShare(), 0.5);
        // The offloaded chunks' destinations are 128 KiB apart: one command each.
        QCOMPARE(plan->nvmeSteps.size(), std::size_t(8));
        checkInvariants(*plan, lab.capabilities());
    }

    void adjacentPiecesMergeIntoOneExtent()
    {
        // Two dm-linear segments that are contiguous on the namespace: one extent, one command.
        PlannerLab lab;
        const auto ns = lab.nvme("nvme0n1", 1, 4 * GiB, qemuNvmeCaps());
        const auto src = lab.dm("two-segments",
                                {{0, 256, "linear", lab.devnum(ns) + " 4096"},
                                 {256, 256, "linear", lab.devnum(ns) + " 4352"}},
                                {ns});
        const auto dst = lab.linear("dst", ns, 1 << 20, 512);
        const auto plan = lab.plan(src, dst, 0, 0, 0);
        QVERIFY2(plan, plan ? "" : plan.error().message().c_str());
        QCOMPARE(plan->extents.size(), std::size_t(1));
        QCOMPARE(plan->extents[0].length, 512ull * 512);
        QCOMPARE(plan->nvmeSteps.size(), std::size_t(1));
        QCOMPARE(plan->nvmeSteps[0].ranges.size(), std::size_t(2)); // MSSRL 256 still splits
        checkInvariants(*plan, lab.capabilities());
    }

    void scatteredSourceBatchesIntoOneCommand()
    {
        // A source made of three scattered pieces of the namespace and a contiguous destination:
        // NVMe Copy takes several source ranges per command, written back to back from SDLBA.
        PlannerLab lab;
        const auto ns = lab.nvme("nvme0n1", 1, 4 * GiB, qemuNvmeCaps());
        const auto src = lab.dm("scattered",
                                {{0, 100, "linear", lab.devnum(ns) + " 10000"},
                                 {100, 50, "linear", lab.devnum(ns) + " 20000"},
                                 {150, 200, "linear", lab.devnum(ns) + " 30000"}},
                                {ns});
        const auto dst = lab.linear("dst", ns, 40000, 350);
        const auto plan = lab.plan(src, dst, 0, 0, 0);
        QVERIFY2(plan, plan ? "" : plan.error().message().c_str());
        QCOMPARE(plan->extents.size(), std::size_t(3));
        QCOMPARE(plan->nvmeSteps.size(), std::size_t(1));
        const NvmeCopyStep& step = plan->nvmeSteps[0];
        QCOMPARE(step.sdlba, 40000ull);
        QCOMPARE(step.ranges.size(), std::size_t(3));
        QCOMPARE(step.ranges[0].slba, 10000ull);
        QCOMPARE(step.ranges[0].blocks, 100u);
        QCOMPARE(step.ranges[1].slba, 20000ull);
        QCOMPARE(step.ranges[1].blocks, 50u);
        QCOMPARE(step.ranges[2].slba, 30000ull);
        QCOMPARE(step.ranges[2].blocks, 200u);
        QCOMPARE(step.ranges[2].volumeSrcOffset, 150ull * 512);
        QCOMPARE(step.format, uint8_t(0));
        QCOMPARE(step.ranges[0].snsid, 0u);
        checkInvariants(*plan, lab.capabilities());

        // A batch limit of 2 ranges per command splits it.
        CopyRequest limited;
        limited.maxNvmeBatch = 2;
        const auto two = lab.plan(src, dst, 0, 0, 0, limited);
        QVERIFY(two);
        QCOMPARE(two->nvmeSteps.size(), std::size_t(2));
        QCOMPARE(two->nvmeSteps[1].sdlba, 40150ull);
    }

    // ---- limits -------------------------------------------------------------------------
    void nvmeSplitsByMssrlMclMsrc()
    {
        PlannerLab lab;
        const auto ns = lab.nvme("nvme0n1", 1, 4 * GiB, qemuNvmeCaps()); // mssrl 256, mcl 1024, msrc 7
        const uint64_t blocks = 4096 + 100;
        const auto plan = lab.plan(ns, ns, 0, 1 * GiB, blocks * 512);
        QVERIFY2(plan, plan ? "" : plan.error().message().c_str());
        // MCL 1024 blocks per command: 4 full commands of 4 x 256 and one of 100.
        QCOMPARE(plan->nvmeSteps.size(), std::size_t(5));
        for (std::size_t i = 0; i < 4; ++i) {
            const NvmeCopyStep& step = plan->nvmeSteps[i];
            QCOMPARE(step.ranges.size(), std::size_t(4));
            QCOMPARE(step.sdlba, 2ull * 1024 * 1024 + i * 1024);
            for (const NvmeSourceRange& r : step.ranges)
                QCOMPARE(r.blocks, 256u);
        }
        QCOMPARE(plan->nvmeSteps[4].ranges.size(), std::size_t(1));
        QCOMPARE(plan->nvmeSteps[4].ranges[0].blocks, 100u);
        QCOMPARE(plan->nvmeSteps[4].ranges[0].slba, 4096ull);
        checkInvariants(*plan, lab.capabilities());

        // MSRC 1 (two ranges per command) binds before MCL.
        NvmeCopyCaps tight = qemuNvmeCaps();
        tight.msrc = 1;
        lab.capability(ns).nvme = tight;
        const auto two = lab.plan(ns, ns, 0, 1 * GiB, 2048 * 512);
        QVERIFY(two);
        QCOMPARE(two->nvmeSteps.size(), std::size_t(4));
        for (const NvmeCopyStep& step : two->nvmeSteps)
            QCOMPARE(step.bytes(), 512ull * 512);
        checkInvariants(*two, lab.capabilities());

        // MCL smaller than MSSRL caps the range itself.
        tight = qemuNvmeCaps();
        tight.mcl = 100;
        lab.capability(ns).nvme = tight;
        const auto small = lab.plan(ns, ns, 0, 1 * GiB, 250 * 512);
        QVERIFY(small);
        QCOMPARE(small->nvmeSteps.size(), std::size_t(3));
        QCOMPARE(small->nvmeSteps[2].ranges[0].blocks, 50u);
        checkInvariants(*small, lab.capabilities());
    }

    void nvmeRangesNeverExceed65536Blocks()
    {
        PlannerLab lab;
        NvmeCopyCaps huge = qemuNvmeCaps();
        huge.mssrl = 1u << 20;
        huge.mcl = 1u << 22;
        huge.msrc = 255;
        const auto ns = lab.nvme("nvme0n1", 1, 16 * GiB, huge);
        const auto plan = lab.plan(ns, ns, 0, 8 * GiB, 200000ull * 512);
        QVERIFY(plan);
        QCOMPARE(plan->nvmeSteps.size(), std::size_t(1));
        QCOMPARE(plan->nvmeSteps[0].ranges.size(), std::size_t(4)); // 65536 * 3 + 3392
        QCOMPARE(plan->nvmeSteps[0].ranges[0].blocks, 65536u);
        QCOMPARE(plan->nvmeSteps[0].ranges[3].blocks, 200000u - 3 * 65536u);
        checkInvariants(*plan, lab.capabilities());
    }

    void maxCommandBytesCapsEachCommand()
    {
        PlannerLab lab;
        const auto ns = lab.nvme("nvme0n1", 1, 4 * GiB, qemuNvmeCaps());
        CopyRequest request;
        request.maxCommandBytes = 64 * KiB;
        const auto plan = lab.plan(ns, ns, 0, 1 * GiB, 1 * MiB, request);
        QVERIFY(plan);
        QCOMPARE(plan->nvmeSteps.size(), std::size_t(16));
        for (const NvmeCopyStep& step : plan->nvmeSteps)
            QCOMPARE(step.bytes(), 64 * KiB);
    }

    void xcopySplitsSegmentsAndCommands()
    {
        PlannerLab lab;
        const auto sda = lab.scsi("sda", "6:0:1", 1 * GiB, lioScsiCaps(0x11));
        const auto sdb = lab.scsi("sdb", "6:0:1", 1 * GiB, lioScsiCaps(0x22));
        const uint64_t blocks = 100000;
        const auto plan = lab.plan(sda, sdb, 0, 4 * MiB, blocks * 512);
        QVERIFY2(plan, plan ? "" : plan.error().message().c_str());
        QCOMPARE(plan->extents.size(), std::size_t(1));
        QCOMPARE(plan->extents[0].method, CopyMethod::ScsiXcopy);
        QVERIFY(plan->extents[0].reason.find("one target (6:0:1)") != std::string::npos);
        // LIO: one segment per command, at most 65,535 blocks per segment.
        QCOMPARE(plan->xcopySteps.size(), std::size_t(2));
        QCOMPARE(plan->xcopySteps[0].segments.size(), std::size_t(1));
        QCOMPARE(plan->xcopySteps[0].segments[0].blocks, 65535u);
        QCOMPARE(plan->xcopySteps[0].segments[0].dstLba, 8192ull);
        QCOMPARE(plan->xcopySteps[1].segments[0].blocks, uint32_t(blocks - 65535));
        QCOMPARE(plan->xcopySteps[1].segments[0].srcLba, 65535ull);
        QCOMPARE(plan->xcopySteps[1].segments[0].volumeDstOffset, 4 * MiB + 65535ull * 512);
        QCOMPARE(plan->xcopySteps[0].srcLun, sda);
        QCOMPARE(plan->xcopySteps[0].dstLun, sdb);
        QCOMPARE(plan->xcopySteps[0].issueTo, sdb);
        checkInvariants(*plan, lab.capabilities());

        // A 1 MiB maximum segment length and 4 segments per command.
        for (auto lun : {sda, sdb}) {
            lab.capability(lun).scsi->maxSegmentLength = 1 * MiB;
            lab.capability(lun).scsi->maxSegmentDescriptors = 4;
        }
        const auto small = lab.plan(sda, sdb, 0, 4 * MiB, 10 * MiB);
        QVERIFY(small);
        QCOMPARE(small->xcopySteps.size(), std::size_t(3)); // 10 segments of 2048 blocks: 4 + 4 + 2
        QCOMPARE(small->xcopySteps[0].segments.size(), std::size_t(4));
        QCOMPARE(small->xcopySteps[2].segments.size(), std::size_t(2));
        QCOMPARE(small->xcopySteps[0].segments[3].blocks, 2048u);
        checkInvariants(*small, lab.capabilities());

        // Without operating parameters: one segment per command.
        for (auto lun : {sda, sdb})
            lab.capability(lun).scsi->rcopKnown = false;
        const auto unknown = lab.plan(sda, sdb, 0, 4 * MiB, 10 * MiB);
        QVERIFY(unknown);
        QCOMPARE(unknown->xcopySteps.size(), std::size_t(1)); // 20480 blocks fit one segment
        QCOMPARE(unknown->xcopySteps[0].segments.size(), std::size_t(1));
    }

    void xcopyAcrossTargetsFallsBack()
    {
        PlannerLab lab;
        const auto sda = lab.scsi("sda", "6:0:1", 1 * GiB, lioScsiCaps(0x11));
        const auto sdc = lab.scsi("sdc", "6:0:2", 1 * GiB, lioScsiCaps(0x33));
        const auto plan = lab.plan(sda, sdc, 0, 0, 1 * MiB);
        QVERIFY(plan);
        QCOMPARE(plan->extents[0].method, CopyMethod::ReadWrite);
        QVERIFY2(plan->extents[0].reason.find("sda (target 6:0:1) and sdc (target 6:0:2) are on different SCSI targets") !=
                     std::string::npos,
                 plan->extents[0].reason.c_str());
        QVERIFY(plan->xcopySteps.empty());

        lab.capability(sda).scsi->naaDesignator.clear();
        const auto sdb = lab.scsi("sdb", "6:0:1", 1 * GiB, lioScsiCaps(0x22));
        const auto noNaa = lab.plan(sda, sdb, 0, 0, 1 * MiB);
        QVERIFY(noNaa);
        QCOMPARE(noNaa->extents[0].method, CopyMethod::ReadWrite);
        QVERIFY(noNaa->extents[0].reason.find("sda has no NAA designator") != std::string::npos);
    }

    // ---- reasons ------------------------------------------------------------------------
    void cryptInTheStackFallsBack()
    {
        PlannerLab lab;
        const auto ns = lab.nvme("nvme0n1", 1, 4 * GiB, qemuNvmeCaps());
        const auto crypt = lab.dm("secret",
                                  {{0, 1 << 20, "crypt", "aes-xts-plain64 :64:logon:cryptsetup:key 0 " +
                                                             lab.devnum(ns) + " 32768"}},
                                  {ns});
        const auto plain = lab.linear("plain", ns, 4 << 20, 1 << 20);
        const auto plan = lab.plan(crypt, plain, 0, 0, 1 * MiB);
        QVERIFY2(plan, plan ? "" : plan.error().message().c_str());
        QCOMPARE(plan->extents.size(), std::size_t(1));
        QCOMPARE(plan->extents[0].method, CopyMethod::ReadWrite);
        QVERIFY2(plan->extents[0].reason.find("crypt") != std::string::npos, plan->extents[0].reason.c_str());
        QVERIFY(!plan->extents[0].srcLeaf);
        QCOMPARE(plan->offloadedShare(), 0.0);
        QVERIFY(plan->nvmeSteps.empty());
    }

    void differentDevicesFallBack()
    {
        PlannerLab lab;
        const auto ns = lab.nvme("nvme0n1", 1, 4 * GiB, qemuNvmeCaps());
        const auto sda = lab.scsi("sda", "6:0:1", 4 * GiB, lioScsiCaps(0x11));
        const auto plan = lab.plan(ns, sda, 0, 0, 1 * MiB);
        QVERIFY(plan);
        QCOMPARE(plan->extents[0].method, CopyMethod::ReadWrite);
        QCOMPARE(str(plan->extents[0].reason), QStringLiteral("nvme0n1 offers NVMe Copy and sda SCSI EXTENDED COPY: no "
                                                              "copy command moves data between an NVMe namespace "
                                                              "and a SCSI LUN"));
    }

    void loopDevicesHaveNoCopyCommand()
    {
        PlannerLab lab;
        const auto loop0 = lab.loop("loop0", 1 * GiB);
        const auto loop1 = lab.loop("loop1", 1 * GiB);
        const auto same = lab.plan(loop0, loop0, 0, 512 * MiB, 1 * MiB);
        QVERIFY(same);
        QCOMPARE(same->extents[0].method, CopyMethod::ReadWrite);
        QVERIFY2(same->extents[0].reason.find("loop device: no copy command") != std::string::npos,
                 same->extents[0].reason.c_str());
        const auto two = lab.plan(loop0, loop1, 0, 0, 1 * MiB);
        QVERIFY(two);
        QCOMPARE(str(two->extents[0].reason),
                 QStringLiteral("different devices: loop0 and loop1; loop0: loop device: no copy command"));
    }

    void misalignedLeafFallsBack()
    {
        // A partition starting at sector 2049 of a 4 KiB-LBA namespace: volume offsets are
        // block multiples, but on the namespace they are not.
        PlannerLab lab;
        const auto ns = lab.nvme("nvme0n1", 1, 4 * GiB, qemuNvmeCaps(4096));
        const auto p1 = lab.partition("nvme0n1p1", ns, 1, 2049, 1 * GiB);
        const auto plan = lab.plan(p1, p1, 0, 512 * MiB, 1 * MiB);
        QVERIFY2(plan, plan ? "" : plan.error().message().c_str());
        QCOMPARE(plan->extents[0].method, CopyMethod::ReadWrite);
        QCOMPARE(str(plan->extents[0].reason), QStringLiteral("misaligned to 4096-byte LBA on nvme0n1"));

        // Only the source side misaligned: an aligned partition as the destination.
        const auto p2 = lab.partition("nvme0n1p2", ns, 2, 4096 * 1024, 1 * GiB);
        const auto one = lab.plan(p1, p2, 0, 0, 1 * MiB);
        QVERIFY(one);
        QCOMPARE(one->extents[0].method, CopyMethod::ReadWrite);
        QCOMPARE(str(one->extents[0].reason), QStringLiteral("misaligned to 4096-byte LBA on nvme0n1"));
        const auto aligned = lab.plan(p2, p2, 0, 512 * MiB, 1 * MiB);
        QVERIFY(aligned);
        QCOMPARE(aligned->extents[0].method, CopyMethod::NvmeCopy);
    }

    void differentBlockSizesFallBack()
    {
        PlannerLab lab;
        const auto big = lab.nvme("nvme0n1", 1, 4 * GiB, qemuNvmeCaps(4096));
        const auto small = lab.nvme("nvme0n2", 2, 4 * GiB, qemuNvmeCaps(512));
        const auto plan = lab.plan(big, small, 0, 0, 1 * MiB);
        QVERIFY(plan);
        QCOMPARE(plan->extents[0].method, CopyMethod::ReadWrite);
        QCOMPARE(str(plan->extents[0].reason),
                 QStringLiteral("logical block sizes differ: 4096 bytes on nvme0n1, 512 on nvme0n2: a copy command "
                                "moves whole blocks of one size"));
        QVERIFY(!plan->warnings.empty());
        // The larger block size governs alignment, and the message names it.
        const auto bad = lab.plan(small, big, 512, 0, 1 * MiB);
        QVERIFY(!bad);
        QCOMPARE(bad.error().code, Errc::InvalidArgument);
        QVERIFY2(bad.error().message().find("4096-byte logical block size") != std::string::npos,
                 bad.error().message().c_str());
        QCOMPARE(str(bad.error().device), QStringLiteral("nvme0n1"));
    }

    void zeroLimitsFallBack()
    {
        PlannerLab lab;
        NvmeCopyCaps caps = qemuNvmeCaps();
        caps.mcl = 0;
        const auto ns = lab.nvme("nvme0n1", 1, 4 * GiB, caps);
        const auto plan = lab.plan(ns, ns, 0, 1 * GiB, 1 * MiB);
        QVERIFY(plan);
        QCOMPARE(plan->extents[0].method, CopyMethod::ReadWrite);
        QVERIFY2(plan->extents[0].reason.find("MCL is 0 on nvme0n1") == 0, plan->extents[0].reason.c_str());
        QVERIFY(plan->nvmeSteps.empty());
    }

    void noOffloadRequested()
    {
        PlannerLab lab;
        const auto ns = lab.nvme("nvme0n1", 1, 4 * GiB, qemuNvmeCaps());
        CopyRequest request;
        request.noOffload = true;
        const auto plan = lab.plan(ns, ns, 0, 1 * GiB, 1 * MiB, request);
        QVERIFY(plan);
        QCOMPARE(plan->extents[0].method, CopyMethod::ReadWrite);
        QCOMPARE(str(plan->extents[0].reason), QStringLiteral("no offload requested (--no-offload)"));
        QVERIFY(plan->nvmeSteps.empty());
    }

    void crossNamespaceFollowsTheKernelPolicy()
    {
        PlannerLab lab;
        NvmeCopyCaps caps = qemuNvmeCaps();
        caps.ocfs = 0xf;
        const auto n1 = lab.nvme("nvme0n1", 1, 4 * GiB, caps);
        const auto n2 = lab.nvme("nvme0n2", 2, 4 * GiB, caps);

        // Kernel unknown (no release): not promised, and the reason says so.
        const auto unknown = lab.plan(n1, n2, 0, 0, 1 * MiB);
        QVERIFY(unknown);
        QCOMPARE(unknown->extents[0].method, CopyMethod::ReadWrite);
        QVERIFY2(unknown->extents[0].reason.find("unknown whether") != std::string::npos,
                 unknown->extents[0].reason.c_str());
        QVERIFY2(unknown->extents[0].reason.find("6.12") != std::string::npos, unknown->extents[0].reason.c_str());

        // Linux 6.12 refuses Set Features Host Behavior Support from user space.
        lab.setKernelRelease("6.12.117+deb12-amd64");
        const auto refused = lab.plan(n1, n2, 0, 0, 1 * MiB);
        QVERIFY(refused);
        QCOMPARE(refused->extents[0].method, CopyMethod::ReadWrite);
        QVERIFY2(refused->extents[0].reason.find("does not let us enable it") != std::string::npos,
                 refused->extents[0].reason.c_str());

        // --cross-namespace forces it there (the engine falls back if enabling is refused).
        CopyRequest forced;
        forced.forceCrossNamespace = true;
        const auto tried = lab.plan(n1, n2, 0, 8 * KiB, 1 * MiB, forced);
        QVERIFY(tried);
        QCOMPARE(tried->extents[0].method, CopyMethod::NvmeCopy);
        QVERIFY2(tried->extents[0].reason.find("forced with --cross-namespace") != std::string::npos,
                 tried->extents[0].reason.c_str());

        // Linux 6.1 lets us enable it: planned by default, format 2, sent to the destination.
        lab.setKernelRelease("6.1.0-28-amd64");
        const auto plan = lab.plan(n1, n2, 0, 8 * KiB, 1 * MiB);
        QVERIFY(plan);
        QCOMPARE(plan->extents[0].method, CopyMethod::NvmeCopy);
        QVERIFY(!plan->nvmeSteps.empty());
        for (const NvmeCopyStep& step : plan->nvmeSteps) {
            QCOMPARE(step.format, uint8_t(2));
            QCOMPARE(step.ns, n2);     // sent to the destination namespace
            QCOMPARE(step.srcNs, n1);
            for (const NvmeSourceRange& range : step.ranges)
                QCOMPARE(range.snsid, 1u);
        }
        QCOMPARE(plan->nvmeSteps[0].sdlba, 16ull);
        checkInvariants(*plan, lab.capabilities());

        // Without OCFS bit 2 the controller cannot, whatever the kernel or the flag.
        lab.capability(n2).nvme->ocfs = 0x3;
        const auto noFormat = lab.plan(n1, n2, 0, 0, 1 * MiB, forced);
        QVERIFY(noFormat);
        QCOMPARE(noFormat->extents[0].method, CopyMethod::ReadWrite);
        QVERIFY2(noFormat->extents[0].reason.find("lacks copy descriptor format 2 (OCFS 0x3)") != std::string::npos,
                 noFormat->extents[0].reason.c_str());

        // Another subsystem: no cross-namespace copy at all.
        NvmeCopyCaps far = caps;
        far.subsysnqn = "nqn.2019-08.org.qemu:other";
        const auto n3 = lab.nvme("nvme1n1", 1, 4 * GiB, far, "nvme1");
        const auto farPlan = lab.plan(n1, n3, 0, 0, 1 * MiB, forced);
        QVERIFY(farPlan);
        QCOMPARE(farPlan->extents[0].method, CopyMethod::ReadWrite);
        QVERIFY2(farPlan->extents[0].reason.find("nvme0n1 and nvme1n1 are namespaces of different NVMe subsystems")
                     == 0,
                 farPlan->extents[0].reason.c_str());
    }

    void dmZeroSourceIsWrittenByReadWrite()
    {
        PlannerLab lab;
        const auto ns = lab.nvme("nvme0n1", 1, 4 * GiB, qemuNvmeCaps());
        const auto zero = lab.dm("zeros", {{0, 2048, "zero", ""}}, {});
        const auto plan = lab.plan(zero, ns, 0, 0, 0);
        QVERIFY2(plan, plan ? "" : plan.error().message().c_str());
        QCOMPARE(plan->extents.size(), std::size_t(1));
        QCOMPARE(plan->extents[0].method, CopyMethod::ReadWrite);
        QVERIFY2(plan->extents[0].reason.find("dm-zero") != std::string::npos, plan->extents[0].reason.c_str());
    }

    // ---- validation ---------------------------------------------------------------------
    void rangeBeyondTheEndsIsRefused()
    {
        PlannerLab lab;
        NvmeCopyCaps other = qemuNvmeCaps();
        other.subsysnqn = "nqn.2019-08.org.qemu:ctrl1";
        const auto ns = lab.nvme("nvme0n1", 1, 1 * GiB, qemuNvmeCaps());
        const auto disk = lab.nvme("nvme1n1", 1, 1 * GiB, other, "nvme1");
        const auto lv = lab.linear("small", disk, 2048, 2048); // 1 MiB
        const auto beyondSource = lab.plan(lv, ns, 512 * KiB, 0, 1 * MiB);
        QVERIFY(!beyondSource);
        QCOMPARE(beyondSource.error().code, Errc::InvalidArgument);
        QCOMPARE(str(beyondSource.error().device), QStringLiteral("small"));
        QVERIFY(beyondSource.error().what.find("beyond the end of the source") != std::string::npos);

        const auto beyondDestination = lab.plan(ns, lv, 0, 0, 2 * MiB);
        QVERIFY(!beyondDestination);
        QVERIFY(beyondDestination.error().what.find("goes beyond its end (1048576 bytes)") != std::string::npos);

        const auto rest = lab.plan(ns, lv, 1 * GiB - 1 * MiB, 0, 0); // length 0: rest of the source
        QVERIFY(rest);
        QCOMPARE(rest->length, 1 * MiB);
        const auto atEnd = lab.plan(ns, lv, 1 * GiB, 0, 0);
        QVERIFY(!atEnd);
    }

    void misalignedRequestIsRefused()
    {
        PlannerLab lab;
        const auto ns = lab.nvme("nvme0n1", 1, 1 * GiB, qemuNvmeCaps(4096));
        for (auto [src, dst, len] : {std::tuple{512ull, 0ull, 4096ull}, std::tuple{0ull, 1024ull, 4096ull},
                                     std::tuple{0ull, 8192ull, 6144ull}}) {
            const auto plan = lab.plan(ns, ns, src, 512 * MiB + dst, len);
            QVERIFY(!plan);
            QCOMPARE(plan.error().code, Errc::InvalidArgument);
            QVERIFY(plan.error().what.find("not a multiple of the 4096-byte logical block size") != std::string::npos);
            QVERIFY(!plan.error().hint.empty());
        }
    }

    void overlappingRangesAreRefused()
    {
        PlannerLab lab;
        const auto ns = lab.nvme("nvme0n1", 1, 1 * GiB, qemuNvmeCaps());
        const auto same = lab.plan(ns, ns, 0, 512 * KiB, 1 * MiB);
        QVERIFY(!same);
        QVERIFY(same.error().what.find("overlap") != std::string::npos);
        QVERIFY(lab.plan(ns, ns, 0, 1 * MiB, 1 * MiB)); // adjacent is fine

        // Two volumes that share blocks of the namespace.
        const auto a = lab.linear("lv-a", ns, 2048, 4096);
        const auto b = lab.linear("lv-b", ns, 4096, 4096);
        const auto shared = lab.plan(a, b, 0, 0, 0);
        QVERIFY(!shared);
        QCOMPARE(str(shared.error().device), QStringLiteral("nvme0n1"));
        QVERIFY2(shared.error().what.find("share bytes") != std::string::npos, shared.error().what.c_str());
        QVERIFY(lab.plan(a, b, 0, 1 * MiB, 1 * MiB)); // lv-a's first MiB vs lv-b's second: disjoint
    }

    void endpointBuiltOnTheOtherIsRefused()
    {
        PlannerLab lab;
        const auto ns = lab.nvme("nvme0n1", 1, 1 * GiB, qemuNvmeCaps());
        const auto p1 = lab.partition("nvme0n1p1", ns, 1, 2048, 256 * MiB);
        const auto lv = lab.linear("on-p1", p1, 0, 2048);
        const auto down = lab.plan(ns, lv, 512 * MiB, 0, 1 * MiB);
        QVERIFY(!down);
        QVERIFY(down.error().what.find("destination is built on the source") != std::string::npos);
        const auto up = lab.plan(lv, ns, 0, 512 * MiB, 1 * MiB);
        QVERIFY(!up);
        QVERIFY(up.error().what.find("is built on the destination") != std::string::npos);
    }

    void readOnlyDestinationIsRefused()
    {
        PlannerLab lab;
        const auto ns = lab.nvme("nvme0n1", 1, 1 * GiB, qemuNvmeCaps());
        const auto lv = lab.linear("snapshot", ns, 2048, 2048);
        const auto other = lab.nvme("nvme0n2", 2, 1 * GiB, qemuNvmeCaps());
        lab.device(lv).readOnly = true;
        const auto plan = lab.plan(other, lv, 0, 0, 1 * MiB);
        QVERIFY(!plan);
        QCOMPARE(plan.error().code, Errc::InvalidArgument);
        QCOMPARE(str(plan.error().device), QStringLiteral("/dev/mapper/snapshot"));
        QVERIFY(plan.error().what.find("read-only") != std::string::npos);
        QVERIFY(lab.plan(lv, other, 0, 0, 1 * MiB)); // reading it is fine
    }

    void readOnlyLayerUnderTheDestinationIsRefused()
    {
        // A writable dm-linear on a partition that blockdev --setro made read-only: the
        // planner refuses with the same error as CopySafety (one check, one exit code).
        PlannerLab lab;
        const auto ns = lab.nvme("nvme0n1", 1, 1 * GiB, qemuNvmeCaps());
        const auto part = lab.partition("nvme0n1p1", ns, 1, 2048, 512 * MiB);
        const auto lv = lab.linear("vol", part, 0, 65536);
        const auto other = lab.nvme("nvme0n2", 2, 1 * GiB, qemuNvmeCaps());
        lab.device(part).readOnly = true;
        const auto plan = lab.plan(other, lv, 0, 0, 1 * MiB);
        QVERIFY(!plan);
        QCOMPARE(plan.error().code, Errc::InvalidArgument);
        QCOMPARE(str(plan.error().device), QStringLiteral("/dev/nvme0n1p1"));
        QVERIFY(plan.error().what.find("/dev/mapper/vol is built on this partition, which is read-only")
                != std::string::npos);
        const Topology topo = lab.topology();
        auto same = checkDestinationWritable(topo, lv, 0, 1 * MiB);
        QVERIFY(!same);
        QCOMPARE(same.error().message(), plan.error().message());
        QVERIFY(lab.plan(lv, other, 0, 0, 1 * MiB)); // reading through it is fine
    }

    void dmErrorInTheRangeIsRefused()
    {
        PlannerLab lab;
        const auto ns = lab.nvme("nvme0n1", 1, 1 * GiB, qemuNvmeCaps());
        const auto holey = lab.dm("holey",
                                  {{0, 2048, "linear", lab.devnum(ns) + " 2048"}, {2048, 2048, "error", ""}},
                                  {ns});
        const auto target = lab.linear("target", ns, 1 << 20, 4096);
        const auto plan = lab.plan(holey, target, 0, 0, 0);
        QVERIFY(!plan);
        QVERIFY2(plan.error().what.find("reads fail") != std::string::npos, plan.error().what.c_str());
        QVERIFY(lab.plan(holey, target, 0, 0, 1 * MiB)); // the first MiB is fine
        const auto back = lab.plan(target, holey, 0, 0, 0);
        QVERIFY(!back);
        QVERIFY(back.error().what.find("writes fail") != std::string::npos);
    }

    // ---- files --------------------------------------------------------------------------
    void regularFilesPlanReflinkFirst()
    {
        const Topology topo;
        CopyRequest request;
        request.source.file = "/srv/a.img";
        request.source.sizeBytes = 10 * MiB;
        request.destination.file = "/srv/b.img";
        auto plan = planCopy(topo, {}, request);
        QVERIFY2(plan, plan ? "" : plan.error().message().c_str());
        QCOMPARE(plan->length, 10 * MiB);
        QCOMPARE(plan->extents.size(), std::size_t(1));
        QCOMPARE(plan->extents[0].method, CopyMethod::FileClone);

        request.srcOffset = 100;
        plan = planCopy(topo, {}, request);
        QVERIFY(plan);
        QCOMPARE(plan->extents[0].method, CopyMethod::CopyFileRange);
        QCOMPARE(plan->length, 10 * MiB - 100);

        request.destination.file = request.source.file;
        request.dstOffset = 1 * MiB;
        QVERIFY(!planCopy(topo, {}, request)); // overlaps in the same file

        request.srcOffset = 11 * MiB;
        QVERIFY(!planCopy(topo, {}, request));
    }

    void fileToDeviceGoesByReadWrite()
    {
        PlannerLab lab;
        const auto ns = lab.nvme("nvme0n1", 1, 1 * GiB, qemuNvmeCaps());
        const Topology topo = lab.topology();
        CopyRequest request;
        request.source.file = "/srv/a.img";
        request.source.sizeBytes = 10 * MiB;
        request.destination = deviceEndpoint(topo, ns);
        const auto plan = planCopy(topo, lab.capabilities(), request);
        QVERIFY(plan);
        QCOMPARE(plan->extents[0].method, CopyMethod::ReadWrite);
        QVERIFY(plan->extents[0].reason.find("a regular file and a block device") == 0);

        request.source.sizeBytes = 10 * MiB + 100; // a partial block cannot go to the device
        QVERIFY(!planCopy(topo, lab.capabilities(), request));
    }

    void loopBackingFileIsNotItsOwnCopy()
    {
        PlannerLab lab;
        const auto loop = lab.loop("loop0", 1 * GiB); // backed by /var/tmp/loop0.img
        const auto lv = lab.linear("on-loop", loop, 0, 2048);
        const Topology topo = lab.topology();
        CopyRequest request;
        request.source.file = "/var/tmp/loop0.img";
        request.source.sizeBytes = 1 * GiB;
        request.destination = deviceEndpoint(topo, lv);
        request.length = 1 * MiB;
        const auto plan = planCopy(topo, lab.capabilities(), request);
        QVERIFY(!plan);
        QVERIFY2(plan.error().what.find("backs loop0") != std::string::npos, plan.error().what.c_str());
        std::swap(request.source, request.destination);
        QVERIFY(!planCopy(topo, lab.capabilities(), request));
        std::swap(request.source, request.destination);
        request.source.file = "/var/tmp/other.img";
        QVERIFY(planCopy(topo, lab.capabilities(), request));
    }

    // ---- CopyPlan -----------------------------------------------------------------------
    void planTotals()
    {
        QCOMPARE(QString(toString(CopyMethod::NvmeCopy)), QStringLiteral("nvme-copy"));
        QCOMPARE(QString(toString(CopyMethod::ScsiXcopy)), QStringLiteral("scsi-xcopy"));
        QCOMPARE(QString(toString(CopyMethod::ReadWrite)), QStringLiteral("read-write"));
        CopyPlan plan;
        plan.length = 4 * MiB;
        plan.extents = {{0, 0, 1 * MiB, CopyMethod::NvmeCopy, "x", {}, {}, 0, 0},
                        {1 * MiB, 1 * MiB, 3 * MiB, CopyMethod::ReadWrite, "y", {}, {}, 0, 0}};
        QCOMPARE(plan.bytesBy(CopyMethod::NvmeCopy), 1 * MiB);
        QCOMPARE(plan.bytesBy(CopyMethod::ReadWrite), 3 * MiB);
        QCOMPARE(plan.offloadedBytes(), 1 * MiB);
        QCOMPARE(plan.offloadedShare(), 0.25);
        NvmeCopyStep step;
        step.lbaBytes = 4096;
        step.ranges = {{0, 3, 0, 0, 0}, {10, 5, 0, 0, 0}};
        QCOMPARE(step.bytes(), 8ull * 4096);
    }
};

QTEST_GUILESS_MAIN(TestPlanner)
#include "test_planner.moc"
