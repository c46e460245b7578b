// A logic's writes to a task, and producing the task's new JSON text.
//
// Logics never edit the task's JSON: they record (path, value) writes; the
// engine applies them all at once when the logic succeeds, re-serialising
// only the containers on the written paths' way and copying the rest.
#ifndef CONVEY_RUNTIME_TASK_WRITE_SET_H_
#define CONVEY_RUNTIME_TASK_WRITE_SET_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "convey/value.h"
#include "runtime/json/path.h"
#include "runtime/json/text_index.h"
#include "simdjson.h"

namespace convey {
namespace internal {

struct Write {
  Path path;
  Value value;
};

using WriteSet = std::vector<Write>;

// The deepest task data may nest: the depth simdjson parses. Data is
// checked against it where it comes in (create, modify) and where logics
// write (WritesFitDepth), so no task ever holds data it cannot parse again.
constexpr size_t kMaxDataDepth = 1024;

// False when some write would nest deeper than `max_depth` levels: its
// path's steps plus the nesting of its value. The written-into document is
// at most max_depth deep already (it parsed), so the result then fits.
bool WritesFitDepth(const WriteSet& writes, size_t max_depth = kMaxDataDepth);

// Appends the JSON text of `doc` (an object) with `writes` applied in order.
// A write replaces the value at its path. Missing keys are added at the end
// of their object; missing containers on the way are created (an object for
// a key step, an array for an index step); an index past the end of an array
// pads it with nulls; a key or index step through a value of the other kind
// replaces that value with a new container. A Missing value is written as
// null.
//
// Writes apply in order: a write to `a` drops earlier writes under `a`; a
// later write under `a` goes into the value written there (an object or
// array value is parsed for that, otherwise inserted verbatim). A key that
// occurs twice in an object gets the write at both places. Unchanged values
// are copied exactly, except that the DOM keeps no source text: integers are
// written as themselves, doubles in their shortest round-trip form, with
// ".0" when that looks like an integer (`1.0` stays `1.0`, `-0.0` stays
// `-0.0`, `1e2` becomes `100.0`), and strings are re-escaped (only `"`,
// `\` and control characters; other characters are written as UTF-8).
//
// Padding can make a small write large (`a[2000000000]`): for untrusted
// paths use ApplyWritesWithin.
void ApplyWrites(simdjson::dom::element doc, const WriteSet& writes, std::string* out);

// ApplyWrites that gives up as soon as the new text passes `max_bytes`:
// returns false and leaves `*out` as it was.
bool ApplyWritesWithin(simdjson::dom::element doc, const WriteSet& writes, size_t max_bytes,
                       std::string* out);

// ApplyWrites for a `doc` parsed from `text` (the caller keeps both), with
// `index` the parse's TextIndex (text_index.h) or empty. When every write is to a
// top-level key, the new text is `text` with the written values replaced or
// appended before the closing brace: the rest is copied as it is, byte for
// byte (whitespace included), at a fraction of the cost of re-serialising
// the document. Other write sets, and texts with a key written with escapes
// that might be one of the written keys, take the ApplyWrites path. For
// text that AppendElement produced (compact, canonical) both paths give the
// same bytes.
void ApplyWritesToText(absl::string_view text, simdjson::dom::element doc, TextIndex index,
                       const WriteSet& writes, std::string* out);

// ApplyWritesToText with ApplyWritesWithin's limit.
bool ApplyWritesToTextWithin(absl::string_view text, simdjson::dom::element doc, TextIndex index,
                             const WriteSet& writes, size_t max_bytes, std::string* out);

// ApplyWritesToTextWithin before the text's document is built: the top-level
// splice through `index` (the text's TextIndex) alone. True, with *within
// telling whether the result fit, when it applied; false, with nothing
// written, when the writes need the document.
bool SpliceWritesWithin(absl::string_view text, TextIndex index, const WriteSet& writes,
                        size_t max_bytes, std::string* out, bool* within);

// Appends `doc` with the top-level keys of `patch` (both objects) set to
// patch's values: existing keys keep their position, new ones are appended
// (a key repeated in patch takes its last value, at its first position).
// Values are written as AppendElement does; a doc or patch that is not an
// object counts as {}.
void MergeTopLevel(simdjson::dom::element doc, simdjson::dom::element patch, std::string* out);

// Appends `element` as compact JSON, numbers and strings as ApplyWrites
// writes them.
void AppendElement(simdjson::dom::element element, std::string* out);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_TASK_WRITE_SET_H_
