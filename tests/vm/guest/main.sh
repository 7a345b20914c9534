#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The lab inside the guest: finds the device set by serial / nsid / WWN, builds the LIO
# targets, runs every scenario that belongs to this boot and writes the results (a tar) to the
# virtio disk with serial LABRESULTS for the host to read.
# Kernel command line: lab.boot=N (1, or 2 for the renamed-devices boot), lab.kernel=6.12|6.1,
# lab.qemu=10|7.2, lab.only=a,b (scenario names to run; default all), lab.fixtures=all (capture
# every fixture group in 90-capture-fixtures), lab.bench=MIB,REPS (run-lab.sh --bench: the benchmark
# devices are there; run the scenarios marked `# lab-bench: yes`, which are left out otherwise).
arg() { sed -n "s/.*lab\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
LAB_BOOT=$(arg boot); LAB_BOOT=${LAB_BOOT:-1}
LAB_KERNEL=$(arg kernel); LAB_QEMU=$(arg qemu); LAB_ONLY=$(arg only); LAB_FIXTURES=$(arg fixtures); LAB_BENCH=$(arg bench)
mkdir -p /run/lab/out/scenarios /run/lab/state /run/lab/prev
: > /run/lab/out/results.txt; : > /run/lab/out/hostchecks.txt
echo "LAB: boot $LAB_BOOT kernel $(uname -r) (lab.kernel=$LAB_KERNEL) qemu $LAB_QEMU"

for m in virtio_pci virtio_blk nvme dm-mod dm-crypt configfs target_core_mod target_core_iblock \
         target_core_file tcm_loop sd_mod sg loop nvmet nvmet-tcp nvme-tcp nvme-fabrics; do
    modprobe $m 2>/tmp/modprobe.err || echo "LAB: modprobe $m: $(cat /tmp/modprobe.err)"
done
modprobe brd rd_nr=2 rd_size=65536
grep -q " /sys/kernel/config " /proc/mounts || mount -t configfs none /sys/kernel/config
ip link set lo up
echo "LAB: modules loaded at $(cut -d' ' -f1 /proc/uptime)s"
# devices probe asynchronously: wait until the NVMe namespaces and virtio disks are there
nns=5 nvd=5; [ -n "$LAB_BENCH" ] && nns=6 nvd=9   # --bench: one more namespace, four more virtio disks
i=0; while [ $i -lt 50 ]; do
    [ "$(ls -d /sys/block/nvme*n* 2>/dev/null | grep -vc 'c[0-9]*n')" -ge $nns ] && [ "$(ls -d /sys/block/vd* 2>/dev/null | wc -l)" -ge $nvd ] && break
    sleep 0.2; i=$((i+1))
done

# ---- find the device set (never by name: names move between boots) -----------------------
ctrl_by_serial() { for c in /sys/class/nvme/nvme*; do [ "$(tr -d ' ' < $c/serial 2>/dev/null)" = "$1" ] && { basename $c; return; }; done; }
# The namespace block device of controller $1 with nsid $2. With native multipath the node is
# named after the subsystem instance and scan order, so look it up through sysfs links.
ns_dev() { for b in /sys/block/nvme*n*; do case ${b##*/} in nvme*c*n*) continue;; esac
           { [ -e $b/device/$1 ] || [ "$(basename "$(readlink -f $b/device)")" = "$1" ]; } &&
           [ "$(cat $b/nsid 2>/dev/null)" = "$2" ] && { echo /dev/${b##*/}; return; }; done; }
vd_by_serial() { for b in /sys/block/vd*; do [ "$(cat $b/serial 2>/dev/null)" = "$1" ] && { echo /dev/${b##*/}; return; }; done; }
CTRL_A=$(ctrl_by_serial OFFLCTRLA); CTRL_B=$(ctrl_by_serial OFFLCTRLB); CTRL_P=$(ctrl_by_serial OFFLCTRLP)
NS_SMALL=$(ns_dev "$CTRL_A" 1); NS_LARGE=$(ns_dev "$CTRL_A" 2); NS_ZONED=$(ns_dev "$CTRL_A" 3)
NS_B1=$(ns_dev "$CTRL_B" 1); NS_4K=$(ns_dev "$CTRL_B" 2); NS_PT=$(ns_dev "$CTRL_P" 1)
VD_PLAIN=$(vd_by_serial PLAINVIRT); VD_RESULTS=$(vd_by_serial LABRESULTS)
VD_LIOA=$(vd_by_serial LIOBACKA); VD_LIOB=$(vd_by_serial LIOBACKB); VD_LIOC=$(vd_by_serial LIOBACKC)
CTRL_BENCH=; NS_BENCH=; VD_BENCHS=; VD_BENCHD=; VD_BENCH4S=; VD_BENCH4D=
if [ -n "$LAB_BENCH" ]; then  # run-lab.sh --bench: the benchmark devices
    CTRL_BENCH=$(ctrl_by_serial OFFLBENCH); NS_BENCH=$(ns_dev "$CTRL_BENCH" 1)
    VD_BENCHS=$(vd_by_serial LIOBENCHS); VD_BENCHD=$(vd_by_serial LIOBENCHD)
    VD_BENCH4S=$(vd_by_serial LIOBENCH4S); VD_BENCH4D=$(vd_by_serial LIOBENCH4D)
fi

echo "LAB: NVMe and virtio devices there at $(cut -d' ' -f1 /proc/uptime)s"
# boot 2 reads what boot 1 left on the results disk (for the renamed-devices check)
[ -n "$VD_RESULTS" ] && [ "$LAB_BOOT" != 1 ] && tar -xf "$VD_RESULTS" -C /run/lab/prev 2>/dev/null

# ---- LIO: two tcm_loop targets; LUN serials with distinct hex digits (LIO derives the NAA from them)
T=/sys/kernel/config/target
mkbs() { # type name backing serial [emulate_3pc]
    d=$T/core/$1/$2; mkdir -p $d
    case $1 in iblock*) echo "udev_path=$3" > $d/control;; fileio*) echo "fd_dev_name=$3,fd_dev_size=67108864" > $d/control;; esac
    echo "$4" > $d/wwn/vpd_unit_serial; echo 1 > $d/enable
    [ -n "${5:-}" ] && echo "$5" > $d/attrib/emulate_3pc
}
mklun() { L=$T/loopback/$1/tpgt_1/lun/lun_$2; mkdir -p $L; ln -s $3 $L/$(basename $3); }
W1=naa.50014051ab000001; W2=naa.50014051ab000002
if [ -d $T ] || [ -d /sys/module/target_core_mod ]; then
    truncate -s 64M /tmp/lio-file0.img
    mkbs iblock_0 lioa "$VD_LIOA" c0de0a01; mkbs iblock_0 liob "$VD_LIOB" c0de0a02
    mkbs fileio_0 file0 /tmp/lio-file0.img c0de0a03; mkbs iblock_0 no3pc /dev/ram0 c0de0a04 0
    mkbs iblock_0 lioc "$VD_LIOC" c0de0b01
    mktarget() { mkdir -p $T/loopback/$1/tpgt_1; echo $2 > $T/loopback/$1/tpgt_1/nexus; }
    if [ "$LAB_BOOT" = 1 ]; then
        mktarget $W1 naa.50014051ab00f001; mktarget $W2 naa.50014051ab00f002
        mklun $W1 0 $T/core/iblock_0/lioa; mklun $W1 1 $T/core/iblock_0/liob
        mklun $W1 2 $T/core/fileio_0/file0; mklun $W1 3 $T/core/iblock_0/no3pc
        mklun $W2 0 $T/core/iblock_0/lioc
        if [ -n "$VD_BENCHS" ] && [ -n "$VD_BENCHD" ]; then  # benchmark LUNs 4 and 5 of target 1, 3PC
            mkbs iblock_0 benchs "$VD_BENCHS" c0de0a05; mkbs iblock_0 benchd "$VD_BENCHD" c0de0a06
            mklun $W1 4 $T/core/iblock_0/benchs; mklun $W1 5 $T/core/iblock_0/benchd
        fi
        if [ -n "$VD_BENCH4S" ] && [ -n "$VD_BENCH4D" ]; then  # LUNs 6 and 7: 4096-byte blocks (the disks')
            mkbs iblock_0 bench4s "$VD_BENCH4S" c0de0a07; mkbs iblock_0 bench4d "$VD_BENCH4D" c0de0a08
            mklun $W1 6 $T/core/iblock_0/bench4s; mklun $W1 7 $T/core/iblock_0/bench4d
        fi
    else   # the other order: SCSI disk names move
        mktarget $W2 naa.50014051ab00f002; mktarget $W1 naa.50014051ab00f001
        mklun $W2 0 $T/core/iblock_0/lioc
        mklun $W1 3 $T/core/iblock_0/no3pc; mklun $W1 2 $T/core/fileio_0/file0
        mklun $W1 1 $T/core/iblock_0/liob; mklun $W1 0 $T/core/iblock_0/lioa
    fi
    nsd=5; [ -n "$VD_BENCHS" ] && [ -n "$VD_BENCHD" ] && [ "$LAB_BOOT" = 1 ] && nsd=7
    [ -n "$VD_BENCH4S" ] && [ -n "$VD_BENCH4D" ] && [ "$LAB_BOOT" = 1 ] && nsd=$((nsd + 2))
    i=0; while [ $i -lt 30 ] && [ "$(ls -d /sys/block/sd* 2>/dev/null | wc -l)" -lt $nsd ]; do sleep 0.2; i=$((i+1)); done
fi
echo "LAB: LIO LUNs there at $(cut -d' ' -f1 /proc/uptime)s"
# unit serial of each SCSI disk from VPD page 0x80 as the kernel caches it (4-byte header, then the serial)
for b in /sys/block/sd*; do
    if [ -e $b/device/vpd_pg80 ]; then echo "${b##*/} $(tail -c +5 $b/device/vpd_pg80 | tr -d '\000 ')"
    else echo "${b##*/} $(sg_inq -p 0x80 /dev/${b##*/} 2>/dev/null | sed -n 's/.*Unit serial number: *//p')"; fi
done > /tmp/sd-serials
sd_by_serial() { awk -v s="$1" '$2 == s {print "/dev/" $1; exit}' /tmp/sd-serials; }
SD_T1A=$(sd_by_serial c0de0a01); SD_T1B=$(sd_by_serial c0de0a02); SD_T1F=$(sd_by_serial c0de0a03)
SD_T1N=$(sd_by_serial c0de0a04); SD_T2C=$(sd_by_serial c0de0b01)
SD_BENCHS=$(sd_by_serial c0de0a05); SD_BENCHD=$(sd_by_serial c0de0a06)
SD_BENCH4S=$(sd_by_serial c0de0a07); SD_BENCH4D=$(sd_by_serial c0de0a08)
# tools that resolve devices through udev's /dev/block/MAJ:MIN links (sg_xcopy): there is no udev
mkdir -p /dev/block /dev/char
for d in /sys/dev/block/* /sys/dev/char/*; do
    t=${d%/*}; t=${t##*/}; n=
    while IFS== read -r k v; do [ "$k" = DEVNAME ] && n=$v; done < $d/uevent
    case $t:$n in block:?*|char:sg*|char:ng*|char:nvme*) ln -sf ../$n /dev/$t/${d##*/};; esac
done
# LUN creation leaves a REPORTED LUNS DATA HAS CHANGED unit attention on every LUN (INQUIRY
# does not clear it): TEST UNIT READY twice, as udev's scans would on a normal system
for s in $SD_T1A $SD_T1B $SD_T1F $SD_T1N $SD_T2C $SD_BENCHS $SD_BENCHD $SD_BENCH4S $SD_BENCH4D; do sg_turs $s >/dev/null 2>&1; sg_turs $s >/dev/null 2>&1; done

{
    for v in LAB_BOOT LAB_KERNEL LAB_QEMU LAB_FIXTURES CTRL_A CTRL_B CTRL_P NS_SMALL NS_LARGE NS_ZONED NS_B1 NS_4K NS_PT \
             VD_PLAIN VD_RESULTS VD_LIOA VD_LIOB VD_LIOC SD_T1A SD_T1B SD_T1F SD_T1N SD_T2C; do
        eval "echo $v=\$$v"
    done
    [ -n "$LAB_BENCH" ] && for v in LAB_BENCH CTRL_BENCH NS_BENCH VD_BENCHS VD_BENCHD SD_BENCHS SD_BENCHD VD_BENCH4S VD_BENCH4D SD_BENCH4S SD_BENCH4D; do
        eval "echo $v=\$$v"
    done
    echo "LIO_T1=$W1"; echo "LIO_T2=$W2"
} > /run/lab/env
echo "LAB: devices:"; sed 's/^/LAB:   /' /run/lab/env
cp /run/lab/env /run/lab/out/env.txt
{ echo "== lsblk-like"; for b in /sys/block/*; do echo "${b##*/} $(cat $b/dev) size=$(cat $b/size) lbs=$(cat $b/queue/logical_block_size)"; done
  echo "== nvme list"; nvme list 2>&1; echo "== dmesg"; dmesg | tail -80; } > /run/lab/out/devices.txt 2>&1
command -v offloadcp >/dev/null && echo "LAB: $(offloadcp --version 2>&1 | head -1)"

echo "LAB: setup done at $(cut -d' ' -f1 /proc/uptime)s"
# ---- scenarios ----------------------------------------------------------------------------
NP=0; NF=0; NS=0
for s in /lab/scenarios/*.sh; do
    name=$(basename "$s" .sh)
    boots=$(sed -n 's/^# lab-boots: *//p' "$s" | head -1); boots=${boots:-1}
    case " $boots " in *" $LAB_BOOT "*) ;; *) continue;; esac
    if grep -q '^# lab-bench: *yes' "$s" && [ -z "$LAB_BENCH" ]; then  # benchmarks: only with run-lab.sh --bench
        case ",$LAB_ONLY," in *",$name,"*)
            line="SKIP: $name: a benchmark: runs only with run-lab.sh --bench MIB[,REPS]"; NS=$((NS+1))
            echo "$line"; echo "$line" >> /run/lab/out/results.txt ;;
        esac
        continue
    fi
    if [ -n "$LAB_ONLY" ]; then case ",$LAB_ONLY," in *",$name,"*) ;; *) continue;; esac; fi
    tmo=$(sed -n 's/^# lab-timeout: *//p' "$s" | head -1); tmo=${tmo:-240}
    st=/run/lab/state/$name; mkdir -p "$st" /run/lab/out/scenarios/$name
    t0=$(cut -d' ' -f1 /proc/uptime)
    echo "LAB: --- $name (boot $LAB_BOOT)"
    timeout -s KILL "$tmo" sh /lab/run-one.sh "$s" > /run/lab/out/scenarios/$name/log.txt 2>&1; rc=$?
    sed 's/^/  | /' /run/lab/out/scenarios/$name/log.txt
    t=$(echo "$(cut -d' ' -f1 /proc/uptime) $t0" | awk '{printf "%.1f", $1-$2}')
    np=$(cat $st/passes 2>/dev/null | wc -l)
    if [ $rc = 77 ] && [ ! -s $st/fails ]; then
        line="SKIP: $name: $(cat $st/skip 2>/dev/null)"; NS=$((NS+1))
    elif [ -s $st/fails ]; then
        line="FAIL: $name: $(head -1 $st/fails)$( [ $(wc -l < $st/fails) -gt 1 ] && echo " (+$(( $(wc -l < $st/fails) - 1 )) more)")"; NF=$((NF+1))
    elif [ $rc = 137 ]; then line="FAIL: $name: timed out after ${tmo}s"; NF=$((NF+1))
    elif [ $rc != 0 ]; then line="FAIL: $name: exited with status $rc"; NF=$((NF+1))
    elif [ "$np" = 0 ]; then line="FAIL: $name: no check ran"; NF=$((NF+1))
    else line="PASS: $name ($np checks)"; NP=$((NP+1)); fi
    echo "$line [${t}s]"; echo "$line [${t}s]" >> /run/lab/out/results.txt
done
echo "GUEST-SUMMARY: boot $LAB_BOOT: $NP passed, $NF failed, $NS skipped"

# ---- results out: a tar on the raw results disk -------------------------------------------
dmesg > /run/lab/out/dmesg.txt
if [ -n "$VD_RESULTS" ]; then
    tar -cf /tmp/results.tar -C /run/lab/out . && dd if=/tmp/results.tar of="$VD_RESULTS" bs=1M conv=fsync status=none \
        && echo "LAB: results written to $VD_RESULTS ($(wc -c < /tmp/results.tar) bytes)"
else
    echo "LAB: no results disk (serial LABRESULTS)"
fi
