// SPDX-License-Identifier: GPL-2.0-or-later
#include "Cli.h"

#include "util/Error.h"

#include <cstdio>
#include <iostream>

namespace offload::cli {

namespace {

struct ExitCodeDoc {
    ExitCode code;
    const char* name;
    const char* meaning;
};

constexpr ExitCodeDoc kExitCodes[] = {
    {ExitOk, "ok", "done"},
    {ExitFailure, "failure", "the operation failed (I/O error, device error)"},
    {ExitUsage, "usage", "bad command line or bad input; nothing was changed"},
    {ExitNotFound, "not-found", "a named device or file does not exist"},
    {ExitPermission, "permission", "needs root, or refused through pkexec (see man offloadcp)"},
    {ExitBusy, "busy", "destination mounted or in use"},
    {ExitNoOffload, "no-offload", "--require-offload and some extent cannot be offloaded"},
    {ExitVerifyMismatch, "verify-mismatch", "--verify found a difference"},
    {ExitPartial, "partial",
     "output produced, but incomplete: a device vanished during the scan, an attribute "
     "could not be read or a probe failed (see the warnings)"},
    {ExitCancelled, "cancelled", "interrupted (Ctrl-C)"},
};

} // namespace

std::string exitCodeHelp()
{
    std::string out = "Exit codes:\n";
    for (const ExitCodeDoc& doc : kExitCodes) {
        char line[64];
        std::snprintf(line, sizeof line, "  %-4d %-16s ", static_cast<int>(doc.code), doc.name);
        out += line;
        out += doc.meaning;
        out += '\n';
    }
    return out;
}

void configureApp(CLI::App& app, GlobalOptions& global)
{
    app.set_version_flag("--version", std::string("offloadcp ") + OFFLOADCP_VERSION,
                         "Print the version and exit");
    app.add_option("--fixture", global.fixture,
                   "Read a captured fixture directory (sys/, dmsetup-table.txt, probe/) instead of this machine")
        ->check(CLI::ExistingDirectory)
        ->option_text("DIR");
    app.add_flag("--json", global.json, "Print JSON (with a schema_version) instead of a table");
    app.require_subcommand(1);
    app.fallthrough(); // global options also work after the subcommand
    app.footer(exitCodeHelp());
}

int exitForParseError(const CLI::App& app, const CLI::ParseError& error)
{
    const int code = app.exit(error);
    return code == 0 ? ExitOk : ExitUsage;
}

int exitCodeOf(const offload::Error& error)
{
    switch (error.code) {
    case Errc::NotFound: return ExitNotFound;
    case Errc::PermissionDenied: return ExitPermission;
    case Errc::InvalidArgument: return ExitUsage;
    case Errc::Busy: return ExitBusy;
    case Errc::Cancelled: return ExitCancelled;
    default: return ExitFailure;
    }
}

void printError(const std::string& message)
{
    std::cerr << "offloadcp: " << message << '\n';
}

void printWarning(const std::string& message)
{
    std::cerr << "offloadcp: warning: " << message << '\n';
}

} // namespace offload::cli
