// SPDX-License-Identifier: GPL-2.0-or-later
// parseReportCapabilities / mergeReportedCapabilities: `offloadcp report --json` read back
// into capability data (what "Probe as administrator" feeds the desktop app's tree).
#include "capability/ReportCapabilities.h"
#include "capability/Scan.h"
#include "capability/Verdict.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

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
            R"("lba_bytes":4096,"controller_id":3},"limits":{"mssrl":8,"mcl":16,"msrc":0}}]})");
        QVERIFY(partial.has_value());
        QCOMPARE(partial->size(), std::size_t(1));
        QCOMPARE(partial->front().stableId, std::string("b"));
        QCOMPARE(partial->front().capability.nvme->lbaBytes, 4096u);
        QCOMPARE(partial->front().capability.nvme->mcl, 16u);
        QCOMPARE(partial->front().capability.nvme->maxRanges(), 1u);
    }
};

QTEST_GUILESS_MAIN(TestReportCapabilities)
#include "test_report_capabilities.moc"
