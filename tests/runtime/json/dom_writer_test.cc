#include "runtime/json/dom_writer.h"

#include <limits>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "simdjson.h"

namespace convey {
namespace internal {
namespace {

using dom_writer_internal::CopyBytes;
using dom_writer_internal::StringNeedsEscape;

// Every size up to past four 16-byte steps, every byte value at every place
// in a run of plain bytes: only control characters, '"' and '\' need an
// escape (DEL and bytes from 0x80 up do not). The bytes just past the
// string are ones that would need it, and must not be looked at.
TEST(StringNeedsEscapeTest, FindsExactlyTheBytesJsonEscapesWhereverTheyAre) {
  for (size_t size = 0; size <= 70; ++size) {
    std::string text(size, 'a');
    text.append(32, '"');
    EXPECT_FALSE(StringNeedsEscape(text.data(), size)) << size;
    for (size_t at = 0; at < size; ++at) {
      for (int byte = 0; byte < 256; ++byte) {
        text[at] = static_cast<char>(byte);
        const bool expected = byte < 0x20 || byte == '"' || byte == '\\';
        ASSERT_EQ(StringNeedsEscape(text.data(), size), expected)
            << "size " << size << " at " << at << " byte " << byte;
      }
      text[at] = 'a';
    }
  }
}

TEST(CopyBytesTest, CopiesEverySizeAndNothingPastIt) {
  std::string source;
  for (int i = 0; i < 80; ++i) source.push_back(static_cast<char>('0' + i % 64));
  for (size_t size = 0; size <= 70; ++size) {
    std::string target(80, '#');
    CopyBytes(target.data(), source.data(), size);
    EXPECT_EQ(target.substr(0, size), source.substr(0, size)) << size;
    EXPECT_EQ(target.substr(size), std::string(80 - size, '#')) << size;
  }
}

// The byte limit is on what was written, to the byte, whether the Sink had
// to grow for the write or not: a quoted string, plain or escaped, with a
// key's comma and colon or without, and a number after it. (A reservation
// counted against the limit once refused an escaped string of exactly the
// limit.)
TEST(SinkTest, OutputOfExactlyTheLimitFitsAndOneByteLessDoesNot) {
  simdjson::dom::parser parser;
  simdjson::dom::element number;
  ASSERT_EQ(parser.parse(std::string("-12345.5")).get(number), simdjson::SUCCESS);
  for (size_t size : {size_t{0}, size_t{5}, size_t{20}, size_t{300}, size_t{1000}}) {
    for (char fill : {'a', '\n', '"'}) {
      const std::string text(size, fill);
      for (auto [prefix, suffix] : {std::pair<char, char>{0, 0}, {',', ':'}, {0, ':'}, {',', 0}}) {
        for (size_t before : {size_t{0}, size_t{250}}) {  // the Sink grows mid-string or not
          const auto write = [&](size_t max_bytes, std::string* out) {
            out->clear();
            Sink sink(out, max_bytes);
            sink.Put(std::string(before, 'x'));
            WriteQuoted(sink, prefix, text, suffix);
            WriteElement(sink, number);
            return !sink.overflowed();
          };
          std::string unlimited;
          ASSERT_TRUE(write(std::numeric_limits<size_t>::max(), &unlimited));
          const size_t exact = unlimited.size();
          std::string out;
          EXPECT_TRUE(write(exact, &out)) << size << " " << fill << " " << before;
          EXPECT_EQ(out, unlimited);
          EXPECT_FALSE(write(exact - 1, &out)) << size << " " << fill << " " << before;
          EXPECT_EQ(out, "");
        }
      }
    }
  }
}

// Past the limit the Sink stops growing: a long run of writes, or one write
// far larger than the limit, leaves the string at the size it had (and its
// memory near the limit, not the size of everything written).
TEST(SinkTest, StopsGrowingPastTheLimit) {
  std::string out = "kept";
  {
    Sink sink(&out, 100);
    for (int i = 0; i < 10000; ++i) WriteQuoted(sink, ',', "ten bytes!", 0);
    EXPECT_TRUE(sink.overflowed());
  }
  EXPECT_EQ(out, "kept");
  EXPECT_LT(out.capacity(), size_t{4096});
  {
    Sink sink(&out, 100);
    WriteString(sink, std::string(1000, '\n'));  // 2 002 bytes escaped, reserved at once
    EXPECT_TRUE(sink.overflowed());
  }
  EXPECT_EQ(out, "kept");
}

}  // namespace
}  // namespace internal
}  // namespace convey
