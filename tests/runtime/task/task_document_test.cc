#include "runtime/task/task_document.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "runtime/json/path.h"
#include "runtime/template/template.h"
#include "simdjson.h"

namespace convey {
namespace internal {
namespace {

Path MustParsePath(const std::string& text) {
  absl::StatusOr<Path> path = ParsePath(text);
  EXPECT_TRUE(path.ok()) << text;
  return path.ok() ? *path : Path();
}

// What the document alone gives: the Value and the number lookup every
// reader gave before TaskDocument.
Value DomValueAt(const std::string& text, const Path& path) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc, element;
  EXPECT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS) << text;
  if (!FindPath(doc, path, &element)) return Value::Missing();
  return ValueFromElement(element);
}

NumberLookup DomNumberAt(const std::string& text, const Path& path, double* out) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc, element;
  EXPECT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS) << text;
  if (!FindPath(doc, path, &element)) return NumberLookup::kMissing;
  return element.get_double().get(*out) == simdjson::SUCCESS ? NumberLookup::kNumber
                                                             : NumberLookup::kOther;
}

void ExpectSameValue(const Value& got, const Value& want, const std::string& where) {
  EXPECT_EQ(got.type(), want.type()) << where;
  EXPECT_EQ(got.text(), want.text()) << where;
  if (want.type() == Value::Type::kNumber) {
    EXPECT_EQ(got.number(), want.number()) << where;
  }
  if (want.type() == Value::Type::kBoolean) {
    EXPECT_EQ(got.boolean(), want.boolean()) << where;
  }
}

// Every path read through a fresh TaskDocument (the index first) gives what
// the document gives.
void ExpectAgrees(const std::string& text, const std::vector<std::string>& paths) {
  for (const std::string& path_text : paths) {
    const Path path = MustParsePath(path_text);
    const std::string where = absl::StrCat(text, " at ", path_text);
    TaskDocument document;
    ExpectSameValue(document.ValueAt(text, path), DomValueAt(text, path), where);
    document.Reset();
    double got = 0, want = 0;
    const NumberLookup want_lookup = DomNumberAt(text, path, &want);
    EXPECT_EQ(document.NumberAt(text, path, &got), want_lookup) << where;
    if (want_lookup == NumberLookup::kNumber) {
      EXPECT_EQ(got, want) << where;
    }
  }
}

TEST(TaskDocumentTest, ScalarsAgreeWithTheDocument) {
  ExpectAgrees(
      R"({"s":"text","t":true,"f":false,"n":null,"i":42,"neg":-7,"d":1249.5,)"
      R"("e":1e3,"E":-2.5E-3,"z":0,"nz":-0,"zd":0.0,"big":123456789012345678,)"
      R"("bigger":1234567890123456789,"u":18446744073709551615,"long":0.1000000000000000055511151231257827,)"
      R"("esc":"a\"b\\c\u00e9","uni":"héllo","empty":"","o":{"a":{"b":[1,2]}},"a":[1,"x",{"k":3}]})",
      {"s",    "t",    "f",      "n",    "i",       "neg",    "d",        "e",
       "E",    "z",    "nz",     "zd",   "big",     "bigger", "u",        "long",
       "esc",  "uni",  "empty",  "o",    "o.a",     "o.a.b",  "o.a.b[1]", "a",
       "a[0]", "a[1]", "a[2].k", "a[3]", "missing", "s.x",    "o[0]"});
}

TEST(TaskDocumentTest, TextWithWhitespaceAndEscapedKeys) {
  ExpectAgrees(" { \"a\" : 1 ,\n \"b\" :\t\"x\" , \"\\u0063\" : 3, \"d\" : [ 1 , 2.50 ] } ",
               {"a", "b", "c", "d", "d[1]", "e"});
}

// Random numbers written as JSON in many forms read as the document reads
// them: integers of every length, decimals, exponents.
TEST(TaskDocumentTest, NumbersAgreeWithTheDocument) {
  std::mt19937_64 random(17);
  for (int i = 0; i < 2000; ++i) {
    std::string number;
    if (random() % 2) number += '-';
    const int digits = 1 + static_cast<int>(random() % 22);
    number += static_cast<char>('1' + random() % 9);
    for (int d = 1; d < digits; ++d) number += static_cast<char>('0' + random() % 10);
    switch (random() % 4) {
      case 0:
        break;
      case 1:
        number += ".";
        number += std::to_string(random() % 100000);
        break;
      case 2:
        number += absl::StrCat("e", static_cast<int>(random() % 40) - 20);
        break;
      default:
        number += absl::StrCat(".", random() % 1000, "E+", random() % 30);
        break;
    }
    const std::string text = absl::StrCat(R"({"before":[1,{"x":2}],"n":)", number, "}");
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(text).get(doc) != simdjson::SUCCESS) continue;  // out of simdjson's range
    ExpectAgrees(text, {"n"});
  }
}

// One document read many times, in random orders, as conditions and
// templates read it (through the index, then the document once the index
// lookups are spent): every value as the document alone gives it.
TEST(TaskDocumentTest, LookupsInAnyOrderAgreeWithTheDocument) {
  const std::string text =
      R"({"order_id":"ORD-1","status":"new","amount":1249.5,"customer":{"id":"C-5",)"
      R"("tier":"gold","verified":true},"items":[3,17,42],"note":"a\"b","zero":0})";
  const std::vector<std::string> paths = {
      "order_id", "status", "amount", "customer.tier",   "customer.verified", "items[2]",
      "note",     "zero",   "absent", "customer.absent", "items[9]"};
  std::mt19937 random(11);
  TaskDocument document;
  for (int round = 0; round < 300; ++round) {
    document.Reset();
    for (int i = 0; i < 5; ++i) {
      const std::string& path_text = paths[random() % paths.size()];
      const Path path = MustParsePath(path_text);
      ExpectSameValue(document.ValueAt(text, path), DomValueAt(text, path),
                      absl::StrCat("round ", round, " at ", path_text));
    }
  }
}

// After kMaxIndexLookups lookups the document is built, and lookups read it.
TEST(TaskDocumentTest, ManyLookupsBuildTheDocument) {
  const std::string text = R"({"a":1,"b":2})";
  const Path a = MustParsePath("a");
  TaskDocument document;
  for (int i = 0; i < TaskDocument::kMaxIndexLookups; ++i) {
    EXPECT_EQ(document.ValueAt(text, a).text(), "1");
    EXPECT_FALSE(document.has_document());
  }
  EXPECT_EQ(document.ValueAt(text, a).text(), "1");
  EXPECT_TRUE(document.has_document());
  document.Reset();
  EXPECT_FALSE(document.has_document());
}

// A nested value, an escaped string or key needs the document.
TEST(TaskDocumentTest, WhatTheIndexCannotReadBuildsTheDocument) {
  TaskDocument document;
  const std::string text = R"({"a":{"b":1},"s":"x\ny"})";
  EXPECT_EQ(document.ValueAt(text, MustParsePath("a")).text(), R"({"b":1})");
  EXPECT_TRUE(document.has_document());
  document.Reset();
  EXPECT_EQ(document.ValueAt(text, MustParsePath("s")).text(), "x\ny");
  EXPECT_TRUE(document.has_document());
}

// The index and the document are of the same text: Document() after
// Index() finishes the parse stage 1 began.
TEST(TaskDocumentTest, DocumentAfterIndex) {
  const std::string text = R"({"a":[1,2,3],"b":"x"})";
  TaskDocument document;
  const TextIndex index = document.Index(text);
  EXPECT_EQ(index.count, 15u);
  simdjson::dom::element doc = document.Document(text);
  EXPECT_EQ(simdjson::to_string(doc), text);
  EXPECT_EQ(document.Index(text).count, 15u);
  // A longer text next: the padded copy and the parser grow.
  document.Reset();
  const std::string longer = absl::StrCat(R"({"long":")", std::string(5000, 'y'), R"(","n":5})");
  EXPECT_EQ(document.ValueAt(longer, MustParsePath("n")).text(), "5");
  EXPECT_EQ(simdjson::to_string(document.Document(longer)), longer);
}

TEST(TaskDocumentTest, Replacement) {
  TaskDocument document;
  std::string replacement = "[1,2]";
  EXPECT_EQ(document.ParseReplacement(&replacement).message(),
            "the new data is not a JSON object (or nests deeper than 1024 levels)");
  EXPECT_FALSE(document.has_document());
  replacement = "{\"a\":";
  EXPECT_FALSE(document.ParseReplacement(&replacement).ok());
  EXPECT_FALSE(document.has_document());
  replacement = R"({"r":7})";
  ASSERT_TRUE(document.ParseReplacement(&replacement).ok());
  EXPECT_TRUE(document.has_document());
  EXPECT_EQ(document.ValueAt(replacement, MustParsePath("r")).text(), "7");
}

// A replacement follows task data's rule for repeated keys (semantics A1),
// so that the index and the document agree on it.
TEST(TaskDocumentTest, ReplacementWithRepeatedKeys) {
  TaskDocument document;
  std::string same = R"({"\u0061":1,"a":1,"b":2})";
  ASSERT_TRUE(document.ParseReplacement(&same).ok());
  EXPECT_EQ(same, R"({"\u0061":1,"b":2})");
  EXPECT_EQ(document.ValueAt(same, MustParsePath("a")).text(), "1");
  std::string different = R"({"\u0061":1,"a":2})";
  const absl::Status status = document.ParseReplacement(&different);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("the new data repeats the key \"a\" with different values"),
            absl::string_view::npos)
      << status;
  EXPECT_FALSE(document.has_document());
}

// Data that did not come in through the checks (a host logic's raw bytes, a
// damaged store) reads as {}, as through the document before; nothing
// aborts, and writes get an empty index (they re-serialise).
TEST(TaskDocumentTest, TextThatIsNotJsonReadsAsEmpty) {
  for (const std::string& text : {std::string("{\"a\":\"\xff\"}"), std::string(R"({"a":)"),
                                  std::string(), std::string("[1]")}) {
    TaskDocument document;
    EXPECT_TRUE(document.ValueAt(text, MustParsePath("a")).is_missing()) << text;
    EXPECT_EQ(simdjson::to_string(document.Document(text)), "{}") << text;
    EXPECT_EQ(document.Index(text).count, 0u) << text;
    document.Reset();
    double number = 0;
    EXPECT_EQ(document.NumberAt(text, MustParsePath("a"), &number), NumberLookup::kMissing) << text;
  }
}

}  // namespace
}  // namespace internal
}  // namespace convey
