#include "runtime/serve/object_ops.h"

#include <openssl/rand.h>

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "convey/ops.h"
#include "runtime/base/status_macros.h"
#include "runtime/json/json_types.h"
#include "runtime/json/json_writer.h"
#include "runtime/ops/op_reply.h"
#include "simdjson.h"

namespace convey::serve {
namespace {

namespace dom = simdjson::dom;
using internal::AppendJsonString;
using internal::View;

std::string JsonString(absl::string_view text) {
  std::string out;
  AppendJsonString(&out, text);
  return out;
}

// An op's result with its id and obj echoed (as HandleOps echoes them).
class Result : public internal::OpReply {
 public:
  explicit Result(const dom::object& op) {
    dom::element id;
    if (op["id"].get(id) == simdjson::SUCCESS) set_id_json(CompactJson(id));
    std::string_view obj;
    if (op["obj"].get(obj) == simdjson::SUCCESS) set_obj(std::string(obj));
  }
  void Add(absl::string_view key, std::string json) { AddRaw(key, std::move(json)); }
  void Fail(absl::string_view description) { OpReply::Fail("error", "", description); }
  void Fail(const absl::Status& status) { Fail(status.message()); }
  std::string Json() const {
    internal::JsonWriter out;
    WriteTo(out);
    return out.Release();
  }
};

std::optional<int64_t> IntField(const dom::object& op, const char* key) {
  dom::element value;
  if (op[key].get(value) != simdjson::SUCCESS) return std::nullopt;
  int64_t number = 0;
  if (value.get(number) == simdjson::SUCCESS) return number;
  std::string_view text;
  if (value.get(text) == simdjson::SUCCESS && absl::SimpleAtoi(View(text), &number)) return number;
  return std::nullopt;
}

std::string StringField(const dom::object& op, const char* key) {
  std::string_view text;
  return op[key].get(text) == simdjson::SUCCESS ? std::string(text) : std::string();
}

// The members of a process or node that an op sets, as their export keeps
// them.
RawMembers ProcessChanges(const dom::object& op) {
  RawMembers changes;
  for (const char* key : {"title", "description", "folder_id", "conv_type", "status", "params"}) {
    dom::element value;
    if (op[key].get(value) != simdjson::SUCCESS) continue;
    std::string json = CompactJson(value);
    // The platform's old status word; the importer reads both.
    if (std::string_view(key) == "status" && json == "\"actived\"") json = "\"active\"";
    SetMember(&changes, key == std::string_view("folder_id") ? "parent_id" : key, std::move(json));
  }
  return changes;
}

RawMembers NodeChanges(const dom::object& op) {
  RawMembers changes;
  for (const char* key : {"obj_type", "title", "description"}) {
    dom::element value;
    if (op[key].get(value) == simdjson::SUCCESS) SetMember(&changes, key, CompactJson(value));
  }
  dom::array position;
  if (op["position"].get(position) == simdjson::SUCCESS && position.size() == 2) {
    SetMember(&changes, "x", CompactJson(position.at(0).value_unsafe()));
    SetMember(&changes, "y", CompactJson(position.at(1).value_unsafe()));
  }
  dom::element extra;
  if (op["extra"].get(extra) == simdjson::SUCCESS) {
    // The platform exports a node's extra as JSON in a string.
    std::string_view text;
    SetMember(
        &changes, "extra",
        extra.get(text) == simdjson::SUCCESS ? CompactJson(extra) : JsonString(CompactJson(extra)));
  }
  return changes;
}

}  // namespace

std::string Downloads::Add(std::string json, absl::Duration ttl) {
  unsigned char random[16];
  RAND_bytes(random, sizeof random);
  std::string name = "conv_";
  for (unsigned char byte : random) absl::StrAppend(&name, absl::Hex(byte, absl::kZeroPad2));
  name += ".json";
  std::lock_guard<std::mutex> lock(mutex_);
  const absl::Time now = absl::Now();
  absl::erase_if(files_, [now](const auto& entry) { return entry.second.expires < now; });
  files_[name] = File{std::move(json), now + ttl};
  return name;
}

bool Downloads::Get(absl::string_view name, std::string* json) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = files_.find(name);
  if (it == files_.end() || it->second.expires < absl::Now()) return false;
  *json = it->second.json;
  return true;
}

bool ObjectOps::MayHoldObjectOps(absl::string_view body) {
  for (absl::string_view word : {"\"conv\"", "\"node\"", "\"commit\"", "\"obj_scheme\""}) {
    if (absl::StrContains(body, word)) return true;
  }
  return false;
}

absl::StatusOr<std::vector<int64_t>> ObjectOps::Import(absl::string_view scheme_json,
                                                       absl::string_view file_name) {
  absl::StatusOr<DeployResult> deployed = engine_.Deploy(file_name, scheme_json);
  if (!deployed.ok()) return deployed.status();
  CONVEY_RETURN_IF_ERROR(catalog_.AddFile(scheme_json));
  return deployed->conv_ids;
}

std::string ObjectOps::ImportResult(absl::string_view scheme_json, absl::string_view file_name,
                                    const std::string& id_json) {
  std::string out = "{";
  if (!id_json.empty()) absl::StrAppend(&out, "\"id\":", id_json, ",");
  absl::StatusOr<std::vector<int64_t>> imported = Import(scheme_json, file_name);
  if (!imported.ok()) {
    return absl::StrCat(out, "\"proc\":\"error\",\"obj\":\"obj_scheme\",\"description\":",
                        JsonString(imported.status().message()), "}");
  }
  return absl::StrCat(out, "\"proc\":\"ok\",\"obj\":\"obj_scheme\",\"conv_ids\":[",
                      absl::StrJoin(*imported, ","), "]}");
}

std::string ObjectOps::Handle(absl::string_view body, absl::string_view download_base) {
  dom::parser parser;
  dom::element root;
  dom::array ops;
  // Anything HandleOps would call a format_error, it answers (running
  // nothing).
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS ||
      root["ops"].get(ops) != simdjson::SUCCESS || ops.size() == 0 || ops.size() > 10000) {
    return HandleOps(engine_, body);
  }
  std::vector<std::string> results;
  std::vector<std::string> task_ops;  // consecutive task ops, run together
  auto flush_tasks = [&] {
    if (task_ops.empty()) return;
    std::string request = "{\"ops\":[";
    for (size_t i = 0; i < task_ops.size(); ++i)
      absl::StrAppend(&request, i ? "," : "", task_ops[i]);
    request += "]}";
    const std::string reply = HandleOps(engine_, request);
    dom::parser reply_parser;
    dom::object answer;
    dom::array replies;
    const bool parsed = reply_parser.parse(reply).get(answer) == simdjson::SUCCESS;
    if (parsed && answer["ops"].get(replies) == simdjson::SUCCESS &&
        replies.size() == task_ops.size()) {
      for (dom::element one : replies) results.push_back(CompactJson(one));
    } else {
      // A format_error of the task ops alone (a key repeated with different
      // values): each gets it.
      std::string_view why = "the task ops could not be read";
      if (!parsed || answer["description"].get(why) != simdjson::SUCCESS) {
        why = "the task ops could not be read";
      }
      for (size_t i = 0; i < task_ops.size(); ++i) {
        results.push_back(
            absl::StrCat("{\"proc\":\"error\",\"description\":", JsonString(View(why)), "}"));
      }
    }
    task_ops.clear();
  };
  for (dom::element element : ops) {
    dom::object op;
    if (element.get(op) != simdjson::SUCCESS) {
      task_ops.push_back(CompactJson(element));  // HandleOps describes it
      continue;
    }
    const std::string type = StringField(op, "type");
    const std::string obj = StringField(op, "obj");
    if (obj != "conv" && obj != "node" && obj != "commit" && obj != "obj_scheme") {
      task_ops.push_back(CompactJson(element));
      continue;
    }
    flush_tasks();
    Result result(op);
    const std::optional<int64_t> conv_id =
        obj == "conv" || obj == "obj_scheme" ? IntField(op, "obj_id") : IntField(op, "conv_id");
    if (obj == "conv" && type == "create") {
      RawMembers members = ProcessChanges(op);
      if (GetMember(members, "title") == nullptr) {
        result.Fail("create conv needs a title");
      } else {
        if (GetMember(members, "conv_type") == nullptr)
          SetMember(&members, "conv_type", "\"process\"");
        if (GetMember(members, "status") == nullptr) SetMember(&members, "status", "\"active\"");
        const bool with_nodes = StringField(op, "create_mode") != "without_nodes";
        const int64_t id = catalog_.CreateProcess(std::move(members), with_nodes);
        result.Add("obj_id", absl::StrCat(id));
        const std::optional<int64_t> folder = IntField(op, "folder_id");
        result.Add("folder_id", absl::StrCat(folder.value_or(0)));
        const std::string hash = hash_of_(id);
        if (!hash.empty()) result.Add("hash", JsonString(hash));
      }
    } else if (obj == "conv" && (type == "modify" || type == "delete" || type == "restore")) {
      if (!conv_id) {
        result.Fail(absl::StrCat(type, " conv needs obj_id, the process id"));
      } else {
        absl::Status status = type == "modify"
                                  ? catalog_.ModifyProcess(*conv_id, ProcessChanges(op))
                              : type == "delete" ? catalog_.DeleteProcess(*conv_id)
                                                 : catalog_.RestoreProcess(*conv_id);
        if (!status.ok()) {
          result.Fail(status);
        } else {
          result.Add("obj_id", absl::StrCat(*conv_id));
          if (type == "restore") result.Add("parent_folder_id", "0");
        }
      }
    } else if (obj == "node") {
      const std::string node_id = StringField(op, "obj_id");
      dom::element version;
      if (op["version"].get(version) == simdjson::SUCCESS)
        result.Add("version", CompactJson(version));
      if (!conv_id) {
        result.Fail(absl::StrCat(type, " node needs conv_id"));
      } else if (type == "create") {
        absl::StatusOr<std::string> id = catalog_.CreateNode(*conv_id, NodeChanges(op));
        if (id.ok()) {
          result.Add("obj_id", JsonString(*id));
        } else {
          result.Fail(id.status());
        }
      } else if (type == "modify" || type == "delete" || type == "restore") {
        dom::element logics, semaphors;
        const std::string logics_json =
            op["logics"].get(logics) == simdjson::SUCCESS && logics.is_array() ? CompactJson(logics)
                                                                               : "";
        const std::string semaphors_json =
            op["semaphors"].get(semaphors) == simdjson::SUCCESS && semaphors.is_array()
                ? CompactJson(semaphors)
                : "";
        absl::Status status = type == "modify"
                                  ? catalog_.ModifyNode(*conv_id, node_id, NodeChanges(op),
                                                        logics_json, semaphors_json)
                              : type == "delete" ? catalog_.DeleteNode(*conv_id, node_id)
                                                 : catalog_.RestoreNode(*conv_id, node_id);
        if (status.ok()) {
          result.Add("conv_id", absl::StrCat(*conv_id));
          result.Add("obj_id", JsonString(node_id));
        } else {
          result.Fail(status);
        }
      } else {
        result.Fail(absl::StrCat("unknown type \"", type, "\" for obj node"));
      }
    } else if (obj == "commit") {
      dom::element version;
      if (op["version"].get(version) == simdjson::SUCCESS)
        result.Add("version", CompactJson(version));
      if (type != "confirm") {
        result.Fail("a commit is {\"type\":\"confirm\",\"obj\":\"commit\",\"conv_id\":...}");
      } else if (!conv_id) {
        result.Fail("confirm commit needs conv_id");
      } else if (absl::StatusOr<std::string> scheme = catalog_.Export(*conv_id); !scheme.ok()) {
        result.Fail(scheme.status());
      } else if (absl::StatusOr<DeployResult> deployed =
                     engine_.Deploy(absl::StrCat("conv_", *conv_id, ".json"), *scheme);
                 !deployed.ok()) {
        result.Fail(absl::StrCat("the process does not deploy: ", deployed.status().message()));
      } else {
        catalog_.MarkCommitted(*conv_id, *scheme);
        result.Add("conv_id", absl::StrCat(*conv_id));
      }
    } else if (obj == "obj_scheme" && type == "create") {
      dom::element scheme;
      if (op["scheme"].get(scheme) != simdjson::SUCCESS) {
        result.Fail(
            "create obj_scheme needs scheme: the export (or upload it: POST /api/2/upload)");
      } else {
        std::string_view text;
        const std::string json =
            scheme.get(text) == simdjson::SUCCESS ? std::string(text) : CompactJson(scheme);
        absl::StatusOr<std::vector<int64_t>> imported = Import(json, "upload.json");
        if (!imported.ok()) {
          result.Fail(imported.status());
        } else {
          result.Add("conv_ids", absl::StrCat("[", absl::StrJoin(*imported, ","), "]"));
        }
      }
    } else if (obj == "obj_scheme" && (type == "get" || type.empty())) {
      const std::string obj_type = StringField(op, "obj_type");
      bool async = false;
      dom::element async_value;
      if (op["async"].get(async_value) == simdjson::SUCCESS) {
        std::string_view text;
        async = async_value.is_bool()
                    ? async_value.get_bool().value_unsafe()
                    : (async_value.get(text) == simdjson::SUCCESS && text == "true");
      }
      if (!obj_type.empty() && obj_type != "conv") {
        result.Fail(absl::StrCat("obj_type \"", obj_type, "\" is not served: only conv"));
      } else if (!conv_id) {
        result.Fail("get obj_scheme needs obj_id, the process id");
      } else if (absl::StatusOr<std::string> scheme = catalog_.Export(*conv_id); !scheme.ok()) {
        result.Fail(scheme.status());
      } else if (async) {
        result.Add("download_url",
                   JsonString(absl::StrCat(download_base, "/api/2/download/user_downloads/",
                                           downloads_.Add(*std::move(scheme)))));
      } else {
        result.Add("scheme", *std::move(scheme));
      }
    } else {
      result.Fail(absl::StrCat("unknown type \"", type, "\" for obj ", obj));
    }
    results.push_back(result.Json());
  }
  flush_tasks();
  std::string out = "{\"request_proc\":\"ok\",\"ops\":[";
  for (size_t i = 0; i < results.size(); ++i) absl::StrAppend(&out, i ? "," : "", results[i]);
  return out + "]}";
}

}  // namespace convey::serve
