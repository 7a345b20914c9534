// SPDX-License-Identifier: GPL-2.0-or-later
// offloadcp: parse the command line, run the chosen subcommand, return its exit code.
#include "Cli.h"
#include "PrivilegedRoute.h"

#include <malloc.h>
#include <optional>

int main(int argc, char** argv)
{
    using namespace offload::cli;
    // One malloc arena: a copy's threads (the job and its offload threads) allocate little,
    // and each further arena costs a 64 MiB reservation and its first page faults per run.
    mallopt(M_ARENA_MAX, 1);
    CLI::App app{"offloadcp: copy block volumes and let the storage device do the copying "
                 "(NVMe Copy, SCSI EXTENDED COPY), through partitions and device-mapper stacks.",
                 "offloadcp"};
    GlobalOptions global;
    // Through pkexec (root, for another user): only what the desktop app asks for, checked
    // on the raw arguments before anything else, on the parsed ones, then on the devices.
    std::optional<PrivilegedRoute> privileged;
    if (runsThroughPkexec()) {
        restrictEnvironment();
        auto route = PrivilegedRoute::check(argc, argv);
        if (!route) {
            printError(route.error().message());
            return ExitPermission;
        }
        privileged = std::move(*route);
        global.privileged = &*privileged;
    }
    Runner run;
    configureApp(app, global);
    addReportCommand(app, global, run);
    addPlanCommand(app, global, run);
    addCopyCommand(app, global, run);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return exitForParseError(app, error);
    }
    if (privileged) {
        if (offload::Status allowed = privileged->checkParsed(app, global.fixture); !allowed) {
            printError(allowed.error().message());
            return ExitPermission;
        }
    }
    return run ? run() : ExitUsage;
}
