// One thread that interrupts scripts past their deadline, for every
// JavaScript context of the process.
#ifndef CONVEY_RUNTIME_SCRIPT_WATCHDOG_H_
#define CONVEY_RUNTIME_SCRIPT_WATCHDOG_H_

#include <condition_variable>
#include <cstdint>
#include <limits>
#include <mutex>
#include <vector>

struct JSContext;

namespace convey {
namespace internal {

class ScriptWatchdog {
 public:
  static constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

  // The process's watchdog; its thread starts on first use.
  static ScriptWatchdog& Get();

  // A context joins before its first script and leaves before it is
  // destroyed: the watchdog never touches a context that has left.
  void Join(JSContext* cx);
  void Leave(JSContext* cx);
  // Interrupts `cx` every `poll_ns` (for the memory check) and at
  // `deadline_ns` (absl::GetCurrentTimeNanos), until disarmed. The interrupt
  // callback must check the time itself: a request may arrive just after
  // the script ended.
  void Arm(JSContext* cx, int64_t deadline_ns, int64_t poll_ns);
  void Disarm(JSContext* cx);

 private:
  struct Slot {
    JSContext* cx;
    int64_t deadline_ns;
    int64_t poll_ns;
    int64_t next_ns;  // the next interrupt: a poll or the deadline
  };
  ScriptWatchdog() = default;
  void Loop();
  Slot* Find(JSContext* cx);  // mu_ held

  // std::mutex rather than absl::Mutex: Debian's Abseil is not built for
  // ThreadSanitizer, which then cannot see its locks.
  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Slot> slots_;        // guarded by mu_
  int64_t next_wake_ns_ = kNever;  // guarded by mu_
};

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_SCRIPT_WATCHDOG_H_
