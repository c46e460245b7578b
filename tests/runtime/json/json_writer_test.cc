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

// Every byte, alone and between others: the size announced is the size
// written, and the escapes are the ones simdjson::minify writes.
TEST(JsonWriter, WriteJsonStringWritesTheSizeItAnnouncesForEveryByte) {
  for (int c = 0; c < 256; ++c) {
    for (const std::string& text : {std::string(1, static_cast<char>(c)),
                                    "ab" + std::string(1, static_cast<char>(c)) + "cd"}) {
      const size_t size = JsonStringSize(text);
      std::string out(size + 8, '#');
      char* end = WriteJsonString(out.data(), text);
      EXPECT_EQ(static_cast<size_t>(end - out.data()), size) << c;
      EXPECT_EQ(out.substr(size), "########") << c;  // nothing written past it
      out.resize(size);
      std::string appended = "x";
      AppendJsonString(&appended, text);
      EXPECT_EQ(appended, "x" + out) << c;
    }
  }
  std::string out;
  AppendJsonString(&out, std::string("\x00\b\t\n\x0b\f\r\x1f \x7f\"\\", 12));
  // DEL (0x7f) is no control character to JSON: written as it is.
  EXPECT_EQ(out, std::string(R"("\u0000\b\t\n\u000b\f\r\u001f )") + "\x7f" + R"(\"\\")");
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
