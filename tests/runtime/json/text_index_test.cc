#include "runtime/json/text_index.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/json/minify.h"
#include "simdjson.h"

namespace convey {
namespace internal {
namespace {

// What the splice and IsCompactObject read of simdjson's private index: the
// offsets of the structural characters, of each string's opening quote and
// of each scalar's first byte, in order.
TEST(TextIndexTest, HoldsTheStructuralOffsets) {
  const std::string text = R"( {"a" : [1, "x]"], "b":true,"c":{}} )";
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS);
  TextIndex index = IndexOfLastParse(parser);
  std::vector<uint32_t> offsets(index.structurals, index.structurals + index.count);
  EXPECT_EQ(offsets, (std::vector<uint32_t>{1, 2, 6, 8, 9, 10, 12, 16, 17, 19, 22, 23, 27, 28, 31,
                                            32, 33, 34}));
  EXPECT_EQ(IndexOfLastParse(simdjson::dom::parser()).count, 0u);
}

// IsCompactObject's answer for `text`, parsed.
bool Compact(const std::string& text) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  EXPECT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS) << text;
  return IsCompactObject(text, IndexOfLastParse(parser));
}

TEST(TextIndexTest, CompactObjects) {
  EXPECT_TRUE(Compact("{}"));
  EXPECT_TRUE(Compact(R"({"a":1,"b":[true,null,-1.5e3],"c":{"d":"x y\" z  "}})"));
  EXPECT_TRUE(Compact(R"({"a":"\\","b":" "})"));
  EXPECT_FALSE(Compact("{ }"));
  EXPECT_FALSE(Compact(R"( {"a":1})"));
  EXPECT_FALSE(Compact(R"({"a":1} )"));
  EXPECT_FALSE(Compact(R"({"a" :1})"));
  EXPECT_FALSE(Compact(R"({"a": 1})"));
  EXPECT_FALSE(Compact(R"({"a":1 })"));
  EXPECT_FALSE(Compact(R"({"a":[1,2 ]})"));
  EXPECT_FALSE(Compact(R"({"a":"x"	})"));
  EXPECT_FALSE(Compact("{\"a\":true\n}"));
  EXPECT_FALSE(Compact("[1]"));  // not an object
  EXPECT_FALSE(IsCompactObject("{}", TextIndex{}));
}

// On random objects, compact or not, IsCompactObject says whether minifying
// gives the text back.
TEST(TextIndexTest, AgreesWithMinify) {
  std::mt19937 random(11);
  const std::vector<std::string> spaces = {"", "", "", " ", "\n", "\t", "\r\n "};
  const std::vector<std::string> values = {"1",        "-0.5e2", "true",   "null", R"("s p a c e")",
                                           R"("\" ")", "[]",     "[1, 2]", "{}"};
  auto space = [&] { return spaces[random() % spaces.size()]; };
  for (int round = 0; round < 3000; ++round) {
    std::string text = space() + "{";
    const int fields = static_cast<int>(random() % 6);
    for (int f = 0; f < fields; ++f) {
      if (f != 0) text += space() + ",";
      text += space() + "\"k" + std::to_string(f) + " \"" + space() + ":" + space();
      if (random() % 4 == 0) {
        text +=
            "{" + space() + "\"n\":" + space() + values[random() % values.size()] + space() + "}";
      } else {
        text += values[random() % values.size()];
      }
    }
    text += space() + "}" + space();
    std::string minified;
    ASSERT_EQ(MinifyText(text, &minified), simdjson::SUCCESS) << text;
    EXPECT_EQ(Compact(text), minified == text) << text;
  }
}

}  // namespace
}  // namespace internal
}  // namespace convey
