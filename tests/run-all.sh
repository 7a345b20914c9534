#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs every test: installs dependencies, builds with warnings as errors, then ctest runs
# unit, ui, integration (root + loop devices) and vm (the QEMU lab) tests.
# Labels can be narrowed: tests/run-all.sh -L unit
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
cmake --preset ci >/dev/null
cmake --build --preset ci
ctest --preset ci "$@"
