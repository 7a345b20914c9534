#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# lab-bench: yes
# lab-timeout: 5400
# Benchmark, not a test of figures: offloaded copy vs the host copy vs the reference tools on
# the same ranges, on the benchmark devices that only `run-lab.sh --bench MIB[,REPS]` attaches
# (tests/bench/lab_bench.sh boots it and prints the table):
#   nvme: NS_BENCH (QEMU nvme, mssrl=65535 mcl=262140 msrc=127), MIB from LBA 0 to offset MIB+16 MiB
#         offloadcp --require-offload | offloadcp --no-offload | nvme copy (a loop of commands
#         within MSSRL/MCL/MSRC) | dd bs=1M iflag=direct oflag=direct
#   lio:  SD_BENCHS -> SD_BENCHD (LUNs 4 and 5 of LIO target 1, tcm_loop, emulate_3pc=1, 512-byte
#         blocks), MIB at 0
#         offloadcp --require-offload | offloadcp --no-offload | sg_xcopy | dd
#   lio4k: SD_BENCH4S -> SD_BENCH4D (LUNs 6 and 7, the same but 4096-byte blocks): an EXTENDED COPY
#         segment holds at most 65,535 blocks and LIO takes one segment per command, so this
#         copy needs 8 times fewer commands than lio (256 MiB each instead of 32 MiB)
#         offloadcp --require-offload | offloadcp --no-offload | sg_xcopy
#   idle: the guest's CPU use while nothing runs (sleep 20), once per repetition: what the whole
#         guest figure counts whatever runs (timer ticks, kernel threads)
# Before each copy the destination range is zeroed (blkdiscard -z) and checked zero at samples;
# after it the whole range is read back with O_DIRECT and its md5 compared with the source's,
# so a copy that did not happen cannot give a figure. Each repetition also times offloadcp on
# 1 MiB (tools offloadcp-offload-1MiB, offloadcp-fallback-1MiB): its fixed cost per run (device
# scan, flushes, buffers), which does not grow with the size. Writes $ART/bench.tsv, one line a copy:
#   case tool rep bytes wall_s user_s sys_s guest_busy_s verified note
# wall/user/sys: busybox time of the whole command (user+system CPU of the process and the
# children it waited for); guest_busy: all guest CPUs' non-idle time from /proc/stat over the
# command (includes kernel threads, e.g. LIO's copy workers). note: offloadcp's own accounting
# (copy_seconds, its job threads' CPU), the number of nvme copy / EXTENDED COPY commands.
. /lab/copy.sh
[ -n "${LAB_BENCH:-}" ] || skip "a benchmark: runs only with run-lab.sh --bench MIB[,REPS]"
MIB=${LAB_BENCH%%,*}; REPS=1; case $LAB_BENCH in *,*) REPS=${LAB_BENCH#*,};; esac
LEN=$((MIB * 1048576))
TSV=$ART/bench.tsv
echo "# mib=$MIB reps=$REPS kernel=$(uname -r) cpus=$(nproc)" > "$TSV"

busy_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }   # user nice system irq softirq steal
# range_md5 DEV OFFSET_BYTES MIB: md5 of MIB MiB read with O_DIRECT
range_md5() { /usr/bin/dd if="$1" bs=1M skip=$(($2 / 1048576)) count=$3 iflag=direct status=none | /usr/bin/md5sum | cut -d' ' -f1; }
# erase DEV OFFSET BYTES: zero the destination range, then check 4 KiB samples every 16 MiB and the last 4 KiB
erase() {
    /usr/sbin/blkdiscard -f -z -o "$2" -l "$3" "$1" || { fail "blkdiscard -z $1 at $2 failed"; return 1; }
    _o=0; while [ $_o -lt "$3" ]; do
        [ "$(rd "$1" $((($2 + _o) / 4096)) 1 4096 | tr -d '\000' | wc -c)" = 0 ] || { fail "$1 not zero at $(($2 + _o)) after blkdiscard -z"; return 1; }
        _o=$((_o + 16777216)); done
    [ "$(rd "$1" $((($2 + $3) / 4096 - 1)) 1 4096 | tr -d '\000' | wc -c)" = 0 ] || { fail "$1: last 4 KiB not zero after blkdiscard -z"; return 1; }
}
# measure CASE TOOL REP MIB DST DST_OFFSET WANT_MD5 CMD...: one timed, verified copy of MIB MiB -> a line of bench.tsv
measure() {
    _case=$1 _tool=$2 _rep=$3 _mib=$4 _dst=$5 _doff=$6 _want=$7; shift 7
    _len=$((_mib * 1048576))
    erase "$_dst" "$_doff" $_len || return 1
    dropcaches
    _b0=$(busy_ticks)
    busybox time -f '%e %U %S' -o /tmp/bench.time "$@" > /tmp/bench.out 2> /tmp/bench.err; _rc=$?
    _b1=$(busy_ticks)
    cp /tmp/bench.out "$ART/$_case-$_tool-$_rep.out"; cp /tmp/bench.err "$ART/$_case-$_tool-$_rep.err"
    tail -1 /tmp/bench.time > /tmp/bench.time1   # after "Command exited with non-zero status N"
    read -r _wall _user _sys < /tmp/bench.time1
    _got=$(range_md5 "$_dst" "$_doff" $_mib); _ok=verified
    [ "$_rc" = 0 ] || { fail "$_case $_tool (rep $_rep) exited $_rc: $(tail -c 300 /tmp/bench.err)"; _ok=failed; }
    [ "$_got" = "$_want" ] || { fail "$_case $_tool (rep $_rep): destination md5 $_got != source $_want"; _ok=failed; }
    [ $_ok = verified ] && pass "$_case $_tool (rep $_rep): ${_wall}s, destination = source"
    _note=-
    case $_tool in
        offloadcp-*)
            _st=$(copy_done /tmp/bench.out .status); _off=$(copy_done /tmp/bench.out .bytes_offloaded)
            _host=$(copy_done /tmp/bench.out .bytes_host)
            expect_eq "$_case $_tool (rep $_rep): status" "$_st" ok
            case $_tool in
                offloadcp-fallback*) expect_eq "$_case $_tool (rep $_rep): bytes through the host" "$_host" $_len ;;
                *) expect_eq "$_case $_tool (rep $_rep): bytes offloaded" "$_off" $_len ;;
            esac
            _note="copy_s=$(copy_done /tmp/bench.out .copy_seconds),job_cpu_s=$(copy_done /tmp/bench.out '.cpu_user_seconds + .cpu_system_seconds'),methods=$(copy_methods /tmp/bench.out)" ;;
        nvme-copy) _note="commands=$NVME_CMDS" ;;
        sg_xcopy) _note="commands=$(sed -n 's/^sg_xcopy: [0-9]* blocks, \([0-9]*\) command.*/\1/p' /tmp/bench.err)" ;;
    esac
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$_case" "$_tool" "$_rep" $_len "$_wall" "$_user" "$_sys" \
        "$(awk -v a="$_b0" -v b="$_b1" 'BEGIN{printf "%.2f", (b - a) / 100}')" "$_ok" "$_note" >> "$TSV"
    info "$_case $_tool rep $_rep: $_mib MiB, wall ${_wall}s user ${_user}s sys ${_sys}s guest busy $(tail -1 "$TSV" | cut -f8)s $_note"
}

# ---- NVMe: one namespace, source at 0, destination at MIB + 16 MiB ---------------------------
[ -n "$NS_BENCH" ] || { fail "the benchmark namespace (controller serial OFFLBENCH) is missing"; exit 1; }
NS=$NS_BENCH; NDOFF=$(((MIB + 16) * 1048576)); LBS=$(blockdev --getss $NS)
NSRC_MD5=$(range_md5 $NS 0 $MIB); NSRC1_MD5=$(range_md5 $NS 0 1)
check "nvme: the source range holds data (host-filled)" [ "$(rd $NS 0 1 4096 | tr -d '\000' | wc -c)" != 0 ]
# nvme-cli: one Copy command takes up to MSRC+1 ranges of up to MSSRL blocks each, MCL blocks in all
MSSRL=$(nvme id-ns $NS | awk '/^mssrl/{print $3}'); MCL=$(nvme id-ns $NS | awk '/^mcl/{print $3}')
MSRC=$(nvme id-ns $NS | awk '/^msrc/{print $3}')
info "nvme: $NS, LBA size $LBS, MSSRL $MSSRL, MCL $MCL, MSRC $MSRC (0-based)"
NBLK=$((LEN / LBS)); s=0; d=$((NDOFF / LBS)); NVME_CMDS=0; : > /tmp/nvme-copy.sh
while [ $s -lt $NBLK ]; do
    slbs=; nlbs=; tot=0; nr=0; cd=$d
    while [ $s -lt $NBLK ] && [ $nr -le "$MSRC" ] && [ $tot -lt "$MCL" ]; do
        n=$((NBLK - s)); [ $n -gt "$MSSRL" ] && n=$MSSRL; [ $n -gt $((MCL - tot)) ] && n=$((MCL - tot))
        slbs=${slbs:+$slbs,}$s; nlbs=${nlbs:+$nlbs,}$((n - 1)); s=$((s + n)); d=$((d + n)); tot=$((tot + n)); nr=$((nr + 1))
    done
    echo "/usr/sbin/nvme copy $NS --sdlba=$cd --slbs=$slbs --blocks=$nlbs > /dev/null || exit 1" >> /tmp/nvme-copy.sh
    NVME_CMDS=$((NVME_CMDS + 1))
done
cp /tmp/nvme-copy.sh "$ART/"
info "nvme copy: $NBLK blocks in $NVME_CMDS commands (at most $((MSRC + 1)) ranges of $MSSRL blocks, $MCL blocks each)"

# ---- LIO: LUNs 4 and 5 of target 1 (512-byte blocks), LUNs 6 and 7 (4096-byte blocks) ---------
[ -n "$SD_BENCHS" ] && [ -n "$SD_BENCHD" ] || { fail "the benchmark LUNs (unit serials c0de0a05, c0de0a06) are missing"; exit 1; }
[ -n "$SD_BENCH4S" ] && [ -n "$SD_BENCH4D" ] || { fail "the 4096-byte benchmark LUNs (unit serials c0de0a07, c0de0a08) are missing"; exit 1; }
LSRC_MD5=$(range_md5 $SD_BENCHS 0 $MIB); LSRC1_MD5=$(range_md5 $SD_BENCHS 0 1)
check "lio: the source range holds data (host-filled)" [ "$(rd $SD_BENCHS 0 1 4096 | tr -d '\000' | wc -c)" != 0 ]
expect_eq "lio: the source LUN's data equals the NVMe source (both host-filled alike)" "$LSRC_MD5" "$NSRC_MD5"
expect_eq "lio4k: the source LUN's data equals the NVMe source" "$(range_md5 $SD_BENCH4S 0 $MIB)" "$NSRC_MD5"
LLBS=$(blockdev --getss $SD_BENCHS); L4BS=$(blockdev --getss $SD_BENCH4S)
expect_eq "lio: logical block size of the LUNs" "$LLBS/$(blockdev --getss $SD_BENCHD)" 512/512
expect_eq "lio4k: logical block size of the LUNs" "$L4BS/$(blockdev --getss $SD_BENCH4D)" 4096/4096

# idle REP: the guest's busy time over 20 s of nothing, as a line of bench.tsv (case idle, tool sleep)
idle() {
    _b0=$(busy_ticks); busybox time -f '%e %U %S' -o /tmp/bench.time sleep 20; _b1=$(busy_ticks)
    read -r _wall _user _sys < /tmp/bench.time
    printf 'idle\tsleep\t%s\t0\t%s\t%s\t%s\t%s\tverified\t-\n' "$1" "$_wall" "$_user" "$_sys" \
        "$(awk -v a="$_b0" -v b="$_b1" 'BEGIN{printf "%.2f", (b - a) / 100}')" >> "$TSV"
    info "idle rep $1: wall ${_wall}s, guest busy $(tail -1 "$TSV" | cut -f8)s"
}

# lio_copies CASE SRC DST BLOCK_BYTES: offloadcp with and without offload (MIB and 1 MiB), sg_xcopy
lio_copies() {
    measure $1 offloadcp-offload-1MiB $rep 1 $3 0 "$LSRC1_MD5" \
        /lab/bin/offloadcp copy $2 $3 --length 1048576 --require-offload --json
    measure $1 offloadcp-offload $rep $MIB $3 0 "$LSRC_MD5" \
        /lab/bin/offloadcp copy $2 $3 --length $LEN --require-offload --json
    measure $1 offloadcp-fallback-1MiB $rep 1 $3 0 "$LSRC1_MD5" \
        /lab/bin/offloadcp copy $2 $3 --length 1048576 --no-offload --json
    measure $1 offloadcp-fallback $rep $MIB $3 0 "$LSRC_MD5" \
        /lab/bin/offloadcp copy $2 $3 --length $LEN --no-offload --json
    measure $1 sg_xcopy $rep $MIB $3 0 "$LSRC_MD5" /usr/bin/sg_xcopy if=$2 of=$3 bs=$4 count=$((LEN / $4))
}

rep=1
while [ $rep -le "$REPS" ]; do
    idle $rep
    measure nvme offloadcp-offload-1MiB $rep 1 $NS $NDOFF "$NSRC1_MD5" \
        /lab/bin/offloadcp copy $NS $NS --dst-offset $NDOFF --length 1048576 --require-offload --json
    measure nvme offloadcp-offload $rep $MIB $NS $NDOFF "$NSRC_MD5" \
        /lab/bin/offloadcp copy $NS $NS --dst-offset $NDOFF --length $LEN --require-offload --json
    measure nvme offloadcp-fallback-1MiB $rep 1 $NS $NDOFF "$NSRC1_MD5" \
        /lab/bin/offloadcp copy $NS $NS --dst-offset $NDOFF --length 1048576 --no-offload --json
    measure nvme offloadcp-fallback $rep $MIB $NS $NDOFF "$NSRC_MD5" \
        /lab/bin/offloadcp copy $NS $NS --dst-offset $NDOFF --length $LEN --no-offload --json
    measure nvme nvme-copy $rep $MIB $NS $NDOFF "$NSRC_MD5" sh /tmp/nvme-copy.sh
    measure nvme dd $rep $MIB $NS $NDOFF "$NSRC_MD5" \
        /usr/bin/dd if=$NS of=$NS bs=1M count=$MIB seek=$((NDOFF / 1048576)) iflag=direct oflag=direct
    lio_copies lio $SD_BENCHS $SD_BENCHD $LLBS
    measure lio dd $rep $MIB $SD_BENCHD 0 "$LSRC_MD5" \
        /usr/bin/dd if=$SD_BENCHS of=$SD_BENCHD bs=1M count=$MIB iflag=direct oflag=direct
    lio_copies lio4k $SD_BENCH4S $SD_BENCH4D $L4BS
    rep=$((rep + 1))
done
# the last copies as the host sees them in the backing files
hostcheck_same "benchmark: NVMe destination range = source range (bench-nvme.img)" \
    bench-nvme.img:0:$LEN bench-nvme.img:$NDOFF:$LEN
hostcheck_same "benchmark: LIO destination LUN = source LUN (bench-lio-d.img = bench-lio-s.img)" \
    bench-lio-s.img:0:$LEN bench-lio-d.img:0:$LEN
hostcheck_same "benchmark: LIO 4096-byte destination LUN = source LUN (bench-lio4k-d.img = bench-lio4k-s.img)" \
    bench-lio4k-s.img:0:$LEN bench-lio4k-d.img:0:$LEN
