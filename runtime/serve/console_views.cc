#include "runtime/serve/console_views.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "runtime/draw/process_svg.h"
#include "runtime/import/importer.h"
#include "runtime/json/json_writer.h"

namespace convey::serve {
namespace {

using internal::JsonWriter;

// A process's totals, summed over its nodes.
struct Totals {
  int64_t in_nodes = 0;  // tasks in a node now (not final)
  int64_t waiting = 0;   // of those, parked waiting for something
  int64_t finished = 0;  // ended in a final node
  int64_t errors = 0;    // stopped by an error or the loop guard
  int64_t held = 0;      // held by a pause
};

Totals Sum(const ProcessStats& process) {
  Totals totals;
  for (const NodeStats& node : process.nodes) {
    if (!node.is_final) totals.in_nodes += node.tasks;
    totals.finished += node.finished;
    totals.waiting +=
        node.callback + node.reply + node.queue + node.http + node.timer + node.scheduled;
    totals.errors += node.error + node.loop_stopped;
    totals.held += node.paused;
  }
  return totals;
}

void WriteSummary(const ProcessStats& process, const ProcessCatalog& catalog, JsonWriter& out) {
  const Totals totals = Sum(process);
  out.Key("conv_id")
      .Int(process.conv_id)
      .Key("title")
      .String(process.title)
      .Key("paused")
      .Bool(process.paused)
      .Key("deleted")
      .Bool(catalog.IsDeleted(process.conv_id))
      .Key("created")
      .Int(process.created)
      .Key("in_nodes")
      .Int(totals.in_nodes)
      .Key("waiting")
      .Int(totals.waiting)
      .Key("finished")
      .Int(totals.finished)
      .Key("errors")
      .Int(totals.errors)
      .Key("held")
      .Int(totals.held)
      .Key("node_count")
      .Int(static_cast<int64_t>(process.nodes.size()));
}

void WriteParked(const NodeStats& node, JsonWriter& out) {
  const std::pair<const char*, int64_t> reasons[] = {
      {"callback", node.callback}, {"reply", node.reply},
      {"queue", node.queue},       {"http", node.http},
      {"timer", node.timer},       {"no_exit", node.no_exit},
      {"error", node.error},       {"loop_stopped", node.loop_stopped},
      {"paused", node.paused},     {"scheduled", node.scheduled},
  };
  out.Key("parked").BeginObject();
  for (const auto& [name, count] : reasons) {
    if (count != 0) out.Key(name).Int(count);
  }
  out.EndObject();
}

void WriteStringOrNull(JsonWriter& out, absl::string_view key, absl::string_view value) {
  out.Key(key);
  if (value.empty()) {
    out.Null();
  } else {
    out.String(value);
  }
}

absl::flat_hash_map<std::string, std::string> NodeTitles(const ProcessStats& process) {
  absl::flat_hash_map<std::string, std::string> titles;
  for (const NodeStats& node : process.nodes) titles[node.node_id] = node.title;
  return titles;
}

}  // namespace

int64_t NodeCount(const NodeStats& node) { return node.is_final ? node.finished : node.tasks; }

std::string ConsoleTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
}

std::string ProcessesJson(Engine& engine, const ProcessCatalog& catalog) {
  const EngineStats stats = engine.Stats();
  JsonWriter out;
  out.BeginObject().Key("processes").BeginArray();
  for (const ProcessStats& process : stats.processes) {
    out.BeginObject();
    WriteSummary(process, catalog, out);
    out.EndObject();
  }
  out.EndArray()
      .Key("engine")
      .BeginObject()
      .Key("tasks_created")
      .Int(stats.tasks_created)
      .Key("tasks_finished")
      .Int(stats.tasks_finished)
      .Key("tasks_queued")
      .Int(stats.tasks_queued)
      .Key("timers_pending")
      .Int(stats.timers_pending)
      .EndObject()
      .EndObject();
  return out.Release();
}

absl::StatusOr<std::string> ProcessJson(Engine& engine, const ProcessCatalog& catalog,
                                        int64_t conv_id) {
  absl::StatusOr<ProcessStats> process = engine.StatsFor(conv_id);
  if (!process.ok()) return process.status();
  JsonWriter out;
  out.BeginObject();
  WriteSummary(*process, catalog, out);
  out.Key("has_picture").Bool(catalog.CommittedExport(conv_id).ok());
  out.Key("nodes").BeginArray();
  for (const NodeStats& node : process->nodes) {
    out.BeginObject()
        .Key("node_id")
        .String(node.node_id)
        .Key("title")
        .String(node.title)
        .Key("final")
        .Bool(node.is_final)
        .Key("count")
        .Int(NodeCount(node))
        .Key("tasks")
        .Int(node.tasks)
        .Key("finished")
        .Int(node.finished);
    WriteParked(node, out);
    out.EndObject();
  }
  out.EndArray().EndObject();
  return out.Release();
}

absl::StatusOr<std::string> ProcessSvg(Engine& engine, const ProcessCatalog& catalog,
                                       int64_t conv_id) {
  absl::StatusOr<std::string> exported = catalog.CommittedExport(conv_id);
  if (!exported.ok()) return exported.status();
  absl::StatusOr<ProcessStats> stats = engine.StatsFor(conv_id);
  if (!stats.ok()) return stats.status();
  // The export was deployed once, so it imports; a picture needs no logic
  // compiled.
  const internal::ImportResult imported =
      internal::ImportScheme(absl::StrCat("conv_", conv_id, ".json"), *exported);
  for (const schema::Process& process : imported.scheme().processes()) {
    if (process.conv_id() != conv_id) continue;
    internal::ProcessSvgOptions options;
    options.counts.emplace();
    for (const NodeStats& node : stats->nodes) (*options.counts)[node.node_id] = NodeCount(node);
    options.id_prefix = absl::StrCat("p", conv_id, "-");
    return internal::RenderProcessSvg(process, options);
  }
  return absl::NotFoundError(absl::StrCat("the export of process ", conv_id, " does not load"));
}

absl::StatusOr<std::string> TasksJson(Engine& engine, const ConsoleTaskQuery& query) {
  TaskQuery search;
  search.conv_id = query.conv_id;
  search.node_id = query.node_id;
  search.ref_prefix = query.ref_prefix;
  search.cursor = query.cursor;
  search.descending = true;
  std::vector<TaskSnapshot> tasks;
  std::string next_cursor;
  // Each call examines at most max_scanned tasks of the process; a page of
  // a node holding few of many tasks takes several. Bounded: past 20 calls
  // the page is answered short, with its cursor.
  for (int call = 0; call < 20; ++call) {
    search.limit = query.limit - tasks.size();
    absl::StatusOr<TaskPage> page = engine.SearchTasks(search);
    if (!page.ok()) return page.status();
    for (TaskSnapshot& task : page->tasks) tasks.push_back(std::move(task));
    next_cursor = std::move(page->next_cursor);
    if (next_cursor.empty() || tasks.size() >= query.limit) break;
    search.cursor = next_cursor;
  }
  JsonWriter out;
  out.BeginObject().Key("conv_id").Int(query.conv_id);
  WriteStringOrNull(out, "node_id", query.node_id);
  out.Key("tasks").BeginArray();
  for (const TaskSnapshot& task : tasks) {
    out.BeginObject().Key("obj_id").String(task.obj_id);
    WriteStringOrNull(out, "ref", task.ref);
    out.Key("status")
        .String(TaskStatusName(task.status))
        .Key("park_reason")
        .String(ParkReasonName(task.park_reason))
        .Key("node_id")
        .String(task.node_id)
        .Key("node_title")
        .String(task.node_title)
        .Key("create_time")
        .String(ConsoleTime(task.create_time))
        .Key("change_time")
        .String(ConsoleTime(task.change_time))
        .EndObject();
  }
  out.EndArray();
  WriteStringOrNull(out, "next_cursor", next_cursor);
  out.EndObject();
  return out.Release();
}

absl::StatusOr<std::string> TaskJson(Engine& engine, absl::string_view obj_id) {
  const TaskKey key = TaskKey::ByObjId(std::string(obj_id));
  absl::StatusOr<TaskSnapshot> task = engine.ShowTask(key);
  if (!task.ok()) return task.status();
  absl::StatusOr<TaskHistory> history = engine.GetTaskHistory(key);
  if (!history.ok()) history = TaskHistory{};  // an engine that keeps none
  absl::StatusOr<ProcessStats> process = engine.StatsFor(task->conv_id);
  const ProcessStats none{};
  const ProcessStats& nodes = process.ok() ? *process : none;
  const auto titles = NodeTitles(nodes);

  JsonWriter out;
  out.BeginObject().Key("obj_id").String(task->obj_id);
  WriteStringOrNull(out, "ref", task->ref);
  out.Key("conv_id")
      .Int(task->conv_id)
      .Key("process_title")
      .String(nodes.title)
      .Key("status")
      .String(TaskStatusName(task->status))
      .Key("park_reason")
      .String(ParkReasonName(task->park_reason))
      .Key("node_id")
      .String(task->node_id)
      .Key("node_title")
      .String(task->node_title);
  WriteStringOrNull(out, "node_prev_id", task->node_prev_id);
  out.Key("create_time")
      .String(ConsoleTime(task->create_time))
      .Key("change_time")
      .String(ConsoleTime(task->change_time))
      .Key("data")
      .Raw(task->data.empty() ? "{}" : task->data)
      // The same as text, for the page to indent without rounding numbers.
      .Key("data_text")
      .String(task->data.empty() ? "{}" : task->data)
      .Key("history")
      .BeginArray();
  for (const TaskHistoryEntry& entry : history->entries) {
    out.BeginObject().Key("time").String(ConsoleTime(entry.time)).Key("kind").String(entry.kind);
    WriteStringOrNull(out, "node_id", entry.node_id);
    auto title = titles.find(entry.node_id);
    WriteStringOrNull(out, "node_title", title == titles.end() ? "" : title->second);
    WriteStringOrNull(out, "text", entry.text);
    out.EndObject();
  }
  out.EndArray().Key("history_dropped").Int(static_cast<int64_t>(history->dropped));
  out.Key("nodes").BeginArray();
  for (const NodeStats& node : nodes.nodes) {
    out.BeginObject()
        .Key("node_id")
        .String(node.node_id)
        .Key("title")
        .String(node.title)
        .Key("final")
        .Bool(node.is_final)
        .EndObject();
  }
  out.EndArray().EndObject();
  return out.Release();
}

}  // namespace convey::serve
