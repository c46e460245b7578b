#!/usr/bin/env bash
# The *_smoke tests (bazel/bench.bzl): runs a Google Benchmark program
# briefly and fails when the program fails, when any benchmark reports an
# error (State::SkipWithError: the program itself still exits 0), or when no
# benchmark ran (a --benchmark_filter that matches nothing).
#   bench_smoke.sh PROGRAM [benchmark flags...]
set -uo pipefail
if [ $# -lt 1 ]; then
  echo "usage: bench_smoke.sh PROGRAM [benchmark flags...]" >&2
  exit 2
fi
program=$1
shift
out=$(mktemp "${TEST_TMPDIR:-${TMPDIR:-/tmp}}/bench_smoke.XXXXXX.json") || exit 1
trap 'rm -f "$out"' EXIT

"$program" "$@" --benchmark_out="$out" --benchmark_out_format=json
rc=$?
if [ "$rc" -ne 0 ]; then
  echo "bench_smoke: $program exited with status $rc" >&2
  exit 1
fi
if grep -Eq '"error_occurred": *true' "$out"; then
  echo "bench_smoke: a benchmark reported an error:" >&2
  grep -E '^ *"(name|error_message)":' "$out" | grep -B1 '"error_message"' >&2
  exit 1
fi
if ! grep -Eq '^ *"name":' "$out"; then
  echo "bench_smoke: no benchmark ran (does --benchmark_filter match any?)" >&2
  exit 1
fi
exit 0
