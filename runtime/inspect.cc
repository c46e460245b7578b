// convey/scheme.h: scheme inspection on top of the importer.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "convey/logic.h"
#include "convey/scheme.h"
#include "runtime/base/status_macros.h"
#include "runtime/engine/process.h"
#include "runtime/engine/variables.h"
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
      const std::string& type = logic.type();
      ++summary.logic_counts[type];
      // Unsupported: no factory in the registry engines use by default.
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
  internal::ImportResult imported = internal::ImportScheme(file_name, json, limits);
  SchemeReport report;
  report.file = std::string(file_name);
  report.dropped_diagnostics = imported.dropped_diagnostics;
  for (Diagnostic& diagnostic : imported.diagnostics) {
    (diagnostic.is_error() ? report.errors : report.warnings).push_back(std::move(diagnostic));
  }
  for (const schema::Process& process : imported.scheme().processes()) {
    report.processes.push_back(Summarise(process));
  }
  if (!imported.ok()) return report;
  // The project variables each process reads, found the way deploy finds
  // them (in the compiled templates); inspect has none set, so each is
  // the warning a deploy without it gives.
  absl::StatusOr<std::unique_ptr<internal::ProjectVariables>> none =
      internal::ProjectVariables::Create({}, nullptr);
  internal::CompileOptions compile;
  compile.validate_only = true;
  compile.warn_unsupported = false;  // listed in the summary
  for (const schema::Process& process : imported.scheme().processes()) {
    // What the importer leaves to deploy: each logic's configuration, read
    // by its factory, and the nodes no link reaches.
    std::vector<Diagnostic> diagnostics;
    absl::StatusOr<std::unique_ptr<internal::CompiledProcess>> compiled = internal::CompileProcess(
        file_name, process, LogicRegistry::Global(), compile, &diagnostics);
    for (Diagnostic& diagnostic : diagnostics) {
      (diagnostic.is_error() ? report.errors : report.warnings).push_back(std::move(diagnostic));
    }
    if (!compiled.ok()) {
      if (!diagnostics.empty()) continue;
      // Not located by the compiler (a process with no start node).
      Diagnostic error;
      error.severity = Diagnostic::Severity::kError;
      error.file = std::string(file_name);
      error.location = absl::StrCat("process ", process.conv_id());
      absl::string_view message = compiled.status().message();
      absl::ConsumePrefix(&message, absl::StrCat(file_name, ": "));
      absl::ConsumePrefix(&message, absl::StrCat(error.location, " "));
      error.message = std::string(message);
      report.errors.push_back(std::move(error));
      continue;
    }
    if (!none.ok()) continue;
    for (Diagnostic& warning : internal::UnsetVariableWarnings(file_name, **compiled, **none)) {
      report.warnings.push_back(std::move(warning));
    }
  }
  return report;
}

absl::StatusOr<SchemeReport> InspectSchemeFile(const std::string& path,
                                               const ImportLimits& limits) {
  CONVEY_ASSIGN_OR_RETURN(std::string contents,
                          internal::ReadSchemeFile(path, limits.max_file_size));
  return InspectScheme(path, contents, limits);
}

}  // namespace convey
