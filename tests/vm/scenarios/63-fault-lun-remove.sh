#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A LIO LUN removed mid-copy: two LUNs of target 1 on dm-delay volumes (20 ms per I/O) over
# a loop device on a sparse tmpfs file, an EXTENDED COPY of 80 MiB between them (three
# commands, one in flight); after the first progress event the destination LUN is unlinked
# in configfs (tcm_loop deletes its SCSI disk). The copy ends by itself with exit 1 and an
# error naming the LUN and an LBA of the range not yet copied; the source LUN's data and the
# LBAs around the destination range (read through the backing volume) are unchanged.
# lab-timeout: 300
. /lab/faults.sh
have_cmd copy || { fail "offloadcp has no copy subcommand"; exit 1; }
[ -d $T/loopback/$LIO_T1 ] || skip "no LIO target 1"
modprobe dm-delay 2>/dev/null
truncate -s 176M /tmp/f63.img; LOOP=$(losetup -f) && losetup $LOOP /tmp/f63.img || { fail "losetup $LOOP /tmp/f63.img"; exit 1; }
# f63_a: loop LBA 0.., f63_b: loop LBA 180224.., 180224 sectors (88 MiB) each
dmsetup create f63_a --table "0 180224 delay $LOOP 0 20"
dmsetup create f63_b --table "0 180224 delay $LOOP 180224 20"
SA=$(lio_lun_add f63a /dev/mapper/f63_a c0de0a63 12); SB=$(lio_lun_add f63b /dev/mapper/f63_b c0de0a64 13)
info "LUN 12 $SA (on f63_a), LUN 13 $SB (on f63_b), loop $LOOP"
if [ -z "$SA" ] || [ -z "$SB" ]; then
    fail "the fault LUNs did not appear (LUN 12 '$SA', LUN 13 '$SB')"
else
    # copy LBA 2048..165887 (80 MiB) to the same LBAs; guards 0..2047 and 165888..167935
    len=$((163840 * 512)); off=$((2048 * 512))
    # (in 64 KiB blocks: the LUNs take 20 ms per I/O)
    src=$(fill $SA 16 16 65536); fill $SB 0 16 65536 >/dev/null; fill $SB 1296 16 65536 >/dev/null
    guards=$(fault_guards $SB 0 16 1296 16 65536)
    fault_copy_bg /tmp/f63.json 150 $SA $SB --src-offset $off --dst-offset $off --length $len --offload-depth 1
    if fault_wait_progress /tmp/f63.json 90; then
        at=$(jq -s -r 'map(select(.event == "progress")) | last | .bytes_done' /tmp/f63.json)
        t0=$(now); lio_lun_del f63b 13
        info "destination LUN 13 ($SB) removed after $at bytes (unlink took $(echo "$(now) $t0" | awk '{printf "%.1f", $1 - $2}')s)"
        fault_wait_copy /tmp/f63.json; rc=$?
        check "the destination's SCSI disk is gone" sh -c "[ ! -e /sys/block/${SB##*/} ]"
        fault_check_error "destination LUN removed mid-copy" /tmp/f63.json $rc $SB $((2048 + at / 512)) 165888
        check "the done event says fewer bytes than asked" sh -c "[ \"$(copy_done /tmp/f63.json .bytes_done)\" -lt $len ]"
    else
        fault_wait_copy /tmp/f63.json; fail "the copy ended before its first progress event (exit $?): nothing was removed"
    fi
    check "no offloadcp process left" no_offloadcp_left
    expect_eq "the source is unchanged" "$(md5 /dev/mapper/f63_a 16 16 65536)" "$src"
    expect_eq "nothing written outside the destination range (read through f63_b)" \
        "$(fault_guards /dev/mapper/f63_b 0 16 1296 16 65536)" "$guards"
fi
lio_lun_del f63a 12; lio_lun_del f63b 13
dmsetup remove f63_a; dmsetup remove f63_b; losetup -d $LOOP; rm -f /tmp/f63.img
