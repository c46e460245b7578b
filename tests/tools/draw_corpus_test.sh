#!/usr/bin/env bash
# `convey draw` on every process of the shared corpus (../shared/corpus),
# the test data and the examples: well-formed SVG, one node group per node,
# one edge per link as read from the raw JSON (draw_corpus_check.py).
#   draw_corpus_test.sh CONVEY CHECK_PY VALID_FILE... -- OTHER_FILE...
# Files before `--` must load; the others are drawn when they load.
set -euo pipefail
convey=$1
check=$2
shift 2
args=()
must_load=1
for file in "$@"; do
  if [ "$file" = "--" ]; then must_load=0; continue; fi
  if [ "$must_load" = 1 ]; then args+=(--must-load "$file"); else args+=("$file"); fi
done
exec python3 "$check" "$convey" "${args[@]}"
