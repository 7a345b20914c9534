// SPDX-License-Identifier: GPL-2.0-or-later
#include "MainWindow.h"

#include "CloneDialog.h"
#include "DetailsPane.h"
#include "DeviceWatcher.h"
#include "Icons.h"
#include "JobController.h"
#include "JobsModel.h"
#include "JobsPanel.h"
#include "OffloadCli.h"
#include "ReportExporter.h"
#include "SnapshotLoader.h"
#include "TopologyModel.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QFileDialog>
#include <QHeaderView>
#include <QKeySequence>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QProcess>
#include <QSplitter>
#include <QStatusBar>
#include <QToolBar>
#include <QTreeView>

#include <algorithm>
#include <functional>
#include <set>

namespace offload::ui {

MainWindow::MainWindow(const QString& fixture, QWidget* parent)
    : QMainWindow(parent)
    , m_fixture(fixture)
{
    setWindowTitle(fixture.isEmpty() ? tr("offloadcp — volumes and copy offload")
                                     : tr("offloadcp — fixture %1").arg(fixtureDisplayName(fixture)));
    setWindowIcon(appIcon());

    m_model = new TopologyModel(this);
    m_tree = new QTreeView(this);
    m_tree->setModel(m_model);
    m_tree->setAlternatingRowColors(true);
    m_tree->setUniformRowHeights(true);
    m_tree->setAllColumnsShowFocus(true);
    m_tree->setAccessibleName(tr("Block devices"));
    m_tree->setAccessibleDescription(tr("Devices as a tree: disks at the top, volumes built on them below"));
    m_tree->header()->setStretchLastSection(true);

    m_details = new DetailsPane(this);
    m_jobs = new JobsModel(this);
    m_jobsPanel = new JobsPanel(m_jobs, this);

    auto* top = new QSplitter(Qt::Horizontal, this);
    top->addWidget(m_tree);
    top->addWidget(m_details);
    top->setStretchFactor(0, 3);
    top->setStretchFactor(1, 2);
    top->setSizes({700, 560});
    auto* vertical = new QSplitter(Qt::Vertical, this);
    vertical->addWidget(top);
    vertical->addWidget(m_jobsPanel);
    vertical->setStretchFactor(0, 3);
    vertical->setStretchFactor(1, 2);
    vertical->setSizes({520, 280});
    setCentralWidget(vertical);

    // Actions (toolbar + menu), all with shortcuts.
    m_rescan = new QAction(icon(QStringLiteral("view-refresh")), tr("&Rescan"), this);
    m_rescan->setShortcut(QKeySequence::Refresh);
    m_rescan->setToolTip(tr("Read the block devices again (F5)"));
    m_clone = new QAction(icon(QStringLiteral("clone")), tr("&Clone…"), this);
    m_clone->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_N));
    m_clone->setToolTip(tr("Clone the selected volume onto another (Ctrl+N)"));
    m_export = new QAction(icon(QStringLiteral("export-report")), tr("&Export report…"), this);
    m_export->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    m_export->setToolTip(tr("Save the capability report as JSON or text (Ctrl+E)"));
    m_probe = new QAction(icon(QStringLiteral("admin-probe")), tr("&Probe as administrator…"), this);
    m_probe->setToolTip(tr("Ask for administrator rights (polkit) to read every device's copy capabilities"));
    m_probe->setVisible(fixture.isEmpty() && OffloadCli::needsElevation());
    auto* quit = new QAction(tr("&Quit"), this);
    quit->setShortcut(QKeySequence::Quit);

    connect(m_rescan, &QAction::triggered, this, &MainWindow::rescan);
    connect(m_clone, &QAction::triggered, this, &MainWindow::openCloneDialog);
    connect(m_export, &QAction::triggered, this, &MainWindow::exportReport);
    connect(m_probe, &QAction::triggered, this, &MainWindow::probeAsAdministrator);
    connect(quit, &QAction::triggered, this, &QWidget::close);

    auto* toolbar = addToolBar(tr("Main"));
    toolbar->setObjectName(QStringLiteral("mainToolbar"));
    toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolbar->addAction(m_rescan);
    toolbar->addAction(m_clone);
    toolbar->addAction(m_export);
    toolbar->addAction(m_probe);
    auto* fileMenu = menuBar()->addMenu(tr("&File"));
    fileMenu->addAction(m_export);
    fileMenu->addSeparator();
    fileMenu->addAction(quit);
    auto* volumeMenu = menuBar()->addMenu(tr("&Volumes"));
    volumeMenu->addAction(m_rescan);
    volumeMenu->addAction(m_clone);
    volumeMenu->addAction(m_probe);

    m_statusOrigin = new QLabel(this);
    m_statusWarnings = new QLabel(this);
    statusBar()->addWidget(m_statusOrigin, 1);
    statusBar()->addPermanentWidget(m_statusWarnings);

    m_loader = new SnapshotLoader(fixture, this);
    connect(m_loader, &SnapshotLoader::loaded, this, [this](std::shared_ptr<const VolumeSnapshot> snapshot) {
        // What the administrator's probe found stays known across rescans (by stable id).
        if (!m_adminCapabilities.empty())
            snapshot = snapshot->withReportedCapabilities(m_adminCapabilities);
        setSnapshot(std::move(snapshot));
    });
    connect(m_loader, &SnapshotLoader::failed, this, [this](const QString& message) {
        m_lastError = message;
        updateStatus();
    });
    connect(m_loader, &SnapshotLoader::started, this, [this] {
        m_statusOrigin->setText(tr("Scanning…"));
    });
    if (fixture.isEmpty()) {
        m_watcher = new DeviceWatcher(this);
        connect(m_watcher, &DeviceWatcher::devicesChanged, this, &MainWindow::rescan);
    }
    connect(m_tree, &QTreeView::activated, this, [this] { openCloneDialog(); });

    resize(1280, 820);
    rescan();
}

MainWindow::~MainWindow() = default;

std::shared_ptr<const VolumeSnapshot> MainWindow::snapshot() const
{
    return m_model->snapshot();
}

void MainWindow::rescan()
{
    m_loader->rescan();
}

void MainWindow::setSnapshot(std::shared_ptr<const VolumeSnapshot> snapshot)
{
    // Keep the selection across rescans by stable id (names may move).
    QString selectedId;
    if (const auto dev = selectedDevice())
        selectedId = QString::fromStdString(m_model->snapshot()->device(*dev).stableId());
    m_lastError.clear();
    m_model->setSnapshot(snapshot);
    m_details->setSnapshot(snapshot);
    connect(m_tree->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &MainWindow::selectionChanged,
            Qt::UniqueConnection);
    m_tree->expandAll();
    for (int c = 0; c < TopologyModel::ColumnCount - 1; ++c)
        m_tree->resizeColumnToContents(c);
    QModelIndex select = selectedId.isEmpty() ? QModelIndex() : m_model->indexForStableId(selectedId);
    if (!select.isValid())
        select = m_model->index(0, 0);
    if (select.isValid())
        m_tree->setCurrentIndex(select);
    selectionChanged();
    updateStatus();
    emit snapshotLoaded();
}

QString MainWindow::statusText() const
{
    return m_statusOrigin->text();
}

void MainWindow::updateStatus()
{
    const auto snap = m_model->snapshot();
    if (!m_lastError.isEmpty()) {
        m_statusOrigin->setText(tr("Scan failed: %1").arg(m_lastError));
    } else if (snap) {
        // Devices shown in the tree (each once, though a volume may sit under two disks);
        // the tree leaves out empty devices such as unattached loop devices.
        std::set<qulonglong> shown;
        std::function<void(const QModelIndex&)> visit = [&](const QModelIndex& parent) {
            for (int r = 0; r < m_model->rowCount(parent); ++r) {
                const QModelIndex child = m_model->index(r, 0, parent);
                shown.insert(child.data(TopologyModel::DeviceIndexRole).toULongLong());
                visit(child);
            }
        };
        visit({});
        const auto devices = static_cast<qsizetype>(shown.size());
        const QString count = countText(devices, tr("device"), tr("devices"));
        QString text = m_fixture.isEmpty() ? tr("This machine · %1").arg(count)
                                           : tr("Fixture: %1 · %2").arg(fixtureDisplayName(m_fixture), count);
        if (!m_adminCapabilities.empty())
            text += tr(" · probed as administrator: copy capabilities of %1")
                        .arg(countText(qsizetype(snap->adminProbed), tr("device"), tr("devices")));
        else if (snap->live && OffloadCli::needsElevation())
            text += tr(" · not root: use Probe as administrator to read copy capabilities");
        m_statusOrigin->setText(text);
        m_statusOrigin->setToolTip(m_fixture.isEmpty() ? QString() : tr("Captured fixture in %1").arg(m_fixture));
    }
    if (snap && !snap->topology->warnings().empty()) {
        QStringList w;
        for (const auto& s : snap->topology->warnings())
            w << QString::fromStdString(s);
        m_statusWarnings->setText(countText(w.size(), tr("warning"), tr("warnings")));
        m_statusWarnings->setToolTip(w.join(QLatin1Char('\n')));
    } else {
        m_statusWarnings->clear();
    }
    m_clone->setEnabled(snap && snap->topology->size() >= 2);
    m_export->setEnabled(snap != nullptr);
}

std::optional<std::size_t> MainWindow::selectedDevice() const
{
    const QModelIndex current = m_tree->currentIndex();
    if (!current.isValid())
        return std::nullopt;
    return static_cast<std::size_t>(current.data(TopologyModel::DeviceIndexRole).toULongLong());
}

void MainWindow::selectionChanged()
{
    m_details->showDevice(selectedDevice());
}

bool MainWindow::selectDevice(const QString& spec)
{
    const auto snap = m_model->snapshot();
    if (!snap)
        return false;
    const BlockDevice* dev = snap->topology->find(spec.toStdString());
    if (!dev)
        return false;
    const QModelIndex index = m_model->indexForDevice(dev->index);
    if (!index.isValid())
        return false;
    m_tree->setCurrentIndex(index);
    m_tree->scrollTo(index);
    return true;
}

CloneDialog* MainWindow::createCloneDialog()
{
    const auto snap = m_model->snapshot();
    if (!snap)
        return nullptr;
    auto* dialog = new CloneDialog(snap, this);
    if (const auto dev = selectedDevice())
        dialog->setSource(*dev);
    return dialog;
}

void MainWindow::openCloneDialog()
{
    CloneDialog* dialog = createCloneDialog();
    if (!dialog)
        return;
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] { startJob(*dialog); });
    dialog->open();
}

JobController* MainWindow::startJob(const CloneDialog& dialog)
{
    const auto snap = m_model->snapshot();
    if (!snap || !dialog.plan())
        return nullptr;
    JobController* job = nullptr;
    if (snap->live && OffloadCli::needsElevation()) {
        // Not root: the one privileged path, `pkexec offloadcp copy --json`, by stable ids.
        job = JobController::viaCli(*dialog.plan(), QString::fromStdString(snap->device(*dialog.source()).stableId()),
                                    QString::fromStdString(snap->device(*dialog.destination()).stableId()),
                                    dialog.options(), true);
    } else {
        job = new JobController(snap->topology, snap->capabilities, *dialog.plan(), dialog.options());
    }
    m_jobs->addJob(job);
    job->start();
    m_jobsPanel->selectJob(job);
    connect(job, &JobController::finished, this, [this] { rescan(); });
    return job;
}

void MainWindow::exportReport()
{
    const auto snap = m_model->snapshot();
    if (!snap)
        return;
    QString selectedFilter;
    const QString path = QFileDialog::getSaveFileName(this, tr("Export capability report"),
                                                      QStringLiteral("offloadcp-report.json"),
                                                      tr("JSON (*.json);;Text (*.txt)"), &selectedFilter);
    if (path.isEmpty())
        return;
    ReportExporter exporter(snap, m_fixture);
    bool usedCli = false;
    const QString error = exporter.exportTo(path, &usedCli);
    if (!error.isEmpty())
        QMessageBox::warning(this, tr("Export failed"), error);
    else
        statusBar()->showMessage(tr("Report saved to %1 (%2)").arg(path, usedCli ? tr("from offloadcp report")
                                                                                 : tr("from this app's scan")),
                                 8000);
}

void MainWindow::probeAsAdministrator()
{
    if (m_probeProcess)
        return; // one at a time
    // The one privileged path: `pkexec offloadcp report --json`. Asynchronous, because
    // polkit's agent may ask for a password for as long as the admin needs.
    const OffloadCli::Invocation inv = OffloadCli::report({}, {}, true, OffloadCli::needsElevation());
    if (inv.program.isEmpty() || inv.arguments.isEmpty() || inv.arguments.first().isEmpty()) {
        QMessageBox::warning(this, tr("Probe as administrator"),
                             tr("The offloadcp command-line tool was not found (install it or set OFFLOADCP_CLI)."));
        return;
    }
    m_probeProcess = new QProcess(this);
    m_probe->setEnabled(false);
    statusBar()->showMessage(tr("Probing devices as administrator…"));
    connect(m_probeProcess, &QProcess::finished, this, [this](int code) { probeFinished(code); });
    connect(m_probeProcess, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            probeFinished(-1);
    });
    m_probeProcess->start(inv.program, inv.arguments, QIODevice::ReadOnly);
}

void MainWindow::probeFinished(int exitCode)
{
    QProcess* process = m_probeProcess;
    if (!process)
        return;
    m_probeProcess = nullptr;
    process->deleteLater();
    m_probe->setEnabled(true);
    statusBar()->clearMessage();
    QString error;
    // 0 = ok, 8 = a report with warnings: both carry capabilities.
    if (process->exitStatus() == QProcess::NormalExit && (exitCode == 0 || exitCode == 8)) {
        error = applyAdministratorReport(process->readAllStandardOutput());
    } else if (exitCode == -1) {
        error = tr("could not start %1: %2").arg(process->program(), process->errorString());
    } else if (process->program() == QStringLiteral("pkexec") && (exitCode == 126 || exitCode == 127)) {
        error = tr("authorization was refused or cancelled (pkexec exit %1)").arg(exitCode);
    } else {
        error = QString::fromLocal8Bit(process->readAllStandardError()).trimmed();
        if (error.isEmpty())
            error = tr("offloadcp report exited with %1").arg(exitCode);
    }
    if (!error.isEmpty()) {
        // Window-modal, not a nested event loop: the app (and its jobs) keep running.
        auto* box = new QMessageBox(QMessageBox::Warning, tr("Probe as administrator"),
                                    tr("The privileged probe did not run: %1").arg(error), QMessageBox::Close, this);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    }
    emit administratorProbeFinished(error);
}

QString MainWindow::applyAdministratorReport(const QByteArray& reportJson)
{
    const auto snap = m_model->snapshot();
    if (!snap)
        return tr("no devices are shown yet");
    auto reported = parseReportCapabilities(std::string_view(reportJson.constData(), std::size_t(reportJson.size())));
    if (!reported)
        return QString::fromStdString(reported.error().message());
    const bool namesAny = std::any_of(reported->begin(), reported->end(), [&](const ReportedCapability& r) {
        return std::any_of(snap->topology->devices().begin(), snap->topology->devices().end(),
                           [&](const BlockDevice& d) { return d.stableId() == r.stableId; });
    });
    if (!namesAny)
        return tr("the report names none of the devices shown here");
    std::shared_ptr<const VolumeSnapshot> merged = snap->withReportedCapabilities(*reported);
    const int probed = static_cast<int>(merged->adminProbed);
    m_adminCapabilities = std::move(*reported);
    setSnapshot(std::move(merged));
    statusBar()->showMessage(probed > 0 ? tr("Copy capabilities of %1 read as administrator")
                                              .arg(countText(probed, tr("device"), tr("devices")))
                                        : tr("Read as administrator: no device here has a copy command to probe"),
                             8000);
    return {};
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    if (m_jobs->runningCount() > 0) {
        const auto answer = QMessageBox::question(
            this, tr("Copies are running"),
            tr("%n copy job(s) are still running. Quit and cancel them? The destinations will hold partial copies.",
               nullptr, m_jobs->runningCount()),
            QMessageBox::Cancel | QMessageBox::Yes, QMessageBox::Cancel);
        if (answer != QMessageBox::Yes) {
            event->ignore();
            return;
        }
    }
    event->accept();
}

} // namespace offload::ui
