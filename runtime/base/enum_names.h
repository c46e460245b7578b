// Enums named by a function that returns "unknown" for a value it does not
// name (TaskStatusName, ParkReasonName: switches without a default, so the
// compiler makes them name every value). Their values run from 0 up to the
// first the function calls unknown, so what a name or a number means is
// read from the function instead of from a last value written down again.
#ifndef CONVEY_RUNTIME_BASE_ENUM_NAMES_H_
#define CONVEY_RUNTIME_BASE_ENUM_NAMES_H_

#include "absl/strings/string_view.h"

namespace convey {
namespace internal {

// How many values the enum has (at most 256 are looked at).
template <typename Enum>
int NamedValueCount(absl::string_view (*name)(Enum)) {
  int count = 0;
  while (count < 256 && name(static_cast<Enum>(count)) != "unknown") ++count;
  return count;
}

// The value named `text`; false when none is.
template <typename Enum>
bool EnumFromName(absl::string_view text, absl::string_view (*name)(Enum), Enum* out) {
  for (int value = 0; value < 256; ++value) {
    const absl::string_view known = name(static_cast<Enum>(value));
    if (known == "unknown") return false;
    if (known == text) {
      *out = static_cast<Enum>(value);
      return true;
    }
  }
  return false;
}

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_BASE_ENUM_NAMES_H_
