#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Device names move between boots; stable ids (NVMe serial/subsystem + nsid, SCSI WWN) do not.
# Boot 1 writes a marker naming the backing file into each leaf device and records the
# stable id offloadcp reports for it. Boot 2 attaches the devices in another order (names
# move), resolves each recorded stable id with `offloadcp report --json ID` and reads the
# marker from the device it names. The host also finds every marker in its backing file.
# lab-boots: 1 2
. /lab/report.sh
# device variable -> backing file (README's device set); the zoned namespace takes no random writes
DEVS="NS_SMALL:a-small NS_LARGE:a-large NS_B1:b-ns1 NS_4K:b-4k NS_PT:p-ns1 SD_T1A:lio-a SD_T1B:lio-b SD_T2C:lio-c"
# The marker is the last 4 KiB of each device (reserved for it: README.md), the same bytes
# as the end of its backing file.
mark_byte() { echo $(( $(blockdev --getsize64 "$1") - 4096 )); }
mark_text() { echo "offloadcp-lab-marker:$1"; }
write_mark() { { printf '%s' "$(mark_text $2)"; dd if=/dev/zero bs=1 count=$((4096 - ${#2} - 21)) status=none; } > /tmp/m
               dd if=/tmp/m of="$1" bs=4096 seek=$(( $(mark_byte "$1") / 4096 )) count=1 oflag=direct conv=notrunc status=none; }
read_mark() { dd if="$1" bs=4096 skip=$(( $(mark_byte "$1") / 4096 )) count=1 iflag=direct status=none | tr -d '\000'; }

if [ "$LAB_BOOT" = 1 ]; then
    report_json /tmp/ids.json   # a failure is recorded; the markers are written anyway
    : > "$ART/ids.txt"
    for e in $DEVS; do
        v=${e%%:*}; img=${e#*:}; [ "$img" = - ] && continue
        eval "dev=\$$v"; k=${dev##*/}
        write_mark "$dev" "$img"
        id=$(rep_stable_id /tmp/ids.json "$k")
        check "offloadcp reports a stable id for $v ($k): '$id'" [ -n "$id" ]
        case $v in
            NS_*) check "$v stable id names the NVMe namespace ($id)" sh -c "echo '$id' | grep -q '^nvme:.*nsid=$(cat /sys/block/$k/nsid)'" ;;
            SD_*) check "$v stable id is its WWN ($id)" sh -c "echo '$id' | grep -qi '^wwn:'" ;;
        esac
        echo "$id|$img|$k|$v" >> "$ART/ids.txt"
        hostcheck_has "marker of $v is in $img.img" "$img.img:$(mark_byte "$dev"):4096" "$(mark_text $img)"
    done
    dropcaches
    expect_eq "stable ids are distinct" "$(cut -d'|' -f1 "$ART/ids.txt" | sort -u | wc -l)" "$(wc -l < "$ART/ids.txt")"
else
    prev=/run/lab/prev/scenarios/05-stable-ids/ids.txt
    [ -s $prev ] || { fail "boot 1 left no stable-id table ($prev)"; exit 1; }
    moved=0
    while IFS='|' read -r id img k1 v; do
        eval "dev=\$$v"   # what the lab found by serial / nsid / LUN serial this boot
        expect_eq "marker read through $dev ($v, found by serial; was $k1)" "$(read_mark $dev)" "$(mark_text $img)"
        [ "${dev##*/}" != "$k1" ] && moved=$((moved + 1))
        [ -n "$id" ] || { fail "boot 1 recorded no stable id for $v"; continue; }
        out=/tmp/one.json
        report_json $out "$id" || continue
        # the report for one device may list its stack too: take the device whose stable id matches
        k2=$(rep_name_by_stable_id $out "$id")
        check "offloadcp finds stable id $id in boot 2 (now '$k2', was $k1)" [ -n "$k2" ]
        [ -n "$k2" ] || continue
        expect_eq "marker read through $k2 (stable id $id)" "$(read_mark /dev/$k2)" "$(mark_text $img)"
    done < $prev
    check "device names really moved between the boots ($moved of $(wc -l < $prev) moved)" [ $moved -ge 3 ]
fi
