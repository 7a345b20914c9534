#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs a QEMU system emulator: `qemu.sh 7.2 ARGS...` the host's qemu-system-x86_64 (Debian 12),
# `qemu.sh 10 ARGS...` the copy unpacked by fetch.sh into cache/qemu10/root.
# QEMU 10 would load the host QEMU 7.2's modules from /usr/lib/x86_64-linux-gnu/qemu and abort
# ("Only modules from the same build can be loaded"), so it runs in a private mount namespace
# (unshare -m) where an empty folder is bind-mounted over that path; the host is not changed.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${OFFLOADCP_VM_CACHE:-$HERE/cache}
ver=${1:?QEMU version: 7.2 or 10}; shift
case $ver in
    7.2) exec qemu-system-x86_64 "$@" ;;
    10)
        root=$CACHE/qemu10/root
        [ -x "$root/usr/bin/qemu-system-x86_64" ] || { echo "qemu.sh: QEMU 10 not fetched (tests/vm/fetch.sh qemu10)" >&2; exit 2; }
        mods=/usr/lib/x86_64-linux-gnu/qemu
        if [ -d "$mods" ]; then
            mkdir -p "$CACHE/qemu10/modules-empty"
            exec unshare -m sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' sh \
                "$CACHE/qemu10/modules-empty" "$mods" "$root/usr/bin/qemu-system-x86_64" -L "$root/usr/share/qemu" "$@"
        fi
        exec "$root/usr/bin/qemu-system-x86_64" -L "$root/usr/share/qemu" "$@" ;;
    *) echo "qemu.sh: unknown QEMU version '$ver' (7.2 or 10)" >&2; exit 2 ;;
esac
