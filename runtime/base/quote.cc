#include "runtime/base/quote.h"

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace convey {
namespace internal {
namespace {

// Appends `text` with control characters escaped; quotes and backslashes too
// when `quoted`.
void AppendEscaped(absl::string_view text, bool quoted, std::string* out) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    // C1 controls (U+0080..U+009F) are 0xC2 0x80..0x9F in UTF-8; terminals
    // act on some of them (CSI is U+009B).
    if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
      absl::StrAppend(out, "\\u00",
                      absl::Hex(static_cast<unsigned char>(text[i + 1]), absl::kZeroPad2));
      ++i;
      continue;
    }
    switch (c) {
      case '\n':
        out->append("\\n");
        continue;
      case '\r':
        out->append("\\r");
        continue;
      case '\t':
        out->append("\\t");
        continue;
      case '"':
      case '\\':
        if (quoted) out->push_back('\\');
        out->push_back(static_cast<char>(c));
        continue;
      default:
        break;
    }
    if (c < 0x20 || c == 0x7F) {
      absl::StrAppend(out, "\\u00", absl::Hex(c, absl::kZeroPad2));
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
}

}  // namespace

std::string Quote(absl::string_view text, size_t max_shown) {
  std::string out = "\"";
  bool cut = false;
  if (text.size() > max_shown) {
    text = CutAtCharacter(text, max_shown);
    cut = true;
  }
  AppendEscaped(text, /*quoted=*/true, &out);
  out.append(cut ? "...\"" : "\"");
  return out;
}

absl::string_view CutAtCharacter(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  // Back up over continuation bytes so a multi-byte character stays whole.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

std::string EscapeControl(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  AppendEscaped(text, /*quoted=*/false, &out);
  return out;
}

}  // namespace internal
}  // namespace convey
