#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fetches what the QEMU lab needs into tests/vm/cache/ (ignored by git), from Debian by
# package name. Nothing is installed: packages are downloaded and unpacked with dpkg -x.
#   fetch.sh kernel 6.12   linux-image-6.12-amd64 (bookworm-security) -> cache/kernel-6.12/
#   fetch.sh kernel 6.1    linux-image-amd64 (stock Debian 12 kernel)  -> cache/kernel-6.1/
#   fetch.sh qemu10        qemu-system-x86 + qemu-system-data from bookworm-backports -> cache/qemu10/root/
#   fetch.sh all           all of the above
# Prints the path of what it fetched on the last line. Exit 0 when the item is in the cache
# (fetched now or before), 1 when it could not be fetched (no network, no such package).
# Env: OFFLOADCP_VM_CACHE (default tests/vm/cache).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${OFFLOADCP_VM_CACHE:-$HERE/cache}
mkdir -p "$CACHE/debs"

log() { echo "fetch: $*" >&2; }

# A private apt configuration for bookworm-backports, so the host's sources and lists stay
# untouched. The mirror is the one the host already uses.
backports_apt_opts() {
    local mirror dir=$CACHE/apt-backports
    mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$mirror" ] || mirror=$(awk '$1=="deb"{for(i=2;i<=NF;i++) if($i ~ /:\/\//){print $i; exit}}' /etc/apt/sources.list 2>/dev/null || true)
    [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
    mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm-backports main" > "$dir/sources.list"
    BPO_OPTS=(-o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
              -o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache")
}

# The concrete image package a meta package points at (linux-image-6.12-amd64 ->
# linux-image-6.12.x+deb12-amd64). Refreshes the host's apt lists once when it has none.
kernel_package() {
    local meta=$1 pkg
    pkg=$(apt-cache depends "$meta" 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
    if [ -z "$pkg" ]; then
        log "apt knows no $meta; running apt-get update"
        apt-get update -q >/dev/null 2>&1 || true
        pkg=$(apt-cache depends "$meta" 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
    fi
    echo "$pkg"
}

fetch_kernel() {
    local ksel=$1 meta dir pkg deb
    case $ksel in
        6.12) meta=linux-image-6.12-amd64 ;;
        6.1)  meta=linux-image-amd64 ;;
        *) log "unknown kernel '$ksel' (6.12 or 6.1)"; return 1 ;;
    esac
    dir=$CACHE/kernel-$ksel
    if ls "$dir"/boot/vmlinuz-* >/dev/null 2>&1; then echo "$dir"; return 0; fi
    pkg=$(kernel_package "$meta")
    [ -n "$pkg" ] || { log "cannot resolve $meta to an image package"; return 1; }
    deb=$(ls "$CACHE/debs/${pkg}"_*.deb 2>/dev/null | head -1 || true)
    if [ -z "$deb" ]; then
        log "apt-get download $pkg"
        (cd "$CACHE/debs" && apt-get -o APT::Sandbox::User=root download -q "$pkg" >/dev/null) || { log "download of $pkg failed"; return 1; }
        deb=$(ls "$CACHE/debs/${pkg}"_*.deb | head -1)
    fi
    rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
    dpkg -x "$deb" "$dir.tmp"
    mv "$dir.tmp" "$dir"
    log "kernel $ksel: $(ls "$dir"/boot/vmlinuz-*)"
    echo "$dir"
}

fetch_qemu10() {
    local root=$CACHE/qemu10/root d
    if [ -x "$root/usr/bin/qemu-system-x86_64" ]; then echo "$root"; return 0; fi
    backports_apt_opts
    log "apt-get update (bookworm-backports, private lists under $CACHE/apt-backports)"
    apt-get "${BPO_OPTS[@]}" update -q >/dev/null 2>&1 || { log "cannot read bookworm-backports"; return 1; }
    mkdir -p "$CACHE/qemu10/debs"
    (cd "$CACHE/qemu10/debs" && rm -f ./*.deb &&
        apt-get "${BPO_OPTS[@]}" -o APT::Sandbox::User=root download -q qemu-system-x86/bookworm-backports qemu-system-data/bookworm-backports >/dev/null) \
        || { log "download of QEMU from bookworm-backports failed"; return 1; }
    rm -rf "$root.tmp"; mkdir -p "$root.tmp"
    for d in "$CACHE"/qemu10/debs/*.deb; do dpkg -x "$d" "$root.tmp"; done
    mv "$root.tmp" "$root"
    log "QEMU: $("$HERE/qemu.sh" 10 --version 2>/dev/null | head -1)"
    echo "$root"
}

case ${1:-all} in
    kernel) fetch_kernel "${2:?kernel version: 6.12 or 6.1}" ;;
    qemu10) fetch_qemu10 ;;
    all)    fetch_kernel 6.12 && fetch_kernel 6.1 && fetch_qemu10 ;;
    *) echo "usage: $0 kernel 6.12|6.1 | qemu10 | all" >&2; exit 2 ;;
esac
