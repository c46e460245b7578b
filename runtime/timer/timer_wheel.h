// A hierarchical timing wheel: the engine's time semaphores.
//
// Contract:
// - Not thread-safe. The engine calls every method under its own mutex.
// - Intrusive: each timed object embeds one TimerEntry; the wheel links
//   entries into its slots and never allocates or owns them. An entry must be
//   cancelled (or have fired) before its memory is released or moved, and
//   must not be armed in two wheels.
// - Exact: Advance(t) hands out exactly the entries whose deadline is <= t,
//   never one whose deadline is later, whatever the tick. The tick only sets
//   how entries are bucketed (how much work each Advance does).
// - Destroying the wheel disarms the entries still armed in it.
//
// Layout. Time is counted in ticks from the construction time. Level L has
// 128 slots, each an intrusive doubly linked list (its head a sentinel
// TimerEntry) holding one "L-block" of 64^L ticks; the 128 slots are two
// aligned "pages" of 64 blocks: the page holding the current tick and the
// next one. An entry goes to the lowest level whose two pages contain its
// deadline tick; later ones wait in an overflow list. A 128-bit map per level marks
// the non-empty slots, so Advance finds the next non-empty slot in
// O(levels) and never walks empty time tick by tick.
//
// Moving down. An entry in a level-L block must reach lower levels before
// time enters that block. Instead of moving a whole block at once when time
// gets there (one long Advance: at 500 k timers/s a level-1 block is 32 k
// entries), each Advance moves a share of the *next* block's entries, in
// proportion to the time elapsed, into the lower level's next page; whatever
// is left when time reaches the block (after a jump) moves then.
#ifndef CONVEY_RUNTIME_TIMER_TIMER_WHEEL_H_
#define CONVEY_RUNTIME_TIMER_TIMER_WHEEL_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace convey {
namespace internal {

// Intrusive: lives inside the object it times (a task). 24 bytes.
struct TimerEntry {
  TimerEntry* next = nullptr;
  TimerEntry* prev = nullptr;  // non-null exactly when armed (linked)
  int64_t deadline_micros = 0;
  bool armed() const { return prev != nullptr; }
};

class TimerWheel {
 public:
  static constexpr int kSlotBits = 6;
  static constexpr int kSlots = 1 << kSlotBits;  // blocks per page
  // 8 levels span 2^48 ticks per top page: 8900 years at 1 ms ticks, 8.9
  // years at 1 us ticks. Deadlines beyond the next top page overflow.
  static constexpr int kLevels = 8;

  // `now_micros`: the current time; `tick_micros`: resolution (default 1 ms),
  // must be >= 1 (the process aborts with a message otherwise).
  explicit TimerWheel(int64_t now_micros, int64_t tick_micros = 1000);
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;
  ~TimerWheel();

  // Arms `entry` to fire at `deadline_micros` (re-arms if armed). A deadline
  // at or before the wheel's current time fires at the next Advance. O(1).
  void Arm(TimerEntry* entry, int64_t deadline_micros);

  // Unlinks `entry`; no-op when not armed. O(1).
  void Cancel(TimerEntry* entry);

  // Moves time to `now_micros` (a smaller value than now_micros() leaves time
  // where it is) and appends every entry whose deadline_micros <= the
  // wheel's time to `due`, unlinked (armed() false afterwards), in no
  // particular order. Cost: O(entries handed out or moved down + levels per
  // non-empty slot reached).
  void Advance(int64_t now_micros, std::vector<TimerEntry*>* due);

  // The exact smallest deadline among armed entries, or INT64_MAX when none.
  // Costs O(1) when the current tick still holds entries, otherwise
  // O(entries in one slot), at worst two slots; with only overflow entries
  // armed, O(those).
  int64_t NextDeadline() const;

  size_t size() const { return size_; }
  int64_t now_micros() const { return now_micros_; }

 private:
  static constexpr int kRing = 2 * kSlots;  // slots per level: two pages
  static constexpr int kTotalBits = kLevels * kSlotBits;

  // Ticks count from `origin_micros_` in unsigned arithmetic, so every
  // int64_t deadline maps to a tick without overflow.
  uint64_t TickOf(int64_t micros) const;
  // Links `entry` (unlinked, deadline tick `tick` >= current_tick_) at the
  // lowest level that can hold it, or in the overflow list.
  void Place(TimerEntry* entry, uint64_t tick);
  // Unlinks an armed entry; clears its slot's bit when the slot empties.
  void Unlink(TimerEntry* entry);
  // Empties the slot of `level`'s `ring` index and returns its list.
  TimerEntry* TakeSlot(int level, uint64_t ring);
  // The earliest non-empty block of `level`; false when the level is empty.
  bool FirstBlock(int level, uint64_t* block) const;
  void SetCurrentTick(uint64_t tick);
  // Re-places the overflow entries that now fit a level.
  void DrainOverflow();
  // Moves a share of each level's next block down; time moved from tick
  // `before` to current_tick_ in this Advance.
  void MoveNextBlocksDown(uint64_t before);

  const int64_t origin_micros_;
  const uint64_t tick_micros_;
  int64_t now_micros_;
  // Every entry with a deadline tick < current_tick_ has fired.
  uint64_t current_tick_ = 0;
  size_t size_ = 0;
  // The smallest deadline in the level-0 slot of current_tick_ (INT64_MAX
  // when empty) while `current_slot_min_valid_`: spares rescanning that slot
  // when Advance is called many times within one tick.
  int64_t current_slot_min_ = INT64_MAX;
  bool current_slot_min_valid_ = false;
  // A lower bound on the overflow entries' ticks (exact after DrainOverflow;
  // a cancel may leave it low, which only costs a spurious drain).
  uint64_t overflow_min_tick_ = UINT64_MAX;
  uint64_t occupied_[kLevels][2] = {};
  // Slot heads. A head's deadline_micros counts the entries linked into the
  // slot since it was last empty, minus those moved out (cancels are not
  // subtracted): an upper bound on its length that paces the moving down.
  TimerEntry heads_[kLevels][kRing];
  TimerEntry overflow_;
};

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_TIMER_TIMER_WHEEL_H_
