// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace offload {
struct Error;
}

namespace offload::cli {

class PrivilegedRoute;

/// Named exit codes (documented in `offloadcp --help` and the man page).
enum ExitCode : int {
    ExitOk = 0,
    ExitFailure = 1,        ///< the operation failed (I/O error, device error)
    ExitUsage = 2,          ///< bad command line or bad input; nothing was changed
    ExitNotFound = 3,       ///< a named device or file does not exist
    ExitPermission = 4,     ///< needs root, or refused through pkexec (PrivilegedRoute)
    ExitBusy = 5,           ///< destination mounted or in use (see --force)
    ExitNoOffload = 6,      ///< --require-offload and some extent cannot be offloaded
    ExitVerifyMismatch = 7, ///< --verify found a difference
    ExitPartial = 8,        ///< report produced with warnings (devices vanished, unreadable attributes)
    ExitCancelled = 130,    ///< interrupted (Ctrl-C)
};

/// Options every subcommand shares.
struct GlobalOptions {
    std::string fixture;    ///< --fixture DIR: read a captured fixture instead of this machine
    bool json = false;      ///< --json
    /// Set when run through pkexec: what the route allows (see PrivilegedRoute.h); the
    /// commands hold their endpoints to it.
    const PrivilegedRoute* privileged = nullptr;
};

/// A subcommand registers its options on `app` and sets `run` to what it does when chosen.
using Runner = std::function<int()>;
void addReportCommand(CLI::App& app, GlobalOptions& global, Runner& run);
void addCopyCommand(CLI::App& app, GlobalOptions& global, Runner& run);
void addPlanCommand(CLI::App& app, GlobalOptions& global, Runner& run);

/// Sets up the top-level app: --version, the global options (--fixture, --json, usable
/// before or after the subcommand) and the exit-code footer.
void configureApp(CLI::App& app, GlobalOptions& global);

/// Text for the exit-code table in --help.
std::string exitCodeHelp();

/// --cross-namespace on plan and copy (both plan the same way).
inline constexpr const char* kCrossNamespaceHelp =
    "Plan NVMe Copy between namespaces of one controller (format 2) even where this kernel is expected "
    "to refuse enabling it (Linux 6.12+) or is unknown; by default it is planned only where the kernel "
    "allows it. The copy enables it (Host Behavior Support CDFE) and falls back to read/write if refused";

/// Prints CLI11's message for a parse error (or the help / version it stands for) and
/// returns the exit code: ExitOk for --help / --version, else ExitUsage.
int exitForParseError(const CLI::App& app, const CLI::ParseError& error);

/// The exit code for a core error (NotFound -> ExitNotFound, PermissionDenied ->
/// ExitPermission, InvalidArgument -> ExitUsage, Busy -> ExitBusy, Cancelled ->
/// ExitCancelled, else ExitFailure).
int exitCodeOf(const offload::Error& error);

/// Prints "offloadcp: <message>" to stderr.
void printError(const std::string& message);
/// Prints "offloadcp: warning: <message>" to stderr.
void printWarning(const std::string& message);

} // namespace offload::cli
