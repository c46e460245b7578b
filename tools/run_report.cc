// The run's summary as text and as JSON (run_report.h).
#include "tools/run_report.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "runtime/base/quote.h"
#include "runtime/json/json_writer.h"

namespace convey {
namespace tools {
namespace {

using internal::JsonWriter;

// "12", "0.5", "1234567.25": integers without a fraction, others with as
// many digits as they need (up to 15 significant).
std::string FormatNumber(double value) {
  if (std::isfinite(value) && std::fabs(value) < 1e15 && value == std::floor(value)) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  return absl::StrFormat("%.15g", value);
}

// "12.345 s", or "0.268 ms" for runs shorter than a second.
std::string FormatElapsed(absl::Duration elapsed) {
  if (elapsed < absl::Seconds(1)) {
    return absl::StrFormat("%.3f ms", absl::ToDoubleMilliseconds(elapsed));
  }
  return absl::StrFormat("%.3f s", absl::ToDoubleSeconds(elapsed));
}

// "30d 0h 0m 0s", "0d 0h 0m 1.004s": days and hours read better than
// absl::FormatDuration's "720h" for the spans timers cover.
std::string FormatClockTime(absl::Duration time) {
  const int64_t total_ms = std::max<int64_t>(0, absl::ToInt64Milliseconds(time));
  const int64_t seconds = total_ms / 1000 % 60;
  const int64_t millis = total_ms % 1000;
  return absl::StrCat(
      total_ms / 86400000, "d ", total_ms / 3600000 % 24, "h ", total_ms / 60000 % 60, "m ",
      millis == 0 ? absl::StrCat(seconds) : absl::StrFormat("%d.%03d", seconds, millis), "s");
}

std::string NodeLabel(const NodeStats& node) {
  return internal::EscapeControl(node.title.empty() ? absl::StrCat("node ", node.node_id)
                                                    : node.title);
}

// With the id too: for nodes tasks wait in (titles repeat: "Wait",
// "Delay"), and for final nodes that share a title.
std::string WaitingLabel(const NodeStats& node) {
  return node.title.empty()
             ? NodeLabel(node)
             : internal::EscapeControl(absl::StrCat(node.title, " [", node.node_id, "]"));
}

// Why the tasks of a node are not moving, in the order they are printed.
std::vector<std::pair<const char*, int64_t>> ParkedCounts(const NodeStats& node) {
  return {{"callback", node.callback}, {"reply", node.reply},
          {"queue", node.queue},       {"http", node.http},
          {"timer", node.timer},       {"no_exit", node.no_exit},
          {"error", node.error},       {"loop_stopped", node.loop_stopped}};
}

// Tasks in the node that no reason accounts for: queued or moving (after a
// timeout). The engine counts a task stopped on an empty link as `error`.
int64_t OtherTasks(const NodeStats& node) {
  int64_t other = node.tasks;
  for (const auto& [name, n] : ParkedCounts(node)) other -= n;
  return std::max<int64_t>(0, other);
}

bool HasActivity(const ProcessStats& process) {
  for (const NodeStats& node : process.nodes) {
    if (node.finished > 0 || (!node.is_final && node.tasks > 0)) return true;
    for (const SumStats& sum : node.sums) {
      if (sum.value != 0) return true;
    }
  }
  return false;
}

double PerSecond(int64_t count, absl::Duration elapsed) {
  const double seconds = absl::ToDoubleSeconds(elapsed);
  return seconds > 0 ? static_cast<double>(count) / seconds : 0;
}

std::string SumLabel(const SumStats& sum) {
  if (sum.id.empty() || sum.id == sum.name) return internal::EscapeControl(sum.name);
  if (sum.name.empty()) return internal::EscapeControl(sum.id);
  return internal::EscapeControl(absl::StrCat(sum.name, " (id ", sum.id, ")"));
}

}  // namespace

void ChooseReportedProcesses(const std::map<int64_t, std::string>& deployed, RunSummary* summary) {
  for (const ProcessStats& process : summary->stats.processes) {
    if (process.conv_id == summary->conv_id) {
      summary->title = process.title;
      summary->processes.insert(summary->processes.begin(), &process);
    } else if (deployed.count(process.conv_id) > 0 && HasActivity(process)) {
      summary->processes.push_back(&process);
    }
  }
}

void PrintSummaryText(const RunSummary& summary, std::ostream& out) {
  const auto count = [](int64_t n) { return absl::StrFormat("%10d", n); };
  for (const ProcessStats* process : summary.processes) {
    out << "process " << process->conv_id << " " << internal::Quote(process->title, 200);
    if (process->conv_id == summary.conv_id) {
      out << ": " << summary.tasks_created << " task" << (summary.tasks_created == 1 ? "" : "s")
          << " created";
    } else {
      out << ": reached by tasks of other processes";
    }
    out << "\n";
    bool header = false;
    // Final nodes sharing a title ("Final", "Error") are told apart by id.
    std::map<std::string, int> final_titles;
    for (const NodeStats& node : process->nodes) {
      if (node.is_final) ++final_titles[node.title];
    }
    for (const NodeStats& node : process->nodes) {
      if (!node.is_final || node.finished == 0) continue;
      if (!header) out << "  finished:\n";
      header = true;
      out << count(node.finished) << "  "
          << (final_titles[node.title] > 1 ? WaitingLabel(node) : NodeLabel(node)) << "\n";
    }
    header = false;
    for (const NodeStats& node : process->nodes) {
      if (node.is_final || node.tasks == 0) continue;
      if (!header) out << "  still in a node:\n";
      header = true;
      std::vector<std::string> reasons;
      for (const auto& [name, n] : ParkedCounts(node)) {
        if (n > 0) reasons.push_back(absl::StrCat(n, " ", name));
      }
      if (const int64_t other = OtherTasks(node); other > 0) {
        reasons.push_back(absl::StrCat(other, " other"));
      }
      out << count(node.tasks) << "  " << WaitingLabel(node) << " (" << absl::StrJoin(reasons, ", ")
          << ")\n";
    }
    header = false;
    for (const NodeStats& node : process->nodes) {
      for (const SumStats& sum : node.sums) {
        if (!header) out << "  sums:\n";
        header = true;
        out << "    " << NodeLabel(node) << ": " << SumLabel(sum) << " = "
            << FormatNumber(sum.value) << "\n";
      }
    }
  }
  out << "errors: " << summary.input_errors << " input, " << summary.stats.tasks_errored
      << " tasks stopped by an error, " << summary.stats.tasks_loop_stopped
      << " by the loop guard\n";
  out << ClockName(summary.clock) << " time: " << FormatClockTime(summary.clock_time)
      << " (timers: " << summary.stats.timers_fired << " fired, " << summary.stats.timers_pending
      << " pending)\n";
  out << "elapsed " << FormatElapsed(summary.elapsed) << ": "
      << absl::StrFormat("%.0f", PerSecond(summary.tasks_created, summary.elapsed)) << " tasks/s, "
      << absl::StrFormat("%.0f", PerSecond(summary.stats.node_transitions, summary.elapsed))
      << " node transitions/s" << (summary.timed_out ? " (timed out)" : "") << "\n";
}

void PrintSummaryJson(const RunSummary& summary, std::ostream& out) {
  JsonWriter json;
  json.BeginObject().Key("file").String(summary.file).Key("files").BeginArray();
  for (const std::string& file : summary.files) json.String(file);
  json.EndArray()
      .Key("conv_id")
      .Int(summary.conv_id)
      .Key("title")
      .String(summary.title)
      .Key("tasks_created")
      .Int(summary.tasks_created)
      .Key("input_errors")
      .Int(summary.input_errors)
      .Key("deploy_warnings")
      .Int(static_cast<int64_t>(summary.deploy_warnings))
      .Key("unresolved_references")
      .Int(static_cast<int64_t>(summary.unresolved_references))
      .Key("timed_out")
      .Bool(summary.timed_out)
      .Key("clock")
      .String(ClockName(summary.clock));
  json.Key("processes").BeginArray();
  for (const ProcessStats* process : summary.processes) {
    json.BeginObject()
        .Key("conv_id")
        .Int(process->conv_id)
        .Key("title")
        .String(process->title)
        .Key("finished")
        .BeginArray();
    for (const NodeStats& node : process->nodes) {
      if (!node.is_final || node.finished == 0) continue;
      json.BeginObject()
          .Key("node_id")
          .String(node.node_id)
          .Key("title")
          .String(node.title)
          .Key("count")
          .Int(node.finished)
          .EndObject();
    }
    json.EndArray().Key("waiting").BeginArray();
    for (const NodeStats& node : process->nodes) {
      if (node.is_final || node.tasks == 0) continue;
      json.BeginObject()
          .Key("node_id")
          .String(node.node_id)
          .Key("title")
          .String(node.title)
          .Key("tasks")
          .Int(node.tasks);
      for (const auto& [name, n] : ParkedCounts(node)) json.Key(name).Int(n);
      json.Key("other").Int(OtherTasks(node)).EndObject();
    }
    json.EndArray().Key("sums").BeginArray();
    for (const NodeStats& node : process->nodes) {
      for (const SumStats& sum : node.sums) {
        json.BeginObject()
            .Key("node_id")
            .String(node.node_id)
            .Key("node_title")
            .String(node.title)
            .Key("id")
            .String(sum.id)
            .Key("name")
            .String(sum.name)
            .Key("value")
            .Double(sum.value)
            .EndObject();
      }
    }
    json.EndArray().EndObject();
  }
  json.EndArray()
      .Key("tasks_finished")
      .Int(summary.stats.tasks_finished)
      .Key("tasks_errored")
      .Int(summary.stats.tasks_errored)
      .Key("tasks_loop_stopped")
      .Int(summary.stats.tasks_loop_stopped)
      .Key("tasks_queued")
      .Int(summary.stats.tasks_queued)
      .Key("node_transitions")
      .Int(summary.stats.node_transitions)
      .Key("timers_pending")
      .Int(summary.stats.timers_pending)
      .Key("timers_fired")
      .Int(summary.stats.timers_fired)
      .Key("clock_seconds")
      .Double(absl::ToDoubleSeconds(summary.clock_time))
      .Key("elapsed_seconds")
      .Double(absl::ToDoubleSeconds(summary.elapsed))
      .Key("tasks_per_second")
      .Double(PerSecond(summary.tasks_created, summary.elapsed))
      .Key("transitions_per_second")
      .Double(PerSecond(summary.stats.node_transitions, summary.elapsed))
      .EndObject();
  out << json.str() << "\n";
}

}  // namespace tools
}  // namespace convey
