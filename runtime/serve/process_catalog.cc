#include "runtime/serve/process_catalog.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "runtime/json/json_types.h"
#include "runtime/json/json_writer.h"

namespace convey::serve {
namespace {

namespace dom = simdjson::dom;
using internal::View;

bool IsProcess(dom::object object) {
  int64_t obj_type = -1;
  dom::element type;
  if (object["obj_type"].get(type) == simdjson::SUCCESS) {
    if (type.get(obj_type) != simdjson::SUCCESS) {
      std::string_view text;
      if (type.get(text) == simdjson::SUCCESS && text == "1") obj_type = 1;
    }
  }
  dom::element scheme;
  const bool has_scheme = object["scheme"].get(scheme) == simdjson::SUCCESS;
  return obj_type == 1 || (obj_type == -1 && has_scheme);
}

int64_t ConvIdOf(dom::object object) {
  dom::element id;
  if (object["obj_id"].get(id) != simdjson::SUCCESS) return 0;
  int64_t value = 0;
  if (id.get(value) == simdjson::SUCCESS) return value;
  std::string_view text;
  if (id.get(text) == simdjson::SUCCESS) {
    int64_t parsed = 0;
    if (absl::SimpleAtoi(View(text), &parsed)) return parsed;
  }
  return 0;
}

NodeDraft NodeFrom(dom::object node) {
  NodeDraft draft;
  for (dom::key_value_pair member : node) {
    const std::string key(member.key);
    if (key == "id") {
      std::string_view id;
      if (member.value.get(id) == simdjson::SUCCESS) draft.id = std::string(id);
    } else if (key == "condition") {
      dom::object condition;
      if (member.value.get(condition) != simdjson::SUCCESS) continue;
      for (dom::key_value_pair part : condition) {
        if (part.key == "logics") {
          draft.logics = CompactJson(part.value);
        } else if (part.key == "semaphors") {
          draft.semaphors = CompactJson(part.value);
        } else {
          SetMember(&draft.condition_members, View(part.key), CompactJson(part.value));
        }
      }
    } else {
      SetMember(&draft.members, key, CompactJson(member.value));
    }
  }
  return draft;
}

void WriteMembers(const RawMembers& members, std::string* out) {
  for (const auto& [key, json] : members) {
    out->push_back(',');
    internal::AppendJsonString(out, key);
    absl::StrAppend(out, ":", json);
  }
}

std::string Render(const ProcessDraft& process) {
  std::string out = absl::StrCat("{\"obj_type\":1,\"obj_id\":", process.conv_id);
  RawMembers members = process.members;
  members.erase(std::remove_if(members.begin(), members.end(),
                               [](const auto& m) { return m.first == "obj_type"; }),
                members.end());
  WriteMembers(members, &out);
  out += ",\"scheme\":{\"nodes\":[";
  bool first = true;
  for (const NodeDraft& node : process.nodes) {
    if (node.deleted) continue;
    if (!first) out.push_back(',');
    first = false;
    absl::StrAppend(&out, "{\"id\":\"", node.id, "\"");
    WriteMembers(node.members, &out);
    absl::StrAppend(&out, ",\"condition\":{\"logics\":", node.logics,
                    ",\"semaphors\":", node.semaphors);
    WriteMembers(node.condition_members, &out);
    out += "}}";
  }
  out += "]";
  WriteMembers(process.scheme_members, &out);
  out += "}}";
  return out;
}

}  // namespace

std::string CompactJson(const simdjson::dom::element& value) { return simdjson::to_string(value); }

void SetMember(RawMembers* members, absl::string_view key, std::string json) {
  for (auto& [name, value] : *members) {
    if (name == key) {
      value = std::move(json);
      return;
    }
  }
  members->emplace_back(std::string(key), std::move(json));
}

const std::string* GetMember(const RawMembers& members, absl::string_view key) {
  for (const auto& [name, value] : members) {
    if (name == key) return &value;
  }
  return nullptr;
}

RawMembers MembersOf(dom::object object) {
  RawMembers members;
  for (dom::key_value_pair member : object)
    SetMember(&members, View(member.key), CompactJson(member.value));
  return members;
}

absl::Status ProcessCatalog::AddFile(absl::string_view json) {
  dom::parser parser;
  dom::element root;
  if (auto error = parser.parse(json.data(), json.size()).get(root)) {
    return absl::InvalidArgumentError(
        absl::StrCat("not valid JSON: ", simdjson::error_message(error)));
  }
  std::vector<dom::object> processes;
  dom::array array;
  dom::object object;
  if (root.get(array) == simdjson::SUCCESS) {
    for (dom::element element : array) {
      if (element.get(object) == simdjson::SUCCESS && IsProcess(object))
        processes.push_back(object);
    }
  } else if (root.get(object) == simdjson::SUCCESS && IsProcess(object)) {
    processes.push_back(object);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  for (dom::object process : processes) {
    ProcessDraft draft;
    draft.conv_id = ConvIdOf(process);
    if (draft.conv_id <= 0) continue;  // the importer gives it a synthetic id: not addressable
    draft.committed = true;
    for (dom::key_value_pair member : process) {
      if (member.key == "obj_id") continue;
      if (member.key != "scheme") {
        SetMember(&draft.members, View(member.key), CompactJson(member.value));
        continue;
      }
      dom::object scheme;
      if (member.value.get(scheme) != simdjson::SUCCESS) continue;
      for (dom::key_value_pair part : scheme) {
        dom::array nodes;
        if (part.key == "nodes" && part.value.get(nodes) == simdjson::SUCCESS) {
          for (dom::element node : nodes) {
            dom::object node_object;
            if (node.get(node_object) == simdjson::SUCCESS) {
              draft.nodes.push_back(NodeFrom(node_object));
            }
          }
        } else if (part.key != "nodes") {
          SetMember(&draft.scheme_members, View(part.key), CompactJson(part.value));
        }
      }
    }
    draft.committed_json = Render(draft);
    processes_[draft.conv_id] = std::move(draft);
  }
  return absl::OkStatus();
}

ProcessDraft* ProcessCatalog::Find(int64_t conv_id) {
  auto it = processes_.find(conv_id);
  return it == processes_.end() ? nullptr : &it->second;
}

const ProcessDraft* ProcessCatalog::Find(int64_t conv_id) const {
  auto it = processes_.find(conv_id);
  return it == processes_.end() ? nullptr : &it->second;
}

absl::StatusOr<ProcessDraft*> ProcessCatalog::Live(int64_t conv_id) {
  ProcessDraft* process = Find(conv_id);
  if (process == nullptr)
    return absl::NotFoundError(absl::StrCat("process ", conv_id, " does not exist"));
  if (process->deleted) {
    return absl::NotFoundError(absl::StrCat("process ", conv_id, " is deleted (restore it first)"));
  }
  return process;
}

std::string ProcessCatalog::NewNodeId() {
  // Like the platform's (Mongo ObjectId-shaped) ids: seconds, then a
  // counter; unique within this server.
  return absl::StrFormat("%08x%016x", static_cast<uint32_t>(absl::ToUnixSeconds(absl::Now())),
                         ++node_counter_);
}

int64_t ProcessCatalog::CreateProcess(RawMembers members, bool with_nodes) {
  std::lock_guard<std::mutex> lock(mutex_);
  const int64_t conv_id =
      processes_.empty() ? 1000 : std::max<int64_t>(1000, processes_.rbegin()->first + 1);
  ProcessDraft& draft = processes_[conv_id];
  draft.conv_id = conv_id;
  draft.members = std::move(members);
  if (with_nodes) {
    // As the platform's editor starts a process: Start -> Final.
    NodeDraft start, final_node;
    start.id = NewNodeId();
    final_node.id = NewNodeId();
    start.members = {{"obj_type", "1"},
                     {"title", "\"Start\""},
                     {"description", "\"\""},
                     {"x", "600"},
                     {"y", "100"},
                     {"extra", R"("{\"modeForm\":\"collapse\",\"icon\":\"\"}")"}};
    start.logics = absl::StrCat(R"([{"type":"go","to_node_id":")", final_node.id, R"("}])");
    final_node.members = {{"obj_type", "2"},
                          {"title", "\"Final\""},
                          {"description", "\"\""},
                          {"x", "600"},
                          {"y", "400"},
                          {"extra", R"("{\"modeForm\":\"collapse\",\"icon\":\"success\"}")"}};
    draft.nodes.push_back(std::move(start));
    draft.nodes.push_back(std::move(final_node));
  }
  return conv_id;
}

absl::Status ProcessCatalog::ModifyProcess(int64_t conv_id, const RawMembers& changes) {
  std::lock_guard<std::mutex> lock(mutex_);
  absl::StatusOr<ProcessDraft*> process = Live(conv_id);
  if (!process.ok()) return process.status();
  for (const auto& [key, json] : changes) SetMember(&(*process)->members, key, json);
  return absl::OkStatus();
}

absl::Status ProcessCatalog::DeleteProcess(int64_t conv_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  absl::StatusOr<ProcessDraft*> process = Live(conv_id);
  if (!process.ok()) return process.status();
  (*process)->deleted = true;
  return absl::OkStatus();
}

absl::Status ProcessCatalog::RestoreProcess(int64_t conv_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  ProcessDraft* process = Find(conv_id);
  if (process == nullptr || !process->deleted) {
    return absl::NotFoundError("Deleted object with id does not exist");
  }
  process->deleted = false;
  return absl::OkStatus();
}

bool ProcessCatalog::IsDeleted(int64_t conv_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const ProcessDraft* process = Find(conv_id);
  return process != nullptr && process->deleted;
}

bool ProcessCatalog::Knows(int64_t conv_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return Find(conv_id) != nullptr;
}

absl::StatusOr<std::string> ProcessCatalog::CreateNode(int64_t conv_id, RawMembers members) {
  std::lock_guard<std::mutex> lock(mutex_);
  absl::StatusOr<ProcessDraft*> process = Live(conv_id);
  if (!process.ok()) return process.status();
  NodeDraft node;
  node.id = NewNodeId();
  node.members = std::move(members);
  (*process)->nodes.push_back(std::move(node));
  return (*process)->nodes.back().id;
}

absl::Status ProcessCatalog::ModifyNode(int64_t conv_id, absl::string_view node_id,
                                        const RawMembers& changes, absl::string_view logics,
                                        absl::string_view semaphors) {
  std::lock_guard<std::mutex> lock(mutex_);
  absl::StatusOr<ProcessDraft*> process = Live(conv_id);
  if (!process.ok()) return process.status();
  for (NodeDraft& node : (*process)->nodes) {
    if (node.id != node_id || node.deleted) continue;
    for (const auto& [key, json] : changes) SetMember(&node.members, key, json);
    if (!logics.empty()) node.logics = std::string(logics);
    if (!semaphors.empty()) node.semaphors = std::string(semaphors);
    return absl::OkStatus();
  }
  return absl::NotFoundError(
      absl::StrCat("node ", node_id, " does not exist in process ", conv_id));
}

absl::Status ProcessCatalog::DeleteNode(int64_t conv_id, absl::string_view node_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  absl::StatusOr<ProcessDraft*> process = Live(conv_id);
  if (!process.ok()) return process.status();
  for (NodeDraft& node : (*process)->nodes) {
    if (node.id == node_id && !node.deleted) {
      node.deleted = true;
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError(
      absl::StrCat("node ", node_id, " does not exist in process ", conv_id));
}

absl::Status ProcessCatalog::RestoreNode(int64_t conv_id, absl::string_view node_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  absl::StatusOr<ProcessDraft*> process = Live(conv_id);
  if (!process.ok()) return process.status();
  for (NodeDraft& node : (*process)->nodes) {
    if (node.id == node_id && node.deleted) {
      node.deleted = false;
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError("Deleted object with id does not exist");
}

absl::StatusOr<std::string> ProcessCatalog::Export(int64_t conv_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const ProcessDraft* process = Find(conv_id);
  if (process == nullptr || process->deleted) {
    return absl::NotFoundError(absl::StrCat("process ", conv_id, " does not exist"));
  }
  return absl::StrCat("[", Render(*process), "]");
}

void ProcessCatalog::MarkCommitted(int64_t conv_id, std::string exported) {
  std::lock_guard<std::mutex> lock(mutex_);
  ProcessDraft* process = Find(conv_id);
  if (process == nullptr) return;
  process->committed = true;
  // Export's "[...]" without the brackets.
  if (exported.size() >= 2 && exported.front() == '[' && exported.back() == ']') {
    exported = exported.substr(1, exported.size() - 2);
  }
  process->committed_json = std::move(exported);
}

absl::StatusOr<std::string> ProcessCatalog::CommittedExport(int64_t conv_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const ProcessDraft* process = Find(conv_id);
  if (process == nullptr || process->committed_json.empty()) {
    return absl::NotFoundError(absl::StrCat("process ", conv_id, " has no committed version here"));
  }
  return absl::StrCat("[", process->committed_json, "]");
}

}  // namespace convey::serve
