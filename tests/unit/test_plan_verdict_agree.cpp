// SPDX-License-Identifier: GPL-2.0-or-later
// The verdicts (`offloadcp report`, the app's badge) and the planner (`offloadcp plan`,
// `offloadcp copy`) must tell the same story. For every fixture stack in tests/fixtures and
// every cross-namespace policy of the host (kernel unknown, refusing, allowing):
// - every pair of leaves a volume's verdict judges (pairLeaves, also a leaf with itself)
//   is planned as a real copy between those leaves: the verdict's answer and mechanism must
//   be the plan's method, and a host copy must carry the verdict's reason;
// - every source/destination pair of volumes judged by pairVerdict is planned whole: the
//   offloadable bytes must be the bytes the plan offloads, and "full" must mean all of them.
#ifndef Q_MOC_RUN // moc 6.4 cannot parse the C++23 library headers
#include "capability/HostSupport.h"
#include "capability/Scan.h"
#include "capability/Verdict.h"
#include "copy/CopyPlan.h"
#include "copy/CopyPlanner.h"
#endif

#include <QtTest>

#include <algorithm>
#include <optional>
#include <set>

using namespace offload;

namespace {

constexpr uint64_t kProbeLength = 64 * 1024; // a multiple of every logical block size

QString str(const std::string& s)
{
    return QString::fromStdString(s);
}

/// Fixture folders with a captured topology (a sys/ tree).
QStringList fixtureStacks()
{
    QStringList out;
    const QDir root(OFFLOADCP_FIXTURES);
    for (const QString& name : root.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)) {
        if (QFileInfo(root.filePath(name) + "/sys").isDir())
            out << root.filePath(name);
    }
    return out;
}

std::optional<CopyMethod> methodOf(CopyMechanism mechanism)
{
    switch (mechanism) {
    case CopyMechanism::NvmeCopy: return CopyMethod::NvmeCopy;
    case CopyMechanism::ScsiXcopy: return CopyMethod::ScsiXcopy;
    case CopyMechanism::None: break;
    }
    return std::nullopt;
}

QString where(const Topology& topology, const QString& fixture, const HostCopySupport& host, std::size_t src,
              std::size_t dst)
{
    return QFileInfo(fixture).fileName() + " (kernel " + (host.kernelRelease.empty() ? "unknown" : str(host.kernelRelease))
           + "): " + str(topology.at(src).name) + " -> " + str(topology.at(dst).name);
}

/// The fixture's snapshot with the host policy of `kernel` ("=": the fixture's own).
Result<SystemSnapshot> scanFixture(const QString& fixture, const QString& kernel)
{
    ScanOptions options;
    options.fixture = fixture.toStdString();
    auto snapshot = scanSystem(options);
    if (snapshot && kernel != QStringLiteral("="))
        snapshot->capabilities.host = hostCopySupportFor(kernel.toStdString());
    return snapshot;
}

} // namespace

class TestPlanVerdictAgree : public QObject {
    Q_OBJECT

private slots:
    void leafPairsAgree_data()
    {
        QTest::addColumn<QString>("fixture");
        QTest::addColumn<QString>("kernel");
        for (const QString& fixture : fixtureStacks()) {
            const QString name = QFileInfo(fixture).fileName();
            QTest::newRow(qPrintable(name + " as captured")) << fixture << QStringLiteral("=");
            for (const char* kernel : {"", "6.12.117+deb12-amd64", "6.1.0-28-amd64"})
                QTest::newRow(qPrintable(name + " kernel '" + kernel + "'")) << fixture << QString(kernel);
        }
    }

    void leafPairsAgree()
    {
        QFETCH(QString, fixture);
        QFETCH(QString, kernel);
        auto snapshot = scanFixture(fixture, kernel);
        QVERIFY2(snapshot, snapshot ? "" : snapshot.error().message().c_str());
        const Topology& topology = *snapshot->topology;
        const CapabilitySet& caps = snapshot->capabilities;

        std::set<std::pair<std::size_t, std::size_t>> judged;
        for (std::size_t device = 0; device < topology.size(); ++device) {
            if (topology.at(device).sizeBytes == 0)
                continue;
            const OffloadVerdict verdict = volumeVerdict(topology, caps, device);
            for (std::size_t a : verdict.leaves)
                for (std::size_t b : verdict.leaves)
                    judged.insert({a, b});
        }
        QVERIFY2(!judged.empty(), qPrintable(fixture + ": no leaf pairs to judge"));

        std::size_t planned = 0;
        for (const auto& [a, b] : judged) {
            const QString at = where(topology, fixture, caps.host, a, b);
            const BlockDevice& src = topology.at(a);
            const BlockDevice& dst = topology.at(b);
            if (dst.readOnly || src.sizeBytes < 2 * kProbeLength || dst.sizeBytes < 2 * kProbeLength)
                continue;
            CopyRequest request;
            request.source = deviceEndpoint(topology, a);
            request.destination = deviceEndpoint(topology, b);
            request.length = kProbeLength;
            // Within one leaf: the second half, so the ranges do not overlap.
            request.dstOffset = a == b ? dst.sizeBytes / 2 / kProbeLength * kProbeLength : 0;
            auto plan = planCopy(topology, caps, request);
            QVERIFY2(plan, qPrintable(at + ": " + str(plan ? "" : plan.error().message())));
            ++planned;

            const LeafPairing pairing = pairLeaves(topology, caps, a, b);
            QVERIFY2(!plan->extents.empty(), qPrintable(at));
            for (const PlannedExtent& extent : plan->extents) {
                if (pairing.verdict == Verdict::Full) {
                    QVERIFY2(methodOf(pairing.mechanism) == extent.method,
                             qPrintable(at + ": the verdict says " + toString(pairing.mechanism) + ", the plan "
                                        + toString(extent.method) + " (" + str(extent.reason) + ")"));
                } else {
                    QVERIFY2(extent.method == CopyMethod::ReadWrite,
                             qPrintable(at + ": the verdict says " + toString(pairing.verdict) + " ("
                                        + str(pairing.reason) + "), the plan " + toString(extent.method)));
                    QCOMPARE(str(extent.reason), str(pairing.reason));
                }
            }
        }
        QVERIFY2(planned > 0, qPrintable(fixture + ": no pair could be planned"));
    }

    void volumePairsAgree_data() { leafPairsAgree_data(); }

    void volumePairsAgree()
    {
        QFETCH(QString, fixture);
        QFETCH(QString, kernel);
        auto snapshot = scanFixture(fixture, kernel);
        QVERIFY2(snapshot, snapshot ? "" : snapshot.error().message().c_str());
        const Topology& topology = *snapshot->topology;
        const CapabilitySet& caps = snapshot->capabilities;

        std::size_t compared = 0;
        std::size_t offloading = 0;
        for (std::size_t s = 0; s < topology.size(); ++s) {
            for (std::size_t d = 0; d < topology.size(); ++d) {
                const BlockDevice& src = topology.at(s);
                const BlockDevice& dst = topology.at(d);
                if (s == d || src.sizeBytes == 0 || dst.sizeBytes < src.sizeBytes || dst.readOnly
                    || topology.dependsOn(s, d) || topology.dependsOn(d, s))
                    continue;
                CopyRequest request;
                request.source = deviceEndpoint(topology, s);
                request.destination = deviceEndpoint(topology, d);
                auto plan = planCopy(topology, caps, request);
                if (!plan)
                    continue; // shares blocks with the source below, or a dm-error piece: refused, not judged
                const OffloadVerdict verdict = pairVerdict(topology, caps, s, d);
                const QString at = where(topology, fixture, caps.host, s, d);
                QVERIFY2(verdict.offloadableBytes == plan->offloadedBytes(),
                         qPrintable(at + ": the verdict offloads " + QString::number(verdict.offloadableBytes)
                                    + " bytes, the plan " + QString::number(plan->offloadedBytes())));
                QCOMPARE(verdict.verdict == Verdict::Full, plan->offloadedBytes() == plan->length);
                if (verdict.verdict == Verdict::None)
                    QCOMPARE(plan->offloadedBytes(), uint64_t(0));
                for (CopyMechanism mechanism : verdict.mechanisms)
                    QVERIFY2(plan->bytesBy(*methodOf(mechanism)) > 0, qPrintable(at));
                ++compared;
                if (plan->offloadedBytes() > 0)
                    ++offloading;
            }
        }
        QVERIFY2(compared > 0, qPrintable(fixture + ": no volume pairs compared"));
        qInfo("%s: %zu volume pairs compared, %zu of them offload", qPrintable(QFileInfo(fixture).fileName()),
              compared, offloading);
    }
};

QTEST_GUILESS_MAIN(TestPlanVerdictAgree)
#include "test_plan_verdict_agree.moc"
