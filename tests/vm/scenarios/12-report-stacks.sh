#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `offloadcp report --json` gives the right end-to-end verdict for partitions and dm stacks
# built on the lab's devices (guest/stacks.sh), with reasons, and shows their tables and
# lower devices by stable id.
. /lab/report.sh
. /lab/stacks.sh
stacks_build; stacks_env
R=/tmp/report-stacks.json
report_json $R || exit 1
verdict() { # DESC DEVICE WANT [REASON-REGEX]
    _k=${2##*/}
    rep_has $R $_k || { fail "$1 ($_k) is not in the report"; return; }
    expect_eq "$1 ($_k) verdict" "$(rep_get $R $_k .verdict)" "$3"
    if [ -n "${4:-}" ]; then
        _r=$(rep_reasons $R $_k | tr '\n' ' ')
        check "$1 reason matches /$4/: $_r" sh -c 'echo "$1" | grep -qiE "$2"' sh "$_r" "$4"
    fi
}
verdict "NVMe partition p1" $NS_B1P1 full
verdict "SCSI partition p1 (LIO LUN)" $SD_T1BP1 full
verdict "dm-linear with an offset on NS_SMALL" $DM_LIN full
verdict "dm-linear on dm-linear" $DM_LIN2 full
verdict "dm-linear on an NVMe partition" $DM_PLIN full
verdict "dm-linear over two LUNs of one LIO target" $DM_SLIN full
verdict "dm-crypt" $DM_CRYPT none 'crypt'
verdict "dm-linear across NVMe and SCSI" $DM_MIX partial 'nvme|scsi|between'
verdict "dm-striped over LUNs of two LIO targets" $DM_XSTR partial 'target|stripe|between'
# striped over two namespaces of controller A: chunks of one member copy with NVMe Copy; copies
# between the members need cross-namespace copy (QEMU 10 offers it in OCFS; the 6.12 kernel
# does not let user space enable it, 6.1 does)
case $LAB_KERNEL in
    6.12) verdict "dm-striped over two namespaces (kernel 6.12)" $DM_STR partial 'namespace|stripe|between' ;;
    *) k=${DM_STR##*/}; v=$(rep_get $R $k .verdict)
       check "dm-striped over two namespaces (kernel $LAB_KERNEL): full or partial ($v)" sh -c "[ '$v' = full ] || [ '$v' = partial ]"
       info "dm-striped reasons: $(rep_reasons $R $k | tr '\n' ' ')" ;;
esac
# the stacks as data: the table with the offset, lowers by stable id
k=${DM_LIN##*/}
check "lab_lin's table shows the linear segment with its offset" \
    sh -c "jq -r --arg n $k '.devices[] | select(.kname == \$n) | .dm_table[]' $R | grep -q 'linear.* 65536'"
expect_eq "lab_lin's lower is NS_SMALL by stable id" "$(rep_get $R $k '.lowers[0]')" "$(rep_stable_id $R ${NS_SMALL##*/})"
expect_eq "lab_lin2's lower is lab_lin" "$(rep_get $R ${DM_LIN2##*/} '.lowers[0]')" "$(rep_stable_id $R $k)"
expect_eq "lab_crypt's size" "$(rep_get $R ${DM_CRYPT##*/} .size)" $((65536 * 512))
