// The timing wheel (runtime/timer) against a model.
//
// The input is a program: a header (tick size, start time) and then ops
// decoded byte by byte on 64 entries: arm (deadlines near, far, past,
// beyond the top level, at the int64 extremes), cancel, re-arm, advance (by
// small and large steps, backwards, exactly to the next deadline, to just
// before it). The model is a std::multimap of deadlines. After every op:
// - size() and each entry's armed() agree with the model;
// - NextDeadline() is exactly the model's smallest deadline (INT64_MAX for
//   none);
// After every Advance(t):
// - now_micros() is max(previous now, t);
// - no early fire: every entry handed out was armed, not cancelled, and
//   its deadline is <= now; it is handed out once and is unlinked;
// - no lost timer: no armed entry with a deadline <= now is left.
// Together: every armed-and-not-cancelled entry fires exactly once, at the
// first Advance whose time reaches its deadline.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <vector>

#include "runtime/timer/timer_wheel.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using convey::internal::TimerEntry;
using convey::internal::TimerWheel;

constexpr int kEntries = 64;
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint64_t Bytes(int n) {
    uint64_t value = 0;
    for (int i = 0; i < n; ++i) value = (value << 8) | Byte();
    return value;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

int64_t SaturatingAdd(int64_t a, int64_t b) {
  if (b > 0 && a > kMax - b) return kMax;
  if (b < 0 && a < kMin - b) return kMin;
  return a + b;
}

// A time offset of one of several scales, chosen by the input.
int64_t Delta(Reader& in, int64_t tick) {
  const uint8_t kind = in.Byte();
  switch (kind % 10) {
    case 0:
      return in.Byte();  // within a few ticks of 1 us
    case 1:
      return static_cast<int64_t>(in.Byte()) * tick;  // level 0
    case 2:
      return static_cast<int64_t>(in.Bytes(2)) * tick;  // levels 1-2
    case 3:
      return static_cast<int64_t>(in.Bytes(3)) * tick + static_cast<int64_t>(in.Byte());
    case 4:
      return static_cast<int64_t>(in.Bytes(5));  // up to ~13 days in us
    case 5:
      return static_cast<int64_t>(in.Bytes(7));  // far levels
    case 6:
      return static_cast<int64_t>(in.Bytes(8));  // anything, negative too
    case 7:
      return -static_cast<int64_t>(in.Bytes(2));  // the past
    case 8:
      return (int64_t{1} << (in.Byte() % 63)) + (static_cast<int8_t>(in.Byte()));  // powers of 2
    default:
      return 0;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in(data, size);
  static const int64_t kTicks[] = {1, 2, 7, 1000, 1024, 999983, 1000000, 3600000000LL};
  const int64_t tick = kTicks[in.Byte() % 8];
  int64_t start = 0;
  switch (in.Byte() % 6) {
    case 0:
      start = 0;
      break;
    case 1:
      start = int64_t{1700000000} * 1000000;
      break;
    case 2:
      start = -5000000;
      break;
    case 3:
      start = kMax - int64_t{1000000000};
      break;
    case 4:
      start = kMin + int64_t{1000000000};
      break;
    default:
      start = static_cast<int64_t>(in.Bytes(8));
      break;
  }

  // The entries outlive the wheel (its destructor disarms them).
  TimerEntry entries[kEntries];
  TimerWheel wheel(start, tick);
  std::multimap<int64_t, int> model;  // deadline -> entry
  std::multimap<int64_t, int>::iterator where[kEntries];
  bool armed[kEntries] = {};
  std::vector<TimerEntry*> due;

  auto check_state = [&]() {
    FUZZ_CHECK(wheel.size() == model.size(), "size() %zu, model %zu", wheel.size(), model.size());
    for (int i = 0; i < kEntries; ++i) {
      FUZZ_CHECK(entries[i].armed() == armed[i], "entry %d armed() %d, model %d", i,
                 entries[i].armed(), armed[i]);
    }
    const int64_t expected = model.empty() ? kMax : model.begin()->first;
    const int64_t next = wheel.NextDeadline();
    FUZZ_CHECK(next == expected, "NextDeadline() %lld, model %lld (now %lld, tick %lld)",
               static_cast<long long>(next), static_cast<long long>(expected),
               static_cast<long long>(wheel.now_micros()), static_cast<long long>(tick));
  };

  auto advance = [&](int64_t to) {
    const int64_t before = wheel.now_micros();
    due.clear();
    wheel.Advance(to, &due);
    const int64_t now = wheel.now_micros();
    FUZZ_CHECK(now == (to > before ? to : before), "Advance(%lld) from %lld: now %lld",
               static_cast<long long>(to), static_cast<long long>(before),
               static_cast<long long>(now));
    for (TimerEntry* entry : due) {
      const ptrdiff_t i = entry - entries;
      FUZZ_CHECK(i >= 0 && i < kEntries, "Advance handed out a foreign entry %p",
                 static_cast<void*>(entry));
      FUZZ_CHECK(armed[i], "entry %d fired but was not armed (cancelled, or fired twice)",
                 static_cast<int>(i));
      FUZZ_CHECK(where[i]->first <= now, "early fire: entry %d deadline %lld, now %lld",
                 static_cast<int>(i), static_cast<long long>(where[i]->first),
                 static_cast<long long>(now));
      FUZZ_CHECK(entry->deadline_micros == where[i]->first, "entry %d deadline changed",
                 static_cast<int>(i));
      FUZZ_CHECK(!entry->armed(), "entry %d handed out still linked", static_cast<int>(i));
      model.erase(where[i]);
      armed[i] = false;
    }
    FUZZ_CHECK(model.empty() || model.begin()->first > now,
               "lost timer: entry %d deadline %lld not fired at now %lld (tick %lld)",
               model.begin()->second, static_cast<long long>(model.begin()->first),
               static_cast<long long>(now), static_cast<long long>(tick));
  };

  auto arm = [&](int i, int64_t deadline) {
    if (armed[i]) model.erase(where[i]);
    wheel.Arm(&entries[i], deadline);
    where[i] = model.emplace(deadline, i);
    armed[i] = true;
  };

  int ops = 0;
  while (!in.empty() && ops++ < 4000) {
    const uint8_t op = in.Byte();
    const int i = in.Byte() % kEntries;
    switch (op % 8) {
      case 0:
      case 1:  // arm relative to now
        arm(i, SaturatingAdd(wheel.now_micros(), Delta(in, tick)));
        break;
      case 2: {  // arm at an extreme or a fixed absolute time
        static const int64_t kAbsolute[] = {kMax, kMax - 1, kMin, 0, -1, kMax / 2};
        arm(i, kAbsolute[in.Byte() % 6]);
        break;
      }
      case 3:  // cancel
        wheel.Cancel(&entries[i]);
        if (armed[i]) model.erase(where[i]);
        armed[i] = false;
        break;
      case 4:
      case 5:  // advance by an offset (negative: time stays)
        advance(SaturatingAdd(wheel.now_micros(), Delta(in, tick)));
        break;
      case 6: {  // advance exactly to the next deadline, or to just before it
        const int64_t next = wheel.NextDeadline();
        if (next != kMax) advance((in.Byte() & 1) ? next : SaturatingAdd(next, -1));
        break;
      }
      default:  // advance in many small steps
        for (int steps = in.Byte() % 16; steps > 0; --steps) {
          advance(SaturatingAdd(wheel.now_micros(), tick / 2 + 1));
        }
        break;
    }
    check_state();
  }
  // Everything left fires by the end of time.
  advance(kMax);
  FUZZ_CHECK(model.empty() && wheel.size() == 0, "%zu timers left after Advance(INT64_MAX)",
             model.size());
  return 0;
}
