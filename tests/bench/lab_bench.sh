#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Lab copy benchmark: boots the QEMU lab (tests/vm, kernel 6.12, QEMU 10, TCG) with its
# benchmark devices (run-lab.sh --bench) and runs scenario 50-bench-offload in the guest, which
# copies the same MIB on the same ranges with
#   NVMe (QEMU nvme namespace with Copy; mssrl=65535 mcl=262140 msrc=127):
#       offloadcp --require-offload | offloadcp --no-offload | nvme copy (nvme-cli, a loop of
#       commands within MSSRL/MCL/MSRC) | dd bs=1M iflag=direct oflag=direct
#   LIO (two LUNs of one tcm_loop target, emulate_3pc=1, iblock on virtio disks, 512-byte blocks):
#       offloadcp --require-offload | offloadcp --no-offload | sg_xcopy | dd
#   LIO 4k (the same on two LUNs with 4096-byte blocks: 8 times fewer EXTENDED COPY commands):
#       offloadcp --require-offload | offloadcp --no-offload | sg_xcopy
# zeroing the destination before each copy and comparing its md5 (O_DIRECT) with the source's
# after it. Prints a table (medians of the repetitions) and the ratios: offload CPU as % of
# the host copy's (target <= 2%), offload MB/s / host copy MB/s. Not a pass/fail test; exits 1
# only when the lab run fails (e.g. a copy did not verify).
#
#   bash tests/bench/lab_bench.sh --run          (as root, after a build)
#   LAB_BENCH_MIB=256 LAB_BENCH_REPS=3 LAB_BENCH_KERNEL=6.12 LAB_BENCH_OUT=DIR
#   LAB_BENCH_OUT=DIR LAB_BENCH_REUSE=1   print the table of an earlier run in DIR again
# ctest runs it only with label `bench` AND OFFLOADCP_BENCH=1 (else it exits 77, skipped).
set -uo pipefail

if [ "${1:-}" != --run ] && [ "${OFFLOADCP_BENCH:-}" != 1 ]; then
    echo "SKIP: pass --run or set OFFLOADCP_BENCH=1 to run the benchmark"; exit 77
fi
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (the QEMU lab)"; exit 77; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OFFLOADCP=${OFFLOADCP:-$ROOT/build/release/cli/offloadcp}
[ -x "$OFFLOADCP" ] || OFFLOADCP=$ROOT/build/ci/cli/offloadcp
[ -x "$OFFLOADCP" ] || { echo "SKIP: build offloadcp first (cmake --preset ci && cmake --build --preset ci --target offloadcp)"; exit 77; }
MIB=${LAB_BENCH_MIB:-256}
REPS=${LAB_BENCH_REPS:-3}
KSEL=${LAB_BENCH_KERNEL:-6.12}
OUT=${LAB_BENCH_OUT:-$(mktemp -d "${TMPDIR:-/var/tmp}/offloadcp-labbench.XXXXXX")}
BYTES=$((MIB * 1048576))

load0=$(cut -d' ' -f1-3 /proc/loadavg)
if [ "${LAB_BENCH_REUSE:-}" = 1 ]; then
    rc=$(grep -q ' 0 failed$' "$OUT/lab.log" && echo 0 || echo 1)
    MIB=$(sed -n 's/^# mib=\([0-9]*\) reps=\([0-9]*\).*/\1/p' "$OUT/boot1/scenarios/50-bench-offload/bench.tsv")
    REPS=$(sed -n 's/^# mib=\([0-9]*\) reps=\([0-9]*\).*/\2/p' "$OUT/boot1/scenarios/50-bench-offload/bench.tsv")
    BYTES=$((MIB * 1048576)); load0="(not recorded)"
else
    echo "lab benchmark: $MIB MiB x $REPS repetitions, kernel $KSEL, QEMU 10 (TCG), logs in $OUT"
    OFFLOADCP_VM_TIMEOUT=${OFFLOADCP_VM_TIMEOUT:-7200} "$ROOT/tests/vm/run-lab.sh" --offloadcp "$OFFLOADCP" \
        --kernel "$KSEL" --qemu 10 --bench "$MIB,$REPS" --only 50-bench-offload --boots 1 --out "$OUT" > "$OUT.lab.log" 2>&1
    rc=$?
    mv "$OUT.lab.log" "$OUT/lab.log"
    rm -rf "$OUT/img"   # the backing files (GiBs, sparse); the logs stay
    echo "load average $load0 -> $(cut -d' ' -f1-3 /proc/loadavg)" > "$OUT/load.txt"
fi
grep -E '^(PASS|FAIL|SKIP|TIME)|passed, ' "$OUT/lab.log" | sed 's/^/  lab: /'
[ $rc = 77 ] && { echo "SKIP: the lab cannot run here (see above)"; exit 77; }
TSV=$OUT/boot1/scenarios/50-bench-offload/bench.tsv
[ -s "$TSV" ] || { echo "ERROR: no results ($TSV); see $OUT/lab.log"; exit 1; }
QEMU=$("$ROOT/tests/vm/qemu.sh" 10 --version 2>/dev/null | head -1 | sed 's/^QEMU emulator version //')
KREL=$(sed -n 's/.* kernel=\([^ ]*\).*/\1/p' "$TSV" | head -1)

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
# col CASE TOOL AWK-EXPR: the values of AWK-EXPR over the verified rows of one tool
# (bench.tsv columns: case tool rep bytes wall_s user_s sys_s guest_busy_s verified note)
col() { awk -F'\t' -v c="$1" -v t="$2" '$1 == c && $2 == t && $9 == "verified" {print '"$3"'}' "$TSV"; }
note() { col "$1" "$2" '$10' | tr ',' '\n' | sed -n "s/^$3=//p"; }
declare -A MBS CPU GUEST IDLE JOB
# the idle guest's busy CPU seconds per second (timer ticks, kernel threads: sleep 20 per repetition)
IDLE_RATE=$(col idle sleep '$8 / $5' | median); IDLE_RATE=${IDLE_RATE:-0}
printf '\n%s\n\n' "Lab copy benchmark, $(date -u +%Y-%m-%d), guest kernel $KREL, QEMU $QEMU (TCG, 2 vCPUs, 2 GiB), host $(nproc) cores shared with other jobs (load average $load0 before, $(cut -d' ' -f1-3 /proc/loadavg) after); $MIB MiB per copy, median of $REPS"
echo "| case | tool | MB/s (min-max) | CPU s/GiB: process | CPU s/GiB: whole guest | whole guest above idle | notes |"
echo "|---|---|---|---|---|---|---|"
for c in nvme lio lio4k; do
    case $c in nvme) tools="offloadcp-offload offloadcp-fallback nvme-copy dd" ;;
               lio) tools="offloadcp-offload offloadcp-fallback sg_xcopy dd" ;;
               lio4k) tools="offloadcp-offload offloadcp-fallback sg_xcopy" ;; esac
    for t in $tools; do
        n=$(col $c $t '$5' | wc -l)
        if [ "$n" = 0 ]; then echo "| $c | $t | - | - | - | - | no verified copy |"; continue; fi
        wall=$(col $c $t '$5' | median)
        MBS[$c.$t]=$(awk -v b=$BYTES -v w="$wall" 'BEGIN{printf "%.0f", b / w / 1e6}')
        lo=$(col $c $t '$4 / $5 / 1e6' | sort -g | head -1); hi=$(col $c $t '$4 / $5 / 1e6' | sort -g | tail -1)
        CPU[$c.$t]=$(col $c $t '($6 + $7) * 1073741824 / $4' | median)
        GUEST[$c.$t]=$(col $c $t '$8 * 1073741824 / $4' | median)
        IDLE[$c.$t]=$(col $c $t '($8 - '"$IDLE_RATE"' * $5) * 1073741824 / $4' | median)
        extra=
        case $t in
            offloadcp-*)
                JOB[$c.$t]=$(note $c $t job_cpu_s | awk -v b=$BYTES '{print $1 * 1073741824 / b}' | median)
                cs=$(note $c $t copy_s | median)
                extra="own figures: copy $(awk -v b=$BYTES -v s="$cs" 'BEGIN{printf "%.0f", b / s / 1e6}') MB/s, job threads $(printf '%.3f' "${JOB[$c.$t]}") CPU s/GiB; $(note $c $t methods | sort -u | tr '\n' ' ')" ;;
            nvme-copy|sg_xcopy) extra="$(note $c $t commands | sort -u | tr '\n' ' ')commands per copy" ;;
        esac
        [ "$n" != "$REPS" ] && extra="$extra; only $n of $REPS runs verified"
        printf '| %s | %s | %s (%.0f-%.0f) | %.3f | %.3f | %.3f | %s |\n' "$c" "$t" "${MBS[$c.$t]}" "$lo" "$hi" \
            "${CPU[$c.$t]}" "${GUEST[$c.$t]}" "${IDLE[$c.$t]}" "$extra"
    done
done
echo
echo "MB/s: 10^6 bytes per second of the whole command's wall time (process start, device scan and"
echo "flushes included). CPU process: user+system time of the copying command and the children it"
echo "waited for (busybox time / wait4), per GiB copied. CPU whole guest: every guest CPU's non-idle"
echo "time from /proc/stat while the command ran (kernel threads too: LIO's EXTENDED COPY runs in"
echo "kernel workers, not in the caller). Whole guest above idle: the same less what the idle guest"
echo "uses in as long ($(printf '%.4f' "$IDLE_RATE") CPU s per second, median of sleep 20 once per repetition). Work"
echo "QEMU does for the guest (the emulated NVMe Copy, the DMA of every read and write) is host time"
echo "and counted nowhere here."
echo
declare -A FIX FIXJOB
for c in nvme lio lio4k; do   # offloadcp's cost that does not grow with the size
    for t in offloadcp-offload offloadcp-fallback; do
        [ "$(col $c $t-1MiB '$5' | wc -l)" = 0 ] && continue
        FIX[$c.$t]=$(col $c $t-1MiB '$6 + $7' | median); FIXJOB[$c.$t]=$(note $c $t-1MiB job_cpu_s | median)
        printf '%s: %s on 1 MiB (the fixed cost of a run): wall %.2f s, process CPU %.3f s, job threads %.3f s\n' \
            $c $t "$(col $c $t-1MiB '$5' | median)" "${FIX[$c.$t]}" "${FIXJOB[$c.$t]}"
    done
done
echo
pct() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.1f%%", 100 * a / b; else print "n/a" }'; }
verdict() { awk -v a="$1" -v b="$2" 'BEGIN{ print (a < 0 || b <= 0) ? "within noise" : (a <= 0.02 * b) ? "met" : "MISSED" }'; }
for c in nvme lio lio4k; do
    o=$c.offloadcp-offload f=$c.offloadcp-fallback
    [ -n "${CPU[$o]:-}" ] && [ -n "${CPU[$f]:-}" ] || { echo "$c: no ratio (a run did not verify)"; continue; }
    echo "$c: offload CPU / host-copy CPU: process $(pct "${CPU[$o]}" "${CPU[$f]}") (target <= 2%: $(verdict "${CPU[$o]}" "${CPU[$f]}")), whole guest $(pct "${GUEST[$o]}" "${GUEST[$f]}") (above idle $(pct "${IDLE[$o]}" "${IDLE[$f]}")), offloadcp's job threads $(pct "${JOB[$o]}" "${JOB[$f]}") ($(verdict "${JOB[$o]}" "${JOB[$f]}"))"
    if [ -n "${FIX[$o]:-}" ] && [ -n "${FIX[$f]:-}" ]; then   # per GiB above the fixed cost: (CPU(MIB) - CPU(1 MiB)) / (MIB - 1)
        mo=$(awk -v a="${CPU[$o]}" -v x="${FIX[$o]}" -v m=$MIB 'BEGIN{print (a * m / 1024 - x) * 1024 / (m - 1)}')
        mf=$(awk -v a="${CPU[$f]}" -v x="${FIX[$f]}" -v m=$MIB 'BEGIN{print (a * m / 1024 - x) * 1024 / (m - 1)}')
        jo=$(awk -v a="${JOB[$o]}" -v x="${FIXJOB[$o]}" -v m=$MIB 'BEGIN{print (a * m / 1024 - x) * 1024 / (m - 1)}')
        jf=$(awk -v a="${JOB[$f]}" -v x="${FIXJOB[$f]}" -v m=$MIB 'BEGIN{print (a * m / 1024 - x) * 1024 / (m - 1)}')
        printf '%s: above the fixed cost, CPU s/GiB offload / host copy: process %.3f / %.3f = %s (%s), job threads %.3f / %.3f = %s (%s)\n' \
            $c "$mo" "$mf" "$(pct "$mo" "$mf")" "$(verdict "$mo" "$mf")" "$jo" "$jf" "$(pct "$jo" "$jf")" "$(verdict "$jo" "$jf")"
        # process CPU of a copy of S GiB ~ fixed + marginal * S; offload <= 2% of the host copy from
        # S >= (Fo - 0.02 Ff) / (0.02 mf - mo)
        awk -v c=$c -v fo="${FIX[$o]}" -v ff="${FIX[$f]}" -v mo="$mo" -v mf="$mf" 'BEGIN{
            d = 0.02 * mf - (mo > 0 ? mo : 0)
            if (d <= 0) { printf "%s: the offload marginal cost is above 2%% of the host copy'"'"'s: no copy size meets the target\n", c; exit }
            s = (fo - 0.02 * ff) / d; if (s < 0) s = 0
            printf "%s: process CPU per copy ~ fixed + marginal x size: offload %.3f s + %.3f s/GiB, host copy %.3f s + %.3f s/GiB; offload <= 2%% of the host copy from about %.1f GiB per copy\n", c, fo, (mo > 0 ? mo : 0), ff, mf, s }'
    fi
    ref=nvme-copy; [ $c != nvme ] && ref=sg_xcopy
    echo "$c: offload MB/s / host-copy MB/s: $(awk -v a="${MBS[$o]}" -v b="${MBS[$f]}" 'BEGIN{printf "%.2fx", a / b}'); offload vs $ref: $(awk -v a="${MBS[$o]}" -v b="${MBS[$c.$ref]:-0}" 'BEGIN{ if (b > 0) printf "%.2fx", a / b; else print "n/a" }'); host copy vs dd: $(awk -v a="${MBS[$f]}" -v b="${MBS[$c.dd]:-0}" 'BEGIN{ if (b > 0) printf "%.2fx", a / b; else print "n/a" }')"
done
[ $rc = 0 ] || { echo "ERROR: the lab run failed (see above and $OUT/lab.log)"; exit 1; }
