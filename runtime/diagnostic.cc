// convey/scheme.h: Diagnostic.
#include <string>

#include "absl/strings/str_cat.h"
#include "convey/scheme.h"

namespace convey {

std::string Diagnostic::ToString() const {
  std::string text = absl::StrCat(file, ": ", location, ": ", message);
  if (!node_id.empty()) absl::StrAppend(&text, " (node \"", node_id, "\")");
  return text;
}

}  // namespace convey
