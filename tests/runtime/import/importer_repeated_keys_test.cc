// The importer's repeated keys (semantics A1): the same value loads with a
// warning at the repeat, a different value is an error naming both places,
// at every depth, with byte offsets, lines and columns that point into the
// file; and a file of many repeats stays fast.
#include <ctime>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/runtime/import/import_test_util.h"

namespace convey {
namespace internal {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

// Repeated keys (semantics A1): same value loads with a warning at the
// repeat, a different value is an error naming both places.

// One process, one line (so that columns are byte offsets + 1). `top`,
// `condition`, `node` and `logic` are extra members of the process object,
// the start node's condition, the start node and its set_param; `value` is
// the set_param's object value.
std::string RepeatScheme(const std::string& top, const std::string& condition,
                         const std::string& node, const std::string& logic,
                         const std::string& value) {
  return absl::StrCat(
      R"([{"obj_type":1,"obj_id":7,"conv_type":"process","title":"t")", top,
      R"(,"scheme":{"nodes":[{"id":"s","obj_type":1,"title":"S")", node,
      R"(,"condition":{"semaphors":[])", condition, R"(,"logics":[{"type":"set_param")", logic,
      R"(,"extra":{"v":)", value, R"(},"extra_type":{"v":"object"}},)",
      R"({"type":"go","to_node_id":"f"}]}},{"id":"f","obj_type":2,"condition":{"logics":[]}}]}}])");
}

// `inner` members wrapped in `depth` objects: {"l1":{"l2":{...}}}.
std::string DeepObject(int depth, const std::string& inner) {
  std::string json = absl::StrCat("{", inner, "}");
  for (int i = depth; i >= 1; --i) json = absl::StrCat("{\"l", i, "\":", json, "}");
  return json;
}

TEST(ImporterRepeatedKeys, FourShapesAtEveryDepth) {
  struct Case {
    std::string name;
    std::string same;       // the scheme with a repeat of the same value
    std::string different;  // and of a different value
    std::string location;
    std::string key;  // appears exactly twice in both texts
  };
  const std::string kValue = "{}";
  const std::vector<Case> cases = {
      {"top level", RepeatScheme(R"(,"conv_type":"process")", "", "", "", kValue),
       RepeatScheme(R"(,"conv_type":"state")", "", "", "", kValue), "[0].conv_type", "conv_type"},
      {"nested object", RepeatScheme("", R"(,"semaphors":[])", "", "", kValue),
       RepeatScheme("", R"(,"semaphors":null)", "", "", kValue),
       "[0].scheme.nodes[0].condition.semaphors", "semaphors"},
      {"object in an array", RepeatScheme("", "", R"(,"x":10,"x":10)", "", kValue),
       RepeatScheme("", "", R"(,"x":10,"x":11)", "", kValue), "[0].scheme.nodes[0].x", "x"},
      {"logic in an array",
       RepeatScheme("", "", "", R"(,"err_node_id":"","err_node_id":"")", kValue),
       RepeatScheme("", "", "", R"(,"err_node_id":"","err_node_id":"f")", kValue),
       "[0].scheme.nodes[0].condition.logics[0].err_node_id", "err_node_id"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string quoted = absl::StrCat("\"", c.key, "\"");
    {
      const size_t first = c.same.find(quoted);
      const size_t second = c.same.rfind(quoted);
      ImportResult result = Import(c.same);
      ASSERT_TRUE(result.ok()) << AllText(result);
      EXPECT_THAT(
          Warnings(result),
          Contains(At(c.location,
                      absl::StrCat("repeated key, same value as at byte ", first,
                                   " (line 1, column ", first + 1, "); the repeat at byte ", second,
                                   " (line 1, column ", second + 1, ") is ignored"))))
          << AllText(result);
      EXPECT_EQ(result.scheme().processes(0).nodes(0).title(), "S");
      const schema::Logic& logic = result.scheme().processes(0).nodes(0).logics(0);
      EXPECT_EQ(logic.type(), "set_param");
      // The kept JSON holds each key once: the factory reports nothing again.
      EXPECT_EQ(logic.json().find("\"err_node_id\""), logic.json().rfind("\"err_node_id\""))
          << logic.json();
      EXPECT_EQ(Warnings(result).size(), 1u) << AllText(result);
    }
    {
      const size_t first = c.different.find(quoted);
      const size_t second = c.different.rfind(quoted);
      ImportResult result = Import(c.different);
      EXPECT_FALSE(result.ok());
      EXPECT_THAT(Errors(result),
                  Contains(At(c.location, absl::StrCat("repeated key ", quoted,
                                                       " with a different value: the values at "
                                                       "byte ",
                                                       first, " (line 1, column ", first + 1,
                                                       ") and at byte ", second))))
          << AllText(result);
    }
  }
}

// "repeated key, same value as at byte F (line 1, column F+1); the repeat
// at byte S (line 1, column S+1) is ignored" for the first and last
// occurrence of `quoted` in the one-line `json`.
std::string SameRepeat(const std::string& json, const std::string& quoted) {
  const size_t first = json.find(quoted);
  const size_t second = json.rfind(quoted);
  return absl::StrCat("repeated key, same value as at byte ", first, " (line 1, column ", first + 1,
                      "); the repeat at byte ", second, " (line 1, column ", second + 1,
                      ") is ignored");
}

std::string DifferentRepeat(const std::string& json, const std::string& quoted) {
  const size_t first = json.find(quoted);
  const size_t second = json.rfind(quoted);
  return absl::StrCat("repeated key ", quoted, " with a different value: the values at byte ",
                      first, " (line 1, column ", first + 1, ") and at byte ", second,
                      " (line 1, column ", second + 1, ") disagree, so the file is ambiguous");
}

TEST(ImporterRepeatedKeys, NestedInALogicValueTenLevelsDown) {
  // extra.v is an object the task receives as it is. A repeat inside it is
  // nested in the logic: the importer reports it, with the file's byte
  // offsets, at the member's path, and keeps the logic's JSON collapsed, so
  // the set_param factory finds nothing more to report.
  const std::string key_path = "[0].scheme.nodes[0].condition.logics[0].extra.v.l1.l2.l3.l4.k";
  const std::string same_json = RepeatScheme("", "", "", "", DeepObject(4, R"("k":[1],"k":[1])"));
  ImportResult imported = ImportScheme("test.json", same_json);
  ASSERT_TRUE(imported.ok()) << AllText(imported);
  EXPECT_THAT(Warnings(imported), Contains(At(key_path, SameRepeat(same_json, "\"k\""))))
      << AllText(imported);
  const schema::Logic& logic = imported.scheme().processes(0).nodes(0).logics(0);
  EXPECT_THAT(logic.json(), HasSubstr(R"("extra":{"v":{"l1":{"l2":{"l3":{"l4":{"k":[1]}}}}}})"));
  ImportResult same = Import(same_json);
  ASSERT_TRUE(same.ok()) << AllText(same);
  EXPECT_EQ(Warnings(same).size(), 1u) << AllText(same);

  const std::string different_json =
      RepeatScheme("", "", "", "", DeepObject(4, R"("k":[1],"k":[2])"));
  ImportResult different = ImportScheme("test.json", different_json);
  EXPECT_FALSE(different.ok());
  EXPECT_THAT(Errors(different), Contains(At(key_path, DifferentRepeat(different_json, "\"k\""))))
      << AllText(different);
  // Kept with the first value.
  EXPECT_THAT(different.scheme().processes(0).nodes(0).logics(0).json(),
              HasSubstr(R"({"l4":{"k":[1]}})"));
}

TEST(ImporterRepeatedKeys, NestedInAGoIfConstCondition) {
  const std::string json =
      R"({"obj_id":1,"scheme":{"nodes":[{"id":"s","obj_type":1,"condition":{"logics":[)"
      R"({"type":"go_if_const","to_node_id":"e","conditions":[{"param":"a","const":"1",)"
      R"("fun":"eq","fun":"eq","cast":"string"}]},{"type":"go","to_node_id":"e"}]}},)"
      R"({"id":"e","obj_type":2}]}})";
  const std::string fun_path = "scheme.nodes[0].condition.logics[0].conditions[0].fun";
  ImportResult imported = ImportScheme("test.json", json);
  ASSERT_TRUE(imported.ok()) << AllText(imported);
  EXPECT_THAT(Warnings(imported), Contains(At(fun_path, SameRepeat(json, "\"fun\""))))
      << AllText(imported);
  EXPECT_EQ(Warnings(imported)[0].node_id, "s");
  EXPECT_EQ(imported.scheme().processes(0).nodes(0).logics(0).json(),
            R"({"type":"go_if_const","to_node_id":"e","conditions":[{"param":"a","const":"1",)"
            R"("fun":"eq","cast":"string"}]})");
  // The go_if_const factory reads the collapsed text: nothing more.
  ImportResult compiled = Import(json);
  ASSERT_TRUE(compiled.ok()) << AllText(compiled);
  EXPECT_EQ(Warnings(compiled).size(), 1u) << AllText(compiled);

  std::string different = json;
  different.replace(different.rfind(R"("fun":"eq")"), 10, R"("fun":"not_eq")");
  ImportResult result = Import(different);
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(Errors(result), Contains(At(fun_path, DifferentRepeat(different, "\"fun\""))))
      << AllText(result);
  EXPECT_THAT(result.scheme().processes(0).nodes(0).logics(0).json(),
              AllOf(HasSubstr(R"("fun":"eq")"), Not(HasSubstr("not_eq"))));
}

TEST(ImporterRepeatedKeys, InsideJsonHeldInAString) {
  // Offsets count in the string's JSON text, where the key is.
  const std::string logic =
      R"({"obj_id":1,"scheme":{"nodes":[{"id":"s","obj_type":1,"condition":{"logics":[)"
      R"({"type":"set_param","extra":"{\"a\":\"1\",\"a\":\"X\"}","extra_type":{"a":"string"}},)"
      R"({"type":"go","to_node_id":"s"}]}}]}})";
  std::string same = logic;
  same.replace(same.find("\\\"X\\\""), 5, "\\\"1\\\"");
  ImportResult result = Import(same);
  ASSERT_TRUE(result.ok()) << AllText(result);
  EXPECT_THAT(Warnings(result),
              Contains(At("scheme.nodes[0].condition.logics[0].extra.a",
                          "repeated key, same value as at byte 1 of the JSON text in the "
                          "string; the repeat at byte 9 of the JSON text in the string is "
                          "ignored")));
  result = Import(logic);
  EXPECT_THAT(Errors(result), Contains(At("scheme.nodes[0].condition.logics[0].extra.a",
                                          "the values at byte 1 of the JSON text in the "
                                          "string and at byte 9")));
}

TEST(ImporterRepeatedKeys, ARepeatedThreeTimesIsReportedTwice) {
  ImportResult result =
      Import(RepeatScheme(R"(,"conv_type":"process","conv_type":"process")", "", "", "", "{}"));
  ASSERT_TRUE(result.ok()) << AllText(result);
  int count = 0;
  for (const Diagnostic& d : Warnings(result)) count += d.location == "[0].conv_type";
  EXPECT_EQ(count, 2);
}

// 200 000 keys in one object the importer reads (a set_param's extra and
// extra_type) with a repeat at the end: linear, not quadratic (about 2 s in
// an unoptimised build; comparing every pair would take minutes).
double ThreadCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

TEST(ImporterRepeatedKeys, LargeObjectsStayLinear) {
  constexpr int kKeys = 200000;
  std::string extra, types;
  for (int i = 0; i < kKeys; ++i) {
    absl::StrAppend(&extra, "\"k", i, "\":\"", i, "\",");
    absl::StrAppend(&types, "\"k", i, "\":\"string\",");
  }
  const std::string json = absl::StrCat(
      R"({"obj_id":1,"scheme":{"nodes":[{"id":"s","obj_type":1,"condition":{"logics":[)",
      R"({"type":"set_param","extra":{)", extra, R"("k0":"0"},"extra_type":{)", types,
      R"("k0":"string"}},{"type":"go","to_node_id":"s"}]}}]}})");
  // This thread's CPU time, not the wall clock: tests running beside it on
  // two cores doubled the wall time (16.5 s against 7 s alone).
  const double start = ThreadCpuSeconds();
  ImportResult result = Import(json);
  const double seconds = ThreadCpuSeconds() - start;
  ASSERT_TRUE(result.ok()) << AllText(result);
  // Both repeats are nested in the logic: reported at import, and the kept
  // JSON has each key once (the set_param factory then compiles 200 000
  // values without reporting them again).
  const std::string& kept = result.scheme().processes(0).nodes(0).logics(0).json();
  EXPECT_THAT(kept, HasSubstr(absl::StrCat("\"k", kKeys - 1, "\":\"", kKeys - 1, "\"},")));
  EXPECT_THAT(kept, HasSubstr(absl::StrCat("\"k", kKeys - 1, "\":\"string\"}}")));
  EXPECT_THAT(Warnings(result),
              Contains(At("scheme.nodes[0].condition.logics[0].extra.k0", "repeated key")));
  EXPECT_THAT(Warnings(result),
              Contains(At("scheme.nodes[0].condition.logics[0].extra_type.k0", "repeated key")));
  EXPECT_EQ(Warnings(result).size(), 2u) << AllText(result).substr(0, 2000);
  EXPECT_LT(seconds, 15.0);
}

}  // namespace
}  // namespace internal
}  // namespace convey
