#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs every test: installs dependencies, builds with warnings as errors, then ctest runs
# unit, ui, integration (root + loop devices) and vm (the QEMU lab) tests; then the unit, ui
# and integration tests again, built with AddressSanitizer + UBSan (the "asan" preset), and
# every libFuzzer target for a bounded time (tests/fuzz/run-fuzz.sh, the "fuzz" preset).
# Each step runs even when an earlier one failed; the exit status says whether all passed.
#   tests/run-all.sh -L unit       only the normal build's tests with these ctest arguments
#   OFFLOADCP_SKIP_ASAN=1          leave out the sanitizer build and its tests
#   OFFLOADCP_SKIP_FUZZ=1          leave out fuzzing;  OFFLOADCP_FUZZ_SECONDS=20 per target
set -uo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh || exit 1
cmake --preset ci >/dev/null || exit 1
cmake --build --preset ci || exit 1
failed=()
ctest --preset ci "$@" || failed+=("ctest --preset ci $*")
if [ $# -gt 0 ]; then
    echo "run-all: ctest arguments given, so no sanitizer build and no fuzzing" \
         "(without arguments this script runs them; or: ctest --preset asan, tests/fuzz/run-fuzz.sh)"
elif [ -n "${OFFLOADCP_SKIP_ASAN:-}" ] && [ "${OFFLOADCP_SKIP_ASAN}" != 0 ]; then
    echo "run-all: OFFLOADCP_SKIP_ASAN is set: no sanitizer build"
else
    echo "== run-all: unit, ui and integration tests under AddressSanitizer + UBSan (build/asan)"
    if cmake --preset asan >/dev/null && cmake --build --preset asan; then
        ctest --preset asan || failed+=("ctest --preset asan")
    else
        failed+=("the asan build")
    fi
fi
if [ $# -eq 0 ]; then
    if [ -n "${OFFLOADCP_SKIP_FUZZ:-}" ] && [ "${OFFLOADCP_SKIP_FUZZ}" != 0 ]; then
        echo "run-all: OFFLOADCP_SKIP_FUZZ is set: no fuzzing"
    else
        bash tests/fuzz/run-fuzz.sh || failed+=("tests/fuzz/run-fuzz.sh")
    fi
fi
if [ ${#failed[@]} -gt 0 ]; then
    printf 'run-all: FAILED: %s\n' "${failed[@]}"
    exit 1
fi
echo "run-all: all steps passed"
