// Whether this build runs under a sanitizer that checks memory or threads.
// What keeps freed memory for reuse (task blocks, task data buffers) does
// not under them: reuse would hide a use after free.
#ifndef CONVEY_RUNTIME_BASE_SANITIZERS_H_
#define CONVEY_RUNTIME_BASE_SANITIZERS_H_

#include "absl/base/config.h"

namespace convey {
namespace internal {

#if defined(ABSL_HAVE_ADDRESS_SANITIZER) || defined(ABSL_HAVE_HWADDRESS_SANITIZER) || \
    defined(ABSL_HAVE_MEMORY_SANITIZER) || defined(ABSL_HAVE_THREAD_SANITIZER)
constexpr bool kUnderSanitizer = true;
#else
constexpr bool kUnderSanitizer = false;
#endif

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_BASE_SANITIZERS_H_
