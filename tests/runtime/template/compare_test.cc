// go_if_const comparisons (semantics A3): every fun x cast x {match,
// mismatch, missing, wrong JSON type}, then the edge cases of each cast.
#include "runtime/template/compare.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "re2/re2.h"

namespace convey {
namespace {

using Type = Value::Type;

constexpr internal::CompareFun kFuns[] = {
    internal::CompareFun::kEq,   internal::CompareFun::kNotEq,    internal::CompareFun::kMore,
    internal::CompareFun::kLess, internal::CompareFun::kMoreOrEq, internal::CompareFun::kLessOrEq};

// Expected results in kFuns order.
using Row = std::vector<bool>;

void ExpectRow(const Value& task, const Value& constant, Type cast, const Row& expected,
               const std::string& what) {
  for (size_t k = 0; k < expected.size(); ++k) {
    EXPECT_EQ(Compare(task, kFuns[k], constant, cast, nullptr), expected[k])
        << what << ": " << internal::CompareFunName(kFuns[k]) << " cast " << Value::TypeName(cast)
        << " task " << task.ToJson() << " const " << constant.ToJson();
  }
}

const Row kAllFalse = {false, false, false, false, false, false};
const Row kOnlyNotEq = {false, true, false, false, false, false};
const Row kEqual = {true, false, false, false, true, true};
const Row kAbove = {false, true, true, false, true, false};
const Row kBelow = {false, true, false, true, false, true};
// For casts without an ordering.
const Row kEqualNoOrder = {true, false, false, false, false, false};
const Row kUnequalNoOrder = kOnlyNotEq;

struct CastCase {
  Type cast;
  Value task;   // a value of the cast's JSON type
  Value match;  // a constant equal to it
  Row match_row;
  Value mismatch;  // a constant not equal to it
  Row mismatch_row;
  Value wrong_type;      // a task value of another JSON type
  const char* pattern;   // a regexp that matches task's text
  const char* no_match;  // one that does not
};

std::vector<CastCase> Cases() {
  return {
      {Type::kNumber, Value::Number(150), Value::String("150"), kEqual, Value::String("100"),
       kAbove, Value::String("150"), "^15", "^10"},
      {Type::kString, Value::String("abc"), Value::String("abc"), kEqual, Value::String("abd"),
       kBelow, Value::Number(7), "b", "^b"},
      {Type::kBoolean, Value::Boolean(true), Value::String("true"), kEqualNoOrder,
       Value::String("false"), kUnequalNoOrder, Value::String("true"), "^tr", "^f"},
      {Type::kObject, Value::Object(R"({"a":1,"b":[1,2]})"), Value::String(R"({"b":[1,2],"a":1})"),
       kEqualNoOrder, Value::String(R"({"a":1,"b":[2,1]})"), kUnequalNoOrder,
       Value::Array(R"([{"a":1}])"), R"("b":\[1)", "^\\["},
      {Type::kArray, Value::Array(R"([1,"x",{"k":null}])"),
       Value::String(R"([ 1, "x", {"k": null} ])"), kEqualNoOrder, Value::String(R"(["x",1])"),
       kUnequalNoOrder, Value::String(R"([1,"x",{"k":null}])"), "^\\[1", "^1"},
  };
}

TEST(CompareTest, EveryFunCastAndCase) {
  for (const CastCase& c : Cases()) {
    const std::string cast = std::string(Value::TypeName(c.cast));
    ExpectRow(c.task, c.match, c.cast, c.match_row, cast + " match");
    ExpectRow(c.task, c.mismatch, c.cast, c.mismatch_row, cast + " mismatch");
    ExpectRow(Value::Missing(), c.match, c.cast, kAllFalse, cast + " missing");
    ExpectRow(c.wrong_type, c.match, c.cast, kOnlyNotEq, cast + " wrong type");
    ExpectRow(Value::Null(), c.match, c.cast, kOnlyNotEq, cast + " null");

    // regexp: a search in the task value's text.
    EXPECT_TRUE(
        Compare(c.task, internal::CompareFun::kRegexp, Value::String(c.pattern), c.cast, nullptr))
        << cast;
    EXPECT_FALSE(
        Compare(c.task, internal::CompareFun::kRegexp, Value::String(c.no_match), c.cast, nullptr))
        << cast;
    EXPECT_FALSE(Compare(Value::Missing(), internal::CompareFun::kRegexp, Value::String(".*"),
                         c.cast, nullptr))
        << cast;
    EXPECT_FALSE(
        Compare(c.wrong_type, internal::CompareFun::kRegexp, Value::String(".*"), c.cast, nullptr))
        << cast;
  }
}

TEST(CompareTest, Numbers) {
  const Value task = Value::Number(150);
  ExpectRow(task, Value::String("200"), Type::kNumber, kBelow, "below");
  ExpectRow(task, Value::String("150.0"), Type::kNumber, kEqual, "150.0");
  ExpectRow(task, Value::String("1.5e2"), Type::kNumber, kEqual, "exponent");
  ExpectRow(task, Value::Number(150), Type::kNumber, kEqual, "typed constant");
  ExpectRow(Value::Number(-0.5), Value::String("0"), Type::kNumber, kBelow, "negative");
  // An unparsable constant is unequal to everything.
  for (const char* bad : {"", "abc", " 100", "1,5", "true"}) {
    ExpectRow(task, Value::String(bad), Type::kNumber, kOnlyNotEq, bad);
  }
  ExpectRow(task, Value::Boolean(true), Type::kNumber, kOnlyNotEq, "boolean constant");
  ExpectRow(task, Value::Missing(), Type::kNumber, kOnlyNotEq, "missing constant");
  // The string "10" is not the number 10.
  ExpectRow(Value::String("10"), Value::String("10"), Type::kNumber, kOnlyNotEq, "string 10");
  // cast number with regexp matches the number as written.
  EXPECT_TRUE(Compare(Value::NumberText(10.5, "10.5"), internal::CompareFun::kRegexp,
                      Value::String("^10\\.5$"), Type::kNumber, nullptr));
}

TEST(CompareTest, Strings) {
  ExpectRow(Value::String("abc"), Value::String("ab"), Type::kString, kAbove, "prefix");
  ExpectRow(Value::String("B"), Value::String("a"), Type::kString, kBelow, "uppercase first");
  ExpectRow(Value::String("\xc3\xa9"), Value::String("z"), Type::kString, kAbove, "unsigned bytes");
  ExpectRow(Value::String(""), Value::String(""), Type::kString, kEqual, "empty");
  // not_eq "" means present and non-empty.
  EXPECT_TRUE(Compare(Value::String("x"), internal::CompareFun::kNotEq, Value::String(""),
                      Type::kString, nullptr));
  EXPECT_FALSE(Compare(Value::String(""), internal::CompareFun::kNotEq, Value::String(""),
                       Type::kString, nullptr));
  EXPECT_FALSE(Compare(Value::Missing(), internal::CompareFun::kNotEq, Value::String(""),
                       Type::kString, nullptr));
  // A number constant compares by its text.
  ExpectRow(Value::String("10"), Value::Number(10), Type::kString, kEqual, "number constant");
  ExpectRow(Value::Number(10), Value::String("10"), Type::kString, kOnlyNotEq, "number 10");
  // Bytes, not text: embedded NULs count.
  ExpectRow(Value::String(std::string("a\0b", 3)), Value::String("a"), Type::kString, kAbove,
            "NUL");
}

TEST(CompareTest, Booleans) {
  ExpectRow(Value::Boolean(false), Value::String("false"), Type::kBoolean, kEqualNoOrder, "false");
  ExpectRow(Value::Boolean(false), Value::Boolean(false), Type::kBoolean, kEqualNoOrder,
            "typed constant");
  ExpectRow(Value::Boolean(true), Value::Boolean(false), Type::kBoolean, kUnequalNoOrder,
            "typed mismatch");
  for (const char* bad : {"True", "1", "", "yes"}) {
    ExpectRow(Value::Boolean(true), Value::String(bad), Type::kBoolean, kOnlyNotEq, bad);
  }
}

TEST(CompareTest, ObjectsAndArrays) {
  const Value object = Value::Object(R"({"a":{"x":[1,{"y":null}]},"b":"s","n":1})");
  ExpectRow(object, Value::String(R"({"n":1.0,"b":"s","a":{"x":[1,{"y":null}]}})"), Type::kObject,
            kEqualNoOrder, "deep, reordered, 1.0 == 1");
  ExpectRow(object, Value::String(R"({"a":{"x":[1,{"y":0}]},"b":"s","n":1})"), Type::kObject,
            kUnequalNoOrder, "deep difference");
  ExpectRow(object, Value::String(R"({"a":{"x":[1,{"y":null}]},"b":"s"})"), Type::kObject,
            kUnequalNoOrder, "missing key");
  ExpectRow(object, Value::String(R"({"a":{"x":[1,{"y":null}]},"b":"s","n":1,"m":2})"),
            Type::kObject, kUnequalNoOrder, "extra key");
  ExpectRow(object, Value::String(R"({"a":{"x":[1,{"y":null}]},"b":"S","n":1})"), Type::kObject,
            kUnequalNoOrder, "case");
  ExpectRow(object, Value::String("[1]"), Type::kObject, kUnequalNoOrder, "array constant");
  ExpectRow(object, Value::String("{bad"), Type::kObject, kUnequalNoOrder, "bad JSON");
  ExpectRow(object, Value::String(""), Type::kObject, kUnequalNoOrder, "empty constant");
  ExpectRow(object, Value::Object(R"({"n":1,"b":"s","a":{"x":[1,{"y":null}]}})"), Type::kObject,
            kEqualNoOrder, "typed constant");
  ExpectRow(Value::Object("{}"), Value::String("{}"), Type::kObject, kEqualNoOrder, "empty");

  const Value array = Value::Array(R"([1,[2,3],"x",true,null])");
  ExpectRow(array, Value::String(R"([1,[2,3],"x",true,null])"), Type::kArray, kEqualNoOrder,
            "same");
  ExpectRow(array, Value::String(R"([1,[3,2],"x",true,null])"), Type::kArray, kUnequalNoOrder,
            "order matters");
  ExpectRow(array, Value::String(R"([1,[2,3],"x",true])"), Type::kArray, kUnequalNoOrder,
            "shorter");
  ExpectRow(array, Value::String(R"([1,[2,3],"x","true",null])"), Type::kArray, kUnequalNoOrder,
            "string vs boolean");
  ExpectRow(array, Value::String(R"({"a":1})"), Type::kArray, kUnequalNoOrder, "object constant");
  ExpectRow(Value::Array("[18446744073709551615]"), Value::String("[18446744073709551615]"),
            Type::kArray, kEqualNoOrder, "uint64");
  ExpectRow(Value::Array("[9223372036854775807]"), Value::String("[9223372036854775806]"),
            Type::kArray, kUnequalNoOrder, "int64 exact");
  ExpectRow(Value::Array("[-1]"), Value::String("[18446744073709551615]"), Type::kArray,
            kUnequalNoOrder, "signed vs unsigned");
}

TEST(CompareTest, Regexp) {
  auto match = [](const Value& task, const char* pattern) {
    return Compare(task, internal::CompareFun::kRegexp, Value::String(pattern), Type::kString,
                   nullptr);
  };
  EXPECT_TRUE(match(Value::String("hello world"), "o w"));  // unanchored
  EXPECT_TRUE(match(Value::String("hello world"), "^hello"));
  EXPECT_FALSE(match(Value::String("hello world"), "^world"));
  EXPECT_TRUE(match(Value::String("abc123"), "\\d+$"));
  EXPECT_FALSE(match(Value::String("abc"), "("));  // invalid: no match
  EXPECT_TRUE(match(Value::String(""), ""));
  EXPECT_TRUE(match(Value::String("caf\xc3\xa9"), "^caf.$"));  // UTF-8 aware

  // A pattern compiled at load wins over the constant's text.
  re2::RE2 compiled("^x");
  EXPECT_TRUE(Compare(Value::String("xyz"), internal::CompareFun::kRegexp, Value::String("nope"),
                      Type::kString, &compiled));
  EXPECT_FALSE(Compare(Value::String("yx"), internal::CompareFun::kRegexp, Value::String("x"),
                       Type::kString, &compiled));
  // regexp on a boolean matches "true"/"false".
  EXPECT_TRUE(Compare(Value::Boolean(false), internal::CompareFun::kRegexp,
                      Value::String("^false$"), Type::kBoolean, nullptr));
}

TEST(CompareTest, Names) {
  for (internal::CompareFun fun :
       {internal::CompareFun::kEq, internal::CompareFun::kNotEq, internal::CompareFun::kMore,
        internal::CompareFun::kLess, internal::CompareFun::kMoreOrEq,
        internal::CompareFun::kLessOrEq, internal::CompareFun::kRegexp}) {
    absl::StatusOr<internal::CompareFun> parsed =
        internal::ParseCompareFun(internal::CompareFunName(fun));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, fun);
  }
  EXPECT_EQ(internal::CompareFunName(internal::CompareFun::kMoreOrEq), "more_or_eq");
  EXPECT_EQ(internal::ParseCompareFun("<=").status().message(),
            R"(unknown fun "<=" (expected eq, not_eq, more, less, more_or_eq, less_or_eq or )"
            R"(regexp))");
  EXPECT_FALSE(internal::ParseCompareFun("ne").ok());
  EXPECT_FALSE(internal::ParseCompareFun("EQ").ok());

  EXPECT_EQ(*internal::ParseCast("number"), Type::kNumber);
  EXPECT_EQ(*internal::ParseCast("string"), Type::kString);
  EXPECT_EQ(*internal::ParseCast("boolean"), Type::kBoolean);
  EXPECT_EQ(*internal::ParseCast("object"), Type::kObject);
  EXPECT_EQ(*internal::ParseCast("array"), Type::kArray);
  EXPECT_EQ(internal::ParseCast("null").status().message(),
            R"(unknown cast "null" (expected string, number, boolean, object or array))");
  EXPECT_FALSE(internal::ParseCast("missing").ok());
}

}  // namespace
}  // namespace convey
