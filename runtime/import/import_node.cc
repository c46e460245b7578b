// A node of a process: its options, logics (kept whole, as text, for
// their factories), semaphores and stub branches, with the rules the
// platform checks on a node's logics.
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "runtime/base/quote.h"
#include "runtime/import/editor_layout.h"
#include "runtime/import/importer_impl.h"
#include "runtime/json/json_types.h"
#include "runtime/json/minify.h"
#include "runtime/json/repeated_keys.h"
#include "simdjson.h"

namespace convey {
namespace internal {
namespace {

using simdjson::dom::element;

// Platform deploy rule: static timers shorter than this are refused there.
constexpr double kPlatformMinTimerSeconds = 30;

}  // namespace

void Importer::ImportNode(const Fields& fields, schema::Node* node) {
  if (!ReadString(fields, "id", node->mutable_id())) {
    if (!fields.FindSet("id")) Error("the node has no id");
  } else if (node->id().empty()) {
    // Templates saved before deployment; FinishProcess names the node.
    PathScope scope(path(), "id");
    Warning("the node id is empty: it gets a synthetic id");
  }
  set_node_id(node->id());
  int64_t obj_type = 0;
  if (ReadInt64(fields, "obj_type", &obj_type)) {
    if (obj_type < 0 || obj_type > 4) {
      PathScope scope(path(), "obj_type");
      Error(absl::StrCat("node obj_type ", obj_type,
                         " is not 0 (normal), 1 (start), 2 (final), 3 "
                         "(escalation) or 4 (stub)"));
    } else {
      node->set_kind(static_cast<schema::NodeKind>(obj_type));
    }
  }
  ReadString(fields, "title", node->mutable_title());
  ReadString(fields, "description", node->mutable_description());
  double coordinate;
  if (ReadCoordinate(fields, "x", &coordinate)) node->set_x(coordinate);
  if (ReadCoordinate(fields, "y", &coordinate)) node->set_y(coordinate);
  ImportNodeOptions(fields, node);
  // `extra` holds editor settings only (icon, form mode): only the form
  // mode is kept, for pictures, but it must be one of the forms exports use.
  if (auto extra = fields.FindSet("extra"); extra && !extra->is_string() && !extra->is_object()) {
    PathScope scope(path(), "extra");
    Error(absl::StrCat("extra must be a string or an object, not ", JsonTypeName(extra->type())));
  } else if (extra) {
    if (std::optional<bool> collapsed = ReadCollapsed(*extra)) node->set_collapsed(*collapsed);
  }

  Fields condition;
  if (!ReadObject(fields, "condition", &condition)) return;
  PathScope condition_scope(path(), "condition");
  simdjson::dom::array logics;
  if (ReadArray(condition, "logics", &logics)) {
    PathScope logics_scope(path(), "logics");
    size_t index = 0;
    for (element logic_json : logics) {
      PathScope scope(path(), index++);
      Fields logic_fields;
      if (!AsObject(logic_json, &logic_fields)) continue;
      std::string type;
      if (!ReadString(logic_fields, "type", &type)) {
        if (!logic_fields.FindSet("type")) Error("the logic has no type");
        continue;
      }
      ImportLogic(logic_json, logic_fields, std::move(type), node->add_logics());
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
  PathScope scope(path(), "options");
  node->mutable_options()->set_json(Minify(raw));
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
    if (logic.type() != "go" && logic.type() != "go_if_const") ++actions;
  }
  if (actions > 1) {
    Warning(absl::StrCat("the node holds ", actions, " action logics; the platform allows one"));
  }
  if (node.logics_size() > 0 && node.logics().rbegin()->type() != "go") {
    Warning(
        "the node's logics do not end with a go; a task that no "
        "condition moves stays in the node");
  }
}

// ---------------------------------------------------------------------------
// Logics

namespace {

// Whether the object `json`, whose members AsObject put in `fields` (each
// key once), holds a key twice at any depth. Its own keys were compared
// there already: a repeat among them shows as fewer fields than members.
// simdjson counts members up to 2^24 - 1 only: a count there is not trusted.
bool HasRepeatedKeysIn(element json, const Fields& fields) {
  constexpr size_t kMaxCounted = 0xFFFFFF;
  const size_t members = json.get_object().value_unsafe().size();
  if (members == kMaxCounted || fields.entries.size() != members) return true;
  for (const auto& [key, value] : fields.entries) {
    if ((value.is_object() || value.is_array()) && HasRepeatedKeys(value)) return true;
  }
  return false;
}

}  // namespace

void Importer::ImportLogic(element json, const Fields& fields, std::string type,
                           schema::Logic* logic) {
  logic->set_type(std::move(type));
  // AsObject reported the logic's own repeated keys; the ones nested in it
  // are reported here, where the file's byte offsets are known, and the
  // kept text has them collapsed, so its factory reads one value per key.
  std::string text = Minify(json);
  if (HasRepeatedKeysIn(json, fields)) {
    ReportRepeatsUnder(path().raw());
    std::vector<RepeatedKey> repeats;
    std::string collapsed;
    if (FindRepeatedKeys(text, &repeats, &collapsed)) text = std::move(collapsed);
  }
  logic->set_json(std::move(text));
}

// ---------------------------------------------------------------------------
// Semaphores and stubs

void Importer::ImportSemaphore(const Fields& fields, schema::Semaphore* semaphore) {
  std::string type;
  if (!ReadString(fields, "type", &type)) {
    if (!fields.FindSet("type")) Error("the semaphore has no type");
    return;
  }
  auto value = fields.FindSet("value");
  if (type == "time") {
    schema::TimeSemaphore* time = semaphore->mutable_time();
    ReadLink(fields, "time semaphore", "to_node_id", /*required=*/true, time->mutable_to_node_id());
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
      PathScope scope(path(), "dimension");
      Error(absl::StrCat("dimension ", Quote(dimension), " is not sec, min, hour or day"));
    }
    PathScope scope(path(), "value");
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
      Error(
          absl::StrCat("time semaphore value must be a number or a "
                       "template, not ",
                       JsonTypeName(value->type())));
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
      PathScope scope(path(), "value");
      Error("the count semaphore has no value");
    } else if (ReadInt64(fields, "value", &threshold)) {
      if (threshold < 1) {
        PathScope scope(path(), "value");
        Error(absl::StrCat("count semaphore value ", threshold, " must be at least 1"));
      } else {
        count->set_value(threshold);
      }
    }
  } else {
    PathScope scope(path(), "type");
    Error(absl::StrCat("semaphore type ", Quote(type), " is not \"time\" or \"count\""));
  }
}

void Importer::ImportStub(const Fields& condition, schema::Node* node) {
  Fields stub;
  if (!ReadObject(condition, "stub", &stub)) {
    Warning(
        "a stub-mode node (obj_type 4) without condition.stub: the call "
        "gets no reply");
    return;
  }
  PathScope stub_scope(path(), "stub");
  simdjson::dom::array branches;
  if (!ReadArray(stub, "logics", &branches)) {
    if (!stub.FindSet("logics")) Error("condition.stub has no logics");
    return;
  }
  PathScope logics_scope(path(), "logics");
  size_t index = 0;
  for (element branch_json : branches) {
    PathScope scope(path(), index++);
    simdjson::dom::array steps;
    if (branch_json.get_array().get(steps) != simdjson::SUCCESS) {
      Error(absl::StrCat("a stub branch must be an array of logics, not ",
                         JsonTypeName(branch_json.type())));
      continue;
    }
    schema::StubBranch* branch = node->add_stub();
    size_t step_index = 0;
    bool has_reply = false;
    for (element step_json : steps) {
      PathScope step_scope(path(), step_index++);
      Fields step;
      if (!AsObject(step_json, &step)) continue;
      std::string type;
      ReadString(step, "type", &type);
      if (type == "go_if_const" || type == "api_rpc_reply") {
        has_reply = has_reply || type == "api_rpc_reply";
        ImportLogic(step_json, step, std::move(type), branch->add_logics());
      } else {
        Error(absl::StrCat("a stub branch holds ", Quote(type),
                           "; only go_if_const and api_rpc_reply belong "
                           "there"));
      }
    }
    if (!has_reply) Error("the stub branch has no api_rpc_reply");
  }
}

}  // namespace internal
}  // namespace convey
