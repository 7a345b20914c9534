// SPDX-License-Identifier: GPL-2.0-or-later
#include "AppOptions.h"

#include <cstdio>
#include <cstring>
#include <string_view>

std::string AppOptions::helpText()
{
    return "Usage: offloadcp-gui [OPTIONS]\n"
           "\n"
           "Shows the machine's block devices as a tree with, for each volume, whether a copy\n"
           "into or out of it can be offloaded to the storage device (NVMe Copy, SCSI EXTENDED\n"
           "COPY) and why not; plans and runs clones. Runs unprivileged: reading devices and\n"
           "copying go through `pkexec offloadcp` (polkit actions org.offloadcp.report,\n"
           "org.offloadcp.plan and org.offloadcp.copy; the copy one asks every time).\n"
           "\n"
           "Options:\n"
           "  -h, --help             Show this help and exit (no display needed)\n"
           "      --version          Show the version and exit\n"
           "      --fixture DIR      Show a captured fixture (tests/fixtures/...) instead of this\n"
           "                         machine; plans work, copies are disabled\n"
           "      --select DEVICE    Select DEVICE (kernel name, dm name or stable id) at start\n"
           "      --clone SRC DST    Open the clone dialog with SRC and DST chosen\n"
           "      --start-copy       With --clone: start the copy (no confirmation; for demos)\n"
           "      --palette MODE     light or dark (default: the desktop's)\n"
           "      --screenshots DIR  Save main-window.png (clone-plan.png, running-job.png with\n"
           "                         --clone / --start-copy) into DIR, then quit\n"
           "\n"
           "Standard Qt options (-platform, -style, ...) are accepted too.\n";
}

AppOptions AppOptions::parse(int argc, char** argv)
{
    AppOptions o;
    auto value = [&](int& i, std::string_view name) -> std::optional<QString> {
        if (i + 1 >= argc) {
            std::fprintf(stderr, "offloadcp-gui: %.*s needs a value (see --help)\n", static_cast<int>(name.size()),
                         name.data());
            o.exitNow = true;
            o.exitCode = 2;
            return std::nullopt;
        }
        return QString::fromLocal8Bit(argv[++i]);
    };
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            std::fputs(helpText().c_str(), stdout);
            o.exitNow = true;
            return o;
        }
        if (arg == "--version") {
            std::printf("offloadcp-gui %s\n", OFFLOADCP_VERSION);
            o.exitNow = true;
            return o;
        }
        std::optional<QString> v;
        if (arg == "--fixture") {
            if (!(v = value(i, arg)))
                break;
            o.fixture = *v;
        } else if (arg == "--select") {
            if (!(v = value(i, arg)))
                break;
            o.select = *v;
        } else if (arg == "--screenshots") {
            if (!(v = value(i, arg)))
                break;
            o.screenshots = *v;
        } else if (arg == "--palette") {
            if (!(v = value(i, arg)))
                break;
            o.palette = *v;
            if (o.palette != QStringLiteral("light") && o.palette != QStringLiteral("dark")) {
                std::fprintf(stderr, "offloadcp-gui: --palette takes light or dark\n");
                o.exitNow = true;
                o.exitCode = 2;
                return o;
            }
        } else if (arg == "--clone") {
            if (!(v = value(i, arg)))
                break;
            o.cloneSource = *v;
            if (!(v = value(i, arg)))
                break;
            o.cloneDest = *v;
        } else if (arg == "--start-copy") {
            o.startCopy = true;
        } else if (arg.starts_with("-platform") || arg.starts_with("-style") || arg.starts_with("-display")) {
            ++i; // Qt's own options with a value: QApplication reads them
        } else if (arg.starts_with("-")) {
            std::fprintf(stderr, "offloadcp-gui: unknown option %s (see --help)\n", argv[i]);
            o.exitNow = true;
            o.exitCode = 2;
            return o;
        } else {
            std::fprintf(stderr, "offloadcp-gui: unexpected argument %s (see --help)\n", argv[i]);
            o.exitNow = true;
            o.exitCode = 2;
            return o;
        }
    }
    if (!o.exitNow && o.startCopy && o.cloneSource.isEmpty()) {
        std::fprintf(stderr, "offloadcp-gui: --start-copy needs --clone SRC DST\n");
        o.exitNow = true;
        o.exitCode = 2;
    }
    return o;
}
