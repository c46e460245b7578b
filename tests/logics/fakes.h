// A fake LogicBuilder and TaskContext for testing logics on their own: the
// builder knows nodes "a" (0), "b" (1), "err" (2) and records sums and
// referenced processes; the task reads a JSON document, records its writes
// and every call to the other-task services, which answer with scripted
// results; HTTP requests are recorded, and `http_result` plays the answer
// of a resumed run.
#ifndef CONVEY_TESTS_LOGICS_FAKES_H_
#define CONVEY_TESTS_LOGICS_FAKES_H_

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "convey/http.h"
#include "convey/logic.h"
#include "runtime/import/logic_config.h"
#include "runtime/template/template.h"
#include "simdjson.h"
#include "tests/runtime/template/fake_env.h"

namespace convey {
namespace testing {

class FakeBuilder : public LogicBuilder {
 public:
  FakeBuilder() = default;
  // The nodes of a real process, by position (corpus tests).
  explicit FakeBuilder(std::vector<std::string> node_ids) : node_ids_(std::move(node_ids)) {}

  absl::StatusOr<NodeHandle> Node(absl::string_view id) override {
    if (id.empty()) return NodeHandle{};
    for (uint32_t i = 0; i < node_ids_.size(); ++i) {
      if (id == node_ids_[i]) return NodeHandle{i};
    }
    return absl::InvalidArgumentError(absl::StrCat("node \"", id, "\" is not a node"));
  }
  absl::StatusOr<const Template*> CompileTemplate(absl::string_view text,
                                                  TemplateMode mode) override {
    auto compiled = Template::Compile(text, mode);
    if (!compiled.ok()) return compiled.status();
    templates.push_back(*std::move(compiled));
    return templates.back().get();
  }
  SumHandle DeclareSum(absl::string_view id, absl::string_view name) override {
    sums.push_back(absl::StrCat(id, "/", name));
    return SumHandle{static_cast<uint32_t>(sums.size() - 1)};
  }
  void ReferenceProcess(int64_t conv_id) override { referenced.push_back(conv_id); }
  void Warn(std::string message) override {
    Diagnostic warning;
    warning.severity = Diagnostic::Severity::kWarning;
    warning.location = "logic";
    warning.message = std::move(message);
    diagnostics.push_back(std::move(warning));
  }
  void DeclareQueue() override { ++queues; }

  std::vector<std::unique_ptr<Template>> templates;
  std::vector<std::string> sums;
  std::vector<int64_t> referenced;
  int queues = 0;
  // What the configs and Warn reported, errors and warnings.
  std::vector<Diagnostic> diagnostics;
  std::deque<std::string> locations;  // backing the configs' locations

 private:
  std::vector<std::string> node_ids_ = {"a", "b", "err"};
};

// One call to a TaskContext service, as the fake saw it.
struct ServiceCall {
  int64_t conv_id = 0;
  std::string ref;      // StartTask, ModifyTask
  std::string node_id;  // TakeQueued
  std::string json;     // the data sent
  bool flag = false;    // ModifyTask: only_if_waiting; Reply: exception;
                        // TakeQueued: newest
  std::string reason;   // Reply
};

inline ServiceCall Call(int64_t conv_id, absl::string_view ref, absl::string_view node_id,
                        absl::string_view json, bool flag = false, absl::string_view reason = {}) {
  ServiceCall call;
  call.conv_id = conv_id;
  call.ref = std::string(ref);
  call.node_id = std::string(node_id);
  call.json = std::string(json);
  call.flag = flag;
  call.reason = std::string(reason);
  return call;
}

class FakeTask : public TaskContext {
 public:
  explicit FakeTask(const std::string& json) : env(json), json_(json) {}
  int64_t conv_id() const override { return conv_id_value; }
  absl::string_view obj_id() const override { return obj_id_value; }
  absl::string_view ref() const override { return ref_value; }
  absl::string_view node_id() const override { return node_id_value; }
  absl::Time now() const override { return env.now; }
  absl::string_view data_json() override { return json_; }
  simdjson::dom::element data() override { return env.data(); }
  Value Evaluate(const Template& compiled) override { return compiled.Evaluate(env); }
  absl::Status Set(absl::string_view path, Value value) override {
    writes.push_back(absl::StrCat(path, "=", value.ToJson()));
    return absl::OkStatus();
  }
  bool AddToSum(SumHandle sum, double amount) override {
    if (!std::isfinite(amount)) return false;
    adds.push_back(absl::StrCat(sum.index, "+", amount));
    return true;
  }

  absl::StatusOr<std::string> StartTask(int64_t conv_id, absl::string_view ref,
                                        absl::string_view data_json) override {
    started.push_back(Call(conv_id, ref, {}, data_json));
    return start_result;
  }
  absl::Status ModifyTask(int64_t conv_id, absl::string_view ref, absl::string_view data_json,
                          bool only_if_waiting) override {
    modified.push_back(Call(conv_id, ref, {}, data_json, only_if_waiting));
    return modify_result;
  }
  absl::StatusOr<std::string> CallProcess(int64_t conv_id, absl::string_view data_json) override {
    called.push_back(Call(conv_id, {}, {}, data_json));
    return call_result;
  }
  bool Reply(absl::string_view data_json, bool exception, absl::string_view reason) override {
    replies.push_back(Call(0, {}, {}, data_json, exception, reason));
    return reply_result;
  }
  void EnterQueue(std::string extra_json) override { queued.push_back(std::move(extra_json)); }
  absl::StatusOr<QueuedTask> TakeQueued(int64_t conv_id, absl::string_view node_id,
                                        bool newest) override {
    taken.push_back(Call(conv_id, {}, node_id, {}, newest));
    return take_result;
  }
  void SendHttp(HttpRequest request, int max_in_flight) override {
    http_sent.push_back(std::move(request));
    http_max_in_flight.push_back(max_in_flight);
  }
  const absl::StatusOr<HttpResponse>* HttpResult() override {
    return http_result.has_value() ? &*http_result : nullptr;
  }
  absl::Status ReplaceData(std::string data_json) override {
    replaced_data = std::move(data_json);
    return absl::OkStatus();
  }
  std::string replaced_data;

  FakeEnv env;
  int64_t conv_id_value = 1;
  std::string obj_id_value = "000000000000000000000001";
  std::string ref_value;
  std::string node_id_value = "a";

  // Recorded.
  std::vector<std::string> writes;  // "path=json"
  std::vector<std::string> adds;
  std::vector<ServiceCall> started;
  std::vector<ServiceCall> modified;
  std::vector<ServiceCall> called;
  std::vector<ServiceCall> replies;
  std::vector<std::string> queued;
  std::vector<ServiceCall> taken;
  std::vector<HttpRequest> http_sent;
  std::vector<int> http_max_in_flight;

  // Scripted results.
  absl::StatusOr<std::string> start_result = std::string("00000000000000000000000a");
  absl::Status modify_result;
  absl::StatusOr<std::string> call_result = std::string("00000000000000000000000b");
  bool reply_result = true;
  absl::StatusOr<QueuedTask> take_result = absl::OutOfRangeError("the queue is empty");
  // Set: the logic runs as resumed by this HTTP answer.
  std::optional<absl::StatusOr<HttpResponse>> http_result;

 private:
  std::string json_;
};

// Compiles the logic object `logic_json` (its `type` picks the built-in
// factory) in a node of `kind`; `stub` holds a stub-mode node's branches,
// each a list of logic objects. A deploy error is InvalidArgument listing
// the reported diagnostics ("LOCATION: MESSAGE" per line), or the factory's
// own status when it reported none.
inline absl::StatusOr<std::unique_ptr<Logic>> Build(
    absl::string_view logic_json, FakeBuilder& builder, NodeKind kind = NodeKind::kNormal,
    const std::vector<std::vector<std::string>>& stub = {}) {
  static LogicRegistry* registry = [] {
    auto* r = new LogicRegistry();
    if (!RegisterBuiltinLogics(*r).ok()) std::abort();
    return r;
  }();
  // The type, read the way the importer reads it.
  simdjson::dom::parser parser;
  std::string_view type_view;
  if (parser.parse(logic_json.data(), logic_json.size()).get_object()["type"].get(type_view) !=
      simdjson::SUCCESS) {
    return absl::InvalidArgumentError("the test's logic object has no string type");
  }
  const std::string type(type_view);
  std::vector<Diagnostic>& diagnostics = builder.diagnostics;
  auto config_of = [&](absl::string_view json, absl::string_view logic_type,
                       std::string location) -> absl::StatusOr<std::unique_ptr<LogicConfig>> {
    builder.locations.push_back(std::move(location));
    return internal::NewLogicConfig({"test.json", logic_type, json, builder.locations.back(), "n"},
                                    &builder, &diagnostics);
  };
  absl::StatusOr<std::unique_ptr<LogicConfig>> config = config_of(logic_json, type, "logic");
  if (!config.ok()) return config.status();
  std::vector<std::unique_ptr<LogicConfig>> stub_configs;
  LogicSpec spec;
  spec.type = type;
  spec.node_id = "n";
  spec.config = config->get();
  spec.node_kind = kind;
  for (size_t i = 0; i < stub.size(); ++i) {
    spec.stub.emplace_back();
    for (size_t j = 0; j < stub[i].size(); ++j) {
      simdjson::dom::parser step_parser;
      std::string_view step_type;
      if (step_parser.parse(stub[i][j]).get_object()["type"].get(step_type) != simdjson::SUCCESS) {
        step_type = {};
      }
      absl::StatusOr<std::unique_ptr<LogicConfig>> step =
          config_of(stub[i][j], std::string(step_type), absl::StrCat("stub[", i, "][", j, "]"));
      if (!step.ok()) return step.status();
      spec.stub.back().push_back(step->get());
      stub_configs.push_back(*std::move(step));
    }
  }
  const LogicFactory* factory = registry->Find(spec.type);
  if (factory == nullptr) return absl::NotFoundError(absl::StrCat("no factory ", spec.type));
  const size_t first = diagnostics.size();
  absl::StatusOr<std::unique_ptr<Logic>> created = factory->Create(spec, builder);
  std::vector<std::string> errors;
  for (size_t i = first; i < diagnostics.size(); ++i) {
    if (diagnostics[i].is_error()) {
      errors.push_back(absl::StrCat(diagnostics[i].location, ": ", diagnostics[i].message));
    }
  }
  if (!created.ok() && !errors.empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  }
  if (created.ok() && !errors.empty()) {
    return absl::InternalError(
        absl::StrCat("the factory reported errors yet succeeded: ", absl::StrJoin(errors, "\n")));
  }
  return created;
}

// The warnings reported while building, as "LOCATION: MESSAGE".
inline std::vector<std::string> Warnings(const FakeBuilder& builder) {
  std::vector<std::string> warnings;
  for (const Diagnostic& diagnostic : builder.diagnostics) {
    if (!diagnostic.is_error()) {
      warnings.push_back(absl::StrCat(diagnostic.location, ": ", diagnostic.message));
    }
  }
  return warnings;
}

}  // namespace testing
}  // namespace convey

#endif  // CONVEY_TESTS_LOGICS_FAKES_H_
