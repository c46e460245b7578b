// Loading and inspecting Corezoid scheme files (obj_scheme exports).
//
// Contract:
// - `InspectScheme` never throws and never crashes on bad input: every
//   problem is reported as a located `Diagnostic` (file, JSON path or byte
//   offset, node id where there is one, and what is wrong).
// - A scheme loads when it has no error-severity diagnostics. Warnings mark
//   things the platform would refuse to deploy but that convey still runs
//   (old exports break them), legacy spellings convey normalised, repeated
//   keys with the same value, and the project variables
//   (`{{env_var[@NAME]}}`) a process reads: none is set when inspecting.
// - Memory use is proportional to the input size; the importer keeps no
//   state between calls. All functions are thread-safe (no shared state).
#ifndef CONVEY_SCHEME_H_
#define CONVEY_SCHEME_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convey/limits.h"

namespace convey {

struct Diagnostic {
  enum class Severity { kWarning, kError };

  Severity severity = Severity::kError;
  std::string file;
  // Where in the file: a JSON path such as
  // `[0].scheme.nodes[3].condition.logics[1]`, `$` for the whole document,
  // or `byte 491 (line 23, column 3)` for syntax errors.
  std::string location;
  std::string node_id;  // the node concerned, if any
  std::string message;

  bool is_error() const { return severity == Severity::kError; }
  // "FILE: LOCATION: MESSAGE", with ` (node "ID")` appended when there is one.
  std::string ToString() const;
};

struct UnsupportedNode {
  std::string node_id;
  std::string title;
  // The types it holds that have no factory in LogicRegistry::Global().
  std::vector<std::string> logic_types;
};

struct ProcessSummary {
  int64_t conv_id = 0;
  bool synthetic_conv_id = false;  // the file gave no obj_id
  std::string title;
  std::string conv_type;  // "process", "state" or "escalation"
  std::string status;     // "active", "paused", ...
  int node_count = 0;
  std::map<std::string, int> logic_counts;      // by platform type name
  std::map<std::string, int> semaphore_counts;  // "time", "count"
  std::vector<UnsupportedNode> unsupported_nodes;
};

struct SchemeReport {
  std::string file;
  std::vector<ProcessSummary> processes;
  std::vector<Diagnostic> warnings;
  std::vector<Diagnostic> errors;
  // Diagnostics beyond the importer's cap (ImportLimits::max_diagnostics)
  // are counted here but not kept.
  size_t dropped_diagnostics = 0;

  bool ok() const { return errors.empty(); }
};

// Imports `json` (the bytes of a scheme file; `file_name` is used in
// messages only) and summarises it.
SchemeReport InspectScheme(absl::string_view file_name, absl::string_view json,
                           const ImportLimits& limits = {});

// Reads and inspects a file. Only I/O failures are returned as a status
// (NotFound, PermissionDenied, ...); scheme problems are in the report.
absl::StatusOr<SchemeReport> InspectSchemeFile(const std::string& path,
                                               const ImportLimits& limits = {});

}  // namespace convey

#endif  // CONVEY_SCHEME_H_
