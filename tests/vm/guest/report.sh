#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Reading `offloadcp report --json` in scenarios. Everything that knows the JSON layout is
# here, so a schema change is one edit. Layout (schema_version 1): {"schema_version",
# "warnings", "roots", "devices": [{"name", "kname", "id", "type", "size",
# "logical_block_size", "mechanism", "limits": {...}, "verdict", "reasons": [...],
# "capability": {...}, "lowers": [...], "dm_table": [...], ...}]}.
#   rep_get FILE KNAME JQ-FILTER   the filter applied to the device with that kernel name
#                                  (prints nothing when absent or null; false prints false)
#   rep_has FILE KNAME             true when the report lists KNAME
#   rep_stable_id FILE KNAME       its stable id
#   rep_name_by_stable_id FILE ID  the kernel name of the device with that stable id
#   rep_reasons FILE KNAME         its reasons (verdict and capability), one per line
rep_get() { jq -r --arg n "$2" "first(.devices[]? | select(.kname == \$n)) | ($3) | if . == null then empty else . end" "$1" 2>/dev/null; }
rep_has() { [ -n "$(rep_get "$1" "$2" .kname)" ]; }
rep_stable_id() { rep_get "$1" "$2" .id; }
rep_name_by_stable_id() { jq -r --arg id "$2" 'first(.devices[]? | select(.id == $id)) | .kname // empty' "$1" 2>/dev/null; }
rep_reasons() { rep_get "$1" "$2" '[(.reasons // [])[], (.capability.reason // empty)] | .[]'; }
