// ValueFromElement, the strict number grammar, and ConvertTo (semantics A5).
#include <string>

#include "gtest/gtest.h"
#include "runtime/template/expr.h"
#include "runtime/template/template.h"
#include "simdjson.h"

namespace convey {
namespace {

using internal::ConvertTo;
using internal::ParseNumberText;
using internal::ValueFromElement;
using Type = Value::Type;

class ValueFromElementTest : public ::testing::Test {
 protected:
  Value From(const std::string& json) {
    simdjson::dom::element element;
    EXPECT_EQ(parser_.parse(json).get(element), simdjson::SUCCESS) << json;
    return ValueFromElement(element);
  }
  simdjson::dom::parser parser_;
};

TEST_F(ValueFromElementTest, Numbers) {
  Value v = From("42");
  EXPECT_EQ(v.type(), Type::kNumber);
  EXPECT_EQ(v.number(), 42);
  EXPECT_EQ(v.text(), "42");
  EXPECT_EQ(From("-9223372036854775808").text(), "-9223372036854775808");
  EXPECT_EQ(From("18446744073709551615").text(), "18446744073709551615");
  EXPECT_EQ(From("9007199254740993").text(), "9007199254740993");  // beyond 2^53, exact
  EXPECT_EQ(From("1.5").text(), "1.5");
  EXPECT_EQ(From("1.0").text(), "1");
  EXPECT_EQ(From("-0.0").text(), "0");
  EXPECT_EQ(From("0.1").text(), "0.1");
  EXPECT_EQ(From("1e300").text(), "1e+300");
  EXPECT_EQ(From("1e300").number(), 1e300);
}

TEST_F(ValueFromElementTest, OtherKinds) {
  Value v = From(R"("a\"b\\c\u00e9\n")");
  EXPECT_EQ(v.type(), Type::kString);
  EXPECT_EQ(v.text(), "a\"b\\c\xc3\xa9\n");
  EXPECT_EQ(From("true").type(), Type::kBoolean);
  EXPECT_TRUE(From("true").boolean());
  EXPECT_FALSE(From("false").boolean());
  EXPECT_EQ(From("null").type(), Type::kNull);
  v = From(R"( { "a" : [ 1 , {"b" : "x y"} ], "c": null } )");
  EXPECT_EQ(v.type(), Type::kObject);
  EXPECT_EQ(v.text(), R"({"a":[1,{"b":"x y"}],"c":null})");
  v = From(R"([ "q\"uote", [ ], { } ])");
  EXPECT_EQ(v.type(), Type::kArray);
  EXPECT_EQ(v.text(), R"(["q\"uote",[],{}])");
}

TEST(ParseNumberTextTest, Accepts) {
  struct Case {
    const char* text;
    double number;
    const char* written;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"0", 0, "0"},
           {"-0", 0, "0"},
           {"12", 12, "12"},
           {"007", 7, "7"},
           {"-15", -15, "-15"},
           {"1.5", 1.5, "1.5"},
           {"-1.5e3", -1500, "-1500"},
           {"1E2", 100, "100"},
           {"2.50", 2.5, "2.5"},
           {"9223372036854775807", 9223372036854775807.0, "9223372036854775807"},
           {"18446744073709551615", 18446744073709551615.0, "18446744073709551615"},
           {"18446744073709551616", 18446744073709551616.0, "1.8446744073709552e+19"},
       }) {
    Value v;
    ASSERT_TRUE(ParseNumberText(c.text, &v)) << c.text;
    EXPECT_EQ(v.type(), Type::kNumber) << c.text;
    EXPECT_EQ(v.number(), c.number) << c.text;
    EXPECT_EQ(v.text(), c.written) << c.text;
  }
}

TEST(ParseNumberTextTest, Rejects) {
  for (const char* text : {"", " 12", "12 ", "+1", ".5", "1.", "1e", "1e+", "0x10", "abc", "1e400",
                           "NaN", "inf", "1,5", "--1", "1-", "١٢"}) {
    Value v;
    EXPECT_FALSE(ParseNumberText(text, &v)) << text;
  }
}

TEST(ConvertToTest, String) {
  auto to_string = [](const Value& v) {
    absl::StatusOr<Value> r = ConvertTo(v, Type::kString);
    EXPECT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->type(), Type::kString);
    return r->text();
  };
  EXPECT_EQ(to_string(Value::String("abc")), "abc");
  EXPECT_EQ(to_string(Value::Number(12.5)), "12.5");
  EXPECT_EQ(to_string(Value::NumberText(1e19, "10000000000000000000")), "10000000000000000000");
  EXPECT_EQ(to_string(Value::Boolean(false)), "false");
  EXPECT_EQ(to_string(Value::Object(R"({"a":1})")), R"({"a":1})");
  EXPECT_EQ(to_string(Value::Array("[1,2]")), "[1,2]");
  EXPECT_EQ(to_string(Value::Missing()), "");
  EXPECT_EQ(to_string(Value::Null()), "null");
}

TEST(ConvertToTest, Number) {
  absl::StatusOr<Value> r = ConvertTo(Value::Number(3), Type::kNumber);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->number(), 3);
  r = ConvertTo(Value::String("12"), Type::kNumber);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->type(), Type::kNumber);
  EXPECT_EQ(r->text(), "12");
  r = ConvertTo(Value::String("-0.25"), Type::kNumber);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->number(), -0.25);

  for (const Value& bad : {Value::String(""), Value::String("abc"), Value::String("  12 "),
                           Value::String("12abc"), Value::Boolean(true), Value::Missing(),
                           Value::Null(), Value::Object("{}"), Value::Array("[1]")}) {
    EXPECT_FALSE(ConvertTo(bad, Type::kNumber).ok()) << bad.ToJson();
  }
  EXPECT_EQ(ConvertTo(Value::String("abc"), Type::kNumber).status().message(),
            R"(cannot convert string "abc" to number: not a number)");
  EXPECT_EQ(ConvertTo(Value::Boolean(true), Type::kNumber).status().message(),
            R"(cannot convert boolean "true" to number: only numbers and numeric strings convert)");
  EXPECT_EQ(ConvertTo(Value::Boolean(true), Type::kNumber).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ConvertToTest, Boolean) {
  EXPECT_TRUE(ConvertTo(Value::Boolean(true), Type::kBoolean)->boolean());
  EXPECT_TRUE(ConvertTo(Value::String("true"), Type::kBoolean)->boolean());
  absl::StatusOr<Value> r = ConvertTo(Value::String("false"), Type::kBoolean);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->type(), Type::kBoolean);
  EXPECT_FALSE(r->boolean());
  for (const Value& bad : {Value::String("TRUE"), Value::String("1"), Value::String(""),
                           Value::Number(1), Value::Missing(), Value::Null()}) {
    EXPECT_FALSE(ConvertTo(bad, Type::kBoolean).ok()) << bad.ToJson();
  }
  EXPECT_EQ(ConvertTo(Value::String("yes"), Type::kBoolean).status().message(),
            R"(cannot convert string "yes" to boolean: expected true or false)");
}

TEST(ConvertToTest, ObjectAndArray) {
  absl::StatusOr<Value> r =
      ConvertTo(Value::String(R"( {"a": 1, "b": [1.10, "x y"]} )"), Type::kObject);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->type(), Type::kObject);
  EXPECT_EQ(r->text(), R"({"a":1,"b":[1.10,"x y"]})");  // numbers as written
  r = ConvertTo(Value::Object(R"({"k":true})"), Type::kObject);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->text(), R"({"k":true})");

  r = ConvertTo(Value::String("[1, [2], {}]"), Type::kArray);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->type(), Type::kArray);
  EXPECT_EQ(r->text(), "[1,[2],{}]");
  r = ConvertTo(Value::Array("[]"), Type::kArray);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->text(), "[]");

  for (const Value& bad : {Value::String("[1]"), Value::String("{bad"), Value::String(""),
                           Value::String("\"{}\""), Value::Number(1), Value::Array("[]"),
                           Value::Missing(), Value::Null(), Value::Boolean(true)}) {
    EXPECT_FALSE(ConvertTo(bad, Type::kObject).ok()) << bad.ToJson();
  }
  for (const Value& bad : {Value::String("{}"), Value::String("[1,"), Value::String("1"),
                           Value::Object("{}"), Value::Missing()}) {
    EXPECT_FALSE(ConvertTo(bad, Type::kArray).ok()) << bad.ToJson();
  }
  EXPECT_EQ(ConvertTo(Value::String("[1]"), Type::kObject).status().message(),
            R"(cannot convert string "[1]" to object: expected a JSON object)");
  EXPECT_EQ(ConvertTo(Value::Missing(), Type::kArray).status().message(),
            R"(cannot convert missing "" to array: expected a JSON array)");

  // A key repeated in the text: once with one value (issue 12, row 14),
  // refused with two, as in task data.
  r = ConvertTo(Value::String(R"({"a": 1, "a": 1, "b": [{"c":2,"c":2}]})"), Type::kObject);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->text(), R"({"a":1,"b":[{"c":2}]})");
  r = ConvertTo(Value::String(R"([{"a":1,"a":2}])"), Type::kArray);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string(r.status().message())
                .find("the text repeats the key \"a\" with different values"),
            std::string::npos)
      << r.status();
}

TEST(ConvertToTest, LongValuesAreClippedInMessages) {
  std::string long_text(150, 'x');
  EXPECT_EQ(ConvertTo(Value::String(long_text), Type::kNumber).status().message(),
            "cannot convert string \"" + std::string(100, 'x') + "...\" to number: not a number");
}

TEST(ConvertToTest, NoConversionToNullOrMissing) {
  EXPECT_EQ(ConvertTo(Value::String("x"), Type::kNull).status().message(), "no conversion to null");
  EXPECT_FALSE(ConvertTo(Value::String("x"), Type::kMissing).ok());
}

}  // namespace
}  // namespace convey
