#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# NVMe Copy between two dm-linear volumes with different offsets on one namespace: the plan
# sends namespace-absolute LBAs to the namespace (a passthrough to the dm node would use the
# dm device's own LBAs: the hazard), the data lands at the right LBAs (O_DIRECT and the
# backing file), the LBAs a raw passthrough would have hit are untouched, and a buffered read
# of the destination shows the new data afterwards.
. /lab/copy.sh; . /lab/stacks.sh; stacks_build; stacks_env
have_cmd copy || { fail "offloadcp has no copy subcommand"; exit 1; }
# destination volume: NS_SMALL LBA 200000.. (free in the stacks' layout)
dmsetup create s40_dst --table "0 32768 linear $NS_SMALL 200000"; DST=$(dm_node s40_dst)
SRC=$DM_LIN                                 # lab_lin: NS_SMALL LBA 65536..
len=1048576; doff=$((2048 * 512))           # 1 MiB from lab_lin LBA 0 to s40_dst LBA 2048
sentinel=$(fill $NS_SMALL 2048 2048)        # NS LBA 2048: where an unremapped command would write
data=$(fill $SRC 0 2048)
old=$(rdbuf $DST 2048 2048 | md5sum | cut -d' ' -f1)   # the page cache now holds the old data
if need_plan; then
    plan_json /tmp/p40.json $SRC $DST --dst-offset $doff --length $len &&
    expect_eq "plan methods" "$(plan_methods /tmp/p40.json)" nvme-copy &&
    expect_eq "first NVMe range: namespace LBAs (65536 -> 202048), not the dm devices' (0 -> 2048)" \
        "$(plan_nvme_first_slba /tmp/p40.json)" "65536 202048"
fi
copy_json /tmp/c40.json $SRC $DST --dst-offset $doff --length $len --require-offload; rc=$?
expect_eq "offloadcp copy exit status" $rc 0
expect_eq "methods used" "$(copy_methods /tmp/c40.json)" nvme-copy
expect_eq "bytes offloaded" "$(copy_done /tmp/c40.json .bytes_offloaded)" $len
expect_eq "O_DIRECT read of the destination volume" "$(md5 $DST 2048 2048)" "$data"
expect_eq "O_DIRECT read of the namespace at LBA 202048" "$(md5 $NS_SMALL 202048 2048)" "$data"
expect_eq "namespace LBA 2048 (the unremapped destination) untouched" "$(md5 $NS_SMALL 2048 2048)" "$sentinel"
check "the destination held other data before ($old)" [ "$old" != "$data" ]
expect_eq "buffered read of the destination after the copy shows the new data" "$(rdbuf $DST 2048 2048 | md5sum | cut -d' ' -f1)" "$data"
hostcheck_same "NVMe Copy through dm-linear landed at namespace LBA 202048 (a-small.img)" \
    a-small.img:$((65536 * 512)):$len a-small.img:$((202048 * 512)):$len
