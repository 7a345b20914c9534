#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fresh Debian 12 machine: install dependencies, build, and report what this machine can offload.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh --build
cmake --preset release >/dev/null
cmake --build --preset release
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO ./build/release/cli/offloadcp report
