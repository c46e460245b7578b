// TaskHistoryLog: the bounded log of what happened to one task
// (Engine::GetTaskHistory, EngineOptions::task_history_limit).
//
// Apart from Task because most of it is cold: a task holds only a pointer
// until its first entry. Entries are small (time, node, kind, and a text slot
// for the few kinds that carry text), so a task that walks a long chain of
// nodes pays one 24-byte record per node. Once the log is full, the first
// entry (the create) is kept and the oldest of the others is overwritten: a
// ring, so a full log costs no more per entry than a filling one.
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
absl::string_view HistoryKindName(HistoryKind kind);
// The kind with that name; false when none has it.
bool HistoryKindFromName(absl::string_view name, HistoryKind* kind);

// Texts longer than this are cut (on a UTF-8 character boundary).
constexpr size_t kMaxHistoryText = 1024;

class TaskHistoryLog {
 public:
  TaskHistoryLog() : next_(1), dropped_(0) {}

  // Adds an entry; past `limit` entries the oldest after the first is
  // dropped (counted in dropped()). `node` may be null; `reason` is the
  // ParkReason a parked or resumed entry names (its text, without a copy).
  // Inline for the common case, an entry without text (a node entered, on
  // the hot path): a store into room already there.
  void Add(size_t limit, int64_t micros, HistoryKind kind, const CompiledNode* node,
           absl::string_view text = {}, std::optional<ParkReason> reason = std::nullopt) {
    // Fields are stored into their slot one by one: a Record built on the
    // stack and copied was read back as one 16-byte load before its narrow
    // stores had landed (a store-forwarding stall of half the call).
    if (text.empty()) {
      const auto code = static_cast<uint8_t>(reason ? static_cast<int>(*reason) + 1 : 0);
      if (records_.size() < limit && records_.size() < records_.capacity()) {
        Fill(records_.emplace_back(), micros, node, kind, code);
        return;
      }
      if (records_.size() == limit && limit > 1 && next_ < records_.size() &&
          records_[next_].text == 0) {
        Fill(records_[next_], micros, node, kind, code);
        next_ = next_ + size_t{1} == records_.size() ? 1 : next_ + 1;
        ++dropped_;
        return;
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
      absl::string_view text;
      if (record.text != 0) {
        text = texts_->texts[record.text - 1];
      } else if (record.reason != 0) {
        text = ParkReasonName(static_cast<ParkReason>(record.reason - 1));
      }
      visit(record.micros, record.kind, record.node, text);
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
  struct Record {
    int64_t micros = 0;
    const CompiledNode* node = nullptr;
    HistoryKind kind = HistoryKind::kCreated;
    uint8_t reason = 0;  // 1 + ParkReason; 0: none
    uint16_t text = 0;   // 1 + index into texts_->texts; 0: none
  };
  // Texts of the entries that have their own (host notes, errors, HTTP):
  // slots reused as the ring overwrites entries. Allocated on first use.
  struct Texts {
    std::vector<std::string> texts;
    std::vector<uint16_t> free;  // slots no record uses
  };
  static void Fill(Record& record, int64_t micros, const CompiledNode* node, HistoryKind kind,
                   uint8_t reason) {
    record.micros = micros;
    record.node = node;
    record.kind = kind;
    record.reason = reason;
    record.text = 0;
  }
  void AddSlow(size_t limit, int64_t micros, HistoryKind kind, const CompiledNode* node,
               absl::string_view text, std::optional<ParkReason> reason);
  uint16_t StoreText(absl::string_view text);
  void FreeText(uint16_t slot);

  // [0] is the first entry; once the log is full, [1..] is a ring whose
  // oldest entry is at next_. Three inline: a task that parks once (created,
  // node entered, parked) costs one allocation, this object.
  absl::InlinedVector<Record, 3> records_;
  // In one word, so that the log takes jemalloc's 96-byte class, not 112
  // (B7): next_ < records_.size() <= task_history_limit <= 65535.
  uint64_t next_ : 16;
  uint64_t dropped_ : 48;
  std::unique_ptr<Texts> texts_;
};

static_assert(sizeof(void*) != 8 || sizeof(TaskHistoryLog) <= 96,
              "TaskHistoryLog outgrew its allocation class");

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_ENGINE_TASK_HISTORY_H_
