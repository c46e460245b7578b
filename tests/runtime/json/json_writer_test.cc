#include "runtime/json/json_writer.h"

#include <cmath>
#include <limits>
#include <string>

#include "gtest/gtest.h"
#include "simdjson.h"

namespace convey {
namespace internal {
namespace {

TEST(JsonWriter, NestedContainersAndCommas) {
  JsonWriter json;
  json.BeginObject()
      .Key("a")
      .Int(1)
      .Key("b")
      .BeginArray()
      .Bool(true)
      .Null()
      .BeginObject()
      .EndObject()
      .EndArray()
      .Key("c")
      .String("x")
      .EndObject();
  EXPECT_EQ(json.str(), R"({"a":1,"b":[true,null,{}],"c":"x"})");
}

TEST(JsonWriter, EscapesStrings) {
  std::string out;
  AppendJsonString(&out, std::string("q\"b\\n\n\t\x01\x1f/é", 12));
  EXPECT_EQ(out, "\"q\\\"b\\\\n\\n\\t\\u0001\\u001f/é\"");
}

TEST(JsonWriter, EscapedStringsParseBack) {
  std::string raw;
  for (int c = 1; c < 128; ++c) raw.push_back(static_cast<char>(c));
  std::string out;
  AppendJsonString(&out, raw);
  simdjson::dom::parser parser;
  std::string_view parsed;
  ASSERT_EQ(parser.parse(out).get_string().get(parsed), simdjson::SUCCESS);
  EXPECT_EQ(std::string(parsed), raw);
}

TEST(JsonWriter, DoublesRoundTrip) {
  for (double value : {0.1, 1.0 / 3, 1e300, -2.5e-308, 123456789.125, 3.0}) {
    JsonWriter json;
    json.Double(value);
    simdjson::dom::parser parser;
    double parsed;
    ASSERT_EQ(parser.parse(json.str()).get_double().get(parsed), simdjson::SUCCESS) << json.str();
    EXPECT_EQ(parsed, value) << json.str();
  }
  JsonWriter json;
  json.BeginArray()
      .Double(std::numeric_limits<double>::infinity())
      .Double(std::nan(""))
      .Double(42)
      .EndArray();
  EXPECT_EQ(json.str(), "[null,null,42]");
}

}  // namespace
}  // namespace internal
}  // namespace convey
