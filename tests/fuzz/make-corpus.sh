#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Regenerates the seed corpus (tests/fuzz/corpus/<target>/) from the lab fixtures in
# tests/fixtures and a few hand-written lines. Run from anywhere; needs python3 and jq.
# The seeds are small on purpose (the whole corpus stays well under 1 MiB).
set -euo pipefail
cd "$(dirname "$0")"
FIX=../fixtures
OUT=corpus
rm -rf "$OUT"
mkdir -p "$OUT"/{fuzz_byte_size,fuzz_nvme_identify,fuzz_scsi_vpd,fuzz_report_json,fuzz_copy_events,fuzz_dm_table,fuzz_fixture_tree}

# Sizes as users type them (README, --help, the dialogs).
i=0
for s in 4096 0 18446744073709551615 1G 16MiB 4k 10KB 0x1000 2048s 512B 1.5G 1TiB 17179869184P; do
    printf '%s' "$s" > "$OUT/fuzz_byte_size/size-$i"; i=$((i + 1))
done

# Identify data and SCSI pages as the lab's devices returned them.
for f in "$FIX"/lab-dm-mixed/probe/nvme0n1.id-* "$FIX"/lab-dm-mixed/probe/nvme2n1.id-* "$FIX"/probe-unit/nvme1n1.id-*; do
    name=${f#"$FIX"/}; cp "$f" "$OUT/fuzz_nvme_identify/${name//\//-}"
done
# ... and a controller's and a namespace's data back to back (the target plans a copy with them).
for ns in lab-dm-mixed/probe/nvme0n1 lab-dm-mixed/probe/nvme2n1 probe-unit/nvme1n1; do
    cat "$FIX/$ns.id-ctrl" "$FIX/$ns.id-ns" > "$OUT/fuzz_nvme_identify/${ns//\//-}.id-ctrl+id-ns"
done
for f in "$FIX"/lab-dm-mixed/probe/sd[ad].* "$FIX"/probe-unit/sda.*; do
    name=${f#"$FIX"/}; cp "$f" "$OUT/fuzz_scsi_vpd/${name//\//-}"
done

# Reports: the smallest captured ones, compact, and one device of the lab's.
jq -c . "$FIX/scan-unit/expected-report.json" > "$OUT/fuzz_report_json/scan-unit.json"
jq -c . "$FIX/host-loop/expected-report.json" > "$OUT/fuzz_report_json/host-loop.json"
jq -c '.devices |= [.[] | select(.capability.mechanism != "none")][:3]' "$FIX/lab-dm-mixed/expected-report.json" \
    > "$OUT/fuzz_report_json/lab-dm-mixed-offloading.json"

# Copy records of each kind, as `offloadcp copy --json` prints them.
cat > "$OUT/fuzz_copy_events/progress" <<'J'
{"schema_version":1,"event":"progress","bytes_total":8388608,"bytes_done":4194304,"bytes_offloaded":3145728,"bytes_host":1048576,"bytes_by_method":{"nvme-copy":3145728,"scsi-xcopy":0,"read-write":1048576,"file-clone":0,"copy-file-range":0},"rate_bytes_per_second":1000000.5,"elapsed_seconds":0.5,"extents_done":1,"extents_total":2,"fallbacks":1,"verifying":false,"eta_seconds":4}
J
cat > "$OUT/fuzz_copy_events/fallback" <<'J'
{"schema_version":1,"event":"fallback","extent":1,"planned_method":"nvme-copy","src_offset":4194304,"dst_offset":4194304,"length":1048576,"reason":"nvme0n1: Command Size Limit Exceeded (SCT 1h SC 83h)","device_answer":{"code":"nvme-status","message":"declined","device":"nvme0n1","lba":8192,"nvme_status":{"sct":1,"sc":131,"dw0":0}}}
J
cat > "$OUT/fuzz_copy_events/done-verify" <<'J'
{"schema_version":1,"event":"done","status":"error","exit_code":7,"bytes_total":9007199254740993,"bytes_done":9007199254740993,"bytes_host":0,"bytes_offloaded":9007199254740993,"bytes_by_method":{"nvme-copy":9007199254740993},"wall_seconds":1.5,"copy_seconds":1.25,"cpu_user_seconds":0.1,"cpu_system_seconds":0.2,"warnings":[],"error":{"code":"corrupt","message":"verify found a difference","device":"/dev/nvme0n2","lba":12288,"errno":0},"extents":[],"verify":{"match":false,"bytes_compared":4096,"block_size":4096,"message":"first difference at destination LBA 3","first_differing_offset":12288,"first_differing_dst_lba":3,"first_differing_src_lba":null}}
J
cat > "$OUT/fuzz_copy_events/error" <<'J'
{"schema_version":1,"event":"error","error":{"code":"busy","message":"/dev/loop7: held by /dev/loop7p1","device":"/dev/loop7","lba":null,"errno":16},"exit_code":5}
J

# Device-mapper tables: the lab's, and the targets the mapper reads parameters of.
for d in lab-dm-mixed lab-dm-striped lab-dm-crypt lab-all; do
    cp "$FIX/$d/dmsetup-table.txt" "$OUT/fuzz_dm_table/$d.txt"
done
cat > "$OUT/fuzz_dm_table/targets.txt" <<'T'
a: 0 1024 linear 259:0 2048
a: 1024 1024 striped 2 8 259:0 0 8:0 0
b: 0 2048 linear 253:0 0
c: 0 512 multipath 1 queue_if_no_path 0 1 1 service-time 0 2 1 8:0 1 8:1 1
c: 512 512 zero
c: 1024 512 error
d: 0 2048 crypt aes-xts-plain64 :64:logon:cryptsetup:x 0 8:1 4096
e: 0 2048 flakey 8:1 0 1 0
f:
T

# Fixture trees: records "<path>\n<contents>" separated by NUL (see fuzz_fixture_tree.cpp).
tree=$FIX/lab-dm-mixed
record() { printf '%s\n' "$1"; cat "$tree/$1"; printf '\0'; }
record dmsetup-table.txt > "$OUT/fuzz_fixture_tree/dmsetup-table"
record mountinfo > "$OUT/fuzz_fixture_tree/mountinfo"
{ record sys/devices/virtual/block/dm-0/size; record sys/devices/virtual/block/dm-0/dev; } \
    > "$OUT/fuzz_fixture_tree/dm-0-size-dev"
{ record probe/nvme0n1.id-ns; record sys/devices/virtual/nvme-subsystem/nvme-subsys1/nvme1n1/nvme1n1p1/size; } \
    > "$OUT/fuzz_fixture_tree/id-ns-partition"
{ record sys/devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1/queue/logical_block_size
  record sys/devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1/size; } > "$OUT/fuzz_fixture_tree/nvme0n1-lbs-size"
printf 'swaps\nFilename\tType\tSize\tUsed\tPriority\n/dev/dm-1\tpartition\t1024\t0\t-2\n' \
    > "$OUT/fuzz_fixture_tree/swaps"
du -sh "$OUT"
