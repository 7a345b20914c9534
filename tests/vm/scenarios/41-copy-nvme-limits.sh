#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Splitting by the namespace's limits: 4 MiB on NS_SMALL (MSSRL 256, MCL 1024, MSRC 7 -> at
# most 8 ranges of at most 256 blocks, 1024 blocks per command) and 2 MiB on the 4K-LBA
# namespace (MSSRL 64, MCL 256, MSRC 15). QEMU 10 refuses any command over a limit (Command
# Size Limit Exceeded) and the copy would then fall back, so a fully offloaded copy without
# fallback and with the right data proves the splitting; it is done twice, with several commands
# in flight (io_uring passthrough) and with one (the ioctl). A misaligned offset on the 4K
# namespace is refused, naming the logical block size, and writes nothing.
# NS_SMALL holds the lab's dm stacks, so copies on the raw namespace need --force (the ranges
# used here are outside every stack).
. /lab/copy.sh
have_cmd copy || { fail "offloadcp has no copy subcommand"; exit 1; }
len=$((4 * 1048576)); so=$((340000 * 512)); do=$((360000 * 512))
data=$(fill $NS_SMALL 340000 8192)
if need_plan; then
    plan_json /tmp/p41.json $NS_SMALL $NS_SMALL --src-offset $so --dst-offset $do --length $len &&
    expect_eq "plan methods" "$(plan_methods /tmp/p41.json)" nvme-copy
    plan_nvme_commands /tmp/p41.json > /tmp/cmds41
    info "NVMe commands (ranges total max): $(tr '\n' ';' < /tmp/cmds41)"
    expect_eq "blocks in all commands" "$(awk '{s += $2} END {print s}' /tmp/cmds41)" 8192
    check "every command within MCL 1024, MSRC+1 = 8 ranges, MSSRL 256" \
        awk '$1 > 8 || $2 > 1024 || $3 > 256 {bad = 1} END {exit bad}' /tmp/cmds41
    check "several ranges batched per command" awk '$1 > 1 {m = 1} END {exit !m}' /tmp/cmds41
    check "at least 8 commands (8192 blocks / MCL 1024)" [ "$(wc -l < /tmp/cmds41)" -ge 8 ]
fi
copy_json /tmp/c41.json $NS_SMALL $NS_SMALL --src-offset $so --dst-offset $do --length $len --require-offload --force; rc=$?
expect_eq "copy exit status" $rc 0
expect_eq "methods used" "$(copy_methods /tmp/c41.json)" nvme-copy
expect_eq "no extent fell back (the device accepted every command)" "$(copy_fallbacks /tmp/c41.json)" 0
expect_eq "bytes offloaded" "$(copy_done /tmp/c41.json .bytes_offloaded)" $len
expect_eq "O_DIRECT read of the destination" "$(md5 $NS_SMALL 360000 8192)" "$data"
hostcheck_same "4 MiB split NVMe Copy landed in a-small.img" a-small.img:$so:$len a-small.img:$do:$len
# The same with one command in flight, which goes through the ioctl instead of io_uring
do1=$((380000 * 512))
copy_json /tmp/c41d.json $NS_SMALL $NS_SMALL --src-offset $so --dst-offset $do1 --length $len --require-offload --force --offload-depth 1; rc=$?
expect_eq "one command in flight: copy exit status" $rc 0
expect_eq "one command in flight: no extent fell back" "$(copy_fallbacks /tmp/c41d.json)" 0
expect_eq "one command in flight: bytes offloaded" "$(copy_done /tmp/c41d.json .bytes_offloaded)" $len
expect_eq "one command in flight: O_DIRECT read of the destination" "$(md5 $NS_SMALL 380000 8192)" "$data"
hostcheck_same "one command in flight: the copy landed in a-small.img" a-small.img:$so:$len a-small.img:$do1:$len
# the 4096-byte-LBA namespace
len=$((2 * 1048576)); so=$((1024 * 4096)); do=$((4096 * 4096))
data=$(fill $NS_4K 1024 512 4096)
if need_plan; then
    plan_json /tmp/p41b.json $NS_4K $NS_4K --src-offset $so --dst-offset $do --length $len
    plan_nvme_commands /tmp/p41b.json > /tmp/cmds41b
    expect_eq "4K namespace: blocks in all commands (4096-byte LBAs)" "$(awk '{s += $2} END {print s}' /tmp/cmds41b)" 512
    check "4K namespace: every command within MCL 256, 16 ranges, MSSRL 64" \
        awk '$1 > 16 || $2 > 256 || $3 > 64 {bad = 1} END {exit bad}' /tmp/cmds41b
fi
copy_json /tmp/c41b.json $NS_4K $NS_4K --src-offset $so --dst-offset $do --length $len --require-offload; rc=$?
expect_eq "4K namespace copy exit status" $rc 0
expect_eq "4K namespace: no extent fell back" "$(copy_fallbacks /tmp/c41b.json)" 0
expect_eq "4K namespace: O_DIRECT read of the destination" "$(md5 $NS_4K 4096 512 4096)" "$data"
hostcheck_same "NVMe Copy on the 4K namespace landed in b-4k.img" b-4k.img:$so:$len b-4k.img:$do:$len
before=$(md5 $NS_4K 8192 16 4096)
offloadcp copy $NS_4K $NS_4K --src-offset 512 --dst-offset $((8192 * 4096)) --length 65536 > /tmp/c41c.out 2>&1; rc=$?
cp /tmp/c41c.out "$ART/"
expect_eq "misaligned offset on the 4K namespace: exit status (usage)" $rc 2
check "the message names the 4096-byte logical block size: $(head -1 /tmp/c41c.out)" grep -q 4096 /tmp/c41c.out
expect_eq "nothing written" "$(md5 $NS_4K 8192 16 4096)" "$before"
