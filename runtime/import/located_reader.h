// The located reader: typed reads of scheme JSON (simdjson DOM) whose
// problems become Diagnostics carrying the file, the JSON path
// (`[0].scheme.nodes[3].condition.logics[1].to_node_id`), the node and the
// reason. The importer reads a file's structure with it and each logic's
// configuration (logic_config.cc) is read with it at deploy, so the two
// report alike.
//
// Reads return false when a key is absent or null (nothing reported) or
// has the wrong type (an error reported at the key). A key repeated in an
// object keeps its first value: a warning when the values are the same, an
// error when not (semantics A1), with the byte offsets of both in the text
// given to SetText. Not thread-safe.
#ifndef CONVEY_RUNTIME_IMPORT_LOCATED_READER_H_
#define CONVEY_RUNTIME_IMPORT_LOCATED_READER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "convey/logic.h"
#include "convey/scheme.h"
#include "runtime/base/quote.h"
#include "runtime/json/json_types.h"
#include "runtime/json/repeated_keys.h"
#include "simdjson.h"

namespace convey {
namespace internal {

// `{{...}}` or a `$.` function.
bool IsTemplate(absl::string_view text);

// Whether `diagnostics` holds an error from `first` on.
bool HoldsError(const std::vector<Diagnostic>& diagnostics, size_t first);

// The JSON path being visited, e.g. `[0].scheme.nodes[3].condition`, in the
// notation of repeated_keys.h, so that paths the repeat scanner reports
// compare equal to these.
class JsonPath {
 public:
  std::string ToString() const { return std::string(View()); }
  // "$" at the root; valid until the path changes.
  absl::string_view View() const {
    return path_.empty() ? absl::string_view("$") : absl::string_view(path_);
  }
  // "" at the root.
  const std::string& raw() const { return path_; }
  void Reset(absl::string_view root) { path_.assign(root.data(), root.size()); }

  size_t PushKey(absl::string_view key) {
    const size_t mark = path_.size();
    AppendPathKey(&path_, key);
    return mark;
  }
  size_t PushIndex(size_t index) {
    const size_t mark = path_.size();
    AppendPathIndex(&path_, index);
    return mark;
  }
  void PopTo(size_t mark) { path_.resize(mark); }

 private:
  std::string path_;
};

class PathScope {
 public:
  PathScope(JsonPath& path, absl::string_view key) : path_(path), mark_(path.PushKey(key)) {}
  PathScope(JsonPath& path, size_t index) : path_(path), mark_(path.PushIndex(index)) {}
  ~PathScope() { path_.PopTo(mark_); }
  PathScope(const PathScope&) = delete;
  PathScope& operator=(const PathScope&) = delete;

 private:
  JsonPath& path_;
  size_t mark_;
};

// An object's fields in file order, each key once; objects in scheme files
// are small, so a linear lookup beats hashing, and most fit without a heap
// allocation. Larger objects are indexed too, so that neither the repeated
// key check nor lookups turn quadratic (an object of 200 000 keys).
struct Fields {
  // Past this many keys lookups go through `index`: below, the filter and a
  // short scan cost less than hashing (an api logic has 18 keys).
  static constexpr size_t kLinear = 64;
  absl::InlinedVector<std::pair<absl::string_view, simdjson::dom::element>, 16> entries;
  absl::flat_hash_map<absl::string_view, uint32_t> index;  // past kLinear keys
  uint64_t bits = 0;                                       // KeyBit of every key, while not indexed

  void Clear() {
    entries.clear();
    index.clear();
    bits = 0;
  }
  // Adds a member; false, adding nothing, when the key is there already.
  bool Add(absl::string_view key, simdjson::dom::element value);
  std::optional<simdjson::dom::element> Find(absl::string_view key) const;
  // A present, non-null value.
  std::optional<simdjson::dom::element> FindSet(absl::string_view key) const {
    auto value = Find(key);
    if (value && value->is_null()) return std::nullopt;
    return value;
  }
};

class LocatedReader {
 public:
  // Diagnostics go to `out`, at most `max_diagnostics` of them, and one
  // error past them when `out` holds none (the rest are counted in
  // dropped()). JSON held in strings is parsed to at most
  // `max_depth` levels.
  LocatedReader(absl::string_view file_name, int max_depth, size_t max_diagnostics,
                std::vector<Diagnostic>* out);

  // The text the DOM being read was parsed from, for byte offsets of
  // repeated keys; its root is at the current path. Must outlive the reads.
  void SetText(absl::string_view text);
  JsonPath& path() { return path_; }
  // The node named in the diagnostics that follow ("" for none).
  void set_node_id(absl::string_view id) { node_id_.assign(id.data(), id.size()); }
  const std::string& node_id() const { return node_id_; }

  void Report(Diagnostic::Severity severity, std::string location, std::string message);
  void Error(std::string message) {
    Report(Diagnostic::Severity::kError, path_.ToString(), std::move(message));
  }
  void Warning(std::string message) {
    Report(Diagnostic::Severity::kWarning, path_.ToString(), std::move(message));
  }
  int error_count() const { return error_count_; }
  size_t dropped() const { return dropped_; }

  // `fields` gets the members of the object `value` (repeats reported
  // unless `report_repeats` is false); an error when it is no object.
  bool AsObject(simdjson::dom::element value, Fields* fields, bool report_repeats = true);
  // Reports the repeats nested below the members of the object at
  // `path_prefix` (relative to the text's root; its own members are what
  // AsObject reports), located in the text given to SetText. Worth calling
  // only when HasRepeatedKeys says there are some.
  void ReportRepeatsUnder(absl::string_view path_prefix);
  bool ReadObject(const Fields& fields, absl::string_view key, Fields* out);
  bool ReadArray(const Fields& fields, absl::string_view key, simdjson::dom::array* out);
  // Calls visit(const Fields&) for each element of the array `key`, under
  // its JSON path; elements that are not objects are reported and skipped.
  // False when the array is absent or not an array (the latter reported).
  template <typename Visit>
  bool ForEachObject(const Fields& fields, absl::string_view key, Visit visit) {
    simdjson::dom::array array;
    if (!ReadArray(fields, key, &array)) return false;
    PathScope array_scope(path_, key);
    size_t index = 0;
    for (simdjson::dom::element item : array) {
      PathScope scope(path_, index++);
      Fields item_fields;
      if (AsObject(item, &item_fields)) visit(item_fields);
    }
    return true;
  }
  bool ReadString(const Fields& fields, absl::string_view key, std::string* out);
  // The node id a link (`to_node_id`, `err_node_id`, ...) of `owner` names.
  // False when there is none: absent (an error when `required`), not a
  // string (an error), or empty (a warning when `required`: vendor
  // templates saved before they were wired load on the platform).
  bool ReadLinkTarget(const Fields& fields, absl::string_view owner, absl::string_view key,
                      bool required, std::string* out);
  // Any value as text: a string as it is, null as "", the rest compact.
  bool ReadText(const Fields& fields, absl::string_view key, std::string* out);
  bool ReadInt64(const Fields& fields, absl::string_view key, int64_t* out);
  bool ReadBool(const Fields& fields, absl::string_view key, bool* out);
  // `extra`-style objects that older exports store as JSON text. JSON held
  // in a string is parsed into an embedded parser (`slot` 0 or 1); `out`
  // stays valid until that slot is used again.
  bool ReadEmbeddedObject(const Fields& fields, absl::string_view key, Fields* out,
                          simdjson::dom::element* raw = nullptr, int slot = 0);
  // A type name (string, number, boolean, object, array); an error at the
  // current path when it is none.
  bool ParseValueType(absl::string_view text, Value::Type* type);
  // A key -> value map typed by a key -> type map (see
  // LogicConfig::ReadTypedValues).
  bool ReadTypedValues(const Fields& fields, absl::string_view values_key,
                       absl::string_view types_key, std::vector<TypedValueSpec>* out);
  static std::string ScalarText(simdjson::dom::element value);

 private:
  // Reports the `occurrence`-th repeat (from 1) of `key` in the object at
  // path_, with the byte offsets of both occurrences.
  void ReportRepeatedKey(absl::string_view key, int occurrence, simdjson::dom::element first,
                         simdjson::dom::element again);
  void ReportRepeat(const RepeatedKey& repeat);
  // "byte N (line L, column C)" in the text being read.
  std::string Where(size_t offset);
  // Object and array values kept as text (typed maps): compact, with the
  // repeated keys inside collapsed (reported at `map_key`.`key`).
  std::string ValueText(simdjson::dom::element value, absl::string_view map_key,
                        absl::string_view key);

  // Repeated keys of one source text by member path, found by a scan of
  // the text made only once some object turned out to repeat a key.
  struct RepeatIndex {
    bool built = false;
    absl::flat_hash_map<std::string, std::vector<RepeatedKey>> by_path;
  };
  void BuildIndex(RepeatIndex& index, absl::string_view text);

  const std::string file_name_;
  const int max_depth_;
  const size_t max_diagnostics_;
  std::vector<Diagnostic>& out_;
  int error_count_ = 0;
  size_t dropped_ = 0;
  std::string node_id_;
  JsonPath path_;
  // For JSON held in strings: `extra` and `extra_type` are read together.
  simdjson::dom::parser embedded_parsers_[2];

  absl::string_view text_;
  size_t text_root_size_ = 0;  // path_ length at the text's root
  RepeatIndex text_repeats_;
  // Offsets where the text's lines start, built on first use: a file with a
  // repeat in every process must not rescan from the start for each.
  std::vector<size_t> line_starts_;
  // While an object held in a string is read: its JSON text, the length of
  // path_ at the string, and its repeats.
  absl::string_view embedded_text_;
  size_t embedded_path_size_ = 0;
  RepeatIndex embedded_repeats_;
};

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_IMPORT_LOCATED_READER_H_
