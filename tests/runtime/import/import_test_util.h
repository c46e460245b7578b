// What the importer's tests share: test data, the import a deploy does
// (import, then each process compiled by the built-in factories), and
// matchers for its diagnostics.
#ifndef CONVEY_TESTS_RUNTIME_IMPORT_IMPORT_TEST_UTIL_H_
#define CONVEY_TESTS_RUNTIME_IMPORT_IMPORT_TEST_UTIL_H_

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "convey/logic.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/engine/process.h"
#include "runtime/import/importer.h"

namespace convey {
namespace internal {

inline std::string ReadTestData(const std::string& name) {
  std::ifstream in("tests/testdata/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

inline const LogicRegistry& BuiltinRegistry() {
  static const LogicRegistry* const registry = [] {
    auto* r = new LogicRegistry();
    const absl::Status status = RegisterBuiltinLogics(*r);
    EXPECT_TRUE(status.ok()) << status;
    return r;
  }();
  return *registry;
}

// What a deploy does: the import, then (when it has no error) each process
// compiled by the built-in factories, which read the logics'
// configurations. Compile diagnostics are appended to the import's.
inline ImportResult Import(const std::string& json, const ImportLimits& limits = {}) {
  ImportResult result = ImportScheme("test.json", json, limits);
  if (!result.ok()) return result;
  CompileOptions options;
  options.max_diagnostics = limits.max_diagnostics;
  for (const schema::Process& process : result.scheme().processes()) {
    std::vector<Diagnostic> diagnostics;
    absl::StatusOr<std::unique_ptr<CompiledProcess>> compiled =
        CompileProcess("test.json", process, BuiltinRegistry(), options, &diagnostics);
    bool located = false;
    for (Diagnostic& d : diagnostics) {
      located = located || d.is_error();
      result.diagnostics.push_back(std::move(d));
    }
    if (!compiled.ok()) {
      result.has_errors = true;
      if (!located) {  // not located by the compiler (none expected here)
        Diagnostic error;
        error.file = "test.json";
        error.location = absl::StrCat("process ", process.conv_id());
        error.message = std::string(compiled.status().message());
        result.diagnostics.push_back(std::move(error));
      }
    }
  }
  return result;
}

inline std::vector<Diagnostic> Errors(const ImportResult& result) {
  std::vector<Diagnostic> errors;
  for (const Diagnostic& d : result.diagnostics) {
    if (d.is_error()) errors.push_back(d);
  }
  return errors;
}

inline std::vector<Diagnostic> Warnings(const ImportResult& result) {
  std::vector<Diagnostic> warnings;
  for (const Diagnostic& d : result.diagnostics) {
    if (!d.is_error()) warnings.push_back(d);
  }
  return warnings;
}

inline auto At(const std::string& location, const std::string& message) {
  return ::testing::AllOf(::testing::Field(&Diagnostic::location, location),
                          ::testing::Field(&Diagnostic::message, ::testing::HasSubstr(message)));
}

inline std::string AllText(const ImportResult& result) {
  std::string text;
  for (const Diagnostic& d : result.diagnostics) {
    absl::StrAppend(&text, d.ToString(), "\n");
  }
  return text;
}

// A valid process touching every structural field; tests swap parts of it.
inline constexpr char kBase[] = R"({"obj_type":1,"obj_id":77,"title":"T","status":"active",
  "conv_type":"process","ref_mask":false,"params":[],
  "scheme":{"nodes":[
    {"id":"s","obj_type":1,"title":"Start","options":null,"extra":"{}",
     "condition":{"logics":[{"type":"go","to_node_id":"m"}],"semaphors":[]}},
    {"id":"m","obj_type":0,"title":"Mid",
     "condition":{"logics":[
        {"type":"go_if_const","to_node_id":"e","conditions":[
          {"param":"a","const":"1","fun":"eq","cast":"string"}]},
        {"type":"set_param","extra":{"k":"v"},"extra_type":{"k":"string"}},
        {"type":"go","to_node_id":"e"}],
      "semaphors":[{"type":"time","value":60,"dimension":"sec","to_node_id":"e"},
                   {"type":"count","value":10,"esc_node_id":"e"}]}},
    {"id":"e","obj_type":2,"title":"End","condition":{"logics":[],"semaphors":[]}}]}})";

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_TESTS_RUNTIME_IMPORT_IMPORT_TEST_UTIL_H_
