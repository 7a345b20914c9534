#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# I/O errors in the middle of a host (read/write) copy, on dm volumes over the plain virtio
# disk (VD_PLAIN sectors 8192..65535; 45-copy-refused uses 0..2047): a source segment whose
# reads fail (dm-flakey, always down), a destination segment whose writes fail (dm-flakey
# error_writes), and a source whose table turns into dm-error while the copy runs. Each ends
# by itself with exit 1 and an error naming the volume and the first LBA that fails; nothing
# is written outside the destination range, the source is not written. A dm-error segment
# already in the table is refused before anything is written; a segment that drops writes
# (dm-flakey drop_writes) reports no error, and --verify names its first LBA.
# lab-timeout: 300
. /lab/faults.sh
have_cmd copy || { fail "offloadcp has no copy subcommand"; exit 1; }
modprobe dm-flakey 2>/dev/null; modprobe dm-delay 2>/dev/null
V=$VD_PLAIN
# source: VD LBA 8192.., 16384 sectors (8 MiB); destination volume: VD LBA 30720.., 20480
# sectors: LBA 0..2047 guard, 2048..18431 the copy, 18432..20479 guard
src=$(fill $V 8192 16384); fill $V 30720 20480 >/dev/null
dmsetup create f60_dst --table "0 20480 linear $V 30720"; DST=/dev/mapper/f60_dst
guards=$(fault_guards $DST 0 2048 18432 2048)
len=$((16384 * 512)); doff=$((2048 * 512))

# 1. source: reads fail in LBA 4096..6143 of the source volume
printf '0 4096 linear %s 8192\n4096 2048 flakey %s 12288 0 1\n6144 10240 linear %s 14336\n' $V $V $V | dmsetup create f60_src
fault_copy /tmp/f60a.json 120 /dev/mapper/f60_src $DST --dst-offset $doff --length $len; rc=$?
fault_check_error "source read error" /tmp/f60a.json $rc f60_src 4096 6144
expect_eq "source read error: the error names the first failing LBA" "$(fault_err /tmp/f60a.json lba)" 4096
check "source read error: the done event says error and fewer bytes than asked" \
    sh -c "[ \"$(copy_done /tmp/f60a.json .status)\" = error ] && [ \"$(copy_done /tmp/f60a.json .bytes_done)\" -lt $len ]"
expect_eq "source read error: nothing written outside the destination range" "$(fault_guards $DST 0 2048 18432 2048)" "$guards"
check "no offloadcp process left" no_offloadcp_left

# 2. destination: writes fail in LBA 6144..8191 of the destination volume (copy LBA 4096..)
dmsetup remove f60_src
printf '0 16384 linear %s 8192\n' $V | dmsetup create f60_src
printf '0 6144 linear %s 30720\n6144 2048 flakey %s 36864 0 1 1 error_writes\n8192 12288 linear %s 38912\n' $V $V $V |
    dmsetup reload f60_dst && dmsetup resume f60_dst
fault_copy /tmp/f60b.json 120 /dev/mapper/f60_src $DST --dst-offset $doff --length $len; rc=$?
fault_check_error "destination write error" /tmp/f60b.json $rc f60_dst 6144 8192
expect_eq "destination write error: the error names the first failing LBA" "$(fault_err /tmp/f60b.json lba)" 6144
expect_eq "destination write error: nothing written outside the destination range" "$(fault_guards $DST 0 2048 18432 2048)" "$guards"
expect_eq "destination write error: the source is unchanged" "$(md5 $V 8192 16384)" "$src"
check "no offloadcp process left" no_offloadcp_left

# 2b. destination: writes to LBA 6144..8191 are dropped (dm-flakey drop_writes): no error to
# report, and --verify finds the first LBA that did not get the data
printf '0 6144 linear %s 30720\n6144 2048 flakey %s 36864 0 1 1 drop_writes\n8192 12288 linear %s 38912\n' $V $V $V |
    dmsetup reload f60_dst && dmsetup resume f60_dst
fault_copy /tmp/f60v.json 120 /dev/mapper/f60_src $DST --dst-offset $doff --length $len --verify; rc=$?
expect_eq "destination dropping writes: --verify exit status (mismatch)" $rc 7
expect_eq "destination dropping writes: --verify names the first LBA that lost its data" \
    "$(copy_done /tmp/f60v.json .verify.first_differing_dst_lba)" 6144
expect_eq "destination dropping writes: nothing written outside the destination range" "$(fault_guards $DST 0 2048 18432 2048)" "$guards"

# 3. the source turns into dm-error while the copy runs (dm-delay slows it: 2 ms per I/O)
printf '0 20480 linear %s 30720\n' $V | dmsetup reload f60_dst && dmsetup resume f60_dst
printf '0 16384 delay %s 8192 2\n' $V | dmsetup reload f60_src && dmsetup resume f60_src
fault_copy_bg /tmp/f60c.json 120 /dev/mapper/f60_src $DST --dst-offset $doff --length $len --io-size 16K --io-depth 1
if fault_wait_progress /tmp/f60c.json 60; then
    at=$(jq -s -r 'map(select(.event == "progress")) | last | .bytes_done' /tmp/f60c.json)
    echo "0 16384 error" | dmsetup reload f60_src && dmsetup resume f60_src
    info "source replaced by dm-error after $at bytes"
    fault_wait_copy /tmp/f60c.json; rc=$?
    fault_check_error "source turned into dm-error mid-copy" /tmp/f60c.json $rc f60_src $((at / 512)) 16384
    expect_eq "dm-error mid-copy: nothing written outside the destination range" "$(fault_guards $DST 0 2048 18432 2048)" "$guards"
else
    fault_wait_copy /tmp/f60c.json
    fail "dm-error mid-copy: the copy ended before its first progress event (exit $?): nothing was injected"
fi
check "no offloadcp process left" no_offloadcp_left

# 4. a dm-error segment already in the source's table: refused, nothing written
printf '0 4096 linear %s 8192\n4096 2048 error\n6144 10240 linear %s 14336\n' $V $V | dmsetup reload f60_src && dmsetup resume f60_src
before=$(md5 $DST 0 20480)
fault_copy /tmp/f60d.json 60 /dev/mapper/f60_src $DST --dst-offset $doff --length $len; rc=$?
expect_eq "dm-error segment at plan time: exit status (usage: refused, nothing changed)" $rc 2
check "dm-error segment at plan time: the message names the range: $(fault_err /tmp/f60d.json message)" \
    sh -c "jq -s -r '.[].error.message // empty' /tmp/f60d.json | grep -q 'reads fail'"
expect_eq "dm-error segment at plan time: the destination volume is unchanged" "$(md5 $DST 0 20480)" "$before"
dmsetup remove f60_src; dmsetup remove f60_dst
