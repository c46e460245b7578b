// The structural index simdjson's DOM parser keeps of the text it parsed
// last, and what it tells without reading the text again.
//
// The index is the offsets, in order, of the text's `{}[]:,`, of each
// string's opening quote and of each number's or literal's first byte: the
// parse made it anyway. simdjson marks the member it is read from as
// private to its benchmarks (`dom::parser::implementation`); the tests in
// tests/runtime/json check what it holds, and every use checks the bytes
// it points at and stays within the text.
#ifndef CONVEY_RUNTIME_JSON_TEXT_INDEX_H_
#define CONVEY_RUNTIME_JSON_TEXT_INDEX_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "simdjson.h"

namespace convey {
namespace internal {

struct TextIndex {
  const uint32_t* structurals = nullptr;
  size_t count = 0;
};

// `parser`'s index of the text it parsed last. Valid until its next parse,
// and only for a parse that succeeded.
TextIndex IndexOfLastParse(const simdjson::dom::parser& parser);

// Whether `text`, an object whose TextIndex is `index`, has no whitespace
// outside its strings: what minifying it would give is the text itself.
// The byte before each token but the first is the end of the previous
// token, or whitespace; looking at those bytes answers without reading the
// strings.
bool IsCompactObject(absl::string_view text, TextIndex index);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_JSON_TEXT_INDEX_H_
