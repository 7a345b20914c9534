#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `offloadcp copy` on real block devices: loop devices with --direct-io=on over files.
# 1 GiB read/write copy checked with md5 of O_DIRECT reads, offsets (nothing written
# outside the range), JSON events, refusals (misaligned, mounted destination,
# --require-offload), Ctrl-C, and regular files on ext4 (copy_file_range) and XFS
# (reflink) images. Needs root and loop devices; exits 77 (skip) otherwise.
#   OFFLOADCP=path/to/offloadcp  (set by ctest)   COPY_LOOP_MIB=1024 (size of the big copy)
. "$(dirname "$0")/lib/common.sh"

set -uo pipefail

OFFLOADCP=${OFFLOADCP:-offloadcp}
SIZE_MIB=${COPY_LOOP_MIB:-1024}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (loop devices)"; exit 77; }
command -v losetup >/dev/null && command -v jq >/dev/null || { echo "SKIP: needs losetup and jq"; exit 77; }
[ -x "$OFFLOADCP" ] || command -v "$OFFLOADCP" >/dev/null || { echo "SKIP: no offloadcp binary"; exit 77; }
"$OFFLOADCP" copy --help >/dev/null 2>&1 || { echo "FAIL: offloadcp has no copy subcommand"; exit 1; }

# Backing files must live on a disk filesystem (O_DIRECT), not tmpfs.
WORK=$(mktemp -d "${OFFLOADCP_TEST_DIR:-/var/tmp}/offloadcp-copy-loop.XXXXXX")
MOUNTS=()
cleanup() {
    for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null; done
    detach_loops_under "$WORK"
    rm -rf "$WORK"
}
trap cleanup EXIT

newloop() { # file -> loop device with direct I/O
    local dev
    dev=$(losetup --direct-io=on -f --show "$1") || { echo "SKIP: losetup failed"; exit 77; }
    echo "$dev"
}
# md5 of [offset, offset+len) read with O_DIRECT (what is on the medium, not the page cache)
dmd5() { dd if="$1" iflag=direct,skip_bytes,count_bytes skip="$2" count="$3" bs=1M status=none | md5sum | cut -d' ' -f1; }
zeros_md5() { head -c "$1" /dev/zero | md5sum | cut -d' ' -f1; }

MiB=$((1024 * 1024))
BYTES=$((SIZE_MIB * MiB))

echo "== setup: ${SIZE_MIB} MiB source and destination loop devices in $WORK"
head -c "$BYTES" /dev/urandom >"$WORK/src.img"
dd if=/dev/zero of="$WORK/dst.img" bs=1M count="$SIZE_MIB" status=none
SRC=$(newloop "$WORK/src.img")
DST=$(newloop "$WORK/dst.img")
[ -n "$SRC" ] && [ -n "$DST" ] || { echo "SKIP: cannot set up loop devices"; exit 77; }

echo "== 1. whole-device read/write copy with --verify"
out=$("$OFFLOADCP" copy "$SRC" "$DST" --verify 2>&1); rc=$?
echo "$out" | tail -3
check "copy exits 0" [ "$rc" = 0 ]
check "data identical (O_DIRECT md5)" [ "$(dmd5 "$SRC" 0 "$BYTES")" = "$(dmd5 "$DST" 0 "$BYTES")" ]
check "verify reported a match" grep -q "match" <<<"$out"

echo "== 2. offsets: 5 MiB from source 1 MiB to destination 3 MiB, nothing else written"
dd if=/dev/zero of="$DST" bs=1M count=16 oflag=direct status=none
json=$("$OFFLOADCP" copy "$SRC" "$DST" --src-offset 1M --dst-offset 3M --length 5M --json); rc=$?
check "offset copy exits 0" [ "$rc" = 0 ]
check "range landed at the destination offset" [ "$(dmd5 "$SRC" $((1 * MiB)) $((5 * MiB)))" = "$(dmd5 "$DST" $((3 * MiB)) $((5 * MiB)))" ]
check "bytes before the range untouched" [ "$(dmd5 "$DST" 0 $((3 * MiB)))" = "$(zeros_md5 $((3 * MiB)))" ]
check "bytes after the range untouched" [ "$(dmd5 "$DST" $((8 * MiB)) $((8 * MiB)))" = "$(zeros_md5 $((8 * MiB)))" ]
check "json: start, progress and done lines carry schema_version" \
    [ "$(jq -s '[.[] | select(.schema_version == 1) | .event] | (index("start") == 0) and (.[-1] == "done")' <<<"$json")" = true ]
check "json: done says ok, 5 MiB by read-write" \
    [ "$(jq -s '.[-1] | .status == "ok" and .bytes_done == 5242880 and .bytes_by_method["read-write"] == 5242880' <<<"$json")" = true ]
check "json: the plan says why read/write" [ "$(jq -s -r '.[0].extents[0].reason | length > 0' <<<"$json")" = true ]

echo "== 3. refusals change nothing"
before=$(dmd5 "$DST" 0 $((16 * MiB)))
"$OFFLOADCP" copy "$SRC" "$DST" --src-offset 100 --length 1M >"$WORK/out" 2>&1; rc=$?
check "misaligned offset refused with exit 2" [ "$rc" = 2 ]
check "misaligned message names the logical block size" grep -q "512" "$WORK/out"
"$OFFLOADCP" copy "$SRC" "$DST" --require-offload --length 1M >"$WORK/out" 2>&1; rc=$?
check "--require-offload on loop devices refused with exit 6" [ "$rc" = 6 ]
"$OFFLOADCP" copy "$SRC" "$SRC" --src-offset 0 --dst-offset 1M --length 4M >"$WORK/out" 2>&1; rc=$?
check "overlapping ranges on one device refused with exit 2" [ "$rc" = 2 ]
check "destination unchanged after refusals" [ "$(dmd5 "$DST" 0 $((16 * MiB)))" = "$before" ]

echo "== 4. a mounted destination is refused"
dd if=/dev/zero of="$WORK/fs.img" bs=1M count=64 status=none
FS=$(newloop "$WORK/fs.img")
mkfs.ext4 -q -F "$FS" && mkdir -p "$WORK/mnt" && mount "$FS" "$WORK/mnt" && MOUNTS+=("$WORK/mnt")
fsmd5=$(dmd5 "$FS" 0 $((1 * MiB)))
"$OFFLOADCP" copy "$SRC" "$FS" --length 1M >"$WORK/out" 2>&1; rc=$?
check "mounted destination refused with exit 5" [ "$rc" = 5 ]
check "the refusal says mounted" grep -q "mounted" "$WORK/out"
check "mounted destination unchanged" [ "$(dmd5 "$FS" 0 $((1 * MiB)))" = "$fsmd5" ]
umount "$WORK/mnt" && MOUNTS=()

echo "== 5. Ctrl-C cancels cleanly and says how far it got"
"$OFFLOADCP" copy "$SRC" "$DST" --io-size 4K --io-depth 1 >"$WORK/out" 2>&1 &
pid=$!
sleep 0.7
kill -INT "$pid"
wait "$pid"; rc=$?
check "interrupted copy exits 130" [ "$rc" = 130 ]
check "it says how far it got" grep -q "Cancelled after copying" "$WORK/out"

echo "== 6. regular files on an ext4 image (copy_file_range)"
mkfs.ext4 -q -F "$FS" && mount "$FS" "$WORK/mnt" && MOUNTS+=("$WORK/mnt")
head -c $((8 * MiB)) /dev/urandom >"$WORK/mnt/a"
json=$("$OFFLOADCP" copy "$WORK/mnt/a" "$WORK/mnt/b" --verify --json); rc=$?
check "file copy exits 0" [ "$rc" = 0 ]
check "file copy identical" cmp -s "$WORK/mnt/a" "$WORK/mnt/b"
check "ext4: no reflink, copied by copy_file_range" \
    [ "$(jq -s '.[-1].bytes_by_method["copy-file-range"] == 8388608' <<<"$json")" = true ]
check "file copy verified" [ "$(jq -s '.[-1].verify.match' <<<"$json")" = true ]
json=$("$OFFLOADCP" copy "$WORK/mnt/a" "$WORK/mnt/c" --no-offload --json); rc=$?
check "--no-offload file copy by read/write" \
    [ "$rc" = 0 ] && [ "$(jq -s '.[-1].bytes_by_method["read-write"] == 8388608' <<<"$json")" = true ]
check "--no-offload file copy identical" cmp -s "$WORK/mnt/a" "$WORK/mnt/c"
umount "$WORK/mnt" && MOUNTS=()

echo "== 7. regular files on an XFS image (reflink: FICLONERANGE)"
if command -v mkfs.xfs >/dev/null && dd if=/dev/zero of="$WORK/xfs.img" bs=1M count=320 status=none; then
    XFS=$(newloop "$WORK/xfs.img")
    if mkfs.xfs -q -f -m reflink=1 "$XFS" && mount "$XFS" "$WORK/mnt"; then
        MOUNTS+=("$WORK/mnt")
        head -c $((8 * MiB)) /dev/urandom >"$WORK/mnt/a"
        json=$("$OFFLOADCP" copy "$WORK/mnt/a" "$WORK/mnt/b" --json); rc=$?
        check "xfs file copy exits 0" [ "$rc" = 0 ]
        check "xfs file copy identical" cmp -s "$WORK/mnt/a" "$WORK/mnt/b"
        check "xfs: cloned (file-clone bytes)" \
            [ "$(jq -s '.[-1].bytes_by_method["file-clone"] == 8388608' <<<"$json")" = true ]
        umount "$WORK/mnt" && MOUNTS=()
    else
        echo "SKIP: no XFS support in this kernel"
    fi
else
    echo "SKIP: mkfs.xfs not installed (xfsprogs)"
fi

echo "== $fails failure(s)"
[ "$fails" = 0 ]
