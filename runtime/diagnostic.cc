// convey/scheme.h: Diagnostic.
#include <string>

#include "absl/strings/str_cat.h"
#include "convey/scheme.h"
#include "runtime/base/quote.h"

namespace convey {

std::string Diagnostic::ToString() const {
  std::string text = absl::StrCat(file, ": ", location, ": ", message);
  if (!node_id.empty()) absl::StrAppend(&text, " (node \"", node_id, "\")");
  // Names and paths come from the file: a title must not reach the
  // terminal as a control sequence or forge a line of its own.
  return internal::EscapeControl(text);
}

}  // namespace convey
