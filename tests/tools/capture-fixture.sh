#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Captures a topology fixture from the running system into OUTDIR:
#   sys/                 the sysfs subtree readTopology reads, with the real structure: every
#                        block device's /sys/devices/... directory holding only the attributes
#                        the reader uses, class/block links, slaves/holders links, `device`
#                        links and the controller/LUN directories they point to
#   dmsetup-table.txt    `dmsetup table` (when dmsetup and device-mapper exist)
#   mountinfo, swaps     /proc/self/mountinfo and /proc/swaps
#   probe/NAME.*         raw identify data: id-ctrl, id-ns (nvme-cli); inquiry, vpd83, vpd80,
#                        vpd8f, rcop (sg3_utils) when the tools exist and the device answers
# POSIX sh and busybox tools only: it runs in the QEMU lab guest as well as on a host.
# Usage: capture-fixture.sh OUTDIR
set -u

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
OUT=$1
SYS=${SYSFS:-/sys}
mkdir -p "$OUT/sys/class/block" "$OUT/probe" || exit 1

# mirror PATH: where a /sys path lands inside the fixture
mirror() {
    printf '%s/sys/%s' "$OUT" "${1#"$SYS"/}"
}

# copy_attrs DIR ATTR...: copies readable attribute files of a sysfs directory
copy_attrs() {
    src=$1
    shift
    dst=$(mirror "$src")
    mkdir -p "$dst"
    for attr in "$@"; do
        [ -f "$src/$attr" ] || continue
        mkdir -p "$(dirname "$dst/$attr")"
        if ! cat "$src/$attr" > "$dst/$attr" 2>/dev/null; then
            rm -f "$dst/$attr"
        fi
    done
}

# copy_link LINK: recreates a symlink with its relative target, unchanged
copy_link() {
    [ -L "$1" ] || return 0
    dst=$(mirror "$1")
    mkdir -p "$(dirname "$dst")"
    rm -f "$dst"
    ln -s "$(readlink "$1")" "$dst"
}

# copy_links DIR: every symlink in DIR (slaves/, holders/)
copy_links() {
    [ -d "$1" ] || return 0
    mkdir -p "$(mirror "$1")"
    for link in "$1"/*; do
        copy_link "$link"
    done
}

# capture_nvme_parent DIR: a controller, or a subsystem with its controllers
capture_nvme_parent() {
    copy_attrs "$1" serial model firmware_rev transport subsysnqn
    for ctrl in "$1"/nvme*; do
        [ -L "$ctrl" ] || continue
        case ${ctrl##*/} in
        nvme*[!0-9]*) continue ;;
        esac
        copy_link "$ctrl"
        # (no `local` in POSIX sh: a name of its own, so the caller's $real survives)
        ctrl_real=$(readlink -f "$ctrl") && copy_attrs "$ctrl_real" serial model firmware_rev transport subsysnqn
    done
}

# capture_device BLOCKDIR: the `device` link and what it points to
capture_device() {
    [ -L "$1/device" ] || return 0
    copy_link "$1/device"
    target=$(readlink -f "$1/device") || return 0
    copy_attrs "$target" type vendor model rev wwid
    if [ -f "$target/subsysnqn" ] || [ -f "$target/transport" ]; then
        capture_nvme_parent "$target"
    fi
    # the reader takes the driver's name from the link itself: no need to copy its target
    copy_link "$target/driver"
    for sg in "$target"/scsi_generic/*; do
        [ -d "$sg" ] && copy_attrs "$sg" dev
    done
}

# node NAME MAJ:MIN: a device node for the probing tools
node() {
    if [ -b "/dev/$1" ]; then
        echo "/dev/$1"
    elif [ -b "/dev/block/$2" ]; then
        echo "/dev/block/$2"
    fi
}

# probe OUTFILE COMMAND...: keeps OUTFILE only when the command succeeded with output
probe() {
    file=$1
    shift
    if "$@" > "$file" 2>/dev/null && [ -s "$file" ]; then
        return 0
    fi
    rm -f "$file"
    return 1
}

have() {
    command -v "$1" >/dev/null 2>&1
}

for link in "$SYS"/class/block/*; do
    [ -L "$link" ] || continue
    name=${link##*/}
    real=$(readlink -f "$link") || continue
    [ -f "$real/dev" ] || continue
    copy_link "$link"
    copy_attrs "$real" dev size ro removable hidden partition start \
        nsid eui nguid uuid wwid serial \
        queue/logical_block_size queue/physical_block_size queue/zoned \
        dm/name dm/uuid dm/suspended \
        loop/backing_file loop/offset loop/sizelimit loop/dio loop/autoclear
    copy_links "$real/slaves"
    copy_links "$real/holders"
    capture_device "$real"
    # the NVMe generic char device (ngXnY) sits beside the namespace's block device
    case $name in
    nvme*n*)
        generic="$(dirname "$real")/ng${name#nvme}"
        [ -f "$generic/dev" ] && copy_attrs "$generic" dev
        ;;
    esac

    [ -f "$real/partition" ] && continue
    devnum=$(cat "$real/dev")
    dev=$(node "$name" "$devnum")
    [ -n "$dev" ] || continue
    if [ -f "$real/nsid" ] && have nvme; then
        probe "$OUT/probe/$name.id-ctrl" nvme id-ctrl -b "$dev"
        probe "$OUT/probe/$name.id-ns" nvme id-ns -b "$dev"
    fi
    if [ -f "$real/device/type" ] && [ "$(cat "$real/device/type")" = 0 ]; then
        have sg_inq && probe "$OUT/probe/$name.inquiry" sg_inq -r "$dev"
        if have sg_vpd; then
            probe "$OUT/probe/$name.vpd83" sg_vpd -r -p 0x83 "$dev"
            probe "$OUT/probe/$name.vpd80" sg_vpd -r -p 0x80 "$dev"
            probe "$OUT/probe/$name.vpd8f" sg_vpd -r -p 0x8f "$dev"
        fi
        # RECEIVE COPY OPERATING PARAMETERS (84h / 03h), allocation length 1024 in bytes 10-13 (big-endian)
        # A LUN may first answer UNIT ATTENTION (INQUIRY is exempt, RCOP is not): try twice.
        if have sg_raw; then
            probe "$OUT/probe/$name.rcop" \
                sg_raw -b -r 1024 "$dev" 84 03 00 00 00 00 00 00 00 00 00 00 04 00 00 00 ||
                probe "$OUT/probe/$name.rcop" \
                    sg_raw -b -r 1024 "$dev" 84 03 00 00 00 00 00 00 00 00 00 00 04 00 00 00
        fi
    fi
done

# NVMe generic char devices (ngXnY) by class too, wherever the kernel parents them
for link in "$SYS"/class/nvme-generic/*; do
    [ -L "$link" ] || continue
    copy_link "$link"
    real=$(readlink -f "$link") && copy_attrs "$real" dev
done

if have dmsetup && [ -e /dev/mapper/control ]; then
    DM_DISABLE_UDEV=1 dmsetup table > "$OUT/dmsetup-table.txt" 2>/dev/null ||
        rm -f "$OUT/dmsetup-table.txt"
fi
cat /proc/self/mountinfo > "$OUT/mountinfo"
cat /proc/swaps > "$OUT/swaps" 2>/dev/null || rm -f "$OUT/swaps"
rmdir "$OUT/probe" 2>/dev/null
exit 0
