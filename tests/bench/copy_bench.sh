#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Host copy benchmark: 1 GiB between two loop devices with --direct-io=on (honest disk
# numbers, no page cache), offloadcp's io_uring read/write copy against
#   dd bs=1M iflag=direct oflag=direct
#   fio, ioengine=io_uring, direct=1: a sequential read job on the source and a sequential
#       write job on the destination at once, with offloadcp's I/O size and queue depth
# Prints a table (median of the repetitions, MB/s = 10^6 bytes/s, host CPU seconds per GiB)
# and the ratios against the targets (>= 1.1x dd, >= 0.95x fio). Not a pass/fail test.
#
#   bash tests/bench/copy_bench.sh --run          (as root)
#   BENCH_MIB=1024 BENCH_REPS=5 BENCH_IO=4M BENCH_DEPTH=8 BENCH_DIR=/var/tmp
#   BENCH_SWEEP="1M:4 4M:4 4M:8 8M:4"   also time offloadcp at these io-size:depth pairs
# ctest runs it only with label `bench` AND OFFLOADCP_BENCH=1 (else it exits 77, skipped),
# so `tests/run-all.sh` does not spend minutes on it.
set -uo pipefail

if [ "${1:-}" != --run ] && [ "${OFFLOADCP_BENCH:-}" != 1 ]; then
    echo "SKIP: pass --run or set OFFLOADCP_BENCH=1 to run the benchmark"; exit 77
fi
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (loop devices)"; exit 77; }
for tool in losetup fio jq dd; do
    command -v "$tool" >/dev/null || { echo "SKIP: needs $tool"; exit 77; }
done
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OFFLOADCP=${OFFLOADCP:-$ROOT/build/release/cli/offloadcp}
[ -x "$OFFLOADCP" ] || OFFLOADCP=$ROOT/build/ci/cli/offloadcp
[ -x "$OFFLOADCP" ] || { echo "SKIP: build offloadcp first (cmake --preset release && cmake --build --preset release)"; exit 77; }

MIB=${BENCH_MIB:-1024}
REPS=${BENCH_REPS:-5}
IO=${BENCH_IO:-4M}
DEPTH=${BENCH_DEPTH:-8}
BYTES=$((MIB * 1024 * 1024))
WORK=$(mktemp -d "${BENCH_DIR:-/var/tmp}/offloadcp-bench.XXXXXX")
LOOPS=()
cleanup() {
    for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "setting up: ${MIB} MiB source (random) and destination (zeros, allocated) in $WORK"
head -c "$BYTES" /dev/urandom >"$WORK/src.img"
dd if=/dev/zero of="$WORK/dst.img" bs=1M count="$MIB" conv=fsync status=none
SRC=$(losetup --direct-io=on -f --show "$WORK/src.img") && LOOPS+=("$SRC")
DST=$(losetup --direct-io=on -f --show "$WORK/dst.img") && LOOPS+=("$DST")

TIMEFORMAT='%U %S'
# Each runner prints "seconds cpu": the tool's own copy time (offloadcp's wall_seconds, dd's
# reported time, fio's longest job runtime: no process start-up or device scan) and the
# user+system CPU seconds of the whole command.
cpu_of() { read -r u s <<<"$1"; echo "$u + $s" | bc -l; }
run_offloadcp() { # io depth
    local t
    t=$( { time "$OFFLOADCP" copy "$SRC" "$DST" --no-offload --io-size "$1" --io-depth "$2" --json \
        >"$WORK/oc.json" 2>/dev/null; } 2>&1)
    echo "$(jq -s '.[-1].wall_seconds' "$WORK/oc.json") $(cpu_of "$t")"
}
run_dd() {
    local t
    t=$( { time dd if="$SRC" of="$DST" bs=1M iflag=direct oflag=direct 2>"$WORK/dd.txt"; } 2>&1)
    echo "$(sed -n 's/.* copied, \([0-9.]*\) s.*/\1/p' "$WORK/dd.txt") $(cpu_of "$t")"
}
run_fio() { # io depth
    local t
    t=$( { time fio --output-format=json --output="$WORK/fio.json" --ioengine=io_uring --direct=1 \
        --bs="$1" --iodepth="$2" --size="$BYTES" \
        --name=read --filename="$SRC" --rw=read --name=write --filename="$DST" --rw=write; } 2>&1)
    echo "$(jq '[.jobs[] | .read.runtime, .write.runtime] | max / 1000' "$WORK/fio.json") $(cpu_of "$t")"
}

declare -A WALL CPU
record() { # name "seconds cpu"
    read -r w c <<<"$2"
    WALL[$1]+="$w "
    CPU[$1]+="$c "
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
mbs() { echo "scale=0; $BYTES / $1 / 1000000" | bc -l; }

CONFIGS=("$IO:$DEPTH")
for c in ${BENCH_SWEEP:-}; do [ "$c" != "$IO:$DEPTH" ] && CONFIGS+=("$c"); done

for r in $(seq 1 "$REPS"); do
    echo "repetition $r/$REPS"
    # fio writes its own pattern: run it first so the last writer is offloadcp (checked below).
    record "fio io_uring $IO x $DEPTH" "$(run_fio "$IO" "$DEPTH")"
    record "dd bs=1M direct" "$(run_dd)"
    for ((i = ${#CONFIGS[@]} - 1; i >= 0; i--)); do
        c=${CONFIGS[$i]}
        record "offloadcp ${c%%:*} x ${c##*:}" "$(run_offloadcp "${c%%:*}" "${c##*:}")"
        [ "$(jq -s -r '.[-1].status' "$WORK/oc.json")" = ok ] || { echo "ERROR: offloadcp failed"; cat "$WORK/oc.json"; exit 1; }
    done
done

# The copy must be right, or the numbers mean nothing (the default configuration ran last).
if ! cmp -s <(dd if="$SRC" iflag=direct bs=1M status=none) <(dd if="$DST" iflag=direct bs=1M status=none); then
    echo "ERROR: destination differs from source after the runs"; exit 1
fi

dd_wall=$(echo "${WALL[dd bs=1M direct]}" | median)
fio_wall=$(echo "${WALL[fio io_uring $IO x $DEPTH]}" | median)
printf '\n%-28s %10s %10s %10s %12s %8s %8s\n' "tool ($MIB MiB, $REPS runs)" "MB/s" "min MB/s" "max MB/s" "CPU s/GiB" "vs dd" "vs fio"
declare -A seen
for name in "offloadcp ${IO} x ${DEPTH}" "${!WALL[@]}"; do
    [ -n "${seen[$name]:-}" ] && continue
    seen[$name]=1
    w=$(echo "${WALL[$name]}" | median)
    lo=$(echo "${WALL[$name]}" | tr ' ' '\n' | grep -v '^$' | sort -g | tail -1)
    hi=$(echo "${WALL[$name]}" | tr ' ' '\n' | grep -v '^$' | sort -g | head -1)
    cpu=$(echo "${CPU[$name]}" | median)
    printf '%-28s %10s %10s %10s %12.2f %7.2fx %7.2fx\n' "$name" "$(mbs "$w")" "$(mbs "$lo")" "$(mbs "$hi")" \
        "$(echo "$cpu * 1073741824 / $BYTES" | bc -l)" "$(echo "$dd_wall / $w" | bc -l)" "$(echo "$fio_wall / $w" | bc -l)"
done
ours=$(echo "${WALL[offloadcp ${IO} x ${DEPTH}]}" | median)
vs_dd=$(echo "$dd_wall / $ours" | bc -l)
vs_fio=$(echo "$fio_wall / $ours" | bc -l)
printf '\ntarget >= 1.10x dd : %.2fx %s\n' "$vs_dd" "$([ "$(echo "$vs_dd >= 1.1" | bc)" = 1 ] && echo met || echo MISSED)"
printf 'target >= 0.95x fio: %.2fx %s\n' "$vs_fio" "$([ "$(echo "$vs_fio >= 0.95" | bc)" = 1 ] && echo met || echo MISSED)"
echo "(MB/s from each tool's own copy time; CPU is the whole command's user+system time)"
