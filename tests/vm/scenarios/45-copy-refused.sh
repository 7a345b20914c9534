#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Refusals that change nothing: a destination in use (lab_cryptbase is held by lab_crypt) is
# refused as busy unless --force; a destination built on the source (lab_cryptbase sits on
# NS_LARGE) is refused as bad input; a destination smaller than the range is refused.
. /lab/copy.sh; . /lab/stacks.sh; stacks_build; stacks_env
have_cmd copy || { fail "offloadcp has no copy subcommand"; exit 1; }
DST=$(dm_node lab_cryptbase)
fill $VD_PLAIN 0 2048 >/dev/null
before=$(md5 $DST 0 2048)
offloadcp copy $VD_PLAIN $DST --length 1048576 > /tmp/c45a.out 2>&1; rc=$?
cp /tmp/c45a.out "$ART/"
expect_eq "destination held by dm-crypt: exit status (busy)" $rc 5
check "the message says what holds it: $(head -1 /tmp/c45a.out)" grep -qiE 'held|in use|busy' /tmp/c45a.out
offloadcp copy $NS_LARGE $DST --src-offset $((450000 * 512)) --length 1048576 --force > /tmp/c45b.out 2>&1; rc=$?
cp /tmp/c45b.out "$ART/"
expect_eq "destination built on the source: exit status (usage)" $rc 2
check "the message says it is built on the source: $(head -1 /tmp/c45b.out)" grep -qi 'source' /tmp/c45b.out
lin2=$(md5 $DM_LIN2 0 2048)
offloadcp copy $NS_4K $DM_LIN2 --force > /tmp/c45c.out 2>&1; rc=$?     # 64 MiB onto 32 MiB
cp /tmp/c45c.out "$ART/"
expect_eq "destination smaller than the source: exit status (usage; $(head -1 /tmp/c45c.out))" $rc 2
expect_eq "the smaller destination is unchanged" "$(md5 $DM_LIN2 0 2048)" "$lin2"
expect_eq "the destination of the refused copies is unchanged" "$(md5 $DST 0 2048)" "$before"
