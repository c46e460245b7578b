// The structural index simdjson's DOM parser keeps of the text it parsed
// last, and what it tells without reading the text again.
//
// The index is the offsets, in order, of the text's `{}[]:,`, of each
// string's opening quote and of each number's or literal's first byte: the
// parse made it anyway. simdjson marks the member it is read from as
// private to its benchmarks (`dom::parser::implementation`); the tests in
// tests/runtime/json check what it holds. Every use stays within the text:
// IsCompactObject and the splice check the bytes each offset points at,
// FindInIndex that the index ends at the text's closing bracket and then
// relies on the text being the valid JSON it indexes.
#ifndef CONVEY_RUNTIME_JSON_TEXT_INDEX_H_
#define CONVEY_RUNTIME_JSON_TEXT_INDEX_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "runtime/json/path.h"
#include "simdjson.h"

namespace convey {
namespace internal {

struct TextIndex {
  const uint32_t* structurals = nullptr;
  size_t count = 0;
};

// `parser`'s index of the text it parsed last. Valid until its next parse,
// and only for a parse that succeeded. Inline: read once per lookup.
inline TextIndex IndexOfLastParse(const simdjson::dom::parser& parser) {
  TextIndex index;
  if (parser.implementation != nullptr) {
    index.structurals = parser.implementation->structural_indexes.get();
    index.count = parser.implementation->n_structural_indexes;
  }
  return index;
}

// Whether `text`, an object whose TextIndex is `index`, has no whitespace
// outside its strings: what minifying it would give is the text itself.
// The byte before each token but the first is the end of the previous
// token, or whitespace; looking at those bytes answers without reading the
// strings.
bool IsCompactObject(absl::string_view text, TextIndex index);

// What FindInIndex tells of a path.
enum class IndexLookup {
  kFound,    // the value begins at the index entry given
  kMissing,  // what FindPath answers false for: no such key or element
  kUnknown,  // a key on the way is written with escapes: only a parse that
             // decodes them can tell whether it is the one looked for
};

// FindPath over `text` (valid JSON whose TextIndex is `index`, an object
// or an array, without
// repeated keys: task data, whose repeats are collapsed on the way in)
// without a document: keys are compared as written, nested values skipped
// by counting brackets. On kFound, *at is the entry where the value
// begins. kUnknown when the key is not written as it is but a longer key
// written with escapes might be it. Costs one step per structural
// character passed, where the document jumps over a nested value: for a
// few lookups in a small text, not for many in a large one.
IndexLookup FindInIndex(absl::string_view text, TextIndex index, const Path& path, size_t* at);

// The bytes of the scalar that begins at index entry `at`: a string's
// between its quotes (escapes as written), a number's or literal's up to
// the next structural character, without whitespace. For an entry that
// begins an object or an array, its first byte only.
absl::string_view ScalarTextAt(absl::string_view text, TextIndex index, size_t at);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_JSON_TEXT_INDEX_H_
