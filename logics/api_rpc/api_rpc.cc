#include "logics/api_rpc/api_rpc.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "logics/common/conditions.h"
#include "logics/common/reply.h"
#include "logics/common/target_process.h"
#include "logics/common/typed_values.h"
#include "runtime/template/template.h"
#include "simdjson.h"

namespace convey {
namespace logics {
namespace {

struct StubBranch {
  Conditions conditions;
  Reply reply;
};

class ApiRpc : public Logic {
 public:
  struct Config {
    bool all = false;  // group "all": this task's data goes too
    TargetProcess target;
    TypedValues extra;
    NodeHandle err_node;
    bool stub = false;
    std::vector<StubBranch> branches;
  };

  explicit ApiRpc(Config config) : c_(std::move(config)) {}

  LogicResult Run(TaskContext& task) const override {
    TaskValueSource source(task);
    TypedEntries entries;
    entries.reserve(c_.extra.size());
    absl::Status evaluated = c_.extra.Evaluate(source, &entries);
    if (!evaluated.ok()) return Software("rpc_task_wrong_convert_param", evaluated.message());
    std::string json;
    absl::Status built = c_.all ? BuildObject(task.data(), task.data_json(), entries, &json)
                                : BuildObject(entries, &json);
    if (!built.ok()) {
      return Software(built.code() == absl::StatusCode::kOutOfRange
                          ? "rpc_task_size_overflow"
                          : "rpc_task_wrong_convert_param",
                      built.message());
    }
    if (c_.stub) return RunStub(task, json);

    absl::StatusOr<int64_t> conv_id = c_.target.Resolve(source);
    if (!conv_id.ok()) {
      return Software(conv_id.status().code() == absl::StatusCode::kNotFound
                          ? "rpc_task_fatal_error"  // an @alias: no such process
                          : "rpc_task_wrong_convert_param",
                      conv_id.status().message());
    }
    absl::StatusOr<std::string> called = task.CallProcess(*conv_id, json);
    if (!called.ok()) {
      const absl::Status& status = called.status();
      switch (status.code()) {
        case absl::StatusCode::kNotFound:
          return Software("rpc_task_fatal_error",
                          absl::StrCat("process ", *conv_id, " is not deployed"));
        case absl::StatusCode::kResourceExhausted:  // calls nested too deep
          return Software("rpc_task_fatal_error", status.message());
        case absl::StatusCode::kInvalidArgument:
          return Software("rpc_task_size_overflow", status.message());
        case absl::StatusCode::kOutOfRange:  // max_tasks_per_tree, max_caused_tasks_per_process
          return Software("rpc_task_limit", status.message());
        default:
          return LogicResult::Fail(c_.err_node, true, "rpc_task_fatal_error",
                                   std::string(status.message()));
      }
    }
    return LogicResult::Park(ParkReason::kReply);
  }

  absl::string_view error_family() const override { return "rpc"; }
  NodeHandle error_node() const override { return c_.err_node; }

 private:
  LogicResult RunStub(TaskContext& task, const std::string& sent_json) const {
    simdjson::dom::parser sent_parser;
    simdjson::dom::element sent;
    if (sent_parser.parse(sent_json).get(sent) != simdjson::SUCCESS) {
      return Software("rpc_task_fatal_error", "stub mode: the data to send is not JSON");
    }
    internal::DocumentEnv env(sent, task.now());
    EnvValueSource source(env);
    const StubBranch* chosen = nullptr;
    for (const StubBranch& branch : c_.branches) {
      if (branch.conditions.Hold(source)) {
        chosen = &branch;
        break;
      }
    }
    if (chosen == nullptr) return Software("rpc_task_fatal_error", "no stub branch matched");

    std::string reply_json;
    absl::Status built = chosen->reply.Build(source, &reply_json);
    if (!built.ok()) {
      if (built.code() == absl::StatusCode::kOutOfRange) {
        return Software("rpc_task_size_overflow", built.message());
      }
      // The callee's api_rpc_reply would have failed on this conversion.
      LogicResult result = Software("rpc_reply_wrong_convert_param", built.message());
      result.family = "rpc_reply";
      return result;
    }
    const std::string reason = chosen->reply.Reason(source);

    simdjson::dom::parser reply_parser;
    simdjson::dom::object reply;
    if (reply_parser.parse(reply_json).get(reply) != simdjson::SUCCESS) {
      return Software("rpc_task_fatal_error", "stub mode: the reply is not a JSON object");
    }
    // A reply merges its top-level keys into the caller.
    for (simdjson::dom::key_value_pair field : reply) {
      absl::string_view key(field.key.data(), field.key.size());
      absl::Status status = task.Set(EscapeKey(key), internal::ValueFromElement(field.value));
      if (!status.ok()) {
        return Software("rpc_task_fatal_error",
                        absl::StrCat("stub reply key \"", key, "\": ", status.message()));
      }
    }
    absl::Status status = task.Set("__logic_stub_mode__", Value::Boolean(true));
    if (!chosen->reply.throw_exception()) {
      if (!status.ok()) return Software("rpc_task_fatal_error", status.message());
      return LogicResult::Next();
    }
    if (!c_.err_node.valid()) {
      // Nowhere to go: the task stops with the reply's error (writes are
      // dropped on Fail).
      LogicResult result = Software("rpc_reply_exception", reason);
      result.family = "rpc_reply";
      return result;
    }
    for (auto& [name, value] : {std::pair<const char*, std::string>{
                                    "__conveyor_rpc_reply_return_type_error__", "software"},
                                {"__conveyor_rpc_reply_return_type_tag__", "rpc_reply_exception"},
                                {"__conveyor_rpc_reply_return_description__", reason}}) {
      if (status.ok()) status = task.Set(name, Value::String(value));
    }
    if (!status.ok()) return Software("rpc_task_fatal_error", status.message());
    return LogicResult::GoTo(c_.err_node);
  }

  LogicResult Software(absl::string_view tag, absl::string_view description) const {
    return LogicResult::Fail(c_.err_node, false, std::string(tag), std::string(description));
  }

  Config c_;
};

class ApiRpcFactory : public LogicFactory {
 public:
  absl::string_view type() const override { return "api_rpc"; }
  absl::StatusOr<std::unique_ptr<Logic>> Create(const LogicSpec& spec,
                                                LogicBuilder& builder) const override {
    LogicConfig& reader = *spec.config;
    ApiRpc::Config config;
    config.stub = spec.node_kind == NodeKind::kStub;
    std::string conv_id;
    if (!reader.ReadText("conv_id", &conv_id)) reader.Error("", "api_rpc has no conv_id");
    std::string group;
    reader.ReadString("group", &group);
    config.all = group == "all";
    std::vector<TypedValueSpec> extra;
    reader.ReadTypedValues("extra", "extra_type", &extra);
    // Read for its type: the task waits for the reply either way.
    bool is_sync = true;
    reader.ReadBool("is_sync", &is_sync);
    reader.ReadLink("err_node_id", /*required=*/false, &config.err_node);

    // Compiled when read well; the stub branches are read either way.
    if (reader.error_count() == 0) {
      TypedValues::CompileObject(extra, "extra", "extra", reader, builder, &config.extra);
    }
    if (!config.stub) {
      if (reader.error_count() == 0) {
        absl::StatusOr<TargetProcess> target = TargetProcess::Compile(conv_id, builder);
        if (target.ok()) {
          config.target = *std::move(target);
        } else {
          reader.Error("conv_id", std::string(target.status().message()));
        }
      }
    } else {
      // A stub-mode node never calls: its conv_id is not compiled, nor
      // referenced. Each branch: the conditions of its go_if_const steps
      // (all must hold), then its reply. The importer reports steps of other
      // types and branches with no reply; such a branch is skipped here.
      for (const std::vector<LogicConfig*>& steps : spec.stub) {
        StubBranch branch;
        bool has_reply = false;
        for (LogicConfig* step : steps) {
          if (step->type() == "go_if_const") {
            branch.conditions.ReadList(*step, builder);
          } else if (step->type() == "api_rpc_reply") {
            absl::StatusOr<Reply> reply = Reply::Read(*step, "", builder);
            if (reply.ok()) {
              branch.reply = *std::move(reply);
              has_reply = true;
            }
          }
        }
        if (has_reply) config.branches.push_back(std::move(branch));
      }
    }
    if (reader.error_count() > 0) return reader.Failed();
    for (const std::vector<LogicConfig*>& steps : spec.stub) {
      for (const LogicConfig* step : steps) {
        if (step->error_count() > 0) return step->Failed();
      }
    }
    return std::unique_ptr<Logic>(new ApiRpc(std::move(config)));
  }
};

}  // namespace

std::unique_ptr<LogicFactory> NewApiRpcFactory() { return std::make_unique<ApiRpcFactory>(); }

}  // namespace logics
}  // namespace convey
