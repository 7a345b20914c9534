#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs offloadcp-gui under Xvfb and saves the README's screenshots into resources/screenshots/:
#   main-window.png       the QEMU lab fixture (tests/fixtures/lab-all), a mixed NVMe/SCSI volume selected
#   main-window-dark.png  the same in a dark palette
#   clone-plan.png        the clone dialog planning lab_lin -> lab_str on that fixture
#   running-job.png       a real copy between two loop devices on this host, while it runs (root only)
# Usage: tests/tools/screenshots.sh [BUILD_DIR]   (default: build/debug; needs xvfb-run, losetup)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build/debug}
GUI=$BUILD/app/offloadcp-gui
OUT=$SRC/resources/screenshots
FIXTURE=$SRC/tests/fixtures/lab-all
SIZE_MIB=${SIZE_MIB:-2048}

[ -x "$GUI" ] || { echo "screenshots: $GUI not built (cmake --build --preset debug --target offloadcp-gui)" >&2; exit 1; }
command -v xvfb-run >/dev/null || { echo "screenshots: xvfb-run missing (packaging/install-deps.sh)" >&2; exit 1; }
mkdir -p "$OUT"
WORK=$(mktemp -d /var/tmp/offloadcp-shots.XXXXXX)
LOOPS=()
cleanup() {
    for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

run_gui() { # DIR ARGS...
    local dir=$1; shift
    QT_QPA_PLATFORMTHEME= timeout 300 xvfb-run -a -s "-screen 0 1400x900x24" \
        "$GUI" --palette light --screenshots "$dir" "$@"
}

# 1. The lab fixture: main window and a clone plan (planning works on a fixture; copying does not).
run_gui "$WORK/fixture" --fixture "$FIXTURE" --select lab_mix --clone lab_lin lab_str
cp "$WORK/fixture/main-window.png" "$OUT/main-window.png"
cp "$WORK/fixture/clone-plan.png" "$OUT/clone-plan.png"
QT_QPA_PLATFORMTHEME= timeout 120 xvfb-run -a -s "-screen 0 1400x900x24" \
    "$GUI" --palette dark --screenshots "$WORK/dark" --fixture "$FIXTURE" --select lab_str
cp "$WORK/dark/main-window.png" "$OUT/main-window-dark.png"

# 2. A real copy between two loop devices, captured while it runs.
if [ "$(id -u)" -ne 0 ]; then
    echo "screenshots: not root, skipping the loop-device copy (running-job.png)" >&2
else
    head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom > "$WORK/vm-image.img"
    truncate -s $((SIZE_MIB + 64))M "$WORK/vm-clone.img"
    A=$(losetup --find --show --direct-io=on "$WORK/vm-image.img"); LOOPS+=("$A")
    B=$(losetup --find --show --direct-io=on "$WORK/vm-clone.img"); LOOPS+=("$B")
    run_gui "$WORK/live" --select "$A" --clone "$A" "$B" --start-copy
    cp "$WORK/live/running-job.png" "$OUT/running-job.png"
    cmp -n $((SIZE_MIB * 1024 * 1024)) "$A" "$B" && echo "screenshots: copy verified with cmp"
fi
ls -l "$OUT"
for f in "$OUT"/*.png; do
    [ "$(stat -c %s "$f")" -lt 204800 ] || echo "screenshots: $f is over 200 KB" >&2
done
