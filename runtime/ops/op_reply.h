// One op's result in an ops reply (the ops protocol's, and API v2's object
// ops in runtime/serve): `id` echoed, `proc`, `obj`, then its fields.
#ifndef CONVEY_RUNTIME_OPS_OP_REPLY_H_
#define CONVEY_RUNTIME_OPS_OP_REPLY_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "runtime/json/json_writer.h"

namespace convey {
namespace internal {

// One op's result. Fields are collected as raw JSON because `proc` comes
// before them in the reply but is only known once the op has run.
class OpReply {
 public:
  void set_id_json(std::string json) { id_json_ = std::move(json); }
  void set_obj(std::string obj) { obj_ = std::move(obj); }

  // Marks the op failed with `proc` and a description; `key` names the field
  // at fault, if any. Returns false so that readers can `return Fail(...)`.
  bool Fail(absl::string_view proc, absl::string_view key, absl::string_view description) {
    proc_ = std::string(proc);
    fields_.clear();
    AddString("description", description);
    if (!key.empty()) AddString("key", key);
    return false;
  }

  void AddString(absl::string_view key, absl::string_view value) {
    std::string json;
    AppendJsonString(&json, value);
    AddRaw(key, std::move(json));
  }
  // An empty value is written as null (a task without ref, a start node).
  void AddStringOrNull(absl::string_view key, absl::string_view value) {
    if (value.empty()) {
      AddRaw(key, "null");
    } else {
      AddString(key, value);
    }
  }
  void AddRaw(absl::string_view key, std::string json) {
    fields_.emplace_back(std::string(key), std::move(json));
  }

  void WriteTo(JsonWriter& out) const {
    out.BeginObject();
    if (id_json_) out.Key("id").Raw(*id_json_);
    out.Key("proc").String(proc_);
    if (obj_) out.Key("obj").String(*obj_);
    for (const auto& [key, json] : fields_) out.Key(key).Raw(json);
    out.EndObject();
  }

 private:
  std::optional<std::string> id_json_;
  std::optional<std::string> obj_;
  std::string proc_{"ok"};
  std::vector<std::pair<std::string, std::string>> fields_;
};

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_OPS_OP_REPLY_H_
