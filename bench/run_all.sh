#!/usr/bin/env bash
# The whole picture of issue 17's aims in one table
# (docs/performance-aims.md): builds the benchmarks with --config=opt, runs each
# RUNS times back to back (default 3), and prints per row the aim, the
# median result, and the floor measured in the same run with how far the
# result is from it:
#   B1, B2  a bare moodycamel queue hop (engine_bench BM_QueueHop: item by
#           item for B1, as tasks are queued; in bulk for B2)
#   B3, B6  simdjson alone on the same input (import_bench, task_bench)
#   B5      the libcurl transport alone, and wrk -> nginx
#   B7      none (bytes per parked task beyond its JSON)
#
#   bench/run_all.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [RUNS]" >&2; exit 2; }

tools/install-deps.sh >/dev/null
for tool in wrk nginx python3; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (tools/install-deps.sh)" >&2; exit 2; }
done
programs=(engine_bench engine_bench_glibc import_bench http_bench task_bench)
echo "building ${programs[*]} (--config=opt)" >&2
bazel build --config=opt --noshow_progress --show_result=0 --ui_event_filters=-info,-debug \
  "${programs[@]/#/\/\/bench:}"
bin="$(bazel info --config=opt bazel-bin 2>/dev/null)/bench"

work=$(mktemp -d)
source bench/nginx_lib.sh
trap 'nginx_stop; rm -rf "$work"' EXIT
# One worker, as http_bench's own nginx (the transport's ceiling).
nginx_start "$work/nginx" 18192 1 '{"ok":true}'

# run NAME PROGRAM FILTER: one run of PROGRAM's benchmarks matching FILTER,
# as JSON in $work/NAME.$round.json.
run() {
  local name=$1 program=$2 filter=$3
  echo "  $name" >&2
  # From its runfiles, as `bazel run` starts it (the corpus is found there).
  (cd "$bin/$program.runfiles/convey" &&
    "$bin/$program" --benchmark_filter="$filter" --benchmark_format=json) \
    >"$work/$name.$round.json" 2>"$work/$name.$round.err" ||
    { cat "$work/$name.$round.err" >&2; exit 1; }
}
for round in $(seq "$runs"); do
  echo "round $round of $runs" >&2
  run engine engine_bench '^BM_(Pipeline/1000000/2000000|PipelineBatch|GoChain|GoIfConstChain|QueueHop)/'
  run memory engine_bench '^BM_ParkedTaskMemory/1000000/32/'  # alone: it reads resident memory
  run glibc engine_bench_glibc '^BM_Pipeline(/1000000/2000000|Batch)/'
  run import import_bench '^BM_(ImportCorpus|SimdjsonDomParseCorpus|ImportGenerated10MB|SimdjsonDomParseGenerated10MB)$'
  run http http_bench '^(KeepAlive/in_flight:64/io_threads:1|EngineKeepAlive/in_flight:64)/'
  run task task_bench '^BM_(TaskDocumentRead3|DomParseRead3|OnDemandRead3|TaskDocumentApplyToTextOneField|DomParseApplyToTextOneField|DomParse|DomStage1)$'
  echo "  wrk -> nginx" >&2
  wrk -t1 -c64 -d5s "http://127.0.0.1:18192/" | awk '/Requests\/sec/ {print $2}' \
    >"$work/wrk.$round.txt"
done

python3 - "$work" "$runs" <<'EOF'
import glob, json, os, statistics, sys

work, runs = sys.argv[1], int(sys.argv[2])

def values(name, benchmark, field):
    """The value of `field` of `benchmark` in each round of program run `name`."""
    got = []
    for round in range(1, runs + 1):
        path = os.path.join(work, "%s.%d.json" % (name, round))
        for b in json.load(open(path))["benchmarks"]:
            if b.get("run_type", "iteration") == "iteration" and b["name"] == benchmark:
                if b.get("error_occurred"):
                    sys.exit("%s failed: %s" % (benchmark, b.get("error_message")))
                got.append(float(b[field]))
    if not got:
        sys.exit("no result for %s %s" % (benchmark, field))
    return got

def median(name, benchmark, field, scale=1.0):
    return statistics.median(v * scale for v in values(name, benchmark, field))

def wrk():
    return statistics.median(
        float(open(p).read().strip() or 0) for p in glob.glob(os.path.join(work, "wrk.*.txt")))

hop_per_s = median("engine", "BM_QueueHop/1/real_time", "items_per_second")
bulk_hop_ns = 1e9 / median("engine", "BM_QueueHop/64/real_time", "items_per_second")
transport = median("http", "KeepAlive/in_flight:64/io_threads:1/real_time", "items_per_second")
nginx = wrk()

# id, benchmark, aim (text), result, unit, higher is better, floor, floor text
rows = []
def row(id, label, aim, ok, result, unit, floor=None, floor_label=""):
    rows.append((id, label, aim, "met" if ok else "NOT MET", result, unit, floor, floor_label))

pipeline = median("engine", "BM_Pipeline/1000000/2000000/real_time", "items_per_second")
row("B1", "pipeline, 10^6 tasks, 2 workers, jemalloc", ">= 1.5 M/s", pipeline >= 1.5e6,
    pipeline, "tasks/s", hop_per_s, "queue hop, item by item")
batch = median("engine", "BM_PipelineBatch/real_time", "items_per_second")
row("B1", "the same, created by CreateTasks (256 a call)", ">= 1.5 M/s", batch >= 1.5e6, batch,
    "tasks/s", hop_per_s, "queue hop, item by item")
for bench, label in (("BM_Pipeline/1000000/2000000/real_time", "pipeline, glibc malloc"),
                     ("BM_PipelineBatch/real_time", "the same, by CreateTasks")):
    glibc = median("glibc", bench, "items_per_second")
    row("B1", label, ">= 1 M/s", glibc >= 1e6, glibc, "tasks/s", hop_per_s,
        "queue hop, item by item")
go = median("engine", "BM_GoChain/real_time", "worker_cpu")
row("B2", "go chain, per transition (worker CPU)", "<= 20 ns", go <= 20, go, "ns", bulk_hop_ns,
    "queue hop, in bulk")
go_if = median("engine", "BM_GoIfConstChain/real_time", "worker_cpu")
row("B2", "go_if_const chain, per transition", "<= 35 ns", go_if <= 35, go_if, "ns",
    bulk_hop_ns, "queue hop, in bulk")
for label, bench, floor in (("import, corpus", "BM_ImportCorpus", "BM_SimdjsonDomParseCorpus"),
                            ("import, 10 MB export", "BM_ImportGenerated10MB",
                             "BM_SimdjsonDomParseGenerated10MB")):
    # In MB/s (10^6 bytes), the aim's unit; Google Benchmark's 'M/s' is MiB.
    got = median("import", bench, "bytes_per_second", 1e-6)
    row("B3", label, ">= 500 MB/s", got >= 500, got, "MB/s",
        median("import", floor, "bytes_per_second", 1e-6), "simdjson DOM parse")
api = median("http", "EngineKeepAlive/in_flight:64/real_time", "items_per_second")
row("B5", "api calls through the engine, 64 in flight", ">= 100 k/s", api >= 1e5, api, "calls/s",
    transport, "transport alone")
row("B5", "(the same)", "", True, api, "calls/s", nginx, "wrk -> nginx")
# The engine's way (TaskDocument): stage 1's index, the DOM only when needed.
stage1 = median("task", "BM_DomStage1", "real_time")
read3 = median("task", "BM_TaskDocumentRead3", "real_time")
row("B6", "read 3 task fields (the engine's way: stage 1 index)", "<= 85 ns", read3 <= 85, read3,
    "ns", stage1, "simdjson stage 1 alone")
dom_read3 = median("task", "BM_DomParseRead3", "real_time")
row("B6", "(the same through the DOM)", "", True, dom_read3, "ns",
    median("task", "BM_OnDemandRead3", "real_time"), "simdjson On-Demand alone")
change = median("task", "BM_TaskDocumentApplyToTextOneField", "real_time")
row("B6", "change one field + new text (stage 1 index)", "<= 300 ns", change <= 300, change, "ns",
    stage1, "simdjson stage 1 alone")
dom_change = median("task", "BM_DomParseApplyToTextOneField", "real_time")
row("B6", "(the same after a DOM parse)", "", True, dom_change, "ns",
    median("task", "BM_DomParse", "real_time"), "simdjson DOM parse alone")
memory = median("memory", "BM_ParkedTaskMemory/1000000/32/iterations:1", "bytes_per_task")
row("B7", "memory per parked task beyond its JSON", "<= 400 B", memory <= 400, memory, "B")

def number(v):
    return "%.3g" % v if v < 100 else "{:,.0f}".format(v).replace(",", " ")

def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"

# The machine kind matters: simdjson's kernels (and this VM's syscalls) differ
# by CPU, and numbers from two machine kinds do not compare.
print("%s, %d CPUs" % (cpu_model(), os.cpu_count()))
print("median of %d runs; floor measured in the same runs; higher/lower as the aim says" % runs)
print("| id | benchmark | aim | result | unit | floor | result / floor |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for id, label, aim, verdict, result, unit, floor, floor_label in rows:
    aim_text = "%s (%s)" % (aim, verdict) if aim else ""
    floor_text = "%s %s (%s)" % (number(floor), unit, floor_label) if floor else "-"
    ratio = "%.2f" % (result / floor) if floor else "-"
    print("| %s | %s | %s | %s | %s | %s | %s |" % (id, label, aim_text, number(result), unit,
                                                    floor_text, ratio))
EOF
