// Helpers for the tests of one logic type (tests/logics/<type>/): logic
// objects written as JSON, building them with testing::Build (fakes.h) and
// checking deploy errors and failures.
#ifndef CONVEY_TESTS_LOGICS_LOGIC_TESTING_H_
#define CONVEY_TESTS_LOGICS_LOGIC_TESTING_H_

#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "convey/logic.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/logics/fakes.h"
#include "tests/support/status_matchers.h"

namespace convey {
namespace testing {

// key, value, type name of a typed map (`extra` + `extra_type`, ...).
using Items = std::vector<std::tuple<std::string, std::string, std::string>>;
inline constexpr char kString[] = "string";
inline constexpr char kNumber[] = "number";
inline constexpr char kObject[] = "object";
inline constexpr char kBoolean[] = "boolean";

// A stub-mode node's branches, each a list of logic objects.
using Stub = std::vector<std::vector<std::string>>;

// `text` as a JSON string.
inline std::string Json(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

// The members `"<values_key>":{...},"<types_key>":{...}` of a typed map.
inline std::string Typed(const std::string& values_key, const std::string& types_key,
                         const Items& items) {
  std::string values;
  std::string types;
  for (const auto& [key, value, type] : items) {
    absl::StrAppend(&values, values.empty() ? "" : ",", Json(key), ":", Json(value));
    absl::StrAppend(&types, types.empty() ? "" : ",", Json(key), ":", Json(type));
  }
  return absl::StrCat(Json(values_key), ":{", values, "},", Json(types_key), ":{", types, "}");
}

// Builds `config`, failing the test (with the status) when it does not
// compile.
inline std::unique_ptr<Logic> MustBuild(const std::string& config, FakeBuilder& builder,
                                        NodeKind kind = NodeKind::kNormal, const Stub& stub = {}) {
  absl::StatusOr<std::unique_ptr<Logic>> logic = Build(config, builder, kind, stub);
  EXPECT_THAT(logic, IsOk()) << config;
  return logic.ok() ? *std::move(logic) : nullptr;
}

// The deploy error: "LOCATION: MESSAGE" per reported error.
inline std::string DeployError(const std::string& config, NodeKind kind = NodeKind::kNormal,
                               const Stub& stub = {}) {
  FakeBuilder builder;
  absl::StatusOr<std::unique_ptr<Logic>> logic = Build(config, builder, kind, stub);
  EXPECT_THAT(logic, ::testing::Not(IsOk())) << config;
  return logic.ok() ? "" : std::string(logic.status().message());
}

// A failure to node `node` ("err" by default) with `tag` and a description
// containing `description_part`.
inline void ExpectFail(const LogicResult& result, bool hardware, const std::string& tag,
                       const std::string& description_part, uint32_t node = 2) {
  EXPECT_EQ(result.kind, LogicResult::Kind::kFail);
  EXPECT_EQ(result.hardware, hardware);
  EXPECT_EQ(result.tag, tag);
  EXPECT_THAT(result.description, ::testing::HasSubstr(description_part));
  EXPECT_EQ(result.node.index, node);
}

}  // namespace testing
}  // namespace convey

#endif  // CONVEY_TESTS_LOGICS_LOGIC_TESTING_H_
