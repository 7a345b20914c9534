// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <optional>

namespace offload::ui {

/// The app's one privileged path: the offloadcp CLI with a fixed set of verbs, each
/// producing --json output the app parses. Unprivileged and live, the CLI runs through
/// `pkexec`, authorized by the polkit action of its subcommand (org.offloadcp.report,
/// .plan, .copy: exec.path pinned to the installed CLI, exec.argv1 the subcommand, so
/// the subcommand comes right after the CLI's path). The argument list is built here from
/// typed values; there is no way to pass an arbitrary command, and the CLI run through
/// pkexec refuses (exit 4) any other form than these, and endpoints that are not block
/// devices.
class OffloadCli {
public:
    enum class Verb { Report, Plan, Copy };

    struct Invocation {
        QString program;     ///< pkexec or the CLI itself
        QStringList arguments;
    };

    /// Where the CLI is: $OFFLOADCP_CLI, next to this executable, the build tree's
    /// cli/ folder, then PATH. Empty when not found.
    static QString cliPath();
    /// True when this process cannot read devices or copy by itself (not root).
    static bool needsElevation();

    /// `offloadcp [--fixture DIR] report --json [DEVICE...]`
    static Invocation report(const QString& fixture, const QStringList& devices, bool json, bool elevate);
    /// `offloadcp plan SRC DST --json`
    static Invocation plan(const QString& source, const QString& destination, bool elevate);
    /// `offloadcp copy --json --cancel-on-stdin [--verify] [--require-offload] -- SRC DST`
    static Invocation copy(const QString& source, const QString& destination, bool verify, bool requireOffload,
                           bool elevate);

    /// Runs an invocation to completion (report, plan): stdout on exit 0 or a partial-report
    /// exit, else nullopt with `error` set to stderr / the exit code meaning.
    static std::optional<QByteArray> run(const Invocation& invocation, QString* error, int timeoutMs = 120000);

private:
    static Invocation make(Verb verb, const QStringList& verbArgs, const QString& fixture, bool elevate);
};

} // namespace offload::ui
