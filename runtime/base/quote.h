// Quoting text from untrusted input (scheme strings, URLs, task data) into
// diagnostics and text output.
#ifndef CONVEY_RUNTIME_BASE_QUOTE_H_
#define CONVEY_RUNTIME_BASE_QUOTE_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace convey {
namespace internal {

// `text` in double quotes, cut after `max_shown` bytes (never inside a UTF-8
// sequence) with `...`. Control characters (C0, DEL and the C1 range),
// quotes and backslashes are escaped the JSON way, so a hostile title can
// neither move the cursor, clear the screen nor forge a line of its own.
std::string Quote(absl::string_view text, size_t max_shown = 80);

// The first `max_bytes` bytes of `text` at most, fewer rather than ending
// inside a UTF-8 sequence.
absl::string_view CutAtCharacter(absl::string_view text, size_t max_bytes);

// `text` with the same escapes and no quotes or cut, for text output that
// prints names as they are (titles, ids) but must stay one line.
std::string EscapeControl(absl::string_view text);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_BASE_QUOTE_H_
