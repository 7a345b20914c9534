// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "VolumeSnapshot.h"

#include <QMainWindow>

#include <memory>
#include <optional>

class QAction;
class QLabel;
class QProcess;
class QSplitter;
class QTreeView;

namespace offload::ui {

class CloneDialog;
class DetailsPane;
class DeviceWatcher;
class JobController;
class JobsModel;
class JobsPanel;
class SnapshotLoader;
class TopologyModel;

/// The main window: the block topology tree with badges, the selected volume's details,
/// and the jobs panel. Actions: Rescan (also automatic when devices come and go), Clone…,
/// Export report…, and on an unprivileged live system "Probe as administrator".
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    /// `fixture` empty: this machine.
    explicit MainWindow(const QString& fixture = {}, QWidget* parent = nullptr);
    ~MainWindow() override;

    TopologyModel* topologyModel() const { return m_model; }
    QTreeView* treeView() const { return m_tree; }
    DetailsPane* detailsPane() const { return m_details; }
    JobsModel* jobsModel() const { return m_jobs; }
    JobsPanel* jobsPanel() const { return m_jobsPanel; }
    std::shared_ptr<const VolumeSnapshot> snapshot() const;

    /// Selects a device by kernel name, dm name or stable id; false when absent.
    bool selectDevice(const QString& spec);
    std::optional<std::size_t> selectedDevice() const;
    /// Creates (not shows) the clone dialog for the current snapshot and selection.
    CloneDialog* createCloneDialog();
    /// Starts a copy of the dialog's plan with its options; returns the job (owned by the jobs model).
    JobController* startJob(const CloneDialog& dialog);
    /// Merges the capabilities of `offloadcp report --json` output (as "Probe as
    /// administrator" gets it) into the shown snapshot by stable id, and keeps them for
    /// later rescans. Returns an error text, or empty on success.
    QString applyAdministratorReport(const QByteArray& reportJson);
    /// The status bar's text ("fixture: lab-all · 31 devices").
    QString statusText() const;

public slots:
    void rescan();
    void openCloneDialog();
    void exportReport();
    void probeAsAdministrator();

signals:
    void snapshotLoaded();
    /// "Probe as administrator" ended: `error` is empty when its report was merged.
    void administratorProbeFinished(const QString& error);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void setSnapshot(std::shared_ptr<const VolumeSnapshot> snapshot);
    void probeFinished(int exitCode);
    void selectionChanged();
    void updateStatus();

    QString m_fixture;
    SnapshotLoader* m_loader = nullptr;
    DeviceWatcher* m_watcher = nullptr;
    TopologyModel* m_model = nullptr;
    QTreeView* m_tree = nullptr;
    DetailsPane* m_details = nullptr;
    JobsModel* m_jobs = nullptr;
    JobsPanel* m_jobsPanel = nullptr;
    QLabel* m_statusOrigin = nullptr;
    QLabel* m_statusWarnings = nullptr;
    QAction* m_rescan = nullptr;
    QAction* m_clone = nullptr;
    QAction* m_export = nullptr;
    QAction* m_probe = nullptr;
    QString m_lastError;
    QProcess* m_probeProcess = nullptr;
    std::vector<ReportedCapability> m_adminCapabilities; ///< from the last "Probe as administrator"
};

} // namespace offload::ui
