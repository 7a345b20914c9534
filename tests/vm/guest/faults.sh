#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for the fault scenarios (6x-fault-*): offloadcp copy run under `timeout`, in the
# background, with a trigger after its first progress; the error the copy ended with; the
# guard ranges around a destination range; LIO LUNs made and removed by a scenario.
#   fault_copy FILE SECS SRC DST [ARGS]    offloadcp copy --json under `timeout SECS`; returns its
#                                          exit status (124: it hung and timeout stopped it)
#   fault_copy_bg FILE SECS SRC DST [ARGS] the same in the background: FAULT_PID
#   fault_wait_progress FILE SECS          waits until a progress event says bytes were copied;
#                                          fails (1) when the copy ended first or SECS passed
#   fault_wait_copy FILE                   waits for FAULT_PID; its exit status; saves FILE in $ART
#   fault_err FILE FIELD                   .error.FIELD of the done (or error) event
#   fault_check_error DESC FILE RC DEV LO HI   exit 1, the error names DEV (its kernel or dm name)
#                                          and an LBA in [LO, HI)
#   no_offloadcp_left                      true when no offloadcp process is running
#   fault_guards DEV LBA COUNT LBA2 COUNT2 [BS]  md5 of two ranges (before and after a destination
#                                          range), in blocks of BS bytes (default 512)
#   lio_lun_add NAME DEV SERIAL LUN        iblock backstore NAME on DEV, LUN of target 1: /dev/sdX
#   lio_lun_del NAME LUN                   removes the LUN (tcm_loop deletes its SCSI disk) and NAME
#   lio_clear_ua                           TEST UNIT READY twice on every SCSI disk (LUN changes
#                                          leave a unit attention on every LUN of the target)
. /lab/copy.sh

fault_copy() { _f=$1; _t=$2; shift 2
               timeout "$_t" offloadcp copy --json "$@" > "$_f" 2> "$_f.err"; _rc=$?
               cp "$_f" "$_f.err" "$ART/" 2>/dev/null; return $_rc; }
fault_copy_bg() { _f=$1; _t=$2; shift 2; : > "$_f"
                  timeout "$_t" offloadcp copy --json "$@" > "$_f" 2> "$_f.err" &
                  FAULT_PID=$!; FAULT_T0=$(now); }
fault_wait_progress() { _i=0
    while [ $_i -lt $(($2 * 20)) ]; do
        jq -e -s 'any(.[]; .event == "progress" and .bytes_done > 0)' "$1" >/dev/null 2>&1 && return 0
        grep -q '"event":"done"' "$1" 2>/dev/null && return 1
        kill -0 $FAULT_PID 2>/dev/null || return 1
        sleep 0.05; _i=$((_i + 1))
    done
    return 1; }
fault_wait_copy() { wait $FAULT_PID; _rc=$?
                    info "copy ended with status $_rc after $(echo "$(now) $FAULT_T0" | awk '{printf "%.1f", $1 - $2}')s"
                    cp "$1" "$1.err" "$ART/" 2>/dev/null; return $_rc; }
fault_err() { jq -s -r "map(select(.event == \"done\" or .event == \"error\")) | last | .error.$2 // empty" "$1" 2>/dev/null; }
# fault_check_error DESC FILE RC DEV LO HI: the copy failed (exit 1, not a hang), its error
# names DEV and an LBA in [LO, HI) (the range where the device really fails)
fault_check_error() {
    _m=$(fault_err "$2" message); _fdev=$(fault_err "$2" device); _l=$(fault_err "$2" lba)
    info "$1: exit $3, error: $_m"
    check "$1: offloadcp finished by itself (not stopped by timeout: exit $3)" not_timed_out "$3"
    expect_eq "$1: exit status (failure)" "$3" 1
    check "$1: the error names the device $4 ('$_fdev')" names_dev "$_fdev" "$4"
    check "$1: the error names an LBA in [$5, $6) (got '$_l')" in_range "$_l" "$5" "$6"
    check "$1: the message names the device and the LBA" msg_names "$_m" "$_fdev" "$_l"
    check "$1: the message is one line" one_line "$_m"
}
names_dev() { case $1 in *"${2##*/}"*) return 0;; esac; return 1; }   # DEVICE-FIELD NAME: names it
msg_names() { case $1 in "$2: "*"LBA $3"*) return 0;; esac; return 1; }   # MSG DEV LBA
one_line() { [ "$(printf '%s' "$1" | wc -l)" = 0 ]; }
not_timed_out() { [ "$1" != 124 ] && [ "$1" != 137 ] && [ "$1" != 143 ]; }   # timeout: 124, or 128 + signal
in_range() { [ -n "$1" ] && [ "$1" -ge "$2" ] && [ "$1" -lt "$3" ]; }   # V LO HI: LO <= V < HI
no_offloadcp_left() {
    for _p in /proc/[0-9]*; do [ "$(cat $_p/comm 2>/dev/null)" = offloadcp ] && { info "left: pid ${_p#/proc/}"; return 1; }; done
    return 0; }
fault_guards() { echo "$(md5 "$1" "$2" "$3" ${6:-}) $(md5 "$1" "$4" "$5" ${6:-})"; }

T=/sys/kernel/config/target
lio_lun_add() { # NAME DEV SERIAL LUN
    _b=$T/core/iblock_0/$1; mkdir -p $_b
    echo "udev_path=$2" > $_b/control; echo "$3" > $_b/wwn/vpd_unit_serial; echo 1 > $_b/enable || return 1
    echo 1 > $_b/attrib/emulate_3pc
    _L=$T/loopback/$LIO_T1/tpgt_1/lun/lun_$4; mkdir -p $_L; ln -s $_b $_L/$1 || return 1
    _i=0
    while [ $_i -lt 50 ]; do
        for _s in /sys/block/sd*; do
            [ "$(tail -c +5 $_s/device/vpd_pg80 2>/dev/null | tr -d '\000 ')" = "$3" ] && [ -b /dev/${_s##*/} ] &&
                { lio_clear_ua; echo /dev/${_s##*/}; return 0; }
        done
        sleep 0.2; _i=$((_i + 1))
    done
    return 1; }
lio_lun_del() { # NAME LUN
    _L=$T/loopback/$LIO_T1/tpgt_1/lun/lun_$2
    [ -L $_L/$1 ] && rm $_L/$1; [ -d $_L ] && rmdir $_L; [ -d $T/core/iblock_0/$1 ] && rmdir $T/core/iblock_0/$1
    lio_clear_ua; }
lio_clear_ua() { for _s in /sys/block/sd*; do sg_turs /dev/${_s##*/} >/dev/null 2>&1; sg_turs /dev/${_s##*/} >/dev/null 2>&1; done; }

# ---- NVMe controllers (found by serial, as main.sh does) ----------------------------------
ctrl_by_serial() { for _c in /sys/class/nvme/nvme*; do [ "$(tr -d ' ' < $_c/serial 2>/dev/null)" = "$1" ] && { echo ${_c##*/}; return; }; done; }
ns_dev() { for _b in /sys/block/nvme*n*; do case ${_b##*/} in nvme*c*n*) continue;; esac
           { [ -e $_b/device/$1 ] || [ "$(basename "$(readlink -f $_b/device)")" = "$1" ]; } &&
           [ "$(cat $_b/nsid 2>/dev/null)" = "$2" ] && { echo /dev/${_b##*/}; return; }; done; }
pci_of_ctrl() { basename "$(readlink -f /sys/class/nvme/$1/device)"; }
# set_env VAR VALUE: records a device's new name in /run/lab/env for the later scenarios
set_env() { sed -i "s|^$1=.*|$1=$2|" /run/lab/env; eval "$1=\$2"; }
