// A benchmark program for //bench:bench_smoke_check_test: one benchmark
// that passes, one that reports an error, one that makes the program exit
// non-zero.
#include <cstdlib>

#include "benchmark/benchmark.h"

namespace {

void BM_Passes(benchmark::State& state) {
  int n = 0;
  for (auto _ : state) benchmark::DoNotOptimize(++n);
}
BENCHMARK(BM_Passes);

void BM_ReportsAnError(benchmark::State& state) {
  state.SkipWithError("meant to fail");
  for (auto _ : state) {
  }
}
BENCHMARK(BM_ReportsAnError);

void BM_ExitsNonZero(benchmark::State& state) {
  for (auto _ : state) {
  }
  std::exit(3);
}
BENCHMARK(BM_ExitsNonZero);

}  // namespace

BENCHMARK_MAIN();
