#!/usr/bin/env bash
# Runs benchmark binaries alternately, ROUNDS times each, and prints the
# median (and the range) of one counter per benchmark and binary: the way
# docs/performance-aims.md compares a change with the code before it, since this
# machine kind is too noisy for one run of each.
#
#   bench/compare.sh ROUNDS FILTER COUNTER BINARY...
#   e.g. bench/compare.sh 5 Chain worker_cpu /tmp/before /tmp/after
#
# COUNTER is a user counter (worker_cpu, transitions, ...) or real_time /
# cpu_time (Google Benchmark's own columns, in the benchmark's unit).
set -euo pipefail

if [ $# -lt 4 ]; then
  echo "usage: $0 ROUNDS FILTER COUNTER BINARY..." >&2
  exit 2
fi
rounds=$1
filter=$2
counter=$3
shift 3
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "ROUNDS must be a positive number" >&2; exit 2; }

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for ((round = 1; round <= rounds; round++)); do
  for binary in "$@"; do
    "$binary" --benchmark_filter="$filter" --benchmark_format=json 2>/dev/null |
      python3 -c '
import json, sys
binary, counter = sys.argv[1], sys.argv[2]
for run in json.load(sys.stdin)["benchmarks"]:
    if run.get("run_type", "iteration") != "iteration" or counter not in run:
        continue
    print("%s\t%s\t%r" % (binary, run["name"], float(run[counter])))
' "$binary" "$counter" >>"$results"
  done
done

python3 - "$results" "$counter" "$rounds" "$@" <<'EOF'
import statistics, sys
path, counter, rounds, binaries = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
values = {}
for line in open(path):
    binary, name, value = line.rstrip("\n").split("\t")
    values.setdefault(name, {}).setdefault(binary, []).append(float(value))
if not values:
    sys.exit("no benchmark matched, or none reports %s" % counter)
width = max(len(name) for name in values)
print("%-*s  %s  (median of %s rounds, [min, max])" % (width, "benchmark", counter, rounds))
for name in values:
    cells = []
    for binary in binaries:
        got = values[name].get(binary)
        if got:
            cells.append("%s: %.4g [%.4g, %.4g]" % (binary, statistics.median(got), min(got), max(got)))
        else:
            cells.append("%s: -" % binary)
    print("%-*s  %s" % (width, name, "   ".join(cells)))
EOF
