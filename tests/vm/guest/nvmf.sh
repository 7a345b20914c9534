#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# nvmet passthru of controller P (OFFLCTRLP) exported over NVMe/TCP on 127.0.0.1:4420 and
# connected back: the "copy without moving data over the network" case. Needs
# CONFIG_NVME_TARGET_PASSTHRU (Debian's 6.12 kernel; not 6.1).
#   . /lab/nvmf.sh; nvmf_up || skip "$NVMF_WHY"   -> FABRICS_CTRL (nvmeN), FABRICS_NS (/dev/nvmeXnY)
LAB_PT_NQN=nqn.2024-01.org.offloadcp.lab:passthru
nvmf_up() {
    _N=/sys/kernel/config/nvmet; _P=$_N/subsystems/$LAB_PT_NQN
    if [ -e /run/lab/nvmf-up ]; then . /run/lab/nvmf-up; return 0; fi
    [ -d $_N ] || { NVMF_WHY="no nvmet configfs (module nvmet not loaded)"; return 1; }
    mkdir -p $_P 2>/dev/null; echo 1 > $_P/attr_allow_any_host
    [ -d $_P/passthru ] || { rmdir $_P 2>/dev/null; NVMF_WHY="kernel $(uname -r) has no nvmet passthru (CONFIG_NVME_TARGET_PASSTHRU)"; return 1; }
    echo -n "/dev/$CTRL_P" > $_P/passthru/device_path
    echo 1 > $_P/passthru/enable || { NVMF_WHY="enabling nvmet passthru on /dev/$CTRL_P failed"; return 1; }
    mkdir -p $_N/ports/1; echo tcp > $_N/ports/1/addr_trtype; echo ipv4 > $_N/ports/1/addr_adrfam
    echo 127.0.0.1 > $_N/ports/1/addr_traddr; echo 4420 > $_N/ports/1/addr_trsvcid
    ln -s $_P $_N/ports/1/subsystems/ 2>/dev/null
    nvme connect -t tcp -a 127.0.0.1 -s 4420 -n $LAB_PT_NQN >/dev/null 2>/tmp/nvmf.err || { NVMF_WHY="nvme connect over tcp failed: $(cat /tmp/nvmf.err)"; return 1; }
    _i=0; FABRICS_CTRL=; FABRICS_NS=
    while [ $_i -lt 25 ] && [ -z "$FABRICS_NS" ]; do
        for _c in /sys/class/nvme/nvme*; do
            [ "$(cat $_c/subsysnqn 2>/dev/null)" = "$LAB_PT_NQN" ] && [ "$(cat $_c/transport)" = tcp ] && FABRICS_CTRL=${_c##*/}
        done
        [ -n "$FABRICS_CTRL" ] && for _b in /sys/block/nvme*n*; do case ${_b##*/} in nvme*c*n*) continue;; esac
            { [ -e $_b/device/$FABRICS_CTRL ] || [ "$(basename "$(readlink -f $_b/device)")" = "$FABRICS_CTRL" ]; } &&
            [ "$(cat $_b/nsid)" = 1 ] && FABRICS_NS=/dev/${_b##*/}; done
        [ -n "$FABRICS_NS" ] || sleep 0.2; _i=$((_i + 1))
    done
    [ -n "$FABRICS_NS" ] || { NVMF_WHY="connected, but no namespace 1 appeared for $LAB_PT_NQN"; return 1; }
    printf 'FABRICS_CTRL=%s\nFABRICS_NS=%s\n' "$FABRICS_CTRL" "$FABRICS_NS" > /run/lab/nvmf-up
}
