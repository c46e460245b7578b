// Whether this build runs under a sanitizer that checks memory. What keeps
// freed memory for reuse (task blocks, task data buffers) does not under
// them: reuse would hide a use after free. ThreadSanitizer is not one of
// them: it sees the hand-over of kept memory (a thread's own list, a mutex
// between threads), so the caches run there and are checked with the rest.
#ifndef CONVEY_RUNTIME_BASE_SANITIZERS_H_
#define CONVEY_RUNTIME_BASE_SANITIZERS_H_

#include "absl/base/config.h"

namespace convey {
namespace internal {

#if defined(ABSL_HAVE_ADDRESS_SANITIZER) || defined(ABSL_HAVE_HWADDRESS_SANITIZER) || \
    defined(ABSL_HAVE_MEMORY_SANITIZER)
constexpr bool kUnderMemorySanitizer = true;
#else
constexpr bool kUnderMemorySanitizer = false;
#endif

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_BASE_SANITIZERS_H_
