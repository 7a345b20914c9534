#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `offloadcp report --json` shows LIO's EXTENDED COPY support per LUN (3PC, the NAA
# designator, the copy limits of RECEIVE COPY OPERATING PARAMETERS, checked against
# sg3_utils), and "no offload" with the reason for the LUN with emulate_3pc=0 and for the
# plain virtio disk.
. /lab/report.sh
# ground truth from sg_copy_results --params (RECEIVE COPY OPERATING PARAMETERS)
rcop() { sg_copy_results --params "$1" 2>/dev/null | sed -n "s/.*$2[^:]*: *\([0-9]*\).*/\1/p" | head -1; }
sg_copy_results --params $SD_T1A > "$ART/rcop-T1A.txt" 2>&1
R=/tmp/report.json
report_json $R || exit 1
for v in SD_T1A SD_T1B SD_T1F SD_T2C; do
    eval "dev=\$$v"; k=${dev##*/}
    rep_has $R $k || { fail "$v ($k) is not in the report"; continue; }
    expect_eq "$v ($k) mechanism" "$(rep_get $R $k .mechanism)" scsi-xcopy
    expect_eq "$v 3PC" "$(rep_get $R $k .capability.three_pc)" true
    # the NAA designator is what the kernel shows as the wwid (naa.<hex>)
    expect_eq "$v NAA designator = sysfs wwid" "naa.$(rep_get $R $k .capability.naa_designator)" "$(cat /sys/block/$k/device/wwid | tr A-F a-f)"
    expect_eq "$v max CSCD descriptors (LIO: 2) = sg_copy_results" "$(rep_get $R $k .limits.max_cscd_descriptors)" "$(rcop $dev 'Maximum target descriptor count')"
    expect_eq "$v max segment descriptors (LIO: 1) = sg_copy_results" "$(rep_get $R $k .limits.max_segment_descriptors)" "$(rcop $dev 'Maximum segment descriptor count')"
    expect_eq "$v max segment length = sg_copy_results" "$(rep_get $R $k .limits.max_segment_length)" "$(rcop $dev 'Maximum segment length')"
    expect_eq "$v verdict" "$(rep_get $R $k .verdict)" full
done
expect_eq "LIO max CSCD descriptors" "$(rep_get $R ${SD_T1A##*/} .limits.max_cscd_descriptors)" 2
expect_eq "LIO max segment descriptors" "$(rep_get $R ${SD_T1A##*/} .limits.max_segment_descriptors)" 1
# target grouping: LUNs of target 1 share a target id, target 2's LUN has another
t1a=$(rep_get $R ${SD_T1A##*/} .scsi_target); t1b=$(rep_get $R ${SD_T1B##*/} .scsi_target); t2c=$(rep_get $R ${SD_T2C##*/} .scsi_target)
check "T1A and T1B report the same SCSI target ($t1a, $t1b)" [ -n "$t1a" ] && [ "$t1a" = "$t1b" ]
check "T2C reports another SCSI target ($t2c)" [ -n "$t2c" ] && [ "$t2c" != "$t1a" ]
# no offload: the LUN without 3PC, the plain virtio disk
k=${SD_T1N##*/}
expect_eq "LUN with emulate_3pc=0 ($k) mechanism" "$(rep_get $R $k .mechanism)" none
expect_eq "LUN with emulate_3pc=0 3PC flag" "$(rep_get $R $k .capability.three_pc)" false
expect_eq "LUN with emulate_3pc=0 verdict" "$(rep_get $R $k .verdict)" none
check "LUN with emulate_3pc=0: the reason names 3PC / third-party copy ($(rep_reasons $R $k | head -1))" \
    sh -c "echo '$(rep_reasons $R $k | tr "'" ' ')' | grep -qiE '3pc|third.party|extended copy'"
k=${VD_PLAIN##*/}
expect_eq "virtio disk ($k) mechanism" "$(rep_get $R $k .mechanism)" none
expect_eq "virtio disk verdict" "$(rep_get $R $k .verdict)" none
check "virtio disk: a reason is given ($(rep_reasons $R $k | head -1))" [ -n "$(rep_reasons $R $k)" ]
check "virtio disk: the reason says it is virtio / has no copy command" \
    sh -c "echo '$(rep_reasons $R $k | tr "'" ' ')' | grep -qiE 'virtio|no copy|cannot'"
