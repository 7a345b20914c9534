// SPDX-License-Identifier: GPL-2.0-or-later
#include "PrivilegedRoute.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

extern char** environ;

namespace offload::cli {

namespace {

struct RouteForm {
    std::string_view subcommand;
    std::vector<std::string_view> flags; ///< the options the app passes (flags only)
    int endpoints;                       ///< SRC DST after "--"; -1: any number of DEVICEs
};

const std::array<RouteForm, 3>& routeForms()
{
    static const std::array<RouteForm, 3> forms{{
        {"report", {"--json"}, -1},
        {"plan", {"--json"}, 2},
        {"copy", {"--json", "--cancel-on-stdin", "--verify", "--require-offload"}, 2},
    }};
    return forms;
}

constexpr const char* kAllowedForms = "through pkexec offloadcp runs only `report --json [-- DEVICE...]`, "
                                      "`plan --json -- SRC DST` and `copy --json [--cancel-on-stdin] [--verify] "
                                      "[--require-offload] -- SRC DST` between block devices";

Error refusal(const std::string& subject, const std::string& what, const std::string& hint = kAllowedForms)
{
    return Error::make(Errc::PermissionDenied, subject, "refused through pkexec: " + what, hint);
}

const char* fileKind(mode_t mode)
{
    if (S_ISREG(mode))
        return "a regular file";
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a block device";
}

/// The authorization prompt shows the names as given: a path must be one only root can
/// make, under /dev, in folders no one else may write (not /dev/shm), so that a link of
/// the user's own cannot give a device a harmless-looking name.
Status checkDevPath(const std::string& spec, const char* role)
{
    const std::filesystem::path path(spec);
    const auto notDev = [&](const std::string& why) {
        return std::unexpected(refusal(spec, std::string("the ") + role + " " + why,
                                       "name the device by its /dev path (/dev/nvme0n1, /dev/mapper/NAME, "
                                       "/dev/disk/by-id/...) or by its stable id (`offloadcp report --long`)"));
    };
    if (!spec.starts_with("/dev/") || path.lexically_normal() != path)
        return notDev("is a block device named by a path outside /dev");
    for (std::filesystem::path dir = path.parent_path(); dir.has_relative_path(); dir = dir.parent_path()) {
        struct stat st {};
        if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0
            || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
            return notDev("is named by a path in " + dir.string() + ", a folder others than root may change");
    }
    return {};
}

} // namespace

bool runsThroughPkexec()
{
    return std::getenv("PKEXEC_UID") != nullptr;
}

void restrictEnvironment()
{
    std::vector<std::string> names;
    for (char** entry = environ; entry && *entry; ++entry) {
        const std::string_view text(*entry);
        const std::string name(text.substr(0, text.find('=')));
        const bool kept = name == "PKEXEC_UID" || name == "LANG" || name == "LANGUAGE" || name.starts_with("LC_")
                          || name == "TERM";
        if (!kept)
            names.push_back(name);
    }
    for (const std::string& name : names)
        ::unsetenv(name.c_str());
    ::setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
}

Result<PrivilegedRoute> PrivilegedRoute::check(int argc, const char* const* argv)
{
    if (argc < 2)
        return std::unexpected(refusal({}, "no subcommand"));
    const std::string_view subcommand = argv[1];
    const auto& forms = routeForms();
    const auto form = std::find_if(forms.begin(), forms.end(),
                                   [&](const RouteForm& f) { return f.subcommand == subcommand; });
    if (form == forms.end())
        return std::unexpected(refusal(std::string(subcommand),
                                       "the first argument must be the subcommand report, plan or copy"));

    PrivilegedRoute route;
    route.m_subcommand = std::string(subcommand);
    bool json = false;
    int i = 2;
    for (; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--") {
            ++i;
            break;
        }
        if (std::find(form->flags.begin(), form->flags.end(), arg) == form->flags.end()) {
            if (arg.starts_with("-"))
                return std::unexpected(refusal(std::string(arg), "option not allowed for " + route.m_subcommand));
            return std::unexpected(
                refusal(std::string(arg), "argument not allowed here", "give devices after `--`; " + std::string(kAllowedForms)));
        }
        json = json || arg == "--json";
    }
    if (!json)
        return std::unexpected(refusal(route.m_subcommand, "--json is required"));

    std::vector<std::string> positionals(argv + i, argv + argc);
    if (form->endpoints < 0)
        return route; // report: DEVICE names are only looked up in the topology
    if (static_cast<int>(positionals.size()) != form->endpoints)
        return std::unexpected(refusal(route.m_subcommand,
                                       std::to_string(positionals.size()) + " arguments after `--`, expected SRC DST"));
    for (std::size_t n = 0; n < positionals.size(); ++n) {
        const std::string& spec = positionals[n];
        const char* role = n == 0 ? "source" : "destination";
        struct stat st {};
        struct stat link {};
        if (spec.find('/') == std::string::npos)
            continue; // a name or stable id of the topology: checked once it is read
        if (::stat(spec.c_str(), &st) != 0) {
            // Nothing there (or a dangling link): an absolute path or a link would become a
            // new file; anything else may be a stable id (loop:/path), checked on the topology.
            if (spec.starts_with('/') || ::lstat(spec.c_str(), &link) == 0)
                return std::unexpected(refusal(spec,
                                               std::string("the ") + role
                                                   + " is not a block device: nothing exists at this path "
                                                     "(a new file would be made)",
                                               "the privileged route copies between block devices only; copy files as "
                                               "your own user, without pkexec"));
            continue;
        }
        if (!S_ISBLK(st.st_mode))
            return std::unexpected(refusal(spec,
                                           std::string("the ") + role + " is " + fileKind(st.st_mode)
                                               + " (after following links), not a block device",
                                           "the privileged route copies between block devices only; copy files as "
                                           "your own user, without pkexec"));
        if (Status named = checkDevPath(spec, role); !named)
            return std::unexpected(named.error());
        route.m_nodes.push_back({spec, st.st_rdev});
    }
    return route;
}

Status PrivilegedRoute::checkParsed(const CLI::App& app, const std::string& fixture) const
{
    if (!fixture.empty())
        return std::unexpected(refusal(fixture, "--fixture reads files as root"));
    const auto subcommands = app.get_subcommands();
    if (subcommands.size() != 1 || subcommands.front()->get_name() != m_subcommand)
        return std::unexpected(refusal(m_subcommand, "exactly one subcommand, given first"));
    const auto& forms = routeForms();
    const auto form = std::find_if(forms.begin(), forms.end(),
                                   [&](const RouteForm& f) { return f.subcommand == m_subcommand; });
    for (const CLI::App* scope : {&app, static_cast<const CLI::App*>(subcommands.front())}) {
        for (const CLI::Option* option : scope->get_options()) {
            if (option->count() == 0)
                continue;
            if (!option->nonpositional())
                continue; // SRC, DST, DEVICE: checked in step 1 and on the topology
            const std::string name = option->get_name(false, true);
            bool allowed = false;
            for (std::string_view flag : form->flags)
                allowed = allowed || option->check_lname(std::string(flag.substr(2)));
            if (!allowed)
                return std::unexpected(refusal(name, "option not allowed for " + m_subcommand));
        }
    }
    return {};
}

Status PrivilegedRoute::checkResolved(const Topology& topology, const std::string& spec,
                                      const CopyEndpoint& endpoint) const
{
    if (!endpoint.device || *endpoint.device >= topology.size())
        return std::unexpected(refusal(spec,
                                       "names a file (" + endpoint.file.string() + "), not a block device",
                                       "the privileged route copies between block devices only; copy files as your "
                                       "own user, without pkexec"));
    const BlockDevice& device = topology.at(*endpoint.device);
    for (const CheckedNode& node : m_nodes) {
        if (node.spec == spec && device.devnum.toDevT() != node.rdev)
            return std::unexpected(refusal(spec,
                                           "resolves to " + device.devPath() + " (" + device.devnum.str()
                                               + "), not to the block device it named when checked",
                                           "run the command again"));
    }
    return {};
}

Status PrivilegedRoute::checkEndpoints(const Topology& topology, const std::string& source,
                                       const std::string& destination) const
{
    for (auto [spec, role] : {std::pair{&source, EndpointRole::Source}, std::pair{&destination, EndpointRole::Destination}}) {
        auto endpoint = resolveEndpoint(topology, *spec, role);
        if (!endpoint)
            continue; // the command reports it, having opened nothing
        if (Status allowed = checkResolved(topology, *spec, *endpoint); !allowed)
            return allowed;
    }
    return {};
}

} // namespace offload::cli
