# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by tests/integration/*.sh: the PASS/FAIL bookkeeping and the loop-device clean-up
# they share. Not a test itself (ctest only runs the scripts directly in tests/integration).

fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }

# detach_loops_under DIR: detaches every loop device whose backing file lies under DIR (the
# scripts attach theirs in subshells, so no list is kept).
detach_loops_under() {
    losetup -l -n -O NAME,BACK-FILE | awk -v w="$1/" 'index($2, w) == 1 {print $1}' |
        while read -r l; do losetup -d "$l"; done
}
