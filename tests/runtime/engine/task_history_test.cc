// TaskHistoryLog against a plain model of what it must keep: the first
// entry, then the newest limit-1, each with its time, kind, node and text,
// whatever mix of entries with and without text and of times near and far.
#include "runtime/engine/task_history.h"

#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "runtime/engine/process.h"

namespace convey {
namespace internal {
namespace {

struct Entry {
  int64_t micros;
  HistoryKind kind;
  const CompiledNode* node;
  std::string text;
  bool operator==(const Entry& other) const {
    return micros == other.micros && kind == other.kind && node == other.node && text == other.text;
  }
};

std::ostream& operator<<(std::ostream& out, const Entry& entry) {
  return out << "{" << entry.micros << ", " << HistoryKindName(entry.kind) << ", " << entry.node
             << ", \"" << entry.text << "\"}";
}

std::vector<Entry> Entries(const TaskHistoryLog& log) {
  std::vector<Entry> entries;
  log.ForEach([&entries](int64_t micros, HistoryKind kind, const CompiledNode* node,
                         absl::string_view text) {
    entries.push_back(Entry{micros, kind, node, std::string(text)});
  });
  return entries;
}

// What the log must show: every entry while within the limit, then the
// first and the newest limit-1.
class Model {
 public:
  explicit Model(size_t limit) : limit_(limit) {}
  void Add(Entry entry) {
    if (limit_ == 0) return;
    if (first_.empty()) {
      first_.push_back(std::move(entry));
      return;
    }
    rest_.push_back(std::move(entry));
    if (1 + rest_.size() > limit_) {
      rest_.pop_front();
      ++dropped_;
    }
  }
  std::vector<Entry> entries() const {
    std::vector<Entry> all(first_.begin(), first_.end());
    all.insert(all.end(), rest_.begin(), rest_.end());
    return all;
  }
  uint64_t dropped() const { return dropped_; }

 private:
  size_t limit_;
  std::vector<Entry> first_;
  std::deque<Entry> rest_;
  uint64_t dropped_ = 0;
};

TEST(TaskHistoryLogTest, KeepsTimesFarFromTheFirstEntryExactly) {
  CompiledNode a, b;
  TaskHistoryLog log;
  constexpr int64_t kFirst = 1764000000000000;  // 2025, in microseconds
  constexpr int64_t kFar = int64_t{1} << 47;    // just past an offset's reach
  log.Add(32, kFirst, HistoryKind::kCreated, &a);
  log.Add(32, kFirst + kFar - 1, HistoryKind::kNodeEntered, &b);
  log.Add(32, kFirst + kFar, HistoryKind::kNodeEntered, &a);
  log.Add(32, kFirst - kFar, HistoryKind::kNodeEntered, &b);
  log.Add(32, kFirst - kFar - 1, HistoryKind::kParked, &a, {}, ParkReason::kTimer);
  log.Add(32, std::numeric_limits<int64_t>::max(), HistoryKind::kHost, nullptr, "late");
  log.Add(32, std::numeric_limits<int64_t>::min(), HistoryKind::kFinished, nullptr);
  const std::vector<Entry> expected = {
      {kFirst, HistoryKind::kCreated, &a, ""},
      {kFirst + kFar - 1, HistoryKind::kNodeEntered, &b, ""},
      {kFirst + kFar, HistoryKind::kNodeEntered, &a, ""},
      {kFirst - kFar, HistoryKind::kNodeEntered, &b, ""},
      {kFirst - kFar - 1, HistoryKind::kParked, &a,
       std::string(ParkReasonName(ParkReason::kTimer))},
      {std::numeric_limits<int64_t>::max(), HistoryKind::kHost, nullptr, "late"},
      {std::numeric_limits<int64_t>::min(), HistoryKind::kFinished, nullptr, ""},
  };
  EXPECT_EQ(Entries(log), expected);
  EXPECT_EQ(log.dropped(), 0u);
}

TEST(TaskHistoryLogTest, FirstEntryWithTextAndNegativeTimes) {
  CompiledNode a;
  TaskHistoryLog log;
  log.Add(3, -5, HistoryKind::kMoved, &a, "from node x");
  log.Add(3, -7, HistoryKind::kNodeEntered, &a);
  log.Add(3, 0, HistoryKind::kResumed, nullptr, {}, ParkReason::kHttp);
  log.Add(3, 9, HistoryKind::kError, &a, "tag: description");
  const std::vector<Entry> expected = {
      {-5, HistoryKind::kMoved, &a, "from node x"},
      {0, HistoryKind::kResumed, nullptr, std::string(ParkReasonName(ParkReason::kHttp))},
      {9, HistoryKind::kError, &a, "tag: description"},
  };
  EXPECT_EQ(Entries(log), expected);
  EXPECT_EQ(log.dropped(), 1u);
}

TEST(TaskHistoryLogTest, LongTextIsCutAtACharacter) {
  TaskHistoryLog log;
  log.Add(4, 1, HistoryKind::kCreated, nullptr);
  // 'a' then two-byte characters: byte kMaxHistoryText falls inside one.
  std::string text = "a";
  while (text.size() < kMaxHistoryText + 10) text += "\xC3\xA9";
  log.Add(4, 2, HistoryKind::kHost, nullptr, text);
  const std::vector<Entry> entries = Entries(log);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1].text, text.substr(0, kMaxHistoryText - 1));
}

// A full log of the largest limit, every entry with text: side slots up to
// the last 16-bit index, reused as the ring turns.
TEST(TaskHistoryLogTest, TheLargestLimitWithTextEverywhere) {
  constexpr size_t kLimit = 65535;
  TaskHistoryLog log;
  Model model(kLimit);
  for (int64_t i = 0; i < 70000; ++i) {
    const std::string text = absl::StrCat("t", i);
    log.Add(kLimit, i, HistoryKind::kHost, nullptr, text);
    model.Add(Entry{i, HistoryKind::kHost, nullptr, text});
  }
  EXPECT_EQ(Entries(log), model.entries());
  EXPECT_EQ(log.dropped(), 70000u - kLimit);
}

// A kind past the last (a newer engine's, read from a store) stays a kind
// the names call unknown, whatever its high bit: it must not turn a plain
// record into one with a side slot.
TEST(TaskHistoryLogTest, AKindPastTheLastStaysInItsBits) {
  TaskHistoryLog log;
  log.Add(8, 1, HistoryKind::kCreated, nullptr);
  log.Add(8, 2, static_cast<HistoryKind>(200), nullptr);
  log.Add(8, 3, static_cast<HistoryKind>(255), nullptr, {}, ParkReason::kQueue);
  const std::vector<Entry> entries = Entries(log);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[1].micros, 2);
  EXPECT_EQ(HistoryKindName(entries[1].kind), "unknown");
  EXPECT_EQ(entries[2].micros, 3);
  EXPECT_EQ(HistoryKindName(entries[2].kind), "unknown");
  EXPECT_EQ(entries[2].text, ParkReasonName(ParkReason::kQueue));
}

// Random mixes against the model: limits 0..9, entries with text or far
// times (side slots) among plain ones, one by one and in AddEntered batches.
TEST(TaskHistoryLogTest, MatchesTheModelOverRandomEntries) {
  std::mt19937_64 random(17);
  std::vector<CompiledNode> nodes(5);
  for (int round = 0; round < 3000; ++round) {
    const size_t limit = random() % 10;
    TaskHistoryLog log;
    Model model(limit);
    int64_t now = static_cast<int64_t>(random() % 2000000000000000) - 1000000000000000;
    const int steps = static_cast<int>(random() % 40);
    for (int step = 0; step < steps; ++step) {
      const uint64_t pick = random() % 16;
      now += static_cast<int64_t>(random() % 1000);
      if (pick == 0) now += int64_t{1} << 47;  // far from the first entry
      const CompiledNode* node = random() % 4 == 0 ? nullptr : &nodes[random() % nodes.size()];
      if (pick < 3) {
        const std::string text = absl::StrCat("text ", step, std::string(random() % 40, 'x'));
        log.Add(limit, now, HistoryKind::kHost, node, text);
        model.Add(Entry{now, HistoryKind::kHost, node, text});
      } else if (pick < 5) {
        log.Add(limit, now, HistoryKind::kParked, node, {}, ParkReason::kCallback);
        model.Add(Entry{now, HistoryKind::kParked, node,
                        std::string(ParkReasonName(ParkReason::kCallback))});
      } else if (pick < 7) {
        std::vector<const CompiledNode*> batch(random() % 12);
        for (const CompiledNode*& entered : batch) entered = &nodes[random() % nodes.size()];
        log.AddEntered(limit, now, batch);
        for (const CompiledNode* entered : batch) {
          model.Add(Entry{now, HistoryKind::kNodeEntered, entered, ""});
        }
      } else {
        log.Add(limit, now, HistoryKind::kNodeEntered, node);
        model.Add(Entry{now, HistoryKind::kNodeEntered, node, ""});
      }
    }
    ASSERT_EQ(Entries(log), model.entries()) << "round " << round << ", limit " << limit;
    ASSERT_EQ(log.dropped(), model.dropped()) << "round " << round;
  }
}

}  // namespace
}  // namespace internal
}  // namespace convey
