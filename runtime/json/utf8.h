// Text that must be UTF-8 (a JSON string) made so.
#ifndef CONVEY_RUNTIME_JSON_UTF8_H_
#define CONVEY_RUNTIME_JSON_UTF8_H_

#include <string>

#include "absl/strings/string_view.h"

namespace convey {
namespace internal {

// `text` with every byte sequence that is not valid UTF-8 (a stray or
// truncated sequence, an overlong form, a surrogate, past U+10FFFF)
// replaced by U+FFFD, so it can be a JSON string.
std::string ValidUtf8(absl::string_view text);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_JSON_UTF8_H_
