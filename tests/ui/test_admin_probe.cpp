// SPDX-License-Identifier: GPL-2.0-or-later
// "Probe as administrator": the capabilities of `offloadcp report --json` merged into the
// tree by stable id (mechanism and verdict columns, details pane), and the status bar.
#ifndef Q_MOC_RUN // moc 6.4 cannot parse the C++23 library headers
#include "DetailsPane.h"
#include "MainWindow.h"
#include "SnapshotLoader.h"
#include "TopologyModel.h"
#include "capability/ReportCapabilities.h"
#endif

#include <QAbstractItemModelTester>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QSignalSpy>
#include <QTreeView>
#include <QtTest>

#include <functional>
#include <set>

using namespace offload;
using namespace offload::ui;

namespace {

const QString kFixture = QStringLiteral(OFFLOADCP_FIXTURES "/lab-all");

QByteArray expectedReport()
{
    QFile f(kFixture + QStringLiteral("/expected-report.json"));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read the fixture's expected-report.json");
    return f.readAll();
}

/// The snapshot an unprivileged app has of the same machine: every probed leaf "needs root".
std::shared_ptr<const VolumeSnapshot> unprivileged(const VolumeSnapshot& probed)
{
    SystemSnapshot system{probed.topology, probed.capabilities};
    for (DeviceCapability& c : system.capabilities.devices) {
        if (c.status == ProbeStatus::Ok || c.status == ProbeStatus::Failed) {
            const std::size_t device = c.device;
            c = DeviceCapability{};
            c.device = device;
            c.status = ProbeStatus::NeedsRoot;
        }
    }
    return VolumeSnapshot::make(std::move(system), QStringLiteral("this machine"), true);
}

QString cell(const TopologyModel& model, const QString& stableId, int column)
{
    const QModelIndex row = model.indexForStableId(stableId);
    return row.siblingAtColumn(column).data().toString();
}

} // namespace

class TestAdminProbe : public QObject {
    Q_OBJECT
private slots:
    void treeShowsWhatTheAdministratorProbed()
    {
        auto probed = SnapshotLoader::scanNow(kFixture);
        QVERIFY(probed.has_value());
        const auto before = unprivileged(**probed);
        auto reported = parseReportCapabilities(expectedReport().toStdString());
        QVERIFY(reported.has_value());

        TopologyModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSnapshot(before);
        TopologyModel reference;
        reference.setSnapshot(*probed);

        const Topology& t = *before->topology;
        std::size_t nvmeRows = 0;
        for (const BlockDevice& d : t.devices()) {
            if (d.kind != DeviceKind::NvmeNamespace || !model.indexForStableId(QString::fromStdString(d.stableId())).isValid())
                continue;
            ++nvmeRows;
            QCOMPARE(cell(model, QString::fromStdString(d.stableId()), TopologyModel::MechanismColumn),
                     QStringLiteral("unknown: needs root"));
            QCOMPARE(cell(model, QString::fromStdString(d.stableId()), TopologyModel::VerdictColumn), QStringLiteral("unknown"));
        }
        QVERIFY(nvmeRows > 0);

        const auto after = before->withReportedCapabilities(*reported);
        QCOMPARE(after->adminProbed, std::size_t(12));
        model.setSnapshot(after);
        // Every row now says what a root scan says: mechanism, verdict, reasons.
        for (const BlockDevice& d : t.devices()) {
            const QString id = QString::fromStdString(d.stableId());
            if (!model.indexForStableId(id).isValid())
                continue;
            for (int column : {int(TopologyModel::MechanismColumn), int(TopologyModel::VerdictColumn)})
                QCOMPARE(cell(model, id, column), cell(reference, id, column));
            QCOMPARE(after->assessment(d.index).reasons, (*probed)->assessment(d.index).reasons);
        }
    }

    void mainWindowMergesTheReportByStableId()
    {
        MainWindow window(kFixture);
        QSignalSpy loaded(&window, &MainWindow::snapshotLoaded);
        QVERIFY(loaded.count() > 0 || loaded.wait(30000));
        const auto snap = window.snapshot();
        // An NVMe namespace that offloads; the administrator's report says it cannot.
        const BlockDevice* target = nullptr;
        for (const BlockDevice& d : snap->topology->devices())
            if (d.kind == DeviceKind::NvmeNamespace && snap->capabilities.at(d.index).mechanism == CopyMechanism::NvmeCopy)
                target = &d;
        QVERIFY(target);
        const QString id = QString::fromStdString(target->stableId());
        QVERIFY(window.selectDevice(id));
        QCOMPARE(cell(*window.topologyModel(), id, TopologyModel::MechanismColumn), QStringLiteral("NVMe Copy"));

        QJsonObject report = QJsonDocument::fromJson(expectedReport()).object();
        QJsonArray devices = report.value(QStringLiteral("devices")).toArray();
        bool changed = false;
        for (qsizetype i = 0; i < devices.size(); ++i) {
            QJsonObject d = devices[i].toObject();
            if (d.value(QStringLiteral("id")).toString() != id)
                continue;
            d[QStringLiteral("name")] = QStringLiteral("some-other-name"); // names are not identities
            d[QStringLiteral("capability")] = QJsonObject{{QStringLiteral("status"), QStringLiteral("ok")},
                                                          {QStringLiteral("mechanism"), QStringLiteral("none")},
                                                          {QStringLiteral("reason"), QStringLiteral("no Copy command: test answer")}};
            devices[i] = d;
            changed = true;
        }
        QVERIFY(changed);
        report[QStringLiteral("devices")] = devices;

        // Not a report: an error, and the tree keeps what it showed.
        QVERIFY(window.applyAdministratorReport("{not json").contains(QStringLiteral("not JSON")));
        QCOMPARE(cell(*window.topologyModel(), id, TopologyModel::MechanismColumn), QStringLiteral("NVMe Copy"));

        const QString error = window.applyAdministratorReport(QJsonDocument(report).toJson());
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY(window.snapshot()->adminProbed >= 12);
        QCOMPARE(cell(*window.topologyModel(), id, TopologyModel::MechanismColumn), QStringLiteral("none"));
        QCOMPARE(cell(*window.topologyModel(), id, TopologyModel::VerdictColumn), QStringLiteral("host copy only"));
        // The selection stayed on the device (by stable id) and the details pane followed.
        QCOMPARE(window.selectedDevice(), std::optional<std::size_t>(target->index));
        QVERIFY2(window.detailsPane()->reasonsLabel()->text().contains(QStringLiteral("no Copy command: test answer")),
                 qPrintable(window.detailsPane()->reasonsLabel()->text()));
        QVERIFY(window.statusText().contains(QStringLiteral("probed as administrator")));
    }

    void statusBarNamesTheFixture()
    {
        MainWindow window(kFixture + QStringLiteral("/"));
        QSignalSpy loaded(&window, &MainWindow::snapshotLoaded);
        QVERIFY(loaded.count() > 0 || loaded.wait(30000));
        const QString text = window.statusText();
        QVERIFY2(text.startsWith(QStringLiteral("Fixture: lab-all · ")), qPrintable(text));
        QVERIFY2(!text.contains(QStringLiteral(OFFLOADCP_FIXTURES)), qPrintable(text));
        // Counts the devices the tree shows (each once), not the hidden empty ones.
        std::set<qulonglong> shown;
        std::function<void(const QModelIndex&)> visit = [&](const QModelIndex& parent) {
            for (int r = 0; r < window.topologyModel()->rowCount(parent); ++r) {
                const QModelIndex child = window.topologyModel()->index(r, 0, parent);
                shown.insert(child.data(TopologyModel::DeviceIndexRole).toULongLong());
                visit(child);
            }
        };
        visit({});
        QVERIFY(shown.size() > 20);
        QVERIFY2(text.contains(QStringLiteral(" · %1 devices").arg(shown.size())), qPrintable(text));
        QCOMPARE(window.windowTitle(), QStringLiteral("offloadcp — fixture lab-all"));
    }
};

QTEST_MAIN(TestAdminProbe)
#include "test_admin_probe.moc"
