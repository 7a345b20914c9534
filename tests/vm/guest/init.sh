#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /init of the lab's guest: mounts the pseudo file systems, loads the modules, runs
# /lab/main.sh (device setup + scenarios + results), then powers off.
export PATH=/lab/bin:/sbin:/bin:/usr/sbin:/usr/bin DM_DISABLE_UDEV=1 HOME=/root
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm; mount -t tmpfs tmp /tmp; mount -t tmpfs run /run
echo /sbin/modprobe > /proc/sys/kernel/modprobe; echo 1 > /proc/sys/kernel/printk
echo "GUEST-INIT: up at $(cut -d' ' -f1 /proc/uptime)s kernel $(uname -r)"
sh /lab/main.sh 2>&1
echo "GUEST-DONE: at $(cut -d' ' -f1 /proc/uptime)s"
sync; poweroff -f
