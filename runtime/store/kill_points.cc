// Kill points for the crash test (kill_points.h).
#include "runtime/store/kill_points.h"

#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"

namespace convey {
namespace internal {
namespace {

// Set once, before any commit, by ArmKillPointFromEnvironment.
std::atomic<bool> armed{false};
std::string armed_name;
std::atomic<int64_t> remaining{0};
std::once_flag once;

}  // namespace

void ArmKillPointFromEnvironment() {
  std::call_once(once, [] {
    const char* value = std::getenv("CONVEY_TEST_KILL_POINT");
    if (value == nullptr) return;
    absl::string_view spec(value);
    const size_t colon = spec.rfind(':');
    int64_t count = 0;
    if (colon == absl::string_view::npos || !absl::SimpleAtoi(spec.substr(colon + 1), &count) ||
        count < 1) {
      return;
    }
    armed_name = std::string(spec.substr(0, colon));
    remaining.store(count);
    armed.store(true, std::memory_order_release);
  });
}

void KillPoint(const char* name) {
  if (!armed.load(std::memory_order_acquire) || armed_name != name) return;
  if (remaining.fetch_sub(1) == 1) ::raise(SIGKILL);
}

}  // namespace internal
}  // namespace convey
