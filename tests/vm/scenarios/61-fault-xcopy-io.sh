#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# I/O errors inside LIO's EXTENDED COPY: two LUNs of target 1 whose iblock backstores sit on
# dm volumes over /dev/ram1 (brd; unused by the other scenarios), one with a segment whose
# reads fail (dm-flakey, always down), then one whose writes fail (dm-flakey error_writes).
# LIO's internal READ/WRITE fails and it answers COPY ABORTED, which offloadcp cannot tell
# from "not this copy": it falls back to read/write for the step, and the host I/O meets the
# error itself, so the copy ends by itself with exit 1 and an error naming the LUN and the
# first LBA that fails. Nothing is written outside the destination range.
# lab-timeout: 300
. /lab/faults.sh
have_cmd copy || { fail "offloadcp has no copy subcommand"; exit 1; }
[ -b /dev/ram1 ] || skip "no /dev/ram1 (brd rd_nr=2)"
[ -d $T/loopback/$LIO_T1 ] || skip "no LIO target 1"
modprobe dm-flakey 2>/dev/null
# f61_a: ram1 LBA 0.., f61_b: ram1 LBA 65536.., 32768 sectors (16 MiB) each
dmsetup create f61_a --table "0 32768 linear /dev/ram1 0"
dmsetup create f61_b --table "0 32768 linear /dev/ram1 65536"
SA=$(lio_lun_add f61a /dev/mapper/f61_a c0de0a61 10); SB=$(lio_lun_add f61b /dev/mapper/f61_b c0de0a62 11)
info "LUN 10 $SA (on f61_a), LUN 11 $SB (on f61_b)"
if [ -z "$SA" ] || [ -z "$SB" ]; then
    fail "the fault LUNs did not appear (LUN 10 '$SA', LUN 11 '$SB')"
else
    # copy: source LBA 4096..20479 (8 MiB) to destination LBA 4096..; guards 2048..4095, 20480..22527
    len=$((16384 * 512)); off=$((4096 * 512))
    # (in 64 KiB blocks: one 512-byte O_DIRECT I/O at a time through LIO is slow under TCG)
    src=$(fill $SA 32 128 65536); fill $SB 16 160 65536 >/dev/null
    guards=$(fault_guards $SB 16 16 160 16 65536)
    if need_plan; then
        plan_json /tmp/p61.json $SA $SB --src-offset $off --dst-offset $off --length $len &&
        expect_eq "plan methods (same target)" "$(plan_methods /tmp/p61.json)" scsi-xcopy
    fi

    # 1. reads of the source fail at LBA 8192..10239 (below LIO)
    printf '0 8192 linear /dev/ram1 0\n8192 2048 flakey /dev/ram1 8192 0 1\n10240 22528 linear /dev/ram1 10240\n' |
        dmsetup reload f61_a && dmsetup resume f61_a
    fault_copy /tmp/f61a.json 150 $SA $SB --src-offset $off --dst-offset $off --length $len; rc=$?
    check "source read error: the EXTENDED COPY fell back with the device's answer: $(jq -s -r 'map(select(.event == "fallback")) | first | .reason // "none"' /tmp/f61a.json)" \
        sh -c "jq -s -e 'any(.[]; .event == \"fallback\" and .planned_method == \"scsi-xcopy\")' /tmp/f61a.json >/dev/null"
    fault_check_error "source read error under EXTENDED COPY" /tmp/f61a.json $rc $SA 8192 10240
    expect_eq "source read error: the error names the first failing LBA" "$(fault_err /tmp/f61a.json lba)" 8192
    expect_eq "source read error: nothing written outside the destination range" "$(fault_guards $SB 16 16 160 16 65536)" "$guards"
    check "no offloadcp process left" no_offloadcp_left

    # 2. writes to the destination fail at LBA 12288..14335
    printf '0 32768 linear /dev/ram1 0\n' | dmsetup reload f61_a && dmsetup resume f61_a
    printf '0 12288 linear /dev/ram1 65536\n12288 2048 flakey /dev/ram1 77824 0 1 1 error_writes\n14336 18432 linear /dev/ram1 79872\n' |
        dmsetup reload f61_b && dmsetup resume f61_b
    fault_copy /tmp/f61b.json 150 $SA $SB --src-offset $off --dst-offset $off --length $len; rc=$?
    fault_check_error "destination write error under EXTENDED COPY" /tmp/f61b.json $rc $SB 12288 14336
    expect_eq "destination write error: the error names the first failing LBA" "$(fault_err /tmp/f61b.json lba)" 12288
    expect_eq "destination write error: nothing written outside the destination range" "$(fault_guards $SB 16 16 160 16 65536)" "$guards"
    expect_eq "destination write error: the source is unchanged" "$(md5 $SA 32 128 65536)" "$src"
    check "no offloadcp process left" no_offloadcp_left
fi
lio_lun_del f61a 10; lio_lun_del f61b 11
dmsetup remove f61_a; dmsetup remove f61_b
