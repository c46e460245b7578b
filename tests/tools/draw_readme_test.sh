#!/usr/bin/env bash
# The README's picture, docs/images/orders.svg, is what `convey draw` makes
# of the example and the committed counts: it changes when the drawing does.
#   draw_readme_test.sh CONVEY SCHEME COUNTS PICTURE
set -euo pipefail
convey=$1
scheme=$2
counts=$3
picture=$4
drawn="${TEST_TMPDIR:-$(mktemp -d)}/orders.svg"
"$convey" draw "$scheme" --counts "$counts" --output "$drawn"
if ! cmp -s "$drawn" "$picture"; then
  echo "FAIL: docs/images/orders.svg is not what convey draw makes now; regenerate it with" >&2
  echo "  bazel build //tools:convey && bazel-bin/tools/convey draw examples/orders.conv.json \\" >&2
  echo "    --counts docs/images/orders.counts.jsonl --output docs/images/orders.svg" >&2
  diff "$picture" "$drawn" | head -20 >&2 || true
  exit 1
fi
echo "ok: docs/images/orders.svg is current"
