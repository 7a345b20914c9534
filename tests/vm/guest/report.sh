#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Reading `offloadcp report --json` in scenarios. Everything that knows the JSON layout is
# here, so a schema change is one edit. Layout (schema_version 1): {"schema_version",
# "warnings", "roots", "devices": [{"name", "kname", "id", "type", "size",
# "logical_block_size", "mechanism", "limits": {...}, "verdict", "reasons": [...],
# "capability": {...}, "lowers": [...], "dm_table": [...], ...}]}.
#   rep_get FILE KNAME PATH        the value at PATH (.verdict, .limits.mssrl, .lowers[0]) of the
#                                  device with that kernel name (nothing when absent or null)
#   rep_has FILE KNAME             true when the report lists KNAME
#   rep_stable_id FILE KNAME       its stable id
#   rep_name_by_stable_id FILE ID  the kernel name of the device with that stable id
#   rep_reasons FILE KNAME         its reasons (verdict and capability), one per line
# jq is slow to start under TCG: each report is flattened once into FILE.idx, lines of
# "kname<TAB>path<TAB>value" (path like limits.mssrl or lowers.0), and looked up with awk.
rep_index() { [ -s "$1.idx" ] && [ ! "$1" -nt "$1.idx" ] && return 0
              jq -r '.devices[]? | .kname as $k | paths(type != "object" and type != "array") as $p
                     | [$k, ($p | map(tostring) | join(".")), (getpath($p) | tostring)] | join("\t")' "$1" > "$1.idx" 2>/dev/null; }
# rep_get FILE KNAME PATH: PATH is a jq-like path (.limits.mssrl, .lowers[0])
rep_get() { rep_index "$1"
            _p=$(echo "$3" | sed 's/^\.//; s/\[\([0-9]*\)\]/.\1/g')
            awk -F'\t' -v k="$2" -v p="$_p" '$1 == k && $2 == p { if ($3 != "null") print $3; exit }' "$1.idx"; }
rep_has() { rep_index "$1"; awk -F'\t' -v k="$2" '$1 == k { f = 1; exit } END { exit !f }' "$1.idx"; }
rep_stable_id() { rep_get "$1" "$2" .id; }
rep_name_by_stable_id() { rep_index "$1"; awk -F'\t' -v id="$2" '$2 == "id" && $3 == id { print $1; exit }' "$1.idx"; }
# rep_reasons FILE KNAME: its reasons (verdict and capability), one per line
rep_reasons() { rep_index "$1"
                awk -F'\t' -v k="$2" '$1 == k && ($2 ~ /^reasons\.[0-9]+$/ || $2 == "capability.reason") { print $3 }' "$1.idx"; }
