#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the libFuzzer targets (the "fuzz" preset: clang 19, ASan + UBSan) and runs each one
# for a bounded time from its seed corpus (tests/fuzz/corpus/<target>). Fails when a target
# crashes, leaks, hangs on one input or breaks a promise it checks; the input that did it is
# kept in build/fuzz/artifacts/ and the command to replay it is printed.
#   tests/fuzz/run-fuzz.sh [TARGET...]        default: every tests/fuzz/fuzz_*.cpp
#   OFFLOADCP_FUZZ_SECONDS=20                 time per target
set -uo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_TARGET=${OFFLOADCP_FUZZ_SECONDS:-20}
BUILD=build/fuzz
cmake --preset fuzz >/dev/null || exit 1
cmake --build --preset fuzz || exit 1

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for src in tests/fuzz/fuzz_*.cpp; do targets+=("$(basename "$src" .cpp)"); done
fi
mkdir -p "$BUILD/artifacts"
failed=()
for t in "${targets[@]}"; do
    bin=$BUILD/tests/fuzz/$t
    seeds=tests/fuzz/corpus/$t
    work=$BUILD/corpus/$t # what this machine found so far; the seeds stay untouched
    mkdir -p "$work" "$seeds"
    echo "== fuzz: $t for ${SECONDS_PER_TARGET}s"
    log=$BUILD/artifacts/$t.log
    if "$bin" -max_total_time="$SECONDS_PER_TARGET" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$BUILD/artifacts/$t-" "$work" "$seeds" >"$log" 2>&1; then
        grep -E '^(Done|stat::number_of_executed_units)' "$log" | tr '\n' ' '; echo
    else
        failed+=("$t")
        tail -n 60 "$log"
        echo "fuzz: $t FAILED; the input is in $BUILD/artifacts/$t-*; replay it: $bin $BUILD/artifacts/$t-<file>"
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: ${#failed[@]} of ${#targets[@]} targets failed: ${failed[*]}"
    exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${SECONDS_PER_TARGET}s each without a finding"
