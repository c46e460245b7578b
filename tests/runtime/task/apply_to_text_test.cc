// ApplyWritesToText and MergeTopLevel: writes spliced into a task's
// existing text, checked against the DOM path (runtime/task/write_set.h).
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "runtime/json/json_writer.h"
#include "runtime/json/text_index.h"
#include "runtime/task/write_set.h"
#include "simdjson.h"
#include "tests/runtime/task/write_test_util.h"

namespace convey {
namespace internal {
namespace {

// --- ApplyWritesToText ------------------------------------------------------

// Parses `text` and applies `writes` through ApplyWritesToText, once with
// the parse's structural index and once scanning the text: both give the
// same bytes.
std::string ApplyToText(const std::string& text, const std::vector<W>& writes) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(text).get(doc) != simdjson::SUCCESS) {
    ADD_FAILURE() << "bad test document: " << text;
    return "";
  }
  const WriteSet set = MakeWrites(writes);
  std::string indexed;
  ApplyWritesToText(text, doc, IndexOfLastParse(parser), set, &indexed);
  std::string scanned;
  ApplyWritesToText(text, doc, TextIndex{}, set, &scanned);
  EXPECT_EQ(indexed, scanned) << text;
  ExpectValidJson(indexed);
  return indexed;
}

TEST(ApplyWritesToText, SplicesTopLevelWrites) {
  EXPECT_EQ(ApplyToText(R"({"a":1,"b":"x","c":[1]})", {{"b", Str("y")}}),
            R"({"a":1,"b":"y","c":[1]})");
  EXPECT_EQ(ApplyToText(R"({"a":1})", {{"b", Int(2)}, {"c", Value::Null()}}),
            R"({"a":1,"b":2,"c":null})");
  EXPECT_EQ(ApplyToText("{}", {{"a", Int(1)}}), R"({"a":1})");
  EXPECT_EQ(ApplyToText(R"({"a":{"x":[1,{"y":2}]},"b":0})", {{"a", Int(1)}}), R"({"a":1,"b":0})");
  EXPECT_EQ(ApplyToText(R"({"a":[1,[2,[3]]],"b":0})", {{"a", Value::Array("[]")}, {"b", Int(1)}}),
            R"({"a":[],"b":1})");
}

TEST(ApplyWritesToText, CopiesTheRestByteForByte) {
  // Whitespace and number spellings survive outside the written values.
  EXPECT_EQ(ApplyToText(" { \"a\" : 1.50 ,\n \"b\" : 2 } ", {{"b", Int(3)}}),
            " { \"a\" : 1.50 ,\n \"b\" : 3 } ");
  EXPECT_EQ(ApplyToText(R"({ "a" : 1e2 })", {{"c", Int(3)}}), R"({ "a" : 1e2 ,"c":3})");
  EXPECT_EQ(ApplyToText("{ }", {{"a", Int(1)}}), R"({ "a":1})");
  EXPECT_EQ(ApplyToText(R"({"s":"\u00e9\/","t":1})", {{"t", Int(2)}}), R"({"s":"\u00e9\/","t":2})");
}

TEST(ApplyWritesToText, SkipsStringsWithQuotesAndBrackets) {
  EXPECT_EQ(ApplyToText(R"({"s":"x\"}y\\","t":1})", {{"t", Int(2)}}), R"({"s":"x\"}y\\","t":2})");
  EXPECT_EQ(ApplyToText(R"({"o":{"k":"}]","a":[1,"[",{},"\\\""]},"z":0})", {{"z", Int(1)}}),
            R"({"o":{"k":"}]","a":[1,"[",{},"\\\""]},"z":1})");
  EXPECT_EQ(ApplyToText(R"({"o":{"k":"}]"},"z":0})", {{"o", Int(1)}}), R"({"o":1,"z":0})");
}

TEST(ApplyWritesToText, RepeatedAndDuplicateKeys) {
  EXPECT_EQ(ApplyToText(R"({"a":1,"a":2})", {{"a", Int(3)}}), R"({"a":3,"a":3})");
  EXPECT_EQ(ApplyToText(R"({"a":1})", {{"b", Int(1)}, {"c", Int(2)}, {"b", Int(3)}}),
            R"({"a":1,"b":3,"c":2})");
}

TEST(ApplyWritesToText, EscapedKeysFallBackToTheDom) {
  // "a\u0062" is the key "ab": the DOM path finds it (and compacts).
  EXPECT_EQ(ApplyToText(R"({"a\u0062":1, "c":2})", {{"ab", Int(5)}}), R"({"ab":5,"c":2})");
  // A key with escapes no longer than every written key cannot be one of
  // them: the text is still spliced, the key copied as it is.
  EXPECT_EQ(ApplyToText(R"({"\n":1, "abcdef":2})", {{"abcdef", Int(3)}}),
            R"({"\n":1, "abcdef":3})");
}

TEST(ApplyWritesToText, LongKeys) {
  // Keys of 64 bytes and more share one bit of the written sizes' mask.
  const std::string long_key(70, 'k');
  const std::string other_key(65, 'k');
  EXPECT_EQ(ApplyToText(absl::StrCat(R"({")", other_key, R"(":1,")", long_key, R"(":2})"),
                        {{long_key, Int(3)}}),
            absl::StrCat(R"({")", other_key, R"(":1,")", long_key, R"(":3})"));
}

TEST(ApplyWritesToText, OtherWritesTakeTheDomPath) {
  EXPECT_EQ(ApplyToText(R"({ "a" : {"b":1.50} })", {{"a.b", Int(2)}}), R"({"a":{"b":2}})");
  EXPECT_EQ(ApplyToText(R"({ "a" : [] })", {{"a[0]", Int(2)}}), R"({"a":[2]})");
}

TEST(ApplyWritesToText, WithinLimit) {
  const std::string text = R"({"a":1})";
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS);
  WriteSet writes = MakeWrites({{"b", Str(std::string(100, 'x'))}});
  std::string out = "keep";
  EXPECT_FALSE(ApplyWritesToTextWithin(text, doc, IndexOfLastParse(parser), writes, 113, &out));
  EXPECT_EQ(out, "keep");
  out.clear();
  EXPECT_TRUE(ApplyWritesToTextWithin(text, doc, IndexOfLastParse(parser), writes, 114, &out));
  EXPECT_EQ(out, R"({"a":1,"b":")" + std::string(100, 'x') + "\"}");
}

// An index that does not fit the text (here of a longer one) is not
// followed: the text is scanned instead.
TEST(ApplyWritesToText, AnIndexPastTheTextIsNotFollowed) {
  simdjson::dom::parser longer;
  simdjson::dom::element longer_doc;
  ASSERT_EQ(longer.parse(std::string(R"({"a":1,"b":[2,3],"c":"four"})")).get(longer_doc),
            simdjson::SUCCESS);
  const std::string text = R"({"a":1,"b":2})";
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS);
  std::string out;
  ApplyWritesToText(text, doc, IndexOfLastParse(longer), MakeWrites({{"b", Int(5)}}), &out);
  EXPECT_EQ(out, R"({"a":1,"b":5})");
}

// For canonical text (what AppendElement writes) splicing and the DOM path
// agree byte for byte, whatever the strings hold.
TEST(ApplyWritesToText, AgreesWithApplyWritesOnCanonicalText) {
  std::mt19937 random(7);
  const std::vector<std::string> alphabet = {"a", "b", "\"", "\\", "{",  "}",    "[",
                                             "]", ",", ":",  " ",  "\n", "\x01", "\xc3\xa9"};
  auto random_string = [&](size_t max_length) {
    std::string s;
    size_t length = random() % (max_length + 1);
    for (size_t i = 0; i < length; ++i) s += alphabet[random() % alphabet.size()];
    return s;
  };
  for (int round = 0; round < 2000; ++round) {
    // A document with random keys and values, made canonical.
    std::string source = "{";
    int fields = static_cast<int>(random() % 12);
    std::vector<std::string> keys;
    for (int f = 0; f < fields; ++f) {
      std::string key = random() % 3 == 0 ? random_string(20) : absl::StrCat("k", random() % 8);
      keys.push_back(key);
      if (f) source += ",";
      AppendJsonString(&source, key);
      source += ":";
      switch (random() % 5) {
        case 0:
          AppendJsonString(&source, random_string(30));
          break;
        case 1:
          absl::StrAppend(&source, static_cast<int64_t>(random()) - (1 << 30));
          break;
        case 2:
          absl::StrAppend(&source, "[", random() % 100, ",{\"x\":");
          AppendJsonString(&source, random_string(10));
          source += "}]";
          break;
        case 3:
          source += "0.25";
          break;
        default:
          source += "{}";
      }
    }
    source += "}";
    simdjson::dom::parser parser;
    simdjson::dom::element source_doc;
    ASSERT_EQ(parser.parse(source).get(source_doc), simdjson::SUCCESS) << source;
    std::string text;
    AppendElement(source_doc, &text);
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS) << text;

    std::vector<W> writes;
    int count = 1 + static_cast<int>(random() % 12);
    for (int w = 0; w < count; ++w) {
      std::string key = !keys.empty() && random() % 2 ? keys[random() % keys.size()]
                                                      : absl::StrCat("k", random() % 10);
      // ParsePath needs escapes for the path characters.
      std::string path;
      for (char c : key) {
        if (c == '.' || c == '[' || c == ']' || c == '\\') path.push_back('\\');
        path.push_back(c);
      }
      if (path.empty()) continue;
      writes.push_back({path, random() % 2 ? Str(random_string(12)) : Int(w)});
    }
    WriteSet set = MakeWrites(writes);
    std::string spliced;
    ApplyWritesToText(text, doc, IndexOfLastParse(parser), set, &spliced);
    std::string scanned;
    ApplyWritesToText(text, doc, TextIndex{}, set, &scanned);
    std::string rebuilt;
    ApplyWrites(doc, set, &rebuilt);
    ASSERT_EQ(spliced, rebuilt) << text;
    ASSERT_EQ(scanned, rebuilt) << text;
  }
}

// --- MergeTopLevel ----------------------------------------------------------

std::string Merge(const std::string& doc_json, const std::string& patch_json) {
  simdjson::dom::parser doc_parser;
  simdjson::dom::parser patch_parser;
  simdjson::dom::element doc;
  simdjson::dom::element patch;
  EXPECT_EQ(doc_parser.parse(doc_json).get(doc), simdjson::SUCCESS);
  EXPECT_EQ(patch_parser.parse(patch_json).get(patch), simdjson::SUCCESS);
  std::string out;
  MergeTopLevel(doc, patch, &out);
  ExpectValidJson(out);
  return out;
}

TEST(MergeTopLevel, ReplacesInPlaceAndAppends) {
  EXPECT_EQ(Merge(R"({"a":1,"b":2,"c":3})", R"({"d":4,"b":"x"})"),
            R"({"a":1,"b":"x","c":3,"d":4})");
}

TEST(MergeTopLevel, ReplacesWholeValuesNotDeep) {
  EXPECT_EQ(Merge(R"({"a":{"x":1,"y":2}})", R"({"a":{"z":3}})"), R"({"a":{"z":3}})");
}

TEST(MergeTopLevel, EmptySides) {
  EXPECT_EQ(Merge("{}", "{}"), "{}");
  EXPECT_EQ(Merge(R"({"a":[1,{"b":null}]})", "{}"), R"({"a":[1,{"b":null}]})");
  EXPECT_EQ(Merge("{}", R"({"a":1.0,"b":"\n"})"), R"({"a":1.0,"b":"\n"})");
}

TEST(MergeTopLevel, RepeatedPatchKeyTakesItsLastValue) {
  EXPECT_EQ(Merge(R"({"a":1})", R"({"b":1,"a":2,"b":3})"), R"({"a":2,"b":3})");
}

TEST(MergeTopLevel, ManyKeys) {
  std::string doc = "{";
  std::string patch = "{";
  std::string expected = "{";
  for (int i = 0; i < 40; ++i) absl::StrAppend(&doc, i ? "," : "", "\"k", i, "\":", i);
  for (int i = 20; i < 60; ++i) absl::StrAppend(&patch, i > 20 ? "," : "", "\"k", i, "\":-", i);
  for (int i = 0; i < 60; ++i) {
    absl::StrAppend(&expected, i ? "," : "", "\"k", i, "\":", i >= 20 ? "-" : "", i);
  }
  EXPECT_EQ(Merge(doc + "}", patch + "}"), expected + "}");
}

TEST(MergeTopLevel, NonObjectsCountAsEmpty) {
  EXPECT_EQ(Merge("[1]", R"({"a":1})"), R"({"a":1})");
  EXPECT_EQ(Merge(R"({"a":1})", "[2]"), R"({"a":1})");
}

}  // namespace
}  // namespace internal
}  // namespace convey
