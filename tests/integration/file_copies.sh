#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `offloadcp plan` / `copy` with regular files on real filesystems (issue 16): XFS with
# reflink, XFS without, ext4, each on a loop device. What plan promises between two
# filesystems, --require-offload that fails with exit 6 and leaves nothing behind, byte
# counts by what moved them (cloned / host), the fallback text, a symbolic link as the
# destination, pseudo filesystems (procfs, sysfs, devtmpfs), --truncate against the
# default, a device source into a file on its own filesystem, and the done record's status
# after a verify mismatch. Needs root, loop devices, mkfs.xfs, mkfs.ext4 and jq; exits 77
# (skip) otherwise.
. "$(dirname "$0")/lib/common.sh"

set -uo pipefail

OFFLOADCP=${OFFLOADCP:-offloadcp}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (loop devices, mounts)"; exit 77; }
for tool in losetup jq mkfs.xfs mkfs.ext4; do
    command -v "$tool" >/dev/null || { echo "SKIP: needs $tool"; exit 77; }
done
[ -x "$OFFLOADCP" ] || command -v "$OFFLOADCP" >/dev/null || { echo "SKIP: no offloadcp binary"; exit 77; }

WORK=$(mktemp -d "${OFFLOADCP_TEST_DIR:-/var/tmp}/offloadcp-file-copies.XXXXXX")
MOUNTS=()
cleanup() {
    for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null; done
    detach_loops_under "$WORK"
    rm -f "/dev/offloadcp-file-copies-$$"
    rm -rf "$WORK"
}
trap cleanup EXIT

MiB=$((1024 * 1024))
# mkfs_mount NAME MKFS... : a 320 MiB image on a loop device, made and mounted on $WORK/NAME
mkfs_mount() {
    local name=$1 dev
    shift
    truncate -s 320M "$WORK/$name.img"
    dev=$(losetup -f --show "$WORK/$name.img") || { echo "SKIP: losetup failed" >&2; exit 77; }
    "$@" "$dev" >/dev/null 2>&1 || { echo "SKIP: $* failed" >&2; exit 77; }
    mkdir -p "$WORK/$name"
    mount "$dev" "$WORK/$name" || { echo "SKIP: cannot mount $name" >&2; exit 77; }
    echo "$dev"
}
XFS_DEV=$(mkfs_mount xfs mkfs.xfs -q -f -m reflink=1) || exit 77
mkfs_mount xfs0 mkfs.xfs -q -f -m reflink=0 >/dev/null || exit 77
EXT4_DEV=$(mkfs_mount ext4 mkfs.ext4 -q -F) || exit 77
# The mounts above ran in subshells: record them here for the clean-up.
MOUNTS=("$WORK/xfs" "$WORK/xfs0" "$WORK/ext4")
X=$WORK/xfs X0=$WORK/xfs0 E=$WORK/ext4
head -c $((8 * MiB)) /dev/urandom >"$X/a"
head -c $((8 * MiB)) /dev/urandom >"$X0/a"
head -c $((8 * MiB)) /dev/urandom >"$E/a"

echo "== 1. two filesystems: plan promises no offload, --require-offload writes nothing"
plan=$("$OFFLOADCP" plan "$X/a" "$E/b" --json); rc=$?
check "plan exits 0" [ "$rc" = 0 ]
check "plan: read-write between XFS and ext4" [ "$(jq -r '.extents[0].method' <<<"$plan")" = read-write ]
check "plan: offloaded share 0" [ "$(jq '.plan.offloaded_share' <<<"$plan")" = 0 ]
"$OFFLOADCP" copy "$X/a" "$E/b" --require-offload >"$WORK/out" 2>&1; rc=$?
check "--require-offload across filesystems exits 6" [ "$rc" = 6 ]
check "... and created nothing" [ ! -e "$E/b" ]

echo "== 2. XFS without reflink: the promised clone is declined"
"$OFFLOADCP" copy "$X0/a" "$X0/b" --require-offload >"$WORK/out" 2>&1; rc=$?
check "declined reflink under --require-offload exits 6" [ "$rc" = 6 ]
check "... and leaves no file behind" [ ! -e "$X0/b" ]
"$OFFLOADCP" copy "$X0/a" "$X0/c" >"$WORK/out" 2>&1; rc=$?
check "without --require-offload it copies" eval '[ "$rc" = 0 ] && cmp -s "$X0/a" "$X0/c"'
check "the text says copy_file_range took over" grep -q "copied with copy_file_range instead" "$WORK/out"
check "... not 'falling back to read/write'" eval '! grep -q "falling back to read/write" "$WORK/out"'
json=$("$OFFLOADCP" copy "$X0/a" "$X0/d" --json); rc=$?
check "the kernel's copy_file_range counts as host bytes" \
    [ "$(jq -s '.[-1] | .bytes_host == 8388608 and .bytes_offloaded == 0 and .bytes_cloned == 0' <<<"$json")" = true ]
check "the fallback record names copy-file-range as what took over" \
    [ "$(jq -rs 'map(select(.event == "fallback"))[0].actual_method' <<<"$json")" = copy-file-range ]

echo "== 3. XFS with reflink: a clone, reported as one"
"$OFFLOADCP" copy "$X/a" "$X/b" >"$WORK/out" 2>&1; rc=$?
check "clone exits 0" eval '[ "$rc" = 0 ] && cmp -s "$X/a" "$X/b"'
check "the text says Cloned, no copy rate" grep -q "^Cloned 8.0 MiB of 8.0 MiB .*metadata only" "$WORK/out"
json=$("$OFFLOADCP" copy "$X/a" "$X/c" --json --require-offload); rc=$?
check "--require-offload holds for a reflink" [ "$rc" = 0 ]
check "bytes_cloned = bytes_offloaded = 8 MiB" \
    [ "$(jq -s '.[-1] | .bytes_cloned == 8388608 and .bytes_offloaded == 8388608 and .bytes_host == 0' <<<"$json")" = true ]

echo "== 4. ext4: copy_file_range is a host copy, and plan says so"
plan=$("$OFFLOADCP" plan "$E/a" "$E/b" --json)
check "plan: copy-file-range with offloaded share 0" \
    [ "$(jq -r '"\(.extents[0].method) \(.plan.offloaded_share)"' <<<"$plan")" = "copy-file-range 0" ]
"$OFFLOADCP" copy "$E/a" "$E/b" --require-offload >"$WORK/out" 2>&1; rc=$?
check "--require-offload on ext4 exits 6, nothing created" eval '[ "$rc" = 6 ] && [ ! -e "$E/b" ]'

echo "== 5. a symbolic link as the destination is refused; its target is untouched"
echo "root only" >"$WORK/secret"
ln -s "$WORK/secret" "$E/link"
"$OFFLOADCP" copy "$E/a" "$E/link" >"$WORK/out" 2>&1; rc=$?
check "link destination refused (exit 2)" eval '[ "$rc" = 2 ] && grep -q "symbolic link" "$WORK/out"'
check "link target unchanged" [ "$(cat "$WORK/secret")" = "root only" ]

echo "== 6. pseudo filesystems are refused, before anything is created"
"$OFFLOADCP" copy /proc/self/status "$E/p" >"$WORK/out" 2>&1; rc=$?
check "procfs source refused" eval '[ "$rc" = 2 ] && grep -q "pseudo filesystem" "$WORK/out" && [ ! -e "$E/p" ]'
"$OFFLOADCP" copy "$E/a" /sys/kernel/offloadcp-new >"$WORK/out" 2>&1; rc=$?
check "sysfs destination refused" eval '[ "$rc" = 2 ] && grep -q "sysfs" "$WORK/out"'
if [ "$(findmnt -n -o FSTYPE /dev)" = devtmpfs ]; then
    touch "/dev/offloadcp-file-copies-$$"
    "$OFFLOADCP" copy "$E/a" "/dev/offloadcp-file-copies-$$" >"$WORK/out" 2>&1; rc=$?
    check "devtmpfs destination refused" eval '[ "$rc" = 2 ] && grep -q "devtmpfs" "$WORK/out"'
    check "... and not written" [ ! -s "/dev/offloadcp-file-copies-$$" ]
fi

echo "== 7. a longer destination keeps its tail, unless --truncate"
head -c $((24 * MiB)) /dev/zero | tr '\0' 'x' >"$E/long"
"$OFFLOADCP" copy "$E/a" "$E/long" >/dev/null 2>&1
check "default: size kept (dd conv=notrunc)" [ "$(stat -c %s "$E/long")" = $((24 * MiB)) ]
check "default: the range copied" cmp -s -n $((8 * MiB)) "$E/a" "$E/long"
"$OFFLOADCP" copy "$E/a" "$E/long" --truncate >/dev/null 2>&1; rc=$?
check "--truncate: ends where the range ends (cp)" eval '[ "$rc" = 0 ] && cmp -s "$E/a" "$E/long"'
"$OFFLOADCP" copy "$E/a" "$XFS_DEV" --truncate >"$WORK/out" 2>&1; rc=$?
check "--truncate on a block device is a usage error" [ "$rc" = 2 ]

echo "== 8. a mounted device into a file on its own filesystem warns"
"$OFFLOADCP" copy "$EXT4_DEV" "$E/self.img" --length 1M >"$WORK/out" 2>&1; rc=$?
check "it copies (exit 0)" [ "$rc" = 0 ]
check "mounted-source warning" grep -q "is mounted on $E: a copy of a live filesystem may be inconsistent" "$WORK/out"
check "own-filesystem warning" grep -q "changes the source while it is copied" "$WORK/out"

echo "== 9. the done record after a verify mismatch: status matches exit code 7"
# The source changes under the copy (O_DIRECT writes to its first block): --verify sees it.
head -c $((64 * MiB)) /dev/urandom >"$E/moving"
seen=0
for attempt in 1 2 3; do
    ( for _ in $(seq 400); do
          head -c 4096 /dev/urandom | dd of="$E/moving" bs=4096 count=1 conv=notrunc oflag=direct status=none
          sleep 0.01
      done ) &
    writer=$!
    json=$("$OFFLOADCP" copy "$E/moving" "$E/moving.copy" --no-offload --verify --io-size 64K --io-depth 1 --json)
    rc=$?
    kill "$writer" 2>/dev/null; wait "$writer" 2>/dev/null
    done_status=$(jq -rs '.[-1].status' <<<"$json")
    check "attempt $attempt: status ok only with exit 0 (rc $rc, status $done_status)" \
        [ "$([ "$rc" = 0 ] && echo ok || echo not)" = "$([ "$done_status" = ok ] && echo ok || echo not)" ]
    if [ "$rc" = 7 ]; then
        check "mismatch: status verify_mismatch" [ "$done_status" = verify_mismatch ]
        seen=1
        break
    fi
done
[ "$seen" = 1 ] || echo "NOTE: no verify mismatch provoked in 3 attempts (the writer lost the race)"

echo "== $fails failure(s)"
[ "$fails" = 0 ]
