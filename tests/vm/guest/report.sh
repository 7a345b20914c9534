#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Reading `offloadcp report --json` in scenarios. Everything that knows the JSON layout is
# here, so a schema change is one edit. A device object is found by its kernel name anywhere
# in the document (flat list or tree).
#   rep_get FILE KNAME JQ-FILTER    -> the filter applied to that device's object ("" if absent)
#   rep_has FILE KNAME              -> true when the report lists KNAME
rep_get() { jq -r --arg n "$2" "first(.. | objects | select(.name? == \$n)) | ($3) // empty" "$1" 2>/dev/null; }
rep_has() { [ -n "$(jq -r --arg n "$2" 'first(.. | objects | select(.name? == $n)) | .name' "$1" 2>/dev/null)" ]; }
rep_stable_id() { rep_get "$1" "$2" '.stableId'; }
rep_name_by_stable_id() { jq -r --arg id "$2" 'first(.. | objects | select(.stableId? == $id)) | .name // empty' "$1" 2>/dev/null; }
