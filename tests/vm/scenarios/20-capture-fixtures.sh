#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Captures fixtures of the lab's devices and stacks with tests/tools/capture-fixture.sh (sysfs
# attributes, `dmsetup table`, probe bytes) for the unit tests; tests/vm/update-fixtures.sh
# copies them into tests/fixtures/lab-<name>/. Beside each, live-report.json is what
# `offloadcp report --json` said about those devices on the live system, and the scenario
# checks that a report read back from the fixture (--fixture) gives the same verdicts.
# lab-timeout: 400
. /lab/stacks.sh; . /lab/report.sh
stacks_build; stacks_env
CAP=/lab/tools/capture-fixture.sh
[ -f $CAP ] || { fail "tests/tools/capture-fixture.sh is not in the tree"; exit 1; }
capture() { # NAME DEVICE...
    _n=lab-$1; shift; _o=$ART/fixtures/$_n
    sh $CAP "$_o" "$@" > /tmp/cap-$_n.log 2>&1; _rc=$?
    cp /tmp/cap-$_n.log "$ART/"
    check "capture $_n ($*): exit $_rc, sys/ present" sh -c "[ $_rc = 0 ] && [ -d '$_o/sys' ]"
    [ -d "$_o/sys" ] || return 0
    # the live report for the same devices, for golden tests
    offloadcp report --json "$@" > "$_o/live-report.json" 2>/dev/null
    offloadcp report --json --fixture "$_o" "$@" > /tmp/fx-$_n.json 2>/tmp/fx-$_n.err
    for _d in "$@"; do
        _k=${_d##*/}
        expect_eq "$_n: verdict of $_k read from the fixture = live" \
            "$(rep_get /tmp/fx-$_n.json $_k .verdict)" "$(rep_get "$_o/live-report.json" $_k .verdict)"
    done
}
capture nvme-namespaces $NS_SMALL $NS_LARGE $NS_B1 $NS_4K ${NS_ZONED:+$NS_ZONED}
capture lio-luns $SD_T1A $SD_T1B $SD_T1F $SD_T1N $SD_T2C
capture partitions $NS_B1P1 $NS_B1P2 $SD_T1BP1
capture dm-linear $DM_LIN $DM_LIN2 $DM_PLIN
capture dm-striped $DM_STR $DM_XSTR
capture dm-crypt $DM_CRYPT
capture dm-mixed $DM_MIX $DM_SLIN
capture virtio $VD_PLAIN
