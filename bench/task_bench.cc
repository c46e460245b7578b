// The per-step cost of a task's data: parsing it, reading a few fields, and
// producing its new text after a logic's writes.
//
//   bazel run --config=opt //bench:task_bench
//
// The task is a realistic ~320-byte object: a dozen top-level fields of mixed
// types, one nested object, one small array.
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "benchmark/benchmark.h"
#include "convey/value.h"
#include "runtime/json/path.h"
#include "runtime/json/repeated_keys.h"
#include "runtime/task/task_document.h"
#include "runtime/task/write_set.h"
#include "simdjson.h"

namespace convey {
namespace internal {
namespace {

constexpr std::string_view kTask =
    R"({"order_id":"ORD-2024-000184","status":"new","amount":1249.5,"currency":"UAH",)"
    R"("customer":{"id":"C-55821","name":"Maria Kovalenko","tier":"gold","verified":true},)"
    R"("items":[3,17,42],"attempts":0,"priority":2,"paid":false,"created_at":1714555200,)"
    R"("phone":"+380501234567","note":"deliver after 18:00",)"
    R"("ref":"2f1d8c9a-5b7e-4c3a-9f6d-1e2b3c4d5e6f"})";

Path MustParse(std::string_view text) {
  absl::StatusOr<Path> path = ParsePath(absl::string_view(text.data(), text.size()));
  if (!path.ok()) std::abort();
  return *std::move(path);
}

simdjson::dom::element MustParse(simdjson::dom::parser& parser,
                                 const simdjson::padded_string& json) {
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc) != simdjson::SUCCESS) std::abort();
  return doc;
}

void SetTaskCounters(benchmark::State& state) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kTask.size()));
  state.counters["task_bytes"] = static_cast<double>(kTask.size());
}

// Parsing alone, the floor for everything below.
void BM_DomParse(benchmark::State& state) {
  simdjson::padded_string json(kTask);
  simdjson::dom::parser parser;
  for (auto _ : state) {
    simdjson::dom::element doc = MustParse(parser, json);
    benchmark::DoNotOptimize(doc);
  }
  SetTaskCounters(state);
}
BENCHMARK(BM_DomParse);

// simdjson's stage 1 alone (the structural index): what the engine's
// reads and top-level writes need of a parse (TaskDocument), the floor for
// the two below that use it.
void BM_DomStage1(benchmark::State& state) {
  simdjson::padded_string json(kTask);
  simdjson::dom::parser parser;
  MustParse(parser, json);  // sizes the parser
  for (auto _ : state) {
    if (parser.implementation->stage1(reinterpret_cast<const uint8_t*>(json.data()), json.size(),
                                      simdjson::stage1_mode::regular) != simdjson::SUCCESS) {
      std::abort();
    }
    benchmark::DoNotOptimize(parser.implementation->n_structural_indexes);
  }
  SetTaskCounters(state);
}
BENCHMARK(BM_DomStage1);

// What every create and modify adds to the parse: the walk that looks for a
// key repeated in one object (semantics A1), on data that has none.
void BM_DomParseCheckRepeatedKeys(benchmark::State& state) {
  simdjson::padded_string json(kTask);
  simdjson::dom::parser parser;
  for (auto _ : state) {
    simdjson::dom::element doc = MustParse(parser, json);
    benchmark::DoNotOptimize(HasRepeatedKeys(doc));
  }
  SetTaskCounters(state);
}
BENCHMARK(BM_DomParseCheckRepeatedKeys);

// The rare path: the same task with one key repeated, scanned and rebuilt.
void BM_CollapseRepeatedKeys(benchmark::State& state) {
  std::string repeated(kTask);
  repeated.insert(repeated.size() - 1, R"(,"status":"new")");
  std::string collapsed;
  for (auto _ : state) {
    if (!CollapseRepeatedKeys(repeated, "task data", &collapsed).ok()) std::abort();
    benchmark::DoNotOptimize(collapsed);
  }
  SetTaskCounters(state);
}
BENCHMARK(BM_CollapseRepeatedKeys);

// (a) What a condition or template does per task: parse, then read three
// fields through paths parsed at deploy.
void BM_DomParseRead3(benchmark::State& state) {
  simdjson::padded_string json(kTask);
  simdjson::dom::parser parser;
  const Path status = MustParse("status");
  const Path amount = MustParse("amount");
  const Path tier = MustParse("customer.tier");
  for (auto _ : state) {
    simdjson::dom::element doc = MustParse(parser, json);
    simdjson::dom::element a, b, c;
    std::string_view status_value, tier_value;
    double amount_value = 0;
    if (!FindPath(doc, status, &a) || a.get_string().get(status_value) != simdjson::SUCCESS ||
        !FindPath(doc, amount, &b) || b.get_double().get(amount_value) != simdjson::SUCCESS ||
        !FindPath(doc, tier, &c) || c.get_string().get(tier_value) != simdjson::SUCCESS) {
      state.SkipWithError("field not found");
      break;
    }
    benchmark::DoNotOptimize(status_value);
    benchmark::DoNotOptimize(amount_value);
    benchmark::DoNotOptimize(tier_value);
  }
  SetTaskCounters(state);
}
BENCHMARK(BM_DomParseRead3);

// (a) the engine's way (runtime/task/task_document.h): simdjson's stage 1
// only, the three fields found through its structural index, read as a
// condition (a number) and a template (two strings) read them.
void BM_TaskDocumentRead3(benchmark::State& state) {
  const std::string json(kTask);
  TaskDocument document;
  const Path status = MustParse("status");
  const Path amount = MustParse("amount");
  const Path tier = MustParse("customer.tier");
  for (auto _ : state) {
    document.Reset();
    double amount_value = 0;
    Value status_value = document.ValueAt(json, status);
    const NumberLookup found = document.NumberAt(json, amount, &amount_value);
    Value tier_value = document.ValueAt(json, tier);
    if (status_value.is_missing() || found != NumberLookup::kNumber || tier_value.is_missing()) {
      state.SkipWithError("field not found");
      break;
    }
    benchmark::DoNotOptimize(status_value);
    benchmark::DoNotOptimize(amount_value);
    benchmark::DoNotOptimize(tier_value);
  }
  if (document.has_document()) state.SkipWithError("the document was built");
  SetTaskCounters(state);
}
BENCHMARK(BM_TaskDocumentRead3);

// The same from a std::string without padding: simdjson copies it first.
void BM_DomParseRead3FromStdString(benchmark::State& state) {
  std::string json(kTask);
  json.shrink_to_fit();
  simdjson::dom::parser parser;
  const Path status = MustParse("status");
  const Path amount = MustParse("amount");
  const Path tier = MustParse("customer.tier");
  for (auto _ : state) {
    simdjson::dom::element doc;
    if (parser.parse(json).get(doc) != simdjson::SUCCESS) std::abort();
    simdjson::dom::element a, b, c;
    bool found = FindPath(doc, status, &a) && FindPath(doc, amount, &b) && FindPath(doc, tier, &c);
    benchmark::DoNotOptimize(found);
    benchmark::DoNotOptimize(a);
    benchmark::DoNotOptimize(b);
    benchmark::DoNotOptimize(c);
  }
  SetTaskCounters(state);
}
BENCHMARK(BM_DomParseRead3FromStdString);

// (c) The On-Demand alternative to (a), fields read in document order.
// On-Demand is compiled into this binary: without --config=native it runs
// the generic x86-64 kernel, while the DOM parser in libsimdjson dispatches
// at run time.
void BM_OnDemandRead3(benchmark::State& state) {
  simdjson::padded_string json(kTask);
  simdjson::ondemand::parser parser;
  for (auto _ : state) {
    simdjson::ondemand::document doc;
    if (parser.iterate(json).get(doc) != simdjson::SUCCESS) std::abort();
    std::string_view status_value, tier_value;
    double amount_value = 0;
    if (doc["status"].get_string().get(status_value) != simdjson::SUCCESS ||
        doc["amount"].get_double().get(amount_value) != simdjson::SUCCESS ||
        doc["customer"]["tier"].get_string().get(tier_value) != simdjson::SUCCESS) {
      state.SkipWithError("field not found");
      break;
    }
    benchmark::DoNotOptimize(status_value);
    benchmark::DoNotOptimize(amount_value);
    benchmark::DoNotOptimize(tier_value);
  }
  SetTaskCounters(state);
}
BENCHMARK(BM_OnDemandRead3);

// (b) What a set_param does per task: parse, one top-level write, the new
// text in a fresh string sized from the old one (the task keeps it).
void BM_DomParseApplyOneField(benchmark::State& state) {
  simdjson::padded_string json(kTask);
  simdjson::dom::parser parser;
  WriteSet writes;
  writes.push_back(Write{MustParse("status"), Value::String("paid")});
  for (auto _ : state) {
    simdjson::dom::element doc = MustParse(parser, json);
    std::string out;
    out.reserve(kTask.size() + 64);
    ApplyWrites(doc, writes, &out);
    benchmark::DoNotOptimize(out);
  }
  SetTaskCounters(state);
}
BENCHMARK(BM_DomParseApplyOneField);

// (b) with the output buffer reused (no allocation).
void BM_DomParseApplyOneFieldReusedBuffer(benchmark::State& state) {
  simdjson::padded_string json(kTask);
  simdjson::dom::parser parser;
  WriteSet writes;
  writes.push_back(Write{MustParse("status"), Value::String("paid")});
  std::string out;
  for (auto _ : state) {
    simdjson::dom::element doc = MustParse(parser, json);
    out.clear();
    ApplyWrites(doc, writes, &out);
    benchmark::DoNotOptimize(out.data());
  }
  SetTaskCounters(state);
}
BENCHMARK(BM_DomParseApplyOneFieldReusedBuffer);

// Parse, then splice `writes` into the old text with ApplyWritesToText.
void ParseAndSplice(benchmark::State& state, const WriteSet& writes) {
  simdjson::padded_string json(kTask);
  simdjson::dom::parser parser;
  const absl::string_view text(json.data(), json.size());
  for (auto _ : state) {
    simdjson::dom::element doc = MustParse(parser, json);
    std::string out;
    out.reserve(kTask.size() + 64);
    ApplyWritesToText(text, doc, IndexOfLastParse(parser), writes, &out);
    benchmark::DoNotOptimize(out);
  }
  SetTaskCounters(state);
}

// (b) through ApplyWritesToText: the new text is spliced from the old one.
void BM_DomParseApplyToTextOneField(benchmark::State& state) {
  WriteSet writes;
  writes.push_back(Write{MustParse("status"), Value::String("paid")});
  ParseAndSplice(state, writes);
}
BENCHMARK(BM_DomParseApplyToTextOneField);

// set_param with three keys, one of them new, spliced.
void BM_DomParseApplyToTextThreeFields(benchmark::State& state) {
  WriteSet writes;
  writes.push_back(Write{MustParse("status"), Value::String("paid")});
  writes.push_back(Write{MustParse("attempts"), Value::NumberText(1, "1")});
  writes.push_back(Write{MustParse("paid_at"), Value::NumberText(1714555260, "1714555260")});
  ParseAndSplice(state, writes);
}
BENCHMARK(BM_DomParseApplyToTextThreeFields);

// (b) the engine's way when no logic of the activation built the document
// (a set_param after conditions that read through the index): stage 1,
// then the splice through its index.
void BM_TaskDocumentApplyToTextOneField(benchmark::State& state) {
  const std::string json(kTask);
  TaskDocument document;
  WriteSet writes;
  writes.push_back(Write{MustParse("status"), Value::String("paid")});
  for (auto _ : state) {
    document.Reset();
    std::string out;
    out.reserve(kTask.size() + 64);
    bool within = false;
    if (!SpliceWritesWithin(json, document.Index(json), writes, std::numeric_limits<size_t>::max(),
                            &out, &within) ||
        !within) {
      state.SkipWithError("not spliced");
      break;
    }
    benchmark::DoNotOptimize(out);
  }
  SetTaskCounters(state);
}
BENCHMARK(BM_TaskDocumentApplyToTextOneField);

// Splicing alone on a parsed document: members found through the parse's
// structural index (as the engine does), or by scanning the text (/0).
void BM_ApplyToTextOneFieldNoParse(benchmark::State& state) {
  simdjson::padded_string json(kTask);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = MustParse(parser, json);
  const TextIndex index = state.range(0) != 0 ? IndexOfLastParse(parser) : TextIndex{};
  WriteSet writes;
  writes.push_back(Write{MustParse("status"), Value::String("paid")});
  const absl::string_view text(json.data(), json.size());
  std::string out;
  for (auto _ : state) {
    out.clear();
    ApplyWritesToText(text, doc, index, writes, &out);
    benchmark::DoNotOptimize(out.data());
  }
  SetTaskCounters(state);
}
BENCHMARK(BM_ApplyToTextOneFieldNoParse)->ArgName("indexed")->Arg(1)->Arg(0);

// A write into the nested object and a new top-level key.
void BM_DomParseApplyNestedAndNew(benchmark::State& state) {
  simdjson::padded_string json(kTask);
  simdjson::dom::parser parser;
  WriteSet writes;
  writes.push_back(Write{MustParse("customer.tier"), Value::String("platinum")});
  writes.push_back(Write{MustParse("discount"), Value::NumberText(0.1, "0.1")});
  for (auto _ : state) {
    simdjson::dom::element doc = MustParse(parser, json);
    std::string out;
    out.reserve(kTask.size() + 64);
    ApplyWrites(doc, writes, &out);
    benchmark::DoNotOptimize(out);
  }
  SetTaskCounters(state);
}
BENCHMARK(BM_DomParseApplyNestedAndNew);

// ApplyWrites alone on a parsed document.
void BM_ApplyOneFieldNoParse(benchmark::State& state) {
  simdjson::padded_string json(kTask);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = MustParse(parser, json);
  WriteSet writes;
  writes.push_back(Write{MustParse("status"), Value::String("paid")});
  std::string out;
  for (auto _ : state) {
    out.clear();
    ApplyWrites(doc, writes, &out);
    benchmark::DoNotOptimize(out.data());
  }
  SetTaskCounters(state);
}
BENCHMARK(BM_ApplyOneFieldNoParse);

// Serialising a parsed document: convey's writer against simdjson's.
void BM_AppendElement(benchmark::State& state) {
  simdjson::padded_string json(kTask);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = MustParse(parser, json);
  std::string out;
  for (auto _ : state) {
    out.clear();
    AppendElement(doc, &out);
    benchmark::DoNotOptimize(out.data());
  }
  SetTaskCounters(state);
}
BENCHMARK(BM_AppendElement);

void BM_SimdjsonMinifyElement(benchmark::State& state) {
  simdjson::padded_string json(kTask);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = MustParse(parser, json);
  for (auto _ : state) {
    std::string out = simdjson::minify(doc);
    benchmark::DoNotOptimize(out);
  }
  SetTaskCounters(state);
}
BENCHMARK(BM_SimdjsonMinifyElement);

// simdjson's string_builder reused across iterations (no allocation).
void BM_SimdjsonStringBuilderReused(benchmark::State& state) {
  simdjson::padded_string json(kTask);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = MustParse(parser, json);
  simdjson::internal::string_builder<> builder;
  for (auto _ : state) {
    builder.clear();
    builder.append(doc);
    std::string_view text = builder.str();
    benchmark::DoNotOptimize(text);
  }
  SetTaskCounters(state);
}
BENCHMARK(BM_SimdjsonStringBuilderReused);

// modify: a patch of two top-level keys.
void BM_MergeTopLevel(benchmark::State& state) {
  simdjson::padded_string json(kTask);
  simdjson::padded_string patch_json(std::string_view(R"({"status":"shipped","track":"TR-1"})"));
  simdjson::dom::parser parser;
  simdjson::dom::parser patch_parser;
  simdjson::dom::element patch = MustParse(patch_parser, patch_json);
  for (auto _ : state) {
    simdjson::dom::element doc = MustParse(parser, json);
    std::string out;
    out.reserve(kTask.size() + 64);
    MergeTopLevel(doc, patch, &out);
    benchmark::DoNotOptimize(out);
  }
  SetTaskCounters(state);
}
BENCHMARK(BM_MergeTopLevel);

}  // namespace
}  // namespace internal
}  // namespace convey

BENCHMARK_MAIN();
