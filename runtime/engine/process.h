// A deployed process: nodes with their compiled logics, live counters and
// sum accumulators. Built once at deploy and immutable afterwards except for
// the atomic counters, which workers update without locks.
#ifndef CONVEY_RUNTIME_ENGINE_PROCESS_H_
#define CONVEY_RUNTIME_ENGINE_PROCESS_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "convey/logic.h"
#include "convey/scheme.h"
#include "runtime/engine/process_control.h"
#include "runtime/template/template.h"
#include "schema/process.pb.h"

namespace convey {
namespace internal {

// A double accumulator split into cache-line-sized stripes (one per worker,
// plus one shared by other threads) so concurrent adds do not contend.
class SumAccumulator {
 public:
  SumAccumulator(std::string id, std::string name, int stripes);
  // False, with the sum unchanged, when the stripe or the total would pass
  // the largest double.
  bool Add(double amount, int stripe);
  double Read() const;
  void Reset();
  const std::string& id() const { return id_; }
  const std::string& name() const { return name_; }
  // With a durable store: where its total is kept (SumKey); set when the
  // process gets its catalog version.
  const std::string& store_key() const { return store_key_; }
  void set_store_key(std::string key) { store_key_ = std::move(key); }

 private:
  long double ReadWide() const;
  struct alignas(64) Stripe {
    std::atomic<double> value{0};
  };
  std::string id_;
  std::string name_;
  std::string store_key_;
  std::unique_ptr<Stripe[]> stripes_;
  int count_;
};

// A count split into cache-line stripes: stripe i (< stripes-1) belongs to
// worker i, which updates it with a plain load and store; the last stripe is
// shared by every other thread. Reading sums the stripes.
class StripedCounter {
 public:
  explicit StripedCounter(int stripes) : stripes_(new Stripe[stripes]), count_(stripes) {}
  void AddOwned(int64_t delta, int worker) {
    std::atomic<int64_t>& slot = stripes_[worker].value;
    slot.store(slot.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
  }
  void AddShared(int64_t delta) {
    stripes_[count_ - 1].value.fetch_add(delta, std::memory_order_relaxed);
  }
  int64_t Read() const {
    int64_t total = 0;
    for (int i = 0; i < count_; ++i) total += stripes_[i].value.load(std::memory_order_relaxed);
    return total;
  }

 private:
  struct alignas(64) Stripe {
    std::atomic<int64_t> value{0};
  };
  std::unique_ptr<Stripe[]> stripes_;
  int count_;
};

// The tasks in each node of a process (final nodes count none): row i
// (< stripes-1) belongs to worker i, which updates it with a plain load and
// store; the last row is shared by every other thread. A row holds one word
// per node, side by side, so a run of transitions touches a few cache lines
// of its worker's row instead of a line per node, and a process holds 8
// bytes per node and row instead of a 64-byte stripe (13.6 k nodes: 2.6 MB
// less). Rows never share a line. Reading sums the node's column.
class NodeTaskCounts {
 public:
  NodeTaskCounts(int stripes, size_t nodes)
      : lines_per_row_((nodes + kPerLine - 1) / kPerLine),
        stripes_(stripes),
        lines_(new Line[static_cast<size_t>(stripes) * lines_per_row_]) {}
  void AddOwned(uint32_t node, int64_t delta, int worker) {
    std::atomic<int64_t>& slot = At(worker, node);
    slot.store(slot.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
  }
  void AddShared(uint32_t node, int64_t delta) {
    At(stripes_ - 1, node).fetch_add(delta, std::memory_order_relaxed);
  }
  int64_t Read(uint32_t node) const {
    int64_t total = 0;
    for (int row = 0; row < stripes_; ++row) {
      total += At(row, node).load(std::memory_order_relaxed);
    }
    return total;
  }

 private:
  static constexpr size_t kPerLine = 8;
  struct alignas(64) Line {
    std::atomic<int64_t> words[kPerLine] = {};
  };
  std::atomic<int64_t>& At(int row, uint32_t node) const {
    return lines_[static_cast<size_t>(row) * lines_per_row_ + node / kPerLine]
        .words[node % kPerLine];
  }
  size_t lines_per_row_;
  int stripes_;
  std::unique_ptr<Line[]> lines_;
};

// Per-node counters. `finished` changes on every task's end, so it is
// striped per worker (the tasks in a node are in
// CompiledProcess::node_tasks); the park counters change only when a task
// parks or resumes.
struct NodeCounters {
  explicit NodeCounters(int stripes) : finished(stripes), created(stripes) {}
  StripedCounter finished;  // final nodes: tasks that ended here
  StripedCounter created;   // the start node: tasks created in the process
  // Tasks here that are not moving, per reason.
  std::atomic<int64_t> callback{0};
  std::atomic<int64_t> reply{0};
  std::atomic<int64_t> queue{0};
  std::atomic<int64_t> http{0};
  std::atomic<int64_t> timer{0};
  std::atomic<int64_t> no_exit{0};
  std::atomic<int64_t> error{0};
  std::atomic<int64_t> loop_stopped{0};
  std::atomic<int64_t> paused{0};
  std::atomic<int64_t> scheduled{0};
  // Count semaphore: true from when the live count reached the threshold
  // until it fell below again (edge-triggered signals).
  std::atomic<bool> count_alerted{false};
};

// The tasks waiting in a queue node (api_queue), oldest first. Entries of
// tasks that left since (a timer fired, a delete) are skipped when taken.
struct NodeQueue {
  struct Entry {
    std::string obj_id;
    uint64_t entry_seq = 0;
    std::string extra_json;
    uint64_t seq = 0;  // with a store: its place in arrival order (recovery)
  };
  std::mutex mu;
  std::deque<Entry> entries;  // guarded by mu
};

// Longer timers are cut to this (100 years): a 172800-day delay or an
// absolute time of 10^18 must not overflow into "fire now".
constexpr int64_t kMaxTimerMicros = int64_t{100} * 365 * 86400 * 1000000;

// The node's `time` semaphore (Part A6).
struct TimeSemaphore {
  int64_t relative_micros = -1;        // >= 0: after entry
  const Template* absolute = nullptr;  // else: a unix time from a template
  uint32_t target = 0;
};

// The node's `count` semaphore.
struct CountSemaphore {
  int64_t threshold = 0;  // 0: none
  uint32_t target = 0;
};

struct CompiledNode {
  uint32_t index = 0;  // in CompiledProcess::nodes
  std::string id;
  std::string title;
  schema::NodeKind kind = schema::NODE_KIND_NORMAL;
  std::string location;  // its JSON path in the file
  bool is_final = false;
  bool save_task = true;  // final nodes: archive (true) or drop the task
  std::vector<std::unique_ptr<Logic>> logics;
  std::vector<std::unique_ptr<SumAccumulator>> sums;
  std::unique_ptr<NodeCounters> counters;
  std::unique_ptr<TimeSemaphore> time;  // null: none
  CountSemaphore count;
  std::unique_ptr<NodeQueue> queue;  // null: no api_queue logic here

  // The accumulator with this id, else with this name; null if none.
  SumAccumulator* FindSum(absl::string_view id_or_name) const;
};

struct CompiledProcess {
  int64_t conv_id = 0;
  // With a durable store: the catalog version of the scheme file it came
  // from (tasks record it, and recover onto it); 0 without a store.
  uint64_t version = 0;
  std::string file;  // the scheme file it came from, for messages
  std::string title;
  schema::ConvType conv_type = schema::CONV_TYPE_PROCESS;
  std::vector<CompiledNode> nodes;
  // The tasks in each node (by index); made with `nodes`.
  std::unique_ptr<NodeTaskCounts> node_tasks;
  uint32_t start = 0;
  absl::flat_hash_map<std::string, uint32_t> node_by_id;
  std::vector<std::unique_ptr<Template>> templates;
  // Constant conv_ids its logics send tasks to (LogicBuilder::ReferenceProcess).
  std::vector<std::pair<std::string, int64_t>> references;  // (node id, conv_id)
  // Project variables its templates read (Template::env_var_names), in
  // compile order: (node id, name as written).
  std::vector<std::pair<std::string, std::string>> variables;
  // Tasks that api_copy and api_rpc started here and that are still in the
  // engine: not finished, not deleted (EngineOptions::max_caused_tasks_per_process).
  std::unique_ptr<std::atomic<int64_t>> caused_live = std::make_unique<std::atomic<int64_t>>(0);
  // Its conv_id's task log and pause state, shared by every version; set
  // when it is installed.
  std::shared_ptr<ProcessControl> control;
  // The file says `status: paused`: deploying it pauses the process.
  bool paused_in_file = false;
  bool is_state_diagram() const { return conv_type == schema::CONV_TYPE_STATE; }

  const CompiledNode* FindNode(absl::string_view id) const;
};

struct CompileOptions {
  int sum_stripes = 1;  // the engine's workers + 1
  CodeLimits code_limits;
  // `convey inspect`: factories check and the result is thrown away.
  bool validate_only = false;
  // Warn about each logic type with no factory (inspect lists them apart).
  bool warn_unsupported = true;
  // Diagnostics kept per process, as ImportLimits::max_diagnostics.
  size_t max_diagnostics = 1000;
};

// Compiles one imported process: each logic's factory in `registry` reads
// its configuration (convey/logic.h), then nodes no link reaches are
// warned about. A logic type with no factory compiles to one that fails
// tasks with `logic_not_supported` (Part A1). Every problem is a located
// Diagnostic appended to `diagnostics`; when some is an error, the result
// is InvalidArgument listing the errors ("FILE: LOCATION: MESSAGE (node
// "ID")", one a line).
absl::StatusOr<std::unique_ptr<CompiledProcess>> CompileProcess(
    absl::string_view file_name, const schema::Process& process, const LogicRegistry& registry,
    const CompileOptions& options, std::vector<Diagnostic>* diagnostics);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_ENGINE_PROCESS_H_
