// convey/scheme.h: scheme inspection on top of the importer.
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "convey/logic.h"
#include "convey/scheme.h"
#include "runtime/import/importer.h"
#include "runtime/import/scheme_file.h"

namespace convey {
namespace {

std::string StatusName(schema::ProcessStatus status) {
  switch (status) {
    case schema::PROCESS_STATUS_PAUSED:
      return "paused";
    case schema::PROCESS_STATUS_DELETED:
      return "deleted";
    case schema::PROCESS_STATUS_BLOCKED:
      return "blocked";
    case schema::PROCESS_STATUS_DEBUG:
      return "debug";
    default:
      return "active";
  }
}

std::string ConvTypeName(schema::ConvType type) {
  switch (type) {
    case schema::CONV_TYPE_STATE:
      return "state";
    case schema::CONV_TYPE_ESCALATION:
      return "escalation";
    default:
      return "process";
  }
}

ProcessSummary Summarise(const schema::Process& process) {
  ProcessSummary summary;
  summary.conv_id = process.conv_id();
  summary.synthetic_conv_id = process.synthetic_conv_id();
  summary.title = process.title();
  summary.conv_type = ConvTypeName(process.conv_type());
  summary.status = StatusName(process.status());
  summary.node_count = process.nodes_size();
  for (const schema::Node& node : process.nodes()) {
    UnsupportedNode unsupported;
    for (const schema::Logic& logic : node.logics()) {
      const std::string type(internal::LogicTypeName(logic));
      ++summary.logic_counts[type];
      // Unsupported: no factory in the registry engines use by default
      // (types the importer cannot read at all have none either).
      if (LogicRegistry::Global().Find(type) == nullptr) {
        unsupported.logic_types.push_back(type);
      }
    }
    for (const schema::Semaphore& semaphore : node.semaphores()) {
      ++summary.semaphore_counts[semaphore.has_time() ? "time" : "count"];
    }
    if (!unsupported.logic_types.empty()) {
      unsupported.node_id = node.id();
      unsupported.title = node.title();
      summary.unsupported_nodes.push_back(std::move(unsupported));
    }
  }
  return summary;
}

}  // namespace

SchemeReport InspectScheme(absl::string_view file_name, absl::string_view json,
                           const ImportLimits& limits) {
  internal::ImportResult imported =
      internal::ImportScheme(file_name, json, limits);
  SchemeReport report;
  report.file = std::string(file_name);
  report.dropped_diagnostics = imported.dropped_diagnostics;
  for (Diagnostic& diagnostic : imported.diagnostics) {
    (diagnostic.is_error() ? report.errors : report.warnings)
        .push_back(std::move(diagnostic));
  }
  for (const schema::Process& process : imported.scheme().processes()) {
    report.processes.push_back(Summarise(process));
  }
  return report;
}

absl::StatusOr<SchemeReport> InspectSchemeFile(const std::string& path,
                                               const ImportLimits& limits) {
  absl::StatusOr<std::string> contents = internal::ReadSchemeFile(path);
  if (!contents.ok()) return contents.status();
  return InspectScheme(path, *contents, limits);
}

}  // namespace convey
