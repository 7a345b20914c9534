#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Captures fixtures of the lab with tests/tools/capture-fixture.sh (sysfs attributes,
# `dmsetup table`, probe bytes) for the unit tests; tests/vm/update-fixtures.sh copies them
# into tests/fixtures/lab-<name>/. Runs last: it tears the standard stacks down and builds one
# group at a time, so each fixture holds the lab's devices and partitions plus that group:
#   lab-all         everything, as the other scenarios left it (incl. NVMe/TCP on 6.12)
#   lab-devices     NVMe namespaces with different limits (and zoned, 4K), LIO LUNs, virtio, partitions
#   lab-dm-linear   + lab_lin (offset), lab_lin2 (linear on linear), lab_plin (on a partition)
#   lab-dm-striped  + lab_str (two namespaces), lab_xstr (two LIO targets)
#   lab-dm-crypt    + lab_cryptbase, lab_crypt
#   lab-dm-mixed    + lab_mix (across NVMe and SCSI), lab_slin (two LUNs of one target)
# ctest runs capture lab-all only; `run-lab.sh --fixtures all` captures all of them.
# Beside each: kernel-release, and live-report.json (`offloadcp report --json` on the live
# system, for golden tests). The scenario checks that the report read back from each fixture
# gives the live verdicts for every device.
# lab-timeout: 500
. /lab/stacks.sh; . /lab/report.sh
CAP=/lab/tools/capture-fixture.sh
[ -f $CAP ] || { fail "tests/tools/capture-fixture.sh is not in the tree"; exit 1; }
capture() { # NAME
    _n=lab-$1; _o=$ART/fixtures/$_n
    _t0=$(now); sh $CAP "$_o" > /tmp/cap-$_n.log 2>&1; _rc=$?
    info "$_n: capture-fixture.sh took $(echo "$(now) $_t0" | awk '{printf "%.1f", $1 - $2}')s"
    [ -s /tmp/cap-$_n.log ] && cp /tmp/cap-$_n.log "$ART/"
    check "capture $_n: exit $_rc, sys/ and probe/ present" sh -c "[ $_rc = 0 ] && [ -d '$_o/sys' ] && [ -d '$_o/probe' ]"
    [ -d "$_o/sys" ] || return 0
    [ -f "$_o/kernel-release" ] || uname -r > "$_o/kernel-release"
    # which kernel name is which lab device (tests/vm/README.md's device set)
    { grep -E '^(CTRL|NS|SD|VD)_' /run/lab/env
      [ -e /run/lab/nvmf-up ] && cat /run/lab/nvmf-up
      for _m in $(dmsetup ls 2>/dev/null | awk '{print $1}'); do echo "$_m=$(dmsetup info -c --noheadings -o blkdevname $_m)"; done
      for _p in /sys/class/block/*/partition; do _p=${_p%/partition}; echo "partition=${_p##*/}"; done
    } > "$_o/lab-env.txt" 2>/dev/null
    # every NVMe namespace needs id-ctrl + id-ns, every SCSI disk inquiry, vpd83 and rcop
    _missing=$(probes_missing "$_o")
    check "$_n: the tool captured the probe bytes of every NVMe namespace and SCSI disk (missing: ${_missing:-none})" [ -z "$_missing" ]
    [ -n "$_missing" ] && probes_complete "$_o" "$_missing"
    rm -f "$_o/live-report.json.idx" /tmp/fx-$_n.json.idx
    offloadcp report --json > "$_o/live-report.json" 2>/dev/null
    jq -e .devices "$_o/live-report.json" >/dev/null 2>&1 || { fail "$_n: offloadcp report --json gave no device list"; rm -f "$_o/live-report.json"; return 0; }
    offloadcp report --json --fixture "$_o" > /tmp/fx-$_n.json 2>/tmp/fx-$_n.err
    _bad=0; _n_dev=0
    for _k in $(jq -r '.devices[].kname' "$_o/live-report.json" 2>/dev/null); do
        _n_dev=$((_n_dev + 1))
        _lv=$(rep_get "$_o/live-report.json" $_k .verdict); _fv=$(rep_get /tmp/fx-$_n.json $_k .verdict)
        [ -n "$_lv" ] && [ "$_lv" = "$_fv" ] || { _bad=$((_bad + 1)); info "$_n: $_k live '$_lv' fixture '$_fv'"; }
    done
    check "$_n: the report read from the fixture gives the live verdict for all $_n_dev devices ($_bad differ)" \
        [ $_n_dev -gt 0 ] && [ $_bad = 0 ]
    rm -f "$_o/live-report.json.idx"
    info "$_n: $(find "$_o" -type f | wc -l) files, $(du -sk "$_o" | cut -f1) KiB"
}
# probes_missing DIR: "name.what" for each probe file a leaf should have and DIR lacks
probes_missing() {
    for _b in /sys/class/block/*; do
        _k=${_b##*/}; [ -f $_b/partition ] && continue
        [ "$(cat $_b/hidden 2>/dev/null)" = 1 ] && continue     # nvmeXcYnZ multipath paths
        if [ -f $_b/nsid ]; then _w="id-ctrl id-ns"
        elif [ "$(cat $_b/device/type 2>/dev/null)" = 0 ]; then
            _w="inquiry vpd83"; sg_inq /dev/$_k 2>/dev/null | grep -q '3PC=1' && _w="$_w rcop"   # RCOP needs 3PC
        else continue; fi
        for _x in $_w; do [ -s "$1/probe/$_k.$_x" ] || printf '%s ' "$_k.$_x"; done
    done
}
# probes_complete DIR LIST: fetches the missing probe bytes the way the tool means to, so the
# committed fixtures are complete while the tool is being fixed (the check above still fails)
probes_complete() {
    mkdir -p "$1/probe"
    for _p in $2; do
        _k=${_p%.*}; _x=${_p##*.}; _f="$1/probe/$_p"
        case $_x in
            id-ctrl) nvme id-ctrl -b /dev/$_k > "$_f" ;;
            id-ns) nvme id-ns -b /dev/$_k > "$_f" ;;
            inquiry) sg_inq -r /dev/$_k > "$_f" ;;
            vpd83) sg_vpd -r -p 0x83 /dev/$_k > "$_f" ;;
            rcop) sg_raw -b -r 1024 /dev/$_k 84 03 00 00 00 00 00 00 00 00 00 00 04 00 00 00 > "$_f" 2>/dev/null ;;
        esac
        [ -s "$_f" ] || rm -f "$_f"
    done
    info "completed probe bytes: $2"
}
stacks_build; stacks_env
capture all
stacks_remove
[ -e /run/lab/nvmf-up ] && { nvme disconnect -n nqn.2024-01.org.offloadcp.lab:passthru >/dev/null 2>&1; rm -f /run/lab/nvmf-up; }
stack_partitions
# The per-group fixtures take a minute each under TCG: only when asked for
# (run-lab.sh --fixtures all, see update-fixtures.sh); ctest checks lab-all only.
[ "$LAB_FIXTURES" = all ] || exit 0
capture devices
stack_linear; capture dm-linear; stacks_remove
stack_striped; capture dm-striped; stacks_remove
stack_crypt; capture dm-crypt; stacks_remove
stack_mixed; capture dm-mixed; stacks_remove
