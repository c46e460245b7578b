// Small helpers over simdjson values shared by convey's JSON readers.
#ifndef CONVEY_RUNTIME_JSON_JSON_TYPES_H_
#define CONVEY_RUNTIME_JSON_JSON_TYPES_H_

#include <string_view>

#include "absl/strings/string_view.h"
#include "simdjson.h"

namespace convey {
namespace internal {

// simdjson speaks std::string_view; Debian's Abseil has its own type.
inline absl::string_view View(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

// A JSON type for messages: "an object", "an array", "a string", "a number",
// "a boolean" or "null".
absl::string_view JsonTypeName(simdjson::dom::element_type type);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_JSON_JSON_TYPES_H_
