// Reading the engine's counters into EngineStats / ProcessStats (see
// statistics.h; no locks).
#include "runtime/engine/statistics.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace convey {
namespace internal {

void Statistics::ReadTaskCounts(EngineStats* stats) const {
  stats->tasks_created = created_.load(std::memory_order_relaxed);
  stats->tasks_finished = finished_.Read();
  stats->tasks_errored = errored_.Read();
  stats->tasks_loop_stopped = loop_stopped_.Read();
  stats->tasks_recovered = recovered_.load(std::memory_order_relaxed);
}

ProcessStats Statistics::Of(const CompiledProcess& process) {
  ProcessStats stats;
  stats.conv_id = process.conv_id;
  stats.title = process.title;
  stats.paused =
      process.control != nullptr && process.control->paused.load(std::memory_order_acquire);
  stats.created = process.nodes[process.start].counters->created.Read();
  for (const CompiledNode& node : process.nodes) {
    NodeStats n;
    n.node_id = node.id;
    n.title = node.title;
    n.is_final = node.is_final;
    const NodeCounters& c = *node.counters;
    n.tasks = process.node_tasks->Read(node.index);
    n.finished = c.finished.Read();
    n.callback = c.callback.load(std::memory_order_relaxed);
    n.reply = c.reply.load(std::memory_order_relaxed);
    n.queue = c.queue.load(std::memory_order_relaxed);
    n.http = c.http.load(std::memory_order_relaxed);
    n.timer = c.timer.load(std::memory_order_relaxed);
    n.no_exit = c.no_exit.load(std::memory_order_relaxed);
    n.error = c.error.load(std::memory_order_relaxed);
    n.loop_stopped = c.loop_stopped.load(std::memory_order_relaxed);
    n.paused = c.paused.load(std::memory_order_relaxed);
    n.scheduled = c.scheduled.load(std::memory_order_relaxed);
    for (const auto& sum : node.sums) n.sums.push_back({sum->id(), sum->name(), sum->Read()});
    stats.nodes.push_back(std::move(n));
  }
  return stats;
}

absl::Status Statistics::ResetSum(const CompiledProcess& process, absl::string_view node_id,
                                  absl::string_view sum_id) {
  const CompiledNode* node = process.FindNode(node_id);
  if (node == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("process ", process.conv_id, " has no node \"", node_id, "\""));
  }
  SumAccumulator* sum = node->FindSum(sum_id);
  if (sum == nullptr) {
    return absl::NotFoundError(absl::StrCat("node \"", node_id, "\" has no sum \"", sum_id, "\""));
  }
  sum->Reset();
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace convey
