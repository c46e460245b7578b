#include "runtime/task/write_set.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "convey/value.h"
#include "gtest/gtest.h"
#include "runtime/json/json_writer.h"
#include "runtime/json/path.h"
#include "simdjson.h"
#include "tests/runtime/task/write_test_util.h"

namespace convey {
namespace internal {
namespace {

// Parses `json`, applies `writes` and returns the new text (checked to be
// valid JSON).
std::string ApplySet(const std::string& json, const WriteSet& writes) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc) != simdjson::SUCCESS) {
    ADD_FAILURE() << "bad test document: " << json;
    return "";
  }
  std::string out;
  ApplyWrites(doc, writes, &out);
  ExpectValidJson(out);
  return out;
}

std::string Apply(const std::string& json, const std::vector<W>& writes) {
  return ApplySet(json, MakeWrites(writes));
}

// The document copied with no writes.
std::string Copy(const std::string& json) { return ApplySet(json, WriteSet()); }

// --- Copying unchanged documents ------------------------------------------

TEST(ApplyWrites, NoWritesCopiesTheDocument) {
  for (const char* json : {
           R"({})",
           R"({"a":1})",
           R"({"a":1,"b":"x","c":[1,2,{"d":null}],"e":{},"f":[],"g":true,"h":false})",
           R"({"nested":{"deeper":{"deepest":[[],[[]],{"k":[{}]}]}}})",
           R"({"z":1,"a":2,"m":3,"b":4})",
       }) {
    EXPECT_EQ(Copy(json), json);
  }
}

TEST(ApplyWrites, WhitespaceIsDropped) {
  EXPECT_EQ(Copy(" { \"a\" : [ 1 , 2 ] ,\n\t\"b\" : { } } "), R"({"a":[1,2],"b":{}})");
}

TEST(ApplyWrites, KeepsKeyOrder) {
  EXPECT_EQ(Apply(R"({"z":1,"a":2,"m":3})", {{"a", Int(9)}}), R"({"z":1,"a":9,"m":3})");
  EXPECT_EQ(Apply(R"({"z":1,"a":2})", {{"q", Int(1)}, {"b", Int(2)}, {"q", Int(3)}}),
            R"({"z":1,"a":2,"q":3,"b":2})");
}

// --- Strings --------------------------------------------------------------

TEST(ApplyWrites, CopiesEscapedStrings) {
  EXPECT_EQ(Copy(R"({"q\"k":"a\\b\/c\n\r\t\b\f\u0001\u001f\u007f"})"),
            R"({"q\"k":"a\\b/c\n\r\t\b\f\u0001\u001f)"
            "\x7f"
            R"("})");
}

TEST(ApplyWrites, CopiesUnicodeAsUtf8) {
  EXPECT_EQ(Copy(R"({"\u00e9":"\u041f\u0440\u0438\u0432\u0435\u0442 \ud83d\ude00"})"),
            "{\"\xc3\xa9\":\"\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xf0\x9f\x98\x80\"}");
  EXPECT_EQ(Copy("{\"k\":\"\xe2\x82\xac\"}"), "{\"k\":\"\xe2\x82\xac\"}");
}

TEST(ApplyWrites, CopiesNulCharacter) {
  EXPECT_EQ(Copy(R"({"a":"x\u0000y"})"), R"({"a":"x\u0000y"})");
}

// Every string length around the 8-byte blocks, with a character that needs
// escaping at every position, escapes exactly as AppendJsonString does.
TEST(ApplyWrites, EscapesLikeAppendJsonStringAtEveryPosition) {
  const std::string specials = std::string("\"\\\n\x01\x1f\t", 6) + std::string(1, '\0');
  for (size_t length = 0; length <= 26; ++length) {
    for (size_t at = 0; at <= length; ++at) {
      for (char special : specials) {
        std::string text(length, 'x');
        if (at < length) text[at] = special;
        std::string expected = "{\"k\":";
        AppendJsonString(&expected, text);
        expected += "}";
        EXPECT_EQ(Apply("{}", {{"k", Str(text)}}), expected) << length << " " << at;
        // And the same string copied from a document.
        EXPECT_EQ(Copy(expected), expected);
      }
    }
  }
}

// Bytes near the escaped ones (0x1f/0x20, '!' '#' next to '"', '[' ']' next
// to '\', DEL, UTF-8 lead and continuation bytes) are not escaped.
TEST(ApplyWrites, DoesNotEscapeNeighbours) {
  std::string text = " !#$[]^_`~\x7f";
  text += "\xc3\xa9\xe2\x82\xac";
  text += text;  // longer than one 8-byte block
  EXPECT_EQ(Apply("{}", {{"k", Str(text)}}), "{\"k\":\"" + text + "\"}");
}

TEST(ApplyWrites, EveryControlCharacter) {
  std::string text;
  for (int c = 0; c < 0x20; ++c) text.push_back(static_cast<char>(c));
  std::string expected = "{\"k\":";
  AppendJsonString(&expected, text);
  expected += "}";
  std::string out = Apply("{}", {{"k", Str(text)}});
  EXPECT_EQ(out, expected);
  // Reading it back gives the same bytes.
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(out).get(doc), simdjson::SUCCESS);
  std::string_view back;
  ASSERT_EQ(doc["k"].get_string().get(back), simdjson::SUCCESS);
  EXPECT_EQ(std::string(back), text);
}

TEST(ApplyWrites, WrittenKeysAreEscaped) {
  Path path;
  PathSegment segment;
  segment.key = "we\"ird\\key\n";
  path.push_back(segment);
  WriteSet writes;
  writes.push_back(Write{path, Int(1)});
  EXPECT_EQ(ApplySet(R"({"a":0})", writes), R"({"a":0,"we\"ird\\key\n":1})");
}

TEST(ApplyWrites, LongStringsAreCopied) {
  std::string text(100000, 'a');
  text[50000] = '"';
  std::string expected = "{\"k\":";
  AppendJsonString(&expected, text);
  expected += "}";
  EXPECT_EQ(Copy(expected), expected);
  EXPECT_EQ(Apply("{}", {{"k", Str(text)}}), expected);
}

// --- Numbers --------------------------------------------------------------

TEST(ApplyWrites, CopiesIntegersExactly) {
  for (const char* json : {
           R"({"a":0})",
           R"({"a":-1})",
           R"({"a":9223372036854775807})",
           R"({"a":-9223372036854775808})",
           R"({"a":9223372036854775808})",
           R"({"a":18446744073709551615})",
           R"({"a":9007199254740993})",
       }) {
    EXPECT_EQ(Copy(json), json);
  }
  // JSON's "-0" is an integer zero to simdjson.
  EXPECT_EQ(Copy(R"({"a":-0})"), R"({"a":0})");
}

TEST(ApplyWrites, CopiesDoublesInShortestForm) {
  const std::pair<const char*, const char*> cases[] = {
      {"0.1", "0.1"},
      {"1e300", "1e+300"},
      {"-1e300", "-1e+300"},
      {"-0.0", "-0.0"},
      {"0.0", "0.0"},
      {"1.0", "1.0"},
      {"100.0", "100.0"},
      {"1e2", "100.0"},
      {"1.5", "1.5"},
      {"-2.75", "-2.75"},
      {"123456.789", "123456.789"},
      {"0.30000000000000004", "0.30000000000000004"},
      {"1e15", "1e+15"},
      {"1e16", "1e+16"},
      {"1e21", "1e+21"},
      {"1E-7", "1e-07"},
      {"5e-324", "5e-324"},
      {"2.2250738585072014e-308", "2.2250738585072014e-308"},
      {"1.7976931348623157e308", "1.7976931348623157e+308"},
      {"0.10000000000000000555", "0.1"},
  };
  for (const auto& [in, want] : cases) {
    EXPECT_EQ(Copy(absl::StrCat(R"({"d":)", in, "}")), absl::StrCat(R"({"d":)", want, "}")) << in;
  }
}

// Any finite double survives a copy bit for bit.
TEST(ApplyWrites, DoublesRoundTrip) {
  std::mt19937_64 random(42);
  simdjson::dom::parser parser;
  int tested = 0;
  while (tested < 20000) {
    uint64_t bits = random();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (!std::isfinite(d)) continue;
    ++tested;
    std::string json = absl::StrCat(R"({"d":)", Value::Number(d).text(), "}");
    // Value::Number may write an integral double as an integer; make it a
    // double in the source.
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
    std::string out;
    AppendElement(doc, &out);
    simdjson::dom::parser check;
    simdjson::dom::element back;
    ASSERT_EQ(check.parse(out).get(back), simdjson::SUCCESS) << out;
    double read = 0;
    simdjson::dom::element field = back["d"].value_unsafe();
    if (field.is_double()) {
      ASSERT_EQ(field.get_double().get(read), simdjson::SUCCESS);
    } else {
      int64_t i = 0;
      ASSERT_EQ(field.get_int64().get(i), simdjson::SUCCESS) << out;
      read = static_cast<double>(i);
    }
    uint64_t read_bits;
    std::memcpy(&read_bits, &read, sizeof read);
    uint64_t in_bits;
    double in = 0;
    ASSERT_EQ(doc["d"].get_double().get(in), simdjson::SUCCESS);
    std::memcpy(&in_bits, &in, sizeof in);
    ASSERT_EQ(read_bits, in_bits) << json << " -> " << out;
  }
}

TEST(ApplyWrites, WrittenNumbersKeepTheirText) {
  EXPECT_EQ(Apply("{}", {{"a", Value::NumberText(1000, "1e3")},
                         {"b", Value::Number(0.5)},
                         {"c", Value::NumberText(18446744073709551615.0, "18446744073709551615")}}),
            R"({"a":1e3,"b":0.5,"c":18446744073709551615})");
}

// --- Written values ---------------------------------------------------------

TEST(ApplyWrites, WritesEveryValueType) {
  EXPECT_EQ(Apply(R"({"a":1})", {{"s", Str("x\"y")},
                                 {"n", Int(-5)},
                                 {"t", Value::Boolean(true)},
                                 {"f", Value::Boolean(false)},
                                 {"z", Value::Null()},
                                 {"m", Value::Missing()},
                                 {"o", Value::Object(R"({"k":[1,{"x":"y"}]})")},
                                 {"e", Value::Object("{}")},
                                 {"l", Value::Array(R"([1,"2",null])")},
                                 {"el", Value::Array("[]")}}),
            R"({"a":1,"s":"x\"y","n":-5,"t":true,"f":false,"z":null,"m":null,)"
            R"("o":{"k":[1,{"x":"y"}]},"e":{},"l":[1,"2",null],"el":[]})");
}

TEST(ApplyWrites, MatchesValueToJson) {
  const Value values[] = {Str(""),
                          Str("a\\b\"c\x01"),
                          Int(7),
                          Value::Number(0.25),
                          Value::Boolean(true),
                          Value::Null(),
                          Value::Missing(),
                          Value::Object(R"({"a":1})"),
                          Value::Array("[2]")};
  for (const Value& value : values) {
    EXPECT_EQ(Apply("{}", {{"k", value}}), "{\"k\":" + value.ToJson() + "}");
  }
}

TEST(ApplyWrites, ObjectValuesAreInsertedVerbatim) {
  // Not re-serialised: a number's text and key order stay as given.
  EXPECT_EQ(Apply(R"({"a":{"old":1}})", {{"a", Value::Object(R"({"z":1.50,"a":1e0})")}}),
            R"({"a":{"z":1.50,"a":1e0}})");
}

// --- Replacing and adding ---------------------------------------------------

TEST(ApplyWrites, ReplacesATopLevelValueInPlace) {
  EXPECT_EQ(Apply(R"({"a":1,"b":2,"c":3})", {{"b", Str("two")}}), R"({"a":1,"b":"two","c":3})");
  EXPECT_EQ(Apply(R"({"a":1,"b":{"x":[1,2]},"c":3})", {{"b", Int(0)}}), R"({"a":1,"b":0,"c":3})");
  EXPECT_EQ(Apply(R"({"a":1})", {{"a", Value::Object(R"({"x":1})")}}), R"({"a":{"x":1}})");
}

TEST(ApplyWrites, AddsMissingKeysAtTheEnd) {
  EXPECT_EQ(Apply(R"({"a":1})", {{"b", Int(2)}}), R"({"a":1,"b":2})");
  EXPECT_EQ(Apply("{}", {{"a", Int(1)}}), R"({"a":1})");
  EXPECT_EQ(Apply(R"({"o":{"x":1},"p":2})", {{"o.y", Int(2)}}), R"({"o":{"x":1,"y":2},"p":2})");
}

TEST(ApplyWrites, ReplacesNestedValues) {
  EXPECT_EQ(Apply(R"({"a":{"b":{"c":1,"d":2}},"e":3})", {{"a.b.c", Str("x")}}),
            R"({"a":{"b":{"c":"x","d":2}},"e":3})");
  EXPECT_EQ(Apply(R"({"a":[{"b":1},{"b":2}]})", {{"a[1].b", Int(5)}}),
            R"({"a":[{"b":1},{"b":5}]})");
  EXPECT_EQ(Apply(R"({"a":[[1,2],[3,4]]})", {{"a[1][0]", Int(9)}}), R"({"a":[[1,2],[9,4]]})");
}

TEST(ApplyWrites, CreatesMissingContainers) {
  EXPECT_EQ(Apply("{}", {{"x.y.z", Int(1)}}), R"({"x":{"y":{"z":1}}})");
  EXPECT_EQ(Apply("{}", {{"x[1].y", Int(1)}}), R"({"x":[null,{"y":1}]})");
  EXPECT_EQ(Apply("{}", {{"x[0][0]", Int(1)}}), R"({"x":[[1]]})");
  EXPECT_EQ(Apply(R"({"a":{}})", {{"a.b[0].c", Int(1)}}), R"({"a":{"b":[{"c":1}]}})");
}

TEST(ApplyWrites, IndexesArrays) {
  EXPECT_EQ(Apply(R"({"a":[1,2,3]})", {{"a[0]", Int(9)}}), R"({"a":[9,2,3]})");
  EXPECT_EQ(Apply(R"({"a":[1,2,3]})", {{"a[2]", Int(9)}}), R"({"a":[1,2,9]})");
  EXPECT_EQ(Apply(R"({"a":[1]})", {{"a[1]", Int(2)}}), R"({"a":[1,2]})");
}

TEST(ApplyWrites, PadsArraysWithNull) {
  EXPECT_EQ(Apply(R"({"a":[1]})", {{"a[2]", Int(3)}}), R"({"a":[1,null,3]})");
  EXPECT_EQ(Apply(R"({"a":[]})", {{"a[3]", Int(3)}}), R"({"a":[null,null,null,3]})");
  EXPECT_EQ(Apply("{}", {{"a[2]", Int(3)}}), R"({"a":[null,null,3]})");
  // Out of order: sorted by index, padding only the gaps.
  EXPECT_EQ(Apply(R"({"a":[0]})", {{"a[4]", Int(4)}, {"a[2]", Int(2)}}),
            R"({"a":[0,null,2,null,4]})");
}

TEST(ApplyWrites, StepThroughTheOtherKindReplacesIt) {
  EXPECT_EQ(Apply(R"({"a":5})", {{"a.b", Int(1)}}), R"({"a":{"b":1}})");
  EXPECT_EQ(Apply(R"({"a":"s"})", {{"a.b", Int(1)}}), R"({"a":{"b":1}})");
  EXPECT_EQ(Apply(R"({"a":null})", {{"a.b", Int(1)}}), R"({"a":{"b":1}})");
  EXPECT_EQ(Apply(R"({"a":[1,2]})", {{"a.b", Int(1)}}), R"({"a":{"b":1}})");
  EXPECT_EQ(Apply(R"({"a":{"x":1}})", {{"a[0]", Int(1)}}), R"({"a":[1]})");
  EXPECT_EQ(Apply(R"({"a":{"x":1}})", {{"a[1]", Int(1)}}), R"({"a":[null,1]})");
  EXPECT_EQ(Apply(R"({"a":true})", {{"a[0].b", Int(1)}}), R"({"a":[{"b":1}]})");
  EXPECT_EQ(Apply(R"({"a":[5]})", {{"a[0].b", Int(1)}}), R"({"a":[{"b":1}]})");
}

// --- Several writes -------------------------------------------------------

TEST(ApplyWrites, LaterWriteToTheSamePathWins) {
  EXPECT_EQ(Apply(R"({"a":0})", {{"a", Int(1)}, {"a", Int(2)}}), R"({"a":2})");
  EXPECT_EQ(Apply("{}", {{"a.b", Int(1)}, {"a.b", Str("x")}}), R"({"a":{"b":"x"}})");
}

TEST(ApplyWrites, WritesToSiblingsAllApply) {
  EXPECT_EQ(Apply(R"({"a":{"x":0}})", {{"a.b", Int(1)}, {"a.c", Int(2)}, {"a.x", Int(3)}}),
            R"({"a":{"x":3,"b":1,"c":2}})");
  EXPECT_EQ(Apply(R"({"a":[0,0]})", {{"a[1]", Int(1)}, {"a[0]", Int(2)}}), R"({"a":[2,1]})");
}

TEST(ApplyWrites, WriteToAParentDropsEarlierWritesUnderIt) {
  EXPECT_EQ(Apply(R"({"a":{"b":0}})", {{"a.b", Int(1)}, {"a", Int(2)}}), R"({"a":2})");
  EXPECT_EQ(Apply("{}", {{"a.b.c", Int(1)}, {"a.b", Int(2)}}), R"({"a":{"b":2}})");
}

TEST(ApplyWrites, WriteUnderAWrittenObjectMergesIntoIt) {
  EXPECT_EQ(Apply(R"({"a":{"old":1}})", {{"a", Value::Object(R"({"x":1})")}, {"a.y", Int(2)}}),
            R"({"a":{"x":1,"y":2}})");
  EXPECT_EQ(Apply("{}", {{"a", Value::Object(R"({"x":{"p":1}})")}, {"a.x.q", Int(2)}}),
            R"({"a":{"x":{"p":1,"q":2}}})");
  EXPECT_EQ(Apply("{}", {{"a", Value::Object(R"({"x":1,"y":2})")}, {"a.x", Int(5)}}),
            R"({"a":{"x":5,"y":2}})");
  EXPECT_EQ(Apply("{}", {{"a", Value::Array("[1]")}, {"a[2]", Int(3)}}), R"({"a":[1,null,3]})");
  EXPECT_EQ(Apply("{}", {{"a", Value::Array(R"([{"k":1}])")}, {"a[0].j", Int(2)}}),
            R"({"a":[{"k":1,"j":2}]})");
}

TEST(ApplyWrites, WriteUnderAWrittenValueOfTheOtherKindReplacesIt) {
  EXPECT_EQ(Apply("{}", {{"a", Str("s")}, {"a.y", Int(2)}}), R"({"a":{"y":2}})");
  EXPECT_EQ(Apply("{}", {{"a", Value::Array("[1]")}, {"a.y", Int(2)}}), R"({"a":{"y":2}})");
  EXPECT_EQ(Apply("{}", {{"a", Value::Object(R"({"x":1})")}, {"a[0]", Int(2)}}), R"({"a":[2]})");
  EXPECT_EQ(Apply("{}", {{"a", Value::Missing()}, {"a.y", Int(2)}}), R"({"a":{"y":2}})");
}

TEST(ApplyWrites, ChangingKindBetweenWrites) {
  // `a.b` makes `a` an object; `a[0]` then replaces it with an array, and
  // `a.c` with an object again.
  EXPECT_EQ(Apply(R"({"a":{"k":1}})", {{"a.b", Int(1)}, {"a[0]", Int(2)}}), R"({"a":[2]})");
  EXPECT_EQ(Apply(R"({"a":[7]})", {{"a[0]", Int(1)}, {"a.b", Int(2)}}), R"({"a":{"b":2}})");
  EXPECT_EQ(Apply("{}", {{"a.b", Int(1)}, {"a[0]", Int(2)}, {"a.c", Int(3)}}), R"({"a":{"c":3}})");
  // A scalar written, then a deeper write, then the scalar written again.
  EXPECT_EQ(Apply("{}", {{"a.b", Int(2)}, {"a.b.d", Int(3)}}), R"({"a":{"b":{"d":3}}})");
  EXPECT_EQ(Apply("{}", {{"a.b.d", Int(3)}, {"a.b", Int(2)}, {"a.b.e", Int(4)}}),
            R"({"a":{"b":{"e":4}}})");
}

TEST(ApplyWrites, ManyKeysUnderOneObject) {
  // More children than the linear scan handles: the indexed lookups must
  // give the same result.
  std::string doc = "{";
  for (int i = 0; i < 30; ++i) absl::StrAppend(&doc, i ? "," : "", "\"k", i, "\":", i);
  doc += "}";
  std::vector<W> writes;
  for (int i = 0; i < 60; i += 3) writes.push_back({absl::StrCat("k", i), Int(i * 100)});
  // Writing a key again among many keeps its first place.
  writes.push_back({"k33", Int(-1)});
  writes.push_back({"k6", Int(-2)});
  std::string expected = "{";
  for (int i = 0; i < 30; ++i) {
    int64_t want = i == 6 ? -2 : i % 3 == 0 ? i * 100 : i;
    absl::StrAppend(&expected, i ? "," : "", "\"k", i, "\":", want);
  }
  for (int i = 30; i < 60; i += 3) {
    absl::StrAppend(&expected, ",\"k", i, "\":", i == 33 ? -1 : i * 100);
  }
  expected += "}";
  EXPECT_EQ(Apply(doc, writes), expected);

  // The same nested one level down, with a kind change that drops them all.
  std::vector<W> nested;
  for (int i = 0; i < 20; ++i) nested.push_back({absl::StrCat("o.k", i), Int(i)});
  nested.push_back({"o[1]", Int(1)});
  nested.push_back({"o.k3", Int(3)});
  nested.push_back({"o.k4", Int(4)});
  EXPECT_EQ(Apply(R"({"o":{"k0":"x"}})", nested), R"({"o":{"k3":3,"k4":4}})");
}

TEST(ApplyWrites, ManyIndexesUnderOneArray) {
  std::vector<W> writes;
  for (int i = 19; i >= 0; --i) writes.push_back({absl::StrCat("a[", i * 2, "]"), Int(i)});
  writes.push_back({"a[4]", Str("again")});
  std::string expected = "{\"a\":[";
  for (int j = 0; j <= 38; ++j) {
    absl::StrAppend(&expected, j ? "," : "",
                    j == 4       ? "\"again\""
                    : j % 2 == 0 ? absl::StrCat(j / 2)
                                 : "null");
  }
  expected += "]}";
  EXPECT_EQ(Apply(R"({"a":[]})", writes), expected);
}

// A key step's `index` field means nothing, whatever it holds.
TEST(ApplyWrites, KeyStepsIgnoreTheIndexField) {
  WriteSet writes;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 10; ++i) {
      PathSegment segment;
      segment.key = absl::StrCat("k", i);
      segment.index = static_cast<uint32_t>(round * 100 + i);
      Path path;
      path.push_back(segment);
      writes.push_back(Write{path, Int(round * 10 + i)});
    }
  }
  std::string expected = "{";
  for (int i = 0; i < 10; ++i) absl::StrAppend(&expected, i ? "," : "", "\"k", i, "\":", 10 + i);
  EXPECT_EQ(ApplySet("{}", writes), expected + "}");
}

TEST(ApplyWrites, DuplicateKeysAllGetTheWrite) {
  EXPECT_EQ(Apply(R"({"a":1,"b":0,"a":2})", {{"a", Int(3)}}), R"({"a":3,"b":0,"a":3})");
  EXPECT_EQ(Apply(R"({"a":{"x":1},"a":{"y":2}})", {{"a.z", Int(3)}}),
            R"({"a":{"x":1,"z":3},"a":{"y":2,"z":3}})");
}

// --- Shapes -------------------------------------------------------------------

TEST(ApplyWrites, EmptyObjects) {
  EXPECT_EQ(Copy("{}"), "{}");
  EXPECT_EQ(Apply(R"({"a":{}})", {{"a.b", Int(1)}}), R"({"a":{"b":1}})");
  EXPECT_EQ(Apply(R"({"a":{},"b":[]})", {{"c", Int(1)}}), R"({"a":{},"b":[],"c":1})");
}

TEST(ApplyWrites, DeepNesting) {
  // A document deeper than simdjson's own serializer handles iteratively.
  const int depth = 300;
  std::string doc;
  for (int i = 0; i < depth; ++i) doc += i % 2 ? "[" : "{\"k\":";
  doc += "1";
  for (int i = depth - 1; i >= 0; --i) doc += i % 2 ? "]" : "}";
  EXPECT_EQ(Copy(doc), doc);

  // A write at depth 100 creates every level.
  std::string path = "a";
  std::string expected = "{\"a\":";
  for (int i = 0; i < 100; ++i) {
    path += i % 2 ? ".b" : "[0]";
    expected += i % 2 ? "{\"b\":" : "[";
  }
  expected += "true";
  for (int i = 99; i >= 0; --i) expected += i % 2 ? "}" : "]";
  expected += "}";
  EXPECT_EQ(Apply("{}", {{path, Value::Boolean(true)}}), expected);
  // And a write at the bottom of a document as deep as a path may go.
  doc.clear();
  for (size_t i = 0; i < kMaxPathSteps; ++i) doc += i % 2 ? "[" : "{\"k\":";
  doc += "1";
  for (size_t i = kMaxPathSteps; i-- > 0;) doc += i % 2 ? "]" : "}";
  std::string deep_path = "k";
  for (size_t i = 1; i < kMaxPathSteps; ++i) deep_path += i % 2 ? "[0]" : ".k";
  std::string deep_expected = doc;
  deep_expected.replace(deep_expected.find('1'), 1, "2");
  EXPECT_EQ(Apply(doc, {{deep_path, Int(2)}}), deep_expected);
}

TEST(ApplyWrites, EmptyPathReplacesTheDocument) {
  WriteSet writes;
  writes.push_back(Write{Path(), Value::Object(R"({"new":1})")});
  EXPECT_EQ(ApplySet(R"({"a":1})", writes), R"({"new":1})");
  writes.push_back(Write{*ParsePath("b"), Int(2)});
  EXPECT_EQ(ApplySet(R"({"a":1})", writes), R"({"new":1,"b":2})");
}

TEST(ApplyWrites, AppendsToTheOutput) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(std::string(R"({"a":1})")).get(doc), simdjson::SUCCESS);
  WriteSet writes = MakeWrites({{"b", Int(2)}});
  std::string out = "prefix:";
  ApplyWrites(doc, writes, &out);
  EXPECT_EQ(out, R"(prefix:{"a":1,"b":2})");
  // With room reserved by the caller.
  std::string reserved;
  reserved.reserve(4096);
  ApplyWrites(doc, writes, &reserved);
  EXPECT_EQ(reserved, R"({"a":1,"b":2})");
  // Growing far past the first guess.
  std::string big_value(10000, 'v');
  WriteSet big = MakeWrites({{"b", Str(big_value)}, {"c[300]", Int(1)}});
  std::string grown = "p";
  ApplyWrites(doc, big, &grown);
  EXPECT_EQ(grown.substr(0, 17), R"(p{"a":1,"b":"vvvv)");
  EXPECT_EQ(grown.size(), 1 + std::string(R"({"a":1,"b":"","c":[]})").size() + 10000 +
                              300 * std::string("null,").size() + 1);
}

TEST(ApplyWrites, MalformedObjectValueIsReplacedWhenWrittenInto) {
  // Breaks Value's contract; the result must still be valid JSON.
  EXPECT_EQ(Apply("{}", {{"a", Value::Object("{oops")}, {"a.b", Int(1)}}), R"({"a":{"b":1}})");
}

// --- ApplyWritesWithin ------------------------------------------------------

TEST(ApplyWritesWithin, ProducesTheSameTextWithinTheLimit) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(std::string(R"({"a":1})")).get(doc), simdjson::SUCCESS);
  WriteSet writes = MakeWrites({{"b[2]", Int(2)}});
  const std::string want = R"({"a":1,"b":[null,null,2]})";
  std::string out = "x";
  EXPECT_TRUE(ApplyWritesWithin(doc, writes, want.size(), &out));
  EXPECT_EQ(out, "x" + want);
  out = "x";
  EXPECT_FALSE(ApplyWritesWithin(doc, writes, want.size() - 1, &out));
  EXPECT_EQ(out, "x");
}

TEST(ApplyWritesWithin, StopsHugePadding) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(std::string(R"({"a":1})")).get(doc), simdjson::SUCCESS);
  WriteSet writes = MakeWrites({{"b[2000000000]", Int(2)}});
  std::string out = "keep";
  EXPECT_FALSE(ApplyWritesWithin(doc, writes, 128000, &out));
  EXPECT_EQ(out, "keep");
  EXPECT_LT(out.capacity(), size_t{1} << 20);
}

TEST(ApplyWritesWithin, LimitsLongEscapedStrings) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(std::string("{}")).get(doc), simdjson::SUCCESS);
  WriteSet writes = MakeWrites({{"s", Str(std::string(1000, '\n'))}});
  std::string out;
  EXPECT_FALSE(ApplyWritesWithin(doc, writes, 1500, &out));
  EXPECT_EQ(out, "");
  EXPECT_TRUE(ApplyWritesWithin(doc, writes, 2008, &out));
  EXPECT_EQ(out.size(), 2008u);
}

// --- AppendElement ------------------------------------------------------------

TEST(AppendElement, WritesAnyElement) {
  for (const char* json : {R"("s")", "1", "-1.5", "true", "false", "null", "[]", "{}",
                           R"([1,"a",[{}],{"b":[null]}])", "18446744073709551615"}) {
    simdjson::dom::parser parser;
    simdjson::dom::element element;
    ASSERT_EQ(parser.parse(std::string(json)).get(element), simdjson::SUCCESS);
    std::string out = "<";
    AppendElement(element, &out);
    EXPECT_EQ(out, std::string("<") + json);
  }
}

TEST(AppendElement, SubElement) {
  simdjson::dom::parser parser;
  simdjson::dom::element element;
  ASSERT_EQ(parser.parse(std::string(R"({"a":{"b":[1, 2 ,"x"]},"c":1})")).get(element),
            simdjson::SUCCESS);
  std::string out;
  AppendElement(element["a"].value_unsafe(), &out);
  EXPECT_EQ(out, R"({"b":[1,2,"x"]})");
}

}  // namespace
}  // namespace internal
}  // namespace convey
