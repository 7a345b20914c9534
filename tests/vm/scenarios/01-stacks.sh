#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the standard partitions and dm stacks (guest/stacks.sh) and checks the kernel shows
# them as documented: partition starts, dm tables, holders/slaves links.
. /lab/stacks.sh
stacks_build; stacks_env
for v in NS_B1P1 NS_B1P2 SD_T1BP1 DM_LIN DM_LIN2 DM_STR DM_CRYPT DM_MIX DM_PLIN DM_SLIN DM_XSTR; do
    eval "val=\$$v"; check "$v exists ($val)" [ -b "$val" ]
done
expect_eq "NS_B1 p2 start" "$(cat /sys/class/block/${NS_B1P2##*/}/start)" 34816
expect_eq "SD_T1B p1 size" "$(cat /sys/class/block/${SD_T1BP1##*/}/size)" 65536
slaves() { ls /sys/block/${1##*/}/slaves | tr '\n' ' ' | sed 's/ $//'; }
expect_eq "lab_lin2 sits on lab_lin" "$(slaves $DM_LIN2)" "${DM_LIN##*/}"
expect_eq "lab_lin sits on NS_SMALL" "$(slaves $DM_LIN)" "${NS_SMALL##*/}"
expect_eq "lab_plin sits on NS_B1 p2" "$(slaves $DM_PLIN)" "${NS_B1P2##*/}"
check "lab_mix sits on NS_LARGE and SD_T1A" sh -c "ls /sys/block/${DM_MIX##*/}/slaves | grep -qx ${NS_LARGE##*/} && ls /sys/block/${DM_MIX##*/}/slaves | grep -qx ${SD_T1A##*/}"
expect_eq "lab_crypt target" "$(dmsetup table lab_crypt | awk '{print $3}')" crypt
expect_eq "lab_str target" "$(dmsetup table lab_str | awk '{print $3, $4, $5}')" "striped 2 128"
# data written through lab_lin2 at its LBA 0 lands at NS_SMALL LBA 65536 + 32768
m=$(fill $DM_LIN2 0 8); dropcaches
expect_eq "lab_lin2 LBA 0 is NS_SMALL LBA 98304" "$(md5 $NS_SMALL 98304 8)" "$m"
