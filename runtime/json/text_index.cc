#include "runtime/json/text_index.h"

#include <algorithm>

namespace convey {
namespace internal {

TextIndex IndexOfLastParse(const simdjson::dom::parser& parser) {
  TextIndex index;
  if (parser.implementation != nullptr) {
    index.structurals = parser.implementation->structural_indexes.get();
    index.count = parser.implementation->n_structural_indexes;
  }
  return index;
}

bool IsCompactObject(absl::string_view text, TextIndex index) {
  const uint32_t* const s = index.structurals;
  const size_t n = index.count;
  // The text begins with its first token and ends with its closing brace.
  if (n < 2 || text.empty() || s[0] != 0 || s[n - 1] != text.size() - 1 || text[0] != '{' ||
      text[text.size() - 1] != '}') {
    return false;
  }
  const char* const t = text.data();
  // Outside strings, valid JSON has no bytes up to ' ' but whitespace; the
  // byte before a token is never inside a string (a string's last byte is
  // its closing quote). Offsets ascend, so all lie within the text. Four
  // running minima, so that the loads do not wait for one another.
  const auto byte_before = [t, s](size_t j) {
    return static_cast<unsigned>(static_cast<unsigned char>(t[s[j] - 1]));
  };
  unsigned m0 = 0xff, m1 = 0xff, m2 = 0xff, m3 = 0xff;
  size_t j = 1;
  for (; j + 4 <= n; j += 4) {
    m0 = std::min(m0, byte_before(j));
    m1 = std::min(m1, byte_before(j + 1));
    m2 = std::min(m2, byte_before(j + 2));
    m3 = std::min(m3, byte_before(j + 3));
  }
  for (; j < n; ++j) m0 = std::min(m0, byte_before(j));
  return std::min(std::min(m0, m1), std::min(m2, m3)) > ' ';
}

}  // namespace internal
}  // namespace convey
