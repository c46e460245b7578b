// The timing wheel behind time semaphores: arming, cancelling, firing and
// lateness against a real clock, with 10^6 pending timers spread uniformly
// over 10 s (100 k fires/s) and over 2 s (500 k fires/s).
//
//   bazel run --config=opt //bench:timer_bench
//
// Arguments are /timers/span_ms[/variant]. Entries sit in one array (as
// tasks would, each embedding its TimerEntry) and are armed in array order
// with random deadlines, so a slot's list runs through random addresses.
// Counters:
//   ns_per_arm, ns_per_cancel, ns_per_rearm  cost of one operation
//   bytes_per_timer   sizeof(TimerEntry) + sizeof(TimerWheel) / timers
//   fires_per_s       entries handed out per second of Advance
//   max_step_cpu_ms   the longest single Advance, thread CPU time
//   p50/p99/p999/max_late_ms  real-clock lateness (fire time - deadline)
//   early             entries handed out before their deadline (must be 0)
//   p99_in_advance_ms the part of lateness spent inside Advance itself
//   max_advance_ms, max_advance_cpu_ms  the longest Advance in wall and
//                     thread CPU time (the gap is preemption)
// BM_RealClockBaseline runs the same driver over a sorted array: the
// machine's own wake-up lateness, to read the wheel's against.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <memory>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

#include "benchmark/benchmark.h"
#include "runtime/timer/timer_wheel.h"

namespace convey {
namespace internal {
namespace {

using Clock = std::chrono::steady_clock;

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch())
      .count();
}

// The calling thread's CPU time: how long a call ran, preemption excluded.
int64_t ThreadCpuMicros() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// `n` offsets uniform in [0, span_micros).
std::vector<int64_t> UniformOffsets(size_t n, int64_t span_micros, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> dist(0, span_micros - 1);
  std::vector<int64_t> offsets(n);
  for (int64_t& o : offsets) o = dist(rng);
  return offsets;
}

std::vector<size_t> Shuffled(size_t n, uint64_t seed) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(seed));
  return order;
}

void ArmAll(TimerWheel* wheel, std::vector<TimerEntry>* entries,
            const std::vector<int64_t>& deadlines) {
  for (size_t i = 0; i < entries->size(); ++i) wheel->Arm(&(*entries)[i], deadlines[i]);
}

// Arming n timers into an empty wheel (the wheel fills up to n).
void BM_Arm(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const int64_t span = state.range(1) * 1000;
  std::vector<TimerEntry> entries(n);
  const std::vector<int64_t> deadlines = UniformOffsets(n, span, 1);
  double seconds = 0;
  for (auto _ : state) {
    auto wheel = std::make_unique<TimerWheel>(0);
    const Clock::time_point start = Clock::now();
    ArmAll(wheel.get(), &entries, deadlines);
    const double elapsed = SecondsSince(start);
    seconds += elapsed;
    state.SetIterationTime(elapsed);
    benchmark::DoNotOptimize(wheel->size());
  }
  state.counters["ns_per_arm"] = seconds * 1e9 / (static_cast<double>(n) * state.iterations());
  state.counters["bytes_per_timer"] =
      sizeof(TimerEntry) + static_cast<double>(sizeof(TimerWheel)) / static_cast<double>(n);
  state.counters["wheel_bytes"] = sizeof(TimerWheel);
}

// Cancelling all n pending timers, in arm order (variant 0: list neighbours
// are array neighbours) or in random order (variant 1: each cancel touches
// three random cache lines, as a task cancelled at random would).
void BM_Cancel(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const int64_t span = state.range(1) * 1000;
  const bool random_order = state.range(2) != 0;
  std::vector<TimerEntry> entries(n);
  const std::vector<int64_t> deadlines = UniformOffsets(n, span, 2);
  std::vector<size_t> order = Shuffled(n, 3);
  if (!random_order) std::sort(order.begin(), order.end());
  double seconds = 0;
  for (auto _ : state) {
    TimerWheel wheel(0);
    ArmAll(&wheel, &entries, deadlines);
    const Clock::time_point start = Clock::now();
    for (size_t i : order) wheel.Cancel(&entries[i]);
    const double elapsed = SecondsSince(start);
    seconds += elapsed;
    state.SetIterationTime(elapsed);
    if (wheel.size() != 0) state.SkipWithError("timers left after cancelling all");
  }
  state.counters["ns_per_cancel"] = seconds * 1e9 / (static_cast<double>(n) * state.iterations());
}

// Re-arming random pending timers to new random deadlines (a task moving to
// another time semaphore) with n pending.
void BM_Rearm(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const int64_t span = state.range(1) * 1000;
  std::vector<TimerEntry> entries(n);
  const std::vector<int64_t> deadlines = UniformOffsets(n, span, 4);
  const std::vector<int64_t> new_deadlines = UniformOffsets(n, span, 5);
  const std::vector<size_t> order = Shuffled(n, 6);
  double seconds = 0;
  for (auto _ : state) {
    TimerWheel wheel(0);
    ArmAll(&wheel, &entries, deadlines);
    const Clock::time_point start = Clock::now();
    for (size_t k = 0; k < n; ++k) wheel.Arm(&entries[order[k]], new_deadlines[k]);
    const double elapsed = SecondsSince(start);
    seconds += elapsed;
    state.SetIterationTime(elapsed);
    if (wheel.size() != n) state.SkipWithError("re-arming changed the count");
    for (TimerEntry& e : entries) wheel.Cancel(&e);
  }
  state.counters["ns_per_rearm"] = seconds * 1e9 / (static_cast<double>(n) * state.iterations());
}

// Advancing through all n timers in steps of step_ms (simulated time: only
// the wheel's own work is measured).
void BM_AdvanceFire(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const int64_t span = state.range(1) * 1000;
  const int64_t step = state.range(2) * 1000;
  std::vector<TimerEntry> entries(n);
  const std::vector<int64_t> deadlines = UniformOffsets(n, span, 7);
  std::vector<TimerEntry*> due;
  due.reserve(n);
  double seconds = 0;
  int64_t max_step = 0;  // thread CPU time, us
  for (auto _ : state) {
    TimerWheel wheel(0);
    ArmAll(&wheel, &entries, deadlines);
    size_t fired = 0;
    const Clock::time_point start = Clock::now();
    for (int64_t t = step; wheel.size() > 0; t += step) {
      due.clear();
      const int64_t step_start = ThreadCpuMicros();
      wheel.Advance(t, &due);
      max_step = std::max(max_step, ThreadCpuMicros() - step_start);
      fired += due.size();
    }
    const double elapsed = SecondsSince(start);
    seconds += elapsed;
    state.SetIterationTime(elapsed);
    if (fired != n) state.SkipWithError("not every timer fired");
  }
  state.counters["fires_per_s"] = static_cast<double>(n) * state.iterations() / seconds;
  // The longest single Advance in thread CPU time (preemption excluded).
  state.counters["max_step_cpu_ms"] = static_cast<double>(max_step) / 1000.0;
}

// A virtual clock: jump to NextDeadline() and fire, until empty.
void BM_VirtualClock(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const int64_t span = state.range(1) * 1000;
  std::vector<TimerEntry> entries(n);
  const std::vector<int64_t> deadlines = UniformOffsets(n, span, 8);
  std::vector<TimerEntry*> due;
  double seconds = 0;
  for (auto _ : state) {
    TimerWheel wheel(0);
    ArmAll(&wheel, &entries, deadlines);
    size_t fired = 0;
    size_t jumps = 0;
    const Clock::time_point start = Clock::now();
    for (int64_t next = wheel.NextDeadline(); next != INT64_MAX; next = wheel.NextDeadline()) {
      due.clear();
      wheel.Advance(next, &due);
      fired += due.size();
      ++jumps;
      if (due.empty()) break;
    }
    const double elapsed = SecondsSince(start);
    seconds += elapsed;
    state.SetIterationTime(elapsed);
    if (fired != n) state.SkipWithError("a jump to NextDeadline() fired nothing");
    state.counters["jumps"] = static_cast<double>(jumps);
  }
  state.counters["fires_per_s"] = static_cast<double>(n) * state.iterations() / seconds;
}

// What a real-clock run records: per entry its lateness (time handed out -
// deadline) and the part of it spent inside the call that handed it out;
// the rest is the driver waking up late (sleep overshoot, preemption).
struct Lateness {
  explicit Lateness(size_t n) {
    late.reserve(n);
    in_call.reserve(n);
  }
  void Record(int64_t deadline, int64_t called_at, int64_t returned_at) {
    if (deadline > called_at) ++early;
    late.push_back(returned_at - deadline);
    in_call.push_back(returned_at - called_at);
  }
  std::vector<int64_t> late;
  std::vector<int64_t> in_call;
  size_t early = 0;
  size_t calls = 0;
  int64_t max_call = 0;      // the longest call, wall time, us
  int64_t max_call_cpu = 0;  // the same in thread CPU time: no preemption
};

void ReportLateness(benchmark::State& state, size_t n, int64_t span, Lateness* l) {
  if (l->late.size() != n) {
    state.SkipWithError("timers lost");
    return;
  }
  std::sort(l->late.begin(), l->late.end());
  std::sort(l->in_call.begin(), l->in_call.end());
  auto ms = [](int64_t micros) { return static_cast<double>(micros) / 1000.0; };
  state.counters["p50_late_ms"] = ms(l->late[n / 2]);
  state.counters["p99_late_ms"] = ms(l->late[n * 99 / 100]);
  state.counters["p999_late_ms"] = ms(l->late[n * 999 / 1000]);
  state.counters["max_late_ms"] = ms(l->late.back());
  state.counters["p99_in_advance_ms"] = ms(l->in_call[n * 99 / 100]);
  state.counters["early"] = static_cast<double>(l->early);
  state.counters["advances"] = static_cast<double>(l->calls);
  state.counters["max_advance_ms"] = ms(l->max_call);
  state.counters["max_advance_cpu_ms"] = ms(l->max_call_cpu);
  state.counters["fires_per_s"] = static_cast<double>(n) / (static_cast<double>(span) / 1e6);
}

// Lateness against the real clock: n timers due over span_ms from 200 ms
// after arming; a driver thread advances the wheel to the steady clock,
// records each entry handed out, and sleeps until the next deadline (at
// most 1 ms) when nothing is due yet.
void BM_RealClockLateness(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const int64_t span = state.range(1) * 1000;
  const std::vector<int64_t> offsets = UniformOffsets(n, span, 9);
  for (auto _ : state) {
    std::vector<TimerEntry> entries(n);
    TimerWheel wheel(NowMicros());
    const int64_t first = NowMicros() + 200 * 1000;
    for (size_t i = 0; i < n; ++i) wheel.Arm(&entries[i], first + offsets[i]);
    Lateness lateness(n);
    // The wheel is used by the driver only until join(); thread start and
    // join order the accesses.
    std::thread driver([&] {
      std::vector<TimerEntry*> due;
      while (wheel.size() > 0) {
        const int64_t now = NowMicros();
        due.clear();
        const int64_t cpu_before = ThreadCpuMicros();
        wheel.Advance(now, &due);
        const int64_t cpu_after = ThreadCpuMicros();
        const int64_t returned_at = NowMicros();
        ++lateness.calls;
        lateness.max_call = std::max(lateness.max_call, returned_at - now);
        lateness.max_call_cpu = std::max(lateness.max_call_cpu, cpu_after - cpu_before);
        for (const TimerEntry* e : due) lateness.Record(e->deadline_micros, now, returned_at);
        const int64_t next = wheel.NextDeadline();
        if (next == INT64_MAX) break;
        const int64_t wait = next - NowMicros();
        if (wait > 0) {
          std::this_thread::sleep_for(std::chrono::microseconds(std::min<int64_t>(wait, 1000)));
        }
      }
    });
    driver.join();
    ReportLateness(state, n, span, &lateness);
  }
}

// The same driver over a pre-sorted array of the same deadlines instead of
// the wheel (no timer structure cost at all): the lateness this machine's
// scheduling and sleeps give by themselves, to read the wheel's against.
void BM_RealClockBaseline(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const int64_t span = state.range(1) * 1000;
  std::vector<int64_t> offsets = UniformOffsets(n, span, 9);
  std::sort(offsets.begin(), offsets.end());
  for (auto _ : state) {
    const int64_t first = NowMicros() + 200 * 1000;
    std::vector<int64_t> deadlines(n);
    for (size_t i = 0; i < n; ++i) deadlines[i] = first + offsets[i];
    Lateness lateness(n);
    std::thread driver([&] {
      size_t next = 0;
      while (next < n) {
        const int64_t now = NowMicros();
        const size_t from = next;
        while (next < n && deadlines[next] <= now) ++next;
        const int64_t returned_at = NowMicros();
        ++lateness.calls;
        lateness.max_call = std::max(lateness.max_call, returned_at - now);
        for (size_t i = from; i < next; ++i) lateness.Record(deadlines[i], now, returned_at);
        if (next == n) break;
        const int64_t wait = deadlines[next] - NowMicros();
        if (wait > 0) {
          std::this_thread::sleep_for(std::chrono::microseconds(std::min<int64_t>(wait, 1000)));
        }
      }
    });
    driver.join();
    ReportLateness(state, n, span, &lateness);
  }
}

BENCHMARK(BM_Arm)
    ->Args({1000000, 10000})
    ->Args({1000000, 2000})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Cancel)
    ->Args({1000000, 10000, 0})
    ->Args({1000000, 10000, 1})
    ->Args({1000000, 2000, 0})
    ->Args({1000000, 2000, 1})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Rearm)
    ->Args({1000000, 10000})
    ->Args({1000000, 2000})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AdvanceFire)
    ->Args({1000000, 10000, 1})
    ->Args({1000000, 2000, 1})
    ->Args({1000000, 10000, 10000})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_VirtualClock)
    ->Args({100000, 10000})
    ->Args({1000000, 10000})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
// Each run takes span + 0.2 s of wall time. The smoke test runs the small ones.
BENCHMARK(BM_RealClockLateness)
    ->Args({1000000, 10000})
    ->Args({1000000, 2000})
    ->Args({10000, 100})
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RealClockBaseline)
    ->Args({1000000, 10000})
    ->Args({1000000, 2000})
    ->Args({10000, 100})
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace internal
}  // namespace convey

BENCHMARK_MAIN();
