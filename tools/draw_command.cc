// `convey draw` (draw_command.h): loads the scheme files with the importer
// (no deploy: a picture needs no logic compiled), picks the process, reads
// the task counts and writes the SVG of runtime/draw.
#include "tools/draw_command.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "runtime/base/quote.h"
#include "runtime/draw/process_svg.h"
#include "runtime/import/importer.h"
#include "runtime/import/scheme_file.h"
#include "runtime/json/json_errors.h"
#include "runtime/json/json_types.h"
#include "simdjson.h"
#include "tools/flag_values.h"

namespace convey {
namespace tools {
namespace {

constexpr char kUsage[] =
    "usage: convey draw FILE... [--conv ID] [--counts FILE.jsonl] [--output FILE.svg]\n"
    "  Draws one process of the scheme FILEs as SVG: nodes where the editor put\n"
    "  them, shaped by kind, with every link as an arrow coloured by kind.\n"
    "  --conv ID             the process to draw (needed when the files hold several)\n"
    "  --counts FILE.jsonl   the --output of `convey run`: show how many tasks are\n"
    "                        in each node\n"
    "  --output FILE.svg     write the SVG there (default: stdout)\n"
    "  exit status: 0 drawn, 1 a file does not load or cannot be read or written,\n"
    "  no such process, a bad --counts line; 2 usage error\n";

constexpr absl::string_view kUtf8Bom = "\xEF\xBB\xBF";

int UsageError(const std::string& problem, std::ostream& err) {
  err << "convey draw: " << problem << "\n" << kUsage;
  return 2;
}

// A process of the files, and the file it was (last) read from: a later
// file replaces a process an earlier one holds too, as `convey run` does.
struct Found {
  const schema::Process* process = nullptr;
  std::string file;
};

std::string ListProcesses(const std::vector<int64_t>& order, const std::map<int64_t, Found>& found,
                          bool several_files) {
  std::string list;
  for (int64_t id : order) {
    const Found& entry = found.at(id);
    absl::StrAppend(&list, "\n  --conv ", id, "  ", internal::Quote(entry.process->title(), 80),
                    several_files ? absl::StrCat("  (", entry.file, ")") : "");
  }
  return list;
}

void PrintDiagnostics(const internal::ImportResult& result, const std::string& file,
                      std::ostream& err) {
  for (const Diagnostic& diagnostic : result.diagnostics) {
    Diagnostic shown = diagnostic;
    if (!shown.is_error()) shown.message = "warning: " + shown.message;
    err << shown.ToString() << "\n";
  }
  if (result.dropped_diagnostics > 0) {
    err << file << ": " << result.dropped_diagnostics << " more diagnostics not shown\n";
  }
}

// conv_id as `convey run --output` writes it (a number); a whole number in
// a string is taken too.
bool ReadConvId(simdjson::dom::element value, int64_t* out) {
  double real;
  std::string_view text;
  if (value.get_int64().get(*out) == simdjson::SUCCESS) return true;
  if (value.get_double().get(real) == simdjson::SUCCESS) {
    if (real != std::floor(real) || std::fabs(real) > 9e18) return false;
    *out = static_cast<int64_t>(real);
    return true;
  }
  return value.get_string().get(text) == simdjson::SUCCESS &&
         absl::SimpleAtoi(absl::StripAsciiWhitespace(internal::View(text)), out);
}

}  // namespace

absl::StatusOr<absl::flat_hash_map<std::string, int64_t>> ReadTaskCounts(std::istream& in,
                                                                         const std::string& name,
                                                                         int64_t conv_id) {
  absl::flat_hash_map<std::string, int64_t> counts;
  simdjson::dom::parser parser;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    absl::string_view text = line;
    absl::ConsumePrefix(&text, kUtf8Bom);
    if (absl::StripAsciiWhitespace(text).empty()) continue;
    auto fail = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat(name, ":", number, ": ", why));
    };
    simdjson::padded_string buffer(text.data(), text.size());
    simdjson::dom::element root;
    if (const simdjson::error_code error = parser.parse(buffer).get(root)) {
      const internal::JsonErrorReport report =
          internal::DescribeJsonError(buffer, error, static_cast<int>(simdjson::DEFAULT_MAX_DEPTH));
      return fail(report.offset ? absl::StrCat("invalid JSON at column ", *report.offset + 1, ": ",
                                               report.reason)
                                : absl::StrCat("invalid JSON: ", report.reason));
    }
    simdjson::dom::object task;
    if (root.get_object().get(task) != simdjson::SUCCESS) {
      return fail(absl::StrCat("a task line must be a JSON object, not ",
                               internal::JsonTypeName(root.type())));
    }
    simdjson::dom::element value;
    int64_t task_conv_id = 0;
    if (task["conv_id"].get(value) != simdjson::SUCCESS) return fail("the task has no conv_id");
    if (!ReadConvId(value, &task_conv_id)) {
      return fail(absl::StrCat("conv_id must be a whole number, not ", simdjson::minify(value)));
    }
    std::string_view node_id;
    if (task["node_id"].get(value) != simdjson::SUCCESS) return fail("the task has no node_id");
    if (value.get_string().get(node_id) != simdjson::SUCCESS) {
      return fail(
          absl::StrCat("node_id must be a string, not ", internal::JsonTypeName(value.type())));
    }
    std::string_view status;
    if (task["status"].get_string().get(status) == simdjson::SUCCESS && status == "deleted") {
      continue;
    }
    if (task_conv_id == conv_id) ++counts[std::string(node_id)];
  }
  if (in.bad()) {
    return absl::DataLossError(absl::StrCat(name, ": read failed: ", std::strerror(errno)));
  }
  return counts;
}

int RunDraw(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CommandLine line;
  if (auto usage = SplitCommandLine(args, {"--conv", "--counts", "--output"}, {}, {}, &line)) {
    return UsageError(*usage, err);
  }
  if (line.help) {
    out << kUsage;
    return 0;
  }
  std::optional<int64_t> conv_id;
  std::optional<std::string> counts_file;
  std::optional<std::string> output_file;
  for (const auto& [name, value] : line.options) {
    if (name == "--conv") {
      int64_t id = 0;
      if (!ParseWholeNumber(value, 1, INT64_MAX, &id)) {
        return UsageError(
            absl::StrCat("--conv wants a process id (a whole number > 0), not \"", value, "\""),
            err);
      }
      conv_id = id;
    } else if (value.empty()) {
      return UsageError(absl::StrCat(name, " needs a value"), err);
    } else if (name == "--counts") {
      counts_file = value;
    } else {
      output_file = value;
    }
  }
  if (line.positional.empty()) return UsageError("no scheme file given", err);
  if (output_file) {
    std::vector<std::string> inputs = line.positional;
    if (counts_file) inputs.push_back(*counts_file);
    if (auto problem = OutputNamesAnInput(*output_file, inputs)) return UsageError(*problem, err);
  }

  // Every file is read, so that all problems are reported at once.
  const ImportLimits limits;
  std::vector<internal::ImportResult> imports;
  std::map<int64_t, Found> found;
  std::vector<int64_t> order;
  bool failed = false;
  for (const std::string& file : line.positional) {
    absl::StatusOr<std::string> contents = internal::ReadSchemeFile(file, limits.max_file_size);
    if (!contents.ok()) {
      err << contents.status().message() << "\n";
      failed = true;
      continue;
    }
    imports.push_back(internal::ImportScheme(file, *contents, limits));
    const internal::ImportResult& result = imports.back();
    if (!result.ok()) {
      PrintDiagnostics(result, file, err);
      failed = true;
      continue;
    }
    for (const schema::Process& process : result.scheme().processes()) {
      auto [it, inserted] = found.insert_or_assign(process.conv_id(), Found{&process, file});
      if (inserted) order.push_back(process.conv_id());
    }
  }
  if (failed) return 1;

  const bool several_files = line.positional.size() > 1;
  if (!conv_id) {
    if (order.size() != 1) {
      return UsageError(
          absl::StrCat("the files hold ", order.size(), " processes; name one with --conv:",
                       ListProcesses(order, found, several_files)),
          err);
    }
    conv_id = order.front();
  }
  auto chosen = found.find(*conv_id);
  if (chosen == found.end()) {
    err << "convey draw: no process " << *conv_id
        << " in the files; they hold:" << ListProcesses(order, found, several_files) << "\n";
    return 1;
  }
  const schema::Process& process = *chosen->second.process;

  internal::ProcessSvgOptions options;
  if (counts_file) {
    std::ifstream in(*counts_file, std::ios::binary);
    if (!in) {
      err << "convey draw: cannot open --counts " << *counts_file << ": " << std::strerror(errno)
          << "\n";
      return 1;
    }
    absl::StatusOr<absl::flat_hash_map<std::string, int64_t>> counts =
        ReadTaskCounts(in, *counts_file, *conv_id);
    if (!counts.ok()) {
      err << "convey draw: " << counts.status().message() << "\n";
      return 1;
    }
    // Tasks in nodes the file no longer holds (a run of another version).
    int64_t elsewhere = 0;
    for (const auto& [node_id, tasks] : *counts) elsewhere += tasks;
    for (const schema::Node& node : process.nodes()) {
      auto it = counts->find(node.id());
      if (it != counts->end()) elsewhere -= it->second;
    }
    if (counts->empty()) {
      err << "convey draw: warning: " << *counts_file << " holds no task of process " << *conv_id
          << "\n";
    } else if (elsewhere > 0) {
      err << "convey draw: warning: " << elsewhere << " task" << (elsewhere == 1 ? " is" : "s are")
          << " in nodes process " << *conv_id << " does not hold (not shown)\n";
    }
    options.counts = *std::move(counts);
  }

  const std::string svg = internal::RenderProcessSvg(process, options);
  if (!output_file) {
    out << svg;
    out.flush();
    return out ? 0 : 1;
  }
  std::ofstream file(*output_file, std::ios::binary | std::ios::trunc);
  if (!file) {
    err << "convey draw: cannot open --output " << *output_file << ": " << std::strerror(errno)
        << "\n";
    return 1;
  }
  file << svg;
  file.close();
  if (!file) {
    err << "convey draw: writing --output " << *output_file << " failed\n";
    return 1;
  }
  return 0;
}

}  // namespace tools
}  // namespace convey
