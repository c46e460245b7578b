// The `$.` functions, through templates and directly.
#include "runtime/template/functions.h"

#include <cstdint>
#include <string>

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"
#include "runtime/template/template.h"
#include "tests/runtime/template/fake_env.h"

namespace convey {
namespace {

using testing::CompileError;
using testing::Eval;
using testing::FakeEnv;

constexpr char kTask[] = R"x({
  "amount": 150, "neg": -42, "zero": 0, "name": "Ann", "si": "2", "pad": " 2",
  "i": 1, "date": "2020-02-29 12:00:00", "json": "{\"a\": 1, \"b\": [true]}",
  "list": "[1, 2]", "obj": {"c": "d"}, "arr": [1, 2], "tz": "GMT+5:30", "badtz": "Mars/Base",
  "fmt": "%y/%m/%d"
})x";

// 2024-01-31 22:45:30 UTC: a month end, so day and month arithmetic overflow.
constexpr int64_t kNow = 1706741130;

int64_t Unix(int y, int m, int d, int hh, int mm, int ss) {
  return absl::CivilSecond(y, m, d, hh, mm, ss) - absl::CivilSecond(1970, 1, 1, 0, 0, 0);
}

class FunctionsTest : public ::testing::Test {
 protected:
  FunctionsTest() { env_.now = absl::FromUnixSeconds(kNow); }

  // The number a template gives, checking it is a number.
  double Number(const std::string& text) {
    Value v = Eval(text, env_);
    EXPECT_EQ(v.type(), Value::Type::kNumber) << text << " gave " << v.ToJson();
    return v.number();
  }
  std::string Text(const std::string& text) { return Eval(text, env_).ToText(); }

  FakeEnv env_{kTask};
};

TEST_F(FunctionsTest, Math) {
  EXPECT_EQ(Number("$.math(1+1)"), 2);
  EXPECT_EQ(Eval("$.math(1+1)", env_).text(), "2");
  EXPECT_EQ(Number("$.math({{amount}}*2)"), 300);
  EXPECT_EQ(Number("$.math(({{amount}}-50)/4)"), 25);
  EXPECT_EQ(Number("$.math(-{{neg}})"), 42);
  EXPECT_EQ(Number("$.math({{amount}}-{{neg}})"), 192);
  EXPECT_EQ(Number("$.math(10/4)"), 2.5);
  EXPECT_EQ(Eval("$.math(10/4)", env_).text(), "2.5");
  EXPECT_EQ(Number("$.math(2*3+4)"), 10);
  EXPECT_EQ(Number("$.math(2*(3+4))"), 14);
  EXPECT_EQ(Number("$.math(8/2/2)"), 2);  // left-associative
  EXPECT_EQ(Number("$.math(8-2-2)"), 4);
  EXPECT_EQ(Number("$.math(--3)"), 3);
  EXPECT_EQ(Number("$.math(+3)"), 3);
  EXPECT_EQ(Number("$.math(1.5e2)"), 150);
  EXPECT_EQ(Number("$.math( 1 + 2 )"), 3);
  EXPECT_EQ(Number("$.math({{si}}+1)"), 3);  // a numeric string is a number
  EXPECT_EQ(Number("$.math($.math({{amount}}+1)-1)"), 150);
  EXPECT_EQ(Number("$.math($.unixtime()+60)"), kNow + 60);
  EXPECT_EQ(Eval("$.math(0.1+0.2)", env_).text(), "0.30000000000000004");
  EXPECT_EQ(Eval("$.math(0*-1)", env_).text(), "0");
  EXPECT_EQ(Text("total=$.math(1+2)!"), "total=3!");
  EXPECT_EQ(Text("$.math(1+2))"), "3)");
}

TEST_F(FunctionsTest, MathFailuresAreMissing) {
  EXPECT_TRUE(Eval("$.math(1/0)", env_).is_missing());
  EXPECT_TRUE(Eval("$.math({{amount}}/{{zero}})", env_).is_missing());
  EXPECT_TRUE(Eval("$.math({{name}}+1)", env_).is_missing());
  EXPECT_TRUE(Eval("$.math({{pad}}+1)", env_).is_missing());
  EXPECT_TRUE(Eval("$.math({{missing}}+1)", env_).is_missing());
  EXPECT_TRUE(Eval("$.math({{obj}}+1)", env_).is_missing());
  EXPECT_TRUE(Eval("$.math(1e308*10)", env_).is_missing());
  EXPECT_EQ(Text("x$.math(1/0)y"), "xy");
}

TEST(FunctionsCompileTest, MathErrors) {
  EXPECT_EQ(CompileError("$.math()"), R"x(template "$.math()" at byte 6: empty $.math())x");
  EXPECT_EQ(CompileError("$.math(1+)"),
            R"x(template "$.math(1+)" at byte 9: expected a number, '(' or a reference in )x"
            R"x($.math)x");
  EXPECT_EQ(CompileError("$.math(abc)"),
            R"x(template "$.math(abc)" at byte 7: unexpected 'a' in $.math)x");
  EXPECT_EQ(CompileError("$.math(1 2)"),
            R"x(template "$.math(1 2)" at byte 9: unexpected '2' in $.math)x");
  EXPECT_EQ(CompileError("$.math((1+2)"),
            R"x(template "$.math((1+2)" at byte 6: unclosed '(' of $.math)x");
  EXPECT_EQ(CompileError("$.math({{a}}{{b}})"),
            R"x(template "$.math({{a}}{{b}})" at byte 12: unexpected '{' in $.math)x");
  EXPECT_EQ(CompileError("$.math({{a..b}}+1)"),
            R"x(template "$.math({{a..b}}+1)" at byte 11: empty key)x");
  std::string deep = "$.math(" + std::string(20, '(') + "1" + std::string(20, ')') + ")";
  std::string error = CompileError(deep);
  EXPECT_NE(error.find("nesting deeper than 16 levels"), std::string::npos) << error;
}

TEST_F(FunctionsTest, Unixtime) {
  EXPECT_EQ(Number("$.unixtime()"), kNow);
  EXPECT_EQ(Eval("$.unixtime()", env_).text(), "1706741130");
  EXPECT_EQ(Number("$.unixtime(%y-%m-%d %h:%i:%s)"), kNow);
  EXPECT_EQ(Number("$.unixtime(%y-%m-%d %h:%i+60:%s)"), kNow + 3600);
  EXPECT_EQ(Number("$.unixtime(%y-%m-%d %h-5:%i:%s)"), kNow - 5 * 3600);
  EXPECT_EQ(Number("$.unixtime(%y-%m-%d 02:00:00)"), Unix(2024, 1, 31, 2, 0, 0));
  EXPECT_EQ(Number("$.unixtime(%y-%m-%d+1 09:00:00)"), Unix(2024, 2, 1, 9, 0, 0));
  EXPECT_EQ(Number("$.unixtime(%y-%m-%d)"), Unix(2024, 1, 31, 0, 0, 0));
  EXPECT_EQ(Number("$.unixtime(%d+1)"), Unix(2024, 2, 1, 0, 0, 0));
  EXPECT_EQ(Number("$.unixtime(%h:%i)"), Unix(2024, 1, 31, 22, 45, 0));
  // Jan 31 + 1 month is "Feb 31", normalised to Mar 2 in a leap year.
  EXPECT_EQ(Number("$.unixtime(%y-%m+1-%d)"), Unix(2024, 3, 2, 0, 0, 0));
  EXPECT_EQ(Number("$.unixtime(%y+1-%m-%d %h:%i:%s)"), Unix(2025, 1, 31, 22, 45, 30));
  EXPECT_EQ(Number("$.unixtime(%y-%m-%d %h:%i:%s+30)"), kNow + 30);
  EXPECT_EQ(Number("$.unixtime(%y-%m-%d %h+2:%i:%s)"), kNow + 7200);  // into Feb 1
  EXPECT_EQ(Number("$.unixtime(2024-01-05 10:00:00)"), Unix(2024, 1, 5, 10, 0, 0));
  EXPECT_EQ(Number("$.unixtime(2024-01-05T10:00:00)"), Unix(2024, 1, 5, 10, 0, 0));
  EXPECT_EQ(Number("$.unixtime(2024/13/01)"), Unix(2025, 1, 1, 0, 0, 0));
  EXPECT_EQ(Number("$.unixtime({{date}})"), Unix(2020, 2, 29, 12, 0, 0));
  EXPECT_EQ(Number("$.unixtime($.date(%y-%m-%d))"), Unix(2024, 1, 31, 0, 0, 0));
  EXPECT_TRUE(Eval("$.unixtime({{name}})", env_).is_missing());
  EXPECT_TRUE(Eval("$.unixtime({{missing}})", env_).is_missing());
}

TEST_F(FunctionsTest, UnixtimeFollowsTheClock) {
  auto compiled = Template::Compile("$.unixtime(%y-%m-%d+1 09:00:00)", TemplateMode::kValue);
  ASSERT_TRUE(compiled.ok());
  EXPECT_FALSE((*compiled)->is_constant());
  EXPECT_EQ((*compiled)->Evaluate(env_).number(), Unix(2024, 2, 1, 9, 0, 0));
  env_.now = absl::FromCivil(absl::CivilSecond(2023, 12, 31, 23, 0, 0), absl::UTCTimeZone());
  EXPECT_EQ((*compiled)->Evaluate(env_).number(), Unix(2024, 1, 1, 9, 0, 0));
}

TEST_F(FunctionsTest, Date) {
  EXPECT_EQ(Text("$.date(%y-%m-%d %h:%i:%s)"), "2024-01-31 22:45:30");
  EXPECT_EQ(Text("$.date()"), "2024-01-31 22:45:30");
  EXPECT_EQ(Text("$.date(%y-%m-%d+1 %h:%i:%s)"), "2024-02-01 22:45:30");
  EXPECT_EQ(Text("$.date(%d.%m.%y)"), "31.01.2024");
  EXPECT_EQ(Text("$.date(%d-1)"), "30");
  EXPECT_EQ(Text("$.date(%y-%m+1-%d)"), "2024-03-02");
  EXPECT_EQ(Text("$.date(%h:%i+20)"), "23:05");
  EXPECT_EQ(Text("$.date(%y-%m-%d %h+2)"), "2024-02-01 00");
  EXPECT_EQ(Text("$.date(%y-%m-%d+1-%h:%i:%s)"), "2024-02-01-22:45:30");
  EXPECT_EQ(Text("$.date(at %h o'clock, 100%)"), "at 22 o'clock, 100%");
  EXPECT_EQ(Text("$.date(%y%%x)"), "2024%%x");
  EXPECT_EQ(Text("$.date({{fmt}})"), "2024/01/31");
  EXPECT_EQ(Text("Today: $.date(%y-%m-%d)."), "Today: 2024-01-31.");
  EXPECT_TRUE(Eval("$.date({{missing}})", env_).is_missing());
  EXPECT_EQ(Eval("$.date(%y)", env_).type(), Value::Type::kString);

  env_.now = absl::FromCivil(absl::CivilSecond(2023, 12, 31, 23, 59, 59), absl::UTCTimeZone());
  EXPECT_EQ(Text("$.date(%y-%m-%d %h:%i:%s+1)"), "2024-01-01 00:00:00");
  env_.now = absl::FromCivil(absl::CivilSecond(2024, 2, 28, 12, 0, 0), absl::UTCTimeZone());
  EXPECT_EQ(Text("$.date(%y-%m-%d+1)"), "2024-02-29");
  env_.now = absl::FromCivil(absl::CivilSecond(2023, 2, 28, 12, 0, 0), absl::UTCTimeZone());
  EXPECT_EQ(Text("$.date(%y-%m-%d+1)"), "2023-03-01");
  env_.now = absl::FromCivil(absl::CivilSecond(2024, 3, 1, 0, 30, 0), absl::UTCTimeZone());
  EXPECT_EQ(Text("$.date(%y-%m-%d %h-1:%i)"), "2024-02-29 23:30");
}

TEST_F(FunctionsTest, TimeZones) {
  // January: Kyiv is UTC+2, New York UTC-5. `.tz` gives the zone's wall
  // clock counted as seconds, i.e. shifted by the offset.
  EXPECT_EQ(Number("$.unixtime().tz('Europe/Kiev')"), kNow + 7200);
  EXPECT_EQ(Number("$.unixtime().tz(\"Europe/Kiev\")"), kNow + 7200);
  EXPECT_EQ(Number("$.unixtime().tz(Europe/Kiev)"), kNow + 7200);
  EXPECT_EQ(Number("$.unixtime().tz('GMT+2')"), kNow + 7200);
  EXPECT_EQ(Number("$.unixtime().tz('GMT-3')"), kNow - 3 * 3600);
  EXPECT_EQ(Number("$.unixtime().tz('UTC')"), kNow);
  EXPECT_EQ(Number("$.unixtime().tz('+0530')"), kNow + 5 * 3600 + 1800);
  EXPECT_EQ(Number("$.unixtime().tz({{tz}})"), kNow + 5 * 3600 + 1800);
  EXPECT_EQ(Number("$.unixtime(%y-%m-%d %h:%i:%s).tz('America/New_York')"), kNow - 5 * 3600);
  EXPECT_EQ(Number("$.unixtime(%y-%m-%d 09:00:00).tz('Europe/Kiev')"),
            Unix(2024, 2, 1, 9, 0, 0));  // already Feb 1 in Kyiv
  EXPECT_EQ(Text("$.date(%y-%m-%d %h:%i).tz('Europe/Kiev')"), "2024-02-01 00:45");
  EXPECT_EQ(Text("$.date(%h:%i).tz('GMT-10')!"), "12:45!");
  EXPECT_TRUE(Eval("$.unixtime().tz({{badtz}})", env_).is_missing());
  EXPECT_TRUE(Eval("$.unixtime().tz({{missing}})", env_).is_missing());
  // Summer time: July in Kyiv is UTC+3.
  env_.now = absl::FromCivil(absl::CivilSecond(2024, 7, 1, 12, 0, 0), absl::UTCTimeZone());
  EXPECT_EQ(Text("$.date(%h).tz('Europe/Kiev')"), "15");
}

TEST(FunctionsCompileTest, TimeErrors) {
  EXPECT_EQ(CompileError("$.unixtime(abc)"),
            R"x(template "$.unixtime(abc)" at byte 11: $.unixtime(abc): unexpected 'a' at byte )x"
            R"x(0 (expected a number, %y %m %d %h %i %s, or a separator))x");
  EXPECT_EQ(CompileError("$.unixtime(%y %y)"),
            R"x(template "$.unixtime(%y %y)" at byte 11: $.unixtime(%y %y): the field at byte )x"
            R"x(3 is given twice)x");
  EXPECT_EQ(CompileError("$.unixtime(1 2 3 4 5 6 7)"),
            R"x(template "$.unixtime(1 2 3 4 5 6 7)" at byte 11: $.unixtime(1 2 3 4 5 6 7): )x"
            R"x(more than six date fields at byte 12)x");
  EXPECT_EQ(CompileError("$.unixtime(%d+1234567890)"),
            R"x(template "$.unixtime(%d+1234567890)" at byte 11: $.unixtime(%d+1234567890): )x"
            R"x(number at byte 3 has more than 9 digits)x");
  EXPECT_EQ(CompileError("$.date(%d+1234567890)"),
            R"x(template "$.date(%d+1234567890)" at byte 7: $.date(%d+1234567890): number at )x"
            R"x(byte 3 has more than 9 digits)x");
  EXPECT_EQ(CompileError("$.unixtime(- -)"),
            R"x(template "$.unixtime(- -)" at byte 11: $.unixtime(- -): no date fields)x");
  EXPECT_EQ(CompileError("$.unixtime().tz('Mars/Base')"),
            R"x(template "$.unixtime().tz('Mars/Base')" at byte 17: unknown time zone )x"
            R"x("Mars/Base")x");
  EXPECT_EQ(CompileError("$.unixtime().tz('GMT+99')"),
            R"x(template "$.unixtime().tz('GMT+99')" at byte 17: time zone "GMT+99": expected )x"
            R"x(GMT+H, GMT+HH:MM, GMT+HHMM or an IANA name)x");
  EXPECT_EQ(CompileError("$.unixtime().tz('')"),
            R"x(template "$.unixtime().tz('')" at byte 15: empty .tz())x");
  EXPECT_EQ(CompileError("$.unixtime().tz('UTC'"),
            R"x(template "$.unixtime().tz('UTC'" at byte 15: unclosed '(' of .tz)x");
  EXPECT_EQ(CompileError("$.date(%y"),
            R"x(template "$.date(%y" at byte 6: unclosed '(' of $.date)x");
}

TEST_F(FunctionsTest, Random) {
  env_.randoms = {5};
  EXPECT_EQ(Eval("$.random(10)", env_).text(), "6");  // 1..10
  env_.randoms = {5};
  EXPECT_EQ(Number("$.random(-10)"), -5);  // -10..-1
  env_.randoms = {7};
  EXPECT_EQ(Number("$.random(50, 100)"), 57);
  env_.randoms = {7};
  EXPECT_EQ(Number("$.random(100, 50)"), 57);
  env_.randoms = {149};
  EXPECT_EQ(Number("$.random({{amount}})"), 150);
  env_.randoms = {0};
  EXPECT_EQ(Number("$.random({{si}})"), 1);

  int calls = env_.random_calls;
  EXPECT_EQ(Number("$.random(0)"), 0);
  EXPECT_EQ(Number("$.random(1)"), 1);
  EXPECT_EQ(env_.random_calls, calls);  // one possible value: no draw

  // Above int64: capped to INT64_MAX, so 1..INT64_MAX.
  env_.randoms = {UINT64_MAX - 3};
  Value v = Eval("$.random(99999999999999999999)", env_);
  EXPECT_EQ(v.type(), Value::Type::kNumber);
  EXPECT_GE(v.number(), 1);

  // A draw in the biased tail is drawn again.
  env_.randoms = {UINT64_MAX, 3};
  calls = env_.random_calls;
  EXPECT_EQ(Number("$.random(10)"), 4);
  EXPECT_EQ(env_.random_calls, calls + 2);

  EXPECT_TRUE(Eval("$.random({{name}})", env_).is_missing());
  EXPECT_TRUE(Eval("$.random({{missing}})", env_).is_missing());
}

TEST(FunctionsCompileTest, RandomErrors) {
  EXPECT_EQ(CompileError("$.random()"),
            R"x(template "$.random()" at byte 9: $.random needs a bound)x");
  EXPECT_EQ(CompileError("$.random(1,)"),
            R"x(template "$.random(1,)" at byte 11: $.random needs a bound)x");
  EXPECT_EQ(CompileError("$.random(1,2,3)"),
            R"x(template "$.random(1,2,3)" at byte 8: $.random takes one bound N or two )x"
            R"x(bounds A, B)x");
  EXPECT_EQ(CompileError("$.random(2.5)"),
            R"x(template "$.random(2.5)" at byte 9: a $.random bound must be an integer)x");
  EXPECT_EQ(CompileError("$.random(abc)"),
            R"x(template "$.random(abc)" at byte 9: a $.random bound must be an integer)x");
}

TEST_F(FunctionsTest, DigestsAndEncoding) {
  EXPECT_EQ(Text("$.sha1_hex(abc)"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Text("$.sha1(abc)"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Text("$.sha1_hex(100)"), "310b86e0b62b828562fc91c7be5380a992b2786a");
  EXPECT_EQ(Text("$.sha1_hex({{amount}})"), "13682ac418603aa0966369d46bbf282f562acf47");
  EXPECT_EQ(Text("$.sha1_hex()"), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(Text("$.md5_hex(abc)"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Text("$.md5_hex({{amount}})"), "7ef605fc8dba5425d6965fbd4c8fbe1f");
  EXPECT_EQ(Text("$.md5_hex({{missing}})"), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Text("$.base64_encode(hello)"), "aGVsbG8=");
  EXPECT_EQ(Text("$.base64_encode({{name}})"), "QW5u");
  EXPECT_EQ(Text("$.base64_encode({{obj}})"), "eyJjIjoiZCJ9");  // {"c":"d"}
  EXPECT_EQ(Text("$.sha1_hex($.base64_encode({{name}}))"),
            "b0f97cf63566ae3364da70e86669345a5e89a55b");
  EXPECT_EQ(Text("sig=$.md5_hex(abc);"), "sig=900150983cd24fb0d6963f7d28e17f72;");
  EXPECT_EQ(Text("$.md5_hex({{a})"), "386e86db79899271ab44db0989bbed3e");  // "{{a}" is text
  EXPECT_EQ(Eval("$.sha1_hex(abc)", env_).type(), Value::Type::kString);
}

TEST_F(FunctionsTest, Conversions) {
  Value v = Eval("$.to_object({{json}})", env_);
  EXPECT_EQ(v.type(), Value::Type::kObject);
  EXPECT_EQ(v.text(), R"x({"a":1,"b":[true]})x");
  v = Eval("$.to_array({{list}})", env_);
  EXPECT_EQ(v.type(), Value::Type::kArray);
  EXPECT_EQ(v.text(), "[1,2]");
  EXPECT_EQ(Eval("$.to_array([1, 2])", env_).text(), "[1,2]");
  v = Eval("$.to_number({{si}})", env_);
  EXPECT_EQ(v.type(), Value::Type::kNumber);
  EXPECT_EQ(v.number(), 2);
  v = Eval("$.to_string({{obj}})", env_);
  EXPECT_EQ(v.type(), Value::Type::kString);
  EXPECT_EQ(v.text(), R"x({"c":"d"})x");
  v = Eval("$.to_string({{amount}})", env_);
  EXPECT_EQ(v.type(), Value::Type::kString);
  EXPECT_EQ(v.text(), "150");
  EXPECT_EQ(Eval("$.to_object({{obj}})", env_).text(), R"x({"c":"d"})x");

  EXPECT_TRUE(Eval("$.to_number(abc)", env_).is_missing());
  EXPECT_TRUE(Eval("$.to_number({{pad}})", env_).is_missing());
  EXPECT_TRUE(Eval("$.to_object({{arr}})", env_).is_missing());
  EXPECT_TRUE(Eval("$.to_object({{list}})", env_).is_missing());
  EXPECT_TRUE(Eval("$.to_array({{name}})", env_).is_missing());
  EXPECT_TRUE(Eval("$.to_number()", env_).is_missing());
  EXPECT_EQ(Eval("$.to_string()", env_).text(), "");
}

TEST(FunctionsCompileTest, UnsupportedAndUnknownFunctions) {
  EXPECT_EQ(CompileError("$.map(fun(Item) -> Item*2 end, {{a}})"),
            R"x(template "$.map(fun(Item) -> Item*2 end, {{a}})" at byte 0: $.map is not )x"
            R"x(supported: Erlang funs are not supported)x");
  EXPECT_EQ(CompileError("x $.filter(fun(I) when I > 1 -> true; (_) -> false end, {{b}})"),
            R"x(template "x $.filter(fun(I) when I > 1 -> true; (_) -> false end, {{b}})" at )x"
            R"x(byte 2: $.filter is not supported: Erlang funs are not supported)x");
  EXPECT_EQ(CompileError("$.sha256_hex(x)"),
            R"x(template "$.sha256_hex(x)" at byte 0: unknown function $.sha256_hex)x");
  EXPECT_EQ(CompileError("{{a[$.nope(1)]}}"),
            R"x(template "{{a[$.nope(1)]}}" at byte 4: unknown function $.nope)x");
  EXPECT_EQ(CompileError("$.sha1_hex({{a}"),
            R"x(template "$.sha1_hex({{a}" at byte 10: unclosed '(' of $.sha1_hex)x");

  std::string deep;
  for (int k = 0; k < 17; ++k) deep += "$.to_string(";
  deep += "x" + std::string(17, ')');
  std::string error = CompileError(deep);
  EXPECT_NE(error.find("nesting deeper than 16 levels"), std::string::npos) << error;
  deep = deep.substr(std::string("$.to_string(").size());
  deep.pop_back();
  EXPECT_EQ(CompileError(deep), "");
}

TEST(FormatDateTest, Direct) {
  absl::CivilSecond now(2024, 1, 31, 22, 45, 30);
  EXPECT_EQ(*internal::FormatDate("%y-%m-%d %h:%i:%s", now), "2024-01-31 22:45:30");
  EXPECT_EQ(*internal::FormatDate("%m+11", now), "12");
  EXPECT_EQ(*internal::FormatDate("%y %m+12", now), "2025 01");
  EXPECT_EQ(*internal::FormatDate("%y-%m-%d %d+1", now), "2024-02-01 01");  // offsets add up
  EXPECT_EQ(*internal::FormatDate("%s+30 %i", now), "00 46");
  EXPECT_EQ(*internal::FormatDate("", now), "");
  EXPECT_EQ(*internal::FormatDate("%x %", now), "%x %");
  EXPECT_EQ(*internal::FormatDate("%y", absl::CivilSecond(987, 1, 1, 0, 0, 0)), "0987");
  EXPECT_FALSE(internal::FormatDate("%d+9999999999", now).ok());
}

TEST(UnixtimeFromTextTest, Direct) {
  absl::CivilSecond now(2024, 1, 31, 22, 45, 30);
  EXPECT_EQ(*internal::UnixtimeFromText("1970-01-01 00:00:00", now), 0);
  EXPECT_EQ(*internal::UnixtimeFromText("1969-12-31 23:59:59", now), -1);
  EXPECT_EQ(*internal::UnixtimeFromText("2024-01-31 22:45:30", now), kNow);
  EXPECT_EQ(*internal::UnixtimeFromText("2024-02-30", now), Unix(2024, 3, 1, 0, 0, 0));
  EXPECT_EQ(*internal::UnixtimeFromText("%y-%m-%d 24:00:00", now), Unix(2024, 2, 1, 0, 0, 0));
  EXPECT_EQ(*internal::UnixtimeFromText("%i+1", now), Unix(2024, 1, 31, 0, 46, 0));
  EXPECT_EQ(internal::UnixtimeFromText("2024-01-01 x", now).status().message(),
            "$.unixtime(2024-01-01 x): unexpected 'x' at byte 11 (expected a number, %y %m %d "
            "%h %i %s, or a separator)");
  EXPECT_EQ(internal::UnixtimeFromText("2024 %y", now).status().message(),
            "$.unixtime(2024 %y): the field at byte 5 is given twice");
  // A placeholder takes its own field and a position: "%y 2024" sets the
  // month to 2024 (normalised), it does not clash.
  EXPECT_TRUE(internal::UnixtimeFromText("%y 2024", now).ok());
  EXPECT_FALSE(internal::UnixtimeFromText("", now).ok());
  EXPECT_FALSE(internal::UnixtimeFromText("+1", now).ok());
}

TEST(ResolveTimeZoneTest, Direct) {
  absl::Time t = absl::FromUnixSeconds(kNow);
  auto offset = [&](const char* name) {
    absl::StatusOr<absl::TimeZone> zone = internal::ResolveTimeZone(name);
    EXPECT_TRUE(zone.ok()) << name << ": " << zone.status();
    return zone.ok() ? zone->At(t).offset : -1;
  };
  EXPECT_EQ(offset("UTC"), 0);
  EXPECT_EQ(offset("gmt"), 0);
  EXPECT_EQ(offset("GMT+2"), 7200);
  EXPECT_EQ(offset("GMT+02:00"), 7200);
  EXPECT_EQ(offset("UTC-0330"), -12600);
  EXPECT_EQ(offset("+14"), 14 * 3600);
  EXPECT_EQ(offset("Europe/Kiev"), 7200);
  EXPECT_EQ(offset("Etc/GMT+2"), -7200);  // IANA's POSIX-style sign
  for (const char* bad :
       {"", "GMT+", "GMT+15", "GMT+2:75", "GMT*2", "+123456", "Nowhere/City", "GMT+2:3"}) {
    EXPECT_FALSE(internal::ResolveTimeZone(bad).ok()) << bad;
  }
}

TEST(RandomBetweenTest, Direct) {
  uint64_t next = 0;
  auto source = [&] { return next; };
  next = 0;
  EXPECT_EQ(internal::RandomBetween(5, 9, source), 5);
  next = 4;
  EXPECT_EQ(internal::RandomBetween(5, 9, source), 9);
  next = 5;
  EXPECT_EQ(internal::RandomBetween(5, 9, source), 5);
  next = 123;
  EXPECT_EQ(internal::RandomBetween(INT64_MIN, INT64_MAX, source), 123);
  next = 0;
  EXPECT_EQ(internal::RandomBetween(INT64_MIN, INT64_MIN + 1, source), INT64_MIN);
  next = 1;
  EXPECT_EQ(internal::RandomBetween(-1, 0, source), 0);
}

TEST(DigestTest, Direct) {
  EXPECT_EQ(internal::Sha1Hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(internal::Md5Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(internal::Base64(""), "");
  EXPECT_EQ(internal::Base64(std::string("\0\xff", 2)), "AP8=");
}

}  // namespace
}  // namespace convey
