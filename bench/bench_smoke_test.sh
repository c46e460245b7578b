#!/usr/bin/env bash
# The checker of the *_smoke tests, checked: bench_smoke.sh passes a clean
# run and fails a benchmark that reports an error (which the program alone
# does not) and a filter that matches nothing.
#   bench_smoke_test.sh BENCH_SMOKE_SH SMOKE_CHECK_BENCH
set -uo pipefail
smoke=$1
program=$2
failures=0
fail() {
  echo "FAILED: $*" >&2
  failures=$((failures + 1))
}
quick=--benchmark_min_time=0.001

"$program" $quick --benchmark_filter=ReportsAnError >/dev/null 2>&1 ||
  fail "the program alone should exit 0 after SkipWithError (else the checker is not needed)"
"$smoke" "$program" $quick --benchmark_filter=Passes ||
  fail "a clean run should pass"
"$smoke" "$program" $quick --benchmark_filter=ReportsAnError &&
  fail "a benchmark that reports an error should fail the smoke test"
"$smoke" "$program" $quick '--benchmark_filter=Passes|ReportsAnError' &&
  fail "one error among several benchmarks should fail the smoke test"
"$smoke" "$program" $quick --benchmark_filter=NoSuchBenchmark &&
  fail "a filter that matches nothing should fail the smoke test"
"$smoke" "$program" $quick --benchmark_filter=ExitsNonZero &&
  fail "a program that exits non-zero should fail the smoke test"

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "bench_smoke.sh: all checks passed"
