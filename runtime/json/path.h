// Paths into a task's data: `a.b`, `a[0].b`, `a\.b` (a key with a dot).
//
// The platform's parameter names are paths unless a `.`, `[` or `]` is
// escaped with `\`. A path is parsed once (at deploy for constant paths) and
// looked up in a simdjson document without copying anything.
#ifndef CONVEY_RUNTIME_JSON_PATH_H_
#define CONVEY_RUNTIME_JSON_PATH_H_

#include <cstdint>
#include <string>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "simdjson.h"

namespace convey {
namespace internal {

struct PathSegment {
  bool is_index = false;
  std::string key;     // !is_index: the unescaped key
  uint32_t index = 0;  // is_index
};

using Path = absl::InlinedVector<PathSegment, 2>;

// The most steps a path may have. Task data nests at most 1024 levels (the
// depth simdjson parses); real exports use fewer than 10 steps, and the
// bound keeps whatever walks a path (the write set's emitter recurses per
// step) far from any stack limit.
constexpr size_t kMaxPathSteps = 256;

// InvalidArgument (saying where) for an empty text, an empty key (`a..b`,
// `.a`), an unclosed or empty `[]`, an index that is not a non-negative
// integer below 2^31, a trailing `\`, or more than kMaxPathSteps steps.
absl::StatusOr<Path> ParsePath(absl::string_view text);

// The path as written (with escapes), for messages.
std::string PathToString(const Path& path);

// The value at `path` under `root`. False when a key is absent, an index is
// out of range, or a step meets the wrong kind of container.
bool FindPath(simdjson::dom::element root, const Path& path, simdjson::dom::element* out);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_JSON_PATH_H_
