// Deploy throughput through the public API: import, then every logic's
// factory compiling its configuration (Engine::Deploy), in bytes per second
// of input. Since logics read their own configuration at deploy (issue 11),
// import alone (import_bench) no longer covers logic parsing: this is the
// end-to-end figure to compare across that change.
//
//   bazel run --config=opt //bench:deploy_bench

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "bench/corpus.h"
#include "benchmark/benchmark.h"
#include "convey/engine.h"

namespace {

// Deploys every corpus file into a fresh engine; engines are reopened every
// 64 iterations (outside the timing) so that the versions deploys keep do
// not pile up.
void BM_DeployCorpus(benchmark::State& state) {
  const std::vector<std::string> corpus = convey::bench::LoadCorpus();
  if (corpus.empty()) return state.SkipWithError("no corpus (run from the workspace root)");
  size_t bytes = 0;
  for (const std::string& file : corpus) bytes += file.size();
  convey::EngineOptions options;
  options.worker_threads = 1;
  std::unique_ptr<convey::Engine> engine;
  int64_t deployed = 0;
  for (auto _ : state) {
    if (deployed % 64 == 0) {
      state.PauseTiming();
      engine = *convey::Engine::Open(options);
      state.ResumeTiming();
    }
    ++deployed;
    for (const std::string& file : corpus) {
      auto result = engine->Deploy("corpus.json", file);
      if (!result.ok()) return state.SkipWithError(std::string(result.status().message()).c_str());
      benchmark::DoNotOptimize(result);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes) * state.iterations());
}
BENCHMARK(BM_DeployCorpus)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
