#include "logics/api_code/api_code.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "runtime/script/js_runner.h"

namespace convey {
namespace logics {
namespace {

using internal::ScriptOutcome;

class ApiCode : public Logic {
 public:
  ApiCode(std::shared_ptr<const internal::ScriptSource> script, NodeHandle err_node,
          const CodeLimits& limits)
      : script_(std::move(script)), err_node_(err_node), limits_(limits) {}

  LogicResult Run(TaskContext& task) const override {
    ScriptOutcome outcome = internal::RunScript(*script_, task.data_json(), limits_);
    switch (outcome.kind) {
      case ScriptOutcome::Kind::kOk:
        break;
      case ScriptOutcome::Kind::kError:
        return LogicResult::Fail(err_node_, false, "code_executing_error",
                                 std::move(outcome.message));
      case ScriptOutcome::Kind::kTimeout:
        return LogicResult::Fail(err_node_, true, "code_timeout", std::move(outcome.message));
      case ScriptOutcome::Kind::kOutOfMemory:
        return LogicResult::Fail(err_node_, true, "code_memory_limit", std::move(outcome.message));
      case ScriptOutcome::Kind::kReturnFormat:
        return LogicResult::Fail(err_node_, false, "code_return_format_error",
                                 std::move(outcome.message));
    }
    if (absl::Status status = task.ReplaceData(std::move(outcome.data_json)); !status.ok()) {
      return LogicResult::Fail(err_node_, false, "code_return_format_error",
                               std::string(status.message()));
    }
    return LogicResult::Next();
  }
  absl::string_view error_family() const override { return "code"; }
  NodeHandle error_node() const override { return err_node_; }

 private:
  std::shared_ptr<const internal::ScriptSource> script_;
  NodeHandle err_node_;
  CodeLimits limits_;
};

// `lang: "erl"`: no Erlang here; tasks leave by err_node_id.
class ErlangCode : public Logic {
 public:
  explicit ErlangCode(NodeHandle err_node) : err_node_(err_node) {}
  LogicResult Run(TaskContext&) const override {
    return LogicResult::Fail(err_node_, false, "logic_not_supported",
                             "Erlang Code nodes are not supported by convey");
  }
  absl::string_view error_family() const override { return "code"; }
  NodeHandle error_node() const override { return err_node_; }

 private:
  NodeHandle err_node_;
};

class ApiCodeFactory : public LogicFactory {
 public:
  absl::string_view type() const override { return "api_code"; }
  absl::StatusOr<std::unique_ptr<Logic>> Create(const LogicSpec& spec,
                                                LogicBuilder& builder) const override {
    LogicConfig& config = *spec.config;
    NodeHandle err_node;
    config.ReadLink("err_node_id", /*required=*/false, &err_node);
    std::string lang;
    config.ReadString("lang", &lang);
    // Exports write the source under `src`; some under `code`.
    std::string source;
    const char* field = "src";
    if (!config.ReadString("src", &source) && !config.Has("src")) {
      field = "code";
      config.ReadString("code", &source);
    }
    if (config.error_count() > 0) return config.Failed();
    if (lang == "erl" || lang == "erlang") {
      builder.Warn(
          "an Erlang Code node: tasks reaching it leave by its err_node_id with "
          "logic_not_supported");
      return std::unique_ptr<Logic>(new ErlangCode(err_node));
    }
    if (!lang.empty() && lang != "js" && lang != "javascript") {
      config.Error("lang", absl::StrCat("lang \"", lang, "\" is neither \"js\" nor \"erl\""));
      return config.Failed();
    }
    absl::StatusOr<std::shared_ptr<const internal::ScriptSource>> script =
        internal::ScriptSource::Check(source);
    if (!script.ok()) {
      config.Error(field, std::string(script.status().message()));
      return config.Failed();
    }
    return std::unique_ptr<Logic>(new ApiCode(*std::move(script), err_node, builder.code_limits()));
  }
};

}  // namespace

std::unique_ptr<LogicFactory> NewApiCodeFactory() { return std::make_unique<ApiCodeFactory>(); }

}  // namespace logics
}  // namespace convey
