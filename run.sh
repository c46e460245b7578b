#!/usr/bin/env bash
# The main job: run the example order process through the engine.
#   ./run.sh                       runs 10000 tasks through examples/orders.conv.json
#                                  (cycling through examples/orders.tasks.jsonl)
#   ./run.sh FILE.json [args...]   `convey run FILE.json args...`
#   ./run.sh run FILE.json [...]   the same
#   ./run.sh inspect FILE.json...  `convey inspect FILE.json...`
# See docs/cli.md for the options and the output.
set -euo pipefail
cd "$(dirname "$0")"
tools/install-deps.sh
# Build quietly; errors are still shown.
bazel build --config=opt --noshow_progress --show_result=0 --ui_event_filters=-info,-debug \
  //tools:convey
if [ $# -eq 0 ]; then
  set -- run examples/orders.conv.json --input examples/orders.tasks.jsonl --tasks 10000
elif [ "$1" != "run" ] && [ "$1" != "inspect" ]; then
  set -- run "$@"
fi
exec bazel-bin/tools/convey "$@"
