// Code node data crossing (runtime/script): task data into SpiderMonkey as
// the global `data` and back out as JSON.
//
// Input: line 1 is a number picking one of kScripts (no number: script 0,
// and the whole input is the data); the rest is the task's data: a JSON
// object without repeated keys (what the engine hands a Code node), or
// else any UTF-8 text, which crosses as the string {"text": "<input>"}. The script runs with small
// limits (200 ms, 16 MiB). Invariants:
// - an outcome kOk holds a JSON object that simdjson parses (the engine
//   parses it again, StepContext::ReplaceData), except where the script
//   itself made a lone UTF-16 surrogate (written `\udXXX`, which simdjson
//   refuses: the engine then fails the logic with
//   code_return_format_error, by design);
// - a script that does not touch `data` (0) gives back as many top-level
//   keys as it got, and never fails for data that nests at most 1024 deep.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "runtime/json/json_writer.h"
#include "runtime/json/repeated_keys.h"
#include "runtime/script/js_runner.h"
#include "simdjson.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using convey::internal::ScriptOutcome;
using convey::internal::ScriptSource;

const char* const kScripts[] = {
    // 0: data untouched.
    "let unused = 1;",
    // 1: a JSON round trip inside JavaScript.
    "data = JSON.parse(JSON.stringify(data));",
    // 2: every value copied under a second key.
    "for (const k of Object.keys(data)) { data[k + '_copy'] = data[k]; }",
    // 3: a top-level return of the data.
    "return data;",
    // 4: the data nested in itself, stringified too.
    "data.self = JSON.parse(JSON.stringify(data)); data.text = JSON.stringify(data.self);",
    // 5: keys reversed (splits surrogate pairs: lone surrogates).
    "const out = {}; for (const [k, v] of Object.entries(data)) "
    "out[k.split('').reverse().join('')] = v; data = out;",
    // 6: values of every JavaScript kind that has no JSON form.
    "data.big = 2 ** 53 + 2; data.neg0 = -0; data.inf = Infinity; data.nan = NaN; "
    "data.u = undefined; data.f = function () {}; data.d = new Date(0); data.re = /x/g; "
    "data.m = new Map([[1, 2]]); data.sym = Symbol('s'); data.bi = typeof BigInt;",
    // 7: strings walked character by character and rebuilt.
    "function walk(v) { if (typeof v === 'string') return Array.from(v).join(''); "
    "if (Array.isArray(v)) return v.map(walk); if (v && typeof v === 'object') { "
    "const o = {}; for (const k in v) o[walk(k)] = walk(v[k]); return o; } return v; } "
    "data = walk(data);",
    // 8: numbers changed in place, arrays grown.
    "for (const k in data) { if (typeof data[k] === 'number') data[k] = data[k] * 3 + 0.5; "
    "else if (Array.isArray(data[k])) data[k].push(null, [], {}); }",
    // 9: a returned value that is no object (ignored: data stays).
    "return 42;",
};
constexpr int kScriptCount = sizeof(kScripts) / sizeof(kScripts[0]);

bool HasLoneSurrogateEscape(absl::string_view json) {
  for (size_t at = json.find("\\ud"); at != absl::string_view::npos;
       at = json.find("\\ud", at + 1)) {
    if (at + 4 < json.size()) {
      const char c = json[at + 3];
      if ((c >= '8' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) return true;
    }
  }
  return json.find("\\uD") != absl::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input = convey::fuzz::AsText(data, size);
  int index = 0;
  const size_t newline = input.find('\n');
  if (newline != absl::string_view::npos && newline <= 3 &&
      absl::SimpleAtoi(input.substr(0, newline), &index)) {
    input.remove_prefix(newline + 1);
  }
  index = static_cast<int>(static_cast<unsigned>(index) % kScriptCount);

  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string wrapped;
  if (parser.parse(input.data(), input.size()).get(root) != simdjson::SUCCESS ||
      !root.is_object()) {
    // Not an object: its text crosses as a string, {"text": "<input>"}
    // (task data is valid UTF-8, so other inputs are skipped).
    if (!convey::fuzz::IsUtf8(input)) return 0;
    wrapped = "{\"text\":";
    convey::internal::AppendJsonString(&wrapped, input);
    wrapped.push_back('}');
    input = wrapped;
    if (parser.parse(input.data(), input.size()).get(root) != simdjson::SUCCESS) return 0;
  }
  if (convey::internal::HasRepeatedKeys(root)) return 0;
  const size_t keys_in = simdjson::dom::object(root).size();

  static std::shared_ptr<const ScriptSource> scripts[kScriptCount];
  if (scripts[index] == nullptr) {
    absl::StatusOr<std::shared_ptr<const ScriptSource>> checked =
        ScriptSource::Check(kScripts[index]);
    FUZZ_CHECK(checked.ok(), "script %d does not compile: %s", index,
               checked.status().ToString().c_str());
    scripts[index] = *checked;
  }
  convey::internal::ScriptLimits limits;
  limits.time_limit = absl::Milliseconds(200);
  limits.heap_limit_bytes = size_t{16} << 20;
  const ScriptOutcome outcome = convey::internal::RunScript(*scripts[index], input, limits);

  if (outcome.kind == ScriptOutcome::Kind::kOk) {
    simdjson::dom::parser out_parser;
    simdjson::dom::element out;
    const simdjson::error_code error = out_parser.parse(outcome.data_json).get(out);
    FUZZ_CHECK((error == simdjson::SUCCESS && out.is_object()) ||
                   (error != simdjson::SUCCESS && HasLoneSurrogateEscape(outcome.data_json)),
               "script %d: kOk with data simdjson %s (%s): %.500s", index,
               error == simdjson::SUCCESS ? "parses as no object" : "refuses",
               simdjson::error_message(error), outcome.data_json.c_str());
    if (index == 0 && error == simdjson::SUCCESS) {
      FUZZ_CHECK(simdjson::dom::object(out).size() == keys_in,
                 "data untouched: %zu keys in, %zu out:\n  in:  %.300s\n  out: %.300s", keys_in,
                 simdjson::dom::object(out).size(), std::string(input).c_str(),
                 outcome.data_json.c_str());
    }
  } else if (index == 0) {
    FUZZ_CHECK(outcome.kind == ScriptOutcome::Kind::kTimeout ||
                   outcome.kind == ScriptOutcome::Kind::kOutOfMemory,
               "data untouched, yet outcome %d: %s", static_cast<int>(outcome.kind),
               outcome.message.c_str());
  }
  return 0;
}
