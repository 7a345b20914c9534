// SPDX-License-Identifier: GPL-2.0-or-later
// offloadcp-gui: parse the command line (no display needed for --help), then run the
// main window on this machine or on a captured fixture.
#include "AppOptions.h"
#include "Icons.h"
#include "MainWindow.h"
#include "ScreenshotDirector.h"

#include <QApplication>
#include <QPalette>
#include <QStyle>
#include <QStyleFactory>

namespace {

QPalette darkPalette()
{
    QPalette p;
    const QColor window(0x2b, 0x2d, 0x31), base(0x1e, 0x1f, 0x22), text(0xe8, 0xe8, 0xea), mid(0x5a, 0x5d, 0x63);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, QColor(0x26, 0x28, 0x2c));
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, window);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::Highlight, QColor(0x3a, 0x7b, 0xd5));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::ToolTipBase, base);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::PlaceholderText, QColor(0x9a, 0x9d, 0xa3));
    p.setColor(QPalette::Mid, mid);
    p.setColor(QPalette::Midlight, QColor(0x3c, 0x3f, 0x44));
    p.setColor(QPalette::Dark, QColor(0x18, 0x19, 0x1b));
    p.setColor(QPalette::Light, QColor(0x4a, 0x4d, 0x52));
    p.setColor(QPalette::Link, QColor(0x6f, 0xa8, 0xff));
    p.setColor(QPalette::Disabled, QPalette::Text, QColor(0x80, 0x82, 0x88));
    p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(0x80, 0x82, 0x88));
    p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(0x80, 0x82, 0x88));
    return p;
}

} // namespace

int main(int argc, char** argv)
{
    const AppOptions options = AppOptions::parse(argc, argv);
    if (options.exitNow)
        return options.exitCode;

    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("offloadcp-gui"));
    QApplication::setApplicationVersion(QStringLiteral(OFFLOADCP_VERSION));
    QApplication::setOrganizationDomain(QStringLiteral("offloadcp.org"));
    QApplication::setDesktopFileName(QStringLiteral("org.offloadcp.OffloadCp"));
    offload::ui::ensureResources();
    QApplication::setWindowIcon(offload::ui::appIcon());
    if (!options.palette.isEmpty()) {
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
        QApplication::setPalette(options.palette == QStringLiteral("dark") ? darkPalette()
                                                                           : QApplication::style()->standardPalette());
    }

    offload::ui::MainWindow window(options.fixture);
    ScreenshotDirector director(&window, options);
    window.show();
    return QApplication::exec();
}
