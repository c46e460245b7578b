// The processes the crash test runs: one task kind per way of waiting.
//
// Process 1 routes a task by its `kind`:
//   timer     waits 0.5 s in a time semaphore
//   callback  waits in an api_callback until the driver modifies it with
//             {"paid":1} (a modify that comes first routes it at once)
//   copy      api_copy creates a task with ref "c-{{r}}" in process 2
//   rpc       api_rpc to process 3, which waits 0.3 s and replies y = 2x
//   api       GETs {{url}}?n={{n}} (the driver's loopback server answers
//             {"echo":n})
// then adds {{amount}} to its kind's sum node and ends in done_<kind>.
#ifndef CONVEY_TESTS_CRASH_CRASH_SCHEME_H_
#define CONVEY_TESTS_CRASH_CRASH_SCHEME_H_

#include <string>

namespace convey {
namespace crash {

constexpr int64_t kMain = 1;
constexpr int64_t kCopies = 2;
constexpr int64_t kCallee = 3;
constexpr const char* kKinds[] = {"timer", "callback", "copy", "rpc", "api"};

// The scheme file (the same bytes in every run).
std::string CrashScheme();

}  // namespace crash
}  // namespace convey

#endif  // CONVEY_TESTS_CRASH_CRASH_SCHEME_H_
