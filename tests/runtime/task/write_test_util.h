// Writes spelled as (path, value) pairs, and a JSON validity check, for the
// write-set tests (write_set_test, apply_to_text_test).
#ifndef CONVEY_TESTS_RUNTIME_TASK_WRITE_TEST_UTIL_H_
#define CONVEY_TESTS_RUNTIME_TASK_WRITE_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "convey/value.h"
#include "gtest/gtest.h"
#include "runtime/json/path.h"
#include "runtime/task/write_set.h"
#include "simdjson.h"

namespace convey {
namespace internal {

struct W {
  std::string path;
  Value value;
};

inline WriteSet MakeWrites(const std::vector<W>& writes) {
  WriteSet set;
  for (const W& w : writes) {
    absl::StatusOr<Path> path = ParsePath(w.path);
    if (!path.ok()) {
      ADD_FAILURE() << path.status();
      continue;
    }
    set.push_back(Write{*std::move(path), w.value});
  }
  return set;
}

// Checks that `json` is one valid JSON document.
inline void ExpectValidJson(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element element;
  EXPECT_EQ(parser.parse(json).get(element), simdjson::SUCCESS) << json;
}

inline Value Int(int64_t i) { return Value::NumberText(static_cast<double>(i), absl::StrCat(i)); }
inline Value Str(std::string s) { return Value::String(std::move(s)); }

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_TESTS_RUNTIME_TASK_WRITE_TEST_UTIL_H_
