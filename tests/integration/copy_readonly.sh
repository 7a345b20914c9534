#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `offloadcp copy` never writes through a layer whose kernel read-only flag is set: a loop
# device with a partition (losetup -P); `blockdev --setro` on the whole loop device, then
# on the partition alone, and a copy into the partition each time. Checks the exit code
# (2, also with --force), that the message names the read-only layer and says
# `blockdev --setrw`, and that the destination's bytes are unchanged (O_DIRECT md5); then
# that the same copy works once the flags are cleared. Needs root and losetup -P; exits 77
# (skip) otherwise.   OFFLOADCP=path/to/offloadcp  (set by ctest)
. "$(dirname "$0")/lib/common.sh"

set -uo pipefail

OFFLOADCP=${OFFLOADCP:-offloadcp}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (loop devices)"; exit 77; }
for tool in losetup blockdev; do
    command -v "$tool" >/dev/null || { echo "SKIP: needs $tool"; exit 77; }
done
[ -x "$OFFLOADCP" ] || command -v "$OFFLOADCP" >/dev/null || { echo "SKIP: no offloadcp binary"; exit 77; }

WORK=$(mktemp -d "${OFFLOADCP_TEST_DIR:-/var/tmp}/offloadcp-copy-ro.XXXXXX")
DISK=
MADE_NODE=
cleanup() {
    [ -n "$DISK" ] && blockdev --setrw "$DISK" "${DISK}p1" 2>/dev/null
    detach_loops_under "$WORK"
    [ -n "$MADE_NODE" ] && rm -f "$MADE_NODE"
    rm -rf "$WORK"
}
trap cleanup EXIT

dmd5() { dd if="$1" iflag=direct,skip_bytes,count_bytes skip="$2" count="$3" bs=1M status=none | md5sum | cut -d' ' -f1; }
MiB=$((1024 * 1024))

echo "== setup: a 16 MiB source and a 64 MiB disk with partition 1 (1 MiB..33 MiB)"
head -c $((16 * MiB)) /dev/urandom >"$WORK/src.img"
head -c $((64 * MiB)) /dev/urandom >"$WORK/disk.img"
# An MBR with one type 0x83 entry: LBA 2048, 65536 sectors (written by hand: no sfdisk needed).
le32() { printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255)))"; }
dd if=/dev/zero of="$WORK/disk.img" bs=512 count=1 conv=notrunc status=none
{ printf '\000\376\377\377\203\376\377\377'; le32 2048; le32 65536; } |
    dd of="$WORK/disk.img" bs=1 seek=446 conv=notrunc status=none
printf '\125\252' | dd of="$WORK/disk.img" bs=1 seek=510 conv=notrunc status=none
SRC=$(losetup --direct-io=on -f --show "$WORK/src.img") || { echo "SKIP: losetup failed"; exit 77; }
DISK=$(losetup --direct-io=on -P -f --show "$WORK/disk.img") || { echo "SKIP: losetup -P failed"; exit 77; }
PART=${DISK}p1
sysfs_part=/sys/class/block/${DISK##*/}/${DISK##*/}p1
for _ in 1 2 3 4 5; do [ -e "$sysfs_part" ] && break; sleep 0.2; done
# A kernel without the MBR parser (CONFIG_MSDOS_PARTITION) finds none: add it by BLKPG.
[ -e "$sysfs_part" ] || { command -v addpart >/dev/null && addpart "$DISK" 1 2048 65536; }
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -b "$PART" ] && break; sleep 0.2; done
if [ ! -b "$PART" ] && [ -e "$sysfs_part/dev" ]; then # no devtmpfs node: make it from sysfs
    IFS=: read -r maj min <"$sysfs_part/dev"; mknod "$PART" b "$maj" "$min" && MADE_NODE=$PART
fi
[ -b "$PART" ] || { echo "SKIP: no partition $PART (neither losetup -P nor addpart made one)"; exit 77; }
check "partition 1 starts at sector 2048" [ "$(cat "$sysfs_part/start")" = 2048 ]
DISK_BYTES=$((64 * MiB))
before=$(dmd5 "$DISK" 0 "$DISK_BYTES")

refused() { # what layer: copy SRC into the partition, expect exit 2 naming `layer`, nothing written
    local what=$1 layer=$2; shift 2
    "$OFFLOADCP" copy "$SRC" "$PART" --length 4M "$@" >"$WORK/out" 2>&1; rc=$?
    sed 's/^/    /' "$WORK/out" | head -3
    check "$what: refused with exit 2" [ "$rc" = 2 ]
    check "$what: message names $layer as read-only" grep -q "^offloadcp[a-z ]*: $layer: .*read-only" "$WORK/out"
    check "$what: message says blockdev --setrw $layer" grep -q "blockdev --setrw $layer" "$WORK/out"
    check "$what: the disk's bytes are unchanged" [ "$(dmd5 "$DISK" 0 "$DISK_BYTES")" = "$before" ]
}

echo "== 1. blockdev --setro on the whole loop device, copy into its partition"
blockdev --setro "$DISK"
refused "disk read-only" "$DISK"
refused "disk read-only, --force" "$DISK" --force
"$OFFLOADCP" plan "$SRC" "$PART" --length 4M >"$WORK/out" 2>&1; rc=$?
check "plan refuses the same way (exit 2)" [ "$rc" = 2 ]
blockdev --setrw "$DISK"

echo "== 2. blockdev --setro on the partition only"
blockdev --setro "$PART"
check "the disk itself is writable" [ "$(blockdev --getro "$DISK")" = 0 ]
refused "partition read-only" "$PART"
"$OFFLOADCP" copy "$SRC" "$PART" --length 4M --json >"$WORK/out.json" 2>"$WORK/err"; rc=$?
check "--json: exit 2 too" [ "$rc" = 2 ]
check "--json: the error names the partition" grep -q "$PART" "$WORK/out.json" "$WORK/err"
blockdev --setrw "$PART"

echo "== 3. writable again: the same copy lands in the partition"
"$OFFLOADCP" copy "$SRC" "$PART" --length 4M >"$WORK/out" 2>&1; rc=$?
check "copy exits 0" [ "$rc" = 0 ]
check "the 4 MiB landed at the partition's start (1 MiB into the disk)" \
    [ "$(dmd5 "$SRC" 0 $((4 * MiB)))" = "$(dmd5 "$DISK" $((1 * MiB)) $((4 * MiB)))" ]


echo "== $fails failure(s)"
[ "$fails" = 0 ]
