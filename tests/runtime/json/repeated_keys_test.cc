#include "runtime/json/repeated_keys.h"

#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simdjson.h"

namespace convey {
namespace internal {
namespace {

using ::testing::HasSubstr;

bool Has(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  EXPECT_EQ(parser.parse(json).get(root), simdjson::SUCCESS) << json;
  return HasRepeatedKeys(root);
}

std::vector<RepeatedKey> Find(const std::string& json, std::string* collapsed = nullptr) {
  std::vector<RepeatedKey> repeats;
  EXPECT_TRUE(FindRepeatedKeys(json, &repeats, collapsed)) << json;
  return repeats;
}

// `inner` (object members) wrapped in `depth` objects: {"l1":{"l2":{...}}}.
std::string Deep(int depth, const std::string& inner) {
  std::string json = absl::StrCat("{", inner, "}");
  for (int i = depth; i >= 1; --i) json = absl::StrCat("{\"l", i, "\":", json, "}");
  return json;
}

std::string DeepPath(int depth, const std::string& key) {
  std::string path;
  for (int i = 1; i <= depth; ++i) absl::StrAppend(&path, path.empty() ? "" : ".", "l", i);
  return absl::StrCat(path, path.empty() ? "" : ".", key);
}

TEST(HasRepeatedKeys, AtEveryDepth) {
  EXPECT_FALSE(Has(R"({"a":1,"b":{"a":1},"c":[{"a":1},{"a":1}]})"));
  EXPECT_TRUE(Has(R"({"a":1,"a":1})"));
  EXPECT_TRUE(Has(R"({"x":{"a":1,"b":2,"a":1}})"));
  EXPECT_TRUE(Has(R"({"x":[1,{"a":1},{"b":1,"b":2}]})"));
  EXPECT_TRUE(Has(R"([[{"a":[{"k":0,"k":0}]}]])"));
  EXPECT_TRUE(Has(Deep(10, R"("k":1,"k":1)")));
  EXPECT_FALSE(Has(Deep(10, R"("k":1,"j":1)")));
  // The same key spelled with an escape is the same key.
  EXPECT_TRUE(Has(R"({"a":1,"\u0061":1})"));
  EXPECT_FALSE(Has("[1,2,3]"));
  EXPECT_FALSE(Has("{}"));
}

TEST(FindRepeatedKeys, OffsetsPathsAndValues) {
  const std::string json = R"({"a": 1, "b": {"c": [1, 2], "c": [1,2]}, "a": 2})";
  std::string collapsed;
  std::vector<RepeatedKey> repeats = Find(json, &collapsed);
  ASSERT_EQ(repeats.size(), 2u);
  // The inner repeat ends first.
  EXPECT_EQ(repeats[0].path, "b.c");
  EXPECT_EQ(repeats[0].key, "c");
  EXPECT_EQ(repeats[0].first_offset, json.find("\"c\""));
  EXPECT_EQ(repeats[0].offset, json.rfind("\"c\""));
  EXPECT_TRUE(repeats[0].same_value);  // whitespace does not count
  EXPECT_EQ(repeats[1].path, "a");
  EXPECT_EQ(repeats[1].first_offset, 1u);
  EXPECT_EQ(repeats[1].offset, json.rfind("\"a\""));
  EXPECT_FALSE(repeats[1].same_value);
  EXPECT_EQ(collapsed, R"({"a":1,"b":{"c":[1,2]}})");
}

TEST(FindRepeatedKeys, CollapsedTextKeepsTheFirstOccurrence) {
  std::string collapsed;
  Find(R"({"a":1,"a":1,"b":2,"a":1})", &collapsed);
  EXPECT_EQ(collapsed, R"({"a":1,"b":2})");
  Find(R"([{"k":"v","k":"v"},{"k":"v"}])", &collapsed);
  EXPECT_EQ(collapsed, R"([{"k":"v"},{"k":"v"}])");
  // Strings and numbers are copied as written (escapes, exponent).
  Find(R"({"s":"a\"b\u00e9","n":1E+2,"n":1E+2})", &collapsed);
  EXPECT_EQ(collapsed, R"({"s":"a\"b\u00e9","n":1E+2})");
  // No repeat: the compact text.
  EXPECT_TRUE(Find(" { \"a\" : [ 1 , true , null ] } ", &collapsed).empty());
  EXPECT_EQ(collapsed, R"({"a":[1,true,null]})");
}

TEST(FindRepeatedKeys, ValuesCompareAsWrittenAfterCollapsing) {
  EXPECT_FALSE(Find(R"({"n":1,"n":1.0})")[0].same_value);
  EXPECT_FALSE(Find(R"({"o":{"x":1,"y":2},"o":{"y":2,"x":1}})")[0].same_value);
  EXPECT_TRUE(Find(R"({"s":"\u0041","s":"\u0041"})")[0].same_value);
  // The second "o" holds a repeat of its own; collapsed, it equals the first.
  std::vector<RepeatedKey> repeats = Find(R"({"o":{"x":1},"o":{"x":1,"x":1}})");
  ASSERT_EQ(repeats.size(), 2u);
  EXPECT_EQ(repeats[0].path, "o.x");
  EXPECT_TRUE(repeats[0].same_value);
  EXPECT_EQ(repeats[1].path, "o");
  EXPECT_TRUE(repeats[1].same_value);
}

TEST(FindRepeatedKeys, PathsUseTheImporterNotation) {
  std::vector<RepeatedKey> repeats = Find(R"([{"odd key":[0,{"k.1":1,"k.1":1}]}])");
  ASSERT_EQ(repeats.size(), 1u);
  EXPECT_EQ(repeats[0].path, R"([0]["odd key"][1]["k.1"])");
  EXPECT_EQ(repeats[0].key, "k.1");
  repeats = Find(Deep(10, R"("k":1,"k":2)"));
  ASSERT_EQ(repeats.size(), 1u);
  EXPECT_EQ(repeats[0].path, DeepPath(10, "k"));
  // Escaped keys are compared unescaped, and reported so.
  repeats = Find(R"({"\u00e9":1,"é":1})");
  ASSERT_EQ(repeats.size(), 1u);
  EXPECT_EQ(repeats[0].key, "é");
}

TEST(FindRepeatedKeys, RefusesWhatIsNotJson) {
  std::vector<RepeatedKey> repeats;
  EXPECT_FALSE(FindRepeatedKeys(R"({"a":1)", &repeats));
  EXPECT_FALSE(FindRepeatedKeys(R"({"a" 1})", &repeats));
  EXPECT_FALSE(FindRepeatedKeys(R"({"a":1} x)", &repeats));
  EXPECT_FALSE(FindRepeatedKeys(std::string(2000, '[') + std::string(2000, ']'), &repeats));
}

TEST(CollapseRepeatedKeys, SameValuesCollapseDifferentOnesAreRefused) {
  std::string collapsed;
  EXPECT_TRUE(CollapseRepeatedKeys(R"({"a":{"k":1,"k":1}})", "task data", &collapsed).ok());
  EXPECT_EQ(collapsed, R"({"a":{"k":1}})");
  const std::string json = R"({"a":[{"k":1,"k":2}]})";
  absl::Status status = CollapseRepeatedKeys(json, "task data", &collapsed);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            absl::StrCat("task data repeats the key \"k\" with different values (at a[0].k, "
                         "bytes ",
                         json.find("\"k\""), " and ", json.rfind("\"k\""), ")"));
}

// An object of 200 000 keys: checking and collapsing must stay linear (a
// pairwise check would take minutes).
TEST(RepeatedKeys, LargeObjectsStayLinear) {
  constexpr int kKeys = 200000;
  std::string json = "{";
  for (int i = 0; i < kKeys; ++i) absl::StrAppend(&json, "\"key", i, "\":", i, ",");
  json += "\"key0\":0}";
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(Has(json));
  std::string collapsed;
  std::vector<RepeatedKey> repeats = Find(json, &collapsed);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(repeats.size(), 1u);
  EXPECT_EQ(repeats[0].path, "key0");
  EXPECT_TRUE(repeats[0].same_value);
  EXPECT_EQ(collapsed.size(), json.size() - std::string(",\"key0\":0").size());
  EXPECT_LT(seconds, 10.0);
}

}  // namespace
}  // namespace internal
}  // namespace convey
