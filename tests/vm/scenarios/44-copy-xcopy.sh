#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# SCSI EXTENDED COPY through LIO: between two LUNs of one target (raw LUNs, and through a
# dm-linear spanning a LUN and a partition of the other), checked with O_DIRECT, buffered
# reads and the LUNs' backing files on the host; across two targets the copy falls back to
# read/write with the reason. SD_T1B and SD_T2C hold the lab's partition and stacks, so copies
# onto the raw LUNs need --force (the ranges used here are outside them).
. /lab/copy.sh; . /lab/stacks.sh; stacks_build; stacks_env
have_cmd copy || { fail "offloadcp has no copy subcommand"; exit 1; }
len=1048576; so=$((104448 * 512)); do=$((106496 * 512))
data=$(fill $SD_T1A 104448 2048)
old=$(rdbuf $SD_T1B 106496 2048 | md5sum | cut -d' ' -f1)
if need_plan; then
    plan_json /tmp/p44a.json $SD_T1A $SD_T1B --src-offset $so --dst-offset $do --length $len &&
    expect_eq "same target: plan methods" "$(plan_methods /tmp/p44a.json)" scsi-xcopy
fi
copy_json /tmp/c44a.json $SD_T1A $SD_T1B --src-offset $so --dst-offset $do --length $len --require-offload --force; rc=$?
expect_eq "same target: copy exit status" $rc 0
expect_eq "same target: methods used" "$(copy_methods /tmp/c44a.json)" scsi-xcopy
expect_eq "same target: bytes offloaded" "$(copy_done /tmp/c44a.json .bytes_offloaded)" $len
expect_eq "same target: O_DIRECT read of the destination LUN" "$(md5 $SD_T1B 106496 2048)" "$data"
check "the destination held other data before" [ "$old" != "$data" ]
expect_eq "same target: buffered read after the copy shows the new data" "$(rdbuf $SD_T1B 106496 2048 | md5sum | cut -d' ' -f1)" "$data"
hostcheck_same "EXTENDED COPY landed in lio-b.img" lio-a.img:$so:$len lio-b.img:$do:$len
# through lab_slin: its LBA 0.. is SD_T1A LBA 65536, its LBA 32768.. is SD_T1B p1 (LUN LBA 2048)
data=$(fill $DM_SLIN 0 2048)
copy_json /tmp/c44b.json $DM_SLIN $DM_SLIN --dst-offset $((32768 * 512)) --length $len --require-offload; rc=$?
expect_eq "through dm-linear + partition: copy exit status" $rc 0
expect_eq "through dm-linear + partition: methods used" "$(copy_methods /tmp/c44b.json)" scsi-xcopy
expect_eq "through dm-linear + partition: O_DIRECT read of the LUN at LBA 2048" "$(md5 $SD_T1B 2048 2048)" "$data"
hostcheck_same "EXTENDED COPY through dm-linear and a partition landed at lio-b.img LBA 2048" \
    lio-a.img:$((65536 * 512)):$len lio-b.img:$((2048 * 512)):$len
# across targets
copy_json /tmp/c44c.json $SD_T1A $SD_T2C --src-offset $so --dst-offset $((65536 * 512)) --length $len --force; rc=$?
expect_eq "across targets: copy exit status" $rc 0
expect_eq "across targets: planned methods" "$(copy_planned /tmp/c44c.json)" read-write
check "across targets: the reason names the target: $(copy_reasons /tmp/c44c.json | head -1)" \
    sh -c "jq -s -r 'map(select(.event == \"start\")) | last | .extents[].reason' /tmp/c44c.json | grep -qi target"
expect_eq "across targets: O_DIRECT read of the destination" "$(md5 $SD_T2C 65536 2048)" "$(md5 $SD_T1A 104448 2048)"
