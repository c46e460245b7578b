#include "runtime/json/dom_writer.h"

#include <string>

#include "gtest/gtest.h"

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

}  // namespace
}  // namespace internal
}  // namespace convey
