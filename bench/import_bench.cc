// Import throughput: parse, validate and build the compiled scheme
// (schema::Scheme), in bytes per second of input.
//
//   bazel run --config=opt //bench:import_bench
//
// Inputs: every file of ../shared/corpus/valid, and a generated ~10 MB
// folder export of realistic processes. BM_SimdjsonDomParse* measure the
// parse alone, as a floor for what the importer adds.
#include <dirent.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bench/corpus.h"
#include "benchmark/benchmark.h"
#include "runtime/import/importer.h"
#include "simdjson.h"

namespace convey {
namespace {

const std::vector<std::string>& Corpus() {
  static const auto* const corpus = new std::vector<std::string>(bench::LoadCorpus());
  return *corpus;
}

std::string NodeId(int process, int node) {
  char id[25];
  std::snprintf(id, sizeof(id), "%08x%016x", process, node);
  return id;
}

// One process of `nodes` nodes shaped like real exports: each step node holds
// a set_param or an api call, a condition, a go, and every tenth a delay.
// `repeat_conv_type`: `conv_type` twice, as the platform's exporter writes it.
std::string GenerateProcess(int conv_id, int nodes, bool repeat_conv_type = false) {
  std::string json = absl::StrCat(
      R"({"obj_type":1,"obj_id":)", conv_id, R"(,"parent_id":0,"title":"Generated )", conv_id,
      R"(","description":"","status":"active","params":[],"ref_mask":true,"conv_type":"process",)",
      repeat_conv_type ? R"("conv_type":"process",)" : "", R"("scheme":{"nodes":[)");
  const std::string final_id = NodeId(conv_id, nodes + 1);
  const std::string error_id = NodeId(conv_id, nodes + 2);
  absl::StrAppend(
      &json, R"({"id":")", NodeId(conv_id, 0),
      R"(","obj_type":1,"title":"Start","condition":{"logics":[{"type":"go","to_node_id":")",
      NodeId(conv_id, 1),
      R"("}],"semaphors":[]},"x":0,"y":0,"extra":"{\"modeForm\":\"collapse\",\"icon\":\"\"}","options":null})");
  for (int i = 1; i <= nodes; ++i) {
    const std::string next = NodeId(conv_id, i + 1);
    std::string action;
    if (i % 3 == 0) {
      action = absl::StrCat(
          R"({"type":"api","format":"","method":"POST","url":"https://api.example.com/v1/items/{{item_id}}","extra":{"name":"{{name}}","count":"{{count}}"},"extra_type":{"name":"string","count":"number"},"max_threads":5,"err_node_id":")",
          error_id,
          R"(","extra_headers":{"Authorization":"Bearer {{token}}"},"send_sys":true,"debug_info":false,"customize_response":false,"response":{"header":"{{header}}","body":"{{body}}"},"response_type":{"header":"object","body":"object"},"cert_pem":"","rfc_format":true,"version":2,"is_migrate":true})");
    } else {
      action = absl::StrCat(
          R"({"type":"set_param","extra":{"step":")", i,
          R"j(","total":"$.math({{price}}*{{qty}})","label":"{{first}} {{last}}"},"extra_type":{"step":"number","total":"number","label":"string"},"err_node_id":")j",
          error_id, R"("})");
    }
    const std::string semaphores =
        i % 10 == 0 ? absl::StrCat(R"([{"type":"time","value":30,"dimension":"sec","to_node_id":")",
                                   next, R"("}])")
                    : "[]";
    absl::StrAppend(
        &json, R"(,{"id":")", NodeId(conv_id, i), R"(","obj_type":0,"title":"Step )", i,
        R"(","description":"","condition":{"logics":[)", action,
        R"(,{"type":"go_if_const","to_node_id":")", final_id,
        R"(","conditions":[{"param":"status","const":"done","fun":"eq","cast":"string"},{"param":"amount","const":"100","fun":"more","cast":"number"}]},{"type":"go","to_node_id":")",
        next, R"("}],"semaphors":)", semaphores, R"(},"x":)", i * 10, R"(,"y":)", i * 20,
        R"(,"extra":"{\"modeForm\":\"expand\",\"icon\":\"\"}","options":null})");
  }
  absl::StrAppend(
      &json, R"(,{"id":")", final_id,
      R"(","obj_type":2,"title":"Done","condition":{"logics":[],"semaphors":[]},"options":"{\"save_task\":true}"})",
      R"(,{"id":")", error_id,
      R"(","obj_type":2,"title":"Error","condition":{"logics":[],"semaphors":[]},"options":"{\"save_task\":true}"}]}})");
  return json;
}

std::string Generate10MB(bool repeat_conv_type) {
  std::string out = "[";
  for (int conv_id = 1; out.size() < (10u << 20); ++conv_id) {
    if (conv_id > 1) out.push_back(',');
    out.append(GenerateProcess(conv_id, 200, repeat_conv_type));
  }
  out.push_back(']');
  return out;
}

const std::string& Generated10MB() {
  static const std::string* const json = new std::string(Generate10MB(false));
  return *json;
}

// Every process repeats `conv_type`: the importer also scans the text once
// for the repeats' byte offsets.
const std::string& GeneratedPlatformExport10MB() {
  static const std::string* const json = new std::string(Generate10MB(true));
  return *json;
}

void BM_ImportCorpus(benchmark::State& state) {
  const auto& corpus = Corpus();
  if (corpus.empty()) {
    state.SkipWithError("corpus not found (run with bazel run)");
    return;
  }
  size_t bytes = 0;
  for (const std::string& file : corpus) bytes += file.size();
  for (auto _ : state) {
    for (const std::string& file : corpus) {
      internal::ImportResult result = internal::ImportScheme("corpus", file);
      if (!result.ok()) state.SkipWithError("a corpus file failed to import");
      benchmark::DoNotOptimize(result);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["files"] = static_cast<double>(corpus.size());
}
BENCHMARK(BM_ImportCorpus);

void ImportGenerated(benchmark::State& state, const std::string& json) {
  int nodes = 0;
  for (auto _ : state) {
    internal::ImportResult result = internal::ImportScheme("generated", json);
    if (!result.ok()) state.SkipWithError("the generated scheme failed");
    nodes = 0;
    for (const auto& process : result.scheme().processes()) {
      nodes += process.nodes_size();
    }
    benchmark::DoNotOptimize(result);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * json.size()));
  state.counters["nodes"] = nodes;
}

void BM_ImportGenerated10MB(benchmark::State& state) { ImportGenerated(state, Generated10MB()); }
BENCHMARK(BM_ImportGenerated10MB)->Unit(benchmark::kMillisecond);

void BM_ImportGeneratedPlatformExport10MB(benchmark::State& state) {
  ImportGenerated(state, GeneratedPlatformExport10MB());
}
BENCHMARK(BM_ImportGeneratedPlatformExport10MB)->Unit(benchmark::kMillisecond);

void DomParse(benchmark::State& state, const std::vector<std::string>& inputs) {
  simdjson::dom::parser parser;
  size_t bytes = 0;
  for (const std::string& input : inputs) bytes += input.size();
  for (auto _ : state) {
    for (const std::string& input : inputs) {
      simdjson::dom::element root;
      if (parser.parse(input).get(root)) state.SkipWithError("parse failed");
      benchmark::DoNotOptimize(root);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

void BM_SimdjsonDomParseCorpus(benchmark::State& state) { DomParse(state, Corpus()); }
BENCHMARK(BM_SimdjsonDomParseCorpus);

void BM_SimdjsonDomParseGenerated10MB(benchmark::State& state) {
  DomParse(state, {Generated10MB()});
}
BENCHMARK(BM_SimdjsonDomParseGenerated10MB)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace convey

BENCHMARK_MAIN();
