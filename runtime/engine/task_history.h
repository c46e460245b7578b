// TaskHistoryLog: the bounded log of what happened to one task
// (Engine::GetTaskHistory, EngineOptions::task_history_limit).
//
// It lives in the task's own allocation, just after the Task (MakeTask),
// when histories are on: every task records its create. Entries are small
// (time, node, kind, and a side slot for the few that carry text), so a task
// that walks a long chain of nodes pays one 16-byte record per node. Once
// the log is full, the first entry (the create) is kept and the oldest of
// the others is overwritten: a ring, so a full log costs no more per entry
// than a filling one.
//
// Not thread-safe: the owner of the task (Task::state) writes and reads it.
#ifndef CONVEY_RUNTIME_ENGINE_TASK_HISTORY_H_
#define CONVEY_RUNTIME_ENGINE_TASK_HISTORY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "convey/engine.h"
#include "convey/environment.h"

namespace convey {
namespace internal {

struct CompiledNode;

// What an entry records. Names: HistoryKindName.
enum class HistoryKind : uint8_t {
  kCreated,
  kNodeEntered,
  kParked,        // text: the reason (ParkReasonName)
  kResumed,       // text: what it had waited for
  kHttpSent,      // text: the method
  kHttpAnswered,  // text: the status code, or why there is no answer
  kTimerFired,
  kModified,
  kPatched,
  kError,        // text: tag: description
  kLoopStopped,  // text: tag: description
  kFinished,
  kDeleted,
  kHost,     // text: what the host appended (Engine::AppendTaskHistory)
  kMoved,    // text: where from (Engine::MoveTask)
  kWebhook,  // text: a webhook's delivery, or why it was given up
};
// How many kinds there are (the last + 1); a record keeps a kind in 7 bits.
constexpr int kHistoryKinds = static_cast<int>(HistoryKind::kWebhook) + 1;
static_assert(kHistoryKinds < 128, "a history record keeps its kind in 7 bits");
// What a kind the engine does not know (a newer engine's, in a store) is
// kept as: named "unknown".
constexpr auto kUnknownHistoryKind = static_cast<HistoryKind>(127);
absl::string_view HistoryKindName(HistoryKind kind);
// The kind with that name; false when none has it.
bool HistoryKindFromName(absl::string_view name, HistoryKind* kind);

// Texts longer than this are cut (on a UTF-8 character boundary).
constexpr size_t kMaxHistoryText = 1024;

class TaskHistoryLog {
 public:
  TaskHistoryLog() noexcept : next_(1), dropped_(0) {}

  // Adds an entry; past `limit` entries the oldest after the first is
  // dropped (counted in dropped()). `node` may be null; `reason` is the
  // ParkReason a parked or resumed entry names (its text, without a copy).
  // Inline for the common case, an entry without text (a node entered, on
  // the hot path): a store into room already there.
  void Add(size_t limit, int64_t micros, HistoryKind kind, const CompiledNode* node,
           absl::string_view text = {}, std::optional<ParkReason> reason = std::nullopt) {
    // Each record is written with two 8-byte stores: a Record built on the
    // stack and copied was read back as one 16-byte load before its narrow
    // stores had landed (a store-forwarding stall of half the call).
    if (text.empty() && !records_.empty()) {
      uint64_t offset;
      if (OffsetOf(micros, &offset)) {
        const uint64_t word = Word(offset, kind, false, reason);
        if (records_.size() < limit && records_.size() < records_.capacity()) {
          Record& record = records_.emplace_back();
          record.word = word;
          record.node = node;
          return;
        }
        if (records_.size() == limit && limit > 1 && next_ < records_.size() &&
            !IsSide(records_[next_].word)) {
          records_[next_].word = word;
          records_[next_].node = node;
          next_ = next_ + size_t{1} == records_.size() ? 1 : next_ + 1;
          ++dropped_;
          return;
        }
      }
    }
    AddSlow(limit, micros, kind, node, text, reason);
  }
  // A node_entered entry per node, in order, all at `micros`: the same log
  // as adding them one by one, without writing the entries the ring would
  // overwrite before this returns (only the last limit-1 stay).
  void AddEntered(size_t limit, int64_t micros, absl::Span<const CompiledNode* const> nodes);
  // Entries dropped to stay within the limit (modulo 2^48).
  uint64_t dropped() const { return dropped_; }
  void set_dropped(uint64_t dropped) { dropped_ = dropped; }
  size_t size() const { return records_.size(); }

  // Calls visit(micros, kind, node (may be null), text) for each entry,
  // oldest first.
  template <typename Visit>
  void ForEach(Visit visit) const {
    const auto one = [&](const Record& record) {
      const auto kind = static_cast<HistoryKind>((record.word >> 48) & 0x7F);
      const auto reason = static_cast<uint8_t>(record.word >> 56);
      int64_t micros;
      absl::string_view text;
      if (IsSide(record.word)) {
        const Side& side = sides_->slots[record.word & 0xFFFF];
        micros = side.micros;
        text = side.text;
      } else {
        // The offset's 48 bits, sign-extended.
        const int64_t offset = static_cast<int64_t>(record.word << 16) >> 16;
        micros = static_cast<int64_t>(static_cast<uint64_t>(first_micros_) +
                                      static_cast<uint64_t>(offset));
      }
      if (text.empty() && reason != 0) text = ParkReasonName(static_cast<ParkReason>(reason - 1));
      visit(micros, kind, record.node, text);
    };
    if (records_.empty()) return;
    one(records_[0]);
    if (dropped_ == 0 || next_ >= records_.size()) {
      for (size_t i = 1; i < records_.size(); ++i) one(records_[i]);
      return;
    }
    for (size_t i = next_; i < records_.size(); ++i) one(records_[i]);
    for (size_t i = 1; i < next_; ++i) one(records_[i]);
  }

  // The public form, node ids resolved.
  TaskHistory ToPublic(absl::string_view obj_id) const;

 private:
  // 16 bytes (B7): one word holds the kind, the reason and the time as an
  // offset from the first entry's; the other the node. An entry with text,
  // or whose time is too far from the first's to be an offset, keeps its
  // time and text in a side slot, whose index the word holds instead.
  struct Record {
    // Bits 0-47: the offset (two's complement), or the side slot; 48-54:
    // the kind; 55: set for a side slot; 56-63: 1 + ParkReason, 0: none.
    uint64_t word;
    const CompiledNode* node;
  };
  static constexpr uint64_t kOffsetLimit = uint64_t{1} << 47;
  static constexpr uint64_t kSideBit = uint64_t{1} << 55;
  static uint64_t Word(uint64_t offset_or_slot, HistoryKind kind, bool side,
                       std::optional<ParkReason> reason) {
    const uint64_t code = reason ? static_cast<uint64_t>(*reason) + 1 : 0;
    // Whatever a caller passes, the kind stays out of the side bit (the
    // engine's own are below kHistoryKinds; recovery maps others to
    // kUnknownHistoryKind).
    return (offset_or_slot & 0xFFFFFFFFFFFF) |
           (uint64_t{static_cast<uint8_t>(kind) & 0x7Fu} << 48) | (side ? kSideBit : 0) |
           (code << 56);
  }
  static bool IsSide(uint64_t word) { return (word & kSideBit) != 0; }
  // The time as an offset from the first entry's, when it is within 2^47 us
  // (4.4 years) of it either way.
  bool OffsetOf(int64_t micros, uint64_t* offset) const {
    *offset = static_cast<uint64_t>(micros) - static_cast<uint64_t>(first_micros_);
    return *offset + kOffsetLimit < 2 * kOffsetLimit;
  }
  // Entries that carry text (host notes, errors, HTTP) or a time far from
  // the first's: slots reused as the ring overwrites entries. Allocated on
  // first use.
  struct Side {
    int64_t micros = 0;
    std::string text;
  };
  struct Sides {
    std::vector<Side> slots;
    std::vector<uint16_t> free;  // slots no record uses
  };
  void AddSlow(size_t limit, int64_t micros, HistoryKind kind, const CompiledNode* node,
               absl::string_view text, std::optional<ParkReason> reason);
  // The record for an entry; a side slot when it needs one.
  Record MakeRecord(int64_t micros, HistoryKind kind, const CompiledNode* node,
                    absl::string_view text, std::optional<ParkReason> reason);
  void FreeSide(const Record& record);

  // [0] is the first entry; once the log is full, [1..] is a ring whose
  // oldest entry is at next_. Three inline: a task that parks once (created,
  // node entered, parked) costs no allocation for its history.
  absl::InlinedVector<Record, 3> records_;
  // In one word (B7): next_ < records_.size() <= task_history_limit <= 65535.
  uint64_t next_ : 16;
  uint64_t dropped_ : 48;
  int64_t first_micros_ = 0;  // the first entry's time: offsets count from it
  std::unique_ptr<Sides> sides_;
};

// 80 bytes: with the task and its counts (8 + 208), 296 bytes in jemalloc's
// 320-byte class (B7).
static_assert(sizeof(void*) != 8 || sizeof(TaskHistoryLog) <= 80,
              "TaskHistoryLog outgrew its allocation class");

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_ENGINE_TASK_HISTORY_H_
