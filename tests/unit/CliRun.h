// SPDX-License-Identifier: GPL-2.0-or-later
// Runs the offloadcp CLI under test (OFFLOADCP_CLI) in the C locale and collects what it
// printed: shared by the CLI tests.
#pragma once

#include <QByteArray>
#include <QProcess>
#include <QStringList>

struct CliRun {
    int exitCode = -1; ///< -1 when it crashed or did not finish within a minute
    QByteArray out;
    QByteArray err;
};

/// `extraEnvironment`: NAME=value entries added to this process's environment.
inline CliRun runCli(const QStringList& arguments, const QStringList& extraEnvironment = {})
{
    QProcess process;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert("LC_ALL", "C.UTF-8");
    for (const QString& entry : extraEnvironment)
        environment.insert(entry.section('=', 0, 0), entry.section('=', 1));
    process.setProcessEnvironment(environment);
    process.start(OFFLOADCP_CLI, arguments);
    CliRun run;
    if (!process.waitForFinished(60000)) {
        process.kill();
        process.waitForFinished();
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}
