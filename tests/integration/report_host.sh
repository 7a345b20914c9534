#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `offloadcp report` on the live host: two loop devices (direct I/O on files in a temp
# dir) must appear with verdict "none", mechanism "none" and the loop reason, in the text
# table and in the JSON, and selecting one by /dev path must show just that one.
# Needs root and losetup; exits 77 (skip) otherwise. Always detaches what it attached.
set -euo pipefail

OFFLOADCP=${OFFLOADCP:-offloadcp}
if [[ $(id -u) -ne 0 ]]; then echo "skip: needs root (loop devices)"; exit 77; fi
if ! command -v losetup >/dev/null; then echo "skip: no losetup"; exit 77; fi
if ! command -v python3 >/dev/null; then echo "skip: no python3 to read the JSON"; exit 77; fi

work=$(mktemp -d /tmp/offloadcp-report.XXXXXX)
loops=()
cleanup() {
    for dev in "${loops[@]}"; do losetup -d "$dev" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

for i in 1 2; do
    truncate -s 64M "$work/disk$i.img"
    dev=$(losetup --find --show --direct-io=on "$work/disk$i.img" 2>/dev/null) || {
        echo "skip: losetup could not attach a loop device"; exit 77; }
    loops+=("$dev")
done

fail() { echo "FAIL: $*" >&2; exit 1; }

# Text table: header, both loops, verdict none, and the loop driver's reason.
rc=0
"$OFFLOADCP" report >"$work/report.txt" 2>"$work/report.err" || rc=$?
[[ $rc -eq 0 || $rc -eq 8 ]] || fail "report exited $rc: $(cat "$work/report.err")"
head -1 "$work/report.txt" | grep -q '^NAME.*TYPE.*SIZE.*MECHANISM.*LIMITS.*VERDICT.*REASON' \
    || fail "unexpected header: $(head -1 "$work/report.txt")"
for dev in "${loops[@]}"; do
    name=${dev#/dev/}
    line=$(grep -E "^(\S*[^[:alnum:]])?$name " "$work/report.txt") || fail "$name missing from the report"
    echo "$line" | grep -q ' loop ' || fail "$name: type is not loop: $line"
    echo "$line" | grep -q ' none ' || fail "$name: verdict/mechanism not none: $line"
    echo "$line" | grep -qi 'loop.*no copy' || fail "$name: no loop reason: $line"
done
# Nothing noisy on a healthy host: no warnings beyond the ones that matter.
if grep -q 'device-mapper' "$work/report.err" && [[ ! -d /sys/class/misc/device-mapper ]]; then
    fail "warns about device-mapper on a kernel without it: $(cat "$work/report.err")"
fi

# JSON: schema, the loops with their backing files and verdicts.
"$OFFLOADCP" report --json >"$work/report.json" 2>/dev/null || true
python3 - "$work/report.json" "$work" "${loops[@]}" <<'PY' || fail "JSON check failed"
import json, sys
path, work, loops = sys.argv[1], sys.argv[2], sys.argv[3:]
doc = json.load(open(path))
assert doc["schema_version"] == 1, doc.get("schema_version")
by_kname = {d["kname"]: d for d in doc["devices"]}
for dev in loops:
    name = dev[len("/dev/"):]
    d = by_kname.get(name)
    assert d, f"{name} missing from JSON"
    assert d["kind"] == "loop", d["kind"]
    assert d["verdict"] == "none", d["verdict"]
    assert d["mechanism"] == "none", d["mechanism"]
    assert d["backing_file"].startswith(work), d["backing_file"]
    assert d["size"] == 64 * 1024 * 1024, d["size"]
    assert any("loop" in r for r in d["reasons"]), d["reasons"]
    assert d["id"].startswith("loop:"), d["id"]
print("json ok")
PY

# Selecting one device by its /dev path shows exactly that subtree.
"$OFFLOADCP" report --json "${loops[0]}" >"$work/one.json" 2>/dev/null || true
python3 - "$work/one.json" "${loops[0]}" <<'PY' || fail "device selection failed"
import json, sys
doc = json.load(open(sys.argv[1]))
assert [d["kname"] for d in doc["devices"]] == [sys.argv[2][len("/dev/"):]], doc["devices"]
PY

# An unknown device is a clear error with exit 3.
rc=0
"$OFFLOADCP" report /dev/offloadcp-no-such-device >/dev/null 2>"$work/missing.err" || rc=$?
[[ $rc -eq 3 ]] || fail "unknown device: exit $rc, expected 3"
grep -q "no block device '/dev/offloadcp-no-such-device'" "$work/missing.err" || fail "unclear error: $(cat "$work/missing.err")"

echo "ok: ${loops[*]} reported with verdict none and the loop reason"
