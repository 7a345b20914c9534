// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "AppOptions.h"

#include <QObject>
#include <QPointer>
#include <QTimer>

namespace offload::ui {
class CloneDialog;
class JobController;
class MainWindow;
} // namespace offload::ui

/// Drives the app for --screenshots / --clone / --start-copy: waits for the first scan,
/// selects a device, saves the main window, opens the clone dialog with both ends chosen
/// and saves it, starts the copy and saves the window while the job runs, then quits
/// when the job ends (exit code 0 only if every requested step worked).
class ScreenshotDirector : public QObject {
    Q_OBJECT
public:
    ScreenshotDirector(offload::ui::MainWindow* window, AppOptions options, QObject* parent = nullptr);

private:
    void onSnapshot();
    void shootMain();
    void openClone();
    void shootClone();
    void startCopy();
    void pollJob();
    void finishJob();
    bool save(QWidget* widget, const QString& name);
    void fail(const QString& message);
    void done();

    offload::ui::MainWindow* m_window;
    AppOptions m_options;
    QPointer<offload::ui::CloneDialog> m_dialog;
    QPointer<offload::ui::JobController> m_job;
    bool m_started = false;
    bool m_shotRunning = false;
    int m_polls = 0;
};
