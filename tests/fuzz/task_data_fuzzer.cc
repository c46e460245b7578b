// Task data: the write set (runtime/task/write_set.h) and the engine's
// CreateTask / ModifyTask with fuzzed JSON (repeated keys, sizes, depth),
// set_param writes to keys read from the data.
//
// Input (after fuzz::Expand: NUL-separated repetition groups), by lines:
//   line 1:     the task's data (CreateTask's JSON; the write set's document)
//   `+JSON`:    a patch: MergeTopLevel, then ModifyTask
//   `PATH=JSON`: a write of that value (JSON that does not parse: a string)
//   `PATH`:     a write of a missing value (null)
//
// Reads: on data without repeated keys, each written path read through the
// structural index (TaskDocument) gives the Value and number the document
// gives.
// Write set invariants (ApplyWrites* with a 1 MiB limit):
// - the result is a JSON object (or only too deep to parse);
// - on canonical text (AppendElement), ApplyWritesToText and ApplyWrites
//   give the same bytes, and agree on the limit (write_set.h);
// - MergeTopLevel gives a JSON object.
// Engine (fresh per input; process: set_param writing `{{wkey}}` =
// `{{wval}}` and `obj.{{okey}}` = `{{oval}}` as an object, then an
// api_callback that parks it, then a final node):
// - CreateTask refuses data only with InvalidArgument, and accepts every
//   JSON object without repeated keys that fits max_task_size;
// - ModifyTask likewise for the patch;
// - whatever happens, every task holds a JSON object that parses again, of
//   at most max_task_size bytes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "convey/engine.h"
#include "convey/environment.h"
#include "convey/value.h"
#include "runtime/json/path.h"
#include "runtime/json/repeated_keys.h"
#include "runtime/task/task_document.h"
#include "runtime/task/write_set.h"
#include "runtime/template/template.h"
#include "simdjson.h"
#include "tests/fuzz/engine_support.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

namespace internal = convey::internal;
using convey::Value;

constexpr size_t kLimit = size_t{1} << 20;
// The engine's default (EngineOptions::max_task_size): room for keys of
// tens of thousands of path steps, as real engines allow.
constexpr size_t kMaxTaskSize = 128000;
constexpr int64_t kConvId = 7001;

constexpr char kScheme[] = R"({
 "obj_type": 1, "obj_id": 7001, "title": "Task data", "status": "active", "conv_type": "process",
 "scheme": {"nodes": [
  {"id": "d00000000000000000000001", "obj_type": 1, "title": "Start",
   "condition": {"logics": [{"type": "go", "to_node_id": "d00000000000000000000002"}],
                 "semaphors": []}},
  {"id": "d00000000000000000000002", "obj_type": 0, "title": "Write",
   "condition": {"logics": [
     {"type": "set_param", "extra": {"{{wkey}}": "{{wval}}", "copy": "{{wval}}"},
      "extra_type": {"{{wkey}}": "string", "copy": "string"},
      "err_node_id": "d00000000000000000000004"},
     {"type": "set_param", "extra": {"obj.{{okey}}": "{{oval}}"},
      "extra_type": {"obj.{{okey}}": "object"}, "err_node_id": "d00000000000000000000004"},
     {"type": "go", "to_node_id": "d00000000000000000000003"}], "semaphors": []}},
  {"id": "d00000000000000000000003", "obj_type": 0, "title": "Wait",
   "condition": {"logics": [{"type": "api_callback", "is_sync": false, "obj_id_path": ""},
                            {"type": "go", "to_node_id": "d00000000000000000000005"}],
                 "semaphors": []}},
  {"id": "d00000000000000000000004", "obj_type": 2, "title": "Error",
   "options": {"save_task": true}, "condition": {"logics": [], "semaphors": []}},
  {"id": "d00000000000000000000005", "obj_type": 2, "title": "Done",
   "options": {"save_task": true}, "condition": {"logics": [], "semaphors": []}}]}})";

// A JSON object (or `[]`, which CreateTask takes as {}) without repeated
// keys, that simdjson parses.
bool IsCleanObject(absl::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS) return false;
  if (root.is_array()) return simdjson::dom::array(root).size() == 0;
  return root.is_object() && !internal::HasRepeatedKeys(root);
}

void CheckObjectText(const std::string& text, const char* what) {
  simdjson::dom::element_type type = simdjson::dom::element_type::NULL_VALUE;
  bool too_deep = false;
  const bool parses = convey::fuzz::ParsesAsJson(text, &type, &too_deep);
  FUZZ_CHECK(too_deep || (parses && type == simdjson::dom::element_type::OBJECT),
             "%s is not a JSON object (%zu bytes): %.300s", what, text.size(), text.c_str());
}

// Each written path read through the text's structural index first
// (TaskDocument, as logics read task data) gives what the document gives.
void CheckReads(absl::string_view text, simdjson::dom::element doc,
                const internal::WriteSet& writes) {
  internal::TaskDocument document;
  for (const internal::Write& write : writes) {
    simdjson::dom::element found;
    const bool exists = internal::FindPath(doc, write.path, &found);
    const Value by_dom = exists ? internal::ValueFromElement(found) : Value::Missing();
    document.Reset();
    const Value by_index = document.ValueAt(text, write.path);
    FUZZ_CHECK(by_index.type() == by_dom.type() && by_index.text() == by_dom.text(),
               "on %.200s at %s the index read %s %.100s, the document %s %.100s",
               std::string(text).c_str(), internal::PathToString(write.path).c_str(),
               std::string(Value::TypeName(by_index.type())).c_str(), by_index.text().c_str(),
               std::string(Value::TypeName(by_dom.type())).c_str(), by_dom.text().c_str());
    double dom_number = 0;
    const convey::NumberLookup dom_lookup =
        !exists                                                   ? convey::NumberLookup::kMissing
        : found.get_double().get(dom_number) == simdjson::SUCCESS ? convey::NumberLookup::kNumber
                                                                  : convey::NumberLookup::kOther;
    double index_number = 0;
    document.Reset();
    const convey::NumberLookup index_lookup = document.NumberAt(text, write.path, &index_number);
    FUZZ_CHECK(index_lookup == dom_lookup &&
                   (dom_lookup != convey::NumberLookup::kNumber || index_number == dom_number),
               "on %.200s at %s the index read the number %d %.17g, the document %d %.17g",
               std::string(text).c_str(), internal::PathToString(write.path).c_str(),
               static_cast<int>(index_lookup), index_number, static_cast<int>(dom_lookup),
               dom_number);
  }
}

void CheckWriteSet(absl::string_view base_text, const internal::WriteSet& writes,
                   const std::vector<std::string>& patches) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(base_text.data(), base_text.size()).get(doc) != simdjson::SUCCESS ||
      !doc.is_object()) {
    base_text = "{}";
    if (parser.parse(base_text.data(), base_text.size()).get(doc) != simdjson::SUCCESS) return;
  }

  // Task data has no repeated keys (collapsed on the way in): reading
  // through the index relies on it.
  if (!internal::HasRepeatedKeys(doc)) CheckReads(base_text, doc, writes);

  std::string applied;
  if (internal::ApplyWritesWithin(doc, writes, kLimit, &applied)) {
    CheckObjectText(applied, "ApplyWritesWithin's result");
  }
  std::string from_text;
  const bool text_fits = internal::ApplyWritesToTextWithin(
      base_text, doc, internal::IndexOfLastParse(parser), writes, kLimit, &from_text);
  if (text_fits) CheckObjectText(from_text, "ApplyWritesToTextWithin's result");
  // Finding the members by the parse's structural index or by scanning the
  // text gives the same bytes.
  std::string scanned;
  const bool scan_fits = internal::ApplyWritesToTextWithin(base_text, doc, internal::TextIndex{},
                                                           writes, kLimit, &scanned);
  FUZZ_CHECK(text_fits == scan_fits && from_text == scanned,
             "on %.200s the indexed and the scanned splice differ:\n  indexed: %.300s\n"
             "  scanned: %.300s",
             std::string(base_text).c_str(), from_text.c_str(), scanned.c_str());

  // On canonical text both paths give the same bytes.
  std::string canonical;
  internal::AppendElement(doc, &canonical);
  simdjson::dom::parser canonical_parser;
  simdjson::dom::element canonical_doc;
  if (canonical_parser.parse(canonical).get(canonical_doc) == simdjson::SUCCESS) {
    std::string by_dom;
    std::string by_text;
    const bool dom_fits = internal::ApplyWritesWithin(canonical_doc, writes, kLimit, &by_dom);
    const bool text_fits = internal::ApplyWritesToTextWithin(
        canonical, canonical_doc, internal::IndexOfLastParse(canonical_parser), writes, kLimit,
        &by_text);
    FUZZ_CHECK(dom_fits == text_fits,
               "on canonical text %.200s: ApplyWritesWithin %d, "
               "ApplyWritesToTextWithin %d",
               canonical.c_str(), dom_fits, text_fits);
    FUZZ_CHECK(by_dom == by_text,
               "on canonical text %.200s the two paths differ:\n  dom:  %.300s\n  text: %.300s",
               canonical.c_str(), by_dom.c_str(), by_text.c_str());
  }

  for (const std::string& patch_text : patches) {
    simdjson::dom::parser patch_parser;
    simdjson::dom::element patch;
    if (patch_parser.parse(patch_text).get(patch) != simdjson::SUCCESS) continue;
    std::string merged;
    internal::MergeTopLevel(doc, patch, &merged);
    CheckObjectText(merged, "MergeTopLevel's result");
  }
}

void CheckEngine(absl::string_view base_text, const std::vector<std::string>& patches) {
  convey::VirtualClock clock(absl::FromUnixSeconds(1700000000));
  convey::EngineOptions options = convey::fuzz::SmallEngineOptions(&clock);
  options.max_task_size = kMaxTaskSize;
  absl::StatusOr<std::unique_ptr<convey::Engine>> engine = convey::Engine::Open(options);
  FUZZ_CHECK(engine.ok(), "Engine::Open: %s", engine.status().ToString().c_str());
  absl::StatusOr<convey::DeployResult> deployed = (*engine)->Deploy("task_data.json", kScheme);
  FUZZ_CHECK(deployed.ok(), "the fixed scheme does not deploy: %s",
             deployed.status().ToString().c_str());

  absl::StatusOr<std::string> created = (*engine)->CreateTask(kConvId, "r1", base_text);
  if (convey::fuzz::Verbose()) {
    std::fprintf(stderr, "CreateTask: %s\n", created.status().ToString().c_str());
  }
  if (!created.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(created.status()),
               "CreateTask failed with %s (not InvalidArgument)",
               created.status().ToString().c_str());
    FUZZ_CHECK(!(IsCleanObject(base_text) && base_text.size() <= kMaxTaskSize),
               "CreateTask refused a clean object of %zu bytes: %s", base_text.size(),
               created.status().ToString().c_str());
  }
  (void)(*engine)->WaitIdle(absl::Seconds(2));
  if (created.ok()) {
    for (const std::string& patch : patches) {
      absl::StatusOr<convey::TaskSnapshot> before =
          (*engine)->ShowTask(convey::TaskKey::ByObjId(*created));
      const absl::Status modified =
          (*engine)->ModifyTask(convey::TaskKey::ByObjId(*created), patch);
      if (!modified.ok() && absl::IsInvalidArgument(modified) && before.ok() &&
          patch.size() <= kMaxTaskSize && IsCleanObject(patch)) {
        // Refused: only when the merge (MergeTopLevel, as the engine merges)
        // would be too large.
        simdjson::dom::parser data_parser;
        simdjson::dom::parser patch_parser;
        simdjson::dom::element data_doc;
        simdjson::dom::element patch_doc;
        if (data_parser.parse(before->data).get(data_doc) == simdjson::SUCCESS &&
            patch_parser.parse(patch).get(patch_doc) == simdjson::SUCCESS) {
          std::string merged;
          internal::MergeTopLevel(data_doc, patch_doc, &merged);
          FUZZ_CHECK(merged.size() > kMaxTaskSize,
                     "ModifyTask refused a clean patch of %zu bytes (merged: %zu bytes): %s",
                     patch.size(), merged.size(), modified.ToString().c_str());
        }
      }
      (void)(*engine)->WaitIdle(absl::Seconds(2));
    }
  }
  (*engine)->ForEachTask([](const convey::TaskSnapshot& task) {
    if (convey::fuzz::Verbose()) {
      std::fprintf(stderr, "task in \"%s\" (%s, %s), %zu bytes: %.300s\n", task.node_title.c_str(),
                   convey::TaskStatusName(task.status).data(),
                   convey::ParkReasonName(task.park_reason).data(), task.data.size(),
                   task.data.c_str());
    }
    simdjson::dom::element_type type = simdjson::dom::element_type::NULL_VALUE;
    FUZZ_CHECK(
        convey::fuzz::ParsesAsJson(task.data, &type) && type == simdjson::dom::element_type::OBJECT,
        "task in node %s (status %s) holds data that is not a JSON object simdjson "
        "parses (%zu bytes): %.300s",
        task.node_title.c_str(), convey::TaskStatusName(task.status).data(), task.data.size(),
        task.data.c_str());
    FUZZ_CHECK(task.data.size() <= kMaxTaskSize, "task holds %zu bytes, more than %zu",
               task.data.size(), kMaxTaskSize);
  });
  (*engine)->Close().IgnoreError();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Repetition groups (fuzz::Expand) stand for long texts (deep paths, many
  // keys): up to 256 KiB.
  const std::string expanded = convey::fuzz::Expand(convey::fuzz::AsText(data, size), 256 << 10);
  const std::vector<absl::string_view> lines = convey::fuzz::Lines(expanded);
  const absl::string_view base = lines[0];
  internal::WriteSet writes;
  std::vector<std::string> patches;
  simdjson::dom::parser value_parser;
  for (size_t i = 1; i < lines.size(); ++i) {
    const absl::string_view line = lines[i];
    // Paths and values come from templates over task data and scheme
    // files: valid UTF-8.
    if (!convey::fuzz::IsUtf8(line)) continue;
    if (!line.empty() && line[0] == '+') {
      patches.emplace_back(line.substr(1));
      continue;
    }
    const size_t eq = line.find('=');
    absl::StatusOr<internal::Path> path = internal::ParsePath(line.substr(0, eq));
    if (!path.ok()) continue;
    Value value;
    if (eq != absl::string_view::npos) {
      const absl::string_view text = line.substr(eq + 1);
      simdjson::dom::element element;
      value = value_parser.parse(text.data(), text.size()).get(element) == simdjson::SUCCESS
                  ? internal::ValueFromElement(element)
                  : Value::String(std::string(text));
    }
    writes.push_back({*std::move(path), std::move(value)});
  }
  CheckWriteSet(base, writes, patches);
  CheckEngine(base, patches);
  return 0;
}
