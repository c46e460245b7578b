// The editor's layout of a node in an export: its coordinates and form
// mode, kept only to draw the process (runtime/draw). Read leniently and
// silently: anything malformed is left unset.
#ifndef CONVEY_RUNTIME_IMPORT_EDITOR_LAYOUT_H_
#define CONVEY_RUNTIME_IMPORT_EDITOR_LAYOUT_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "runtime/import/located_reader.h"
#include "simdjson.h"

namespace convey {
namespace internal {

// The node's `x` or `y`: a number, or a number in a string.
bool ReadCoordinate(const Fields& fields, absl::string_view key, double* out);

// `modeForm` of the node's `extra` (an object, or JSON in a string): true
// for "collapse", false for "expand", nullopt otherwise.
std::optional<bool> ReadCollapsed(simdjson::dom::element extra);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_IMPORT_EDITOR_LAYOUT_H_
