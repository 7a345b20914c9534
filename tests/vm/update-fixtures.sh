#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copies the fixtures captured by scenario 90-capture-fixtures in a lab run into
# tests/fixtures/lab-<name>/ (replacing those folders), for review and commit.
# Usage: update-fixtures.sh [LAB_OUT_DIR]   (default tests/vm/out/lab-6.12), after
#   tests/vm/run-lab.sh --offloadcp build/debug/cli/offloadcp --kernel 6.12 --boots 1 \
#       --fixtures all --only 03-nvmf-tcp,90-capture-fixtures
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${1:-$HERE/out/lab-6.12}/boot1/scenarios/90-capture-fixtures/fixtures
DEST=$(cd "$HERE/../fixtures" 2>/dev/null && pwd || { mkdir -p "$HERE/../fixtures"; cd "$HERE/../fixtures"; pwd; })
[ -d "$SRC" ] || { echo "update-fixtures: no captured fixtures in $SRC (run the lab first)" >&2; exit 1; }
for d in "$SRC"/lab-*; do
    n=$(basename "$d")
    rm -rf "${DEST:?}/$n"; cp -a "$d" "$DEST/$n"
    echo "$n: $(find "$DEST/$n" -type f | wc -l) files, $(du -sh "$DEST/$n" | cut -f1)"
done
