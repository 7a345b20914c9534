#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# nvmet passthru of controller P over NVMe/TCP on 127.0.0.1 (guest/nvmf.sh): the fabrics
# controller offers Copy, and a Copy sent through it lands in QEMU's backing file (p-ns1.img).
# Reference tools only; the product's report and copy through it are in later scenarios.
. /lab/nvmf.sh
nvmf_up || skip "$NVMF_WHY"
info "fabrics controller $FABRICS_CTRL ($(cat /sys/class/nvme/$FABRICS_CTRL/transport)), namespace $FABRICS_NS"
expect_eq "fabrics controller transport" "$(cat /sys/class/nvme/$FABRICS_CTRL/transport)" tcp
oncs=$(nvme id-ctrl /dev/$FABRICS_CTRL | awk '/^oncs /{print $3}')
check "fabrics controller reports Copy (ONCS $oncs bit 8)" [ $(( oncs & 0x100 )) -ne 0 ]
m=$(fill $NS_PT 0 256)
run nvme copy $FABRICS_NS --sdlba=20000 --slbs=0 --blocks=127 >/dev/null 2>&1
run nvme copy $FABRICS_NS --sdlba=20128 --slbs=128 --blocks=127 >/dev/null 2>&1
expect_eq "Copy through NVMe/TCP, read on the local namespace" "$(md5 $NS_PT 20000 256)" "$m"
hostcheck_same "Copy sent over NVMe/TCP landed in p-ns1.img" p-ns1.img:0:131072 p-ns1.img:$((20000*512)):131072
