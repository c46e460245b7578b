#include "runtime/json/text_index.h"

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "runtime/json/minify.h"
#include "runtime/json/path.h"
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

// FindInIndex's answer for `path` in `text` (parsed), with the scalar's text
// when found: "found:<text>", "missing" or "unknown".
std::string Find(const std::string& text, const std::string& path_text) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  EXPECT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS) << text;
  absl::StatusOr<Path> path = ParsePath(path_text);
  EXPECT_TRUE(path.ok()) << path_text;
  const TextIndex index = IndexOfLastParse(parser);
  size_t at = 0;
  switch (FindInIndex(text, index, *path, &at)) {
    case IndexLookup::kFound:
      return "found:" + std::string(ScalarTextAt(text, index, at));
    case IndexLookup::kMissing:
      return "missing";
    case IndexLookup::kUnknown:
      return "unknown";
  }
  return "";
}

// Each path of `expected` found in `text` as its answer says.
void ExpectFinds(const std::string& text,
                 const std::vector<std::pair<std::string, std::string>>& expected) {
  for (const auto& [path, answer] : expected) EXPECT_EQ(Find(text, path), answer) << path;
}

TEST(FindInIndexTest, TopLevelKeys) {
  ExpectFinds(R"({"a":1,"bb":"x","c":true,"d":null,"e":-2.5e3})", {{"a", "found:1"},
                                                                   {"bb", "found:x"},
                                                                   {"c", "found:true"},
                                                                   {"d", "found:null"},
                                                                   {"e", "found:-2.5e3"},
                                                                   {"b", "missing"},
                                                                   {"bbb", "missing"}});
  EXPECT_EQ(Find("{}", "a"), "missing");
}

TEST(FindInIndexTest, NestedValuesAreSkippedAndEntered) {
  ExpectFinds(
      R"({"o":{"a":{"x":[1,{"y":2}]},"b":[[],{}]},"arr":[10,[20,30],{"k":"v"},40],"z":"end"})",
      {{"z", "found:end"},
       {"o.b[0]", "found:["},
       {"o.a.x[1].y", "found:2"},
       {"arr[0]", "found:10"},
       {"arr[1][1]", "found:30"},
       {"arr[2].k", "found:v"},
       {"arr[3]", "found:40"},
       {"arr[4]", "missing"},
       {"o.b[0][0]", "missing"},  // an empty array
       {"o.b[1].k", "missing"},   // an empty object
       {"z.k", "missing"},        // a string is no object
       {"o[0]", "missing"},       // an object is no array
       {"arr.k", "missing"}});    // an array is no object
}

// Brackets, colons, commas and quotes inside strings are not structure.
TEST(FindInIndexTest, StringsHoldAnything) {
  const std::string text = R"({"a":"{[:,]}","b:c":"\"}","d":"x"})";
  EXPECT_EQ(Find(text, "b:c"), R"(found:\"})");  // a string's bytes as written
  EXPECT_EQ(Find(R"({"a":"{[:,]}","b:c":1,"d":"x"})", "b:c"), "found:1");
  EXPECT_EQ(Find(R"({"a":"{[:,]}","b:c":1,"d":"x"})", "d"), "found:x");
}

// A key written with escapes could be the one looked for: only the
// document can tell. Escapes lengthen a key: shorter keys, and keys before
// the one found, decide nothing.
TEST(FindInIndexTest, EscapedKeysAreUnknown) {
  EXPECT_EQ(Find(R"({"\u0061":1,"b":2})", "a"), "unknown");
  EXPECT_EQ(Find(R"({"\u0061":1,"b":2})", "b"), "found:2");
  EXPECT_EQ(Find(R"({"b":2,"\u0061":1})", "b"), "found:2");
  EXPECT_EQ(Find(R"({"a\"b":1})", "x"), "unknown");
  EXPECT_EQ(Find(R"({"\n":1})", "xyz"), "missing");
  EXPECT_EQ(Find(R"({"a\\b":1})", "a\\b"), "unknown");  // an escaped backslash
}

TEST(FindInIndexTest, WhitespaceAroundTokens) {
  ExpectFinds(" { \"a\" : 12 , \"b\"\t:\n\"s\" , \"c\" : [ 1 , 2 ] } ",
              {{"a", "found:12"}, {"b", "found:s"}, {"c[1]", "found:2"}, {"d", "missing"}});
}

// An index of another text is not walked: the document answers.
TEST(FindInIndexTest, AnIndexOfAnotherTextIsUnknown) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(std::string(R"({"a":1,"bbbbbbbbbbbbbbbbbbbb":2})")).get(doc),
            simdjson::SUCCESS);
  const TextIndex longer = IndexOfLastParse(parser);
  size_t at = 0;
  EXPECT_EQ(FindInIndex(R"({"a":1})", longer, *ParsePath("a"), &at), IndexLookup::kUnknown);
  EXPECT_EQ(FindInIndex(R"({"a":1})", TextIndex{}, *ParsePath("a"), &at), IndexLookup::kUnknown);
}

// Task data has no repeated keys once created; where text repeats a key
// written alike, the first is found, as FindPath finds it in the document.
TEST(FindInIndexTest, FirstOfRepeatedKeys) { EXPECT_EQ(Find(R"({"a":1,"a":2})", "a"), "found:1"); }

}  // namespace
}  // namespace internal
}  // namespace convey
