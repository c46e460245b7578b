// Splicing top-level writes into a task's text (private to the write set).
//
// The common write set (set_param's keys) touches only top-level keys. Then
// the new text is the old one with a few values cut out and replaced, or
// with members appended before its closing brace: everything else is copied
// in large pieces instead of being re-serialised. The members are found
// through the structural index of the text's own DOM parse when the caller
// has it (one step per structural character), else by scanning the bytes.
#ifndef CONVEY_RUNTIME_TASK_SPLICE_H_
#define CONVEY_RUNTIME_TASK_SPLICE_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "convey/value.h"
#include "runtime/json/dom_writer.h"
#include "runtime/task/write_set.h"
#include "simdjson.h"

namespace convey {
namespace internal {

// Writes `value` as JSON (Value::ToJson() without the temporary string).
void WriteValue(Sink& sink, const Value& value);

// True when every write is to a single top-level key.
bool AllTopLevelKeys(const WriteSet& writes);

// Every write adds a distinct top-level key that `doc` (parsed from `text`)
// does not have: appends `text` with the members added before its closing
// brace, found without scanning the text. False, with nothing written, for
// other write sets. `*within` tells whether the result fit `max_bytes`.
bool AppendTopLevel(absl::string_view text, simdjson::dom::element doc, const WriteSet& writes,
                    size_t max_bytes, std::string* out, bool* within);

// Appends `text` with `writes` (all single key steps) spliced in: written
// values replace the old ones, new keys are appended. `index` is the text's
// structural index (runtime/json/text_index.h) or empty; without it the
// bytes are scanned. False, with nothing written, when the text is not the
// simple case: not an object, or a key with escapes that might be one of
// the written keys.
bool SpliceTopLevel(absl::string_view text, TextIndex index, const WriteSet& writes,
                    size_t max_bytes, std::string* out, bool* within);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_TASK_SPLICE_H_
