#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The desktop app's privileged path end to end, for real: a non-root user's JobController
# runs `pkexec offloadcp copy --json --cancel-on-stdin` between two loop devices, authorized
# by the project's polkit policy and a temporary rule. Checks on the devices: the copy
# arrived (cmp), a refused authorization (rule says NO, rule absent) writes nothing and the
# app shows pkexec's 126/127 message, a cancel mid-copy leaves everything beyond the reported
# progress untouched (exit 130, the app shows "cancelled"). Then the route's limits through
# pkexec: files, --fixture, --force and other options are refused (exit 4, nothing created
# or written); each subcommand is authorized by its own action (report, plan, copy); and,
# with polkit's textual agent in a pty and the test user as a temporary admin identity,
# the report's authorization is kept while every copy asks again, its prompt naming the
# command line.
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
REPORT_ACTION=org.offloadcp.report
PLAN_ACTION=org.offloadcp.plan
COPY_ACTION=org.offloadcp.copy
OUR_ACTIONS="$REPORT_ACTION $PLAN_ACTION $COPY_ACTION"
POLICY_SRC=${OFFLOADCP_SOURCE_DIR:-$(dirname "$0")/../..}/packaging/polkit/org.offloadcp.policy

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (creates a user, loop devices, a polkit rule)"
[ -n "$OFFLOADCP" ] && [ -x "$OFFLOADCP" ] || skip "no offloadcp binary (set OFFLOADCP)"
[ -x "$DRIVER" ] || skip "no $DRIVER (build the ui tests; or set OFFLOADCP_PKEXEC_DRIVER)"
[ -r "$POLICY_SRC" ] || skip "no policy at $POLICY_SRC"
for tool in pkexec pkaction pkcheck losetup useradd userdel runuser chpasswd pkttyagent dbus-daemon dbus-send cmp jq dd; do
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
    for action in $OUR_ACTIONS; do
        grep -q "id=\"$action\"" "$f" 2>/dev/null &&
            skip "$f already defines $action; this test will not shadow an installed policy"
    done
done

WORK=$(mktemp -d /var/tmp/offloadcp-pkexec.XXXXXX)
chmod 755 "$WORK"
TEST_USER=offloadcp-pk$$
POLICY=$ACTIONS/org.offloadcp.test-$$.policy
RULE=$RULES/00-offloadcp-test-$$.rules
ADMIN_RULE=$RULES/00-offloadcp-test-admin-$$.rules
STARTED_DBUS=
STARTED_POLKITD=
USER_MADE=
cleanup() {
    rm -f "$RULE" "$ADMIN_RULE" "$POLICY"
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
# The copy pins exec.path to that binary. This test runs outside any logind session, where
# polkit applies allow_any: the copy gives allow_any each action's allow_active value, so
# that the prompts in section 7 are the ones an active desktop session gets.
awk -v bin="$WORK/offloadcp" '
/<action /          { n = 0; inside = 1 }
inside              { line[++n] = $0 }
inside && /<allow_active>/ { active = $0; sub(/.*<allow_active>/, "", active); sub(/<\/allow_active>.*/, "", active) }
inside && /<\/action>/ {
    for (i = 1; i <= n; i++) {
        l = line[i]
        sub(/<allow_any>[^<]*<\/allow_any>/, "<allow_any>" active "</allow_any>", l)
        sub(/exec\.path">[^<]*</, "exec.path\">" bin "<", l)
        print l
    }
    inside = 0
    next
}
inside              { next }
                    { print }' "$POLICY_SRC" >"$POLICY"
[ "$(grep -c "exec.path\">$WORK/offloadcp<" "$POLICY")" = 3 ] ||
    { echo "FAIL: could not pin exec.path of the three actions in the policy copy"; exit 1; }

useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$TEST_USER" ||
    skip "cannot create the test user"
USER_MADE=1
rule() { # YES | NO [ACTION...]: the answer for exactly these actions (default: ours) and the test user
    local result=$1 id list=
    shift
    for id in ${*:-$OUR_ACTIONS}; do list="$list\"$id\", "; done
    cat >"$RULE.tmp" <<EOF
// offloadcp test ($0): temporary, removed on exit
polkit.addRule(function(action, subject) {
    if ([${list%, }].indexOf(action.id) >= 0 && subject.user == "$TEST_USER")
        return polkit.Result.$result;
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
authorized() { # [ACTION]: pkcheck for a process of the test user: 0 = authorized
    runuser -u "$TEST_USER" -- sh -c "exec pkcheck --action-id ${1:-$COPY_ACTION} --process \$\$" >/dev/null 2>&1
}
wait_authorized() { # yes | no [ACTION]: wait until polkitd applied the rule change
    for _ in $(seq 50); do
        if authorized "${2:-}"; then [ "$1" = yes ] && return 0; else [ "$1" = no ] && return 0; fi
        sleep 0.2
    done
    return 1
}
mkdir -p "$WORK/run" && chown "$TEST_USER" "$WORK/run" && chmod 700 "$WORK/run"

for _ in $(seq 50); do pkaction --action-id "$COPY_ACTION" 2>/dev/null | grep -q "$COPY_ACTION" && break; sleep 0.2; done
pkaction --action-id "$COPY_ACTION" -v 2>/dev/null | grep -q "exec.path -> $WORK/offloadcp" ||
    { echo "FAIL: polkitd did not load the policy copy"; exit 1; }
wait_authorized yes || { echo "FAIL: the rule did not authorize $TEST_USER"; exit 1; }
pass "polkit knows $OUR_ACTIONS (exec.path $WORK/offloadcp) and authorizes $TEST_USER"
# The policy as polkitd loaded it (the copy: exec.path pinned, allow_any = allow_active):
# each action matches one subcommand; report and plan keep, copy does not.
implicit() { pkaction --action-id "$1" --verbose 2>/dev/null | sed -n "s/^ *implicit $2: *//p"; }
for entry in report:$REPORT_ACTION:auth_admin_keep plan:$PLAN_ACTION:auth_admin_keep copy:$COPY_ACTION:auth_admin; do
    IFS=: read -r sub action active <<<"$entry"
    check "$action: exec.argv1 is $sub" \
        sh -c "pkaction --action-id $action --verbose | grep -q 'exec.argv1 -> $sub\$'"
    check "$action: implicit active is $active, inactive auth_admin" \
        [ "$(implicit "$action" active)/$(implicit "$action" inactive)" = "$active/auth_admin" ]
done
check "the shipped policy keeps only in active sessions, and never for copy" \
    [ "$(grep -c '<allow_active>auth_admin_keep<' "$POLICY_SRC")/$(grep -c '_keep</allow_any>\|_keep</allow_inactive>' "$POLICY_SRC")" = 2/0 ]
# pkexec itself must work here: setuid is void under no_new_privs or on a nosuid mount.
preflight=$(cd "$WORK" && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin runuser -u "$TEST_USER" -- \
    pkexec "$WORK/offloadcp" report --json 2>&1)
case $preflight in
    *'"schema_version"'*) pass "pkexec runs the pinned binary for $TEST_USER (report --json)" ;;
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

echo "== 5. through pkexec, everything but the app's forms is refused (exit 4), nothing changed"
rule YES
wait_authorized yes || fail "polkitd did not apply the YES rule"
USER_DIR=$WORK/user
mkdir -p "$USER_DIR" && chown "$TEST_USER" "$USER_DIR" && chmod 755 "$USER_DIR"
printf 'root only\n' >"$WORK/root-only" && chmod 600 "$WORK/root-only"
runuser -u "$TEST_USER" -- ln -s "$WORK/root-only" "$USER_DIR/link-to-root-only"
# A fixture tree of the user's with a link to /etc/shadow: report would print from it.
runuser -u "$TEST_USER" -- sh -c "mkdir -p '$USER_DIR/fixture/sys/class/block' &&
    ln -s /etc/shadow '$USER_DIR/fixture/dmsetup-table.txt' && ln -s '$DST' '$USER_DIR/scratch'"
rc_in() { local rc=$1 code; shift; for code; do [ "$rc" = "$code" ] && return 0; done; return 1; }
as_pkexec() { # ARGS...: pkexec offloadcp ARGS as the test user; output in $WORK/route.out, returns its exit
    (cd "$USER_DIR" && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
        runuser -u "$TEST_USER" -- pkexec "$WORK/offloadcp" "$@") >"$WORK/route.out" 2>&1 </dev/null
}
refused() { # WHAT ARGS...: exit 4 and the route's message
    local what=$1 rc
    shift
    as_pkexec "$@"; rc=$?
    if [ "$rc" = 4 ] && grep -q "refused through pkexec" "$WORK/route.out"; then
        pass "$what: exit 4 ($(grep -o 'refused through pkexec: [^.]*' "$WORK/route.out" | head -1))"
    else
        fail "$what: exit $rc, expected 4: $(head -c 400 "$WORK/route.out")"
    fi
}
zero_dst
zero=$(dmd5 "$DST" 0 "$BYTES")
refused "a new file as destination" copy --json --cancel-on-stdin -- "$SRC_ID" "$USER_DIR/disk.img"
check "  ... and the file was not created" [ ! -e "$USER_DIR/disk.img" ]
refused "a link to a root-only file as destination" copy --json -- "$SRC_ID" "$USER_DIR/link-to-root-only"
check "  ... and the root-only file is unchanged" [ "$(cat "$WORK/root-only")" = "root only" ]
refused "/etc/shadow as source" copy --json -- /etc/shadow "$DST_ID"
refused "/proc/self/status as source" plan --json -- /proc/self/status "$DST_ID"
refused "--fixture after the subcommand" report --json --fixture "$USER_DIR/fixture"
check "  ... and nothing of /etc/shadow was printed" sh -c "! grep -q 'root:[\$*!]' '$WORK/route.out'"
as_pkexec --fixture "$USER_DIR/fixture" report --json; rc=$?
# Another first argument matches none of our actions: pkexec asks for its generic one,
# which no rule grants here (126/127); were it granted, offloadcp would refuse (exit 4).
check "--fixture first: refused (exit $rc), nothing of /etc/shadow printed" \
    sh -c "case $rc in 126|127|4) ! grep -q 'root:[\$*!]' '$WORK/route.out' ;; *) false ;; esac"
refused "--force" copy --json --force -- "$SRC_ID" "$DST_ID"
refused "another option (--io-depth)" copy --json --io-depth 4 -- "$SRC_ID" "$DST_ID"
refused "another report option (--all)" report --json --all
refused "an extra argument" copy --json -- "$SRC_ID" "$DST_ID" "$USER_DIR/extra"
refused "a link of the user's to the destination device (outside /dev)" copy --json -- "$SRC_ID" "$USER_DIR/scratch"
check "after all of these: the destination device is unchanged" [ "$(dmd5 "$DST" 0 "$BYTES")" = "$zero" ]
check "after all of these: nothing new in the user's folder" \
    [ "$(ls "$USER_DIR" | sort | tr '\n' ' ')" = "fixture link-to-root-only scratch " ]

echo "== 6. each subcommand has its own action"
rule YES "$REPORT_ACTION"
wait_authorized no "$COPY_ACTION" && wait_authorized yes "$REPORT_ACTION" || fail "polkitd did not apply the report-only rule"
as_pkexec report --json; rc=$?
check "only $REPORT_ACTION granted: report runs (exit $rc)" rc_in "$rc" 0 8
as_pkexec copy --json -- "$SRC_ID" "$DST_ID"; rc=$?
check "only $REPORT_ACTION granted: copy is refused by polkit (pkexec exit $rc)" rc_in "$rc" 126 127
as_pkexec plan --json -- "$SRC_ID" "$DST_ID"; rc=$?
check "only $REPORT_ACTION granted: plan is refused by polkit (pkexec exit $rc)" rc_in "$rc" 126 127
check "  ... and the destination device is unchanged" [ "$(dmd5 "$DST" 0 "$BYTES")" = "$zero" ]
rule YES "$COPY_ACTION"
wait_authorized yes "$COPY_ACTION" && wait_authorized no "$REPORT_ACTION" || fail "polkitd did not apply the copy-only rule"
as_pkexec report --json; rc=$?
check "only $COPY_ACTION granted: report is refused by polkit (pkexec exit $rc)" rc_in "$rc" 126 127
as_pkexec copy --json -- "$SRC_ID" "$DST_ID"; rc=$?
check "only $COPY_ACTION granted: copy runs (exit $rc)" [ "$rc" = 0 ]
check "  ... and the copy arrived (cmp)" cmp -s "$SRC" "$DST"

echo "== 7. the prompts: report is kept, copy asks every time and names the command line"
if ! command -v python3 >/dev/null; then
    echo "SKIP: section 7 needs python3 (it drives pkttyagent on a pty)"
else
# No rule answers now: the policy's defaults apply, auth_admin(_keep), with the test user
# as the admin identity (a temporary admin rule and password) and polkit's textual agent,
# which pkexec starts on a terminal: a pty driven by python3.
rm -f "$RULE"
PASSWORD=pw-$$-$RANDOM
echo "$TEST_USER:$PASSWORD" | chpasswd || fail "cannot set the test user's password"
cat >"$ADMIN_RULE" <<EOF
// offloadcp test ($0): temporary, removed on exit
polkit.addAdminRule(function(action, subject) {
    if (subject.user == "$TEST_USER")
        return ["unix-user:$TEST_USER"];
});
EOF
wait_authorized no "$REPORT_ACTION" || fail "polkitd still authorizes without the rule"
sleep 1 # polkitd reloads rules on a file change; give the admin rule the same chance
zero_dst
cat >"$WORK/agent_in_pty.py" <<'PY'
# Runs argv[2:] on a pty; answers every "Password:" with argv[1]; copies the output.
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
seen, deadline = b"", time.time() + 300
while time.time() < deadline:
    if fd not in select.select([fd], [], [], 1)[0]:
        continue
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
    seen += data
    if seen.rstrip().endswith(b"Password:"):
        time.sleep(1)
        os.write(fd, sys.argv[1].encode() + b"\n")
        seen = b""
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
PY
P="pkexec $WORK/offloadcp"
# One shell runs all four: pkexec's subject is its parent process, so a kept
# authorization would be the shell's. pkexec's own textual agent fails in polkit 122 when
# it answers ("No session for cookie", polkit-org/polkit#423, fixed in 124): pkttyagent,
# run as the user for the shell, answers instead.
SCRIPT="cd $USER_DIR
pkttyagent --process \$\$ & agent=\$!
sleep 2
$P report --json >/dev/null; echo rc-report-1=\$?
$P report --json >/dev/null; echo rc-report-2=\$?
$P copy --json -- $SRC_ID $DST_ID >/dev/null; echo rc-copy-1=\$?
$P copy --json -- $SRC_ID $DST_ID >/dev/null; echo rc-copy-2=\$?
kill \$agent"
timeout 600 python3 "$WORK/agent_in_pty.py" "$PASSWORD" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TERM=dumb \
    runuser -u "$TEST_USER" -- sh -c "$SCRIPT" >"$WORK/prompts.log" 2>&1
tr -d '\r' <"$WORK/prompts.log" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' >"$WORK/prompts.txt"
grep -E "AUTHENTICATING FOR|Authentication is required|rc-" "$WORK/prompts.txt" | sed 's/^/    /'
grep -q "^rc-copy-2=0" "$WORK/prompts.txt" || sed 's/^/    | /' "$WORK/prompts.txt" | tail -30
prompts_for() { grep -c "AUTHENTICATING FOR $1 " "$WORK/prompts.txt"; }
check "every run passed the authorization" \
    [ "$(grep -c -E '^rc-(report-[12]=(0|8)|copy-[12]=0)$' "$WORK/prompts.txt")" = 4 ]
check "report asked once for two runs (auth_admin_keep)" [ "$(prompts_for "$REPORT_ACTION")" = 1 ]
check "copy asked for each of two runs (auth_admin)" [ "$(prompts_for "$COPY_ACTION")" = 2 ]
check "the copy prompt names the command line, with the destination" \
    grep -q "the last device named in \`$WORK/offloadcp copy --json -- $SRC_ID $DST_ID' is overwritten" "$WORK/prompts.txt"
check "the copies arrived (cmp)" cmp -s "$SRC" "$DST"
fi

if [ "$fails" -gt 0 ]; then
    echo "pkexec_copy: $fails check(s) failed"
    [ -n "$STARTED_POLKITD" ] && sed 's/^/polkitd: /' "$WORK/polkitd.log" | tail -20
    exit 1
fi
echo "pkexec_copy: all checks passed"
