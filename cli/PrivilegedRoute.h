// SPDX-License-Identifier: GPL-2.0-or-later
// The privileged route: what offloadcp does when pkexec runs it as root for the desktop app.
#pragma once

#include "copy/EndpointResolver.h"
#include "topology/Topology.h"
#include "util/Error.h"

#include <CLI/CLI.hpp>

#include <string>
#include <sys/types.h>
#include <vector>

namespace offload::cli {

/// True when pkexec started this process (it sets PKEXEC_UID to the caller's uid).
bool runsThroughPkexec();

/// Under pkexec, before anything else: keeps only the locale, the terminal and
/// PKEXEC_UID in the environment and fixes PATH, so that no variable (TMPDIR, which
/// decides where a private device node is made; DM_DEV_DIR and the other libdevmapper
/// variables; whatever a library reads later) changes what the root process does.
void restrictEnvironment();

/// Under pkexec offloadcp does only what the app asks for, on block devices:
///   report --json [-- DEVICE...]
///   plan --json -- SRC DST
///   copy --json [--cancel-on-stdin] [--verify] [--require-offload] -- SRC DST
/// with the subcommand as the first argument (the polkit action is chosen by it), SRC and
/// DST block devices (a /dev path, or a name or stable id of the topology). Anything else
/// (a regular file, --fixture, --force, another option, subcommand or argument) is refused
/// with Errc::PermissionDenied (exit 4) before a device is opened or probed.
/// The checks come in three steps: the raw arguments (check), what CLI11 parsed
/// (checkParsed), and the endpoints as the command resolves them (checkResolved).
class PrivilegedRoute {
public:
    /// Step 1, before parsing: the argument shape, and that each SRC / DST that exists as a
    /// path is a block device after following links (stat; its dev_t is kept for step 3).
    static Result<PrivilegedRoute> check(int argc, const char* const* argv);

    /// Step 2, after parsing: one subcommand (the one checked), no --fixture, and no option
    /// counted by CLI11 that the route does not allow.
    Status checkParsed(const CLI::App& app, const std::string& fixture) const;

    /// Step 3, on the endpoint the command resolved `spec` to and will use: a block device
    /// of `topology` (never a file, new or existing), and where step 1 saw a block device
    /// node, the device with that dev_t. The copy then opens it by dev_t (openBlockDevice
    /// checks st_rdev of what it opened), so a node or link changed afterwards cannot
    /// redirect it.
    Status checkResolved(const Topology& topology, const std::string& spec, const CopyEndpoint& endpoint) const;

    /// Step 3 ahead of the probes (ScanOptions::probeOnly): resolves SRC and DST on
    /// `topology` and checks each (checkResolved), so that a refused copy probes nothing.
    /// A spec that does not resolve passes: the command reports that error itself.
    Status checkEndpoints(const Topology& topology, const std::string& source, const std::string& destination) const;

private:
    struct CheckedNode {
        std::string spec;
        dev_t rdev;
    };

    std::string m_subcommand;
    std::vector<CheckedNode> m_nodes; ///< SRC / DST that stat() found as block device nodes
};

} // namespace offload::cli
