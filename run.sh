#!/usr/bin/env bash
# The main job: load a scheme and report what it holds.
#   ./run.sh                      inspects examples/orders.conv.json
#   ./run.sh FILE.json [args...]  inspects FILE.json (args go to `convey inspect`)
set -euo pipefail
cd "$(dirname "$0")"
tools/install-deps.sh
# Build quietly; errors are still shown.
bazel build --config=opt --noshow_progress --show_result=0 --ui_event_filters=-info,-debug \
  //tools:convey
if [ $# -eq 0 ]; then
  set -- examples/orders.conv.json
fi
exec bazel-bin/tools/convey inspect "$@"
