// SameBytes and HasBackslash for every size around their word boundaries
// and every position of the byte that differs.
#include "runtime/json/short_bytes.h"

#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace convey {
namespace internal {
namespace {

constexpr size_t kLongest = 40;  // past 16 bytes, where two words stop

TEST(ShortBytesTest, SameBytesFindsEveryDifferentByte) {
  for (size_t n = 0; n <= kLongest; ++n) {
    const std::string a(n, 'k');
    EXPECT_TRUE(SameBytes(a.data(), std::string(a).data(), n)) << n;
    for (size_t i = 0; i < n; ++i) {
      std::string b = a;
      b[i] = 'K';
      EXPECT_FALSE(SameBytes(a.data(), b.data(), n)) << n << " differ at " << i;
    }
  }
}

TEST(ShortBytesTest, HasBackslashFindsItAnywhere) {
  for (size_t n = 0; n <= kLongest; ++n) {
    // Bytes next to '\\' (0x5c), and two with the top bit set, which the
    // word test must not take for it (0xdc, 0xdd: 0x80 and 0x81 once
    // xored with it).
    std::string text(n, '[');
    for (size_t i = 0; i < n; ++i) text[i] = "[]\xdc\xdd"[i % 4];
    // The bytes after the n looked at hold a backslash: they are not read
    // as part of the answer.
    const std::string padded = text + "\\\\\\\\\\\\\\\\";
    EXPECT_FALSE(HasBackslash(padded.data(), n)) << n;
    for (size_t i = 0; i < n; ++i) {
      std::string with = padded;
      with[i] = '\\';
      EXPECT_TRUE(HasBackslash(with.data(), n)) << n << " backslash at " << i;
    }
  }
}

}  // namespace
}  // namespace internal
}  // namespace convey
