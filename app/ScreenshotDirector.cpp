// SPDX-License-Identifier: GPL-2.0-or-later
#include "ScreenshotDirector.h"

#include "CloneDialog.h"
#include "JobController.h"
#include "MainWindow.h"

#include <QApplication>
#include <QDir>
#include <QImage>
#include <QPixmap>

#include <cstdio>

using namespace offload::ui;
using offload::BlockDevice;

ScreenshotDirector::ScreenshotDirector(MainWindow* window, AppOptions options, QObject* parent)
    : QObject(parent)
    , m_window(window)
    , m_options(std::move(options))
{
    connect(window, &MainWindow::snapshotLoaded, this, &ScreenshotDirector::onSnapshot);
    if (!m_options.screenshots.isEmpty())
        QDir().mkpath(m_options.screenshots);
}

void ScreenshotDirector::onSnapshot()
{
    if (m_started)
        return; // later rescans (after a copy) change nothing here
    m_started = true;
    if (!m_options.select.isEmpty() && !m_window->selectDevice(m_options.select))
        std::fprintf(stderr, "offloadcp-gui: --select %s: no such device\n", qPrintable(m_options.select));
    QTimer::singleShot(600, this, &ScreenshotDirector::shootMain);
}

bool ScreenshotDirector::save(QWidget* widget, const QString& name)
{
    if (m_options.screenshots.isEmpty())
        return true;
    const QString path = QDir(m_options.screenshots).filePath(name);
    // 256 colours keep a screenshot small (README images stay under 200 KB).
    const QImage image = widget->grab().toImage().convertToFormat(QImage::Format_Indexed8, Qt::ThresholdDither);
    if (!image.save(path, "PNG", 0)) {
        fail(QStringLiteral("could not save %1").arg(path));
        return false;
    }
    std::printf("saved %s\n", qPrintable(path));
    return true;
}

void ScreenshotDirector::fail(const QString& message)
{
    std::fprintf(stderr, "offloadcp-gui: %s\n", qPrintable(message));
    QApplication::exit(1);
}

void ScreenshotDirector::done()
{
    if (!m_options.screenshots.isEmpty())
        QApplication::exit(0);
}

void ScreenshotDirector::shootMain()
{
    if (!save(m_window, QStringLiteral("main-window.png")))
        return;
    if (m_options.cloneSource.isEmpty())
        return done();
    openClone();
}

void ScreenshotDirector::openClone()
{
    const auto snap = m_window->snapshot();
    const BlockDevice* src = snap->topology->find(m_options.cloneSource.toStdString());
    const BlockDevice* dst = snap->topology->find(m_options.cloneDest.toStdString());
    if (!src || !dst)
        return fail(QStringLiteral("--clone: %1 or %2 not found").arg(m_options.cloneSource, m_options.cloneDest));
    m_dialog = m_window->createCloneDialog();
    m_dialog->setAttribute(Qt::WA_DeleteOnClose);
    m_dialog->setSource(src->index);
    m_dialog->setDestination(dst->index);
    m_dialog->show();
    QTimer::singleShot(500, this, &ScreenshotDirector::shootClone);
}

void ScreenshotDirector::shootClone()
{
    if (!m_dialog || !save(m_dialog, QStringLiteral("clone-plan.png")))
        return;
    if (!m_options.startCopy) {
        if (!m_dialog->blocker().isEmpty())
            std::fprintf(stderr, "offloadcp-gui: the copy could not start: %s\n", qPrintable(m_dialog->blocker()));
        return done();
    }
    startCopy();
}

void ScreenshotDirector::startCopy()
{
    if (!m_dialog->plan() || !m_dialog->blocker().isEmpty())
        return fail(QStringLiteral("cannot start the copy: %1").arg(m_dialog->blocker()));
    m_job = m_window->startJob(*m_dialog);
    m_dialog->close();
    if (!m_job)
        return fail(QStringLiteral("the job did not start"));
    connect(m_job, &JobController::finished, this, &ScreenshotDirector::finishJob);
    QTimer::singleShot(100, this, &ScreenshotDirector::pollJob);
}

void ScreenshotDirector::pollJob()
{
    if (!m_job || m_shotRunning)
        return;
    ++m_polls;
    // Shoot once the chart has a few points and the bar shows real progress.
    if (m_job->progress().fraction() >= 0.45 || m_polls > 300) {
        m_shotRunning = true;
        save(m_window, QStringLiteral("running-job.png"));
        return;
    }
    QTimer::singleShot(100, this, &ScreenshotDirector::pollJob);
}

void ScreenshotDirector::finishJob()
{
    if (!m_job)
        return;
    if (!m_shotRunning) {
        m_shotRunning = true;
        std::fprintf(stderr, "offloadcp-gui: the job ended before the running screenshot (too small a copy?)\n");
        save(m_window, QStringLiteral("running-job.png"));
    }
    const auto state = m_job->state();
    std::printf("job %s: %s\n", qPrintable(m_job->title()), qPrintable(m_job->stateText()));
    if (state != JobController::State::Succeeded) {
        std::fprintf(stderr, "%s\n", qPrintable(m_job->failureText()));
        if (!m_options.screenshots.isEmpty())
            QApplication::exit(1);
        return;
    }
    // Let the final state render, then save it too and quit.
    QTimer::singleShot(400, this, [this] {
        save(m_window, QStringLiteral("finished-job.png"));
        done();
    });
}
