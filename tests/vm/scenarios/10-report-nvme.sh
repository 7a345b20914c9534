#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `offloadcp report --json` shows what QEMU's NVMe controllers offer, per namespace: ONCS and
# OCFS (checked against nvme-cli's Identify Controller), MSSRL/MCL/MSRC (against the QEMU
# command line and nvme-cli's Identify Namespace), the LBA size, serial and nsid, and a
# "full" verdict for copies within a Copy-capable namespace.
. /lab/report.sh
R=/tmp/report.json
report_json $R || exit 1
num() { printf '%d' "$1" 2>/dev/null; }   # 0x75d -> 1885
idctrl() { [ -s /tmp/idctrl.$1 ] || nvme id-ctrl /dev/$1 > /tmp/idctrl.$1; num "$(awk -v f="$2" '$1 == f {print $3}' /tmp/idctrl.$1)"; }
idns() { [ -s /tmp/idns.${1##*/} ] || nvme id-ns "$1" > /tmp/idns.${1##*/}; awk -v f="$2" '$1 == f {print $3}' /tmp/idns.${1##*/}; }

# namespace variable : controller variable : controller serial : nsid : mssrl mcl msrc : LBA bytes
for e in "NS_SMALL:CTRL_A:OFFLCTRLA:1:256 1024 7:512" "NS_LARGE:CTRL_A:OFFLCTRLA:2:65535 65535 127:512" \
         "NS_B1:CTRL_B:OFFLCTRLB:1:128 512 3:512" "NS_4K:CTRL_B:OFFLCTRLB:2:64 256 15:4096" \
         "NS_PT:CTRL_P:OFFLCTRLP:1:128 1024 7:512"; do
    IFS=: read -r v cv serial nsid lim lba <<EOT
$e
EOT
    eval "dev=\$$v; ctrl=\$$cv"; k=${dev##*/}
    rep_has $R $k || { fail "$v ($k) is not in the report"; continue; }
    expect_eq "$v ($k) mechanism" "$(rep_get $R $k .mechanism)" nvme-copy
    expect_eq "$v serial" "$(rep_get $R $k .serial)" "$serial"
    expect_eq "$v nsid" "$(rep_get $R $k .nsid)" "$nsid"
    expect_eq "$v ONCS = nvme id-ctrl $ctrl" "$(rep_get $R $k .capability.oncs)" "$(idctrl $ctrl oncs)"
    check "$v ONCS has Copy (bit 8)" [ $(( $(rep_get $R $k .capability.oncs) & 256 )) -ne 0 ]
    expect_eq "$v copy flag" "$(rep_get $R $k .capability.copy)" true
    expect_eq "$v OCFS = nvme id-ctrl $ctrl" "$(rep_get $R $k .capability.ocfs)" "$(idctrl $ctrl ocfs)"
    set -- $lim
    expect_eq "$v MSSRL (QEMU mssrl=$1)" "$(rep_get $R $k .limits.mssrl)" "$1"
    expect_eq "$v MCL (QEMU mcl=$2)" "$(rep_get $R $k .limits.mcl)" "$2"
    expect_eq "$v MSRC (QEMU msrc=$3)" "$(rep_get $R $k .limits.msrc)" "$3"
    expect_eq "$v MSSRL = nvme id-ns" "$(rep_get $R $k .limits.mssrl)" "$(idns $dev mssrl)"
    expect_eq "$v LBA bytes" "$(rep_get $R $k .capability.lba_bytes)" "$lba"
    expect_eq "$v logical block size" "$(rep_get $R $k .logical_block_size)" "$lba"
    expect_eq "$v verdict for copies within it" "$(rep_get $R $k .verdict)" full
done
# QEMU 10: Copy, and descriptor formats 0-3 (cross-namespace copy)
[ "$LAB_QEMU" = 10 ] && expect_eq "QEMU 10 OCFS (formats 0h-3h)" "$(rep_get $R ${NS_SMALL##*/} .capability.ocfs)" 15
# the zoned namespace: listed as host-managed zoned, with its limits
if [ -n "$NS_ZONED" ]; then
    k=${NS_ZONED##*/}
    check "zoned namespace ($k) is in the report" rep_has $R $k
    expect_eq "zoned namespace MSSRL" "$(rep_get $R $k .limits.mssrl)" 256
    info "zoned namespace: verdict $(rep_get $R $k .verdict): $(rep_reasons $R $k | head -2 | tr '\n' ' ')"
fi
# the fabrics namespace (NVMe/TCP passthru of controller P, set up by 03-nvmf-tcp on 6.12)
if [ -e /run/lab/nvmf-up ]; then
    . /run/lab/nvmf-up; k=${FABRICS_NS##*/}
    check "NVMe/TCP namespace ($k) is in the report" rep_has $R $k
    expect_eq "NVMe/TCP namespace mechanism" "$(rep_get $R $k .mechanism)" nvme-copy
    expect_eq "NVMe/TCP namespace MSSRL (passed through from QEMU)" "$(rep_get $R $k .limits.mssrl)" 128
    expect_eq "NVMe/TCP namespace verdict" "$(rep_get $R $k .verdict)" full
fi
