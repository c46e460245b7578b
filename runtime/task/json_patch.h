// JSON Patch (RFC 6902) of a task's data: Engine::PatchTask.
//
// The patch is applied with nlohmann::json (Debian's nlohmann-json3-dev),
// keeping the order of object members; an operation that fails (a path that
// does not exist, a `test` whose value differs) fails the whole patch, and
// the data is left as it was.
#ifndef CONVEY_RUNTIME_TASK_JSON_PATCH_H_
#define CONVEY_RUNTIME_TASK_JSON_PATCH_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace convey {
namespace internal {

// Applies `patch_json` (a JSON array of operations: add, remove, replace,
// move, copy, test) to `data_json` (a JSON object), in order, and sets
// `*patched` to the result as compact JSON text. InvalidArgument, with
// `*patched` untouched, when the patch is not valid JSON or not an array of
// operations, when an operation fails (the message names it by index, op
// and path), or when the result is not a JSON object or nests deeper than
// `max_depth`. Numbers are written back in their shortest exact form
// (`1.50` becomes `1.5`).
absl::Status ApplyJsonPatch(absl::string_view data_json, absl::string_view patch_json,
                            size_t max_depth, std::string* patched);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_TASK_JSON_PATCH_H_
