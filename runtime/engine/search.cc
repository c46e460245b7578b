// Engine::SearchTasks: pages through a process's TaskLog (creation order),
// checking each task against the query while holding it, a bounded number
// of entries per call.
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/engine/engine_impl.h"
#include "runtime/json/path.h"

namespace convey {
namespace internal {
namespace {

constexpr size_t kMaxLimit = 1000;
constexpr size_t kMaxScanned = 1000000;
// Entries taken from the log per lock: short enough not to hold up creates.
constexpr size_t kBatch = 256;

uint64_t Fnv1a(absl::string_view text, uint64_t hash = 14695981039346656037ull) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

// What a cursor is bound to: every filter and the order (not the page size
// or the scan budget, which a client may change between pages).
uint64_t QueryFingerprint(const TaskQuery& query, absl::string_view value) {
  const std::string text = absl::StrCat(
      query.conv_id, "|", query.node_id, "|", query.status ? static_cast<int>(*query.status) : -1,
      "|", query.park_reason ? static_cast<int>(*query.park_reason) : -1, "|",
      query.ref_prefix.size(), ":", query.ref_prefix, "|", absl::FormatTime(query.created_from),
      "|", absl::FormatTime(query.created_to), "|", query.data_path.size(), ":", query.data_path,
      "|", value, "|", query.descending ? "desc" : "asc");
  return Fnv1a(text);
}

// A cursor: "s1.<sequence number>.<query fingerprint, hex>".
std::string MakeCursor(uint64_t seq, uint64_t fingerprint) {
  return absl::StrCat("s1.", seq, ".", absl::Hex(fingerprint, absl::kZeroPad16));
}

absl::StatusOr<uint64_t> ReadCursor(absl::string_view cursor, uint64_t fingerprint) {
  std::vector<absl::string_view> parts = absl::StrSplit(cursor, '.');
  uint64_t seq = 0;
  uint64_t made_for = 0;
  if (parts.size() != 3 || parts[0] != "s1" || !absl::SimpleAtoi(parts[1], &seq) || seq == 0 ||
      parts[2].size() != 16 || !absl::SimpleHexAtoi(parts[2], &made_for)) {
    return absl::InvalidArgumentError("the cursor is not one SearchTasks made");
  }
  if (made_for != fingerprint) {
    return absl::InvalidArgumentError(
        "the cursor was made for another query (a cursor works only with the filters and order "
        "that made it)");
  }
  return seq;
}

}  // namespace

absl::StatusOr<TaskPage> EngineImpl::SearchTasks(const TaskQuery& query) {
  if (absl::Status open = CheckOpen(); !open.ok()) return open;
  if (query.limit < 1 || query.limit > kMaxLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit is ", query.limit, ": must be 1..", kMaxLimit));
  }
  if (query.max_scanned < 1 || query.max_scanned > kMaxScanned) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_scanned is ", query.max_scanned, ": must be 1..", kMaxScanned));
  }
  if (query.created_from > query.created_to) {
    return absl::InvalidArgumentError("created_from is after created_to");
  }
  // The data filter: a path and a JSON value, compared minified.
  Path path;
  std::string value;
  if (!query.data_path.empty() || !query.data_value_json.empty()) {
    if (query.data_path.empty() || query.data_value_json.empty()) {
      return absl::InvalidArgumentError("data_path and data_value_json go together");
    }
    absl::StatusOr<Path> parsed = ParsePath(query.data_path);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("data_path \"", query.data_path, "\": ", parsed.status().message()));
    }
    path = *std::move(parsed);
    simdjson::dom::parser parser;
    simdjson::dom::element element;
    if (parser.parse(query.data_value_json).get(element) != simdjson::SUCCESS) {
      return absl::InvalidArgumentError(
          absl::StrCat("data_value_json is not JSON: ", query.data_value_json));
    }
    value = simdjson::minify(element);
  }
  const uint64_t fingerprint = QueryFingerprint(query, value);
  uint64_t from = 0;
  if (!query.cursor.empty()) {
    absl::StatusOr<uint64_t> seq = ReadCursor(query.cursor, fingerprint);
    if (!seq.ok()) return seq.status();
    from = *seq;
  }
  std::shared_ptr<ProcessControl> control = ControlOf(query.conv_id);
  if (control == nullptr) return NotDeployed(query.conv_id);
  const TaskLog* log = &control->log;

  const int64_t from_micros = query.created_from == absl::InfinitePast()
                                  ? INT64_MIN
                                  : absl::ToUnixMicros(query.created_from);
  const int64_t to_micros =
      query.created_to == absl::InfiniteFuture() ? INT64_MAX : absl::ToUnixMicros(query.created_to);
  thread_local simdjson::dom::parser data_parser;
  // Checked while the task is held: where it is and what it holds.
  const auto held_matches = [&](const Task& task) {
    if (task.process->conv_id != query.conv_id) return false;  // moved away since
    if (!query.node_id.empty() && task.current_node().id != query.node_id) return false;
    if (query.status && task.status != *query.status) return false;
    if (query.park_reason && task.park != *query.park_reason) return false;
    if (path.empty()) return true;
    simdjson::dom::element data;
    simdjson::dom::element found;
    return data_parser.parse(task.data.data(), task.data.size()).get(data) == simdjson::SUCCESS &&
           FindPath(data, path, &found) && simdjson::minify(found) == value;
  };

  TaskPage page;
  std::vector<std::pair<uint64_t, TaskRef>> batch;
  bool more = true;
  while (page.tasks.size() < query.limit && page.scanned < query.max_scanned && more) {
    batch.clear();
    uint64_t last = from;
    page.scanned +=
        log->Collect(from, query.descending, std::min(kBatch, query.max_scanned - page.scanned),
                     &batch, &last, &more);
    from = last;
    for (size_t i = 0; i < batch.size(); ++i) {
      const auto& [seq, task] = batch[i];
      // A ref and a create time never change: no need to hold the task.
      if (!absl::StartsWith(task->ref, query.ref_prefix) || task->create_micros < from_micros ||
          task->create_micros >= to_micros) {
        continue;
      }
      if (task.get() == RunningTask()) continue;  // its own worker asks: it would wait for itself
      Acquire(task.get());
      const bool matches = held_matches(*task);
      if (matches) page.tasks.push_back(SnapshotOf(*task));
      Release(task.get(), false);
      if (matches && page.tasks.size() == query.limit) {
        // The page is full here: the next one starts after this task.
        from = seq;
        more = more || i + 1 < batch.size() || seq != last;
        break;
      }
    }
  }
  if (more) page.next_cursor = MakeCursor(from, fingerprint);
  return page;
}

}  // namespace internal
}  // namespace convey
