#include "runtime/import/importer.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "re2/re2.h"
#include "runtime/import/json_errors.h"
#include "runtime/json/repeated_keys.h"
#include "simdjson.h"

namespace convey {
namespace internal {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr absl::string_view kUtf8Bom = "\xEF\xBB\xBF";

// Platform deploy rule: static timers shorter than this are refused there.
constexpr double kPlatformMinTimerSeconds = 30;

absl::string_view TypeName(element_type type) {
  switch (type) {
    case element_type::ARRAY:
      return "an array";
    case element_type::OBJECT:
      return "an object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return "a number";
    case element_type::STRING:
      return "a string";
    case element_type::BOOL:
      return "a boolean";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "a value";
}

// simdjson speaks std::string_view; Debian's Abseil has its own type.
absl::string_view View(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

bool IsTemplate(absl::string_view text) {
  return absl::StrContains(text, "{{") || absl::StartsWith(text, "$.");
}

std::string Quote(absl::string_view text) {
  constexpr size_t kMaxShown = 80;
  if (text.size() > kMaxShown) {
    return absl::StrCat("\"", text.substr(0, kMaxShown), "...\"");
  }
  return absl::StrCat("\"", text, "\"");
}

// The JSON path being visited, e.g. `[0].scheme.nodes[3].condition`.
class JsonPath {
 public:
  std::string ToString() const { return path_.empty() ? "$" : path_; }
  // "" at the root.
  const std::string& raw() const { return path_; }

  // The notation of repeated_keys.h, so that paths the repeat scanner
  // reports compare equal to these.
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
  PathScope(JsonPath& path, absl::string_view key)
      : path_(path), mark_(path.PushKey(key)) {}
  PathScope(JsonPath& path, size_t index)
      : path_(path), mark_(path.PushIndex(index)) {}
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
// Key comparison on the hot path: most keys differ in length or first byte,
// which spares a memcmp call.
inline bool SameKey(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() &&
         (a.empty() || (a[0] == b[0] && std::memcmp(a.data(), b.data(),
                                                    a.size()) == 0));
}

struct Fields {
  // Past this many keys lookups go through `index`: below, the filter and a
  // short scan cost less than hashing (an api logic has 18 keys).
  static constexpr size_t kLinear = 64;
  absl::InlinedVector<std::pair<absl::string_view, element>, 16> entries;
  absl::flat_hash_map<absl::string_view, uint32_t> index;  // past kLinear keys
  uint64_t bits = 0;  // KeyBit of every key, while not indexed

  void Clear() {
    entries.clear();
    index.clear();
    bits = 0;
  }
  // Adds a member; false, adding nothing, when the key is there already.
  bool Add(absl::string_view key, element value) {
    if (index.empty()) {
      const uint64_t bit = KeyBit(key);
      if ((bits & bit) != 0) {
        for (const auto& [name, unused] : entries) {
          if (SameKey(name, key)) return false;
        }
      }
      bits |= bit;
      entries.emplace_back(key, value);
      if (entries.size() > kLinear) {
        for (size_t i = 0; i < entries.size(); ++i) {
          index.emplace(entries[i].first, static_cast<uint32_t>(i));
        }
      }
      return true;
    }
    if (!index.emplace(key, static_cast<uint32_t>(entries.size())).second) {
      return false;
    }
    entries.emplace_back(key, value);
    return true;
  }
  std::optional<element> Find(absl::string_view key) const {
    if (!index.empty()) {
      auto it = index.find(key);
      if (it == index.end()) return std::nullopt;
      return entries[it->second].second;
    }
    if ((bits & KeyBit(key)) == 0) return std::nullopt;  // most absent keys
    for (const auto& [name, value] : entries) {
      if (SameKey(name, key)) return value;
    }
    return std::nullopt;
  }
  // A present, non-null value.
  std::optional<element> FindSet(absl::string_view key) const {
    auto value = Find(key);
    if (value && value->is_null()) return std::nullopt;
    return value;
  }
};

// A span of Importer::locations_, the per-process buffer of JSON paths kept
// for messages that can only be written once the process is complete.
struct LocationRef {
  uint32_t offset;
  uint32_t size;
};

// A node link (to_node_id, err_node_id, esc_node_id) checked once all nodes
// of the process are known. Views point into literals and into the scheme,
// whose strings do not move.
struct PendingLink {
  LocationRef location;
  int node_index;               // the node holding the link
  absl::string_view logic_type;  // e.g. "go_if_const"
  absl::string_view key;         // e.g. "to_node_id"
  const std::string* target;
};

class Importer {
 public:
  Importer(absl::string_view file_name, const ImportLimits& limits,
           ImportResult* result)
      : file_name_(file_name), limits_(limits), result_(*result) {}

  void Run(absl::string_view json);

 private:
  // Diagnostics.
  LocationRef SaveLocation();
  std::string Location(LocationRef ref) const;
  void Report(Diagnostic::Severity severity, std::string location,
              std::string message);
  void Error(std::string message) {
    Report(Diagnostic::Severity::kError, path_.ToString(), std::move(message));
  }
  void Warning(std::string message) {
    Report(Diagnostic::Severity::kWarning, path_.ToString(),
           std::move(message));
  }

  // Field access with located type errors. `Read*` return false when the
  // field is absent/null or wrong (the latter reported). A key repeated in
  // the object keeps its first value: a warning when the values are the
  // same, an error when not (semantics A1).
  bool AsObject(element value, Fields* fields);
  // Reports the `occurrence`-th repeat (from 1) of `key` in the object at
  // path_, with the byte offsets of both occurrences.
  void ReportRepeatedKey(absl::string_view key, int occurrence, element first,
                         element again);
  // "byte N (line L, column C)" in the text being read.
  std::string Where(size_t offset);
  // Object and array values kept as text (typed maps): compact, with the
  // repeated keys inside collapsed (reported at `map_key`.`key`).
  std::string ValueText(element value, absl::string_view map_key,
                        absl::string_view key);
  bool ReadObject(const Fields& fields, absl::string_view key, Fields* out);
  bool ReadArray(const Fields& fields, absl::string_view key,
                 simdjson::dom::array* out);
  // Calls visit(const Fields&) for each element of the array `key`, under
  // its JSON path; elements that are not objects are reported and skipped.
  // False when the array is absent or not an array (the latter reported).
  template <typename Visit>
  bool ForEachObject(const Fields& fields, absl::string_view key,
                     Visit visit);
  bool ReadString(const Fields& fields, absl::string_view key,
                  std::string* out);
  bool ReadText(const Fields& fields, absl::string_view key, std::string* out);
  bool ReadInt64(const Fields& fields, absl::string_view key, int64_t* out);
  bool ReadBool(const Fields& fields, absl::string_view key, bool* out);
  bool ReadLink(const Fields& fields, absl::string_view logic_type,
                absl::string_view key, bool required, std::string* out);
  // `extra`-style objects that older exports store as JSON text.
  // JSON held in a string is parsed into `embedded_parsers_[slot]`; `out`
  // stays valid until that slot is used again.
  bool ReadEmbeddedObject(const Fields& fields, absl::string_view key,
                          Fields* out, element* raw = nullptr, int slot = 0);
  std::string ScalarText(element value);

  // Document structure.
  void ImportTopLevel(element root);
  void ImportProcess(const Fields& fields, bool bare_scheme);
  void ImportFolder(const Fields& fields);
  void ImportParams(const Fields& fields, schema::Process* process);
  void ImportNode(const Fields& fields, schema::Node* node);
  void ImportNodeOptions(const Fields& fields, schema::Node* node);
  void CheckNodeRules(const schema::Node& node);
  void FinishProcess(schema::Process* process);

  // Logics and semaphores.
  void ImportLogic(const Fields& fields, schema::Logic* logic);
  bool ImportCondition(const Fields& fields, schema::Condition* condition);
  void ImportConditionList(
      const Fields& fields,
      google::protobuf::RepeatedPtrField<schema::Condition>* conditions) {
    ForEachObject(fields, "conditions", [&](const Fields& condition) {
      ImportCondition(condition, conditions->Add());
    });
  }
  void ImportGoIfConst(const Fields& fields, schema::GoIfConst* logic);
  void ImportTypedValues(const Fields& fields, absl::string_view values_key,
                         absl::string_view types_key,
                         google::protobuf::RepeatedPtrField<schema::TypedValue>*
                             out);
  bool ParseValueType(absl::string_view text, schema::ValueType* type);
  void ImportSetParam(const Fields& fields, schema::SetParam* logic);
  void ImportApiSum(const Fields& fields, schema::ApiSum* logic);
  void ImportApi(const Fields& fields, schema::Api* logic);
  void ImportApiCopy(const Fields& fields, schema::ApiCopy* logic);
  void ImportApiRpc(const Fields& fields, schema::ApiRpc* logic);
  void ImportApiRpcReply(const Fields& fields, schema::ApiRpcReply* logic);
  void ImportApiGetTask(const Fields& fields, schema::ApiGetTask* logic);
  void ImportUnsupported(const Fields& fields, element raw,
                         absl::string_view type, schema::Unsupported* logic);
  void ImportSemaphore(const Fields& fields, schema::Semaphore* semaphore);
  void ImportStub(const Fields& condition, schema::Node* node);

  const std::string file_name_;
  const ImportLimits& limits_;
  ImportResult& result_;
  JsonPath path_;
  // For JSON held in strings: `extra` and `extra_type` are read together.
  simdjson::dom::parser embedded_parsers_[2];

  // Repeated keys of one source text by member path, found by a scan of
  // the text made only once some object turned out to repeat a key.
  struct RepeatIndex {
    bool built = false;
    absl::flat_hash_map<std::string, std::vector<RepeatedKey>> by_path;
  };
  absl::string_view text_;  // the file, without its byte-order mark
  RepeatIndex file_repeats_;
  // Offsets where the file's lines start, built on first use: a file with a
  // repeat in every process must not rescan from the start for each.
  std::vector<size_t> line_starts_;
  // While an object held in a string is read: its JSON text, the length of
  // path_ at the string, and its repeats.
  absl::string_view embedded_text_;
  size_t embedded_path_size_ = 0;
  RepeatIndex embedded_repeats_;

  // Per process being imported.
  std::string node_id_;  // node being imported, for messages
  std::string logic_type_;
  std::vector<PendingLink> links_;
  std::string locations_;
  std::vector<LocationRef> node_locations_;
  int node_index_ = -1;
  absl::flat_hash_set<int64_t> conv_ids_;
  std::vector<schema::Process*> synthetic_;
};

LocationRef Importer::SaveLocation() {
  const std::string path = path_.ToString();
  LocationRef ref{static_cast<uint32_t>(locations_.size()),
                  static_cast<uint32_t>(path.size())};
  locations_ += path;
  return ref;
}

std::string Importer::Location(LocationRef ref) const {
  return locations_.substr(ref.offset, ref.size);
}

void Importer::Report(Diagnostic::Severity severity, std::string location,
                      std::string message) {
  if (severity == Diagnostic::Severity::kError) result_.has_errors = true;
  if (result_.diagnostics.size() >= limits_.max_diagnostics) {
    ++result_.dropped_diagnostics;
    return;
  }
  Diagnostic diagnostic;
  diagnostic.severity = severity;
  diagnostic.file = file_name_;
  diagnostic.location = std::move(location);
  diagnostic.node_id = node_id_;
  diagnostic.message = std::move(message);
  result_.diagnostics.push_back(std::move(diagnostic));
}

bool Importer::AsObject(element value, Fields* fields) {
  simdjson::dom::object object;
  if (value.get_object().get(object) != simdjson::SUCCESS) {
    Error(absl::StrCat("expected an object, found ", TypeName(value.type())));
    return false;
  }
  fields->Clear();
  // Keys met again so far, with how often: rare, so a short list.
  absl::InlinedVector<std::pair<absl::string_view, int>, 2> repeated;
  for (simdjson::dom::key_value_pair field : object) {
    const absl::string_view key = View(field.key);
    if (fields->Add(key, field.value)) continue;
    int occurrence = 1;
    auto it = std::find_if(repeated.begin(), repeated.end(),
                           [&](const auto& entry) { return entry.first == key; });
    if (it == repeated.end()) {
      repeated.emplace_back(key, 1);
    } else {
      occurrence = ++it->second;
    }
    ReportRepeatedKey(key, occurrence, *fields->Find(key), field.value);
  }
  return true;
}

void Importer::ReportRepeatedKey(absl::string_view key, int occurrence,
                                 element first, element again) {
  PathScope scope(path_, key);
  const bool embedded = !embedded_text_.empty();
  RepeatIndex& index = embedded ? embedded_repeats_ : file_repeats_;
  if (!index.built) {
    index.built = true;
    std::vector<RepeatedKey> repeats;
    FindRepeatedKeys(embedded ? embedded_text_ : text_, &repeats);
    for (RepeatedKey& repeat : repeats) {
      index.by_path[repeat.path].push_back(std::move(repeat));
    }
  }
  // Paths inside an embedded text start at that text's root.
  absl::string_view path = path_.raw();
  if (embedded) {
    path.remove_prefix(std::min(embedded_path_size_, path.size()));
    absl::ConsumePrefix(&path, ".");
  }
  const RepeatedKey* found = nullptr;
  auto it = index.by_path.find(path);
  if (it != index.by_path.end() &&
      static_cast<size_t>(occurrence) <= it->second.size()) {
    found = &it->second[occurrence - 1];
  }
  if (found == nullptr) {
    // Not expected (the scan and simdjson agree on keys); still decide.
    if (simdjson::minify(first) == simdjson::minify(again)) {
      Warning("repeated key, same value as before; the repeat is ignored");
    } else {
      Error(absl::StrCat("repeated key ", Quote(key),
                         " with a different value: the file is ambiguous"));
    }
    return;
  }
  if (found->same_value) {
    Warning(absl::StrCat("repeated key, same value as at ",
                         Where(found->first_offset), "; the repeat at ",
                         Where(found->offset), " is ignored"));
  } else {
    Error(absl::StrCat("repeated key ", Quote(key),
                       " with a different value: the values at ",
                       Where(found->first_offset), " and at ",
                       Where(found->offset),
                       " disagree, so the file is ambiguous"));
  }
}

std::string Importer::Where(size_t offset) {
  if (!embedded_text_.empty()) {
    return absl::StrCat("byte ", offset, " of the JSON text in the string");
  }
  if (line_starts_.empty()) {
    line_starts_.push_back(0);
    const char* const begin = text_.data();
    const char* const end = begin + text_.size();
    for (const char* p = begin;
         (p = static_cast<const char*>(std::memchr(p, '\n', end - p))) != nullptr;) {
      line_starts_.push_back(static_cast<size_t>(++p - begin));
    }
  }
  // The same words as DescribeOffset.
  const size_t line =
      std::upper_bound(line_starts_.begin(), line_starts_.end(), offset) - line_starts_.begin();
  return absl::StrCat("byte ", offset, " (line ", line, ", column ",
                      offset - line_starts_[line - 1] + 1, ")");
}

std::string Importer::ValueText(element value, absl::string_view map_key,
                                absl::string_view key) {
  std::string text = ScalarText(value);
  if ((!value.is_object() && !value.is_array()) || !HasRepeatedKeys(value)) {
    return text;
  }
  PathScope scope(path_, map_key);
  PathScope key_scope(path_, key);
  std::vector<RepeatedKey> repeats;
  std::string collapsed;
  if (!FindRepeatedKeys(text, &repeats, &collapsed)) return text;
  for (const RepeatedKey& repeat : repeats) {
    if (repeat.same_value) {
      Warning(absl::StrCat("the value repeats the key ", Quote(repeat.key),
                           " with the same value (at ", repeat.path,
                           "); it is kept once"));
    } else {
      Error(absl::StrCat("the value repeats the key ", Quote(repeat.key),
                         " with different values (at ", repeat.path,
                         "): it is ambiguous"));
    }
  }
  return collapsed;
}

bool Importer::ReadObject(const Fields& fields, absl::string_view key,
                          Fields* out) {
  auto value = fields.FindSet(key);
  if (!value) return false;
  PathScope scope(path_, key);
  return AsObject(*value, out);
}

bool Importer::ReadArray(const Fields& fields, absl::string_view key,
                         simdjson::dom::array* out) {
  auto value = fields.FindSet(key);
  if (!value) return false;
  if (value->get_array().get(*out) == simdjson::SUCCESS) return true;
  PathScope scope(path_, key);
  Error(absl::StrCat(key, " must be an array, not ", TypeName(value->type())));
  return false;
}

template <typename Visit>
bool Importer::ForEachObject(const Fields& fields, absl::string_view key,
                             Visit visit) {
  simdjson::dom::array array;
  if (!ReadArray(fields, key, &array)) return false;
  PathScope array_scope(path_, key);
  size_t index = 0;
  for (element item : array) {
    PathScope scope(path_, index++);
    Fields item_fields;
    if (AsObject(item, &item_fields)) visit(item_fields);
  }
  return true;
}

bool Importer::ReadString(const Fields& fields, absl::string_view key,
                          std::string* out) {
  auto value = fields.FindSet(key);
  if (!value) return false;
  std::string_view text;
  if (value->get_string().get(text) == simdjson::SUCCESS) {
    out->assign(text.data(), text.size());
    return true;
  }
  PathScope scope(path_, key);
  Error(absl::StrCat(key, " must be a string, not ", TypeName(value->type())));
  return false;
}

std::string Importer::ScalarText(element value) {
  std::string_view text;
  if (value.get_string().get(text) == simdjson::SUCCESS) {
    return std::string(text);
  }
  if (value.is_null()) return "";
  return simdjson::minify(value);
}

bool Importer::ReadText(const Fields& fields, absl::string_view key,
                        std::string* out) {
  auto value = fields.FindSet(key);
  if (!value) return false;
  *out = ScalarText(*value);
  return true;
}

bool Importer::ReadInt64(const Fields& fields, absl::string_view key,
                         int64_t* out) {
  auto value = fields.FindSet(key);
  if (!value) return false;
  PathScope scope(path_, key);
  int64_t number;
  std::string_view text;
  double real;
  if (value->get_int64().get(number) == simdjson::SUCCESS) {
    *out = number;
    return true;
  }
  if (value->get_string().get(text) == simdjson::SUCCESS) {
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(View(text)), &number)) {
      *out = number;
      return true;
    }
    Error(absl::StrCat(key, " must be an integer, not the string ",
                       Quote(View(text))));
    return false;
  }
  if (value->get_double().get(real) == simdjson::SUCCESS &&
      real == std::floor(real) && std::fabs(real) < 9.0e18) {
    *out = static_cast<int64_t>(real);
    return true;
  }
  Error(absl::StrCat(key, " must be an integer, not ",
                     TypeName(value->type())));
  return false;
}

bool Importer::ReadBool(const Fields& fields, absl::string_view key,
                        bool* out) {
  auto value = fields.FindSet(key);
  if (!value) return false;
  if (value->get_bool().get(*out) == simdjson::SUCCESS) return true;
  std::string_view text;
  if (value->get_string().get(text) == simdjson::SUCCESS &&
      (text == "true" || text == "false")) {
    *out = text == "true";
    return true;
  }
  int64_t number;
  if (value->get_int64().get(number) == simdjson::SUCCESS &&
      (number == 0 || number == 1)) {
    *out = number == 1;
    return true;
  }
  PathScope scope(path_, key);
  Error(absl::StrCat(key, " must be a boolean, not ", TypeName(value->type())));
  return false;
}

bool Importer::ReadLink(const Fields& fields, absl::string_view logic_type,
                        absl::string_view key, bool required,
                        std::string* out) {
  if (!fields.FindSet(key)) {
    if (required) Error(absl::StrCat(logic_type, " has no ", key));
    return false;
  }
  std::string target;
  if (!ReadString(fields, key, &target)) return false;
  if (target.empty()) {
    // An empty err_node_id is how exports say "no error exit". An empty
    // required link appears in vendor templates saved before they were
    // wired; the platform loads them, so this is a warning.
    if (required) {
      PathScope scope(path_, key);
      Warning(absl::StrCat(logic_type, ".", key,
                           " is empty: a task reaching it stops there"));
    }
    return false;
  }
  *out = std::move(target);
  links_.push_back(
      PendingLink{SaveLocation(), node_index_, logic_type, key, out});
  return true;
}

bool Importer::ReadEmbeddedObject(const Fields& fields, absl::string_view key,
                                  Fields* out, element* raw, int slot) {
  auto value = fields.FindSet(key);
  if (!value) return false;
  std::string_view text;
  if (value->get_string().get(text) != simdjson::SUCCESS) {
    if (raw != nullptr) *raw = *value;
    return ReadObject(fields, key, out);
  }
  PathScope scope(path_, key);
  if (absl::StripAsciiWhitespace(View(text)).empty()) return false;
  element embedded;
  auto error = embedded_parsers_[slot]
                   .parse(text.data(), text.size(), true)
                   .get(embedded);
  if (error != simdjson::SUCCESS) {
    Error(absl::StrCat(key, " holds a string that is not valid JSON: ",
                       simdjson::error_message(error)));
    return false;
  }
  if (raw != nullptr) *raw = embedded;
  // Only the embedded object's own keys are read as fields: the text and
  // its repeats matter for this one call.
  embedded_text_ = View(text);
  embedded_path_size_ = path_.raw().size();
  embedded_repeats_ = RepeatIndex();
  const bool is_object = AsObject(embedded, out);
  embedded_text_ = {};
  return is_object;
}

// ---------------------------------------------------------------------------
// Document structure

void Importer::Run(absl::string_view json) {
  if (absl::StartsWith(json, kUtf8Bom)) json.remove_prefix(kUtf8Bom.size());
  if (json.size() > limits_.max_file_size) {
    Error(absl::StrCat("the file is ", json.size(),
                       " bytes, over the import limit of ",
                       limits_.max_file_size, " bytes"));
    return;
  }
  if (absl::StripAsciiWhitespace(json).empty()) {
    Error("the file is empty: expected a JSON array of processes or a "
          "process object");
    return;
  }
  text_ = json;
  simdjson::padded_string padded(json.data(), json.size());
  // Parsers are reused per thread: allocating one sized for a large file
  // costs more than parsing it. A parser grown past kKeptCapacity is
  // released after use so a one-off huge import does not pin memory.
  constexpr size_t kKeptCapacity = size_t{16} << 20;
  thread_local simdjson::dom::parser parser;
  struct ReleaseLarge {
    ~ReleaseLarge() {
      if (parser.capacity() > kKeptCapacity) parser = simdjson::dom::parser();
    }
  } release_large;
  auto error = simdjson::SUCCESS;
  if (parser.capacity() < padded.size() ||
      parser.max_depth() != static_cast<size_t>(limits_.max_depth)) {
    error = parser.allocate(padded.size(), limits_.max_depth);
  }
  if (error == simdjson::SUCCESS) {
    constexpr size_t kEmbeddedCapacity = 4096;  // grows on demand
    for (simdjson::dom::parser& embedded : embedded_parsers_) {
      if (error == simdjson::SUCCESS) {
        error = embedded.allocate(kEmbeddedCapacity, limits_.max_depth);
      }
    }
  }
  if (error != simdjson::SUCCESS) {
    Error(absl::StrCat("cannot allocate a parser for ", padded.size(),
                       " bytes: ", simdjson::error_message(error)));
    return;
  }
  element root;
  if ((error = parser.parse(padded).get(root))) {
    JsonErrorReport report =
        DescribeJsonError(padded, error, limits_.max_depth);
    Report(Diagnostic::Severity::kError,
           report.offset ? DescribeOffset(json, *report.offset) : "$",
           absl::StrCat("invalid JSON: ", report.reason));
    return;
  }
  ImportTopLevel(root);

  // Processes without an obj_id get ids unused by the rest of the file.
  int64_t next_id = 1;
  for (int64_t id : conv_ids_) next_id = std::max(next_id, id + 1);
  for (schema::Process* process : synthetic_) {
    process->set_conv_id(next_id++);
  }
}

void Importer::ImportTopLevel(element root) {
  simdjson::dom::array items;
  if (root.get_array().get(items) == simdjson::SUCCESS) {
    size_t index = 0;
    for (element item : items) {
      PathScope scope(path_, index++);
      Fields fields;
      if (!AsObject(item, &fields)) continue;
      int64_t obj_type = -1;
      if (!ReadInt64(fields, "obj_type", &obj_type)) {
        if (fields.FindSet("obj_type")) continue;  // wrong type, reported
        // Without obj_type, a scheme makes it a process.
        if (!fields.Find("scheme")) {
          Error("element has neither obj_type nor scheme: not a process, "
                "folder or dashboard");
          continue;
        }
        obj_type = 1;
      }
      switch (obj_type) {
        case 0:
          ImportFolder(fields);
          break;
        case 1:
          ImportProcess(fields, /*bare_scheme=*/false);
          break;
        case 2:
          break;  // dashboards do not run
        default: {
          PathScope type_scope(path_, "obj_type");
          Error(absl::StrCat("obj_type ", obj_type,
                             " is not 0 (folder), 1 (process) or 2 "
                             "(dashboard)"));
        }
      }
    }
    if (index == 0) Error("the array is empty: no process to load");
    return;
  }
  Fields fields;
  if (root.type() != element_type::OBJECT) {
    Error(absl::StrCat("the document is ", TypeName(root.type()),
                       "; expected an array of processes or a process "
                       "object"));
    return;
  }
  if (!AsObject(root, &fields)) return;
  int64_t obj_type = 1;
  if (ReadInt64(fields, "obj_type", &obj_type) && obj_type != 1) {
    PathScope scope(path_, "obj_type");
    Error(absl::StrCat("the document is an object with obj_type ", obj_type,
                       "; only a process (obj_type 1) can be loaded alone"));
    return;
  }
  const bool bare = !fields.Find("obj_type") && !fields.Find("obj_id") &&
                    !fields.Find("title");
  ImportProcess(fields, bare);
}

void Importer::ImportFolder(const Fields& fields) {
  schema::Folder* folder = result_.mutable_scheme()->add_folders();
  int64_t number = 0;
  if (ReadInt64(fields, "obj_id", &number)) folder->set_obj_id(number);
  if (ReadInt64(fields, "parent_id", &number)) folder->set_parent_id(number);
  std::string title;
  if (ReadString(fields, "title", &title)) folder->set_title(title);
}

void Importer::ImportProcess(const Fields& fields, bool bare_scheme) {
  schema::Process* process = result_.mutable_scheme()->add_processes();
  links_.clear();
  locations_.clear();
  node_locations_.clear();
  node_id_.clear();

  int64_t conv_id = 0;
  const bool has_id = ReadInt64(fields, "obj_id", &conv_id);
  if (has_id && conv_id < 0) {
    PathScope scope(path_, "obj_id");
    Error(absl::StrCat("obj_id ", conv_id, " must be positive"));
  } else if (has_id && conv_id > 0) {
    if (!conv_ids_.insert(conv_id).second) {
      PathScope scope(path_, "obj_id");
      Error(absl::StrCat("process ", conv_id,
                         " appears more than once in the file"));
    }
    process->set_conv_id(conv_id);
  } else if (has_id || !fields.FindSet("obj_id")) {
    // Absent, null or 0: never deployed (templates, hand-written files).
    process->set_synthetic_conv_id(true);
    synthetic_.push_back(process);
    Warning(bare_scheme
                ? "a bare {\"scheme\":...} object: the process gets a "
                  "synthetic conv_id"
                : "the process has no obj_id: it gets a synthetic conv_id");
  }
  int64_t parent_id = 0;
  if (ReadInt64(fields, "parent_id", &parent_id)) {
    process->set_parent_id(parent_id);
  }
  std::string text;
  if (ReadString(fields, "title", &text)) process->set_title(text);
  if (ReadString(fields, "description", &text)) process->set_description(text);
  if (ReadString(fields, "status", &text)) {
    static const auto* const kStatuses =
        new absl::flat_hash_map<std::string, schema::ProcessStatus>{
            {"active", schema::PROCESS_STATUS_ACTIVE},
            {"actived", schema::PROCESS_STATUS_ACTIVE},
            {"paused", schema::PROCESS_STATUS_PAUSED},
            {"deleted", schema::PROCESS_STATUS_DELETED},
            {"blocked", schema::PROCESS_STATUS_BLOCKED},
            {"debug", schema::PROCESS_STATUS_DEBUG},
            {"debugged", schema::PROCESS_STATUS_DEBUG},
        };
    auto it = kStatuses->find(text);
    if (it != kStatuses->end()) {
      process->set_status(it->second);
    } else {
      PathScope scope(path_, "status");
      Warning(absl::StrCat("unknown status ", Quote(text),
                           "; the process is treated as active"));
    }
  }
  if (ReadString(fields, "conv_type", &text)) {
    if (text == "process") {
      process->set_conv_type(schema::CONV_TYPE_PROCESS);
    } else if (text == "state") {
      process->set_conv_type(schema::CONV_TYPE_STATE);
    } else if (text == "escalation") {
      process->set_conv_type(schema::CONV_TYPE_ESCALATION);
    } else {
      PathScope scope(path_, "conv_type");
      Error(absl::StrCat("conv_type ", Quote(text),
                         " is not \"process\", \"state\" or \"escalation\""));
    }
  }
  bool ref_mask = false;
  if (ReadBool(fields, "ref_mask", &ref_mask)) process->set_ref_mask(ref_mask);
  ImportParams(fields, process);

  Fields scheme;
  if (!ReadObject(fields, "scheme", &scheme)) {
    if (!fields.FindSet("scheme")) {
      Error(absl::StrCat("process ", process->conv_id(), " has no scheme"));
    }
    return;
  }
  PathScope scheme_scope(path_, "scheme");
  simdjson::dom::array nodes;
  if (!ReadArray(scheme, "nodes", &nodes)) {
    if (!scheme.FindSet("nodes")) Error("scheme has no nodes array");
    return;
  }
  PathScope nodes_scope(path_, "nodes");
  size_t index = 0;
  for (element node_json : nodes) {
    PathScope scope(path_, index++);
    node_locations_.push_back(SaveLocation());
    node_index_ = process->nodes_size();
    schema::Node* node = process->add_nodes();
    Fields node_fields;
    if (AsObject(node_json, &node_fields)) {
      ImportNode(node_fields, node);
      CheckNodeRules(*node);
    }
    node_id_.clear();
  }
  FinishProcess(process);
}

void Importer::ImportParams(const Fields& fields, schema::Process* process) {
  ForEachObject(fields, "params", [&](const Fields& param_fields) {
    schema::Param* param = process->add_params();
    std::string text;
    if (!ReadString(param_fields, "name", param->mutable_name())) {
      if (!param_fields.FindSet("name")) Error("a parameter has no name");
    }
    if (ReadString(param_fields, "type", &text)) {
      schema::ValueType type;
      PathScope type_scope(path_, "type");
      if (ParseValueType(text, &type)) param->set_type(type);
    }
    ReadString(param_fields, "descr", param->mutable_description());
    ReadString(param_fields, "regex", param->mutable_regex());
    ReadString(param_fields, "regex_error_text",
               param->mutable_regex_error_text());
    if (!param->regex().empty()) {
      RE2 regex(param->regex(), RE2::Quiet);
      if (!regex.ok()) {
        PathScope regex_scope(path_, "regex");
        Error(absl::StrCat("regex ", Quote(param->regex()),
                           " does not compile: ", regex.error()));
      }
    }
    simdjson::dom::array flags;
    if (ReadArray(param_fields, "flags", &flags)) {
      for (element flag : flags) param->add_flags(ScalarText(flag));
    }
  });
}

void Importer::ImportNode(const Fields& fields, schema::Node* node) {
  if (!ReadString(fields, "id", node->mutable_id())) {
    if (!fields.FindSet("id")) Error("the node has no id");
  } else if (node->id().empty()) {
    // Templates saved before deployment; FinishProcess names the node.
    PathScope scope(path_, "id");
    Warning("the node id is empty: it gets a synthetic id");
  }
  node_id_ = node->id();
  int64_t obj_type = 0;
  if (ReadInt64(fields, "obj_type", &obj_type)) {
    if (obj_type < 0 || obj_type > 4) {
      PathScope scope(path_, "obj_type");
      Error(absl::StrCat("node obj_type ", obj_type,
                         " is not 0 (normal), 1 (start), 2 (final), 3 "
                         "(escalation) or 4 (stub)"));
    } else {
      node->set_kind(static_cast<schema::NodeKind>(obj_type));
    }
  }
  ReadString(fields, "title", node->mutable_title());
  ReadString(fields, "description", node->mutable_description());
  ImportNodeOptions(fields, node);
  // `extra` holds editor settings only (icon, form mode): ignored, but it
  // must be one of the forms exports use.
  if (auto extra = fields.FindSet("extra");
      extra && !extra->is_string() && !extra->is_object()) {
    PathScope scope(path_, "extra");
    Error(absl::StrCat("extra must be a string or an object, not ",
                       TypeName(extra->type())));
  }

  Fields condition;
  if (!ReadObject(fields, "condition", &condition)) return;
  PathScope condition_scope(path_, "condition");
  simdjson::dom::array logics;
  if (ReadArray(condition, "logics", &logics)) {
    PathScope logics_scope(path_, "logics");
    size_t index = 0;
    for (element logic_json : logics) {
      PathScope scope(path_, index++);
      Fields logic_fields;
      if (!AsObject(logic_json, &logic_fields)) continue;
      std::string type;
      if (!ReadString(logic_fields, "type", &type)) {
        if (!logic_fields.FindSet("type")) Error("the logic has no type");
        continue;
      }
      // Added only once it has a type, so every Logic in the scheme has a
      // config.
      schema::Logic* logic = node->add_logics();
      logic_type_ = type;
      ImportLogic(logic_fields, logic);
      if (logic->config_case() == schema::Logic::CONFIG_NOT_SET) {
        ImportUnsupported(logic_fields, logic_json, type,
                          logic->mutable_unsupported());
      }
    }
  }
  ForEachObject(condition, "semaphors", [&](const Fields& semaphore) {
    ImportSemaphore(semaphore, node->add_semaphores());
  });
  if (node->kind() == schema::NODE_KIND_STUB) ImportStub(condition, node);
}

void Importer::ImportNodeOptions(const Fields& fields, schema::Node* node) {
  Fields options;
  element raw;
  if (!ReadEmbeddedObject(fields, "options", &options, &raw)) return;
  PathScope scope(path_, "options");
  node->mutable_options()->set_json(simdjson::minify(raw));
  bool save_task = true;
  if (ReadBool(options, "save_task", &save_task)) {
    node->mutable_options()->set_save_task(save_task);
  }
}

void Importer::CheckNodeRules(const schema::Node& node) {
  if (node.kind() == schema::NODE_KIND_FINAL) {
    if (node.logics_size() > 0) {
      Warning("a final node holds logics; they never run");
    }
    return;
  }
  int actions = 0;
  for (const schema::Logic& logic : node.logics()) {
    if (!logic.has_go() && !logic.has_go_if_const()) ++actions;
  }
  if (actions > 1) {
    Warning(absl::StrCat("the node holds ", actions,
                         " action logics; the platform allows one"));
  }
  if (node.logics_size() > 0 && !node.logics().rbegin()->has_go()) {
    Warning("the node's logics do not end with a go; a task that no "
            "condition moves stays in the node");
  }
}

void Importer::FinishProcess(schema::Process* process) {
  node_id_.clear();
  const std::string process_name = absl::StrCat("process ", process->conv_id());
  // Views of the nodes' own id strings, which outlive this function.
  absl::flat_hash_map<absl::string_view, size_t> node_index;
  std::vector<size_t> starts;
  for (int i = 0; i < process->nodes_size(); ++i) {
    const schema::Node& node = process->nodes(i);
    if (node.kind() == schema::NODE_KIND_START) starts.push_back(i);
    if (node.id().empty()) continue;  // named below
    auto [it, inserted] = node_index.emplace(node.id(), i);
    if (!inserted) {
      node_id_ = node.id();
      Report(Diagnostic::Severity::kError, Location(node_locations_[i]),
             absl::StrCat("duplicate node id ", Quote(node.id()), " (also at ",
                          Location(node_locations_[it->second]), ")"));
      node_id_.clear();
    }
  }
  if (starts.empty()) {
    Error(absl::StrCat(process_name, " has no start node (obj_type 1)"));
  } else if (starts.size() > 1) {
    std::vector<std::string> where;
    for (size_t i : starts) where.push_back(Location(node_locations_[i]));
    Error(absl::StrCat(process_name, " has ", starts.size(),
                       " start nodes (obj_type 1), at ",
                       absl::StrJoin(where, ", "), "; it needs exactly one"));
  }
  for (int i = 0; i < process->nodes_size(); ++i) {
    schema::Node* node = process->mutable_nodes(i);
    if (!node->id().empty()) continue;
    std::string id = absl::StrCat("unnamed_node_", i);
    while (node_index.contains(id)) id += '_';
    node->set_id(std::move(id));
    node_index.emplace(node->id(), i);
  }
  absl::flat_hash_set<absl::string_view> linked;
  for (const PendingLink& link : links_) {
    if (node_index.contains(*link.target)) {
      linked.insert(*link.target);
      continue;
    }
    node_id_ = process->nodes(link.node_index).id();
    Report(Diagnostic::Severity::kError, Location(link.location),
           absl::StrCat(link.logic_type, ".", link.key, " ",
                        Quote(*link.target), " names no node of ",
                        process_name));
  }
  node_id_.clear();
  for (int i = 0; i < process->nodes_size(); ++i) {
    const schema::Node& node = process->nodes(i);
    if (node.kind() == schema::NODE_KIND_START || node.id().empty() ||
        linked.contains(node.id())) {
      continue;
    }
    node_id_ = node.id();
    Report(Diagnostic::Severity::kWarning, Location(node_locations_[i]),
           "no link leads to this node; tasks can never reach it");
  }
  node_id_.clear();
}

// ---------------------------------------------------------------------------
// Logics

void Importer::ImportLogic(const Fields& fields, schema::Logic* logic) {
  const std::string& type = logic_type_;
  if (type == "go") {
    ReadLink(fields, "go", "to_node_id", /*required=*/true,
             logic->mutable_go()->mutable_to_node_id());
  } else if (type == "go_if_const") {
    ImportGoIfConst(fields, logic->mutable_go_if_const());
  } else if (type == "set_param") {
    ImportSetParam(fields, logic->mutable_set_param());
  } else if (type == "api_sum") {
    ImportApiSum(fields, logic->mutable_api_sum());
  } else if (type == "api") {
    ImportApi(fields, logic->mutable_api());
  } else if (type == "api_copy") {
    ImportApiCopy(fields, logic->mutable_api_copy());
  } else if (type == "api_rpc") {
    ImportApiRpc(fields, logic->mutable_api_rpc());
  } else if (type == "api_rpc_reply") {
    ImportApiRpcReply(fields, logic->mutable_api_rpc_reply());
  } else if (type == "api_callback") {
    schema::ApiCallback* callback = logic->mutable_api_callback();
    bool is_sync = false;
    if (ReadBool(fields, "is_sync", &is_sync)) callback->set_is_sync(is_sync);
    ReadString(fields, "obj_id_path", callback->mutable_obj_id_path());
  } else if (type == "api_queue") {
    ImportTypedValues(fields, "data", "data_type",
                      logic->mutable_api_queue()->mutable_data());
  } else if (type == "api_get_task") {
    ImportApiGetTask(fields, logic->mutable_api_get_task());
  }
  // Anything else stays unset and is kept as Unsupported by the caller.
}

bool Importer::ImportCondition(const Fields& fields,
                               schema::Condition* condition) {
  bool ok = true;
  if (!ReadText(fields, "param", condition->mutable_param())) {
    Error("the condition has no param");
    ok = false;
  }
  ReadText(fields, "const", condition->mutable_value());

  std::string cast = "string";
  if (fields.FindSet("cast") && ReadString(fields, "cast", &cast)) {
    schema::ValueType type;
    PathScope scope(path_, "cast");
    if (ParseValueType(cast, &type)) {
      condition->set_cast(type);
    } else {
      ok = false;
    }
  }

  std::string fun;
  if (!ReadString(fields, "fun", &fun)) {
    if (!fields.FindSet("fun")) Error("the condition has no fun");
    return false;
  }
  struct FunName {
    absl::string_view name;
    schema::ConditionFun fun;
    bool canonical;
  };
  static constexpr FunName kFuns[] = {
      {"eq", schema::CONDITION_FUN_EQ, true},
      {"not_eq", schema::CONDITION_FUN_NOT_EQ, true},
      {"more", schema::CONDITION_FUN_MORE, true},
      {"less", schema::CONDITION_FUN_LESS, true},
      {"more_or_eq", schema::CONDITION_FUN_MORE_OR_EQ, true},
      {"less_or_eq", schema::CONDITION_FUN_LESS_OR_EQ, true},
      {"regexp", schema::CONDITION_FUN_REGEXP, true},
      // Symbolic spellings found in hand-written exports; unambiguous, so
      // accepted with a warning.
      {"==", schema::CONDITION_FUN_EQ, false},
      {"!=", schema::CONDITION_FUN_NOT_EQ, false},
      {">", schema::CONDITION_FUN_MORE, false},
      {"<", schema::CONDITION_FUN_LESS, false},
      {">=", schema::CONDITION_FUN_MORE_OR_EQ, false},
      {"<=", schema::CONDITION_FUN_LESS_OR_EQ, false},
  };
  PathScope scope(path_, "fun");
  const FunName* found = nullptr;
  for (const FunName& candidate : kFuns) {
    if (candidate.name == fun) found = &candidate;
  }
  if (found == nullptr) {
    Error(absl::StrCat("go_if_const fun ", Quote(fun),
                       " is not one of eq, not_eq, more, less, more_or_eq, "
                       "less_or_eq, regexp"));
    return false;
  }
  condition->set_fun(found->fun);
  if (!found->canonical) {
    Warning(absl::StrCat("go_if_const fun ", Quote(fun), " read as ",
                         absl::AsciiStrToLower(
                             schema::ConditionFun_Name(found->fun).substr(
                                 sizeof("CONDITION_FUN_") - 1))));
  }
  if (found->fun == schema::CONDITION_FUN_REGEXP &&
      !IsTemplate(condition->value())) {
    RE2 regex(condition->value(), RE2::Quiet);
    if (!regex.ok()) {
      Error(absl::StrCat("regexp ", Quote(condition->value()),
                         " does not compile: ", regex.error()));
      return false;
    }
  }
  return ok;
}

void Importer::ImportGoIfConst(const Fields& fields, schema::GoIfConst* logic) {
  ReadLink(fields, "go_if_const", "to_node_id", /*required=*/true,
           logic->mutable_to_node_id());
  if (fields.FindSet("conditions")) {
    ImportConditionList(fields, logic->mutable_conditions());
  } else if (fields.Find("param") || fields.Find("fun")) {
    logic->set_legacy_flat(true);
    ImportCondition(fields, logic->add_conditions());
  }
  if (logic->conditions_size() == 0) {
    Warning("go_if_const has no conditions: it always matches");
  }
}

bool Importer::ParseValueType(absl::string_view text, schema::ValueType* type) {
  if (text == "string") {
    *type = schema::VALUE_TYPE_STRING;
  } else if (text == "number") {
    *type = schema::VALUE_TYPE_NUMBER;
  } else if (text == "boolean") {
    *type = schema::VALUE_TYPE_BOOLEAN;
  } else if (text == "object") {
    *type = schema::VALUE_TYPE_OBJECT;
  } else if (text == "array") {
    *type = schema::VALUE_TYPE_ARRAY;
  } else {
    Error(absl::StrCat("type ", Quote(text),
                       " is not string, number, boolean, object or array"));
    return false;
  }
  return true;
}

void Importer::ImportTypedValues(
    const Fields& fields, absl::string_view values_key,
    absl::string_view types_key,
    google::protobuf::RepeatedPtrField<schema::TypedValue>* out) {
  Fields values;
  if (!ReadEmbeddedObject(fields, values_key, &values)) return;
  Fields types;
  const bool has_types =
      ReadEmbeddedObject(fields, types_key, &types, nullptr, /*slot=*/1);
  for (const auto& [key, value] : values.entries) {
    schema::TypedValue* typed = out->Add();
    typed->set_key(std::string(key));
    typed->set_value(ValueText(value, values_key, key));
    auto type_json = has_types ? types.FindSet(key) : std::nullopt;
    if (!type_json) {
      PathScope scope(path_, values_key);
      PathScope key_scope(path_, key);
      Warning(absl::StrCat(types_key, " has no entry for ", Quote(key),
                           "; it is written as a string"));
      continue;
    }
    PathScope scope(path_, types_key);
    PathScope key_scope(path_, key);
    std::string_view type_name;
    if (type_json->get_string().get(type_name) != simdjson::SUCCESS) {
      Error(absl::StrCat("the type must be a string, not ",
                         TypeName(type_json->type())));
      continue;
    }
    schema::ValueType type;
    if (ParseValueType(View(type_name), &type)) typed->set_type(type);
  }
  for (const auto& [key, unused] : types.entries) {
    if (!values.Find(key)) {
      PathScope scope(path_, types_key);
      PathScope key_scope(path_, key);
      Warning(absl::StrCat(Quote(key), " has a type but no value in ",
                           values_key, "; ignored"));
    }
  }
}

void Importer::ImportSetParam(const Fields& fields, schema::SetParam* logic) {
  ReadLink(fields, "set_param", "err_node_id", /*required=*/false,
           logic->mutable_err_node_id());
  if (fields.FindSet("extra")) {
    ImportTypedValues(fields, "extra", "extra_type", logic->mutable_values());
    return;
  }
  // A vendor fixture shape: "params": [{"name","value","type"}].
  if (!fields.FindSet("params")) return;
  {
    PathScope scope(path_, "params");
    Warning("set_param with a params list: read as extra/extra_type");
  }
  ForEachObject(fields, "params", [&](const Fields& param) {
    schema::TypedValue* typed = logic->add_values();
    if (!ReadString(param, "name", typed->mutable_key())) {
      Error("the parameter has no name");
    }
    ReadText(param, "value", typed->mutable_value());
    std::string type;
    if (ReadString(param, "type", &type)) {
      schema::ValueType value_type;
      PathScope type_scope(path_, "type");
      if (ParseValueType(type, &value_type)) typed->set_type(value_type);
    }
  });
}

void Importer::ImportApiSum(const Fields& fields, schema::ApiSum* logic) {
  ReadLink(fields, "api_sum", "err_node_id", /*required=*/false,
           logic->mutable_err_node_id());
  if (!fields.FindSet("extra")) {
    Error("api_sum has no extra list");
    return;
  }
  ForEachObject(fields, "extra", [&](const Fields& item_fields) {
    schema::SumItem* item = logic->add_items();
    ReadText(item_fields, "id", item->mutable_id());
    ReadString(item_fields, "name", item->mutable_name());
    if (item->id().empty() && item->name().empty()) {
      Error("the sum item has neither id nor name");
    }
    if (!ReadText(item_fields, "value", item->mutable_value())) {
      Error("the sum item has no value");
    }
  });
}

void Importer::ImportApi(const Fields& fields, schema::Api* logic) {
  std::string method = "POST";
  ReadString(fields, "method", &method);
  logic->set_method(absl::AsciiStrToUpper(method));
  static constexpr absl::string_view kMethods[] = {"GET",    "POST", "PUT",
                                                   "DELETE", "HEAD", "PATCH"};
  if (std::find(std::begin(kMethods), std::end(kMethods), logic->method()) ==
      std::end(kMethods)) {
    PathScope scope(path_, "method");
    Error(absl::StrCat("method ", Quote(method),
                       " is not GET, POST, PUT, DELETE, HEAD or PATCH"));
  }
  if (!ReadString(fields, "url", logic->mutable_url())) {
    if (!fields.FindSet("url")) Error("api has no url");
  }
  ReadString(fields, "content_type", logic->mutable_content_type());
  ReadString(fields, "format", logic->mutable_format());
  ImportTypedValues(fields, "extra", "extra_type", logic->mutable_extra());
  ReadText(fields, "raw_body", logic->mutable_raw_body());
  Fields headers;
  if (ReadEmbeddedObject(fields, "extra_headers", &headers)) {
    for (const auto& [key, value] : headers.entries) {
      schema::KeyValue* header = logic->add_extra_headers();
      header->set_key(std::string(key));
      header->set_value(ScalarText(value));
    }
  }
  int64_t max_threads = 0;
  if (ReadInt64(fields, "max_threads", &max_threads)) {
    if (max_threads < 0 || max_threads > 100000) {
      PathScope scope(path_, "max_threads");
      Error(absl::StrCat("max_threads ", max_threads, " is out of range"));
    } else {
      logic->set_max_threads(static_cast<int32_t>(max_threads));
    }
  }
  bool flag = false;
  if (ReadBool(fields, "send_sys", &flag)) logic->set_send_sys(flag);
  if (ReadBool(fields, "debug_info", &flag)) logic->set_debug_info(flag);
  if (ReadBool(fields, "rfc_format", &flag)) logic->set_rfc_format(flag);
  if (ReadBool(fields, "customize_response", &flag)) {
    logic->set_customize_response(flag);
  }
  ReadString(fields, "api_secret_outer", logic->mutable_api_secret_outer());
  ReadString(fields, "cert_pem", logic->mutable_cert_pem());
  ImportTypedValues(fields, "response", "response_type",
                    logic->mutable_response());
  ReadLink(fields, "api", "err_node_id", /*required=*/false,
           logic->mutable_err_node_id());
}

void Importer::ImportApiCopy(const Fields& fields, schema::ApiCopy* logic) {
  std::string mode = "create";
  ReadString(fields, "mode", &mode);
  if (mode != "create" && mode != "modify") {
    PathScope scope(path_, "mode");
    Error(absl::StrCat("api_copy mode ", Quote(mode),
                       " is not \"create\" or \"modify\""));
  }
  logic->set_mode(mode);
  if (!ReadText(fields, "conv_id", logic->mutable_conv_id())) {
    Error("api_copy has no conv_id");
  }
  ReadText(fields, "ref", logic->mutable_ref());
  ReadString(fields, "group", logic->mutable_group());
  ImportTypedValues(fields, "data", "data_type", logic->mutable_data());
  bool is_sync = false;
  if (ReadBool(fields, "is_sync", &is_sync)) logic->set_is_sync(is_sync);
  ReadLink(fields, "api_copy", "err_node_id", /*required=*/false,
           logic->mutable_err_node_id());
}

void Importer::ImportApiRpc(const Fields& fields, schema::ApiRpc* logic) {
  if (!ReadText(fields, "conv_id", logic->mutable_conv_id())) {
    Error("api_rpc has no conv_id");
  }
  ReadString(fields, "group", logic->mutable_group());
  ImportTypedValues(fields, "extra", "extra_type", logic->mutable_extra());
  bool is_sync = true;
  ReadBool(fields, "is_sync", &is_sync);
  logic->set_is_sync(is_sync);
  ReadLink(fields, "api_rpc", "err_node_id", /*required=*/false,
           logic->mutable_err_node_id());
}

void Importer::ImportApiRpcReply(const Fields& fields,
                                 schema::ApiRpcReply* logic) {
  std::string mode = "key_value";
  ReadString(fields, "mode", &mode);
  if (mode != "key_value" && mode != "keys") {
    PathScope scope(path_, "mode");
    Error(absl::StrCat("api_rpc_reply mode ", Quote(mode),
                       " is not \"key_value\" or \"keys\""));
  }
  logic->set_mode(mode);
  simdjson::dom::array keys;
  auto res_data = fields.FindSet("res_data");
  if (mode == "keys" && res_data && res_data->is_array()) {
    ReadArray(fields, "res_data", &keys);
    // res_data_type, when given, still types the returned keys.
    simdjson::dom::object types;
    auto types_json = fields.FindSet("res_data_type");
    const bool typed = types_json && types_json->get_object().get(types) == simdjson::SUCCESS;
    for (element key : keys) {
      schema::TypedValue* entry = logic->add_res_data();
      entry->set_key(ScalarText(key));
      std::string_view type_name;
      schema::ValueType type;
      if (typed && types.at_key(entry->key()).get_string().get(type_name) == simdjson::SUCCESS &&
          ParseValueType(View(type_name), &type)) {
        entry->set_type(type);
      }
    }
  } else if (res_data) {
    ImportTypedValues(fields, "res_data", "res_data_type",
                      logic->mutable_res_data());
  } else {
    // Some exports name the reply map extra/extra_type.
    ImportTypedValues(fields, "extra", "extra_type",
                      logic->mutable_res_data());
  }
  bool flag = false;
  if (ReadBool(fields, "throw_exception", &flag)) {
    logic->set_throw_exception(flag);
  }
  ReadText(fields, "exception_reason", logic->mutable_exception_reason());
  ReadLink(fields, "api_rpc_reply", "err_node_id", /*required=*/false,
           logic->mutable_err_node_id());
}

void Importer::ImportApiGetTask(const Fields& fields,
                                schema::ApiGetTask* logic) {
  if (!ReadText(fields, "conv_id", logic->mutable_conv_id())) {
    Error("api_get_task has no conv_id");
  }
  if (!ReadText(fields, "node_id", logic->mutable_node_id())) {
    Error("api_get_task has no node_id");
  }
  std::string order = "ASC";
  ReadString(fields, "order_by", &order);
  order = absl::AsciiStrToUpper(order);
  if (order != "ASC" && order != "DESC") {
    PathScope scope(path_, "order_by");
    Error(absl::StrCat("order_by ", Quote(order), " is not ASC or DESC"));
  }
  logic->set_order_by(order);
  ReadLink(fields, "api_get_task", "err_node_id", /*required=*/false,
           logic->mutable_err_node_id());
}

void Importer::ImportUnsupported(const Fields& fields, element raw,
                                 absl::string_view type,
                                 schema::Unsupported* logic) {
  logic->set_type(std::string(type));
  logic->set_json(simdjson::minify(raw));
  // logic->type() outlives the pending links; `type` may not.
  ReadLink(fields, logic->type(), "to_node_id", /*required=*/false,
           logic->mutable_to_node_id());
  ReadLink(fields, logic->type(), "err_node_id", /*required=*/false,
           logic->mutable_err_node_id());
}

// ---------------------------------------------------------------------------
// Semaphores and stubs

void Importer::ImportSemaphore(const Fields& fields,
                               schema::Semaphore* semaphore) {
  std::string type;
  if (!ReadString(fields, "type", &type)) {
    if (!fields.FindSet("type")) Error("the semaphore has no type");
    return;
  }
  auto value = fields.FindSet("value");
  if (type == "time") {
    schema::TimeSemaphore* time = semaphore->mutable_time();
    ReadLink(fields, "time semaphore", "to_node_id", /*required=*/true,
             time->mutable_to_node_id());
    std::string dimension = "sec";
    ReadString(fields, "dimension", &dimension);
    static constexpr std::pair<absl::string_view, int> kDimensions[] = {
        {"sec", 1}, {"min", 60}, {"hour", 3600}, {"day", 86400}};
    int unit = 0;
    for (size_t i = 0; i < 4; ++i) {
      if (kDimensions[i].first == dimension) {
        time->set_dimension(static_cast<schema::TimeDimension>(i));
        unit = kDimensions[i].second;
      }
    }
    if (unit == 0) {
      PathScope scope(path_, "dimension");
      Error(absl::StrCat("dimension ", Quote(dimension),
                         " is not sec, min, hour or day"));
    }
    PathScope scope(path_, "value");
    if (!value) {
      Error("the time semaphore has no value");
      return;
    }
    double amount;
    std::string_view text;
    if (value->get_string().get(text) == simdjson::SUCCESS) {
      const absl::string_view trimmed = absl::StripAsciiWhitespace(View(text));
      if (IsTemplate(trimmed)) {
        time->set_absolute_template(std::string(trimmed));
        return;
      }
      if (!absl::SimpleAtod(trimmed, &amount) || !std::isfinite(amount)) {
        Error(absl::StrCat("time semaphore value ", Quote(View(text)),
                           " is neither a number nor a template"));
        return;
      }
    } else if (value->get_double().get(amount) != simdjson::SUCCESS) {
      Error(absl::StrCat("time semaphore value must be a number or a "
                         "template, not ",
                         TypeName(value->type())));
      return;
    }
    if (amount < 0) {
      Error(absl::StrCat("time semaphore value ", amount, " is negative"));
      return;
    }
    time->set_relative(amount);
    if (unit != 0 && amount * unit < kPlatformMinTimerSeconds) {
      Warning(absl::StrCat("a ", amount * unit,
                           " s timer: the platform refuses static timers "
                           "under 30 s; convey runs it as written"));
    }
  } else if (type == "count") {
    schema::CountSemaphore* count = semaphore->mutable_count();
    ReadLink(fields, "count semaphore", "esc_node_id", /*required=*/true,
             count->mutable_esc_node_id());
    int64_t threshold = 0;
    if (!value) {
      PathScope scope(path_, "value");
      Error("the count semaphore has no value");
    } else if (ReadInt64(fields, "value", &threshold)) {
      if (threshold < 1) {
        PathScope scope(path_, "value");
        Error(absl::StrCat("count semaphore value ", threshold,
                           " must be at least 1"));
      } else {
        count->set_value(threshold);
      }
    }
  } else {
    PathScope scope(path_, "type");
    Error(absl::StrCat("semaphore type ", Quote(type),
                       " is not \"time\" or \"count\""));
  }
}

void Importer::ImportStub(const Fields& condition, schema::Node* node) {
  Fields stub;
  if (!ReadObject(condition, "stub", &stub)) {
    Warning("a stub-mode node (obj_type 4) without condition.stub: the call "
            "gets no reply");
    return;
  }
  PathScope stub_scope(path_, "stub");
  simdjson::dom::array branches;
  if (!ReadArray(stub, "logics", &branches)) {
    if (!stub.FindSet("logics")) Error("condition.stub has no logics");
    return;
  }
  PathScope logics_scope(path_, "logics");
  size_t index = 0;
  for (element branch_json : branches) {
    PathScope scope(path_, index++);
    simdjson::dom::array steps;
    if (branch_json.get_array().get(steps) != simdjson::SUCCESS) {
      Error(absl::StrCat("a stub branch must be an array of logics, not ",
                         TypeName(branch_json.type())));
      continue;
    }
    schema::StubBranch* branch = node->add_stub();
    size_t step_index = 0;
    bool has_reply = false;
    for (element step_json : steps) {
      PathScope step_scope(path_, step_index++);
      Fields step;
      if (!AsObject(step_json, &step)) continue;
      std::string type;
      ReadString(step, "type", &type);
      if (type == "go_if_const") {
        ImportConditionList(step, branch->mutable_conditions());
      } else if (type == "api_rpc_reply") {
        ImportApiRpcReply(step, branch->mutable_reply());
        has_reply = true;
      } else {
        Error(absl::StrCat("a stub branch holds ", Quote(type),
                           "; only go_if_const and api_rpc_reply belong "
                           "there"));
      }
    }
    if (!has_reply) Error("the stub branch has no api_rpc_reply");
  }
}

}  // namespace

absl::string_view LogicTypeName(const schema::Logic& logic) {
  switch (logic.config_case()) {
    case schema::Logic::kGo:
      return "go";
    case schema::Logic::kGoIfConst:
      return "go_if_const";
    case schema::Logic::kSetParam:
      return "set_param";
    case schema::Logic::kApiSum:
      return "api_sum";
    case schema::Logic::kApi:
      return "api";
    case schema::Logic::kApiCopy:
      return "api_copy";
    case schema::Logic::kApiRpc:
      return "api_rpc";
    case schema::Logic::kApiRpcReply:
      return "api_rpc_reply";
    case schema::Logic::kApiCallback:
      return "api_callback";
    case schema::Logic::kApiQueue:
      return "api_queue";
    case schema::Logic::kApiGetTask:
      return "api_get_task";
    case schema::Logic::kUnsupported:
      return logic.unsupported().type();
    case schema::Logic::CONFIG_NOT_SET:
      break;
  }
  return "";
}

ImportResult::ImportResult(size_t input_size) {
  // One block sized from the input holds most schemes whole: the compiled
  // form is smaller than the JSON it came from.
  google::protobuf::ArenaOptions options;
  options.start_block_size =
      std::clamp<size_t>(input_size, size_t{4} << 10, size_t{64} << 20);
  options.max_block_size = std::max<size_t>(options.start_block_size, 8 << 20);
  arena_ = std::make_unique<google::protobuf::Arena>(options);
  scheme_ = google::protobuf::Arena::CreateMessage<schema::Scheme>(arena_.get());
}

ImportResult ImportScheme(absl::string_view file_name, absl::string_view json,
                          const ImportLimits& limits) {
  ImportResult result(json.size());
  Importer importer(file_name, limits, &result);
  importer.Run(json);
  return result;
}

}  // namespace internal
}  // namespace convey
