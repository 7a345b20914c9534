#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# An NVMe controller that vanishes mid-copy: controller B's PCI function is removed through
# sysfs after the copy's first progress event, once during an NVMe Copy (offload, one command
# in flight) and once during a host copy (--no-offload), both within NS_B1 (16 MiB from
# LBA 0, where the partitions start, which is only read, to LBA 106496; b-ns1 is throttled
# to 8 MB/s by run-lab.sh, so the copy takes about 4 s).
# Each ends by itself with exit 1 and an error naming the namespace and an LBA of the range
# not yet copied; after `echo 1 > /sys/bus/pci/rescan` brings the controller back, the LBAs
# around the destination range are unchanged. lab_plin (on NS_B1 p2) is taken down first and
# rebuilt at the end; new names are written to /run/lab/env for the later scenarios.
# lab-timeout: 400
. /lab/faults.sh; . /lab/stacks.sh; stacks_env
have_cmd copy || { fail "offloadcp has no copy subcommand"; exit 1; }
[ -n "$CTRL_B" ] && [ -n "$NS_B1" ] || { fail "no controller B"; exit 1; }
had_plin=; dmsetup info lab_plin >/dev/null 2>&1 && had_plin=1 && dmsetup remove lab_plin
len=$((32768 * 512)); doff=$((106496 * 512))   # 16 MiB: 4 s at the 8 MB/s b-ns1 is throttled to
fill $NS_B1 104448 2048 >/dev/null; fill $NS_B1 139264 2048 >/dev/null   # the guards hold data
guards=$(fault_guards $NS_B1 104448 2048 139264 2048)

# rescan_b: brings controller B back and records its names
rescan_b() {
    echo 1 > /sys/bus/pci/rescan; _i=0
    while [ $_i -lt 100 ]; do
        _c=$(ctrl_by_serial OFFLCTRLB)
        [ -n "$_c" ] && [ -n "$(ns_dev $_c 1)" ] && [ -n "$(ns_dev $_c 2)" ] && break
        sleep 0.2; _i=$((_i + 1))
    done
    [ -n "$_c" ] || { fail "controller B did not come back after a PCI rescan"; return 1; }
    set_env CTRL_B $_c; set_env NS_B1 "$(ns_dev $_c 1)"; set_env NS_4K "$(ns_dev $_c 2)"
    info "controller B back as $CTRL_B: NS_B1 $NS_B1, NS_4K $NS_4K"
}
# removed_mid_copy DESC FILE ARGS...: copies NS_B1 -> NS_B1, removes controller B after the
# first progress, waits for the copy, brings B back and checks the result
removed_mid_copy() {
    _desc=$1 _f=$2; shift 2
    _pci=$(pci_of_ctrl $CTRL_B); _ns=$NS_B1
    fault_copy_bg $_f 150 $NS_B1 $NS_B1 --dst-offset $doff --length $len --force "$@"
    if ! fault_wait_progress $_f 60; then
        fault_wait_copy $_f; fail "$_desc: the copy ended before its first progress event (exit $?): nothing was removed"
        return
    fi
    _at=$(jq -s -r 'map(select(.event == "progress")) | last | .bytes_done' $_f)
    echo 1 > /sys/bus/pci/devices/$_pci/remove
    info "$_desc: controller B ($_pci) removed after $_at bytes"
    fault_wait_copy $_f; _rc=$?
    _l=$(fault_err $_f lba); _m=$(fault_err $_f message)
    info "$_desc: exit $_rc, error: $_m"
    check "$_desc: offloadcp finished by itself (exit $_rc)" not_timed_out $_rc
    expect_eq "$_desc: exit status (failure)" $_rc 1
    check "$_desc: the error names the namespace ($(fault_err $_f device))" names_dev "$(fault_err $_f device)" $_ns
    check "$_desc: the error names an LBA of the range not yet copied ('$_l')" \
        sh -c "[ -n '$_l' ] && { { [ '$_l' -ge $((_at / 512)) ] && [ '$_l' -lt 32768 ]; } || { [ '$_l' -ge $((106496 + _at / 512)) ] && [ '$_l' -lt 139264 ]; }; }"
    check "$_desc: the message names the namespace and the LBA" msg_names "$_m" "$(fault_err $_f device)" "$_l"
    check "$_desc: the message is one line" one_line "$_m"
    check "$_desc: the done event says fewer bytes than asked" sh -c "[ \"$(copy_done $_f .bytes_done)\" -lt $len ]"
    check "$_desc: no offloadcp process left" no_offloadcp_left
    rescan_b || return
    expect_eq "$_desc: nothing written outside the destination range" "$(fault_guards $NS_B1 104448 2048 139264 2048)" "$guards"
}
removed_mid_copy "NVMe Copy" /tmp/f62a.json --offload-depth 1
removed_mid_copy "host copy" /tmp/f62b.json --no-offload --io-size 64K --io-depth 2
# the standard stack on NS_B1 p2 again, under the partition's new name
if [ -n "$had_plin" ]; then
    stack_partitions
    dmsetup create lab_plin --table "0 32768 linear $NS_B1P2 1024"
    sed -i -e "s|^NS_B1P1=.*|NS_B1P1=$NS_B1P1|" -e "s|^NS_B1P2=.*|NS_B1P2=$NS_B1P2|" \
        -e "s|^DM_PLIN=.*|DM_PLIN=/dev/$(dm_kname lab_plin)|" /run/lab/stacks-built
fi
