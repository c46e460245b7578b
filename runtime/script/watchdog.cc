#include "runtime/script/watchdog.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "js/Interrupt.h"

namespace convey {
namespace internal {

ScriptWatchdog& ScriptWatchdog::Get() {
  // Never destroyed: its thread sleeps until the process ends.
  static ScriptWatchdog* const watchdog = [] {
    auto* created = new ScriptWatchdog();
    std::thread([created] { created->Loop(); }).detach();
    return created;
  }();
  return *watchdog;
}

ScriptWatchdog::Slot* ScriptWatchdog::Find(JSContext* cx) {
  for (Slot& slot : slots_) {
    if (slot.cx == cx) return &slot;
  }
  return nullptr;
}

void ScriptWatchdog::Join(JSContext* cx) {
  std::lock_guard<std::mutex> lock(mu_);
  slots_.push_back(Slot{cx, kNever, kNever, kNever});
}

void ScriptWatchdog::Leave(JSContext* cx) {
  std::lock_guard<std::mutex> lock(mu_);
  slots_.erase(std::remove_if(slots_.begin(), slots_.end(),
                              [cx](const Slot& slot) { return slot.cx == cx; }),
               slots_.end());
}

void ScriptWatchdog::Arm(JSContext* cx, int64_t deadline_ns, int64_t poll_ns) {
  std::lock_guard<std::mutex> lock(mu_);
  Slot* slot = Find(cx);
  if (slot == nullptr) return;
  slot->deadline_ns = deadline_ns;
  slot->poll_ns = poll_ns;
  slot->next_ns = std::min(deadline_ns, absl::GetCurrentTimeNanos() + poll_ns);
  if (slot->next_ns < next_wake_ns_) wake_.notify_one();
}

void ScriptWatchdog::Disarm(JSContext* cx) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Slot* slot = Find(cx)) slot->deadline_ns = slot->next_ns = kNever;
}

void ScriptWatchdog::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    const int64_t now = absl::GetCurrentTimeNanos();
    int64_t next = kNever;
    for (Slot& slot : slots_) {
      if (slot.next_ns <= now) {
        // Thread-safe by contract; the context cannot leave meanwhile (mu_).
        JS_RequestInterruptCallback(slot.cx);
        slot.next_ns =
            slot.deadline_ns <= now ? kNever : std::min(slot.deadline_ns, now + slot.poll_ns);
      }
      next = std::min(next, slot.next_ns);
    }
    next_wake_ns_ = next;
    if (next == kNever) {
      wake_.wait(lock);
    } else {
      wake_.wait_for(lock, std::chrono::nanoseconds(next - now));
    }
  }
}

}  // namespace internal
}  // namespace convey
