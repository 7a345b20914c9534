#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A destination in use is refused and left untouched: lab_cryptbase is held by lab_crypt.
. /lab/copy.sh; . /lab/stacks.sh; stacks_build; stacks_env
have_cmd copy || { fail "offloadcp has no copy subcommand"; exit 1; }
DST=$(dm_node lab_cryptbase)
fill $NS_LARGE 450000 2048 >/dev/null
before=$(md5 $DST 0 2048)
offloadcp copy $NS_LARGE $DST --src-offset $((450000 * 512)) --length 1048576 > /tmp/c45.out 2>&1; rc=$?
cp /tmp/c45.out "$ART/"
expect_eq "destination held by dm-crypt: exit status (busy)" $rc 5
check "the message says it is in use / held: $(head -1 /tmp/c45.out)" grep -qiE 'held|in use|busy|holder' /tmp/c45.out
expect_eq "the destination is unchanged" "$(md5 $DST 0 2048)" "$before"
