// SPDX-License-Identifier: GPL-2.0-or-later
// parseReportCapabilities / mergeReportedCapabilities: `offloadcp report --json` read back
// into capability data (what "Probe as administrator" feeds the desktop app's tree).
#include "capability/ReportCapabilities.h"
#include "capability/Scan.h"
#include "capability/Verdict.h"
#include "copy/CopyPlanner.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <tuple>

using namespace offload;

namespace {

const QString kFixture = QStringLiteral(OFFLOADCP_FIXTURES "/lab-all");

std::string readFile(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    return f.readAll().toStdString();
}

/// A plan as text: every extent's method, reason and length, and every command's shape.
std::string planText(const Topology& t, const CapabilitySet& caps, std::size_t src, std::size_t dst)
{
    CopyRequest request;
    request.source = deviceEndpoint(t, src);
    request.destination = deviceEndpoint(t, dst);
    request.length = std::min<uint64_t>({t.at(src).sizeBytes, t.at(dst).sizeBytes, 64ull << 20});
    auto plan = planCopy(t, caps, request);
    if (!plan)
        return "error: " + plan.error().message();
    std::string out;
    for (const PlannedExtent& e : plan->extents)
        out += std::to_string(e.length) + " " + toString(e.method) + " " + e.reason + "\n";
    for (const NvmeCopyStep& step : plan->nvmeSteps)
        out += "nvme " + std::to_string(step.format) + " " + std::to_string(step.ranges.size()) + " "
               + std::to_string(step.bytes()) + "\n";
    for (const XcopyStep& step : plan->xcopySteps)
        out += "xcopy " + std::to_string(step.segments.size()) + " " + std::to_string(step.bytes()) + "\n";
    return out;
}

/// The capabilities an unprivileged scan has: every leaf "needs root".
CapabilitySet asIfNotRoot(const CapabilitySet& probed)
{
    CapabilitySet out = probed;
    for (DeviceCapability& c : out.devices) {
        if (c.status == ProbeStatus::Ok || c.status == ProbeStatus::Failed) {
            const std::size_t device = c.device;
            c = DeviceCapability{};
            c.device = device;
            c.status = ProbeStatus::NeedsRoot;
            c.reason = "needs root";
        }
    }
    return out;
}

} // namespace

class TestReportCapabilities : public QObject {
    Q_OBJECT
    SystemSnapshot m_snapshot;
    std::vector<ReportedCapability> m_reported;

private slots:
    void initTestCase()
    {
        ScanOptions options;
        options.fixture = kFixture.toStdString();
        auto snapshot = scanSystem(options);
        QVERIFY2(snapshot.has_value(), snapshot ? "" : snapshot.error().message().c_str());
        m_snapshot = *snapshot;
        auto reported = parseReportCapabilities(readFile(kFixture + QStringLiteral("/expected-report.json")));
        QVERIFY2(reported.has_value(), reported ? "" : reported.error().message().c_str());
        m_reported = *reported;
    }

    void readsEveryDeviceOfTheReport()
    {
        // One entry per device of the report (the report leaves out empty devices such as
        // unattached loop devices), keyed by stable id.
        const QJsonDocument doc = QJsonDocument::fromJson(
            QByteArray::fromStdString(readFile(kFixture + QStringLiteral("/expected-report.json"))));
        const auto devices = doc.object().value(QStringLiteral("devices")).toArray();
        QVERIFY(devices.size() > 20);
        QCOMPARE(m_reported.size(), std::size_t(devices.size()));
        std::size_t nvme = 0, scsi = 0;
        for (const ReportedCapability& r : m_reported) {
            QVERIFY2(m_snapshot.topology->find(r.stableId) != nullptr, r.stableId.c_str());
            nvme += r.capability.mechanism == CopyMechanism::NvmeCopy;
            scsi += r.capability.mechanism == CopyMechanism::ScsiXcopy;
        }
        QVERIFY(nvme > 0);
        QVERIFY(scsi > 0);
    }

    void probedFieldsRoundTrip()
    {
        // What the report printed from the fixture's probe equals what the probe found.
        std::size_t compared = 0;
        for (const ReportedCapability& r : m_reported) {
            const BlockDevice* device = nullptr;
            for (const BlockDevice& d : m_snapshot.topology->devices())
                if (d.stableId() == r.stableId)
                    device = &d;
            QVERIFY(device);
            const DeviceCapability& probed = m_snapshot.capabilities.at(device->index);
            QCOMPARE(r.capability.status, probed.status);
            QCOMPARE(r.capability.mechanism, probed.mechanism);
            QCOMPARE(r.capability.reason, probed.reason);
            QCOMPARE(r.capability.nvme.has_value(), probed.nvme.has_value());
            QCOMPARE(r.capability.scsi.has_value(), probed.scsi.has_value());
            if (probed.nvme && probed.status == ProbeStatus::Ok) {
                const NvmeCopyCaps &a = *r.capability.nvme, &b = *probed.nvme;
                QCOMPARE(a.oncs, b.oncs);
                QCOMPARE(a.copy, b.copy);
                QCOMPARE(a.ocfs, b.ocfs);
                QCOMPARE(a.lbaBytes, b.lbaBytes);
                QCOMPARE(a.controllerId, b.controllerId);
                QCOMPARE(a.mssrl, b.mssrl);
                QCOMPARE(a.mcl, b.mcl);
                QCOMPARE(a.msrc, b.msrc);
                QCOMPARE(a.dps, b.dps);
                QCOMPARE(a.metadataBytes, b.metadataBytes);
                ++compared;
            }
            if (probed.scsi && probed.status == ProbeStatus::Ok) {
                const ScsiCopyCaps &a = *r.capability.scsi, &b = *probed.scsi;
                QCOMPARE(a.threePC, b.threePC);
                QCOMPARE(a.naaDesignator, b.naaDesignator);
                QCOMPARE(a.rcopKnown, b.rcopKnown);
                QCOMPARE(a.blockBytes, b.blockBytes);
                QCOMPARE(a.maxSegmentDescriptors, b.maxSegmentDescriptors);
                QCOMPARE(a.maxCscdDescriptors, b.maxCscdDescriptors);
                QCOMPARE(a.maxSegmentLength, b.maxSegmentLength);
                QCOMPARE(a.supportsNoListId, b.supportsNoListId);
                QCOMPARE(a.maxDescriptorListLength, b.maxDescriptorListLength);
                ++compared;
            }
        }
        QCOMPARE(compared, std::size_t(12)); // the lab's probed leaves
    }

    void mergeGivesTheProbedVerdicts()
    {
        // An unprivileged scan says "unknown"; merging the admin's report gives back every
        // volume's verdict and mechanisms as the real probe has them.
        CapabilitySet caps = asIfNotRoot(m_snapshot.capabilities);
        const Topology& t = *m_snapshot.topology;
        std::size_t unknownBefore = 0;
        for (const BlockDevice& d : t.devices())
            unknownBefore += volumeVerdict(t, caps, d.index).verdict == Verdict::Unknown;
        QVERIFY(unknownBefore > 0);
        QCOMPARE(mergeReportedCapabilities(t, m_reported, caps), std::size_t(12));
        for (const BlockDevice& d : t.devices()) {
            const OffloadVerdict merged = volumeVerdict(t, caps, d.index);
            const OffloadVerdict probed = volumeVerdict(t, m_snapshot.capabilities, d.index);
            QVERIFY2(merged.verdict == probed.verdict, d.name.c_str());
            QVERIFY2(merged.mechanisms == probed.mechanisms, d.name.c_str());
            QCOMPARE(merged.offloadableBytes, probed.offloadableBytes);
            QCOMPARE(caps.at(d.index).device, d.index);
        }
    }

    void mergedPlansAreTheProbedPlans()
    {
        // The clone preview after "Probe as administrator" plans from the merged report; the
        // copy, run as root, plans from its own probe. Every pair of lab-all's devices gets
        // the same extents, methods, reasons and commands from both.
        CapabilitySet caps = asIfNotRoot(m_snapshot.capabilities);
        const Topology& t = *m_snapshot.topology;
        QCOMPARE(mergeReportedCapabilities(t, m_reported, caps), std::size_t(12));
        std::size_t pairs = 0;
        for (const BlockDevice& a : t.devices()) {
            for (const BlockDevice& b : t.devices()) {
                if (a.index == b.index || a.sizeBytes == 0 || b.sizeBytes == 0)
                    continue;
                const std::string merged = planText(t, caps, a.index, b.index);
                const std::string probed = planText(t, m_snapshot.capabilities, a.index, b.index);
                QVERIFY2(merged == probed, (a.name + " -> " + b.name + ":\n" + merged + "vs\n" + probed).c_str());
                ++pairs;
            }
        }
        QVERIFY(pairs > 500);
    }

    void mergeMatchesByStableIdOnly()
    {
        CapabilitySet caps = asIfNotRoot(m_snapshot.capabilities);
        const Topology& t = *m_snapshot.topology;
        // A /dev name or kernel name is not an identity: such entries change nothing.
        std::vector<ReportedCapability> byName;
        for (const ReportedCapability& r : m_reported) {
            const BlockDevice* d = t.find(r.stableId);
            QVERIFY(d);
            byName.push_back({d->name, r.capability});
            byName.push_back({"/dev/" + d->name, r.capability});
        }
        QCOMPARE(mergeReportedCapabilities(t, byName, caps), std::size_t(0));
        // "needs root" in the report does not overwrite what this scan knows.
        CapabilitySet probed = m_snapshot.capabilities;
        std::vector<ReportedCapability> unprivileged = m_reported;
        for (ReportedCapability& r : unprivileged)
            if (r.capability.status == ProbeStatus::Ok) {
                r.capability = DeviceCapability{};
                r.capability.status = ProbeStatus::NeedsRoot;
            }
        QCOMPARE(mergeReportedCapabilities(t, unprivileged, probed), std::size_t(0));
        for (const BlockDevice& d : t.devices())
            QCOMPARE(probed.at(d.index).status, m_snapshot.capabilities.at(d.index).status);
    }

    void refusesWhatIsNotAReport()
    {
        QCOMPARE(parseReportCapabilities("not json").error().code, Errc::InvalidArgument);
        QCOMPARE(parseReportCapabilities(R"({"devices":[]})").error().code, Errc::InvalidArgument);
        const auto future = parseReportCapabilities(R"({"schema_version":2,"devices":[]})");
        QVERIFY(!future);
        QVERIFY(future.error().what.find("schema_version 2") != std::string::npos);
        QCOMPARE(parseReportCapabilities(R"({"schema_version":1})").error().code, Errc::InvalidArgument);
        // A device without a capability object or id is skipped, not guessed.
        const auto partial = parseReportCapabilities(
            R"({"schema_version":1,"devices":[{"id":"a"},{"capability":{"status":"ok","mechanism":"none"}},)"
            R"({"id":"b","capability":{"status":"ok","mechanism":"nvme-copy","oncs":256,"copy":true,"ocfs":1,)"
            R"("lba_bytes":4096,"controller_id":3,"dps":1,"metadata_bytes":16},)"
            R"("limits":{"mssrl":8,"mcl":16,"msrc":0}}]})");
        QVERIFY(partial.has_value());
        QCOMPARE(partial->size(), std::size_t(1));
        QCOMPARE(partial->front().stableId, std::string("b"));
        QCOMPARE(partial->front().capability.nvme->lbaBytes, 4096u);
        QCOMPARE(partial->front().capability.nvme->mcl, 16u);
        QCOMPARE(partial->front().capability.nvme->maxRanges(), 1u);
        // Protection information: the planner refuses NVMe Copy on it unless the metadata is 8 bytes.
        QCOMPARE(partial->front().capability.nvme->dps, uint8_t{1});
        QCOMPARE(partial->front().capability.nvme->metadataBytes, uint16_t{16});
    }

    void refusesNumbersThatDoNotFitTheirField()
    {
        // 65792 as a 16-bit ONCS would be 256: the Copy bit, which the device never claimed.
        auto device = [](const std::string& capability, const std::string& limits) {
            return parseReportCapabilities(R"({"schema_version":1,"devices":[{"id":"nvme-eui.01","capability":)"
                                           R"({"status":"ok","mechanism":"nvme-copy","copy":true,)"
                                           + capability + R"(},"limits":{)" + limits + "}}]}");
        };
        QVERIFY(device(R"("oncs":256)", R"("mcl":16)").has_value());
        for (const auto& [capability, limits, field] :
             {std::tuple{R"("oncs":65792)", R"("mcl":16)", "oncs = 65792"},
              std::tuple{R"("oncs":256)", R"("mcl":-1)", "mcl = -1"},
              std::tuple{R"("oncs":256)", R"("mssrl":4294967296)", "mssrl = 4294967296"},
              std::tuple{R"("oncs":256,"lba_bytes":4096.5)", R"("mcl":16)", "lba_bytes = 4096.5"}}) {
            const auto parsed = device(capability, limits);
            QVERIFY2(!parsed, field);
            QCOMPARE(parsed.error().code, Errc::InvalidArgument);
            QCOMPARE(parsed.error().device, std::string("nvme-eui.01"));
            QVERIFY2(parsed.error().what.find(field) != std::string::npos, parsed.error().what.c_str());
        }
    }
};

QTEST_GUILESS_MAIN(TestReportCapabilities)
#include "test_report_capabilities.moc"
