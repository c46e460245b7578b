// A task's data as the logics of one activation read it: simdjson's parse
// in its two stages, each run only when a reader needs it.
//
// Stage 1, the structural index (a third of a parse of a small task), is
// enough to find a few scalars (text_index.h) and to splice top-level
// writes into the text (write_set.h): a condition on `amount` followed by
// a set_param never builds the document. Stage 2 builds it for a reader
// that needs more: a nested value, a key written with escapes, a logic
// that reads the whole data, or more lookups than walking the index pays
// for (each walk steps over every structural character before its field,
// where the document jumps).
//
// One per worker (its parser and padded copy are reused); Reset() starts
// each activation. The text is passed to each call instead of being kept,
// since a task's string may move its bytes (a swap of a short string); the
// index holds offsets, and the document no pointer into the text.
#ifndef CONVEY_RUNTIME_TASK_TASK_DOCUMENT_H_
#define CONVEY_RUNTIME_TASK_TASK_DOCUMENT_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "convey/logic.h"
#include "convey/value.h"
#include "runtime/json/path.h"
#include "runtime/json/text_index.h"
#include "simdjson.h"

namespace convey {
namespace internal {

class TaskDocument {
 public:
  // Index lookups of one text before the next lookup builds the document.
  static constexpr int kMaxIndexLookups = 4;

  TaskDocument() = default;
  TaskDocument(const TaskDocument&) = delete;
  TaskDocument& operator=(const TaskDocument&) = delete;

  // Forgets what was parsed: the next reader parses the task's data again.
  // Every write to the task's data resets it, so the lookups through the
  // index are counted per text.
  void Reset() {
    stage_ = Stage::kNone;
    index_lookups_ = 0;
    unreadable_ = false;
  }

  // Every call below takes the task's data, the same text until the next
  // Reset: a JSON object, checked on the way in (text that is not valid
  // JSON reads as {}).

  // Its structural index (stage 1 on first use).
  TextIndex Index(absl::string_view text);
  // Its document (stage 2, and stage 1 before it, on first use).
  simdjson::dom::element Document(absl::string_view text);
  bool has_document() const { return stage_ == Stage::kDocument; }

  // The value at `path` (Missing when absent), read through the index while
  // it pays, else through the document; the same Value either way.
  Value ValueAt(absl::string_view text, const Path& path);
  // The number at `path`, without building a Value (as
  // TaskContext::EvaluateNumber).
  NumberLookup NumberAt(absl::string_view text, const Path& path, double* out) {
    // Inline for the document's case: a chain of conditions reads one
    // number per step (B2).
    if (stage_ != Stage::kDocument) return NumberBeforeDocument(text, path, out);
    simdjson::dom::element element;
    if (!FindPath(doc_, path, &element)) return NumberLookup::kMissing;
    return element.get_double().get(*out) == simdjson::SUCCESS ? NumberLookup::kNumber
                                                               : NumberLookup::kOther;
  }

  // Parses `*replacement` whole (a logic replaces the task's data with it),
  // with task data's rules: an object, a key repeated with the same value
  // kept once (*replacement rewritten), with different values refused.
  // Until the next Reset, Document() is then the replacement's. Else
  // InvalidArgument saying why, and the task's data is parsed again when
  // next read.
  absl::Status ParseReplacement(std::string* replacement);

 private:
  enum class Stage { kNone, kIndexed, kDocument };

  NumberLookup NumberBeforeDocument(absl::string_view text, const Path& path, double* out);
  // The entry where the value at `path` begins, when the index can tell
  // and lookups are left; else false, and the caller reads the document.
  bool FindThroughIndex(absl::string_view text, const Path& path, IndexLookup* lookup, size_t* at);

  simdjson::dom::parser parser_;
  // Index() or Document() found the text not valid JSON (task data that
  // did not come in through the checks: a host logic's raw value, a damaged
  // store). It reads as {} (as it did before this class), with an empty
  // index, so that writes re-serialise rather than splice.
  void ParseEmptyObject();
  // The text simdjson reads, with its padding: stage 2 reads it after
  // stage 1 returned.
  std::unique_ptr<char[]> padded_;
  size_t padded_capacity_ = 0;
  Stage stage_ = Stage::kNone;
  simdjson::dom::element doc_;
  int index_lookups_ = 0;
  bool unreadable_ = false;
};

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_TASK_TASK_DOCUMENT_H_
