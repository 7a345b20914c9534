// SPDX-License-Identifier: GPL-2.0-or-later
// TopologyModel and DetailsPane on a hand-built machine and on captured fixtures.
#ifndef Q_MOC_RUN // moc 6.4 cannot parse the C++23 library headers
#include "DetailsPane.h"
#include "SnapshotLoader.h"
#include "ExtentBar.h"
#include "TopologyModel.h"
#include "UiTestTopology.h"
#include "VolumeSnapshot.h"
#include "capability/Scan.h"
#endif

#include <QAbstractItemModelTester>
#include <QDir>
#include <QFormLayout>
#include <QLabel>
#include <QtTest>

using namespace offload;
using namespace offload::ui;
using namespace offload::uitest;

namespace {

std::shared_ptr<const VolumeSnapshot> sample()
{
    return VolumeSnapshot::make(makeSnapshot(), QStringLiteral("test"), false);
}

QStringList rowNames(const QAbstractItemModel& m, const QModelIndex& parent = {})
{
    QStringList names;
    for (int r = 0; r < m.rowCount(parent); ++r)
        names << m.index(r, 0, parent).data().toString();
    return names;
}

int countDevice(const QAbstractItemModel& m, std::size_t device, const QModelIndex& parent = {})
{
    int n = 0;
    for (int r = 0; r < m.rowCount(parent); ++r) {
        const QModelIndex i = m.index(r, 0, parent);
        n += i.data(TopologyModel::DeviceIndexRole).toULongLong() == device ? 1 : 0;
        n += countDevice(m, device, i);
    }
    return n;
}

QString formValue(QFormLayout* form, const QString& label)
{
    for (int r = 0; r < form->rowCount(); ++r) {
        auto* l = qobject_cast<QLabel*>(form->itemAt(r, QFormLayout::LabelRole)->widget());
        auto* f = qobject_cast<QLabel*>(form->itemAt(r, QFormLayout::FieldRole)->widget());
        if (l && f && l->text() == label + QLatin1Char(':'))
            return f->text();
    }
    return {};
}

} // namespace

class TestTopologyModel : public QObject {
    Q_OBJECT
private slots:
    void treeIsLsblkShaped()
    {
        TopologyModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSnapshot(sample());
        // Roots are the leaves, in topology order.
        QCOMPARE(rowNames(model), QStringList({"nvme0n1", "sda", "loop0", "sdb", "sdc", "nvme1n1"}));
        const QModelIndex nvme = model.index(0, 0);
        QCOMPARE(rowNames(model, nvme), QStringList({"nvme0n1p1", "nvme0n1p2", "nvme0n1p3"}));
        // dm-linear across nvme0n1p1 and sda shows under both, as lsblk does.
        QCOMPARE(countDevice(model, DmLinear), 2);
        QCOMPARE(rowNames(model, model.index(0, 0, nvme)), QStringList({"vg-lv (dm-0)"}));
        QCOMPARE(model.parent(model.index(0, 0, nvme)), nvme);
        QCOMPARE(model.index(0, 0, nvme).parent().row(), 0);
        // crypt under linear under the partition: depth 4.
        const QModelIndex lv = model.index(0, 0, model.index(0, 0, nvme));
        QCOMPARE(rowNames(model, lv), QStringList({"secret (dm-1)"}));
        QCOMPARE(model.rowCount(model.index(0, 0, lv)), 0);
        QCOMPARE(model.columnCount(), int(TopologyModel::ColumnCount));
    }

    void columnsAndBadges()
    {
        TopologyModel model;
        model.setSnapshot(sample());
        auto row = [&](std::size_t device) { return model.indexForDevice(device); };
        auto cell = [&](std::size_t device, int column, int role = Qt::DisplayRole) {
            const QModelIndex i = row(device);
            return model.index(i.row(), column, i.parent()).data(role);
        };
        QCOMPARE(cell(Nvme0n1, TopologyModel::TypeColumn).toString(), QStringLiteral("NVMe namespace"));
        QCOMPARE(cell(Nvme0n1, TopologyModel::SizeColumn).toString(), QStringLiteral("2.00 GiB"));
        QCOMPARE(cell(Nvme0n1, TopologyModel::MechanismColumn).toString(), QStringLiteral("NVMe Copy"));
        QCOMPARE(cell(Nvme0n1, TopologyModel::VerdictColumn).toString(), QStringLiteral("offloads end to end"));
        QCOMPARE(cell(DmLinear, TopologyModel::TypeColumn).toString(), QStringLiteral("dm-linear"));
        QCOMPARE(cell(Nvme0n1p2, TopologyModel::TypeColumn).toString(), QStringLiteral("partition 2"));
        QCOMPARE(cell(Loop0, TopologyModel::VerdictColumn).toString(), QStringLiteral("host copy only"));
        QCOMPARE(cell(DmCrypt, TopologyModel::VerdictColumn).toString(), QStringLiteral("host copy only"));
        QCOMPARE(cell(DmMixed, TopologyModel::VerdictColumn).toString(), QStringLiteral("partly"));
        QCOMPARE(cell(DmMixed, TopologyModel::VerdictColumn, TopologyModel::BadgeRole).toInt(), int(Badge::Partly));
        // A badge icon decorates the verdict column; reasons are in the tooltip.
        QVERIFY(!cell(DmCrypt, TopologyModel::VerdictColumn, Qt::DecorationRole).value<QIcon>().isNull());
        const QString tip = cell(DmCrypt, TopologyModel::NameColumn, Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains(QStringLiteral("crypt")), qPrintable(tip));
        QVERIFY2(cell(Loop0, 0, Qt::ToolTipRole).toString().contains(QStringLiteral("loop device: no copy command")),
                 qPrintable(cell(Loop0, 0, Qt::ToolTipRole).toString()));
        QCOMPARE(cell(Sda, 0, TopologyModel::StableIdRole).toString(),
                 QString::fromStdString(model.snapshot()->device(Sda).stableId()));
        QCOMPARE(model.indexForStableId(cell(Sdc, 0, TopologyModel::StableIdRole).toString()), row(Sdc));
    }

    void resetKeepsTesterHappy()
    {
        TopologyModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSnapshot(sample());
        model.setSnapshot(nullptr);
        QCOMPARE(model.rowCount(), 0);
        model.setSnapshot(sample());
        QCOMPARE(model.rowCount(), 6);
    }

    void inUseReasons()
    {
        auto snap = sample();
        QCOMPARE(snap->inUseReason(Nvme1n1), QStringLiteral("mounted on /data"));
        QCOMPARE(snap->inUseReason(DmLinear), QStringLiteral("held by secret"));
        QCOMPARE(snap->inUseReason(Sdc), QString());
        QVERIFY(snap->inUseReason(Nvme0n1).startsWith(QStringLiteral("partition nvme0n1p1 is held by vg-lv")));
    }

    void detailsPaneShowsIdentityLimitsAndExtents()
    {
        auto snap = sample();
        DetailsPane pane;
        pane.setSnapshot(snap);
        pane.showDevice(DmMixed);
        // Identity and limits of each leaf under the volume.
        QCOMPARE(formValue(pane.identityForm(), QStringLiteral("dm name")), QStringLiteral("mixed"));
        QCOMPARE(formValue(pane.identityForm(), QStringLiteral("Stable id")),
                 QString::fromStdString(snap->device(DmMixed).stableId()));
        QCOMPARE(formValue(pane.limitsForm(), QStringLiteral("nvme0n1 MSSRL")), QStringLiteral("256 blocks (128 KiB)"));
        QCOMPARE(formValue(pane.limitsForm(), QStringLiteral("nvme0n1 MSRC")),
                 QStringLiteral("7 (up to 8 ranges per command)"));
        QCOMPARE(formValue(pane.limitsForm(), QStringLiteral("loop0 Mechanism")), QStringLiteral("none"));
        // Two pieces: the NVMe partition (offloadable, green) and loop0 (host only).
        const auto& segs = pane.extentBar()->segments();
        QCOMPARE(segs.size(), 2);
        QCOMPARE(segs[0].offset, 0u);
        QCOMPARE(segs[0].length, 32 * MiB);
        QCOMPARE(segs[0].color, ExtentBar::offloadColor());
        QCOMPARE(segs[0].label, QStringLiteral("seg 1 → nvme0n1"));
        QCOMPARE(segs[1].offset, 32 * MiB);
        QCOMPARE(segs[1].color, ExtentBar::hostColor());
        QCOMPARE(pane.extentBar()->legend().size(), 2);
        QVERIFY(pane.reasonsLabel()->text().contains(QStringLiteral("loop device: no copy command")));

        pane.showDevice(Sda);
        QCOMPARE(formValue(pane.identityForm(), QStringLiteral("WWN")),
                 QStringLiteral("naa.6001405aaaaaaaaaaaaaaaaaaaaaaaaa"));
        QCOMPARE(formValue(pane.limitsForm(), QStringLiteral("Max segment descriptors")), QStringLiteral("1"));
        QCOMPARE(pane.extentBar()->segments().size(), 1);
        QCOMPARE(pane.extentBar()->segments()[0].color, ExtentBar::xcopyColor());

        pane.showDevice(DmCrypt);
        QCOMPARE(pane.extentBar()->segments().size(), 1);
        QCOMPARE(pane.extentBar()->segments()[0].color, ExtentBar::stopColor());
    }
    void fixtures_data()
    {
        QTest::addColumn<QString>("dir");
        const QDir root(QStringLiteral(OFFLOADCP_FIXTURES));
        for (const QString& name : root.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
            if (QDir(root.filePath(name)).exists(QStringLiteral("sys")))
                QTest::newRow(qPrintable(name)) << root.filePath(name);
        }
    }

    void fixtures()
    {
        QFETCH(QString, dir);
        ScanOptions options;
        options.fixture = dir.toStdString();
        auto scanned = scanSystem(options);
        QVERIFY2(scanned.has_value(), scanned ? "" : scanned.error().message().c_str());
        const auto topology = scanned->topology;
        auto snap = VolumeSnapshot::make(std::move(*scanned), dir, false);
        TopologyModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSnapshot(snap);
        int shownRoots = 0;
        for (std::size_t r : topology->roots())
            shownRoots += TopologyModel::isHidden(topology->at(r)) ? 0 : 1;
        QCOMPARE(model.rowCount(), shownRoots);
        // Every device of the fixture (but empty loop slots) is in the tree, with a verdict.
        for (std::size_t i = 0; i < topology->size(); ++i) {
            if (TopologyModel::isHidden(topology->at(i)))
                continue;
            const QModelIndex index = model.indexForDevice(i);
            QVERIFY2(index.isValid(), topology->at(i).name.c_str());
            const QModelIndex verdict = model.index(index.row(), TopologyModel::VerdictColumn, index.parent());
            QVERIFY(!verdict.data().toString().isEmpty());
        }
    }

    void labFixtureVerdicts()
    {
        const QString dir = QStringLiteral(OFFLOADCP_FIXTURES "/lab-all");
        if (!QDir(dir).exists(QStringLiteral("sys")))
            QSKIP("no lab-all fixture");
        auto snap = SnapshotLoader::scanNow(dir);
        QVERIFY2(snap.has_value(), snap ? "" : snap.error().message().c_str());
        TopologyModel model;
        model.setSnapshot(*snap);
        auto badge = [&](const char* name) {
            const BlockDevice* dev = (*snap)->topology->find(name);
            return dev ? Badge(model.indexForDevice(dev->index).data(TopologyModel::BadgeRole).toInt()) : Badge::Unknown;
        };
        // dm-crypt never offloads; dm-linear on an NVMe namespace with Copy does; a linear
        // volume across NVMe and SCSI does partly.
        QCOMPARE(badge("lab_crypt"), Badge::HostOnly);
        QCOMPARE(badge("lab_lin"), Badge::EndToEnd);
        QCOMPARE(badge("lab_mix"), Badge::Partly);
        // Its details: two pieces, the dm segments name their leaves.
        DetailsPane pane;
        pane.setSnapshot(*snap);
        pane.showDevice((*snap)->topology->find("lab_mix")->index);
        QCOMPARE(pane.extentBar()->segments().size(), 2);
        QVERIFY(pane.extentBar()->segments()[0].label.startsWith(QStringLiteral("seg 1 → nvme")));
        QVERIFY(pane.extentBar()->segments()[1].label.startsWith(QStringLiteral("seg 2 → sd")));

        // A host-managed zoned namespace is never a copy destination: the badge and the
        // extent bar say so alike, although its controller has NVMe Copy.
        const BlockDevice* zoned = nullptr;
        for (const auto& dev : (*snap)->topology->devices())
            if (dev.zoned == "host-managed" && dev.nvme)
                zoned = &dev;
        QVERIFY(zoned);
        QCOMPARE(badge(zoned->name.c_str()), Badge::HostOnly);
        pane.showDevice(zoned->index);
        QCOMPARE(pane.extentBar()->segments().size(), 1);
        QCOMPARE(pane.extentBar()->segments()[0].color, ExtentBar::hostColor());
        QVERIFY(pane.reasonsLabel()->text().contains(QStringLiteral("zoned")));
    }
};

QTEST_MAIN(TestTopologyModel)
#include "test_topology_model.moc"
