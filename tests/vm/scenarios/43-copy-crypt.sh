#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# dm-crypt: the ciphertext is bound to its sector, so the copy goes through the crypt volume
# with read/write and says why; --require-offload refuses; the plaintext arrives intact.
. /lab/copy.sh; . /lab/stacks.sh; stacks_build; stacks_env
have_cmd copy || { fail "offloadcp has no copy subcommand"; exit 1; }
len=1048576; doff=$((4 * 1048576))
data=$(fill $DM_CRYPT 0 2048)
before=$(md5 $DM_CRYPT $((doff / 512)) 2048)
offloadcp copy $DM_CRYPT $DM_CRYPT --dst-offset $doff --length $len --require-offload > /tmp/c43r.out 2>&1; rc=$?
cp /tmp/c43r.out "$ART/"
expect_eq "--require-offload refuses (exit 6)" $rc 6
expect_eq "--require-offload wrote nothing" "$(md5 $DM_CRYPT $((doff / 512)) 2048)" "$before"
copy_json /tmp/c43.json $DM_CRYPT $DM_CRYPT --dst-offset $doff --length $len; rc=$?
expect_eq "copy exit status" $rc 0
expect_eq "planned methods" "$(copy_planned /tmp/c43.json)" read-write
check "the reason names dm-crypt: $(copy_reasons /tmp/c43.json | head -1)" \
    sh -c "jq -s -r 'map(select(.event == \"start\")) | last | .extents[].reason' /tmp/c43.json | grep -qi crypt"
expect_eq "bytes offloaded" "$(copy_done /tmp/c43.json .bytes_offloaded)" 0
expect_eq "plaintext read back through dm-crypt (O_DIRECT)" "$(md5 $DM_CRYPT $((doff / 512)) 2048)" "$data"
# lab_crypt sits on lab_cryptbase = NS_LARGE LBA 131072..: ciphertexts of equal plaintext differ
check "the ciphertext at the destination differs from the source's (no raw copy)" \
    [ "$(md5 $NS_LARGE 131072 2048)" != "$(md5 $NS_LARGE $((131072 + doff / 512)) 2048)" ]
