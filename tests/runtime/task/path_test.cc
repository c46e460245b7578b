// Tests for runtime/json/path (kept in this package: tests/runtime/json is
// part of the //tests package).
#include "runtime/json/path.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "simdjson.h"

namespace convey {
namespace internal {
namespace {

PathSegment Key(std::string key) {
  PathSegment segment;
  segment.key = std::move(key);
  return segment;
}

PathSegment Index(uint32_t index) {
  PathSegment segment;
  segment.is_index = true;
  segment.index = index;
  return segment;
}

// A readable form of a parsed path: keys in <>, indexes in [].
std::string Describe(const Path& path) {
  std::string out;
  for (const PathSegment& segment : path) {
    out += segment.is_index ? "[" + std::to_string(segment.index) + "]" : "<" + segment.key + ">";
  }
  return out;
}

std::string Parsed(absl::string_view text) {
  absl::StatusOr<Path> path = ParsePath(text);
  if (!path.ok()) return "error: " + std::string(path.status().message());
  return Describe(*path);
}

TEST(ParsePath, EveryForm) {
  EXPECT_EQ(Parsed("a"), "<a>");
  EXPECT_EQ(Parsed("a.b"), "<a><b>");
  EXPECT_EQ(Parsed("a.b.c"), "<a><b><c>");
  EXPECT_EQ(Parsed("a[0]"), "<a>[0]");
  EXPECT_EQ(Parsed("a[0].b"), "<a>[0]<b>");
  EXPECT_EQ(Parsed("a[0][12]"), "<a>[0][12]");
  EXPECT_EQ(Parsed("a.b[3].c[4][5].d"), "<a><b>[3]<c>[4][5]<d>");
  EXPECT_EQ(Parsed("a[2147483647]"), "<a>[2147483647]");
  EXPECT_EQ(Parsed("a[007]"), "<a>[7]");
}

TEST(ParsePath, KeysHoldAnyOtherCharacter) {
  EXPECT_EQ(Parsed("with space"), "<with space>");
  EXPECT_EQ(Parsed("__conveyor_x__"), "<__conveyor_x__>");
  EXPECT_EQ(Parsed("\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87.x"), "<\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87><x>");
  EXPECT_EQ(Parsed("{{x}}"), "<{{x}}>");
  EXPECT_EQ(Parsed("0"), "<0>");
  EXPECT_EQ(Parsed("-"), "<->");
}

TEST(ParsePath, Escapes) {
  EXPECT_EQ(Parsed(R"(a\.b)"), "<a.b>");
  EXPECT_EQ(Parsed(R"(a\.b.c)"), "<a.b><c>");
  EXPECT_EQ(Parsed(R"(a\[0\])"), "<a[0]>");
  EXPECT_EQ(Parsed(R"(a\[0\].b)"), "<a[0]><b>");
  EXPECT_EQ(Parsed(R"(a\\b)"), R"(<a\b>)");
  EXPECT_EQ(Parsed(R"(\.)"), "<.>");
  EXPECT_EQ(Parsed(R"(x.\.y[1])"), "<x><.y>[1]");
  EXPECT_EQ(Parsed(R"(result.SUPPDOCUMENT\.CODE)"), "<result><SUPPDOCUMENT.CODE>");
  // A backslash before any other character just keeps that character.
  EXPECT_EQ(Parsed(R"(a\bc)"), "<abc>");
}

struct BadPath {
  const char* text;
  const char* message;
};

TEST(ParsePath, ErrorsSayWhereAndWhy) {
  const BadPath cases[] = {
      {"", R"(path "" at byte 0: empty path)"},
      {".a", R"(path ".a" at byte 0: empty key)"},
      {"a..b", R"(path "a..b" at byte 2: empty key)"},
      {"a.", R"(path "a." at byte 2: empty key at the end)"},
      {"a[0].", R"(path "a[0]." at byte 5: empty key at the end)"},
      {"[0]", R"(path "[0]" at byte 0: a path cannot start with '[')"},
      {"a.[0]", R"(path "a.[0]" at byte 2: empty key before '[')"},
      {"a[", R"(path "a[" at byte 1: unclosed '[')"},
      {"a[1", R"(path "a[1" at byte 1: unclosed '[')"},
      {"a[]", R"(path "a[]" at byte 2: an index must be a non-negative integer)"},
      {"a[-1]", R"(path "a[-1]" at byte 2: an index must be a non-negative integer)"},
      {"a[x]", R"(path "a[x]" at byte 2: an index must be a non-negative integer)"},
      {"a[1.5]", R"(path "a[1.5]" at byte 2: an index must be a non-negative integer)"},
      {"a[ 1]", R"(path "a[ 1]" at byte 2: an index must be a non-negative integer)"},
      {"a[+1]", R"(path "a[+1]" at byte 2: an index must be a non-negative integer)"},
      {"a[2147483648]",
       R"(path "a[2147483648]" at byte 2: an index must be a non-negative integer)"},
      {"a[99999999999]",
       R"(path "a[99999999999]" at byte 2: an index must be a non-negative integer)"},
      {"a[{{i}}]", R"(path "a[{{i}}]" at byte 2: an index must be a non-negative integer)"},
      {R"(a\)", R"(path "a\\" at byte 1: trailing '\')"},
      {R"(a.b\)", R"(path "a.b\\" at byte 3: trailing '\')"},
      {"a]", R"(path "a]" at byte 1: unmatched ']')"},
      {"]", R"(path "]" at byte 0: unmatched ']')"},
      {"a.]", R"(path "a.]" at byte 2: unmatched ']')"},
      {"a[0]b", R"(path "a[0]b" at byte 4: expected '.' or '[' after ']')"},
      {"a[0]]", R"(path "a[0]]" at byte 4: expected '.' or '[' after ']')"},
  };
  for (const BadPath& bad : cases) {
    absl::StatusOr<Path> path = ParsePath(bad.text);
    ASSERT_FALSE(path.ok()) << bad.text << " parsed as " << Describe(*path);
    EXPECT_EQ(path.status().code(), absl::StatusCode::kInvalidArgument) << bad.text;
    EXPECT_EQ(path.status().message(), bad.message) << bad.text;
  }
}

TEST(PathToString, WritesEscapes) {
  Path path;
  path.push_back(Key("a.b"));
  path.push_back(Index(3));
  path.push_back(Key("c[0]"));
  path.push_back(Key(R"(d\e)"));
  EXPECT_EQ(PathToString(path), R"(a\.b[3].c\[0\].d\\e)");
  EXPECT_EQ(PathToString(Path()), "");
}

TEST(PathToString, RoundTripsThroughParsePath) {
  for (const char* text :
       {"a", "a.b", "a[0]", "a[0].b[1][2].c", R"(a\.b)", R"(a\[1\])", R"(a\\b.c)", R"(x.\.y[1])"}) {
    absl::StatusOr<Path> path = ParsePath(text);
    ASSERT_TRUE(path.ok()) << path.status();
    EXPECT_EQ(PathToString(*path), text);
    absl::StatusOr<Path> again = ParsePath(PathToString(*path));
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(Describe(*again), Describe(*path));
  }
}

class FindPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(parser_
                  .parse(std::string(
                      R"({"a":{"b":[10,{"c":"x"}]},"a.b":1,"arr":[[1,2],[3]],"s":"str","n":null})"))
                  .get(root_),
              simdjson::SUCCESS);
  }

  // The found value as compact JSON, or "absent".
  std::string Find(absl::string_view text) {
    absl::StatusOr<Path> path = ParsePath(text);
    if (!path.ok()) return "bad path";
    simdjson::dom::element found;
    if (!FindPath(root_, *path, &found)) return "absent";
    return simdjson::minify(found);
  }

  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
};

TEST_F(FindPathTest, Finds) {
  EXPECT_EQ(Find("a"), R"({"b":[10,{"c":"x"}]})");
  EXPECT_EQ(Find("a.b"), R"([10,{"c":"x"}])");
  EXPECT_EQ(Find("a.b[0]"), "10");
  EXPECT_EQ(Find("a.b[1].c"), R"("x")");
  EXPECT_EQ(Find(R"(a\.b)"), "1");
  EXPECT_EQ(Find("arr[0][1]"), "2");
  EXPECT_EQ(Find("arr[1][0]"), "3");
  EXPECT_EQ(Find("n"), "null");
}

TEST_F(FindPathTest, EmptyPathIsTheRoot) {
  simdjson::dom::element found;
  ASSERT_TRUE(FindPath(root_, Path(), &found));
  EXPECT_TRUE(found.is_object());
}

TEST_F(FindPathTest, Absent) {
  EXPECT_EQ(Find("missing"), "absent");
  EXPECT_EQ(Find("a.missing"), "absent");
  EXPECT_EQ(Find("a.b[2]"), "absent");      // out of range
  EXPECT_EQ(Find("arr[1][1]"), "absent");   // out of range
  EXPECT_EQ(Find("a[0]"), "absent");        // index step on an object
  EXPECT_EQ(Find("arr.x"), "absent");       // key step on an array
  EXPECT_EQ(Find("s.x"), "absent");         // key step on a string
  EXPECT_EQ(Find("s[0]"), "absent");        // index step on a string
  EXPECT_EQ(Find("n.x"), "absent");         // key step on null
  EXPECT_EQ(Find("a.b[1].c.d"), "absent");  // past a scalar
  EXPECT_EQ(Find("A"), "absent");           // keys are case-sensitive
}

TEST_F(FindPathTest, LeavesOutputAloneWhenAbsent) {
  absl::StatusOr<Path> path = ParsePath("missing");
  ASSERT_TRUE(path.ok());
  simdjson::dom::element found = root_;
  EXPECT_FALSE(FindPath(root_, *path, &found));
  EXPECT_TRUE(found.is_object());
}

// Keys of every length up to past 16 bytes (compared inline below that),
// each beside keys of the same length that differ in one byte only: only
// the key itself matches, wherever the difference is.
TEST(FindPath, ComparesEveryByteOfKeysOfEveryLength) {
  for (size_t length = 0; length <= 20; ++length) {
    const std::string key(length, 'k');
    std::string json = "{";
    for (size_t at = 0; at < length; ++at) {
      std::string other = key;
      other[at] = 'x';
      absl::StrAppend(&json, "\"", other, "\":", at, ",");
    }
    absl::StrAppend(&json, "\"", key, "\":\"found\"}");
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    ASSERT_EQ(parser.parse(json).get(root), simdjson::SUCCESS) << json;
    Path path;
    PathSegment segment;
    segment.key = key;
    path.push_back(segment);
    simdjson::dom::element found;
    ASSERT_TRUE(FindPath(root, path, &found)) << length;
    EXPECT_EQ(simdjson::minify(found), "\"found\"") << length;
    for (size_t at = 0; at < length; ++at) {
      std::string absent = key;
      absent[at] = 'y';
      path[0].key = absent;
      EXPECT_FALSE(FindPath(root, path, &found)) << length << " " << at;
    }
  }
}

// Hostile input (issue 12, row 2): the steps of a path are bounded, and the
// message quotes the path cut short with its control characters escaped.
TEST(ParsePath, StepsAreBounded) {
  std::string path = "k";
  for (size_t i = 1; i < kMaxPathSteps; ++i) path += i % 2 ? "[0]" : ".k";
  ASSERT_TRUE(ParsePath(path).ok());
  EXPECT_EQ(ParsePath(path)->size(), kMaxPathSteps);
  for (const std::string& extra : {std::string(".k"), std::string("[0]")}) {
    absl::StatusOr<Path> parsed = ParsePath(path + extra);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().message(),
              absl::StrCat("path \"", path.substr(0, 120), "...\" at byte ",
                           path.size() + (extra == ".k"), ": more than 256 steps"));
  }
  std::string huge = "k";
  for (int i = 1; i < 30000; ++i) huge += ".k";
  EXPECT_FALSE(ParsePath(huge).ok());
  EXPECT_EQ(ParsePath("a\n\x1b[2J").status().message(),
            "path \"a\\n\\u001b[2J\" at byte 3: unclosed '['");
}

}  // namespace
}  // namespace internal
}  // namespace convey
