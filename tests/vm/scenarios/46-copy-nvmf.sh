#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# NVMe Copy through nvmet passthru over NVMe/TCP (127.0.0.1): offloadcp copies on the fabrics
# namespace; the data lands on controller P's namespace without crossing the network.
. /lab/copy.sh; . /lab/nvmf.sh
nvmf_up || skip "$NVMF_WHY"
have_cmd copy || { fail "offloadcp has no copy subcommand"; exit 1; }
len=524288; so=$((30000 * 512)); do=$((40000 * 512))
data=$(fill $FABRICS_NS 30000 1024)
copy_json /tmp/c46.json $FABRICS_NS $FABRICS_NS --src-offset $so --dst-offset $do --length $len --require-offload; rc=$?
expect_eq "copy exit status" $rc 0
expect_eq "methods used" "$(copy_methods /tmp/c46.json)" nvme-copy
expect_eq "bytes offloaded" "$(copy_done /tmp/c46.json .bytes_offloaded)" $len
expect_eq "O_DIRECT read on the local namespace of controller P" "$(md5 $NS_PT 40000 1024)" "$data"
hostcheck_same "Copy over NVMe/TCP by offloadcp landed in p-ns1.img" p-ns1.img:$so:$len p-ns1.img:$do:$len
