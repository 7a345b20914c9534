#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The QEMU lab: boots a Debian guest kernel under QEMU (TCG) with the documented device set
# (README.md), runs the scenarios in tests/vm/scenarios inside it, then checks the QEMU backing
# files from the host. Prints PASS/FAIL/SKIP per scenario and ends with "N passed, N failed".
# Usage: run-lab.sh --offloadcp PATH [--kernel 6.12|6.1] [--qemu 10|7.2] [--out DIR]
#                   [--bin PATH]... [--only a,b] [--boots "1 2"] [--fixtures all] [--bench MIB[,REPS]]
# --bench adds the benchmark devices (README.md) with MIB of random data in their source ranges
# and runs the scenarios marked `# lab-bench: yes`, which are left out of every run without it
# (tests/bench/lab_bench.sh uses --bench 256,3 --only 50-bench-offload --boots 1).
# Exit: 0 all passed, 1 a failure, 77 cannot run here (not root, no QEMU, nothing to boot).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
KSEL=6.12 QV=10 OUT= ONLY= BOOTS="1 2" OFFLOADCP= BINS=() FIXTURES= BENCH=
while [ $# -gt 0 ]; do
    case $1 in
        --offloadcp) OFFLOADCP=$2; shift 2 ;;
        --kernel) KSEL=$2; shift 2 ;;
        --qemu) QV=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --bin) BINS+=("$2"); shift 2 ;;
        --only) ONLY=$2; shift 2 ;;
        --boots) BOOTS=$2; shift 2 ;;
        --fixtures) FIXTURES=$2; shift 2 ;;
        --bench) BENCH=$2; shift 2 ;;
        *) echo "run-lab.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
OUT=${OUT:-$HERE/out/lab-$KSEL}
[[ -z $BENCH || $BENCH =~ ^[1-9][0-9]*(,[1-9][0-9]*)?$ ]] || { echo "run-lab.sh: --bench MIB[,REPS] (numbers)" >&2; exit 2; }
BENCH_MIB=${BENCH%%,*}
TMO=${OFFLOADCP_VM_TIMEOUT:-900}
skip() { echo "SKIP: vm lab (kernel $KSEL, QEMU $QV): $*"; exit 77; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", b-a}'; }
now() { date +%s.%N; }

# ---- can we run here? -------------------------------------------------------------------
[ "$(id -u)" = 0 ] || skip "needs root (QEMU's private mount namespace, loop-free raw images, dpkg -x)"
[ -n "$OFFLOADCP" ] && [ -x "$OFFLOADCP" ] || { echo "run-lab.sh: --offloadcp PATH (the built CLI) is required" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || [ "$QV" = 10 ] || skip "no qemu-system-x86_64 (packaging/install-deps.sh installs it)"
for t in unshare cpio gzip dpkg apt-get jq busybox nvme sg_xcopy ddpt dmsetup cryptsetup; do
    command -v $t >/dev/null || skip "host tool '$t' missing (run packaging/install-deps.sh)"
done
T0=$(now)
KDIR=$("$HERE/fetch.sh" kernel "$KSEL" | tail -1) || skip "guest kernel $KSEL not cached and apt-get download failed (no network?)"
if [ "$QV" = 10 ]; then
    "$HERE/fetch.sh" qemu10 >/dev/null || skip "QEMU 10 not cached and bookworm-backports unreachable (no network?)"
    unshare -m true 2>/dev/null || skip "cannot create a private mount namespace (unshare -m), which QEMU 10 needs to hide QEMU 7.2's modules"
fi
T1=$(now)
VMLINUZ=$(ls "$KDIR"/boot/vmlinuz-* | head -1)
rm -rf "$OUT"; mkdir -p "$OUT/img"
"$HERE/mkinitramfs.sh" "$KDIR" "$OUT/initrd.cpio.gz" "offloadcp=$OFFLOADCP" "${BINS[@]}" | sed 's/^/HOST: /' || { echo "FAIL: building the initramfs"; echo "0 passed, 1 failed"; exit 1; }
T2=$(now)

# ---- the device set (README.md) ---------------------------------------------------------
I=$OUT/img
for f in a-small:256M a-large:256M a-zoned:64M b-ns1:128M b-4k:64M p-ns1:64M virt-plain:32M \
         lio-a:64M lio-b:64M lio-c:64M results:64M; do truncate -s "${f#*:}" "$I/${f%%:*}.img"; done
# benchmark devices (--bench only): the source range (MIB from offset 0) holds random data; the
# NVMe namespace holds source and destination (offset MIB + 16 MiB), the LIO LUNs one each (two
# LUNs on 512-byte virtio disks, two on 4096-byte ones)
if [ -n "$BENCH" ]; then
    truncate -s $((2 * BENCH_MIB + 32))M "$I/bench-nvme.img"
    for f in bench-lio-s bench-lio-d bench-lio4k-s bench-lio4k-d; do truncate -s $((BENCH_MIB + 16))M "$I/$f.img"; done
    head -c $((BENCH_MIB * 1048576)) /dev/urandom > "$I/bench-src.bin"
    for f in bench-nvme bench-lio-s bench-lio4k-s; do dd if="$I/bench-src.bin" of="$I/$f.img" bs=1M conv=notrunc status=none; done
    rm -f "$I/bench-src.bin"
fi
# b-ns1 and p-ns1 are throttled (8 MB/s of reads and writes, the device's own Copy included) so
# that a copy of a few MiB lasts long enough for the fault scenarios to interrupt it
drive() { local t=; case $1 in b-ns1|p-ns1) t=,throttling.bps-total=8388608;; esac
          echo "-drive file=$I/$1.img,if=none,id=$1,format=raw,cache=writeback$t"; }
devices() { # LAYOUT: A = boot 1, B = the same devices attached in another order (names move)
    local ctrl_a=(-device nvme,id=nvmeA,serial=OFFLCTRLA) ns_a=() ctrl_b ctrl_p virt
    ns_a+=(-device nvme-ns,drive=a-small,bus=nvmeA,nsid=1,mssrl=256,mcl=1024,msrc=7)
    ns_a+=(-device nvme-ns,drive=a-large,bus=nvmeA,nsid=2,mssrl=65535,mcl=65535,msrc=127)
    [ "$QV" = 10 ] && ns_a+=(-device nvme-ns,drive=a-zoned,bus=nvmeA,nsid=3,zoned=on,zoned.zone_size=4M,mssrl=256,mcl=1024,msrc=7)
    ctrl_b=(-device nvme,id=nvmeB,serial=OFFLCTRLB
            -device nvme-ns,drive=b-ns1,bus=nvmeB,nsid=1,mssrl=128,mcl=512,msrc=3
            -device nvme-ns,drive=b-4k,bus=nvmeB,nsid=2,logical_block_size=4096,physical_block_size=4096,mssrl=64,mcl=256,msrc=15)
    ctrl_p=(-device nvme,id=nvmeP,serial=OFFLCTRLP -device nvme-ns,drive=p-ns1,bus=nvmeP,nsid=1,mssrl=128,mcl=1024,msrc=7)
    virt=(-device virtio-blk-pci,drive=virt-plain,serial=PLAINVIRT -device virtio-blk-pci,drive=lio-a,serial=LIOBACKA
          -device virtio-blk-pci,drive=lio-b,serial=LIOBACKB -device virtio-blk-pci,drive=lio-c,serial=LIOBACKC
          -device virtio-blk-pci,drive=results,serial=LABRESULTS)
    for f in a-small a-large a-zoned b-ns1 b-4k p-ns1 virt-plain lio-a lio-b lio-c results; do
        [ $f = a-zoned ] && [ "$QV" != 10 ] && continue; drive $f; done
    if [ "$1" = A ]; then
        echo "${ctrl_a[@]} ${ns_a[@]} ${ctrl_b[@]} ${ctrl_p[@]} ${virt[@]}"
    else  # controllers in reverse order, controller A's namespaces attached last-first, virtio reversed
        local rev=() i; for ((i=${#ns_a[@]}-2; i>=0; i-=2)); do rev+=("${ns_a[i]}" "${ns_a[i+1]}"); done
        local vrev=(); for ((i=${#virt[@]}-2; i>=0; i-=2)); do vrev+=("${virt[i]}" "${virt[i+1]}"); done
        echo "${ctrl_p[@]} ${ctrl_b[@]} ${ctrl_a[@]} ${rev[@]} ${vrev[@]}"
    fi
    if [ -n "$BENCH" ]; then  # after the standard devices, which keep their places
        for f in bench-nvme bench-lio-s bench-lio-d bench-lio4k-s bench-lio4k-d; do drive $f; done
        echo "-device nvme,id=nvmeX,serial=OFFLBENCH"
        echo "-device nvme-ns,drive=bench-nvme,bus=nvmeX,nsid=1,mssrl=65535,mcl=262140,msrc=127"
        echo "-device virtio-blk-pci,drive=bench-lio-s,serial=LIOBENCHS -device virtio-blk-pci,drive=bench-lio-d,serial=LIOBENCHD"
        local k4=logical_block_size=4096,physical_block_size=4096
        echo "-device virtio-blk-pci,drive=bench-lio4k-s,serial=LIOBENCH4S,$k4 -device virtio-blk-pci,drive=bench-lio4k-d,serial=LIOBENCH4D,$k4"
    fi
}

NP=0 NF=0 NS=0
record() { echo "$1"; case $1 in PASS:*) NP=$((NP+1));; FAIL:*) NF=$((NF+1));; SKIP:*) NS=$((NS+1));; esac; }
boot() { # N LAYOUT
    local n=$1 layout=$2 log=$OUT/console-boot$1.log rc t0 t1
    local append="console=ttyS0 panic=-1 quiet lab.boot=$n lab.kernel=$KSEL lab.qemu=$QV${ONLY:+ lab.only=$ONLY}${FIXTURES:+ lab.fixtures=$FIXTURES}${BENCH:+ lab.bench=$BENCH}"
    # shellcheck disable=SC2046
    local cmd=(timeout "$TMO" "$HERE/qemu.sh" "$QV" -accel tcg -cpu max -m 2G -smp 2 -nographic -no-reboot -nic none
               -kernel "$VMLINUZ" -initrd "$OUT/initrd.cpio.gz" -append "$append" $(devices "$layout"))
    echo "HOST: ${cmd[*]}" > "$log"
    t0=$(now); "${cmd[@]}" >> "$log" 2>&1; rc=$?; t1=$(now)
    mkdir -p "$OUT/boot$n"
    tar -xf "$I/results.img" -C "$OUT/boot$n" 2>/dev/null
    echo "HOST: boot $n (layout $layout) QEMU exit $rc after $(secs "$t0" "$t1")s, guest $(tr -d '\r' < "$log" | sed -n 's/^GUEST-DONE: at \([0-9.]*\)s/\1s/p')"
    if ! grep -aq "^GUEST-SUMMARY" <(tr -d '\r' < "$log"); then
        record "FAIL: boot $n: the guest did not finish (QEMU exit $rc; see $log)"
        tr -d '\r' < "$log" | tail -15 | sed 's/^/HOST:   /'
    fi
    if [ -f "$OUT/boot$n/results.txt" ]; then
        while IFS= read -r l; do record "$(echo "$l" | sed "s/^\(PASS\|FAIL\|SKIP\): /\1: [boot $n] /")"; done < "$OUT/boot$n/results.txt"
    elif grep -aq "^GUEST-SUMMARY" <(tr -d '\r' < "$log"); then  # results disk unreadable: fall back to the console
        while IFS= read -r l; do record "$(echo "$l" | sed "s/^\(PASS\|FAIL\|SKIP\): /\1: [boot $n] /")"; done \
            < <(tr -d '\r' < "$log" | grep -aE '^(PASS|FAIL|SKIP): ')
    fi
}

# ---- host-side checks on the backing files ----------------------------------------------
slice() { dd if="$I/$1" iflag=skip_bytes,count_bytes skip="$2" count="$3" bs=1M status=none; }
hostchecks() { # FILE
    local kind desc a b ia oa la ib ob lb ma mb
    [ -f "$1" ] || return 0
    while IFS='|' read -r kind desc a b; do
        IFS=: read -r ia oa la <<< "$a"
        case $kind in
            same)
                IFS=: read -r ib ob lb <<< "$b"
                ma=$(slice "$ia" "$oa" "$la" | md5sum | cut -d' ' -f1); mb=$(slice "$ib" "$ob" "$lb" | md5sum | cut -d' ' -f1)
                if [ "$ma" = "$mb" ] && [ "$(slice "$ia" "$oa" "$la" | tr -d '\000' | head -c 1 | wc -c)" = 1 ]; then
                    record "PASS: host: $desc ($a == $b)"
                else record "FAIL: host: $desc: $a ($ma) != $b ($mb) or all zero"; fi ;;
            has)
                if slice "$ia" "$oa" "$la" | grep -aqF -- "$b"; then record "PASS: host: $desc ('$b' in $a)"
                else record "FAIL: host: $desc: '$b' not in $a"; fi ;;
        esac
    done < "$1"
}

n=0
for b in $BOOTS; do
    n=$((n+1)); layout=A; [ "$b" = 2 ] && layout=B
    if [ "$b" != 1 ] && [ ! -f "$OUT/boot1/results.txt" ]; then record "FAIL: boot $b: boot 1 left no results"; continue; fi
    boot "$b" "$layout"
    hostchecks "$OUT/boot$b/hostchecks.txt"
done
T3=$(now)
echo "TIME: fetch $(secs "$T0" "$T1")s, initramfs $(secs "$T1" "$T2")s, boots+scenarios $(secs "$T2" "$T3")s, total $(secs "$T0" "$T3")s (kernel $KSEL, QEMU $QV; logs in $OUT)"
[ $NS -gt 0 ] && echo "($NS skipped)"
echo "$NP passed, $NF failed"
[ "$NF" = 0 ] && [ "$NP" -gt 0 ]
