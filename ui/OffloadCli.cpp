// SPDX-License-Identifier: GPL-2.0-or-later
#include "OffloadCli.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>

#include <unistd.h>

namespace offload::ui {

QString OffloadCli::cliPath()
{
    const QString env = qEnvironmentVariable("OFFLOADCP_CLI");
    if (!env.isEmpty() && QFileInfo(env).isExecutable())
        return env;
    const QString appDir = QCoreApplication::applicationDirPath();
    for (const QString& candidate : {appDir + QStringLiteral("/offloadcp"), appDir + QStringLiteral("/../cli/offloadcp")}) {
        if (QFileInfo(candidate).isExecutable())
            return QFileInfo(candidate).canonicalFilePath();
    }
    return QStandardPaths::findExecutable(QStringLiteral("offloadcp"));
}

bool OffloadCli::needsElevation()
{
    return ::geteuid() != 0;
}

OffloadCli::Invocation OffloadCli::make(Verb verb, const QStringList& verbArgs, const QString& fixture, bool elevate)
{
    QStringList args;
    if (!fixture.isEmpty())
        args << QStringLiteral("--fixture") << fixture;
    switch (verb) {
    case Verb::Report: args << QStringLiteral("report"); break;
    case Verb::Plan: args << QStringLiteral("plan"); break;
    case Verb::Copy: args << QStringLiteral("copy"); break;
    }
    args << verbArgs;
    Invocation inv;
    const QString cli = cliPath();
    if (elevate) {
        inv.program = QStringLiteral("pkexec");
        inv.arguments << cli << args;
    } else {
        inv.program = cli;
        inv.arguments = args;
    }
    return inv;
}

OffloadCli::Invocation OffloadCli::report(const QString& fixture, const QStringList& devices, bool json, bool elevate)
{
    QStringList a;
    if (json)
        a << QStringLiteral("--json");
    if (!devices.isEmpty())
        a << QStringLiteral("--") << devices;
    return make(Verb::Report, a, fixture, elevate);
}

OffloadCli::Invocation OffloadCli::plan(const QString& source, const QString& destination, bool elevate)
{
    return make(Verb::Plan, {QStringLiteral("--json"), QStringLiteral("--"), source, destination}, {}, elevate);
}

OffloadCli::Invocation OffloadCli::copy(const QString& source, const QString& destination, bool verify,
                                        bool requireOffload, bool elevate)
{
    // --cancel-on-stdin: the app cancels by writing "cancel" (or closing stdin); it cannot
    // signal a copy that pkexec runs as root.
    QStringList a{QStringLiteral("--json"), QStringLiteral("--cancel-on-stdin")};
    if (verify)
        a << QStringLiteral("--verify");
    if (requireOffload)
        a << QStringLiteral("--require-offload");
    a << QStringLiteral("--") << source << destination;
    return make(Verb::Copy, a, {}, elevate);
}

std::optional<QByteArray> OffloadCli::run(const Invocation& invocation, QString* error, int timeoutMs)
{
    const bool missing = invocation.program.isEmpty() ||
                         (invocation.program == QStringLiteral("pkexec") &&
                          (invocation.arguments.isEmpty() || invocation.arguments.first().isEmpty()));
    if (missing) {
        if (error)
            *error = QObject::tr("the offloadcp command-line tool was not found (install it or set OFFLOADCP_CLI)");
        return std::nullopt;
    }
    QProcess process;
    process.start(invocation.program, invocation.arguments, QIODevice::ReadOnly);
    if (!process.waitForStarted(10000)) {
        if (error)
            *error = QObject::tr("could not start %1: %2").arg(invocation.program, process.errorString());
        return std::nullopt;
    }
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished(2000);
        if (error)
            *error = QObject::tr("%1 did not finish in time").arg(invocation.program);
        return std::nullopt;
    }
    const int code = process.exitCode();
    // 0 = ok, 8 = report with warnings (partial): both carry a usable report.
    if (process.exitStatus() == QProcess::NormalExit && (code == 0 || code == 8))
        return process.readAllStandardOutput();
    if (error) {
        QString text = QString::fromLocal8Bit(process.readAllStandardError()).trimmed();
        if (invocation.program == QStringLiteral("pkexec") && (code == 126 || code == 127))
            text = QObject::tr("authorization was refused or cancelled (pkexec exit %1)").arg(code);
        *error = text.isEmpty() ? QObject::tr("exit code %1").arg(code) : text;
    }
    return std::nullopt;
}

} // namespace offload::ui
