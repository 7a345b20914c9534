#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `offloadcp copy --json --cancel-on-stdin`: the control channel of a caller that cannot
# signal a root copy (the desktop app through pkexec). A line "cancel" or EOF on stdin
# cancels through the job's stop token: exit 130, a final "cancelled" record with how far it
# got, and nothing beyond that written. Other lines are ignored; without the flag stdin is
# not read at all. Needs root and loop devices; exits 77 (skip) otherwise.
#   OFFLOADCP=path/to/offloadcp  (set by ctest)   CANCEL_STDIN_MIB=1024
. "$(dirname "$0")/lib/common.sh"

set -uo pipefail
trap "" PIPE # a write to a copy that already ended must not kill the test

OFFLOADCP=${OFFLOADCP:-offloadcp}
SIZE_MIB=${CANCEL_STDIN_MIB:-1024}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (loop devices)"; exit 77; }
command -v losetup >/dev/null && command -v jq >/dev/null || { echo "SKIP: needs losetup and jq"; exit 77; }
[ -x "$OFFLOADCP" ] || command -v "$OFFLOADCP" >/dev/null || { echo "SKIP: no offloadcp binary"; exit 77; }

WORK=$(mktemp -d "${OFFLOADCP_TEST_DIR:-/var/tmp}/offloadcp-cancel-stdin.XXXXXX")
cleanup() {
    detach_loops_under "$WORK"
    rm -rf "$WORK"
}
trap cleanup EXIT

MiB=$((1024 * 1024))
BYTES=$((SIZE_MIB * MiB))
head -c "$BYTES" /dev/urandom >"$WORK/src.img"
dd if=/dev/zero of="$WORK/dst.img" bs=1M count="$SIZE_MIB" status=none
SRC=$(losetup --direct-io=on -f --show "$WORK/src.img") || { echo "SKIP: losetup failed"; exit 77; }
DST=$(losetup --direct-io=on -f --show "$WORK/dst.img") || { echo "SKIP: losetup failed"; exit 77; }

dmd5() { dd if="$1" iflag=direct,skip_bytes,count_bytes skip="$2" count="$3" bs=4M status=none | md5sum | cut -d' ' -f1; }
zeros_md5() { head -c "$1" /dev/zero | md5sum | cut -d' ' -f1; }
zero_dst() { dd if=/dev/zero of="$DST" bs=4M count=$((BYTES / (4 * MiB))) oflag=direct status=none; }
# Checks the final record of $1 (JSON lines) and the destination: cancelled, exit 130,
# the reported bytes copied and nothing beyond them written.
check_cancelled() {
    local what=$1 json=$2 rc=$3 done_bytes rest
    check "$what: exit 130" [ "$rc" = 130 ]
    check "$what: final record is done/cancelled with exit_code 130" \
        [ "$(jq -s '.[-1] | .event == "done" and .status == "cancelled" and .exit_code == 130 and .error.code == "cancelled"' <<<"$json")" = true ]
    done_bytes=$(jq -s '.[-1].bytes_done' <<<"$json")
    echo "    $what: cancelled after $done_bytes of $BYTES bytes"
    if [[ "$done_bytes" =~ ^[0-9]+$ ]] && [ "$done_bytes" -lt "$BYTES" ]; then
        pass "$what: stopped before the end"
        check "$what: the reported range was copied" [ "$(dmd5 "$SRC" 0 "$done_bytes")" = "$(dmd5 "$DST" 0 "$done_bytes")" ]
        rest=$((BYTES - done_bytes))
        check "$what: nothing beyond the reported progress was written" [ "$(dmd5 "$DST" "$done_bytes" "$rest")" = "$(zeros_md5 "$rest")" ]
    else
        fail "$what: bytes_done '$done_bytes' is not below $BYTES"
    fi
}

# Runs `copy --json --cancel-on-stdin ARGS` with its stdin held open; writes $SEND (lines)
# to it when the first progress line arrives. Output lines in $WORK/lines, exit code in RC.
control_run() {
    local in out line pid sent=
    : >"$WORK/lines"
    coproc COPY { exec "$OFFLOADCP" copy --json --cancel-on-stdin "$@"; }
    pid=$COPY_PID # bash unsets COPY and COPY_PID when the coprocess ends
    exec {out}<&"${COPY[0]}" {in}>&"${COPY[1]}"
    while IFS= read -r line <&"$out"; do
        echo "$line" >>"$WORK/lines"
        if [ -z "$sent" ] && [ "$(jq -r .event <<<"$line")" = progress ]; then
            sent=1
            printf '%b' "$SEND" >&"$in"
        fi
    done
    wait "$pid"; RC=$?
    exec {in}>&- {out}<&-
}

echo "== 1. a line \"cancel\" after the first progress line, stdin still open"
SEND='cancel\n' control_run "$SRC" "$DST"
check_cancelled "cancel line" "$(cat "$WORK/lines")" "$RC"
check "cancel line: the copy had reported progress before" grep -q '"event":"progress"' "$WORK/lines"

echo "== 2. EOF on stdin (the caller went away)"
zero_dst
json=$("$OFFLOADCP" copy --json --cancel-on-stdin "$SRC" "$DST" </dev/null); rc=$?
check_cancelled "EOF" "$json" "$rc"

echo "== 3. other lines are ignored; without the flag stdin is not read"
SEND='status\nhello\ncancelled\n' control_run --length 256M "$SRC" "$DST"
check "unrelated lines: the copy completes (exit 0)" [ "$RC" = 0 ]
check "unrelated lines: the final record says ok, 256 MiB" \
    [ "$(jq -s '.[-1] | .status == "ok" and .bytes_done == 268435456' "$WORK/lines")" = true ]
json=$("$OFFLOADCP" copy --json "$SRC" "$DST" --length 64M </dev/null); rc=$?
check "without --cancel-on-stdin, EOF on stdin does not cancel (exit 0)" [ "$rc" = 0 ]
check "without --cancel-on-stdin: the final record says ok" [ "$(jq -s -r '.[-1].status' <<<"$json")" = ok ]
"$OFFLOADCP" copy --help | grep -q -- "--cancel-on-stdin"
check "copy --help documents --cancel-on-stdin" [ $? = 0 ]

[ "$fails" -eq 0 ] || { echo "copy_cancel_stdin: $fails check(s) failed"; exit 1; }
echo "copy_cancel_stdin: all checks passed"
