#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# dm-striped: pieces on the same device offload, the others fall back with a reason.
# (a) lab_xstr (2 x 64 KiB chunks over LUNs of two LIO targets): a copy to an offset that is a
#     multiple of the stripe width keeps every chunk on its LUN -> all EXTENDED COPY; shifted by
#     one chunk, every chunk changes target -> all read/write, with the reason.
# (b) lab_str (over two namespaces of controller A) -> a dm-linear volume on one of them: the
#     chunks on that namespace use NVMe Copy, the others need a cross-namespace copy, which
#     the 6.12 kernel does not let user space enable.
. /lab/copy.sh; . /lab/stacks.sh; stacks_build; stacks_env
have_cmd copy || { fail "offloadcp has no copy subcommand"; exit 1; }
len=262144
data=$(fill $DM_XSTR 0 512)
copy_json /tmp/c42a.json $DM_XSTR $DM_XSTR --dst-offset 1048576 --length $len --require-offload; rc=$?
expect_eq "congruent offset: copy exit status" $rc 0
expect_eq "congruent offset: methods used" "$(copy_methods /tmp/c42a.json)" scsi-xcopy
expect_eq "congruent offset: O_DIRECT read of the destination" "$(md5 $DM_XSTR 2048 512)" "$data"
off=$((1048576 + 65536 * 3))   # shifted by one chunk
copy_json /tmp/c42b.json $DM_XSTR $DM_XSTR --dst-offset $off --length $len; rc=$?
expect_eq "shifted by one chunk: copy exit status" $rc 0
expect_eq "shifted by one chunk: planned methods" "$(copy_planned /tmp/c42b.json)" read-write
check "shifted by one chunk: the reason names the targets: $(copy_reasons /tmp/c42b.json | head -1)" \
    sh -c "jq -s -r 'map(select(.event == \"start\")) | last | .extents[].reason' /tmp/c42b.json | grep -qi target"
expect_eq "shifted: O_DIRECT read of the destination" "$(md5 $DM_XSTR $((off / 512)) 512)" "$data"
# (b) lab_str -> s42_dst (NS_SMALL LBA 230000..)
dmsetup create s42_dst --table "0 4096 linear $NS_SMALL 230000"; DST=$(dm_node s42_dst)
len=1048576
data=$(fill $DM_STR 0 2048)
copy_json /tmp/c42c.json $DM_STR $DST --length $len; rc=$?
expect_eq "striped -> linear copy exit status" $rc 0
nv=$(copy_done /tmp/c42c.json '.bytes_by_method["nvme-copy"] // 0'); rw=$(copy_done /tmp/c42c.json '.bytes_by_method["read-write"] // 0')
info "striped -> linear: nvme-copy $nv bytes, read-write $rw bytes; reasons: $(copy_reasons /tmp/c42c.json | sort -u | tr '\n' ' ')"
check "the chunks on NS_SMALL used NVMe Copy (>= 512 KiB: $nv)" [ "${nv:-0}" -ge 524288 ]
if [ "$LAB_KERNEL" = 6.12 ]; then
    expect_eq "kernel 6.12 (no cross-namespace copy): the other chunks read/write" "$rw" 524288
    check "their reason names the namespaces" sh -c "jq -s -r 'map(select(.event == \"start\")) | last | .extents[] | select(.method == \"read-write\") | .reason' /tmp/c42c.json | grep -qi namespace"
else
    # Linux 6.1 lets user space enable Host Behavior Support CDFE: the chunks that cross
    # namespaces go by NVMe Copy format 2 too.
    expect_eq "kernel $LAB_KERNEL (cross-namespace copy enabled): every chunk by NVMe Copy" "$nv" 1048576
    check "a cross-namespace (format 2) extent was planned" sh -c "jq -s -r 'map(select(.event == \"start\")) | last | .extents[] | select(.method == \"nvme-copy\") | .reason' /tmp/c42c.json | grep -qi 'cross-namespace'"
fi
expect_eq "striped -> linear: O_DIRECT read of the destination" "$(md5 $DST 0 2048)" "$data"
