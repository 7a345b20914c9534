#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The desktop app's privileged path end to end, for real: a non-root user's JobController
# runs `pkexec offloadcp copy --json --cancel-on-stdin` between two loop devices, authorized
# by the project's polkit policy and a temporary rule. Checks on the devices: the copy
# arrived (cmp), a refused authorization (rule says NO, rule absent) writes nothing and the
# app shows pkexec's 126/127 message, a cancel mid-copy leaves everything beyond the reported
# progress untouched (exit 130, the app shows "cancelled").
# Starts a system D-Bus and polkitd when none runs (no systemd needed) and stops what it
# started; removes the user, the policy copy, the rule and the loop devices on exit.
# Needs root, pkexec, polkitd, loop devices; exits 77 (skip) with the reason otherwise.
#   OFFLOADCP, OFFLOADCP_BUILD_DIR (set by ctest)   PKEXEC_COPY_MIB=1024
. "$(dirname "$0")/lib/common.sh"

set -uo pipefail

OFFLOADCP=${OFFLOADCP:-}
DRIVER=${OFFLOADCP_PKEXEC_DRIVER:-${OFFLOADCP_BUILD_DIR:-}/tests/test_pkexec_route}
SIZE_MIB=${PKEXEC_COPY_MIB:-1024}
POLKITD=/usr/lib/polkit-1/polkitd
ACTIONS=/usr/share/polkit-1/actions
RULES=/etc/polkit-1/rules.d
ACTION=org.offloadcp.run
POLICY_SRC=${OFFLOADCP_SOURCE_DIR:-$(dirname "$0")/../..}/packaging/polkit/org.offloadcp.policy

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (creates a user, loop devices, a polkit rule)"
[ -n "$OFFLOADCP" ] && [ -x "$OFFLOADCP" ] || skip "no offloadcp binary (set OFFLOADCP)"
[ -x "$DRIVER" ] || skip "no $DRIVER (build the ui tests; or set OFFLOADCP_PKEXEC_DRIVER)"
[ -r "$POLICY_SRC" ] || skip "no policy at $POLICY_SRC"
for tool in pkexec pkaction pkcheck losetup useradd userdel runuser dbus-daemon dbus-send cmp jq dd; do
    command -v "$tool" >/dev/null || skip "needs $tool (packaging/install-deps.sh installs pkexec and polkitd)"
done
[ -x "$POLKITD" ] || skip "no $POLKITD (apt-get install polkitd)"
[ -u "$(command -v pkexec)" ] || skip "pkexec is not setuid root here"
[ -d "$RULES" ] && [ -d "$ACTIONS" ] || skip "no polkit configuration directories"
# Leftovers of a run that was killed before its cleanup (its pid is gone): remove them.
for f in "$ACTIONS"/org.offloadcp.test-*.policy "$RULES"/00-offloadcp-test-*.rules; do
    [ -e "$f" ] || continue
    pid=${f##*-}; pid=${pid%%.*}
    kill -0 "$pid" 2>/dev/null || rm -f "$f"
done
getent passwd | cut -d: -f1 | grep -E '^offloadcp-pk[0-9]+$' | while read -r u; do
    kill -0 "${u#offloadcp-pk}" 2>/dev/null || userdel "$u" 2>/dev/null
done
for f in "$ACTIONS"/*.policy; do
    grep -q "id=\"$ACTION\"" "$f" 2>/dev/null && skip "$f already defines $ACTION; this test will not shadow an installed policy"
done

WORK=$(mktemp -d /var/tmp/offloadcp-pkexec.XXXXXX)
chmod 755 "$WORK"
TEST_USER=offloadcp-pk$$
POLICY=$ACTIONS/org.offloadcp.test-$$.policy
RULE=$RULES/00-offloadcp-test-$$.rules
STARTED_DBUS=
STARTED_POLKITD=
USER_MADE=
cleanup() {
    rm -f "$RULE" "$POLICY"
    [ -n "$STARTED_POLKITD" ] && kill "$STARTED_POLKITD" 2>/dev/null
    if [ -n "$STARTED_DBUS" ]; then
        kill "$STARTED_DBUS" 2>/dev/null
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$STARTED_DBUS" 2>/dev/null || break; sleep 0.2; done
        rm -f /run/dbus/pid /run/dbus/system_bus_socket
    fi
    [ -n "$USER_MADE" ] && userdel "$TEST_USER" 2>/dev/null
    detach_loops_under "$WORK"
    rm -rf "$WORK"
}
trap cleanup EXIT

bus() { dbus-send --system --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus "$@" 2>/dev/null; }
has_polkit() { bus org.freedesktop.DBus.NameHasOwner string:org.freedesktop.PolicyKit1 | grep -q "boolean true"; }

echo "== setup: system D-Bus and polkitd"
if ! bus org.freedesktop.DBus.GetId >/dev/null; then
    mkdir -p /run/dbus
    if [ -e /run/dbus/pid ] && ! kill -0 "$(cat /run/dbus/pid)" 2>/dev/null; then
        rm -f /run/dbus/pid /run/dbus/system_bus_socket # left by a bus that is gone
    fi
    STARTED_DBUS=$(dbus-daemon --system --fork --print-pid) || skip "cannot start a system D-Bus"
    for _ in $(seq 50); do bus org.freedesktop.DBus.GetId >/dev/null && break; sleep 0.1; done
    bus org.freedesktop.DBus.GetId >/dev/null || skip "the system D-Bus did not come up"
    echo "started dbus-daemon (pid $STARTED_DBUS)"
fi

# The binary under test, where the test user can run it; the policy copy pins it.
cp "$OFFLOADCP" "$WORK/offloadcp" && cp "$DRIVER" "$WORK/test_pkexec_route" || skip "cannot copy the binaries"
chmod 755 "$WORK/offloadcp" "$WORK/test_pkexec_route"
sed "s#<annotate key=\"org.freedesktop.policykit.exec.path\">[^<]*</annotate>#<annotate key=\"org.freedesktop.policykit.exec.path\">$WORK/offloadcp</annotate>#" \
    "$POLICY_SRC" >"$POLICY"
grep -q "exec.path\">$WORK/offloadcp<" "$POLICY" || { echo "FAIL: could not pin exec.path in the policy copy"; exit 1; }

useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$TEST_USER" ||
    skip "cannot create the test user"
USER_MADE=1
rule() { # YES | NO: authorize exactly our action for exactly the test user
    cat >"$RULE.tmp" <<EOF
// offloadcp test ($0): temporary, removed on exit
polkit.addRule(function(action, subject) {
    if (action.id == "$ACTION" && subject.user == "$TEST_USER")
        return polkit.Result.$1;
});
EOF
    mv "$RULE.tmp" "$RULE"
}
rule YES

if ! has_polkit; then
    # Started as root, polkitd switches to its own user (polkitd) by itself.
    "$POLKITD" --no-debug >"$WORK/polkitd.log" 2>&1 &
    STARTED_POLKITD=$!
    for _ in $(seq 100); do has_polkit && break; sleep 0.1; done
    has_polkit || { cat "$WORK/polkitd.log"; skip "polkitd did not come up on the system bus"; }
    echo "started polkitd (pid $STARTED_POLKITD)"
fi

as_user() { # the app's side: an unprivileged user with a clean environment
    (cd "$WORK" && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$WORK" LANG=C.UTF-8 \
        XDG_RUNTIME_DIR="$WORK/run" QT_QPA_PLATFORM=offscreen OFFLOADCP_CLI="$WORK/offloadcp" "$@" \
        runuser -u "$TEST_USER" -- "${DRIVE[@]}")
}
authorized() { # pkcheck for a process of the test user: 0 = authorized
    runuser -u "$TEST_USER" -- sh -c "exec pkcheck --action-id $ACTION --process \$\$" >/dev/null 2>&1
}
wait_authorized() { # yes | no: wait until polkitd applied the rule change
    for _ in $(seq 50); do
        if authorized; then [ "$1" = yes ] && return 0; else [ "$1" = no ] && return 0; fi
        sleep 0.2
    done
    return 1
}
mkdir -p "$WORK/run" && chown "$TEST_USER" "$WORK/run" && chmod 700 "$WORK/run"

for _ in $(seq 50); do pkaction --action-id "$ACTION" 2>/dev/null | grep -q "$ACTION" && break; sleep 0.2; done
pkaction --action-id "$ACTION" -v 2>/dev/null | grep -q "exec.path -> $WORK/offloadcp" ||
    { echo "FAIL: polkitd did not load the policy copy"; exit 1; }
wait_authorized yes || { echo "FAIL: the rule did not authorize $TEST_USER"; exit 1; }
pass "polkit knows $ACTION (exec.path $WORK/offloadcp) and authorizes $TEST_USER"
# pkexec itself must work here: setuid is void under no_new_privs or on a nosuid mount.
preflight=$(cd "$WORK" && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin runuser -u "$TEST_USER" -- \
    pkexec "$WORK/offloadcp" --version 2>&1)
case $preflight in
    offloadcp*) pass "pkexec runs the pinned binary for $TEST_USER ($preflight)" ;;
    *setuid*) skip "pkexec cannot run here: $preflight" ;;
    *) echo "FAIL: pkexec as $TEST_USER: $preflight"; exit 1 ;;
esac

echo "== setup: ${SIZE_MIB} MiB source and destination loop devices"
MiB=$((1024 * 1024))
BYTES=$((SIZE_MIB * MiB))
head -c "$BYTES" /dev/urandom >"$WORK/src.img"
dd if=/dev/zero of="$WORK/dst.img" bs=1M count="$SIZE_MIB" status=none
SRC=$(losetup --direct-io=on -f --show "$WORK/src.img") || skip "losetup failed"
DST=$(losetup --direct-io=on -f --show "$WORK/dst.img") || skip "losetup failed"
# The app passes stable ids, never /dev names.
report=$("$OFFLOADCP" report --json 2>/dev/null)
SRC_ID=$(jq -r --arg k "${SRC#/dev/}" '.devices[] | select(.kname == $k) | .id' <<<"$report")
DST_ID=$(jq -r --arg k "${DST#/dev/}" '.devices[] | select(.kname == $k) | .id' <<<"$report")
[ -n "$SRC_ID" ] && [ -n "$DST_ID" ] || { echo "FAIL: no stable ids for $SRC / $DST in the report"; exit 1; }
echo "source $SRC ($SRC_ID), destination $DST ($DST_ID)"
chmod 644 "$WORK/src.img" "$WORK/dst.img" # the user may see names, not write

dmd5() { dd if="$1" iflag=direct,skip_bytes,count_bytes skip="$2" count="$3" bs=4M status=none | md5sum | cut -d' ' -f1; }
zero_dst() { dd if=/dev/zero of="$DST" bs=4M count=$((BYTES / (4 * MiB))) oflag=direct status=none; }
RESULT=$WORK/result
run_driver() { # test function -> runs it as the test user, output to the log
    rm -f "$RESULT"
    touch "$RESULT" && chown "$TEST_USER" "$RESULT"
    DRIVE=("$WORK/test_pkexec_route" "$1")
    as_user OFFLOADCP_PKEXEC_SRC="$SRC_ID" OFFLOADCP_PKEXEC_DST="$DST_ID" OFFLOADCP_PKEXEC_LENGTH="$BYTES" \
        OFFLOADCP_PKEXEC_RESULT="$RESULT" >"$WORK/$1.log" 2>&1
    local rc=$?
    grep -E "^(PASS|FAIL|SKIP|QWARN|QDEBUG)|Totals|Loc:|Actual|Expected" "$WORK/$1.log" | sed 's/^/    /'
    return $rc
}

echo "== 1. the app copies through pkexec"
run_driver copiesThroughPkexec; rc=$?
check "JobController via pkexec: started, progress, done parsed from the CLI's JSON (QtTest exit $rc)" [ "$rc" = 0 ]
check "the data arrived (cmp of the devices)" cmp -s "$SRC" "$DST"
check "the app saw every byte done" [ "$(cat "$RESULT")" = "$BYTES" ]

zero_dst
run_driver clonesFromTheMainWindow; rc=$?
check "the main window's clone (dialog -> startJob -> pkexec, by stable ids) succeeds (QtTest exit $rc)" [ "$rc" = 0 ]
check "the main window's clone arrived (cmp)" cmp -s "$SRC" "$DST"

echo "== 2. Probe as administrator: pkexec offloadcp report --json, merged into the tree"
run_driver probesAsAdministrator; rc=$?
check "the app's privileged report ran and was merged (QtTest exit $rc)" [ "$rc" = 0 ]
echo "    status bar: $(cat "$RESULT")"

echo "== 3. refused authorization changes nothing"
zero_dst
zero=$(dmd5 "$DST" 0 "$BYTES")
rule NO
wait_authorized no || fail "polkitd did not apply the NO rule"
run_driver refusedAuthorizationChangesNothing; rc=$?
check "rule says NO: the app shows pkexec's refusal (QtTest exit $rc)" [ "$rc" = 0 ]
check "rule says NO: message names the pkexec exit" grep -q "pkexec exit 12[67]" "$RESULT"
check "rule says NO: destination unchanged" [ "$(dmd5 "$DST" 0 "$BYTES")" = "$zero" ]
run_driver probeRefused; rc=$?
check "rule says NO: Probe as administrator shows pkexec's refusal, merges nothing (QtTest exit $rc)" [ "$rc" = 0 ]
rm -f "$RULE"
wait_authorized no || fail "polkitd still authorizes after the rule was removed"
run_driver refusedAuthorizationChangesNothing; rc=$?
check "rule absent (auth_admin, no agent): the app shows pkexec's refusal (QtTest exit $rc)" [ "$rc" = 0 ]
check "rule absent: destination unchanged" [ "$(dmd5 "$DST" 0 "$BYTES")" = "$zero" ]

echo "== 4. cancel mid-copy through stdin"
rule YES
wait_authorized yes || fail "polkitd did not apply the YES rule again"
run_driver cancelsMidCopy; rc=$?
done_bytes=$(cat "$RESULT")
echo "    cancelled after $done_bytes of $BYTES bytes"
check "the app shows cancelled; the CLI's final record parsed (QtTest exit $rc)" [ "$rc" = 0 ]
if [[ "$done_bytes" =~ ^[0-9]+$ ]] && [ "$done_bytes" -lt "$BYTES" ]; then
    check "cancel came mid-copy (done < total)" true
    check "the reported range was copied" [ "$(dmd5 "$SRC" 0 "$done_bytes")" = "$(dmd5 "$DST" 0 "$done_bytes")" ]
    rest=$((BYTES - done_bytes))
    check "nothing beyond the reported progress was written" \
        [ "$(dmd5 "$DST" "$done_bytes" "$rest")" = "$(head -c "$rest" /dev/zero | md5sum | cut -d' ' -f1)" ]
else
    fail "cancel result: '$done_bytes' is not a byte count below $BYTES"
fi
# The root CLI must be gone (not left copying after the app gave up).
sleep 0.5
check "no offloadcp copy left running" [ -z "$(ps -eo args= | grep -F "$WORK/offloadcp copy" | grep -v grep)" ]

if [ "$fails" -gt 0 ]; then
    echo "pkexec_copy: $fails check(s) failed"
    [ -n "$STARTED_POLKITD" ] && sed 's/^/polkitd: /' "$WORK/polkitd.log" | tail -20
    exit 1
fi
echo "pkexec_copy: all checks passed"
