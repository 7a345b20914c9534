#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the lab's initramfs: busybox, the reference tools (nvme-cli, sg3_utils, ddpt, dmsetup,
# cryptsetup, jq) and the project's binaries with their shared libraries (from ldd), the
# kernel modules the lab needs (decompressed, depmod'ed), tests/vm/guest/* as /lab,
# tests/vm/scenarios/*.sh as /lab/scenarios and tests/tools/*.sh as /lab/tools.
# Usage: mkinitramfs.sh KERNEL_DIR OUT.cpio.gz [PROJECT_BINARY | NAME=PROJECT_BINARY]...
#   KERNEL_DIR: a linux-image package unpacked with dpkg -x (tests/vm/fetch.sh kernel X)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
CACHE=${OFFLOADCP_VM_CACHE:-$HERE/cache}
KDIR=$(readlink -f "${1:?kernel dir}"); OUT=$(readlink -m "${2:?output file}"); shift 2
KVER=$(ls "$KDIR/lib/modules" | head -1)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/offloadcp-initrd.XXXXXX"); R=$WORK/root
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,run,tmp,mnt,var/tmp,root} \
         "$R/run/cryptsetup" "$R/etc/nvme" "$R/lab/scenarios" "$R/lab/tools" "$R/lab/bin"

# --- userland ------------------------------------------------------------------------
cp /bin/busybox "$R/bin/busybox"
for a in $("$R/bin/busybox" --list); do [ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"; done
copy_with_libs() { # FILE [DEST]: copies FILE (to DEST, default the same path) and its ldd libraries
    local f=$1 dst=${2:-$1} l
    mkdir -p "$R$(dirname "$dst")"; cp -L "$f" "$R$dst"
    for l in $(ldd "$f" 2>/dev/null | grep -oE '/[^ ]+'); do
        [ -e "$R$l" ] && continue; mkdir -p "$R$(dirname "$l")"; cp -L "$l" "$R$l"
    done
}
TOOLS="/usr/sbin/nvme /usr/bin/sg_xcopy /usr/bin/sg_inq /usr/bin/sg_vpd /usr/bin/sg_readcap
       /usr/bin/sg_raw /usr/bin/sg_copy_results /usr/bin/sg_map /usr/bin/sg_turs /usr/bin/ddpt /usr/sbin/dmsetup
       /usr/sbin/cryptsetup /usr/bin/kmod /usr/bin/dd /usr/bin/cmp /usr/bin/md5sum /usr/sbin/losetup
       /usr/sbin/blockdev /usr/bin/jq /usr/bin/stat /usr/sbin/blkdiscard"
for b in $TOOLS; do
    [ -x "$b" ] || { echo "mkinitramfs: missing host tool $b (run packaging/install-deps.sh)" >&2; exit 1; }
    copy_with_libs "$b"
    n=$(basename "$b"); rm -f "$R/bin/$n" "$R/sbin/$n"   # the real tool wins over busybox's applet
done
for n in modprobe insmod lsmod rmmod depmod modinfo; do rm -f "$R/bin/$n" "$R/sbin/$n"; ln -s /usr/bin/kmod "$R/sbin/$n"; done
# the project's binaries go to /lab/bin (on PATH first)
for spec in "$@"; do   # PATH, or NAME=PATH to install it under another name
    b=${spec#*=}; n=$(basename "$b"); [ "$spec" != "$b" ] && n=${spec%%=*}
    [ -x "$b" ] || { echo "mkinitramfs: project binary $b not found" >&2; exit 1; }
    copy_with_libs "$(readlink -f "$b")" "/lab/bin/$n"
done
echo "nqn.2014-08.org.nvmexpress:uuid:0c0c0c0c-1111-2222-3333-444455556666" > "$R/etc/nvme/hostnqn"
echo "0c0c0c0c-1111-2222-3333-444455556666" > "$R/etc/nvme/hostid"
echo "root:x:0:0:root:/root:/bin/sh" > "$R/etc/passwd"
echo "root:x:0:" > "$R/etc/group"

# --- kernel modules: decompressed once per kernel into the cache --------------------------
MODS="virtio_pci virtio_blk nvme nvme-core nvme-fabrics nvme-tcp nvme-loop nvmet nvmet-tcp dm-mod
      dm-crypt dm-zero dm-flakey dm-delay xts cbc ecb sha256_generic aesni_intel algif_skcipher af_alg configfs
      target_core_mod target_core_iblock target_core_file tcm_loop sd_mod sg brd loop scsi_mod
      crc32c_generic"
MCACHE=$CACHE/modules-$KVER
# one marker per module list: a cache made for a shorter list gets the missing modules added
MARK=$MCACHE/.complete-$(echo $MODS | md5sum | cut -c1-12)
if [ ! -f "$MARK" ]; then
    [ -f "$MCACHE/.complete" ] || ls "$MCACHE"/.complete-* >/dev/null 2>&1 || rm -rf "$MCACHE"
    mkdir -p "$MCACHE"
    [ -f "$KDIR/lib/modules/$KVER/modules.dep" ] || depmod -b "$KDIR" "$KVER"
    for m in $MODS; do
        modprobe -d "$KDIR" -S "$KVER" --show-depends "$m" 2>/dev/null | awk '$1=="insmod"{print $2}' |
        while read -r p; do
            rel=${p#"$KDIR/lib/modules/$KVER/"}; dst=$MCACHE/${rel%.xz}; dst=${dst%.zst}
            [ -e "$dst" ] && continue; mkdir -p "$(dirname "$dst")"
            case "$p" in *.xz) xz -dc "$p" > "$dst.part";; *.zst) zstd -qdc "$p" > "$dst.part";; *) cp "$p" "$dst.part";; esac && mv "$dst.part" "$dst"
        done || true
    done
    cp "$KDIR/lib/modules/$KVER"/modules.{builtin,builtin.modinfo,order} "$MCACHE/" 2>/dev/null || true
    touch "$MARK"
fi
MD=$R/lib/modules/$KVER
mkdir -p "$(dirname "$MD")"; cp -a "$MCACHE" "$MD"; rm -f "$MD"/.complete*
depmod -b "$R" "$KVER"

# --- the lab: init, helpers, scenarios, project test tools -------------------------------
cp "$HERE"/guest/*.sh "$R/lab/"
cp "$HERE"/scenarios/*.sh "$R/lab/scenarios/"
if ls "$SRC"/tests/tools/*.sh >/dev/null 2>&1; then cp "$SRC"/tests/tools/*.sh "$R/lab/tools/"; fi
chmod +x "$R"/lab/*.sh "$R"/lab/scenarios/*.sh
ln -s /lab/init.sh "$R/init"
# The dynamic loader's cache, as on an installed system: without it every dynamically linked
# program (offloadcp, sg_xcopy, nvme) probes about twenty hwcaps/tls directories per library
# at each start, which costs the guest milliseconds a run under TCG.
printf '/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n' > "$R/etc/ld.so.conf"
"$(command -v ldconfig || echo /sbin/ldconfig)" -r "$R" || echo "mkinitramfs: no ld.so.cache (ldconfig failed)" >&2
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) > "$OUT"
echo "initramfs: $OUT $(du -h "$OUT" | cut -f1) (kernel $KVER, $(find "$MD" -name '*.ko' | wc -l) modules, binaries: ${*:-none})"
