// JSON Patch of task data: RFC 6902's operations and its appendix A cases,
// and what a bad patch gets.
#include "runtime/task/json_patch.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace convey {
namespace internal {
namespace {

using ::testing::HasSubstr;

constexpr size_t kDepth = 1024;

std::string Patched(const std::string& data, const std::string& patch) {
  std::string out = "untouched";
  absl::Status status = ApplyJsonPatch(data, patch, kDepth, &out);
  EXPECT_TRUE(status.ok()) << status << " patching " << data << " with " << patch;
  return out;
}

std::string Refused(const std::string& data, const std::string& patch) {
  std::string out = "untouched";
  absl::Status status = ApplyJsonPatch(data, patch, kDepth, &out);
  EXPECT_EQ(out, "untouched") << "a refused patch must leave the output alone";
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  return std::string(status.message());
}

TEST(JsonPatchTest, AddsRemovesAndReplacesKeepingMemberOrder) {
  EXPECT_EQ(Patched(R"({"b":1,"a":2})", R"([{"op":"add","path":"/c","value":{"x":[1]}}])"),
            R"({"b":1,"a":2,"c":{"x":[1]}})");
  EXPECT_EQ(Patched(R"({"b":1,"a":2})", R"([{"op":"replace","path":"/b","value":"B"}])"),
            R"({"b":"B","a":2})");
  EXPECT_EQ(Patched(R"({"b":1,"a":2})", R"([{"op":"remove","path":"/b"}])"), R"({"a":2})");
}

TEST(JsonPatchTest, RfcAppendixA) {
  // A.2 adding an array element, A.4 removing one, A.6 moving a value,
  // A.7 moving an array element, A.8 a test that passes, A.10 a nested
  // object, A.16 the end of an array ("-"), A.14 escapes (~0, ~1).
  EXPECT_EQ(Patched(R"({"foo":["bar","baz"]})", R"([{"op":"add","path":"/foo/1","value":"qux"}])"),
            R"({"foo":["bar","qux","baz"]})");
  EXPECT_EQ(Patched(R"({"foo":["bar","qux","baz"]})", R"([{"op":"remove","path":"/foo/1"}])"),
            R"({"foo":["bar","baz"]})");
  EXPECT_EQ(Patched(R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
                    R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])"),
            R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})");
  EXPECT_EQ(Patched(R"({"foo":["all","grass","cows","eat"]})",
                    R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])"),
            R"({"foo":["all","cows","eat","grass"]})");
  EXPECT_EQ(
      Patched(R"({"baz":"qux","foo":["a",2,"c"]})", R"([{"op":"test","path":"/baz","value":"qux"},)"
                                                    R"({"op":"test","path":"/foo/1","value":2}])"),
      R"({"baz":"qux","foo":["a",2,"c"]})");
  EXPECT_EQ(
      Patched(R"({"foo":"bar"})", R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])"),
      R"({"foo":"bar","child":{"grandchild":{}}})");
  EXPECT_EQ(
      Patched(R"({"foo":["bar"]})", R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])"),
      R"({"foo":["bar",["abc","def"]]})");
  EXPECT_EQ(Patched(R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":10},)"
                                          R"({"op":"copy","from":"/~1","path":"/c"}])"),
            R"({"/":9,"~1":10,"c":9})");
  // Numbers compare by value: 1 and 1.0 are equal (RFC 6902 4.6).
  EXPECT_EQ(Patched(R"({"n":1})", R"([{"op":"test","path":"/n","value":1.0}])"), R"({"n":1})");
  // An empty patch changes nothing.
  EXPECT_EQ(Patched(R"({"a":[1,{"b":null}]})", "[]"), R"({"a":[1,{"b":null}]})");
}

TEST(JsonPatchTest, AFailedTestChangesNothing) {
  // The replace before the failing test must not survive.
  std::string message = Refused(R"({"a":1,"b":2})", R"([{"op":"replace","path":"/a","value":5},)"
                                                    R"({"op":"test","path":"/b","value":3}])");
  EXPECT_THAT(message, HasSubstr("operation 1 (test \"/b\") failed: the value differs"));
}

TEST(JsonPatchTest, PathsThatDoNotExist) {
  EXPECT_THAT(Refused(R"({"a":1})", R"([{"op":"remove","path":"/missing"}])"),
              HasSubstr("operation 0 (remove \"/missing\") failed"));
  EXPECT_THAT(Refused(R"({"a":1})", R"([{"op":"add","path":"/x/y","value":1}])"),
              HasSubstr("operation 0 (add \"/x/y\") failed"));
  EXPECT_THAT(Refused(R"({"a":[1]})", R"([{"op":"replace","path":"/a/5","value":1}])"),
              HasSubstr("operation 0 (replace \"/a/5\") failed"));
  EXPECT_THAT(Refused(R"({"a":1})", R"([{"op":"move","from":"/b","path":"/c"}])"),
              HasSubstr("(move \"/c\") failed"));
  // Not a JSON pointer at all.
  EXPECT_THAT(Refused(R"({"a":1})", R"([{"op":"remove","path":"a"}])"),
              HasSubstr("operation 0 (remove \"a\") failed"));
}

TEST(JsonPatchTest, MalformedPatches) {
  EXPECT_THAT(Refused("{}", "{"), HasSubstr("not valid JSON"));
  EXPECT_THAT(Refused("{}", R"({"op":"add"})"),
              HasSubstr("must be an array of operations, got an object"));
  EXPECT_THAT(Refused("{}", "[1]"), HasSubstr("operation 0 must be an object, got a number"));
  EXPECT_THAT(Refused("{}", R"([{"path":"/a"}])"), HasSubstr("has no string \"op\""));
  EXPECT_THAT(Refused("{}", R"([{"op":"merge","path":"/a"}])"), HasSubstr("unknown op \"merge\""));
  EXPECT_THAT(Refused("{}", R"([{"op":"add","value":1}])"), HasSubstr("has no string \"path\""));
  EXPECT_THAT(Refused("{}", R"([{"op":"add","path":"/a"}])"), HasSubstr("has no \"value\""));
  EXPECT_THAT(Refused("{}", R"([{"op":"copy","path":"/a"}])"), HasSubstr("has no string \"from\""));
  // A member given twice with different values is ambiguous.
  EXPECT_THAT(Refused("{}", R"([{"op":"add","path":"/a","path":"/b","value":1}])"),
              HasSubstr("path"));
  // ... and with the same value it counts once.
  EXPECT_EQ(Patched("{}", R"([{"op":"add","path":"/a","path":"/a","value":1}])"), R"({"a":1})");
}

TEST(JsonPatchTest, TheResultMustBeAnObjectThatParsesAgain) {
  EXPECT_THAT(Refused(R"({"a":1})", R"([{"op":"replace","path":"","value":[1]}])"),
              HasSubstr("must be a JSON object, got an array"));
  EXPECT_EQ(Patched(R"({"a":1})", R"([{"op":"replace","path":"","value":{"b":2}}])"), R"({"b":2})");
  // A value nested 600 deep moved under a path 600 deep: too deep to keep.
  std::string deep;
  for (int i = 0; i < 600; ++i) deep += "[";
  for (int i = 0; i < 600; ++i) deep += "]";
  std::string data = absl::StrCat(R"({"v":)", deep, "}");
  std::string patch = absl::StrCat(R"([{"op":"add","path":"/v)");
  for (int i = 0; i < 599; ++i) patch += "/0";
  patch += R"(/-","value":)" + deep + "}]";
  EXPECT_THAT(Refused(data, patch), HasSubstr("levels of nesting"));
}

}  // namespace
}  // namespace internal
}  // namespace convey
