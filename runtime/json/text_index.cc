#include "runtime/json/text_index.h"

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
  // its closing quote). Offsets ascend, so all lie within the text.
  bool space = false;
  for (size_t j = 1; j < n; ++j) {
    space |= static_cast<unsigned char>(t[s[j] - 1]) <= ' ';
  }
  return !space;
}

}  // namespace internal
}  // namespace convey
