#include "runtime/engine/task_history.h"

#include <algorithm>
#include <iterator>

#include "absl/time/time.h"
#include "runtime/engine/process.h"

namespace convey {
namespace internal {
namespace {

constexpr absl::string_view kKindNames[] = {
    "created",     "node_entered", "parked",  "resumed", "http_sent",    "http_answered",
    "timer_fired", "modified",     "patched", "error",   "loop_stopped", "finished",
    "deleted",     "host",         "moved",   "webhook",
};

}  // namespace

absl::string_view HistoryKindName(HistoryKind kind) {
  const auto index = static_cast<size_t>(kind);
  return index < std::size(kKindNames) ? kKindNames[index] : "unknown";
}

bool HistoryKindFromName(absl::string_view name, HistoryKind* kind) {
  for (size_t i = 0; i < std::size(kKindNames); ++i) {
    if (kKindNames[i] == name) {
      *kind = static_cast<HistoryKind>(i);
      return true;
    }
  }
  return false;
}

void TaskHistoryLog::AddEntered(size_t limit, int64_t micros,
                                absl::Span<const CompiledNode* const> nodes) {
  if (limit == 0) return;  // keeps nothing, as Add
  size_t first = 0;
  if (records_.empty() && !nodes.empty()) {
    Add(limit, micros, HistoryKind::kNodeEntered, nodes[0]);
    first = 1;
  }
  // Past the first entry the log keeps limit-1 entries: earlier ones of
  // this batch would be written and overwritten here; they count as dropped.
  const size_t room = limit - 1;
  if (nodes.size() - first > room) {
    dropped_ += nodes.size() - first - room;
    first = nodes.size() - room;
  }
  // Room for what stays, in one allocation.
  const size_t size = std::min(limit, records_.size() + (nodes.size() - first));
  if (size > records_.capacity()) records_.reserve(size);
  for (size_t i = first; i < nodes.size(); ++i) {
    Add(limit, micros, HistoryKind::kNodeEntered, nodes[i]);
  }
}

void TaskHistoryLog::AddSlow(size_t limit, int64_t micros, HistoryKind kind,
                             const CompiledNode* node, absl::string_view text,
                             std::optional<ParkReason> reason) {
  if (limit == 0) return;
  if (records_.empty()) first_micros_ = micros;
  if (records_.size() < limit) {
    // Grown four-fold and never past the limit: a task that runs long
    // reallocates twice (3, 12, then the limit) instead of four times, and
    // holds no room it may not use (doubling gave 48 for 32).
    if (records_.size() == records_.capacity()) {
      records_.reserve(std::min(limit, records_.capacity() * 4));
    }
    records_.push_back(MakeRecord(micros, kind, node, text, reason));
    return;
  }
  ++dropped_;
  if (limit == 1) return;  // only the first is kept
  if (next_ >= records_.size()) next_ = 1;
  Record& oldest = records_[next_];
  FreeSide(oldest);
  oldest = MakeRecord(micros, kind, node, text, reason);
  next_ = next_ + size_t{1} == records_.size() ? 1 : next_ + 1;
}

TaskHistoryLog::Record TaskHistoryLog::MakeRecord(int64_t micros, HistoryKind kind,
                                                  const CompiledNode* node, absl::string_view text,
                                                  std::optional<ParkReason> reason) {
  uint64_t offset;
  if (OffsetOf(micros, &offset) && text.empty()) {
    return Record{Word(offset, kind, false, reason), node};
  }
  if (text.size() > kMaxHistoryText) {
    size_t cut = kMaxHistoryText;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut);
  }
  if (sides_ == nullptr) sides_ = std::make_unique<Sides>();
  uint16_t slot;
  if (!sides_->free.empty()) {
    slot = sides_->free.back();
    sides_->free.pop_back();
  } else {
    // At most one slot per record, and records_.size() <= 65535.
    slot = static_cast<uint16_t>(sides_->slots.size());
    sides_->slots.emplace_back();
  }
  Side& side = sides_->slots[slot];
  side.micros = micros;
  side.text.assign(text.data(), text.size());
  return Record{Word(slot, kind, true, reason), node};
}

void TaskHistoryLog::FreeSide(const Record& record) {
  if (!IsSide(record.word)) return;
  const auto slot = static_cast<uint16_t>(record.word & 0xFFFF);
  std::string& text = sides_->slots[slot].text;
  text.clear();
  text.shrink_to_fit();
  sides_->free.push_back(slot);
}

TaskHistory TaskHistoryLog::ToPublic(absl::string_view obj_id) const {
  TaskHistory history;
  history.obj_id = std::string(obj_id);
  history.dropped = dropped_;
  history.entries.reserve(records_.size());
  ForEach([&history](int64_t micros, HistoryKind kind, const CompiledNode* node,
                     absl::string_view text) {
    TaskHistoryEntry entry;
    entry.time = absl::FromUnixMicros(micros);
    entry.kind = std::string(HistoryKindName(kind));
    if (node != nullptr) entry.node_id = node->id;
    entry.text = std::string(text);
    history.entries.push_back(std::move(entry));
  });
  return history;
}

}  // namespace internal
}  // namespace convey
