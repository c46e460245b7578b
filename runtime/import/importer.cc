#include "runtime/import/importer.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "re2/re2.h"
#include "re2/set.h"
#include "runtime/base/quote.h"
#include "runtime/import/importer_impl.h"
#include "runtime/import/located_reader.h"
#include "runtime/import/scheme_locations.h"
#include "runtime/json/json_errors.h"
#include "runtime/json/json_types.h"
#include "simdjson.h"

namespace convey {
namespace internal {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr absl::string_view kUtf8Bom = "\xEF\xBB\xBF";

schema::ValueType SchemaValueType(Value::Type type) {
  switch (type) {
    case Value::Type::kNumber:
      return schema::VALUE_TYPE_NUMBER;
    case Value::Type::kBoolean:
      return schema::VALUE_TYPE_BOOLEAN;
    case Value::Type::kObject:
      return schema::VALUE_TYPE_OBJECT;
    case Value::Type::kArray:
      return schema::VALUE_TYPE_ARRAY;
    default:
      return schema::VALUE_TYPE_STRING;
  }
}

// Whether RE2 parses `pattern`, else why not (RE2's own message). Parsed
// only, not compiled: convey keeps a parameter's regex in the imported
// scheme and never runs it, and compiling a counted repetition such as
// `^.{1,255}$` took ~0.8 ms, as long as importing the rest of the corpus's
// 51 files. A set's Add parses with the options' flags and leaves
// compiling to Compile.
bool IsRegexSyntax(const std::string& pattern, std::string* error) {
  RE2::Options options;
  options.set_log_errors(false);
  RE2::Set parse_only(options, RE2::UNANCHORED);
  return parse_only.Add(pattern, error) >= 0;
}

}  // namespace

LocationRef Importer::SaveLocation() {
  const absl::string_view here = path().View();
  LocationRef ref{static_cast<uint32_t>(locations_.size()), static_cast<uint32_t>(here.size())};
  locations_.append(here.data(), here.size());
  return ref;
}

std::string Importer::Location(LocationRef ref) const {
  return locations_.substr(ref.offset, ref.size);
}

bool Importer::ReadLink(const Fields& fields, absl::string_view logic_type, absl::string_view key,
                        bool required, std::string* out) {
  std::string target;
  if (!ReadLinkTarget(fields, logic_type, key, required, &target)) return false;
  *out = std::move(target);
  links_.push_back(PendingLink{SaveLocation(), node_index_, logic_type, key, out});
  return true;
}

// ---------------------------------------------------------------------------
// Document structure

void Importer::Run(absl::string_view json) {
  if (absl::StartsWith(json, kUtf8Bom)) json.remove_prefix(kUtf8Bom.size());
  if (json.size() > limits_.max_file_size) {
    Error(absl::StrCat("the file is ", json.size(), " bytes, over the import limit of ",
                       limits_.max_file_size, " bytes"));
    return;
  }
  if (absl::StripAsciiWhitespace(json).empty()) {
    Error(
        "the file is empty: expected a JSON array of processes or a "
        "process object");
    return;
  }
  SetText(json);
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
  if (error != simdjson::SUCCESS) {
    Error(absl::StrCat("cannot allocate a parser for ", padded.size(),
                       " bytes: ", simdjson::error_message(error)));
    return;
  }
  element root;
  if ((error = parser.parse(padded).get(root))) {
    JsonErrorReport report = DescribeJsonError(padded, error, limits_.max_depth);
    Report(Diagnostic::Severity::kError, report.offset ? DescribeOffset(json, *report.offset) : "$",
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
      PathScope scope(path(), index++);
      Fields fields;
      if (!AsObject(item, &fields)) continue;
      int64_t obj_type = -1;
      if (!ReadInt64(fields, "obj_type", &obj_type)) {
        if (fields.FindSet("obj_type")) continue;  // wrong type, reported
        // Without obj_type, a scheme makes it a process.
        if (!fields.Find("scheme")) {
          Error(
              "element has neither obj_type nor scheme: not a process, "
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
          PathScope type_scope(path(), "obj_type");
          Error(absl::StrCat("obj_type ", obj_type,
                             " is not 0 (folder), 1 (process) or 2 "
                             "(dashboard)"));
        }
      }
    }
    if (index == 0) {
      Error("the array is empty: no process to load");
    } else if (result_.scheme().processes_size() == 0 && error_count() == 0) {
      // Deploy needs a process; inspect says so too.
      Error("the file holds no process: only folders or dashboards");
    }
    return;
  }
  Fields fields;
  if (root.type() != element_type::OBJECT) {
    Error(absl::StrCat("the document is ", JsonTypeName(root.type()),
                       "; expected an array of processes or a process "
                       "object"));
    return;
  }
  if (!AsObject(root, &fields)) return;
  int64_t obj_type = 1;
  if (ReadInt64(fields, "obj_type", &obj_type) && obj_type != 1) {
    PathScope scope(path(), "obj_type");
    Error(absl::StrCat("the document is an object with obj_type ", obj_type,
                       "; only a process (obj_type 1) can be loaded alone"));
    return;
  }
  if (!fields.Find("obj_type") && !fields.Find("scheme")) {
    Error(
        "the object has neither obj_type nor scheme: expected an array of processes or a "
        "process object");
    return;
  }
  const bool bare = !fields.Find("obj_type") && !fields.Find("obj_id") && !fields.Find("title");
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
  process->set_location(path().raw());
  links_.clear();
  locations_.clear();
  set_node_id("");

  int64_t conv_id = 0;
  const bool has_id = ReadInt64(fields, "obj_id", &conv_id);
  if (has_id && conv_id < 0) {
    PathScope scope(path(), "obj_id");
    Error(absl::StrCat("obj_id ", conv_id, " must be positive"));
  } else if (has_id && conv_id > 0) {
    if (!conv_ids_.insert(conv_id).second) {
      PathScope scope(path(), "obj_id");
      Error(absl::StrCat("process ", conv_id, " appears more than once in the file"));
    }
    process->set_conv_id(conv_id);
  } else if (has_id || !fields.FindSet("obj_id")) {
    // Absent, null or 0: never deployed (templates, hand-written files).
    process->set_synthetic_conv_id(true);
    synthetic_.push_back(process);
    Warning(bare_scheme ? "a bare {\"scheme\":...} object: the process gets a "
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
      PathScope scope(path(), "status");
      Warning(absl::StrCat("unknown status ", Quote(text), "; the process is treated as active"));
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
      PathScope scope(path(), "conv_type");
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
  PathScope scheme_scope(path(), "scheme");
  simdjson::dom::array nodes;
  if (!ReadArray(scheme, "nodes", &nodes)) {
    if (!scheme.FindSet("nodes")) Error("scheme has no nodes array");
    return;
  }
  PathScope nodes_scope(path(), "nodes");
  size_t index = 0;
  for (element node_json : nodes) {
    PathScope scope(path(), index++);
    node_index_ = process->nodes_size();
    schema::Node* node = process->add_nodes();
    Fields node_fields;
    if (AsObject(node_json, &node_fields)) {
      ImportNode(node_fields, node);
      CheckNodeRules(*node);
    }
    set_node_id("");
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
      Value::Type type;
      PathScope type_scope(path(), "type");
      if (ParseValueType(text, &type)) param->set_type(SchemaValueType(type));
    }
    ReadString(param_fields, "descr", param->mutable_description());
    ReadString(param_fields, "regex", param->mutable_regex());
    ReadString(param_fields, "regex_error_text", param->mutable_regex_error_text());
    std::string regex_error;
    if (!param->regex().empty() && !IsRegexSyntax(param->regex(), &regex_error)) {
      // A warning: the platform checks these with PCRE, which accepts what
      // RE2 does not (lookaround, backreferences), and convey never runs
      // them, so an export that holds one still loads.
      PathScope regex_scope(path(), "regex");
      Warning(absl::StrCat("regex ", Quote(param->regex()), " is not RE2 syntax (", regex_error,
                           "); convey keeps it and does not check parameters with it"));
    }
    simdjson::dom::array flags;
    if (ReadArray(param_fields, "flags", &flags)) {
      for (element flag : flags) param->add_flags(ScalarText(flag));
    }
  });
}

void Importer::FinishProcess(schema::Process* process) {
  set_node_id("");
  const std::string process_name = absl::StrCat("process ", process->conv_id());
  // Views of the nodes' own id strings, which outlive this function.
  absl::flat_hash_map<absl::string_view, int> node_index;
  std::vector<int> starts;
  for (int i = 0; i < process->nodes_size(); ++i) {
    const schema::Node& node = process->nodes(i);
    if (node.kind() == schema::NODE_KIND_START) starts.push_back(i);
    if (node.id().empty()) continue;  // named below
    auto [it, inserted] = node_index.emplace(node.id(), i);
    if (!inserted) {
      set_node_id(node.id());
      Report(Diagnostic::Severity::kError, NodeLocation(*process, i),
             absl::StrCat("duplicate node id ", Quote(node.id()), " (also at ",
                          NodeLocation(*process, it->second), ")"));
      set_node_id("");
    }
  }
  if (starts.empty()) {
    Error(absl::StrCat(process_name, " has no start node (obj_type 1)"));
  } else if (starts.size() > 1) {
    std::vector<std::string> where;
    for (int i : starts) where.push_back(NodeLocation(*process, i));
    Error(absl::StrCat(process_name, " has ", starts.size(), " start nodes (obj_type 1), at ",
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
  for (const PendingLink& link : links_) {
    if (node_index.contains(*link.target)) continue;
    set_node_id(process->nodes(link.node_index).id());
    Report(Diagnostic::Severity::kError, Location(link.location),
           absl::StrCat(link.logic_type, ".", link.key, " ", Quote(*link.target),
                        " names no node of ", process_name));
  }
  // Whether every node is reachable is known once the logics' links are
  // read, at deploy (CompileProcess).
  set_node_id("");
}

ImportResult::ImportResult(size_t input_size) {
  // One block sized from the input holds most schemes whole: the compiled
  // form is smaller than the JSON it came from.
  google::protobuf::ArenaOptions options;
  options.start_block_size = std::clamp<size_t>(input_size, size_t{4} << 10, size_t{64} << 20);
  options.max_block_size = std::max<size_t>(options.start_block_size, 8 << 20);
  arena_ = std::make_unique<google::protobuf::Arena>(options);
  scheme_ = google::protobuf::Arena::CreateMessage<schema::Scheme>(arena_.get());
}

ImportResult ImportScheme(absl::string_view file_name, absl::string_view json,
                          const ImportLimits& limits) {
  ImportResult result(json.size());
  Importer importer(file_name, limits, &result);
  importer.Run(json);
  result.has_errors = importer.error_count() > 0;
  result.dropped_diagnostics = importer.dropped();
  return result;
}

}  // namespace internal
}  // namespace convey
