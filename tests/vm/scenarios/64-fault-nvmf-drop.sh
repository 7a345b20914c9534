#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# An NVMe/TCP connection that drops mid-copy: the nvmet passthru of controller P
# (guest/nvmf.sh) is connected again with short timeouts (--ctrl-loss-tmo 3
# --reconnect-delay 1), offloadcp copies 16 MiB on the fabrics namespace by NVMe Copy (one
# command in flight; p-ns1 is throttled to 8 MB/s by run-lab.sh, so it takes about 4 s), and after its first progress event the subsystem is unlinked from the
# nvmet port: the target drops the connection and refuses reconnects, and the host gives the
# controller up after 3 s. The copy ends by itself with exit 1 and an error naming the
# fabrics namespace and an LBA of the range not yet copied; the LBAs around the destination
# range (read on the local namespace) are unchanged. Afterwards the port and a connection
# with the default timeouts are restored for the later scenarios (6.12; skipped on 6.1).
# lab-timeout: 300
. /lab/faults.sh; . /lab/nvmf.sh
have_cmd copy || { fail "offloadcp has no copy subcommand"; exit 1; }
nvmf_up || skip "$NVMF_WHY"
N=/sys/kernel/config/nvmet; NQN=$LAB_PT_NQN
fabrics_ctrls() { for _c in /sys/class/nvme/nvme*; do
                  [ "$(cat $_c/subsysnqn 2>/dev/null)" = "$NQN" ] && [ "$(cat $_c/transport 2>/dev/null)" = tcp ] && echo ${_c##*/}; done; }
# nvmf_connect ARGS: connects, sets FABRICS_CTRL and FABRICS_NS and records them for later scenarios
nvmf_connect() {
    nvme connect -t tcp -a 127.0.0.1 -s 4420 -n $NQN "$@" >/dev/null 2>/tmp/f64.err || { fail "nvme connect $*: $(cat /tmp/f64.err)"; return 1; }
    _i=0; FABRICS_NS=
    while [ $_i -lt 50 ] && [ -z "$FABRICS_NS" ]; do
        FABRICS_CTRL=$(fabrics_ctrls | head -1); [ -n "$FABRICS_CTRL" ] && FABRICS_NS=$(ns_dev $FABRICS_CTRL 1)
        [ -n "$FABRICS_NS" ] || sleep 0.2; _i=$((_i + 1))
    done
    [ -n "$FABRICS_NS" ] || { fail "connected, but no namespace 1 appeared"; return 1; }
    printf 'FABRICS_CTRL=%s\nFABRICS_NS=%s\n' "$FABRICS_CTRL" "$FABRICS_NS" > /run/lab/nvmf-up
}
wait_no_fabrics() { _i=0; while [ $_i -lt 100 ] && [ -n "$(fabrics_ctrls)" ]; do sleep 0.2; _i=$((_i + 1)); done; [ -z "$(fabrics_ctrls)" ]; }

nvme disconnect -n $NQN >/dev/null 2>&1; wait_no_fabrics || fail "the first connection did not go away"
nvmf_connect --ctrl-loss-tmo=3 --reconnect-delay=1 || exit 1
info "connected with short timeouts: $FABRICS_CTRL, $FABRICS_NS"
# copy LBA 43008..75775 (16 MiB) to 79872..; guards 77824..79871 and 112640..114687
len=$((32768 * 512)); so=$((43008 * 512)); do=$((79872 * 512))
fill $NS_PT 77824 2048 >/dev/null; fill $NS_PT 112640 2048 >/dev/null   # the guards hold data
guards=$(fault_guards $NS_PT 77824 2048 112640 2048)
fault_copy_bg /tmp/f64.json 150 $FABRICS_NS $FABRICS_NS --src-offset $so --dst-offset $do --length $len --offload-depth 1
if fault_wait_progress /tmp/f64.json 60; then
    at=$(jq -s -r 'map(select(.event == "progress")) | last | .bytes_done' /tmp/f64.json)
    rm $N/ports/1/subsystems/$NQN
    info "subsystem unlinked from the port after $at bytes"
    fault_wait_copy /tmp/f64.json; rc=$?
    l=$(fault_err /tmp/f64.json lba); m=$(fault_err /tmp/f64.json message)
    info "exit $rc, error: $m"
    check "offloadcp finished by itself (exit $rc)" not_timed_out $rc
    expect_eq "exit status (failure)" $rc 1
    check "the error names the fabrics namespace ($(fault_err /tmp/f64.json device))" names_dev "$(fault_err /tmp/f64.json device)" $FABRICS_NS
    check "the error names an LBA of the range not yet copied ('$l')" \
        sh -c "[ -n '$l' ] && { { [ '$l' -ge $((43008 + at / 512)) ] && [ '$l' -lt 75776 ]; } || { [ '$l' -ge $((79872 + at / 512)) ] && [ '$l' -lt 112640 ]; }; }"
    check "the message names the namespace and the LBA" msg_names "$m" "$(fault_err /tmp/f64.json device)" "$l"
    check "the message is one line" one_line "$m"
    check "the done event says fewer bytes than asked" sh -c "[ \"$(copy_done /tmp/f64.json .bytes_done)\" -lt $len ]"
else
    fault_wait_copy /tmp/f64.json; fail "the copy ended before its first progress event (exit $?): nothing was dropped"
fi
check "no offloadcp process left" no_offloadcp_left
expect_eq "nothing written outside the destination range (local namespace)" "$(fault_guards $NS_PT 77824 2048 112640 2048)" "$guards"
# restore: the port serves the subsystem again, one connection with the default timeouts
[ -L $N/ports/1/subsystems/$NQN ] || ln -s $N/subsystems/$NQN $N/ports/1/subsystems/
nvme disconnect -n $NQN >/dev/null 2>&1; wait_no_fabrics || fail "the dropped controller did not go away"
nvmf_connect && info "reconnected: $FABRICS_CTRL, $FABRICS_NS"
