#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The lab's devices really offload, shown with the reference tools (nvme-cli, sg3_utils) and
# proven in the QEMU backing files by the host: the baseline the product's scenarios build on.
# Uses NS_LARGE LBA 400000.. and lio-a/lio-b offsets 48 MiB.. (nothing else uses them).
# NVMe Copy on the namespace with large limits: 2048 blocks at LBA 400000 -> 410000
m=$(fill $NS_LARGE 400000 2048)
run nvme copy $NS_LARGE --sdlba=410000 --slbs=400000 --blocks=2047 >/dev/null 2>&1
expect_eq "nvme copy 1 MiB within NS_LARGE, O_DIRECT read of the destination" "$(md5 $NS_LARGE 410000 2048)" "$m"
hostcheck_same "NVMe Copy by nvme-cli landed in a-large.img" a-large.img:$((400000*512)):1048576 a-large.img:$((410000*512)):1048576
# the limits are what QEMU was told
expect_eq "NS_SMALL mssrl (nvme id-ns)" "$(nvme id-ns $NS_SMALL | awk '/^mssrl/{print $3}')" 256
expect_eq "NS_SMALL mcl" "$(nvme id-ns $NS_SMALL | awk '/^mcl/{print $3}')" 1024
expect_eq "NS_SMALL msrc" "$(nvme id-ns $NS_SMALL | awk '/^msrc/{print $3}')" 7
# EXTENDED COPY between two LUNs of LIO target 1 (sg_xcopy), 1 MiB
m=$(fill $SD_T1A 98304 2048)
run sg_xcopy if=$SD_T1A of=$SD_T1B bs=512 count=2048 skip=98304 seek=100352 >/dev/null 2>&1
expect_eq "sg_xcopy T1A -> T1B (same target), O_DIRECT read of the destination" "$(md5 $SD_T1B 100352 2048)" "$m"
hostcheck_same "EXTENDED COPY by sg_xcopy landed in lio-b.img" lio-a.img:$((98304*512)):1048576 lio-b.img:$((100352*512)):1048576
# ... and LIO refuses it across targets
OUT=$(sg_xcopy if=$SD_T1A of=$SD_T2C bs=512 count=64 skip=98304 seek=98304 2>&1); rc=$?
check "sg_xcopy T1A -> T2C (different targets) is refused (rc=$rc: $(echo "$OUT" | tail -1))" [ $rc != 0 ]
check "the LUN with emulate_3pc=0 has no 3PC bit" sh -c "! sg_inq $SD_T1N | grep -q '3PC=1'"
check "a LUN of target 1 has the 3PC bit" sh -c "sg_inq $SD_T1A | grep -q '3PC=1'"
