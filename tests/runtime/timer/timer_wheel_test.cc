#include "runtime/timer/timer_wheel.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace convey {
namespace internal {
namespace {

constexpr int64_t kMs = 1000;
constexpr int64_t kSecond = 1000 * kMs;
constexpr int64_t kDay = 86400 * kSecond;

// Advances `wheel` to `now` and returns what fired, sorted by address.
std::vector<TimerEntry*> AdvanceTo(TimerWheel* wheel, int64_t now) {
  std::vector<TimerEntry*> due;
  wheel->Advance(now, &due);
  for (TimerEntry* e : due) {
    EXPECT_FALSE(e->armed());
    EXPECT_EQ(e->next, nullptr);
    EXPECT_LE(e->deadline_micros, wheel->now_micros()) << "fired early";
  }
  std::sort(due.begin(), due.end());
  return due;
}

std::vector<TimerEntry*> Sorted(std::vector<TimerEntry*> v) {
  std::sort(v.begin(), v.end());
  return v;
}

int64_t SaturatingAdd(int64_t a, int64_t b) {
  if (b > 0 && a > INT64_MAX - b) return INT64_MAX;
  if (b < 0 && a < INT64_MIN - b) return INT64_MIN;
  return a + b;
}

TEST(TimerWheelTest, EmptyWheel) {
  TimerWheel wheel(1234);
  EXPECT_EQ(wheel.size(), 0u);
  EXPECT_EQ(wheel.now_micros(), 1234);
  EXPECT_EQ(wheel.NextDeadline(), INT64_MAX);
  EXPECT_TRUE(AdvanceTo(&wheel, 10 * kDay).empty());
  EXPECT_EQ(wheel.now_micros(), 10 * kDay);
}

TEST(TimerWheelTest, FiresAtExactDeadlineNotOneMicrosecondEarlier) {
  // Origin off the tick grid, deadline inside a tick.
  TimerEntry e;
  TimerWheel wheel(123);
  wheel.Arm(&e, 123 + 5 * kMs + 477);
  EXPECT_TRUE(e.armed());
  EXPECT_EQ(wheel.size(), 1u);
  EXPECT_EQ(wheel.NextDeadline(), 123 + 5 * kMs + 477);
  EXPECT_TRUE(AdvanceTo(&wheel, 123 + 5 * kMs + 476).empty());
  EXPECT_TRUE(e.armed());
  EXPECT_EQ(AdvanceTo(&wheel, 123 + 5 * kMs + 477), std::vector<TimerEntry*>{&e});
  EXPECT_FALSE(e.armed());
  EXPECT_EQ(wheel.size(), 0u);
  EXPECT_TRUE(AdvanceTo(&wheel, 1 * kDay).empty());
}

TEST(TimerWheelTest, FiresExactlyAtEveryLevel) {
  // One deadline per level (64^level ticks away) plus one in the overflow.
  for (int level = 0; level <= TimerWheel::kLevels; ++level) {
    SCOPED_TRACE(level);
    TimerEntry e;
    TimerWheel wheel(0);
    int64_t ticks = 3;
    for (int i = 0; i < level; ++i) ticks *= TimerWheel::kSlots;
    const int64_t deadline = ticks * kMs + 377;
    wheel.Arm(&e, deadline);
    EXPECT_EQ(wheel.NextDeadline(), deadline);
    EXPECT_TRUE(AdvanceTo(&wheel, deadline / 2).empty());
    EXPECT_EQ(wheel.NextDeadline(), deadline);
    EXPECT_TRUE(AdvanceTo(&wheel, deadline - 1).empty());
    EXPECT_EQ(wheel.NextDeadline(), deadline);
    EXPECT_EQ(AdvanceTo(&wheel, deadline), std::vector<TimerEntry*>{&e});
    EXPECT_EQ(wheel.size(), 0u);
  }
}

TEST(TimerWheelTest, AdvanceWithinOneTick) {
  TimerEntry a, b, c, d;
  TimerWheel wheel(0);
  wheel.Arm(&a, 1001);
  wheel.Arm(&b, 1500);
  wheel.Arm(&c, 1999);
  wheel.Arm(&d, 2000);
  EXPECT_TRUE(AdvanceTo(&wheel, 1000).empty());
  EXPECT_EQ(AdvanceTo(&wheel, 1001), std::vector<TimerEntry*>{&a});
  EXPECT_EQ(wheel.NextDeadline(), 1500);
  EXPECT_EQ(AdvanceTo(&wheel, 1600), std::vector<TimerEntry*>{&b});
  EXPECT_EQ(wheel.NextDeadline(), 1999);
  EXPECT_EQ(AdvanceTo(&wheel, 1999), std::vector<TimerEntry*>{&c});
  EXPECT_EQ(AdvanceTo(&wheel, 2000), std::vector<TimerEntry*>{&d});
  EXPECT_EQ(wheel.size(), 0u);
}

TEST(TimerWheelTest, Cancel) {
  TimerEntry a, b, c, other;
  TimerWheel wheel(0);
  wheel.Cancel(&a);  // not armed: no-op
  EXPECT_EQ(wheel.size(), 0u);
  wheel.Arm(&a, 10 * kMs);
  wheel.Arm(&b, 10 * kMs + 5);
  wheel.Arm(&c, 10 * kMs + 9);
  wheel.Arm(&other, 7 * kSecond);
  EXPECT_EQ(wheel.size(), 4u);
  wheel.Cancel(&b);  // middle of a slot's list
  EXPECT_FALSE(b.armed());
  wheel.Cancel(&b);  // twice: no-op
  EXPECT_EQ(wheel.size(), 3u);
  wheel.Cancel(&c);
  wheel.Cancel(&a);  // the slot is empty now
  EXPECT_EQ(wheel.size(), 1u);
  EXPECT_EQ(wheel.NextDeadline(), 7 * kSecond);
  EXPECT_TRUE(AdvanceTo(&wheel, 7 * kSecond - 1).empty());
  EXPECT_EQ(AdvanceTo(&wheel, 8 * kSecond), std::vector<TimerEntry*>{&other});
  EXPECT_EQ(wheel.NextDeadline(), INT64_MAX);
}

TEST(TimerWheelTest, CancelAfterCascade) {
  TimerEntry a, b;
  TimerWheel wheel(0);
  wheel.Arm(&a, 3 * kDay);
  wheel.Arm(&b, 3 * kDay + 1);
  EXPECT_TRUE(AdvanceTo(&wheel, 3 * kDay - 2 * kMs).empty());  // both cascaded low
  wheel.Cancel(&a);
  EXPECT_EQ(wheel.size(), 1u);
  EXPECT_EQ(wheel.NextDeadline(), 3 * kDay + 1);
  EXPECT_EQ(AdvanceTo(&wheel, 4 * kDay), std::vector<TimerEntry*>{&b});
}

TEST(TimerWheelTest, Rearm) {
  TimerEntry e;
  TimerWheel wheel(0);
  wheel.Arm(&e, 10 * kMs);
  wheel.Arm(&e, 5 * kMs);  // earlier
  EXPECT_EQ(wheel.size(), 1u);
  EXPECT_EQ(wheel.NextDeadline(), 5 * kMs);
  EXPECT_EQ(AdvanceTo(&wheel, 5 * kMs), std::vector<TimerEntry*>{&e});
  EXPECT_TRUE(AdvanceTo(&wheel, 10 * kMs).empty());

  wheel.Arm(&e, 20 * kMs);
  wheel.Arm(&e, 2 * kDay);  // later, another level
  EXPECT_EQ(wheel.size(), 1u);
  EXPECT_TRUE(AdvanceTo(&wheel, 2 * kDay - 1).empty());
  EXPECT_EQ(AdvanceTo(&wheel, 2 * kDay), std::vector<TimerEntry*>{&e});
  EXPECT_EQ(wheel.size(), 0u);
}

TEST(TimerWheelTest, RearmFromTheDueList) {
  // The engine re-arms a fired entry (a task waiting again) while handling it.
  TimerEntry e;
  TimerWheel wheel(0);
  wheel.Arm(&e, 1 * kSecond);
  std::vector<TimerEntry*> due;
  wheel.Advance(1 * kSecond, &due);
  ASSERT_EQ(due, std::vector<TimerEntry*>{&e});
  wheel.Arm(due[0], 2 * kSecond);
  EXPECT_TRUE(AdvanceTo(&wheel, 2 * kSecond - 1).empty());
  EXPECT_EQ(AdvanceTo(&wheel, 2 * kSecond), std::vector<TimerEntry*>{&e});
}

TEST(TimerWheelTest, PastDeadlinesFireAtTheNextAdvance) {
  TimerEntry past, now, min, same_tick_later;
  TimerWheel wheel(0);
  EXPECT_TRUE(AdvanceTo(&wheel, 1 * kSecond + 300).empty());
  wheel.Arm(&past, 500);
  wheel.Arm(&now, 1 * kSecond + 300);
  wheel.Arm(&min, INT64_MIN);
  wheel.Arm(&same_tick_later, 1 * kSecond + 301);  // same tick, still future
  EXPECT_EQ(wheel.size(), 4u);
  EXPECT_EQ(wheel.NextDeadline(), INT64_MIN);
  // A smaller time is ignored (time does not go back) but due entries fire.
  EXPECT_EQ(AdvanceTo(&wheel, 0), Sorted({&past, &now, &min}));
  EXPECT_EQ(wheel.now_micros(), 1 * kSecond + 300);
  EXPECT_EQ(wheel.NextDeadline(), 1 * kSecond + 301);
  EXPECT_EQ(AdvanceTo(&wheel, 1 * kSecond + 301), std::vector<TimerEntry*>{&same_tick_later});
}

TEST(TimerWheelTest, DeadlinesBeforeTheOrigin) {
  TimerEntry e;
  TimerWheel wheel(-5 * kSecond);
  wheel.Arm(&e, -7 * kSecond);
  EXPECT_EQ(AdvanceTo(&wheel, -5 * kSecond), std::vector<TimerEntry*>{&e});
}

TEST(TimerWheelTest, ManyEntriesWithTheSameDeadline) {
  std::vector<TimerEntry> entries(10000);
  TimerWheel wheel(0);
  for (TimerEntry& e : entries) wheel.Arm(&e, 90 * kSecond + 17);
  EXPECT_EQ(wheel.size(), entries.size());
  EXPECT_EQ(wheel.NextDeadline(), 90 * kSecond + 17);
  EXPECT_TRUE(AdvanceTo(&wheel, 90 * kSecond + 16).empty());
  std::vector<TimerEntry*> fired = AdvanceTo(&wheel, 90 * kSecond + 17);
  ASSERT_EQ(fired.size(), entries.size());
  for (size_t i = 0; i < entries.size(); ++i) EXPECT_EQ(fired[i], &entries[i]);
  EXPECT_EQ(wheel.size(), 0u);
}

TEST(TimerWheelTest, EveryLevelAndTheOverflowInOrder) {
  // Deadlines at and around each level's boundaries, in the overflow list
  // and at the top of int64_t; stepped through one deadline at a time.
  std::vector<int64_t> deadlines;
  int64_t ticks = 1;
  for (int level = 0; level <= TimerWheel::kLevels; ++level) {
    for (int64_t d : {ticks * kMs - 1, ticks * kMs, ticks * kMs + 1, 5 * ticks * kMs + 999}) {
      deadlines.push_back(d);
    }
    ticks *= TimerWheel::kSlots;
  }
  for (int64_t d : {int64_t{1000000000000000000}, int64_t{1000000000000000000} + 1, INT64_MAX / 2,
                    INT64_MAX - 1000, INT64_MAX - 1, INT64_MAX, INT64_MAX}) {
    deadlines.push_back(d);
  }
  std::vector<TimerEntry> entries(deadlines.size());
  TimerWheel wheel(0);
  std::multimap<int64_t, TimerEntry*> model;
  for (size_t i = 0; i < deadlines.size(); ++i) {
    wheel.Arm(&entries[i], deadlines[i]);
    model.emplace(deadlines[i], &entries[i]);
  }
  EXPECT_EQ(wheel.size(), deadlines.size());
  while (!model.empty()) {
    const int64_t next = model.begin()->first;
    ASSERT_EQ(wheel.NextDeadline(), next);
    ASSERT_TRUE(AdvanceTo(&wheel, next - 1).empty()) << next;
    std::vector<TimerEntry*> expected;
    while (!model.empty() && model.begin()->first == next) {
      expected.push_back(model.begin()->second);
      model.erase(model.begin());
    }
    ASSERT_EQ(AdvanceTo(&wheel, next), Sorted(expected)) << next;
    ASSERT_EQ(wheel.size(), model.size());
  }
  EXPECT_EQ(wheel.NextDeadline(), INT64_MAX);
}

TEST(TimerWheelTest, ExtremeOriginAndDeadlineWithMicrosecondTicks) {
  // The full int64_t range in 1 us ticks: 2^64 - 1 ticks from the origin.
  TimerEntry low, high, mid;
  TimerWheel wheel(INT64_MIN, 1);
  wheel.Arm(&low, INT64_MIN + 1);
  wheel.Arm(&mid, 0);
  wheel.Arm(&high, INT64_MAX);
  EXPECT_EQ(wheel.NextDeadline(), INT64_MIN + 1);
  EXPECT_EQ(AdvanceTo(&wheel, INT64_MIN + 1), std::vector<TimerEntry*>{&low});
  EXPECT_TRUE(AdvanceTo(&wheel, -1).empty());
  EXPECT_EQ(AdvanceTo(&wheel, 0), std::vector<TimerEntry*>{&mid});
  EXPECT_EQ(wheel.NextDeadline(), INT64_MAX);
  EXPECT_TRUE(AdvanceTo(&wheel, INT64_MAX - 1).empty());
  EXPECT_EQ(AdvanceTo(&wheel, INT64_MAX), std::vector<TimerEntry*>{&high});
}

TEST(TimerWheelTest, LongGapsAreSkippedNotWalked) {
  // 1 us ticks: walking tick by tick to 10^18 would never finish.
  TimerEntry a, b, c, d, e;
  TimerWheel wheel(0, 1);
  wheel.Arm(&a, 1 * kSecond);
  wheel.Arm(&b, 15 * kDay);
  wheel.Arm(&c, 30 * kDay);
  wheel.Arm(&d, 30 * kDay + 1);
  wheel.Arm(&e, 1000000000000000000);
  EXPECT_EQ(AdvanceTo(&wheel, 30 * kDay), Sorted({&a, &b, &c}));
  EXPECT_EQ(wheel.NextDeadline(), 30 * kDay + 1);
  EXPECT_EQ(AdvanceTo(&wheel, 999999999999999999), std::vector<TimerEntry*>{&d});
  EXPECT_EQ(AdvanceTo(&wheel, 1000000000000000000), std::vector<TimerEntry*>{&e});

  // And with 1 ms ticks over a 30-day gap with many entries on the way.
  std::vector<TimerEntry> entries(30 * 24);
  TimerEntry later;
  TimerWheel ms_wheel(0);
  for (size_t i = 0; i < entries.size(); ++i) {
    ms_wheel.Arm(&entries[i], static_cast<int64_t>(i + 1) * 3600 * kSecond);
  }
  ms_wheel.Arm(&later, 30 * kDay + 1);
  std::vector<TimerEntry*> fired = AdvanceTo(&ms_wheel, 30 * kDay);
  EXPECT_EQ(fired.size(), entries.size());
  EXPECT_TRUE(later.armed());
  EXPECT_EQ(ms_wheel.size(), 1u);
}

TEST(TimerWheelTest, VirtualClockJumpsFireEveryDeadlineInOrder) {
  std::vector<TimerEntry> entries(5000);
  TimerWheel wheel(0);
  std::mt19937_64 rng(7);
  std::multiset<int64_t> expected;
  for (TimerEntry& e : entries) {
    // Spread over every level: 1 us to ~35 years, log-uniform.
    const int64_t d = int64_t{1} << std::uniform_int_distribution<int>(0, 50)(rng);
    const int64_t deadline = d + std::uniform_int_distribution<int64_t>(0, d)(rng);
    wheel.Arm(&e, deadline);
    expected.insert(deadline);
  }
  std::vector<int64_t> fired_order;
  for (int64_t next = wheel.NextDeadline(); next != INT64_MAX; next = wheel.NextDeadline()) {
    std::vector<TimerEntry*> fired = AdvanceTo(&wheel, next);
    ASSERT_FALSE(fired.empty()) << next;
    for (TimerEntry* e : fired) {
      ASSERT_EQ(e->deadline_micros, next);
      fired_order.push_back(e->deadline_micros);
    }
  }
  EXPECT_EQ(fired_order, std::vector<int64_t>(expected.begin(), expected.end()));
}

TEST(TimerWheelTest, DestroyingTheWheelDisarmsItsEntries) {
  TimerEntry near, far;
  {
    TimerWheel wheel(0);
    wheel.Arm(&near, 1);
    wheel.Arm(&far, INT64_MAX);
  }
  EXPECT_FALSE(near.armed());
  EXPECT_FALSE(far.armed());
}

// Advances `wheel` by `step` up to `until`, checking what each Advance hands
// out, size() and NextDeadline() against `model` (which it drains).
void ExpectStepsMatch(TimerWheel* wheel, std::multimap<int64_t, TimerEntry*>* model, int64_t until,
                      int64_t step) {
  for (int64_t t = wheel->now_micros() + step; t <= until; t += step) {
    std::vector<TimerEntry*> expected;
    while (!model->empty() && model->begin()->first <= t) {
      expected.push_back(model->begin()->second);
      model->erase(model->begin());
    }
    ASSERT_EQ(AdvanceTo(wheel, t), Sorted(expected)) << t;
    ASSERT_EQ(wheel->size(), model->size()) << t;
    ASSERT_EQ(wheel->NextDeadline(), model->empty() ? INT64_MAX : model->begin()->first) << t;
  }
}

TEST(TimerWheelTest, NextBlocksMoveDownWhileTimePasses) {
  // Entries in level 1's and level 2's next blocks, armed at time 0; time
  // then moves one tick at a time while some of them are cancelled and
  // others armed into the blocks being moved down.
  std::vector<TimerEntry> entries(20000);
  TimerWheel wheel(0);
  std::mt19937_64 rng(11);
  std::multimap<int64_t, TimerEntry*> model;
  for (size_t i = 0; i < entries.size(); ++i) {
    const int64_t lo = i % 2 == 0 ? 64 * kMs : 4096 * kMs;
    const int64_t deadline = std::uniform_int_distribution<int64_t>(lo, 2 * lo - 1)(rng);
    wheel.Arm(&entries[i], deadline);
    model.emplace(deadline, &entries[i]);
  }
  ExpectStepsMatch(&wheel, &model, 100 * kMs, kMs);
  // Cancel every third entry still armed, re-arm every seventh.
  int k = 0;
  for (auto it = model.begin(); it != model.end();) {
    TimerEntry* e = it->second;
    if (++k % 3 == 0) {
      wheel.Cancel(e);
      it = model.erase(it);
    } else if (k % 7 == 0) {
      const int64_t deadline = 5000 * kMs + k;
      wheel.Arm(e, deadline);
      it = model.erase(it);
      model.emplace(deadline, e);
    } else {
      ++it;
    }
  }
  ExpectStepsMatch(&wheel, &model, 9000 * kMs, kMs);
  EXPECT_TRUE(model.empty());
  EXPECT_EQ(wheel.size(), 0u);
}

TEST(TimerWheelTest, ABlockHalfMovedDownMeetsItsFirstTick) {
  // 100 entries in level 1's block of ticks 128..191, armed at tick 0; the
  // Advance to tick 64 moves part of them down to level 0 (the pace is
  // proportional), then an entry is armed straight into level 0's tick 128.
  // Tick 128 now has entries at both levels: NextDeadline() must see both,
  // and an Advance into tick 128 must move the rest down before handing the
  // tick out.
  std::vector<TimerEntry> entries(100);
  TimerEntry later;
  TimerWheel wheel(0);
  for (size_t i = 0; i < entries.size(); ++i) {
    wheel.Arm(&entries[i], 128 * kMs + static_cast<int64_t>(i));
  }
  EXPECT_TRUE(AdvanceTo(&wheel, 64 * kMs).empty());
  wheel.Arm(&later, 128 * kMs + 900);
  EXPECT_EQ(wheel.NextDeadline(), 128 * kMs);
  std::vector<TimerEntry*> expected;
  for (TimerEntry& e : entries) expected.push_back(&e);
  EXPECT_EQ(AdvanceTo(&wheel, 128 * kMs + 500), Sorted(expected));
  EXPECT_EQ(wheel.NextDeadline(), 128 * kMs + 900);
  EXPECT_EQ(AdvanceTo(&wheel, 128 * kMs + 900), std::vector<TimerEntry*>{&later});
}

TEST(TimerWheelTest, ManyAdvancesWithinOneTick) {
  // 1 ms ticks advanced 7 us at a time: the current tick's slot is visited
  // over and over while entries are armed into it and cancelled from it.
  std::vector<TimerEntry> entries(3000);
  TimerWheel wheel(0);
  std::multimap<int64_t, TimerEntry*> model;
  std::mt19937_64 rng(12);
  for (size_t i = 0; i < entries.size(); ++i) {
    const int64_t deadline = std::uniform_int_distribution<int64_t>(0, 20 * kMs)(rng);
    wheel.Arm(&entries[i], deadline);
    model.emplace(deadline, &entries[i]);
  }
  for (int64_t t = 7; t <= 25 * kMs; t += 7) {
    if (t % 91 == 0) {
      // Arm a fired or pending entry just ahead, within the current tick.
      TimerEntry* e = &entries[static_cast<size_t>(t) % entries.size()];
      for (auto it = model.begin(); it != model.end(); ++it) {
        if (it->second == e) {
          model.erase(it);
          break;
        }
      }
      wheel.Arm(e, t + 3);
      model.emplace(t + 3, e);
    }
    if (t % 133 == 0 && !model.empty()) {
      // Cancel the earliest: the slot's cached minimum goes stale.
      wheel.Cancel(model.begin()->second);
      model.erase(model.begin());
    }
    std::vector<TimerEntry*> expected;
    while (!model.empty() && model.begin()->first <= t) {
      expected.push_back(model.begin()->second);
      model.erase(model.begin());
    }
    ASSERT_EQ(AdvanceTo(&wheel, t), Sorted(expected)) << t;
    ASSERT_EQ(wheel.NextDeadline(), model.empty() ? INT64_MAX : model.begin()->first) << t;
  }
  EXPECT_TRUE(model.empty());
}

TEST(TimerWheelTest, EntryIs24Bytes) { EXPECT_EQ(sizeof(TimerEntry), 24u); }

// Random arms, re-arms, cancels and advances against a std::multimap model:
// each Advance must return exactly the entries with deadline <= now, and
// NextDeadline() and size() must match the model after every operation.
struct RandomRun {
  int64_t origin;
  int64_t tick;
  uint64_t seed;
  int ops;
  size_t entries;
  // Wide: deadlines and steps from microseconds to centuries and the top of
  // int64_t. Dense: many entries within a few thousand ticks and steps of a
  // few ticks, so the next blocks are moved down bit by bit while entries
  // are armed into, cancelled from and handed out of them.
  bool dense;
};

void RunRandomized(const RandomRun& run) {
  // Entries outlive the wheel: its destructor disarms those still armed.
  std::vector<TimerEntry> entries(run.entries);
  TimerWheel wheel(run.origin, run.tick);
  std::mt19937_64 rng(run.seed);
  auto uniform = [&rng](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  std::multimap<int64_t, TimerEntry*> model;
  std::map<TimerEntry*, std::multimap<int64_t, TimerEntry*>::iterator> where;
  auto model_erase = [&](TimerEntry* e) {
    auto it = where.find(e);
    if (it == where.end()) return;
    model.erase(it->second);
    where.erase(it);
  };
  const int64_t tick = run.tick;
  auto tick_boundary = [&](int64_t now, int64_t ticks_ahead) {
    const int64_t into_tick =
        static_cast<int64_t>((static_cast<uint64_t>(now) - static_cast<uint64_t>(run.origin)) %
                             static_cast<uint64_t>(tick));
    return SaturatingAdd(SaturatingAdd(now - into_tick, ticks_ahead * tick), uniform(-1, 1));
  };
  auto wide_deadline = [&](int64_t now) -> int64_t {
    const int kind = static_cast<int>(uniform(0, 99));
    if (kind < 30) return SaturatingAdd(now, uniform(0, 5 * kMs));
    if (kind < 55) return SaturatingAdd(now, uniform(0, 10 * kSecond));
    if (kind < 70) return SaturatingAdd(now, uniform(0, 30 * kDay));
    if (kind < 80) return SaturatingAdd(now, uniform(0, int64_t{1} << 50));
    if (kind < 85) return SaturatingAdd(now, -uniform(0, 1 * kSecond));
    if (kind < 90) return now;
    if (kind < 95) return uniform(1000000000000000000, INT64_MAX);
    return tick_boundary(now, uniform(0, 100000));
  };
  auto dense_deadline = [&](int64_t now) -> int64_t {
    const int kind = static_cast<int>(uniform(0, 99));
    if (kind < 40) return SaturatingAdd(now, uniform(0, 200 * tick));
    if (kind < 75) return SaturatingAdd(now, uniform(0, 5000 * tick));
    if (kind < 85) return SaturatingAdd(now, uniform(0, 300000 * tick));
    if (kind < 90) return SaturatingAdd(now, -uniform(0, 3 * tick));
    return tick_boundary(now, uniform(0, 4200));
  };
  auto wide_step = [&](int64_t now) -> int64_t {
    const int step = static_cast<int>(uniform(0, 99));
    if (step < 55) return SaturatingAdd(now, uniform(0, 2 * kMs));
    if (step < 75) return SaturatingAdd(now, uniform(0, 200 * kMs));
    if (step < 85) return wheel.NextDeadline();
    if (step < 90) return SaturatingAdd(now, -uniform(0, 10 * kSecond));  // not backwards
    if (step < 98) return SaturatingAdd(now, uniform(0, 10 * kDay));
    return SaturatingAdd(now, uniform(0, int64_t{1} << 52));
  };
  auto dense_step = [&](int64_t now) -> int64_t {
    const int step = static_cast<int>(uniform(0, 99));
    if (step < 70) return SaturatingAdd(now, uniform(0, 3 * tick));
    if (step < 85) return wheel.NextDeadline();
    if (step < 95) return SaturatingAdd(now, uniform(0, 100 * tick));
    if (step < 97) return SaturatingAdd(now, -uniform(0, 10 * tick));  // not backwards
    return SaturatingAdd(now, uniform(0, 10000 * tick));
  };

  size_t total_fired = 0;
  for (int op = 0; op < run.ops; ++op) {
    const int64_t now = wheel.now_micros();
    const int kind = static_cast<int>(uniform(0, 99));
    TimerEntry* e = &entries[static_cast<size_t>(uniform(0, entries.size() - 1))];
    if (kind < (run.dense ? 55 : 45)) {
      const int64_t deadline = run.dense ? dense_deadline(now) : wide_deadline(now);
      model_erase(e);
      wheel.Arm(e, deadline);
      where[e] = model.emplace(deadline, e);
    } else if (kind < 65) {
      model_erase(e);
      wheel.Cancel(e);
      ASSERT_FALSE(e->armed());
    } else {
      int64_t to = run.dense ? dense_step(now) : wide_step(now);
      if (to == INT64_MAX && model.empty()) to = now;  // NextDeadline() of nothing
      // Once, near the end of a wide run: most of the way to the top of int64_t.
      if (!run.dense && op == run.ops * 9 / 10) to = SaturatingAdd(now, int64_t{1} << 62);
      const int64_t expected_now = std::max(now, to);
      std::vector<TimerEntry*> fired = AdvanceTo(&wheel, to);
      ASSERT_EQ(wheel.now_micros(), expected_now);
      std::vector<TimerEntry*> expected;
      while (!model.empty() && model.begin()->first <= expected_now) {
        expected.push_back(model.begin()->second);
        where.erase(model.begin()->second);
        model.erase(model.begin());
      }
      ASSERT_EQ(fired, Sorted(expected)) << "op " << op << " advance to " << to;
      total_fired += fired.size();
    }
    ASSERT_EQ(wheel.size(), model.size()) << "op " << op;
    ASSERT_EQ(wheel.NextDeadline(), model.empty() ? INT64_MAX : model.begin()->first)
        << "op " << op;
  }
  // The run must have exercised firing, not only arming.
  EXPECT_GT(total_fired, static_cast<size_t>(run.ops) / 10);
}

TEST(TimerWheelTest, RandomizedAgainstModelMillisecondTicks) {
  RunRandomized({/*origin=*/1700000000123456, /*tick=*/1000, /*seed=*/1, /*ops=*/100000,
                 /*entries=*/2000, /*dense=*/false});
}

TEST(TimerWheelTest, RandomizedAgainstModelMicrosecondTicks) {
  RunRandomized({/*origin=*/0, /*tick=*/1, /*seed=*/2, /*ops=*/100000, /*entries=*/2000,
                 /*dense=*/false});
}

TEST(TimerWheelTest, RandomizedAgainstModelOddTicksNegativeOrigin) {
  RunRandomized({/*origin=*/-987654321, /*tick=*/7, /*seed=*/3, /*ops=*/100000,
                 /*entries=*/2000, /*dense=*/false});
}

TEST(TimerWheelTest, RandomizedAgainstModelDense) {
  RunRandomized({/*origin=*/5, /*tick=*/1000, /*seed=*/4, /*ops=*/100000, /*entries=*/20000,
                 /*dense=*/true});
}

TEST(TimerWheelTest, RandomizedAgainstModelDenseMicrosecondTicks) {
  RunRandomized({/*origin=*/-3, /*tick=*/1, /*seed=*/5, /*ops=*/100000, /*entries=*/5000,
                 /*dense=*/true});
}

}  // namespace
}  // namespace internal
}  // namespace convey
