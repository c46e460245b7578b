#!/usr/bin/env bash
# convey serve's single-op create rate as wrk sees it, against its ceiling on
# this machine measured in the same run: nginx answering a static 100-byte
# JSON body. Both on loopback, keep-alive, 64 connections, wrk on the same
# cores as the server (as everywhere in bench/).
#   bench/serve_wrk.sh [SECONDS_PER_RUN] [RUNS]
# Prints each run and the medians; docs/performance.md records them.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
runs=${2:-3}
tools/install-deps.sh
bazel build --config=opt --noshow_progress --show_result=0 --ui_event_filters=-info,-debug \
  //tools:convey
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

cat > "$work/pass.json" <<'JSON'
[{"obj_type": 1, "obj_id": 1001, "title": "Pass", "status": "active", "conv_type": "process",
  "scheme": {"nodes": [
    {"id": "a00000000000000000000001", "obj_type": 1, "title": "Start",
     "condition": {"logics": [{"type": "go", "to_node_id": "a00000000000000000000002"}], "semaphors": []}},
    {"id": "a00000000000000000000002", "obj_type": 2, "title": "Done",
     "condition": {"logics": [], "semaphors": []}}]}}]
JSON
cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"amount":17,"customer":"c-17","items":[{"price":30,"quantity":2}]}'
wrk.headers["Content-Type"] = "application/json"
LUA
source bench/nginx_lib.sh
nginx_start "$work/nginx" 18190 2 \
  '{"request_proc":"ok","ops":[{"proc":"ok","obj":"task","ref":null,"obj_id":"6b11963e0006830edaa00000"}]}'
pids+=("$NGINX_PID")
bazel-bin/tools/convey serve "$work/pass.json" --listen 127.0.0.1:18191 \
  --direct-url-secret bench > "$work/serve.out" &
pids+=($!)
for _ in $(seq 100); do
  grep -q "direct URL" "$work/serve.out" 2>/dev/null && break
  sleep 0.05
done
direct=$(grep -o 'http://[^ ]*public[^ ]*' "$work/serve.out")

measure() {  # measure NAME URL: prints "NAME req/s p50 p99" per run, then the median
  local name=$1 url=$2 results=()
  for run in $(seq "$runs"); do
    out=$(wrk -t2 -c64 -d"${seconds}s" --latency -s "$work/post.lua" "$url")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    errors=$(grep -E "Non-2xx|Socket errors" <<<"$out" || true)
    echo "$name run $run: $rps req/s, p50 $p50, p99 $p99 ${errors}"
    results+=("$rps")
  done
  printf '%s\n' "${results[@]}" | sort -n | awk -v name="$name" \
    '{v[NR]=$1} END {m=v[int((NR+1)/2)]; printf "%s median: %.0f req/s\n", name, m; print m > "/dev/stderr"}' \
    2> "$work/$name.median"
}
measure nginx "http://127.0.0.1:18190/"
measure convey "$direct"
awk -v n="$(cat "$work/nginx.median")" -v c="$(cat "$work/convey.median")" \
  'BEGIN {printf "convey / nginx: %.2f\n", c / n}'
