#include "tools/inspect_command.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "convey/scheme.h"
#include "runtime/base/quote.h"
#include "runtime/json/json_writer.h"

namespace convey {
namespace tools {
namespace {

using internal::JsonWriter;

void WriteDiagnostics(const std::vector<Diagnostic>& diagnostics, JsonWriter& json) {
  json.BeginArray();
  for (const Diagnostic& diagnostic : diagnostics) {
    json.BeginObject()
        .Key("location")
        .String(diagnostic.location)
        .Key("node_id")
        .String(diagnostic.node_id)
        .Key("message")
        .String(diagnostic.message)
        .EndObject();
  }
  json.EndArray();
}

std::string ReportJson(const SchemeReport& report) {
  JsonWriter json;
  json.BeginObject().Key("file").String(report.file).Key("ok").Bool(report.ok());
  json.Key("processes").BeginArray();
  for (const ProcessSummary& process : report.processes) {
    json.BeginObject()
        .Key("conv_id")
        .Int(process.conv_id)
        .Key("synthetic_conv_id")
        .Bool(process.synthetic_conv_id)
        .Key("title")
        .String(process.title)
        .Key("conv_type")
        .String(process.conv_type)
        .Key("status")
        .String(process.status)
        .Key("node_count")
        .Int(process.node_count);
    json.Key("logic_counts").BeginObject();
    for (const auto& [type, count] : process.logic_counts) {
      json.Key(type).Int(count);
    }
    json.EndObject().Key("semaphore_counts").BeginObject();
    for (const auto& [type, count] : process.semaphore_counts) {
      json.Key(type).Int(count);
    }
    json.EndObject().Key("unsupported_nodes").BeginArray();
    for (const UnsupportedNode& node : process.unsupported_nodes) {
      json.BeginObject()
          .Key("node_id")
          .String(node.node_id)
          .Key("title")
          .String(node.title)
          .Key("logic_types")
          .BeginArray();
      for (const std::string& type : node.logic_types) json.String(type);
      json.EndArray().EndObject();
    }
    json.EndArray().EndObject();
  }
  json.EndArray().Key("warnings");
  WriteDiagnostics(report.warnings, json);
  json.Key("errors");
  WriteDiagnostics(report.errors, json);
  json.Key("dropped_diagnostics").Int(report.dropped_diagnostics);
  json.EndObject();
  return json.Release();
}

template <typename Map>
std::string JoinCounts(const Map& counts) {
  return absl::StrJoin(counts, ", ", [](std::string* out, const auto& entry) {
    absl::StrAppend(out, entry.first, " ", entry.second);
  });
}

void PrintReport(const SchemeReport& report, std::ostream& out) {
  out << report.file << ": " << (report.ok() ? "loaded" : "FAILED") << ", "
      << report.processes.size() << " process" << (report.processes.size() == 1 ? "" : "es") << ", "
      << report.warnings.size() << " warning" << (report.warnings.size() == 1 ? "" : "s") << ", "
      << report.errors.size() << " error" << (report.errors.size() == 1 ? "" : "s") << "\n";
  if (report.ok()) {
    for (const ProcessSummary& process : report.processes) {
      out << "  process " << process.conv_id << (process.synthetic_conv_id ? " (synthetic id)" : "")
          << " " << internal::Quote(process.title, 200) << " [" << process.conv_type << ", "
          << process.status << "]: " << process.node_count << " nodes\n";
      out << "    logics: "
          << (process.logic_counts.empty() ? "none" : JoinCounts(process.logic_counts)) << "\n";
      if (!process.semaphore_counts.empty()) {
        out << "    semaphores: " << JoinCounts(process.semaphore_counts) << "\n";
      }
      for (const UnsupportedNode& node : process.unsupported_nodes) {
        out << "    unsupported: node " << internal::EscapeControl(node.node_id) << " "
            << internal::Quote(node.title, 200) << " (" << absl::StrJoin(node.logic_types, ", ")
            << ")\n";
      }
    }
  }
  for (const Diagnostic& warning : report.warnings) {
    Diagnostic shown = warning;
    shown.message = "warning: " + shown.message;
    out << shown.ToString() << "\n";
  }
  for (const Diagnostic& error : report.errors) {
    out << error.ToString() << "\n";
  }
  if (report.dropped_diagnostics > 0) {
    out << report.file << ": " << report.dropped_diagnostics << " more diagnostics not shown\n";
  }
}

constexpr char kUsage[] =
    "usage: convey inspect FILE... [--json]\n"
    "  Loads each scheme file and prints its processes, warnings and errors.\n"
    "  --json  one JSON object per file (see docs/cli.md)\n"
    "  exit status: 0 every file loaded, 1 some file failed, 2 usage error\n";

}  // namespace

int RunInspect(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  bool json = false;
  std::vector<std::string> files;
  for (const std::string& arg : args) {
    if (arg == "--json") {
      json = true;
    } else if (arg == "-h" || arg == "--help") {
      out << kUsage;
      return 0;
    } else if (absl::StartsWith(arg, "-") && arg != "-") {
      err << "convey inspect: unknown option " << arg << "\n" << kUsage;
      return 2;
    } else {
      files.push_back(arg);
    }
  }
  if (files.empty()) {
    err << "convey inspect: no scheme file given\n" << kUsage;
    return 2;
  }
  bool all_loaded = true;
  for (const std::string& file : files) {
    absl::StatusOr<SchemeReport> report = InspectSchemeFile(file);
    if (!report.ok()) {
      // An unreadable file is reported like any other failed load.
      SchemeReport failed;
      failed.file = file;
      absl::string_view message = report.status().message();
      absl::ConsumePrefix(&message, file + ": ");  // the line names the file
      failed.errors.push_back(
          Diagnostic{Diagnostic::Severity::kError, file, "$", "", std::string(message)});
      report = std::move(failed);
    }
    all_loaded = all_loaded && report->ok();
    if (json) {
      out << ReportJson(*report) << "\n";
    } else {
      PrintReport(*report, out);
    }
  }
  return all_loaded ? 0 : 1;
}

}  // namespace tools
}  // namespace convey
