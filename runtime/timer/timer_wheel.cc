#include "runtime/timer/timer_wheel.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace convey {
namespace internal {
namespace {

// Each Advance moves at least this many entries of a level's next block
// down (when there are any), so repeated calls within one tick make
// progress too.
constexpr uint64_t kMinMoveDown = 32;

int LowestBit(uint64_t bits) { return __builtin_ctzll(bits); }

// The smallest deadline in the list after `head`.
int64_t MinDeadline(const TimerEntry* head) {
  int64_t best = INT64_MAX;
  for (const TimerEntry* e = head->next; e != nullptr; e = e->next) {
    best = std::min(best, e->deadline_micros);
  }
  return best;
}

void DisarmAll(TimerEntry* head) {
  TimerEntry* e = head->next;
  while (e != nullptr) {
    TimerEntry* next = e->next;
    e->next = nullptr;
    e->prev = nullptr;
    e = next;
  }
  head->next = nullptr;
}

void Link(TimerEntry* head, TimerEntry* entry) {
  entry->next = head->next;
  entry->prev = head;
  if (head->next != nullptr) head->next->prev = entry;
  head->next = entry;
}

}  // namespace

TimerWheel::TimerWheel(int64_t now_micros, int64_t tick_micros)
    : origin_micros_(now_micros),
      tick_micros_(static_cast<uint64_t>(tick_micros)),
      now_micros_(now_micros) {
  if (tick_micros < 1) {
    std::fprintf(stderr, "convey TimerWheel: tick_micros must be >= 1, got %lld\n",
                 static_cast<long long>(tick_micros));
    std::abort();
  }
}

TimerWheel::~TimerWheel() {
  // Entries outlive the wheel (they live in tasks): leave none pointing
  // into it.
  for (auto& level : heads_) {
    for (TimerEntry& head : level) DisarmAll(&head);
  }
  DisarmAll(&overflow_);
}

uint64_t TimerWheel::TickOf(int64_t micros) const {
  if (micros <= origin_micros_) return 0;
  // The difference of two int64_t fits in uint64_t when it is positive.
  return (static_cast<uint64_t>(micros) - static_cast<uint64_t>(origin_micros_)) / tick_micros_;
}

void TimerWheel::SetCurrentTick(uint64_t tick) {
  if (tick == current_tick_) return;
  current_tick_ = tick;
  current_slot_min_valid_ = false;
}

void TimerWheel::Place(TimerEntry* entry, uint64_t tick) {
  for (int level = 0; level < kLevels; ++level) {
    // The level's two pages: the current tick's and the next.
    const int page_shift = (level + 1) * kSlotBits;
    if ((tick >> page_shift) - (current_tick_ >> page_shift) > 1) continue;
    const uint64_t ring = (tick >> (level * kSlotBits)) & (kRing - 1);
    TimerEntry* head = &heads_[level][ring];
    Link(head, entry);
    ++head->deadline_micros;
    occupied_[level][ring >> kSlotBits] |= uint64_t{1} << (ring & (kSlots - 1));
    if (level == 0 && tick == current_tick_ && current_slot_min_valid_) {
      current_slot_min_ = std::min(current_slot_min_, entry->deadline_micros);
    }
    return;
  }
  Link(&overflow_, entry);
  overflow_min_tick_ = std::min(overflow_min_tick_, tick);
}

void TimerWheel::Unlink(TimerEntry* entry) {
  TimerEntry* prev = entry->prev;
  TimerEntry* next = entry->next;
  prev->next = next;
  if (next != nullptr) {
    next->prev = prev;
  } else {
    // `entry` was last: if `prev` is a slot's head the slot is empty now.
    const uintptr_t offset =
        reinterpret_cast<uintptr_t>(prev) - reinterpret_cast<uintptr_t>(&heads_[0][0]);
    if (offset < sizeof(heads_)) {
      const size_t index = offset / sizeof(TimerEntry);
      const size_t ring = index % kRing;
      occupied_[index / kRing][ring >> kSlotBits] &= ~(uint64_t{1} << (ring & (kSlots - 1)));
      prev->deadline_micros = 0;
    }
  }
  if (entry->deadline_micros == current_slot_min_) current_slot_min_valid_ = false;
  entry->next = nullptr;
  entry->prev = nullptr;
}

TimerEntry* TimerWheel::TakeSlot(int level, uint64_t ring) {
  TimerEntry* head = &heads_[level][ring];
  TimerEntry* list = head->next;
  head->next = nullptr;
  head->deadline_micros = 0;
  occupied_[level][ring >> kSlotBits] &= ~(uint64_t{1} << (ring & (kSlots - 1)));
  return list;
}

bool TimerWheel::FirstBlock(int level, uint64_t* block) const {
  // Blocks before the current one are empty (their time has passed), so the
  // first set bit of the current page, else of the next, is the earliest.
  const uint64_t page = current_tick_ >> ((level + 1) * kSlotBits);
  const uint64_t half = page & 1;
  if (occupied_[level][half] != 0) {
    *block = (page << kSlotBits) + LowestBit(occupied_[level][half]);
    return true;
  }
  if (occupied_[level][half ^ 1] != 0) {
    *block = ((page + 1) << kSlotBits) + LowestBit(occupied_[level][half ^ 1]);
    return true;
  }
  return false;
}

void TimerWheel::Arm(TimerEntry* entry, int64_t deadline_micros) {
  if (entry->armed()) {
    Unlink(entry);
    --size_;
  }
  entry->deadline_micros = deadline_micros;
  // A deadline already past joins the current tick's slot: the next Advance
  // hands it out.
  Place(entry, std::max(TickOf(deadline_micros), current_tick_));
  ++size_;
}

void TimerWheel::Cancel(TimerEntry* entry) {
  if (!entry->armed()) return;
  Unlink(entry);
  --size_;
}

void TimerWheel::DrainOverflow() {
  TimerEntry* e = overflow_.next;
  overflow_.next = nullptr;
  overflow_min_tick_ = UINT64_MAX;
  while (e != nullptr) {
    TimerEntry* next = e->next;
    // Place links it back into the overflow when it still does not fit.
    Place(e, std::max(TickOf(e->deadline_micros), current_tick_));
    e = next;
  }
}

void TimerWheel::Advance(int64_t now_micros, std::vector<TimerEntry*>* due) {
  now_micros_ = std::max(now_micros_, now_micros);
  const int64_t now = now_micros_;
  const uint64_t target = TickOf(now);
  const uint64_t before = current_tick_;
  // Each round takes the earliest event that starts by `target`: a block
  // reached (moved down), a level-0 tick passed (handed out), the overflow's
  // next page coming within reach (drained). current_tick_ only moves to
  // event starts, which keeps every other entry where it belongs.
  for (;;) {
    int event_level = -1;
    uint64_t event_block = 0;
    uint64_t event_start = UINT64_MAX;
    if (overflow_.next != nullptr) {
      // Overflow entries fit the top level once time is in the page before
      // theirs. Their page is at least 2, so no underflow.
      event_start = ((overflow_min_tick_ >> kTotalBits) - 1) << kTotalBits;
      event_level = kLevels;
    }
    // From the top down with a strict '<': on a tie the higher level goes
    // first, so a block moving down reaches the tick before it is handed out.
    for (int level = kLevels - 1; level >= 0; --level) {
      uint64_t block;
      if (!FirstBlock(level, &block)) continue;
      const uint64_t start = block << (level * kSlotBits);
      if (event_level < 0 || start < event_start) {
        event_start = start;
        event_level = level;
        event_block = block;
      }
    }
    if (event_level < 0 || event_start > target) break;
    SetCurrentTick(std::max(current_tick_, event_start));
    if (event_level == kLevels) {
      DrainOverflow();
      continue;
    }
    const uint64_t ring = event_block & (kRing - 1);
    if (event_level > 0) {
      TimerEntry* e = TakeSlot(event_level, ring);
      while (e != nullptr) {
        TimerEntry* next = e->next;
        Place(e, std::max(TickOf(e->deadline_micros), current_tick_));
        e = next;
      }
      continue;
    }
    if (event_start < target) {
      // A passed tick: all of it is due (its deadlines are before target's
      // first microsecond, which is <= now).
      TimerEntry* e = TakeSlot(0, ring);
      current_slot_min_valid_ = false;
      while (e != nullptr) {
        TimerEntry* next = e->next;
        e->next = nullptr;
        e->prev = nullptr;
        --size_;
        due->push_back(e);
        e = next;
      }
      continue;
    }
    // The slot of `target` itself: only deadlines up to `now` are due; the
    // rest stay for a later Advance within this tick.
    if (!current_slot_min_valid_ || current_slot_min_ <= now) {
      int64_t rest_min = INT64_MAX;
      TimerEntry* e = heads_[0][ring].next;
      while (e != nullptr) {
        TimerEntry* next = e->next;
        if (e->deadline_micros <= now) {
          Unlink(e);
          --size_;
          due->push_back(e);
        } else {
          rest_min = std::min(rest_min, e->deadline_micros);
        }
        e = next;
      }
      current_slot_min_ = rest_min;
      current_slot_min_valid_ = true;
    }
    break;
  }
  SetCurrentTick(std::max(current_tick_, target));
  MoveNextBlocksDown(before);
}

void TimerWheel::MoveNextBlocksDown(uint64_t before) {
  // Level L's next block (the one after the current tick's) must be empty
  // before time reaches it; its entries fit level L-1's next page already.
  // It became the next block when time entered the current block; move the
  // share of it that this Advance's part of that wait is worth, so that at
  // an even pace the block is empty when its time comes.
  for (int level = 1; level < kLevels; ++level) {
    const int shift = level * kSlotBits;
    const uint64_t block = (current_tick_ >> shift) + 1;
    if (block > (UINT64_MAX >> shift)) continue;  // past the last tick
    const uint64_t ring = block & (kRing - 1);
    TimerEntry* head = &heads_[level][ring];
    if (head->next == nullptr) continue;
    const uint64_t start = block << shift;
    const uint64_t from = std::max(before, (block - 1) << shift);
    const uint64_t count = static_cast<uint64_t>(head->deadline_micros);
    const uint64_t share = static_cast<uint64_t>(static_cast<double>(count) *
                                                 static_cast<double>(current_tick_ - from) /
                                                 static_cast<double>(start - from));
    for (uint64_t budget = std::max(share + 1, kMinMoveDown); budget > 0 && head->next != nullptr;
         --budget) {
      TimerEntry* e = head->next;
      Unlink(e);
      if (head->deadline_micros > 0) --head->deadline_micros;
      Place(e, TickOf(e->deadline_micros));
    }
  }
}

int64_t TimerWheel::NextDeadline() const {
  // Each level's first non-empty slot, by start tick. Two levels share time
  // only in one block (a level's next block while it is being moved down
  // into the level below), so the first candidate usually settles it.
  struct Candidate {
    uint64_t start;
    int level;
    uint64_t block;
  };
  Candidate candidates[kLevels];
  int count = 0;
  for (int level = 0; level < kLevels; ++level) {
    uint64_t block;
    if (!FirstBlock(level, &block)) continue;
    Candidate c{block << (level * kSlotBits), level, block};
    int i = count++;
    for (; i > 0 && candidates[i - 1].start > c.start; --i) candidates[i] = candidates[i - 1];
    candidates[i] = c;
  }
  if (count == 0) return overflow_.next != nullptr ? MinDeadline(&overflow_) : INT64_MAX;
  int64_t best = INT64_MAX;
  for (int i = 0; i < count; ++i) {
    const Candidate& c = candidates[i];
    // Entries of a later slot have later ticks, so later deadlines.
    if (best != INT64_MAX && c.start > TickOf(best)) break;
    const int64_t slot_min = c.level == 0 && c.block == current_tick_ && current_slot_min_valid_
                                 ? current_slot_min_
                                 : MinDeadline(&heads_[c.level][c.block & (kRing - 1)]);
    best = std::min(best, slot_min);
  }
  // Overflow entries are two top pages ahead: later than any level's.
  return best;
}

}  // namespace internal
}  // namespace convey
