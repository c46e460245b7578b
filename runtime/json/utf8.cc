#include "runtime/json/utf8.h"

#include <cstdint>

#include "simdjson.h"

namespace convey {
namespace internal {

std::string ValidUtf8(absl::string_view text) {
  if (simdjson::validate_utf8(text.data(), text.size())) return std::string(text);
  static constexpr absl::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(text.size() + 16);
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t least = 0;  // the smallest code point of that length (no overlong forms)
    if ((c & 0xE0) == 0xC0) {
      length = 2;
      least = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
      least = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4;
      least = 0x10000;
    }
    bool valid = length != 0 && i + length <= text.size();
    uint32_t code_point = valid ? (c & (0x7Fu >> length)) : 0;
    for (size_t k = 1; valid && k < length; ++k) {
      const unsigned char next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) valid = false;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    if (valid && (code_point < least || code_point > 0x10FFFF ||
                  (code_point >= 0xD800 && code_point <= 0xDFFF))) {
      valid = false;
    }
    if (valid) {
      out.append(text.data() + i, length);
      i += length;
    } else {
      out.append(kReplacement.data(), kReplacement.size());
      ++i;
    }
  }
  return out;
}

}  // namespace internal
}  // namespace convey
