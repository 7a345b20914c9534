// SPDX-License-Identifier: GPL-2.0-or-later
// CloneDialog: which destinations are offered or disabled, and the plan preview.
#ifndef Q_MOC_RUN // moc 6.4 cannot parse the C++23 library headers
#include "CloneDialog.h"
#include "ExtentBar.h"
#include "ThroughputChart.h"
#include "UiTestTopology.h"
#include "VolumeListModel.h"
#include "VolumeSnapshot.h"
#endif

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QtTest>

using namespace offload;
using namespace offload::ui;
using namespace offload::uitest;

namespace {

std::shared_ptr<const VolumeSnapshot> sample(bool live = true)
{
    return VolumeSnapshot::make(makeSnapshot(), QStringLiteral("test"), live);
}

struct Offered {
    std::size_t device;
    bool enabled;
    QString text;
};

QList<Offered> offered(const CloneDialog& dialog)
{
    QList<Offered> out;
    auto* m = dialog.destinationModel();
    for (int r = 0; r < m->rowCount(); ++r) {
        const QModelIndex i = m->index(r, 0);
        out << Offered{static_cast<std::size_t>(i.data(VolumeListModel::DeviceIndexRole).toULongLong()),
                       bool(m->flags(i) & Qt::ItemIsEnabled), i.data().toString()};
    }
    return out;
}

} // namespace

class TestCloneDialog : public QObject {
    Q_OBJECT
private slots:
    void destinationsAreFilteredAndInUseOnesDisabled()
    {
        CloneDialog dialog(sample());
        QAbstractItemModelTester tester(dialog.destinationModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        dialog.setSource(DmLinear); // 512 MiB across nvme0n1p1 and sda
        const auto rows = offered(dialog);
        // Large enough and outside the source's stack: nvme0n1p2 (held by "mixed"), sdc,
        // nvme1n1 (mounted), nvme0n1p3.
        QCOMPARE(rows.size(), 4);
        QCOMPARE(rows[0].device, std::size_t{Nvme0n1p2});
        QVERIFY(!rows[0].enabled);
        QVERIFY2(rows[0].text.contains(QStringLiteral("held by mixed")), qPrintable(rows[0].text));
        QCOMPARE(rows[1].device, std::size_t{Sdc});
        QVERIFY(rows[1].enabled);
        QCOMPARE(rows[2].device, std::size_t{Nvme1n1});
        QVERIFY(!rows[2].enabled);
        QVERIFY2(rows[2].text.contains(QStringLiteral("mounted on /data")), qPrintable(rows[2].text));
        QCOMPARE(rows[3].device, std::size_t{Nvme0n1p3});
        QVERIFY(rows[3].enabled);
        // The first usable one is chosen.
        QCOMPARE(dialog.destination(), std::optional<std::size_t>(Sdc));

        // A small source: everything but itself and its stack that is at least 64 MiB.
        dialog.setSource(Loop0);
        QList<std::size_t> devices;
        for (const auto& r : offered(dialog))
            devices << r.device;
        QVERIFY(!devices.contains(Loop0));
        QVERIFY(!devices.contains(DmMixed)); // built on loop0
        QVERIFY(devices.contains(Sdb));
        QVERIFY(devices.contains(Nvme0n1)); // holds partitions, shown disabled
        for (const auto& r : offered(dialog)) {
            if (r.device == Nvme0n1)
                QVERIFY(!r.enabled);
        }
    }

    void nothingLargeEnough()
    {
        CloneDialog dialog(sample());
        dialog.setSource(Nvme0n1); // 2 GiB: nothing else is that large
        QCOMPARE(dialog.destinationModel()->rowCount(), 0);
        QVERIFY(!dialog.plan());
        QVERIFY(!dialog.startButton()->isEnabled());
        QVERIFY2(dialog.blocker().contains(QStringLiteral("large enough")), qPrintable(dialog.blocker()));
    }

    void planPreviewSameNamespace()
    {
        CloneDialog dialog(sample());
        dialog.setSource(Nvme0n1p1);
        dialog.setDestination(Nvme0n1p3);
        QVERIFY(dialog.plan().has_value());
        const CopyPlan& plan = *dialog.plan();
        QCOMPARE(plan.length, 512 * MiB);
        QCOMPARE(plan.offloadedBytes(), plan.length); // one namespace with Copy: all of it
        // The bar draws every extent in its method's colour; a legend names the methods.
        QCOMPARE(dialog.planBar()->segments().size(), qsizetype(plan.extents.size()));
        for (const auto& s : dialog.planBar()->segments())
            QCOMPARE(s.color, methodColor(CopyMethod::NvmeCopy));
        QCOMPARE(dialog.planBar()->legend().size(), 1);
        QVERIFY2(dialog.shareLabel()->text().startsWith(QStringLiteral("100 %")), qPrintable(dialog.shareLabel()->text()));
        for (const auto& e : plan.extents)
            QVERIFY(dialog.reasonsLabel()->text().contains(QString::fromStdString(e.reason).toHtmlEscaped()));
        QVERIFY(dialog.startButton()->isEnabled());
        QVERIFY(dialog.blocker().isEmpty());

        // The confirmation names the destination by label and stable id.
        const QString confirm = dialog.confirmationText();
        const BlockDevice& dst = dialog.plan() ? sample()->device(Nvme0n1p3) : BlockDevice{};
        QVERIFY2(confirm.contains(QString::fromStdString(dst.label())), qPrintable(confirm));
        QVERIFY2(confirm.contains(QString::fromStdString(dst.stableId())), qPrintable(confirm));
    }

    void planPreviewMixedAndRequireOffload()
    {
        CloneDialog dialog(sample());
        dialog.setSource(DmLinear);
        dialog.setDestination(Sdc);
        QVERIFY(dialog.plan().has_value());
        const CopyPlan& plan = *dialog.plan();
        // First half on NVMe cannot go to a SCSI LUN: host copy; second half sda -> sdc.
        QVERIFY(plan.bytesBy(CopyMethod::ReadWrite) >= 256 * MiB);
        QVERIFY(plan.offloadedBytes() < plan.length);
        QSet<QRgb> colours;
        for (const auto& s : dialog.planBar()->segments())
            colours << s.color.rgb();
        QVERIFY(colours.contains(methodColor(CopyMethod::ReadWrite).rgb()));
        QVERIFY(dialog.startButton()->isEnabled());

        dialog.verifyBox()->setChecked(true);
        QVERIFY(dialog.options().verify);
        dialog.requireOffloadBox()->setChecked(true);
        QVERIFY(dialog.options().requireOffload);
        QVERIFY(!dialog.startButton()->isEnabled());
        QVERIFY2(dialog.blocker().contains(QStringLiteral("Require offload")), qPrintable(dialog.blocker()));
        dialog.requireOffloadBox()->setChecked(false);
        QVERIFY(dialog.startButton()->isEnabled());
    }

    void fixtureSnapshotPlansButDoesNotCopy()
    {
        CloneDialog dialog(sample(false));
        dialog.setSource(Nvme0n1p1);
        dialog.setDestination(Nvme0n1p3);
        QVERIFY(dialog.plan().has_value());
        QVERIFY(!dialog.startButton()->isEnabled());
        QVERIFY2(dialog.blocker().contains(QStringLiteral("fixture")), qPrintable(dialog.blocker()));
    }

    void keyboardAndAccessibility()
    {
        CloneDialog dialog(sample());
        QVERIFY(!dialog.sourceCombo()->accessibleName().isEmpty());
        QVERIFY(!dialog.destinationCombo()->accessibleName().isEmpty());
        QVERIFY(!dialog.startButton()->accessibleName().isEmpty());
        QVERIFY(dialog.sourceCombo()->focusPolicy() & Qt::TabFocus);
        QVERIFY(dialog.verifyBox()->text().contains(QLatin1Char('&')));
    }
};

QTEST_MAIN(TestCloneDialog)
#include "test_clone_dialog.moc"
