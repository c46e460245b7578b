#include "tools/run_command.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "convey/engine.h"
#include "convey/environment.h"
#include "convey/scheme.h"
#include "runtime/import/json_errors.h"
#include "runtime/json/json_writer.h"
#include "runtime/json/repeated_keys.h"
#include "simdjson.h"
#include "tools/project_variables.h"

namespace convey {
namespace tools {
namespace {

using internal::JsonWriter;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitTimeout = 3;

// Deploy warnings shown before "... and N more"; `convey inspect` lists all.
constexpr size_t kWarningsShown = 3;
// Input and task problems shown before the rest are only counted, so that a
// bad million-line file does not flood the terminal.
constexpr int64_t kProblemsShown = 20;
// Progress line: first drawn after this long, then redrawn at this period.
constexpr absl::Duration kProgressDelay = absl::Seconds(1);
constexpr absl::Duration kProgressPeriod = absl::Milliseconds(250);
// Back-off while the engine's run queue is full.
constexpr absl::Duration kFirstBackoff = absl::Microseconds(200);
constexpr absl::Duration kMaxBackoff = absl::Milliseconds(50);
// How often pending timers of a real clock are checked once nothing else
// moves: well under the platform's one-second timer precision.
constexpr absl::Duration kTimerPoll = absl::Milliseconds(10);

constexpr char kUsage[] =
    "usage: convey run FILE... [--conv ID] [--tasks N] [--data JSON | --input "
    "FILE.jsonl]\n"
    "                          [--clock virtual|real] [--threads T] "
    "[--output FILE.jsonl]\n"
    "                          [--json] [--timeout SEC] [--env NAME=VALUE]...\n"
    "                          [--env-file FILE.json]\n"
    "  Deploys the scheme FILEs into one engine, in order, creates tasks in "
    "one of\n"
    "  their processes, runs them until nothing can move (timers included) "
    "and\n"
    "  summarises where they ended.\n"
    "  --conv ID            the process to create tasks in (needed when the "
    "files\n"
    "                       hold several)\n"
    "  --tasks N            create N tasks (default 1; with --input, cycle "
    "through\n"
    "                       the file's tasks until N are created)\n"
    "  --data JSON          every task's data, a JSON object (default {})\n"
    "  --input FILE.jsonl   one task per line: a data object, or\n"
    "                       {\"ref\":\"...\",\"data\":{...}}\n"
    "  --clock virtual|real virtual (default): when nothing else can move, "
    "time\n"
    "                       jumps to the next timer, so a 30-day delay ends "
    "at once;\n"
    "                       real: the system clock, timers take their real "
    "time\n"
    "  --threads T          worker threads (default 0: one per hardware "
    "thread)\n"
    "  --output FILE.jsonl  after the run, write every task the engine holds, "
    "one\n"
    "                       JSON object per line\n"
    "  --json               print the summary as one JSON object\n"
    "  --timeout SEC        stop waiting after SEC seconds of wall time (the "
    "summary\n"
    "                       is still printed)\n"
    "  --env NAME=VALUE     a project variable, read by {{env_var[@NAME]}} "
    "(repeatable;\n"
    "                       a value that is a JSON object or array is JSON)\n"
    "  --env-file FILE.json project variables: a JSON object of names to "
    "values;\n"
    "                       --env overrides it\n"
    "  exit status: 0 ok, 1 scheme, input or output error, 2 usage error,\n"
    "  3 timeout\n";

enum class ClockKind { kVirtual, kReal };

absl::string_view ClockName(ClockKind kind) {
  return kind == ClockKind::kVirtual ? "virtual" : "real";
}

struct Flags {
  std::vector<std::string> files;  // in the order given
  ClockKind clock = ClockKind::kVirtual;
  std::optional<int64_t> conv_id;
  std::optional<int64_t> tasks;
  std::optional<std::string> data;
  std::optional<std::string> input;
  std::optional<int64_t> threads;
  std::optional<std::string> output;
  bool json = false;
  std::optional<absl::Duration> timeout;
  std::vector<std::string> env;  // NAME=VALUE, in order
  std::optional<std::string> env_file;
};

// Digits only: SimpleAtoi alone would also take "+5" and " 5".
bool ParseWholeNumber(absl::string_view text, int64_t min, int64_t max,
                      int64_t* value) {
  if (text.empty() || text.size() > 19) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return absl::SimpleAtoi(text, value) && *value >= min && *value <= max;
}

bool ParseSeconds(absl::string_view text, absl::Duration* value) {
  double seconds = 0;
  if (text.empty() ||
      absl::ascii_isspace(static_cast<unsigned char>(text[0])) ||
      !absl::SimpleAtod(text, &seconds) || !std::isfinite(seconds) ||
      seconds <= 0 || seconds > 1e9) {
    return false;
  }
  *value = absl::Seconds(seconds);
  return true;
}

// Returns the usage error, or nullopt when `args` are well formed. `help` is
// set when -h/--help was given.
std::optional<std::string> ParseFlags(const std::vector<std::string>& args,
                                      Flags& flags, bool& help) {
  static const char* const kValueFlags[] = {
      "--conv",    "--tasks",  "--data",    "--input", "--threads",
      "--output",  "--timeout", "--clock", "--env",   "--env-file"};
  std::vector<std::string> seen;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      help = true;
      return std::nullopt;
    }
    if (!absl::StartsWith(arg, "--")) {
      if (absl::StartsWith(arg, "-") && arg != "-") {
        return absl::StrCat("unknown option ", arg);
      }
      flags.files.push_back(arg);
      continue;
    }
    // "--flag=value" or "--flag value".
    std::string name = arg;
    std::optional<std::string> value;
    if (const size_t eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    // --env is repeatable; each variable once (ApplyVariableFlags).
    if (name != "--env" && std::find(seen.begin(), seen.end(), name) != seen.end()) {
      return absl::StrCat(name, " is given twice");
    }
    seen.push_back(name);
    if (name == "--json") {
      if (value) return "--json takes no value";
      flags.json = true;
      continue;
    }
    if (std::find(std::begin(kValueFlags), std::end(kValueFlags), name) ==
        std::end(kValueFlags)) {
      return absl::StrCat("unknown option ", name);
    }
    if (!value) {
      // A following option is not taken as the value: `--tasks --json` is a
      // missing value, not a bad number.
      if (i + 1 >= args.size() || absl::StartsWith(args[i + 1], "--")) {
        return absl::StrCat(name, " needs a value");
      }
      value = args[++i];
    }
    if (name == "--conv") {
      int64_t id = 0;
      if (!ParseWholeNumber(*value, 1, INT64_MAX, &id)) {
        return absl::StrCat(
            "--conv wants a process id (a whole number > 0), "
            "not \"",
            *value, "\"");
      }
      flags.conv_id = id;
    } else if (name == "--tasks") {
      int64_t n = 0;
      if (!ParseWholeNumber(*value, 0, INT64_MAX, &n)) {
        return absl::StrCat("--tasks wants a whole number >= 0, not \"", *value,
                            "\"");
      }
      flags.tasks = n;
    } else if (name == "--threads") {
      int64_t n = 0;
      if (!ParseWholeNumber(*value, 0, 1024, &n)) {
        return absl::StrCat(
            "--threads wants a whole number from 0 to 1024, "
            "not \"",
            *value, "\"");
      }
      flags.threads = n;
    } else if (name == "--timeout") {
      absl::Duration timeout;
      if (!ParseSeconds(*value, &timeout)) {
        return absl::StrCat("--timeout wants a number of seconds > 0, not \"",
                            *value, "\"");
      }
      flags.timeout = timeout;
    } else if (name == "--clock") {
      if (*value == "virtual") {
        flags.clock = ClockKind::kVirtual;
      } else if (*value == "real") {
        flags.clock = ClockKind::kReal;
      } else {
        return absl::StrCat("--clock wants virtual or real, not \"", *value,
                            "\"");
      }
    } else if (value->empty()) {
      return absl::StrCat(name, " needs a value");
    } else if (name == "--data") {
      flags.data = *value;
    } else if (name == "--input") {
      flags.input = *value;
    } else if (name == "--env") {
      flags.env.push_back(*value);
    } else if (name == "--env-file") {
      flags.env_file = *value;
    } else {
      flags.output = *value;
    }
  }
  if (flags.files.empty()) return "no scheme file given";
  if (flags.data && flags.input) {
    return "--data and --input both give the tasks' data; use one";
  }
  return std::nullopt;
}

absl::string_view JsonTypeName(simdjson::dom::element_type type) {
  using Type = simdjson::dom::element_type;
  switch (type) {
    case Type::ARRAY:
      return "an array";
    case Type::OBJECT:
      return "an object";
    case Type::INT64:
    case Type::UINT64:
    case Type::DOUBLE:
      return "a number";
    case Type::STRING:
      return "a string";
    case Type::BOOL:
      return "a boolean";
    case Type::NULL_VALUE:
      return "null";
  }
  return "a value";
}

// Parses one JSON text. On failure returns why, with the column (1-based,
// in bytes) when simdjson can tell where.
std::optional<std::string> ParseJson(simdjson::dom::parser& parser,
                                     absl::string_view text,
                                     simdjson::padded_string& buffer,
                                     simdjson::dom::element& root) {
  buffer = simdjson::padded_string(text.data(), text.size());
  const simdjson::error_code error = parser.parse(buffer).get(root);
  if (error == simdjson::SUCCESS) return std::nullopt;
  const internal::JsonErrorReport report = internal::DescribeJsonError(
      buffer, error, static_cast<int>(simdjson::DEFAULT_MAX_DEPTH));
  if (report.offset) {
    return absl::StrCat("invalid JSON at column ", *report.offset + 1, ": ",
                        report.reason);
  }
  return absl::StrCat("invalid JSON: ", report.reason);
}

// One task read from --input.
struct InputTask {
  int64_t line = 0;
  std::string ref;
  std::string data;  // a JSON object
};

// Parses one non-empty line. A line is `{"ref":...,"data":{...}}` when it is
// an object whose keys are only `ref` and/or `data` and whose `data` (when
// present) is an object; any other object is the task's data itself.
std::optional<std::string> ParseInputLine(simdjson::dom::parser& parser,
                                          absl::string_view line,
                                          InputTask& task) {
  simdjson::padded_string buffer;
  simdjson::dom::element root;
  if (auto problem = ParseJson(parser, line, buffer, root)) return problem;
  // A key repeated with one value counts once, also in the {"ref","data"}
  // wrapper; with different values the line is refused (semantics A1).
  std::string collapsed;
  if (internal::HasRepeatedKeys(root)) {
    const absl::Status status = internal::CollapseRepeatedKeys(line, "the line", &collapsed);
    if (!status.ok()) return std::string(status.message());
    if (auto problem = ParseJson(parser, collapsed, buffer, root)) return problem;
    line = collapsed;
  }
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    return absl::StrCat("a task must be a JSON object, not ",
                        JsonTypeName(root.type()));
  }
  bool wrapped = object.size() > 0;
  for (simdjson::dom::key_value_pair field : object) {
    if (field.key == "ref") continue;
    if (field.key == "data" && field.value.is_object()) continue;
    wrapped = false;
  }
  if (!wrapped) {
    task.data = std::string(line);
    return std::nullopt;
  }
  simdjson::dom::element ref;
  if (object.at_key("ref").get(ref) == simdjson::SUCCESS) {
    std::string_view text;
    int64_t number = 0;
    if (ref.get_string().get(text) == simdjson::SUCCESS) {
      task.ref = std::string(text);
    } else if (ref.get_int64().get(number) == simdjson::SUCCESS) {
      task.ref = absl::StrCat(number);
    } else {
      return absl::StrCat("\"ref\" must be a string or a whole number, not ",
                          JsonTypeName(ref.type()));
    }
  }
  simdjson::dom::element data;
  task.data = object.at_key("data").get(data) == simdjson::SUCCESS
                  ? simdjson::minify(data)
                  : "{}";
  return std::nullopt;
}

// Reports problems (bad lines, refused tasks) on stderr: the first
// kProblemsShown in full, the rest only counted.
class ProblemLog {
 public:
  explicit ProblemLog(std::ostream& err, std::function<void()> before_print)
      : err_(err), before_print_(std::move(before_print)) {}

  void Report(absl::string_view message) {
    if (++count_ <= kProblemsShown) {
      before_print_();
      err_ << message << "\n";
    }
  }
  void Finish() {
    if (count_ > kProblemsShown) {
      before_print_();
      err_ << "... and " << count_ - kProblemsShown
           << " more input problems not shown\n";
    }
  }
  int64_t count() const { return count_; }

 private:
  std::ostream& err_;
  std::function<void()> before_print_;
  int64_t count_ = 0;
};

// The progress line on a terminal's stderr.
class Progress {
 public:
  Progress(std::ostream& err, bool enabled, absl::Time start)
      : err_(err), enabled_(enabled), start_(start) {}

  // Draws "tasks: N created, M finished, ..." when due: not in the first
  // second, then at most every kProgressPeriod.
  void Tick(Engine& engine, int64_t created) {
    if (!enabled_) return;
    const absl::Time now = absl::Now();
    if (now - start_ < kProgressDelay || now - last_drawn_ < kProgressPeriod) {
      return;
    }
    last_drawn_ = now;
    const EngineStats stats = engine.Stats();
    err_ << "\r\033[Ktasks: " << created << " created, " << stats.tasks_finished
         << " finished, " << stats.tasks_queued << " queued or moving";
    if (stats.timers_pending > 0) {
      err_ << ", " << stats.timers_pending << " timer"
           << (stats.timers_pending == 1 ? "" : "s") << " pending";
    }
    err_ << " (" << absl::StrFormat("%.1f", absl::ToDoubleSeconds(now - start_))
         << " s)" << std::flush;
    drawn_ = true;
  }
  void Clear() {
    if (!drawn_) return;
    err_ << "\r\033[K" << std::flush;
    drawn_ = false;
    // Redraw at the next tick rather than a period later.
    last_drawn_ = absl::InfinitePast();
  }

 private:
  std::ostream& err_;
  const bool enabled_;
  const absl::Time start_;
  absl::Time last_drawn_ = absl::InfinitePast();
  bool drawn_ = false;
};

enum class CreateOutcome { kCreated, kRefused, kTimedOut };

// Creates one task, waiting while the run queue is full: a task is never
// dropped for lack of room, only when the engine refuses it or the deadline
// passes.
CreateOutcome CreateOne(Engine& engine, int64_t conv_id, absl::string_view ref,
                        absl::string_view data, absl::Time deadline,
                        Progress& progress, int64_t created,
                        std::string* problem) {
  absl::Duration backoff = kFirstBackoff;
  while (true) {
    absl::StatusOr<std::string> obj_id = engine.CreateTask(conv_id, ref, data);
    if (obj_id.ok()) return CreateOutcome::kCreated;
    if (!absl::IsResourceExhausted(obj_id.status())) {
      *problem = std::string(obj_id.status().message());
      return CreateOutcome::kRefused;
    }
    const absl::Time now = absl::Now();
    if (now >= deadline) return CreateOutcome::kTimedOut;
    absl::SleepFor(std::min(backoff, deadline - now));
    backoff = std::min(backoff * 2, kMaxBackoff);
    progress.Tick(engine, created);
  }
}

// Where the tasks' data and refs come from: --data (`inputs` null) or the
// parsed --input lines.
struct TaskFeed {
  const std::string* data = nullptr;
  const std::string* input_file = nullptr;
  const std::vector<InputTask>* inputs = nullptr;

  // The i-th task (from 0): its ref and data.
  void Get(int64_t i, std::string& ref, absl::string_view& task_data) const {
    if (inputs == nullptr) {
      ref = absl::StrCat(i + 1);
      task_data = *data;
      return;
    }
    const int64_t size = static_cast<int64_t>(inputs->size());
    const InputTask& input = (*inputs)[i % size];
    const int64_t pass = i / size + 1;
    // Later passes keep refs unique with a "#pass" suffix.
    ref = pass == 1 || input.ref.empty() ? input.ref
                                         : absl::StrCat(input.ref, "#", pass);
    task_data = input.data;
  }
  // How a problem with the i-th task names it: "FILE:LINE" or "task REF".
  std::string Where(int64_t i) const {
    if (inputs == nullptr) return absl::StrCat("task ", i + 1);
    const InputTask& input = (*inputs)[i % inputs->size()];
    return absl::StrCat(*input_file, ":", input.line);
  }
};

struct RunState {
  int64_t created = 0;
  bool timed_out = false;
};

// Creates `count` tasks (fewer when the deadline passes first). Refused
// tasks are reported and counted as problems.
void CreateTasks(Engine& engine, int64_t conv_id, const TaskFeed& feed,
                 int64_t count, absl::Time deadline, Progress& progress,
                 ProblemLog& problems, RunState& state) {
  // No line to cycle through: the bad lines were reported already.
  if (feed.inputs != nullptr && feed.inputs->empty()) return;
  std::string ref, problem;
  absl::string_view task_data;
  for (int64_t i = 0; i < count && !state.timed_out; ++i) {
    feed.Get(i, ref, task_data);
    switch (CreateOne(engine, conv_id, ref, task_data, deadline, progress,
                      state.created, &problem)) {
      case CreateOutcome::kCreated:
        ++state.created;
        break;
      case CreateOutcome::kRefused:
        problems.Report(absl::StrCat(
            feed.Where(i), ": the engine refused the task: ", problem));
        break;
      case CreateOutcome::kTimedOut:
        state.timed_out = true;
        break;
    }
    // Reading the clock per task would cost more than creating one.
    if ((i & 255) == 255) {
      state.timed_out = state.timed_out || absl::Now() >= deadline;
      progress.Tick(engine, state.created);
    }
  }
}

// Waits until nothing can move or the deadline passes (state.timed_out).
// WaitIdle returns while tasks wait for a timer of a real clock (under a
// virtual clock the engine jumps to each timer itself), so pending timers
// are waited for here, by polling: the run is over when the engine is idle,
// no task is queued and no timer is pending. Waits in slices when a progress
// line is drawn.
absl::Status WaitUntilIdle(Engine& engine, absl::Time deadline,
                           bool show_progress, Progress& progress,
                           RunState& state) {
  while (true) {
    const absl::Time now = absl::Now();
    if (now >= deadline) {
      state.timed_out = true;
      return absl::OkStatus();
    }
    absl::Duration wait = deadline - now;
    if (show_progress) wait = std::min(wait, kProgressPeriod);
    const absl::Status idle = engine.WaitIdle(wait);
    if (!idle.ok()) {
      if (!absl::IsDeadlineExceeded(idle)) return idle;
      progress.Tick(engine, state.created);
      continue;
    }
    const EngineStats stats = engine.Stats();
    if (stats.timers_pending == 0 && stats.tasks_queued == 0) {
      return absl::OkStatus();
    }
    // A task queued since WaitIdle returned (a timer just fired) is waited
    // for at once; only a timer still to come is polled for.
    if (stats.tasks_queued == 0) {
      absl::SleepFor(std::min(kTimerPoll, deadline - absl::Now()));
    }
    progress.Tick(engine, state.created);
  }
}

// "12", "0.5", "1234567.25": integers without a fraction, others with as
// many digits as they need (up to 15 significant).
std::string FormatNumber(double value) {
  if (std::isfinite(value) && std::fabs(value) < 1e15 &&
      value == std::floor(value)) {
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
  const int64_t total_ms =
      std::max<int64_t>(0, absl::ToInt64Milliseconds(time));
  const int64_t seconds = total_ms / 1000 % 60;
  const int64_t millis = total_ms % 1000;
  return absl::StrCat(total_ms / 86400000, "d ", total_ms / 3600000 % 24, "h ",
                      total_ms / 60000 % 60, "m ",
                      millis == 0 ? absl::StrCat(seconds)
                                  : absl::StrFormat("%d.%03d", seconds, millis),
                      "s");
}

std::string NodeLabel(const NodeStats& node) {
  return node.title.empty() ? absl::StrCat("node ", node.node_id) : node.title;
}

// With the id too: for nodes tasks wait in (titles repeat: "Wait",
// "Delay"), and for final nodes that share a title.
std::string WaitingLabel(const NodeStats& node) {
  return node.title.empty()
             ? NodeLabel(node)
             : absl::StrCat(node.title, " [", node.node_id, "]");
}

// Why the tasks of a node are not moving, in the order they are printed.
std::vector<std::pair<const char*, int64_t>> ParkedCounts(
    const NodeStats& node) {
  return {{"callback", node.callback},   {"reply", node.reply},
          {"queue", node.queue},         {"http", node.http},
          {"timer", node.timer},         {"no_exit", node.no_exit},
          {"error", node.error},         {"loop_stopped", node.loop_stopped}};
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

struct Summary {
  std::vector<std::string> files;
  std::string file;  // the one the chosen process was deployed from
  int64_t conv_id = 0;
  std::string title;
  int64_t tasks_created = 0;
  int64_t input_errors = 0;
  size_t deploy_warnings = 0;
  size_t unresolved_references = 0;
  bool timed_out = false;
  absl::Duration elapsed;
  ClockKind clock = ClockKind::kVirtual;
  absl::Duration clock_time;  // on the engine's clock, jumps included
  EngineStats stats;
  // The selected process first, then the files' other processes that tasks
  // reached (through copy or rpc logics).
  std::vector<const ProcessStats*> processes;
};

double PerSecond(int64_t count, absl::Duration elapsed) {
  const double seconds = absl::ToDoubleSeconds(elapsed);
  return seconds > 0 ? static_cast<double>(count) / seconds : 0;
}

std::string SumLabel(const SumStats& sum) {
  if (sum.id.empty() || sum.id == sum.name) return sum.name;
  if (sum.name.empty()) return sum.id;
  return absl::StrCat(sum.name, " (id ", sum.id, ")");
}

void PrintText(const Summary& summary, std::ostream& out) {
  const auto count = [](int64_t n) { return absl::StrFormat("%10d", n); };
  for (const ProcessStats* process : summary.processes) {
    out << "process " << process->conv_id << " \"" << process->title << "\"";
    if (process->conv_id == summary.conv_id) {
      out << ": " << summary.tasks_created << " task"
          << (summary.tasks_created == 1 ? "" : "s") << " created";
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
      out << count(node.tasks) << "  " << WaitingLabel(node) << " ("
          << absl::StrJoin(reasons, ", ") << ")\n";
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
  out << "errors: " << summary.input_errors << " input, "
      << summary.stats.tasks_errored << " tasks stopped by an error, "
      << summary.stats.tasks_loop_stopped << " by the loop guard\n";
  out << ClockName(summary.clock)
      << " time: " << FormatClockTime(summary.clock_time)
      << " (timers: " << summary.stats.timers_fired << " fired, "
      << summary.stats.timers_pending << " pending)\n";
  out << "elapsed " << FormatElapsed(summary.elapsed) << ": "
      << absl::StrFormat("%.0f",
                         PerSecond(summary.tasks_created, summary.elapsed))
      << " tasks/s, "
      << absl::StrFormat(
             "%.0f", PerSecond(summary.stats.node_transitions, summary.elapsed))
      << " node transitions/s" << (summary.timed_out ? " (timed out)" : "")
      << "\n";
}

void PrintJson(const Summary& summary, std::ostream& out) {
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

// Writes every task the engine holds, one JSON object per line. Returns why
// it failed, or nullopt.
std::optional<std::string> WriteTasks(Engine& engine, std::ofstream& file,
                                      const std::string& path) {
  std::string line;
  engine.ForEachTask([&](const TaskSnapshot& task) {
    JsonWriter json;
    json.BeginObject()
        .Key("conv_id")
        .Int(task.conv_id)
        .Key("ref")
        .String(task.ref)
        .Key("obj_id")
        .String(task.obj_id)
        .Key("status")
        .String(TaskStatusName(task.status))
        .Key("node_id")
        .String(task.node_id)
        .Key("node_title")
        .String(task.node_title)
        .Key("data")
        .Raw(task.data.empty() ? "{}" : task.data)
        .EndObject();
    file << json.str() << "\n";
  });
  file.flush();
  if (!file) {
    return absl::StrCat("cannot write --output ", path, ": ",
                        std::strerror(errno));
  }
  return std::nullopt;
}

// The processes deployed, in the order first deployed, and the file each
// was last deployed from (a later file replaces a process it holds too).
struct Deployed {
  std::vector<int64_t> conv_ids;
  std::map<int64_t, std::string> file_of;
  size_t files = 0;
};

// Lists the deployed processes for a usage error; with several files, each
// with the file it came from.
std::string ListProcesses(Engine& engine, const Deployed& deployed) {
  std::string list;
  for (int64_t id : deployed.conv_ids) {
    absl::StatusOr<ProcessStats> process = engine.StatsFor(id);
    absl::StrAppend(
        &list, "\n  --conv ", id,
        process.ok() ? absl::StrCat("  \"", process->title, "\"") : "",
        deployed.files > 1 ? absl::StrCat("  (", deployed.file_of.at(id), ")")
                           : "");
  }
  return list;
}

void PrintDiagnostics(const std::vector<Diagnostic>& diagnostics, size_t shown,
                      std::ostream& err) {
  for (size_t i = 0; i < diagnostics.size() && i < shown; ++i) {
    Diagnostic warning = diagnostics[i];
    warning.message = "warning: " + warning.message;
    err << "  " << warning.ToString() << "\n";
  }
  if (diagnostics.size() > shown) {
    err << "  ... and " << diagnostics.size() - shown << " more\n";
  }
}

void PrintDeployWarnings(const std::string& file,
                         const std::vector<Diagnostic>& warnings,
                         std::ostream& err) {
  if (warnings.empty()) return;
  err << file << ": " << warnings.size() << " deploy warning"
      << (warnings.size() == 1 ? "" : "s")
      << (warnings.size() > kWarningsShown
              ? absl::StrCat(" (`convey inspect ", file, "` lists them all)")
              : "")
      << "\n";
  PrintDiagnostics(warnings, kWarningsShown, err);
}

bool SameDiagnostic(const Diagnostic& a, const Diagnostic& b) {
  return a.file == b.file && a.location == b.location &&
         a.node_id == b.node_id && a.message == b.message;
}

// A file's deploy warnings without its unresolved references: whether those
// stay unresolved is known only once every file is deployed.
std::vector<Diagnostic> WithoutReferences(
    const std::vector<Diagnostic>& warnings,
    const std::vector<Diagnostic>& references) {
  std::vector<Diagnostic> kept;
  for (const Diagnostic& warning : warnings) {
    if (std::none_of(references.begin(), references.end(),
                     [&](const Diagnostic& reference) {
                       return SameDiagnostic(warning, reference);
                     })) {
      kept.push_back(warning);
    }
  }
  return kept;
}

void PrintUnresolved(const std::vector<Diagnostic>& references,
                     std::ostream& err) {
  if (references.empty()) return;
  err << references.size() << " unresolved process reference"
      << (references.size() == 1 ? "" : "s")
      << " (no file given names the process; a task sent there fails)\n";
  PrintDiagnostics(references, static_cast<size_t>(kProblemsShown), err);
}

// "FILE" for one file, "the files" for several: the subject of a sentence.
std::string FilesName(const Flags& flags) {
  return flags.files.size() == 1 ? flags.files[0] : "the files";
}

}  // namespace

int RunRun(const std::vector<std::string>& args, std::ostream& out,
           std::ostream& err, bool show_progress) {
  Flags flags;
  bool help = false;
  if (std::optional<std::string> usage = ParseFlags(args, flags, help)) {
    err << "convey run: " << *usage << "\n" << kUsage;
    return kExitUsage;
  }
  if (help) {
    out << kUsage;
    return kExitOk;
  }
  simdjson::dom::parser parser;
  std::string data = flags.data.value_or("{}");
  if (flags.data) {
    simdjson::padded_string buffer;
    simdjson::dom::element root;
    if (auto problem = ParseJson(parser, data, buffer, root)) {
      err << "convey run: --data is " << *problem << "\n" << kUsage;
      return kExitUsage;
    }
    if (!root.is_object()) {
      err << "convey run: --data must be a JSON object, not "
          << JsonTypeName(root.type()) << "\n"
          << kUsage;
      return kExitUsage;
    }
    // Collapsed once here rather than by the engine for every task.
    if (internal::HasRepeatedKeys(root)) {
      std::string collapsed;
      if (absl::Status status =
              internal::CollapseRepeatedKeys(data, "--data", &collapsed);
          !status.ok()) {
        err << "convey run: " << status.message() << "\n" << kUsage;
        return kExitUsage;
      }
      data = std::move(collapsed);
    }
  }
  Variables variables;
  if (flags.env_file) {
    if (auto problem = ReadVariablesFile(*flags.env_file, &variables)) {
      err << "convey run: " << *problem << "\n";
      return kExitFailed;
    }
  }
  if (auto problem = ApplyVariableFlags(flags.env, &variables)) {
    err << "convey run: " << *problem << "\n" << kUsage;
    return kExitUsage;
  }

  // Declared before the engine, which borrows it. Starting at the real time
  // keeps `$.unixtime` and task times plausible; only timers make it jump.
  VirtualClock virtual_clock(absl::Now());
  EngineOptions options;
  options.worker_threads = static_cast<int>(flags.threads.value_or(0));
  options.clock =
      flags.clock == ClockKind::kReal ? Clock::Real() : &virtual_clock;
  options.variables = std::move(variables);
  absl::StatusOr<std::unique_ptr<Engine>> opened = Engine::Open(options);
  if (!opened.ok()) {
    err << "convey run: cannot start the engine: " << opened.status().message()
        << "\n";
    return kExitFailed;
  }
  Engine& engine = **opened;
  Deployed deployed;
  deployed.files = flags.files.size();
  size_t deploy_warnings = 0;
  for (const std::string& file : flags.files) {
    absl::StatusOr<DeployResult> result = engine.DeployFile(file);
    if (!result.ok()) {
      err << result.status().message() << "\n";
      return kExitFailed;
    }
    const std::vector<Diagnostic> warnings =
        WithoutReferences(result->warnings, result->unresolved_references);
    PrintDeployWarnings(file, warnings, err);
    deploy_warnings += warnings.size();
    for (int64_t id : result->conv_ids) {
      if (deployed.file_of.count(id) == 0) deployed.conv_ids.push_back(id);
      deployed.file_of[id] = file;
    }
  }
  const std::vector<Diagnostic> unresolved = engine.UnresolvedReferences();
  PrintUnresolved(unresolved, err);

  const std::vector<int64_t>& conv_ids = deployed.conv_ids;
  int64_t conv_id = 0;
  if (flags.conv_id) {
    if (deployed.file_of.count(*flags.conv_id) == 0) {
      err << "convey run: "
          << (flags.files.size() == 1
                  ? absl::StrCat(flags.files[0], " holds no process ",
                                 *flags.conv_id, "; it holds:")
                  : absl::StrCat("none of the files holds process ",
                                 *flags.conv_id, "; they hold:"))
          << ListProcesses(engine, deployed) << "\n";
      return kExitUsage;
    }
    conv_id = *flags.conv_id;
  } else if (conv_ids.size() == 1) {
    conv_id = conv_ids[0];
  } else if (conv_ids.empty()) {
    err << "convey run: " << FilesName(flags)
        << (flags.files.size() == 1 ? " holds" : " hold") << " no process\n";
    return kExitFailed;
  } else {
    err << "convey run: " << FilesName(flags)
        << (flags.files.size() == 1 ? " holds " : " hold ") << conv_ids.size()
        << " processes; choose one with --conv:"
        << ListProcesses(engine, deployed) << "\n";
    return kExitUsage;
  }

  // Open the output before running so that a bad path fails at once.
  std::ofstream output;
  if (flags.output) {
    output.open(*flags.output, std::ios::out | std::ios::trunc);
    if (!output.is_open()) {
      err << "convey run: cannot open --output " << *flags.output << ": "
          << std::strerror(errno) << "\n";
      return kExitFailed;
    }
  }

  // The run, for the progress line, starts here: reading a large input file
  // is part of what the user waits for.
  Progress progress(err, show_progress, absl::Now());
  ProblemLog problems(err, [&progress] { progress.Clear(); });

  std::vector<InputTask> inputs;
  if (flags.input) {
    std::ifstream in(*flags.input);
    if (!in.is_open()) {
      err << "convey run: cannot open --input " << *flags.input << ": "
          << std::strerror(errno) << "\n";
      return kExitFailed;
    }
    std::string line;
    int64_t line_number = 0;
    while (std::getline(in, line)) {
      ++line_number;
      absl::string_view text = line;
      if (line_number == 1) absl::ConsumePrefix(&text, "\xEF\xBB\xBF");
      text = absl::StripAsciiWhitespace(text);
      if (text.empty()) continue;
      InputTask task;
      task.line = line_number;
      task.ref = absl::StrCat(line_number);
      if (auto problem = ParseInputLine(parser, text, task)) {
        problems.Report(
            absl::StrCat(*flags.input, ":", line_number, ": ", *problem));
        continue;
      }
      inputs.push_back(std::move(task));
    }
    if (in.bad() || (!in.eof() && in.fail())) {
      err << "convey run: cannot read --input " << *flags.input << ": "
          << std::strerror(errno) << "\n";
      return kExitFailed;
    }
  }

  const absl::Time start = absl::Now();
  const absl::Time clock_start = options.clock->Now();
  const absl::Time deadline =
      flags.timeout ? start + *flags.timeout : absl::InfiniteFuture();
  TaskFeed feed;
  feed.data = &data;
  if (flags.input) {
    feed.input_file = &*flags.input;
    feed.inputs = &inputs;
  }
  const int64_t to_create =
      flags.input ? flags.tasks.value_or(static_cast<int64_t>(inputs.size()))
                  : flags.tasks.value_or(1);
  RunState state;
  // Time stands still while the tasks are created: the engine would
  // otherwise jump to the next timer whenever it caught up between two
  // creates, and the tasks would start (and wake) days apart in virtual
  // time, by how much depending on thread scheduling.
  engine.HoldTime(true);
  CreateTasks(engine, conv_id, feed, to_create, deadline, progress, problems,
              state);
  const bool timed_out_creating = state.timed_out;
  engine.HoldTime(false);
  if (!state.timed_out) {
    if (absl::Status idle =
            WaitUntilIdle(engine, deadline, show_progress, progress, state);
        !idle.ok()) {
      progress.Clear();
      err << "convey run: waiting for the tasks failed: " << idle.message()
          << "\n";
      return kExitFailed;
    }
  }
  const bool timed_out = state.timed_out;
  const absl::Duration elapsed = absl::Now() - start;
  progress.Clear();
  problems.Finish();
  if (timed_out) {
    // Stop the workers so that the summary and the output describe one
    // moment rather than tasks still moving.
    engine.Close();
    err << "convey run: timed out after "
        << absl::FormatDuration(*flags.timeout);
    if (timed_out_creating) {
      err << " while creating tasks (" << state.created << " of " << to_create
          << " created)\n";
    } else {
      err << " waiting for the tasks to stop moving\n";
    }
  }

  Summary summary;
  summary.files = flags.files;
  summary.file = deployed.file_of.at(conv_id);
  summary.conv_id = conv_id;
  summary.tasks_created = state.created;
  summary.input_errors = problems.count();
  summary.deploy_warnings = deploy_warnings;
  summary.unresolved_references = unresolved.size();
  summary.timed_out = timed_out;
  summary.elapsed = elapsed;
  summary.clock = flags.clock;
  summary.clock_time = options.clock->Now() - clock_start;
  summary.stats = engine.Stats();
  for (const ProcessStats& process : summary.stats.processes) {
    if (process.conv_id == conv_id) {
      summary.title = process.title;
      summary.processes.insert(summary.processes.begin(), &process);
    } else if (deployed.file_of.count(process.conv_id) > 0 &&
               HasActivity(process)) {
      summary.processes.push_back(&process);
    }
  }
  if (flags.json) {
    PrintJson(summary, out);
  } else {
    PrintText(summary, out);
  }

  bool output_failed = false;
  if (flags.output) {
    if (auto problem = WriteTasks(engine, output, *flags.output)) {
      err << "convey run: " << *problem << "\n";
      output_failed = true;
    }
  }
  if (timed_out) return kExitTimeout;
  return summary.input_errors > 0 || output_failed ? kExitFailed : kExitOk;
}

}  // namespace tools
}  // namespace convey
