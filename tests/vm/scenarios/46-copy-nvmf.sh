#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# NVMe Copy through nvmet passthru over NVMe/TCP (127.0.0.1): offloadcp copies on the fabrics
# namespace; the data lands on controller P's namespace without crossing the network.
. /lab/copy.sh; . /lab/nvmf.sh
nvmf_up || skip "$NVMF_WHY"
have_cmd copy || { fail "offloadcp has no copy subcommand"; exit 1; }
len=524288
data=$(fill $FABRICS_NS 30000 1024)
plan_json /tmp/p46.json $FABRICS_NS $FABRICS_NS --src-offset $((30000 * 512)) --dst-offset $((40000 * 512)) --length $len || exit 1
expect_eq "plan methods" "$(plan_methods /tmp/p46.json)" nvme-copy
copy_json /tmp/c46.json $FABRICS_NS $FABRICS_NS --src-offset $((30000 * 512)) --dst-offset $((40000 * 512)) --length $len --require-offload; rc=$?
expect_eq "copy exit status" $rc 0
expect_eq "bytes offloaded" "$(copy_done /tmp/c46.json .bytes_offloaded)" $len
expect_eq "O_DIRECT read on the local namespace of controller P" "$(md5 $NS_PT 40000 1024)" "$data"
hostcheck_same "Copy over NVMe/TCP by offloadcp landed in p-ns1.img" p-ns1.img:$((30000 * 512)):$len p-ns1.img:$((40000 * 512)):$len
