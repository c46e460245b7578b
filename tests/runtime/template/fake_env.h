// A TemplateEnv over a JSON document given as text, with a settable clock,
// a scripted random source, and maps for root fields, node fields, state
// diagram tasks and stage variables. Records the arguments of the last
// NodeField / StateTask / EnvVar call.
#ifndef CONVEY_TESTS_RUNTIME_TEMPLATE_FAKE_ENV_H_
#define CONVEY_TESTS_RUNTIME_TEMPLATE_FAKE_ENV_H_

#include <deque>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "runtime/json/path.h"
#include "runtime/template/template.h"
#include "simdjson.h"

namespace convey {
namespace testing {

class FakeEnv : public internal::TemplateEnv {
 public:
  explicit FakeEnv(const std::string& json) : json_(json) {
    EXPECT_EQ(parser_.parse(json_).get(root_), simdjson::SUCCESS) << json_;
  }

  simdjson::dom::element data() override { return root_; }

  Value Root(absl::string_view field) override {
    auto it = root_fields.find(std::string(field));
    return it == root_fields.end() ? Value::Missing() : it->second;
  }

  Value NodeField(absl::string_view conv_id, absl::string_view node_id,
                  absl::string_view field) override {
    last_node_call = absl::StrCat(conv_id, "|", node_id, "|", field);
    auto it = node_fields.find(last_node_call);
    return it == node_fields.end() ? Value::Missing() : it->second;
  }

  Value StateTask(absl::string_view conv_id, absl::string_view ref,
                  const internal::Path& path) override {
    last_state_call = absl::StrCat(conv_id, "|", ref, "|", internal::PathToString(path));
    return Lookup(state_tasks, absl::StrCat(conv_id, "|", ref), path);
  }

  Value EnvVar(absl::string_view name, const internal::Path& path) override {
    last_env_var_call = absl::StrCat(name, "|", internal::PathToString(path));
    return Lookup(env_vars, std::string(name), path);
  }

  absl::Time Now() override { return now; }

  uint64_t Random() override {
    ++random_calls;
    if (randoms.empty()) return 0;
    uint64_t r = randoms.front();
    randoms.pop_front();
    return r;
  }

  // Public knobs.
  std::map<std::string, Value> root_fields;
  std::map<std::string, Value> node_fields;        // "conv|node|field"
  std::map<std::string, std::string> state_tasks;  // "conv|ref" -> JSON object
  std::map<std::string, std::string> env_vars;     // name -> JSON text
  absl::Time now = absl::FromUnixSeconds(0);
  std::deque<uint64_t> randoms;
  int random_calls = 0;
  std::string last_node_call;
  std::string last_state_call;
  std::string last_env_var_call;

 private:
  Value Lookup(const std::map<std::string, std::string>& table, const std::string& key,
               const internal::Path& path) {
    auto it = table.find(key);
    if (it == table.end()) return Value::Missing();
    simdjson::dom::parser parser;
    simdjson::dom::element element;
    EXPECT_EQ(parser.parse(it->second).get(element), simdjson::SUCCESS) << it->second;
    simdjson::dom::element found;
    if (!internal::FindPath(element, path, &found)) return Value::Missing();
    return internal::ValueFromElement(found);  // copies out of the parser
  }

  std::string json_;
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
};

// Compiles `text` (failing the test on error) and evaluates it in `env`.
inline Value Eval(const std::string& text, internal::TemplateEnv& env,
                  TemplateMode mode = TemplateMode::kValue) {
  absl::StatusOr<std::unique_ptr<Template>> compiled = Template::Compile(text, mode);
  EXPECT_TRUE(compiled.ok()) << text << ": " << compiled.status();
  if (!compiled.ok()) return Value::Missing();
  return (*compiled)->Evaluate(env);
}

// The compile error's message ("" when it compiled).
inline std::string CompileError(const std::string& text, TemplateMode mode = TemplateMode::kValue) {
  absl::StatusOr<std::unique_ptr<Template>> compiled = Template::Compile(text, mode);
  if (compiled.ok()) return "";
  EXPECT_EQ(compiled.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(compiled.status().message());
}

}  // namespace testing
}  // namespace convey

#endif  // CONVEY_TESTS_RUNTIME_TEMPLATE_FAKE_ENV_H_
