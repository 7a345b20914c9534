#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs everything offloadcp needs to build, test and run its QEMU lab, from Debian 12
# packages by name. Run as root (or with sudo). Safe to run again.
#   packaging/install-deps.sh          build + unit tests + lab host tools
#   packaging/install-deps.sh --build  build only
set -euo pipefail
BUILD=(build-essential cmake ninja-build pkg-config ccache
       qt6-base-dev qt6-charts-dev libqt6opengl6-dev libqt6svg6 libgl-dev
       libnvme-dev libjson-c-dev libsgutils2-dev libdevmapper-dev liburing-dev
       libcli11-dev nlohmann-json3-dev)
TEST=(util-linux e2fsprogs fio xvfb xauth
      qemu-system-x86 busybox-static nvme-cli sg3-utils ddpt dmsetup cryptsetup-bin
      cpio xz-utils zstd kmod bc jq xfsprogs
      dbus pkexec polkitd   # the app's privileged path, tests/integration/pkexec_copy.sh
      clang-19 libclang-rt-19-dev)  # tests/fuzz: libFuzzer (clang 14 and 16 cannot compile libstdc++ 12's <expected>)
pkgs=("${BUILD[@]}")
[ "${1:-}" = --build ] || pkgs+=("${TEST[@]}")
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
    echo "install-deps: all ${#pkgs[@]} packages present"
fi
