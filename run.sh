#!/usr/bin/env bash
# The main job: run the example order process through the engine.
#   ./run.sh                       runs 10000 tasks through examples/orders.conv.json
#                                  (cycling through examples/orders.tasks.jsonl)
#   ./run.sh FILE.json [args...]   `convey run FILE.json args...`
#   ./run.sh run FILE.json [...]   the same
#   ./run.sh inspect FILE.json...  `convey inspect FILE.json...`
#   ./run.sh draw FILE.json [...]  `convey draw FILE.json ...`: the process as SVG
#   ./run.sh api                   starts a local payment API (nginx, examples/api/nginx.conf)
#                                  and runs 1000 tasks through examples/api/payments.conv.json
#                                  (with --allow-net=127.0.0.1/32: the API is on loopback)
# See docs/cli.md for the options and the output.
set -euo pipefail
cd "$(dirname "$0")"
tools/install-deps.sh
# Build quietly; errors are still shown.
bazel build --config=opt --noshow_progress --show_result=0 --ui_event_filters=-info,-debug \
  //tools:convey
if [ $# -eq 0 ]; then
  set -- run examples/orders.conv.json --input examples/orders.tasks.jsonl --tasks 10000
elif [ "$1" = "api" ]; then
  prefix=$(mktemp -d)
  mkdir -p "$prefix/tmp"
  nginx -p "$prefix" -c "$PWD/examples/api/nginx.conf" &
  nginx_pid=$!
  trap 'kill "$nginx_pid" 2>/dev/null; wait "$nginx_pid" 2>/dev/null; rm -rf "$prefix"' EXIT
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/18089) 2>/dev/null && break
    sleep 0.05
  done
  # convey run refuses api calls to private and loopback addresses unless
  # allowed: the local API is.
  bazel-bin/tools/convey run examples/api/payments.conv.json \
    --input examples/api/payments.tasks.jsonl --tasks 1000 --allow-net=127.0.0.1/32
  exit
elif [ "$1" != "run" ] && [ "$1" != "inspect" ] && [ "$1" != "draw" ]; then
  set -- run "$@"
fi
exec bazel-bin/tools/convey "$@"
