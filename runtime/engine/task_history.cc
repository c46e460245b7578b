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
  size_t first = 0;
  if (records_.empty() && !nodes.empty()) {
    Add(limit, micros, HistoryKind::kNodeEntered, nodes[0]);
    first = 1;
  }
  // Past the first entry the log keeps limit-1 entries: earlier ones of
  // this batch would be written and overwritten here; they count as dropped.
  const size_t room = limit > 0 ? limit - 1 : 0;
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
  Record record;
  record.micros = micros;
  record.node = node;
  record.kind = kind;
  record.reason = static_cast<uint8_t>(reason ? static_cast<int>(*reason) + 1 : 0);
  if (records_.size() < limit) {
    // Grown four-fold and never past the limit: a task that runs long
    // reallocates twice (3, 12, then the limit) instead of four times, and
    // holds no room it may not use (doubling gave 48 for 32).
    if (records_.size() == records_.capacity()) {
      records_.reserve(std::min(limit, records_.capacity() * 4));
    }
    record.text = StoreText(text);
    records_.push_back(record);
    return;
  }
  ++dropped_;
  if (limit == 1) return;  // only the first is kept
  if (next_ >= records_.size()) next_ = 1;
  Record& oldest = records_[next_];
  FreeText(oldest.text);
  record.text = StoreText(text);
  oldest = record;
  next_ = next_ + size_t{1} == records_.size() ? 1 : next_ + 1;
}

uint16_t TaskHistoryLog::StoreText(absl::string_view text) {
  if (text.empty()) return 0;
  if (text.size() > kMaxHistoryText) {
    size_t cut = kMaxHistoryText;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut);
  }
  if (texts_ == nullptr) texts_ = std::make_unique<Texts>();
  if (!texts_->free.empty()) {
    const uint16_t slot = texts_->free.back();
    texts_->free.pop_back();
    texts_->texts[slot - 1].assign(text.data(), text.size());
    return slot;
  }
  texts_->texts.emplace_back(text);
  return static_cast<uint16_t>(texts_->texts.size());
}

void TaskHistoryLog::FreeText(uint16_t slot) {
  if (slot == 0) return;
  texts_->texts[slot - 1].clear();
  texts_->texts[slot - 1].shrink_to_fit();
  texts_->free.push_back(slot);
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
