#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The documented device set is there (found by serial / nsid / LUN serial), and the project's
# CLI runs in the guest.
# lab-boots: 1 2
for v in CTRL_A CTRL_B NS_SMALL NS_LARGE NS_B1 NS_4K VD_PLAIN VD_RESULTS VD_LIOA VD_LIOB VD_LIOC \
         SD_T1A SD_T1B SD_T1F SD_T1N SD_T2C; do
    eval "val=\$$v"; check "$v found ($val)" [ -n "$val" ]
done
check "CTRL_P found ($CTRL_P) with nsid 1 ($NS_PT)" [ -n "$CTRL_P" ] && [ -n "$NS_PT" ]
if [ "$LAB_QEMU" = 10 ]; then check "zoned namespace nsid 3 of OFFLCTRLA found ($NS_ZONED)" [ -n "$NS_ZONED" ]; fi
expect_eq "logical block size of the 4K namespace" "$(blockdev --getss "$NS_4K")" 4096
check "offloadcp runs in the guest: $(offloadcp --version 2>&1 | head -1)" offloadcp --version
