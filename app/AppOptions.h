// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <QString>

#include <optional>
#include <string>

/// The desktop app's command line, parsed before any QApplication exists so that
/// --help and --version work without a display.
struct AppOptions {
    QString fixture;         ///< --fixture DIR: show a captured fixture instead of this machine
    QString select;          ///< --select DEVICE: select this device at start
    QString screenshots;     ///< --screenshots DIR: save PNGs of the main window (and more), then quit
    QString cloneSource;     ///< --clone SRC DST: open the clone dialog with these preselected
    QString cloneDest;
    bool startCopy = false;  ///< --start-copy: with --clone, start the copy without asking
    QString palette;         ///< --palette light|dark
    bool exitNow = false;    ///< --help / --version printed, or an error
    int exitCode = 0;

    /// Parses argv; prints help, version or errors to stdout/stderr itself.
    static AppOptions parse(int argc, char** argv);
    static std::string helpText();
};
