// Per-task cost of template evaluation and comparison: the go_if_const hot
// path evaluates one param per task. Run with
//   bazel run --config=opt //bench:template_bench
#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "runtime/template/compare.h"
#include "runtime/template/template.h"
#include "simdjson.h"

namespace convey {
namespace {

constexpr char kTask[] =
    R"({"id":"a1b2c3","amount":150,"currency":"USD","card":"4111111111111111",)"
    R"("customer":{"name":"Ann","tier":"gold","tags":["x","y"]},"items":[{"sku":"p1","qty":2}],)"
    R"("created":1706741130,"note":"quick brown fox"})";

class BenchEnv : public internal::TemplateEnv {
 public:
  BenchEnv() {
    if (parser_.parse(std::string(kTask)).get(root_) != simdjson::SUCCESS) std::abort();
  }
  simdjson::dom::element data() override { return root_; }
  Value Root(absl::string_view) override { return Value::String("task-1"); }
  Value NodeField(absl::string_view, absl::string_view, absl::string_view) override {
    return Value::Number(3);
  }
  Value StateTask(absl::string_view, absl::string_view, const internal::Path&) override {
    return Value::Missing();
  }
  absl::Time Now() override { return absl::FromUnixSeconds(1706741130); }
  uint64_t Random() override { return 42; }

 private:
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
};

void Run(benchmark::State& state, const char* text, TemplateMode mode) {
  BenchEnv env;
  std::unique_ptr<Template> compiled = *Template::Compile(text, mode);
  for (auto _ : state) {
    Value v = compiled->Evaluate(env);
    benchmark::DoNotOptimize(v);
  }
}

void BM_TopLevelNumberParam(benchmark::State& s) { Run(s, "amount", TemplateMode::kParam); }
void BM_TopLevelString(benchmark::State& s) { Run(s, "{{currency}}", TemplateMode::kValue); }
void BM_NestedPath(benchmark::State& s) { Run(s, "{{customer.tags[1]}}", TemplateMode::kValue); }
void BM_DynamicIndex(benchmark::State& s) {
  Run(s, "{{items[{{customer.tier}}]}}", TemplateMode::kValue);
}
void BM_MixedText(benchmark::State& s) {
  Run(s, "{{customer.name}} paid {{amount}} {{currency}}", TemplateMode::kValue);
}
void BM_Math(benchmark::State& s) { Run(s, "$.math({{amount}}*2+1)", TemplateMode::kValue); }
void BM_Unixtime(benchmark::State& s) {
  Run(s, "$.unixtime(%y-%m-%d+1 09:00:00)", TemplateMode::kValue);
}
void BM_Constant(benchmark::State& s) { Run(s, "100", TemplateMode::kValue); }

void BM_ParamAndCompareNumber(benchmark::State& state) {
  BenchEnv env;
  std::unique_ptr<Template> param = *Template::Compile("amount", TemplateMode::kParam);
  std::unique_ptr<Template> constant = *Template::Compile("100", TemplateMode::kValue);
  for (auto _ : state) {
    bool more = Compare(param->Evaluate(env), internal::CompareFun::kMore, constant->constant(),
                        Value::Type::kNumber, nullptr);
    benchmark::DoNotOptimize(more);
  }
}

BENCHMARK(BM_TopLevelNumberParam);
BENCHMARK(BM_TopLevelString);
BENCHMARK(BM_NestedPath);
BENCHMARK(BM_DynamicIndex);
BENCHMARK(BM_MixedText);
BENCHMARK(BM_Math);
BENCHMARK(BM_Unixtime);
BENCHMARK(BM_Constant);
BENCHMARK(BM_ParamAndCompareNumber);

}  // namespace
}  // namespace convey

BENCHMARK_MAIN();
