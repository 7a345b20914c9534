#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The lab's standard partitions and device-mapper stacks, shared by scenarios (report,
# fixtures, copies). `. /lab/stacks.sh; stacks_build` is idempotent within one boot.
# Sizes and offsets in 512-byte sectors.
#   NS_B1 partitions: p1 start 2048 size 32768, p2 start 34816 size 65536   (MBR)
#   SD_T1B partition: p1 start 2048 size 65536                              (MBR)
#   lab_lin   linear NS_SMALL, offset 65536, 131072 long            (linear with an offset)
#   lab_lin2  linear lab_lin, offset 32768, 65536 long              (linear on linear)
#   lab_str   striped 2 x 128 sectors over NS_LARGE@0 and NS_SMALL@262144, 131072 long
#   lab_crypt plain dm-crypt (aes-xts-plain64) over NS_LARGE@131072, 65536 long
#   lab_mix   linear NS_LARGE@262144 (32768) then SD_T1A@0 (32768)  (across NVMe and SCSI)
#   lab_plin  linear on partition NS_B1 p2, offset 1024, 32768 long (dm on a partition)
#   lab_slin  linear SD_T1A@65536 (32768) then SD_T1B p1@0 (32768)  (two LUNs of one target)
#   lab_xstr  striped 2 x 128 sectors over SD_T1A@32768 and SD_T2C@0, 65536 long (two targets)
# Every leaf's last 4 KiB is reserved for 05-stable-ids' marker.

# le32 VALUE: 4 little-endian bytes
le32() { printf "\\$(printf %03o $(($1 & 255)))\\$(printf %03o $((($1 >> 8) & 255)))\\$(printf %03o $((($1 >> 16) & 255)))\\$(printf %03o $((($1 >> 24) & 255)))"; }
# mkmbr DEV START:SIZE...: an MBR partition table (type 0x83 entries, LBAs in logical blocks)
mkmbr() {
    _dev=$1; shift; _f=/tmp/mbr.$$; dd if=/dev/zero of=$_f bs=512 count=1 status=none; _i=0
    for _p in "$@"; do
        { printf '\000\376\377\377\203\376\377\377'; le32 "${_p%%:*}"; le32 "${_p#*:}"; } |
            dd of=$_f bs=1 seek=$((446 + 16 * _i)) conv=notrunc status=none
        _i=$((_i + 1))
    done
    printf '\125\252' | dd of=$_f bs=1 seek=510 conv=notrunc status=none
    dd if=$_f of="$_dev" bs=512 count=1 oflag=direct conv=notrunc status=none; rm -f $_f
    blockdev --rereadpt "$_dev"
}
# part DEV N: the partition's /dev node, found through sysfs (nvme0n1p2, sdb1)
part() { for _p in /sys/block/${1##*/}/${1##*/}*; do [ "$(cat $_p/partition 2>/dev/null)" = "$2" ] && { echo /dev/${_p##*/}; return; }; done; }

# Groups of stacks (each can be built alone, for focused fixtures)
stack_partitions() {
    [ -n "$(part "$NS_B1" 2)" ] || mkmbr "$NS_B1" 2048:32768 34816:65536
    [ -n "$(part "$SD_T1B" 1)" ] || mkmbr "$SD_T1B" 2048:65536
    _i=0; while [ $_i -lt 20 ] && { [ -z "$(part "$NS_B1" 2)" ] || [ -z "$(part "$SD_T1B" 1)" ]; }; do sleep 0.1; _i=$((_i + 1)); done
    NS_B1P1=$(part "$NS_B1" 1); NS_B1P2=$(part "$NS_B1" 2); SD_T1BP1=$(part "$SD_T1B" 1)
}
stack_linear() {
    dmsetup create lab_lin --table "0 131072 linear $NS_SMALL 65536"
    dmsetup create lab_lin2 --table "0 65536 linear /dev/mapper/lab_lin 32768"
    dmsetup create lab_plin --table "0 32768 linear $NS_B1P2 1024"
}
stack_striped() {
    dmsetup create lab_str --table "0 131072 striped 2 128 $NS_LARGE 0 $NS_SMALL 262144"
    dmsetup create lab_xstr --table "0 65536 striped 2 128 $SD_T1A 32768 $SD_T2C 0"
}
stack_crypt() {
    printf 'offloadcp-lab-passphrase-32bytes' > /tmp/lab-crypt.key
    dmsetup create lab_cryptbase --table "0 65536 linear $NS_LARGE 131072"
    cryptsetup open --type plain --cipher aes-xts-plain64 --key-size 256 --key-file /tmp/lab-crypt.key \
        /dev/mapper/lab_cryptbase lab_crypt
}
stack_mixed() {
    printf '0 32768 linear %s 262144\n32768 32768 linear %s 0\n' "$NS_LARGE" "$SD_T1A" | dmsetup create lab_mix
    printf '0 32768 linear %s 65536\n32768 32768 linear %s 0\n' "$SD_T1A" "$SD_T1BP1" | dmsetup create lab_slin
}
# stacks_remove: removes every dm device (scenario-local ones too)
stacks_remove() {
    cryptsetup close lab_crypt 2>/dev/null
    dmsetup remove_all 2>/dev/null
    rm -f /run/lab/stacks-built
}

stacks_build() {
    [ -e /run/lab/stacks-built ] && return 0
    stack_partitions; stack_linear; stack_striped; stack_crypt; stack_mixed
    {
        echo "NS_B1P1=$NS_B1P1"; echo "NS_B1P2=$NS_B1P2"; echo "SD_T1BP1=$SD_T1BP1"
        for m in lab_lin lab_lin2 lab_str lab_cryptbase lab_crypt lab_mix lab_plin lab_slin lab_xstr; do
            echo "DM_$(echo ${m#lab_} | tr a-z A-Z)=/dev/$(dmsetup info -c --noheadings -o blkdevname $m)"
        done
    } > /run/lab/stacks-built
    dmsetup table > /run/lab/out/dmsetup-table.txt
}
stacks_env() { [ -e /run/lab/stacks-built ] && . /run/lab/stacks-built; }
