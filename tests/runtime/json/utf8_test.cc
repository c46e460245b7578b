// ValidUtf8, and WriteCheckedQuoted: a logic's key or value that is not
// UTF-8 is written with U+FFFD, valid text as it is.
#include "runtime/json/utf8.h"

#include <cstddef>
#include <limits>
#include <string>

#include "gtest/gtest.h"
#include "runtime/json/dom_writer.h"
#include "simdjson.h"

namespace convey {
namespace internal {
namespace {

const char kReplacement[] = "\xEF\xBF\xBD";

TEST(ValidUtf8Test, ReplacesInvalidSequences) {
  EXPECT_EQ(ValidUtf8("plain \xC3\xA9 \xF0\x9F\x98\x80"), "plain \xC3\xA9 \xF0\x9F\x98\x80");
  EXPECT_EQ(ValidUtf8("a\xFF"
                      "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(ValidUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong
  EXPECT_EQ(ValidUtf8("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // truncated
  EXPECT_EQ(ValidUtf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(ValidUtf8("\xF4\x90\x80\x80"), std::string(kReplacement) + kReplacement + kReplacement +
                                               kReplacement);  // past U+10FFFF
  EXPECT_EQ(ValidUtf8(""), "");
}

std::string Checked(const std::string& text, char prefix = 0, char suffix = 0) {
  std::string out;
  {
    Sink sink(&out, std::numeric_limits<size_t>::max());
    WriteCheckedQuoted(sink, prefix, text, suffix);
  }
  return out;
}

TEST(WriteCheckedQuotedTest, ValidTextIsWrittenAsWriteQuotedWritesIt) {
  EXPECT_EQ(Checked(""), "\"\"");
  EXPECT_EQ(Checked("abc", ',', ':'), ",\"abc\":");
  EXPECT_EQ(Checked("a\"b\\c\n"), R"("a\"b\\c\n")");
  EXPECT_EQ(Checked("\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD1\x96\xD1\x82"),
            "\"\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD1\x96\xD1\x82\"");
  EXPECT_EQ(Checked("emoji \xF0\x9F\x98\x80 and \"quotes\""),
            "\"emoji \xF0\x9F\x98\x80 and \\\"quotes\\\"\"");
}

TEST(WriteCheckedQuotedTest, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  EXPECT_EQ(Checked("a\xFF"
                    "b",
                    ',', ':'),
            std::string(",\"a") + kReplacement + "b\":");
  // Escapes still apply around a replaced byte.
  EXPECT_EQ(Checked("\"\xC3"), std::string("\"\\\"") + kReplacement + "\"");
  // Every length through the word-wise check, the bad byte at every place.
  for (size_t size = 1; size <= 20; ++size) {
    for (size_t at = 0; at < size; ++at) {
      std::string text(size, 'x');
      text[at] = '\x80';
      const std::string written = Checked(text);
      std::string expected = "\"" + text + "\"";
      expected.replace(at + 1, 1, kReplacement);
      EXPECT_EQ(written, expected) << size << " " << at;
      EXPECT_TRUE(simdjson::validate_utf8(written.data(), written.size()));
    }
  }
}

}  // namespace
}  // namespace internal
}  // namespace convey
