// SPDX-License-Identifier: GPL-2.0-or-later
// ReportExporter (JSON and text from the app's snapshot) and DeviceWatcher's debounce.
#ifndef Q_MOC_RUN // moc 6.4 cannot parse the C++23 library headers
#include "DeviceWatcher.h"
#include "ReportExporter.h"
#include "UiTestTopology.h"
#include "VolumeSnapshot.h"
#endif

#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace offload;
using namespace offload::ui;
using namespace offload::uitest;

class TestReportExport : public QObject {
    Q_OBJECT
private slots:
    void jsonCarriesEveryDeviceWithVerdictAndLimits()
    {
        ReportExporter exporter(VolumeSnapshot::make(makeSnapshot(), QStringLiteral("test"), false));
        const QJsonObject root = exporter.snapshotJson().object();
        QCOMPARE(root.value(QStringLiteral("schemaVersion")).toInt(), 1);
        const QJsonArray devices = root.value(QStringLiteral("devices")).toArray();
        QCOMPARE(devices.size(), qsizetype(DeviceCount));
        const QJsonObject nvme = devices.at(Nvme0n1).toObject();
        QCOMPARE(nvme.value(QStringLiteral("name")).toString(), QStringLiteral("nvme0n1"));
        QCOMPARE(nvme.value(QStringLiteral("verdict")).toString(), QStringLiteral("offloads end to end"));
        QCOMPARE(nvme.value(QStringLiteral("capability")).toObject().value(QStringLiteral("mssrl")).toInt(), 256);
        const QJsonObject crypt = devices.at(DmCrypt).toObject();
        QCOMPARE(crypt.value(QStringLiteral("verdict")).toString(), QStringLiteral("host copy only"));
        QVERIFY(!crypt.value(QStringLiteral("reasons")).toArray().isEmpty());
    }

    void textIsATree()
    {
        ReportExporter exporter(VolumeSnapshot::make(makeSnapshot(), QStringLiteral("test"), false));
        const QString text = exporter.snapshotText();
        QVERIFY(text.contains(QStringLiteral("\nnvme0n1  NVMe namespace")));
        QVERIFY(text.contains(QStringLiteral("\n  nvme0n1p1  partition 1")));
        QVERIFY(text.contains(QStringLiteral("    secret  dm-crypt")) || text.contains(QStringLiteral("dm-1  dm-crypt")));
    }

    void exportWritesTheChosenFormat()
    {
        QTemporaryDir dir;
        ReportExporter exporter(VolumeSnapshot::make(makeSnapshot(), QStringLiteral("test"), false),
                                QStringLiteral("/nonexistent-fixture"));
        const QString json = dir.filePath(QStringLiteral("r.json"));
        const QString error = exporter.exportTo(json);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QFile f(json);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(QJsonDocument::fromJson(f.readAll()).isObject());
        QCOMPARE(ReportExporter::formatForPath(QStringLiteral("x.TXT")), ReportExporter::Format::Text);
        QVERIFY(!exporter.exportTo(QStringLiteral("/nonexistent-dir/r.txt")).isEmpty());
    }

    void watcherCoalescesABurst()
    {
        QTemporaryDir dir;
        // Only the temporary directory: tests running meanwhile make loop devices, whose
        // uevents would be a second burst.
        DeviceWatcher watcher(nullptr, 150, DeviceWatcher::Sources::OnlyGivenDirectories);
        QVERIFY(!watcher.netlinkActive());
        watcher.watchDirectory(dir.path());
        QSignalSpy changed(&watcher, &DeviceWatcher::devicesChanged);
        for (int i = 0; i < 5; ++i) {
            QFile f(dir.filePath(QStringLiteral("dev%1").arg(i)));
            QVERIFY(f.open(QIODevice::WriteOnly));
        }
        QVERIFY(changed.wait(3000));
        QTest::qWait(400);
        QCOMPARE(changed.count(), 1);
    }
};

QTEST_MAIN(TestReportExport)
#include "test_report_export.moc"
