#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Running `offloadcp plan` / `offloadcp copy` in scenarios. Everything that knows their JSON
# layout is here, so a schema change is one edit.
#   plan_json FILE SRC DST [ARGS]   offloadcp plan --json; fails the check on a nonzero exit
#   plan_methods FILE               the methods the extents use, sorted, comma-separated
#   plan_bytes FILE METHOD          bytes planned with METHOD
#   plan_reasons FILE METHOD        the reasons given for extents with METHOD
#   plan_nvme_commands FILE         one line per NVMe Copy command: "RANGES TOTAL_BLOCKS MAX_RANGE_BLOCKS"
#   plan_nvme_first_slba FILE       source LBA of the first range of the first NVMe command, and its
#                                   destination LBA: "SLBA SDLBA" (namespace-absolute)
#   copy_json FILE SRC DST [ARGS]   offloadcp copy --json (one JSON object per line); returns its exit status
#   copy_done FILE FILTER           FILTER applied to the final ("done") object
#   copy_methods FILE               the methods the extents actually used (done event), comma-separated
#   copy_planned FILE               the methods the start event planned, comma-separated
#   copy_reasons FILE               the planned extents' reasons, one per line
#   copy_fallbacks FILE             number of extents that fell back during the copy
#   need_plan                       true when offloadcp has `plan`; else records a failure once
plan_json() { _f=$1; shift; offloadcp plan --json "$@" > "$_f" 2> "$_f.err"; _rc=$?
              cp "$_f" "$_f.err" "$ART/" 2>/dev/null
              [ $_rc = 0 ] || { fail "offloadcp plan --json $* exited $_rc: $(head -c 300 "$_f.err")"; return 1; }
              jq -e . "$_f" >/dev/null 2>&1 || { fail "offloadcp plan --json $* printed no valid JSON"; return 1; }; }
plan_methods() { jq -r '[.extents[].method] | unique | join(",")' "$1" 2>/dev/null; }
plan_bytes() { jq -r --arg m "$2" '[.extents[] | select(.method == $m) | .length] | add // 0' "$1" 2>/dev/null; }
plan_reasons() { jq -r --arg m "$2" '[.extents[] | select(.method == $m) | .reason] | unique | .[]' "$1" 2>/dev/null; }
plan_nvme_commands() { jq -r '.nvme_commands[]? | "\(.ranges | length) \([.ranges[].blocks] | add) \([.ranges[].blocks] | max)"' "$1" 2>/dev/null; }
plan_nvme_first_slba() { jq -r '.nvme_commands[0] | "\(.ranges[0].slba) \(.sdlba)"' "$1" 2>/dev/null; }
copy_json() { _f=$1; shift; offloadcp copy --json "$@" > "$_f" 2> "$_f.err"; _rc=$?
              cp "$_f" "$_f.err" "$ART/" 2>/dev/null; return $_rc; }
copy_done() { jq -s -r "map(select(.event == \"done\")) | last | ($2) | if . == null then empty else . end" "$1" 2>/dev/null; }
copy_methods() { copy_done "$1" '[.extents[].actual_method] | unique | join(",")'; }
copy_fallbacks() { copy_done "$1" '[.extents[] | select(.fell_back)] | length'; }
copy_planned() { jq -s -r 'map(select(.event == "start")) | last | [.extents[].method] | unique | join(",")' "$1" 2>/dev/null; }
copy_reasons() { jq -s -r 'map(select(.event == "start")) | last | .extents[].reason' "$1" 2>/dev/null; }
need_plan() { have_cmd plan && return 0
              [ -e "$SD/no-plan" ] || { fail "offloadcp has no plan subcommand: the plan's commands and LBAs are not checked"; : > "$SD/no-plan"; }
              return 1; }
