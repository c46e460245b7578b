// Values of the command line's options, checked the same way by every
// command (`convey run`, `convey serve`).
#ifndef CONVEY_TOOLS_FLAG_VALUES_H_
#define CONVEY_TOOLS_FLAG_VALUES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace convey {
namespace tools {

// A whole number of decimal digits (no sign, no spaces) in [min, max].
bool ParseWholeNumber(absl::string_view text, int64_t min, int64_t max, int64_t* value);

// A number of seconds > 0 (fractions allowed), at most 10^9.
bool ParseSeconds(absl::string_view text, absl::Duration* value);

// A DNS host name.
bool IsHostName(absl::string_view text);

// One --allow-net entry: a network or address, or a host name. Else the
// usage problem.
std::optional<std::string> CheckAllowNetEntry(const std::string& entry);

}  // namespace tools
}  // namespace convey

#endif  // CONVEY_TOOLS_FLAG_VALUES_H_
