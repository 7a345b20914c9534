#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A read-only layer under a writable dm device: a dm-linear over NS_B1 p1 (NVMe), then over
# SD_T1B p1 (a LIO LUN). With the partition, then the whole namespace / LUN set read-only by
# `blockdev --setro` after the dm device was made (the dm device itself stays writable, and
# the kernel would only warn), offloadcp plan and copy (also --force) refuse with exit 2
# naming the read-only layer, and the leaf's bytes are unchanged (O_DIRECT). Writable again,
# the same copy goes by the device's copy command and lands: the path the flag guards.
. /lab/copy.sh; . /lab/stacks.sh; stacks_build; stacks_env
have_cmd copy || { fail "offloadcp has no copy subcommand"; exit 1; }
len=1048576

# refused LABEL DST SRC LAYER LEAF LEAF_LBA [ARGS]: plan and copy into DST refused naming LAYER, LEAF unchanged
refused() {
    _l=$1; _dst=$2; _src=$3; _layer=$4; _leaf=$5; _lba=$6; shift 6
    _before=$(md5 $_leaf $_lba 2048)
    offloadcp plan $_src $_dst --length $len "$@" > /tmp/p47.out 2>&1; _rc=$?
    cp /tmp/p47.out "$ART/p47-$_l.out"
    expect_eq "$_l: plan exit status (usage)" $_rc 2
    for _force in "" --force; do
        offloadcp copy $_src $_dst --length $len $_force "$@" > /tmp/c47.out 2>&1; _rc=$?
        cp /tmp/c47.out "$ART/c47-$_l$_force.out"
        expect_eq "$_l: copy $_force exit status (usage)" $_rc 2
        check "$_l: copy $_force names $_layer as read-only: $(head -1 /tmp/c47.out)" \
            grep -q "^offloadcp[a-z ]*: $_layer: .*read-only" /tmp/c47.out
        check "$_l: copy $_force says blockdev --setrw" grep -q "blockdev --setrw $_layer" /tmp/c47.out
    done
    copy_json /tmp/c47.json $_src $_dst --length $len "$@"; _rc=$?
    expect_eq "$_l: copy --json exit status (usage)" $_rc 2
    expect_eq "$_l: the leaf $_leaf is unchanged at LBA $_lba (O_DIRECT)" "$(md5 $_leaf $_lba 2048)" "$_before"
}

# ---- NVMe: s47_nvme = NS_B1 p1 LBA 0.. (namespace LBA 2048..); source lab_plin (NS_B1 p2)
dmsetup create s47_nvme --table "0 8192 linear $NS_B1P1 0"; DST=$(dm_node s47_nvme)
fill $DM_PLIN 0 2048 >/dev/null
fill $DST 0 2048 >/dev/null                 # what must survive the refused copies
if need_plan; then
    plan_json /tmp/p47a.json $DM_PLIN $DST --length $len &&
    expect_eq "NVMe, writable: plan methods (an offload to the namespace)" "$(plan_methods /tmp/p47a.json)" nvme-copy
fi
blockdev --setro $NS_B1P1
expect_eq "the dm device itself stays writable" "$(blockdev --getro $DST)" 0
refused nvme-partition $DST $DM_PLIN $NS_B1P1 $NS_B1 2048
blockdev --setrw $NS_B1P1
blockdev --setro $NS_B1
refused nvme-namespace $DST $DM_PLIN $NS_B1 $NS_B1 2048
blockdev --setrw $NS_B1
expect_eq "NVMe: flags cleared" "$(blockdev --getro $NS_B1)$(blockdev --getro $NS_B1P1)" 00
copy_json /tmp/c47a.json $DM_PLIN $DST --length $len --require-offload; rc=$?
expect_eq "NVMe, writable again: copy exit status" $rc 0
expect_eq "NVMe, writable again: methods used" "$(copy_methods /tmp/c47a.json)" nvme-copy
expect_eq "NVMe, writable again: the data landed at namespace LBA 2048 (O_DIRECT)" \
    "$(md5 $NS_B1 2048 2048)" "$(md5 $DM_PLIN 0 2048)"
dmsetup remove s47_nvme

# ---- SCSI: s47_scsi = SD_T1B p1 LBA 40000.. (LUN LBA 42048..); source SD_T1A LBA 100352..
if [ -n "$SD_T1BP1" ] && [ -n "$SD_T1A" ]; then
    dmsetup create s47_scsi --table "0 8192 linear $SD_T1BP1 40000"; DST=$(dm_node s47_scsi)
    so=$((100352 * 512))
    fill $SD_T1A 100352 2048 >/dev/null
    fill $DST 0 2048 >/dev/null
    if need_plan; then
        plan_json /tmp/p47b.json $SD_T1A $DST --src-offset $so --length $len &&
        expect_eq "SCSI, writable: plan methods (an offload to the LUN)" "$(plan_methods /tmp/p47b.json)" scsi-xcopy
    fi
    blockdev --setro $SD_T1BP1
    expect_eq "the dm device on the LUN stays writable" "$(blockdev --getro $DST)" 0
    refused scsi-partition $DST $SD_T1A $SD_T1BP1 $SD_T1B 42048 --src-offset $so
    blockdev --setrw $SD_T1BP1
    blockdev --setro $SD_T1B
    refused scsi-lun $DST $SD_T1A $SD_T1B $SD_T1B 42048 --src-offset $so
    blockdev --setrw $SD_T1B
    copy_json /tmp/c47b.json $SD_T1A $DST --src-offset $so --length $len --require-offload; rc=$?
    expect_eq "SCSI, writable again: copy exit status" $rc 0
    expect_eq "SCSI, writable again: methods used" "$(copy_methods /tmp/c47b.json)" scsi-xcopy
    expect_eq "SCSI, writable again: the data landed at LUN LBA 42048 (O_DIRECT)" \
        "$(md5 $SD_T1B 42048 2048)" "$(md5 $SD_T1A 100352 2048)"
    dmsetup remove s47_scsi
else
    fail "no LIO LUNs (SD_T1A, SD_T1B p1): the SCSI half did not run"
fi
