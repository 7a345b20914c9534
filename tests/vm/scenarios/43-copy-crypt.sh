#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# dm-crypt: the ciphertext is bound to its sector, so the plan copies through the crypt
# volume with read/write and says why; the plaintext arrives intact.
. /lab/copy.sh; . /lab/stacks.sh; stacks_build; stacks_env
have_cmd copy || { fail "offloadcp has no copy subcommand"; exit 1; }
len=1048576; doff=$((4 * 1048576))
data=$(fill $DM_CRYPT 0 2048)
plan_json /tmp/p43.json $DM_CRYPT $DM_CRYPT --dst-offset $doff --length $len || exit 1
expect_eq "plan methods" "$(plan_methods /tmp/p43.json)" read-write
check "the reason names dm-crypt: $(plan_reasons /tmp/p43.json read-write | head -1)" \
    sh -c "jq -r '.extents[].reason' /tmp/p43.json | grep -qi crypt"
offloadcp copy $DM_CRYPT $DM_CRYPT --dst-offset $doff --length $len --require-offload > /tmp/c43r.out 2>&1; rc=$?
expect_eq "--require-offload refuses (exit 6)" $rc 6
copy_json /tmp/c43.json $DM_CRYPT $DM_CRYPT --dst-offset $doff --length $len; rc=$?
expect_eq "copy exit status" $rc 0
expect_eq "bytes offloaded" "$(copy_done /tmp/c43.json .bytes_offloaded)" 0
expect_eq "plaintext read back through dm-crypt (O_DIRECT)" "$(md5 $DM_CRYPT $((doff / 512)) 2048)" "$data"
# lab_crypt sits on lab_cryptbase = NS_LARGE LBA 131072..: ciphertexts of equal plaintext differ
check "the ciphertext at the destination differs from the source's (no raw copy)" \
    [ "$(md5 $NS_LARGE 131072 2048)" != "$(md5 $NS_LARGE $((131072 + doff / 512)) 2048)" ]
