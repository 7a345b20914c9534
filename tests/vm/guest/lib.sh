#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for lab scenarios (sourced by /lab/run-one.sh before a scenario). A scenario is a
# plain sh script that uses these; it passes when at least one check ran and none failed.
#   check DESC CMD...          passes when CMD succeeds
#   expect_eq DESC GOT WANT    passes when GOT = WANT (both printed on failure)
#   pass DESC / fail DESC      record a result directly
#   skip REASON                stop here; the scenario is reported as SKIP with REASON
#   info TEXT                  a line in the scenario's log
#   hostcheck_same DESC IMG:OFF:LEN IMG:OFF:LEN   after the VM exits, the host compares these
#                              byte ranges of QEMU backing files (and requires them nonzero)
#   hostcheck_has DESC IMG:OFF:LEN TEXT           ... and looks for TEXT in that range
# Devices come from /run/lab/env (found by serial, nsid and WWN in main.sh, never by name).
. /run/lab/env
SD=/run/lab/state/$SCENARIO; mkdir -p "$SD"
ART=/run/lab/out/scenarios/$SCENARIO; mkdir -p "$ART"   # artifacts brought back to the host

info() { echo "  .. $*"; }
pass() { echo "  ok   $*"; echo "$*" >> "$SD/passes"; }
fail() { echo "  FAIL $*"; echo "$*" >> "$SD/fails"; }
check() { _d=$1; shift; if "$@"; then pass "$_d"; else fail "$_d"; fi; }
# expect_eq DESC GOT WANT: an empty WANT is never a pass (both sides empty means nothing was read)
expect_eq() { if [ -z "$3" ]; then fail "$1: nothing to compare (got '$2', want '')"
              elif [ "$2" = "$3" ]; then pass "$1 (= $3)"; else fail "$1: got '$2', want '$3'"; fi; }
skip() { echo "  SKIP $*"; echo "$*" > "$SD/skip"; exit 77; }
run() { echo "  + $*"; "$@"; }
now() { cut -d' ' -f1 /proc/uptime; }

# ---- data ---------------------------------------------------------------------------------
# rd DEV LBA COUNT [BS]: COUNT blocks of BS (default 512) bytes at block LBA, bypassing the page cache
rd() { dd if="$1" bs="${4:-512}" skip="$2" count="$3" iflag=direct status=none; }
md5() { rd "$@" | md5sum | cut -d' ' -f1; }
# buffered read (through the page cache), for checks that the cache shows the new data
rdbuf() { dd if="$1" bs="${4:-512}" skip="$2" count="$3" status=none; }
nonzero() { rd "$@" | tr -d '\000' | wc -c; }
# fill DEV LBA COUNT [BS]: random data, written with O_DIRECT; prints the data's md5
fill() { dd if=/dev/urandom of=/tmp/fill.$$ bs="${4:-512}" count="$3" status=none
         dd if=/tmp/fill.$$ of="$1" bs="${4:-512}" seek="$2" count="$3" oflag=direct conv=notrunc status=none
         md5sum < /tmp/fill.$$ | cut -d' ' -f1; rm -f /tmp/fill.$$; }
zero() { dd if=/dev/zero of="$1" bs="${4:-512}" seek="$2" count="$3" oflag=direct conv=notrunc status=none; }
dropcaches() { sync; echo 3 > /proc/sys/vm/drop_caches; }
# marker DEV LBA TEXT: writes TEXT padded to one 512-byte block at LBA (O_DIRECT)
marker() { { printf '%s' "$3"; dd if=/dev/zero bs=1 count=$((512 - ${#3})) status=none; } > /tmp/mk.$$
           dd if=/tmp/mk.$$ of="$1" bs=512 seek="$2" count=1 oflag=direct conv=notrunc status=none; rm -f /tmp/mk.$$; }
readmarker() { rd "$1" "$2" 1 | tr -d '\000'; }

hostcheck_same() { echo "same|$1|$2|$3" >> /run/lab/out/hostchecks.txt; info "host will check: $1"; }
hostcheck_has() { echo "has|$1|$2|$3" >> /run/lab/out/hostchecks.txt; info "host will check: $1"; }

# ---- devices ------------------------------------------------------------------------------
dev_name() { echo "${1##*/}"; }                     # /dev/nvme0n1 -> nvme0n1
dm_node() { echo "/dev/$(dmsetup info -c --noheadings -o blkdevname "$1")"; }  # dm name -> /dev/dm-N
dm_kname() { dmsetup info -c --noheadings -o blkdevname "$1"; }
sectors() { blockdev --getsz "$1"; }

# ---- offloadcp ----------------------------------------------------------------------------
# have_cmd SUB: offloadcp lists SUB among its subcommands (`offloadcp X --help` is no test:
# CLI11 prints the main help for an unknown X)
have_cmd() { offloadcp --help 2>&1 | sed -n '/ubcommands/,$p' | grep -qE "^ +$1( |$)"; }
# report_json FILE [ARGS...]: offloadcp report --json ARGS > FILE; fails the check when it exits
# with anything but 0 or 8 (partial report)
report_json() { _f=$1; shift; rm -f "$_f.idx"; offloadcp report --json "$@" > "$_f" 2> "$_f.err"; _rc=$?
                cp "$_f" "$_f.err" "$ART/" 2>/dev/null
                [ $_rc = 0 ] || [ $_rc = 8 ] || { fail "offloadcp report --json $* exited $_rc: $(head -c 300 "$_f.err")"; return 1; }
                jq -e . "$_f" >/dev/null 2>&1 || { fail "offloadcp report --json $* printed no valid JSON"; return 1; }; }
