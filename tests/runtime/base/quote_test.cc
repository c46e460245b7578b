#include "runtime/base/quote.h"

#include <string>

#include "gtest/gtest.h"

namespace convey {
namespace internal {
namespace {

TEST(QuoteTest, PlainTextIsQuotedAsItIs) {
  EXPECT_EQ(Quote("hello"), "\"hello\"");
  EXPECT_EQ(Quote(""), "\"\"");
  EXPECT_EQ(Quote("Привет"), "\"Привет\"");
}

TEST(QuoteTest, QuotesAndBackslashesAreEscaped) { EXPECT_EQ(Quote("a\"b\\c"), "\"a\\\"b\\\\c\""); }

TEST(QuoteTest, TerminalControlsCannotReachTheTerminal) {
  // Clear screen, a forged line, a terminal title (OSC ... BEL), DEL, NUL.
  EXPECT_EQ(Quote("\x1b[2J"), "\"\\u001b[2J\"");
  EXPECT_EQ(Quote("a\nprocessed: 1"), "\"a\\nprocessed: 1\"");
  EXPECT_EQ(Quote("\x1b]0;owned\x07"), "\"\\u001b]0;owned\\u0007\"");
  EXPECT_EQ(Quote(std::string("x\x7f\0y", 4)), "\"x\\u007f\\u0000y\"");
  EXPECT_EQ(Quote("\r\t"), "\"\\r\\t\"");
  // C1 CSI (U+009B) in UTF-8.
  EXPECT_EQ(Quote("\xc2\x9b"
                  "2J"),
            "\"\\u009b2J\"");
}

TEST(QuoteTest, LongTextIsCutOutsideAMultiByteCharacter) {
  EXPECT_EQ(Quote(std::string(100, 'a')), "\"" + std::string(80, 'a') + "...\"");
  // 79 ASCII bytes then a 2-byte character straddling the cut at 80.
  const std::string text = std::string(79, 'a') + "ж" + "tail";
  EXPECT_EQ(Quote(text), "\"" + std::string(79, 'a') + "...\"");
  EXPECT_EQ(Quote("abcdef", 3), "\"abc...\"");
}

TEST(CutAtCharacterTest, NeverEndsInsideAMultiByteCharacter) {
  const std::string text = "ab\xD0\x9F\xF0\x9F\x98\x80";  // a, b, 2 bytes, 4 bytes
  EXPECT_EQ(CutAtCharacter(text, 100), text);
  EXPECT_EQ(CutAtCharacter(text, 8), text);
  EXPECT_EQ(CutAtCharacter(text, 7), "ab\xD0\x9F");
  EXPECT_EQ(CutAtCharacter(text, 5), "ab\xD0\x9F");
  EXPECT_EQ(CutAtCharacter(text, 4), "ab\xD0\x9F");
  EXPECT_EQ(CutAtCharacter(text, 3), "ab");
  EXPECT_EQ(CutAtCharacter(text, 0), "");
}

TEST(EscapeControlTest, KeepsQuotesAndEscapesControls) {
  EXPECT_EQ(EscapeControl("say \"hi\"\n\x1b[31m"), "say \"hi\"\\n\\u001b[31m");
}

}  // namespace
}  // namespace internal
}  // namespace convey
