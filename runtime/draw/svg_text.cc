// Text in SVG (svg_text.h): UTF-8 decoding, XML escaping, fitting titles.
#include "runtime/draw/svg_text.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "runtime/json/json_writer.h"

namespace convey {
namespace internal {
namespace {

// Average advance of a 13px sans-serif character, to fit titles.
constexpr double kCharWidth = 7.2;

// The code point at `*pos`, advancing past it; U+FFFD for a byte that
// does not start a well-formed UTF-8 sequence (advancing one byte).
char32_t NextCodePoint(absl::string_view text, size_t* pos) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(*pos);
  if (lead < 0x80) {
    ++*pos;
    return lead;
  }
  size_t length = 0;
  char32_t code = 0;
  unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code = lead & 0x0F;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code = lead & 0x07;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  }
  if (length == 0 || *pos + length > text.size() || byte(*pos + 1) < low || byte(*pos + 1) > high) {
    ++*pos;
    return 0xFFFD;
  }
  for (size_t i = 1; i < length; ++i) {
    if ((byte(*pos + i) & 0xC0) != 0x80) {
      ++*pos;
      return 0xFFFD;
    }
    code = (code << 6) | (byte(*pos + i) & 0x3F);
  }
  *pos += length;
  return code;
}

}  // namespace

std::string XmlEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const char32_t code = NextCodePoint(text, &pos);
    switch (code) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if ((code < 0x20 && code != '\t' && code != '\n' && code != '\r') || code == 0xFFFE ||
            code == 0xFFFF) {
          break;  // not allowed in XML 1.0, even escaped
        }
        AppendUtf8CodePoint(code, &out);
    }
  }
  return out;
}

std::string FitTitle(absl::string_view text, double width) {
  const double max_units = std::max(3.0, std::floor(width / kCharWidth));
  std::vector<std::pair<size_t, double>> ends;  // byte end and width so far
  double units = 0;
  std::string line;
  for (size_t pos = 0; pos < text.size();) {
    char32_t code = NextCodePoint(text, &pos);
    if (code == '\t' || code == '\n' || code == '\r') code = ' ';
    units += code >= 0x2E80 ? 2 : 1;
    AppendUtf8CodePoint(code, &line);
    ends.emplace_back(line.size(), units);
  }
  if (units <= max_units) return line;
  size_t keep = 0;
  for (const auto& [end, used] : ends) {
    if (used > max_units - 1) break;
    keep = end;
  }
  line.resize(keep);
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line + "\xE2\x80\xA6";  // …
}

}  // namespace internal
}  // namespace convey
