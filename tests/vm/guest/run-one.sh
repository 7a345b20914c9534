#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs one scenario file with the helpers loaded: run-one.sh /lab/scenarios/NN-name.sh
SCENARIO=$(basename "$1" .sh); export SCENARIO
. /lab/lib.sh
. "$1"
