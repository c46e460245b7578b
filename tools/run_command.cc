// `convey run` (run_command.h) as a sequence of named steps: read the
// options and the tasks' data, open the engine, deploy the files, choose
// the process, create the tasks and wait for them, then report and write
// --output. What the steps share lives here: the progress line, the problem
// log, task creation with back-off and the wait for a quiet engine. The
// options (run_flags.h), the input (run_input.h), the summary
// (run_report.h) and --output (run_output.h) are in files of their own.
#include "tools/run_command.h"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "convey/engine.h"
#include "convey/environment.h"
#include "convey/scheme.h"
#include "tools/flag_values.h"
#include "tools/project_variables.h"
#include "tools/run_flags.h"
#include "tools/run_input.h"
#include "tools/run_output.h"
#include "tools/run_report.h"

namespace convey {
namespace tools {
namespace {

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
// Tasks per Engine::CreateTasks call.
constexpr size_t kCreateBatch = 256;
// How often pending timers of a real clock are checked once nothing else
// moves: well under the platform's one-second timer precision.
constexpr absl::Duration kTimerPoll = absl::Milliseconds(10);
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
      err_ << "... and " << count_ - kProblemsShown << " more input problems not shown\n";
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

  // Whether the line is drawn at all (stderr is a terminal).
  bool enabled() const { return enabled_; }

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
    err_ << "\r\033[Ktasks: " << created << " created, " << stats.tasks_finished << " finished, "
         << stats.tasks_queued << " queued or moving";
    if (stats.timers_pending > 0) {
      err_ << ", " << stats.timers_pending << " timer" << (stats.timers_pending == 1 ? "" : "s")
           << " pending";
    }
    err_ << " (" << absl::StrFormat("%.1f", absl::ToDoubleSeconds(now - start_)) << " s)"
         << std::flush;
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
    ref = pass == 1 || input.ref.empty() ? input.ref : absl::StrCat(input.ref, "#", pass);
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
  // Set when the run is over: wall time, and time on the engine's clock
  // (jumps included).
  absl::Duration elapsed;
  absl::Duration clock_time;
};

// Creates `count` tasks (fewer when the deadline passes first), kCreateBatch
// at a time (Engine::CreateTasks: with --store, one acknowledgement and one
// sync per batch). Refused tasks are reported and counted as problems; a
// task refused because the run queue is full is tried again after a pause:
// a task is never dropped for lack of room, only when the engine refuses it
// or the deadline passes.
void CreateAllTasks(Engine& engine, int64_t conv_id, const TaskFeed& feed, int64_t count,
                    absl::Time deadline, Progress& progress, ProblemLog& problems,
                    RunState& state) {
  // No line to cycle through: the bad lines were reported already.
  if (feed.inputs != nullptr && feed.inputs->empty()) return;
  std::vector<NewTask> batch;
  std::vector<int64_t> where;  // each batch entry's feed index
  std::string ref;
  absl::string_view task_data;
  absl::Duration backoff = kFirstBackoff;
  int64_t next = 0;
  while ((next < count || !batch.empty()) && !state.timed_out) {
    for (; next < count && batch.size() < kCreateBatch; ++next) {
      feed.Get(next, ref, task_data);
      batch.push_back(NewTask{ref, std::string(task_data)});
      where.push_back(next);
    }
    std::vector<absl::StatusOr<std::string>> results = engine.CreateTasks(conv_id, batch);
    std::vector<NewTask> again;
    std::vector<int64_t> again_where;
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i].ok()) {
        ++state.created;
      } else if (absl::IsResourceExhausted(results[i].status())) {
        again.push_back(std::move(batch[i]));
        again_where.push_back(where[i]);
      } else {
        problems.Report(absl::StrCat(feed.Where(where[i]), ": the engine refused the task: ",
                                     results[i].status().message()));
      }
    }
    batch.swap(again);
    where.swap(again_where);
    const absl::Time now = absl::Now();
    if (now >= deadline) {
      state.timed_out = true;
    } else if (!batch.empty()) {  // the run queue is full: let it drain
      absl::SleepFor(std::min(backoff, deadline - now));
      backoff = std::min(backoff * 2, kMaxBackoff);
    } else {
      backoff = kFirstBackoff;
    }
    progress.Tick(engine, state.created);
  }
}

// Waits until nothing can move or the deadline passes (state.timed_out).
// WaitIdle returns while tasks wait for a timer of a real clock (under a
// virtual clock the engine jumps to each timer itself), so pending timers
// are waited for here, by polling: the run is over when the engine is idle,
// no task is queued and no timer is pending. Waits in slices when a progress
// line is drawn.
absl::Status WaitUntilIdle(Engine& engine, absl::Time deadline, Progress& progress,
                           RunState& state) {
  while (true) {
    const absl::Time now = absl::Now();
    if (now >= deadline) {
      state.timed_out = true;
      return absl::OkStatus();
    }
    absl::Duration wait = deadline - now;
    if (progress.enabled()) wait = std::min(wait, kProgressPeriod);
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

// The processes deployed, in the order first deployed, and the file each
// was last deployed from (a later file replaces a process it holds too).
struct Deployed {
  std::vector<int64_t> conv_ids;
  std::map<int64_t, std::string> file_of;
  size_t files = 0;
  size_t warnings = 0;  // unresolved references apart
  size_t unresolved_references = 0;
};

// Lists the deployed processes for a usage error; with several files, each
// with the file it came from.
std::string ListProcesses(Engine& engine, const Deployed& deployed) {
  std::string list;
  for (int64_t id : deployed.conv_ids) {
    absl::StatusOr<ProcessStats> process = engine.StatsFor(id);
    absl::StrAppend(&list, "\n  --conv ", id,
                    process.ok() ? absl::StrCat("  \"", process->title, "\"") : "",
                    deployed.files > 1 ? absl::StrCat("  (", deployed.file_of.at(id), ")") : "");
  }
  return list;
}

void PrintDiagnostics(const std::vector<Diagnostic>& diagnostics, size_t shown, std::ostream& err) {
  for (size_t i = 0; i < diagnostics.size() && i < shown; ++i) {
    Diagnostic warning = diagnostics[i];
    warning.message = "warning: " + warning.message;
    err << "  " << warning.ToString() << "\n";
  }
  if (diagnostics.size() > shown) {
    err << "  ... and " << diagnostics.size() - shown << " more\n";
  }
}

void PrintDeployWarnings(const std::string& file, const std::vector<Diagnostic>& warnings,
                         std::ostream& err) {
  if (warnings.empty()) return;
  err << file << ": " << warnings.size() << " deploy warning" << (warnings.size() == 1 ? "" : "s")
      << (warnings.size() > kWarningsShown
              ? absl::StrCat(" (`convey inspect ", file, "` lists them all)")
              : "")
      << "\n";
  PrintDiagnostics(warnings, kWarningsShown, err);
}

bool SameDiagnostic(const Diagnostic& a, const Diagnostic& b) {
  return a.file == b.file && a.location == b.location && a.node_id == b.node_id &&
         a.message == b.message;
}

// A file's deploy warnings without its unresolved references: whether those
// stay unresolved is known only once every file is deployed.
std::vector<Diagnostic> WithoutReferences(const std::vector<Diagnostic>& warnings,
                                          const std::vector<Diagnostic>& references) {
  std::vector<Diagnostic> kept;
  for (const Diagnostic& warning : warnings) {
    if (std::none_of(references.begin(), references.end(), [&](const Diagnostic& reference) {
          return SameDiagnostic(warning, reference);
        })) {
      kept.push_back(warning);
    }
  }
  return kept;
}

void PrintUnresolved(const std::vector<Diagnostic>& references, std::ostream& err) {
  if (references.empty()) return;
  err << references.size() << " unresolved process reference" << (references.size() == 1 ? "" : "s")
      << " (no file given names the process; a task sent there fails)\n";
  PrintDiagnostics(references, static_cast<size_t>(kProblemsShown), err);
}

// "FILE" for one file, "the files" for several: the subject of a sentence.
std::string FilesName(const RunFlags& flags) {
  return flags.files.size() == 1 ? flags.files[0] : "the files";
}

// A step's verdict: nullopt to go on, or the exit code that ends the run
// (the step has said why on stderr).
using Exit = std::optional<int>;

int UsageError(absl::string_view usage, std::ostream& err) {
  err << "convey run: " << usage << "\n" << kRunUsage;
  return kExitUsage;
}

int Failure(absl::string_view problem, std::ostream& err) {
  err << "convey run: " << problem << "\n";
  return kExitFailed;
}

// --env-file, then the --env flags over it.
Exit ReadVariables(const RunFlags& flags, Variables* variables, std::ostream& err) {
  if (flags.env_file) {
    if (auto problem = ReadVariablesFile(*flags.env_file, variables)) {
      return Failure(*problem, err);
    }
  }
  if (auto problem = ApplyVariableFlags(flags.env, variables)) {
    return UsageError(*problem, err);
  }
  return std::nullopt;
}

// `allowed_networks`: --allow-net's, resolved (ResolveAllowedNetworks).
EngineOptions OptionsFor(const RunFlags& flags, VirtualClock* virtual_clock, Variables variables,
                         std::vector<std::string> allowed_networks) {
  EngineOptions options;
  options.worker_threads = static_cast<int>(flags.threads.value_or(0));
  options.clock = flags.clock == ClockKind::kReal ? Clock::Real() : virtual_clock;
  // Time starts once the tasks are created (RunTasks): a store's recovered
  // timers wait for them.
  options.hold_time = true;
  options.variables = std::move(variables);
  // The scheme files are not trusted: their api calls stay off private
  // networks unless the command line allows them.
  options.api_refuse_private_addresses = !flags.allow_private_net;
  options.api_allowed_networks = std::move(allowed_networks);
  if (flags.store) {
    options.store_directory = *flags.store;
    options.durability =
        flags.durability.value_or("sync") == "async" ? Durability::kAsync : Durability::kSync;
  }
  return options;
}

// Deploys the files in order, with each one's warnings, then lists the
// process references no file resolved.
Exit DeployFiles(Engine& engine, const std::vector<std::string>& files, Deployed* deployed,
                 std::ostream& err) {
  deployed->files = files.size();
  for (const std::string& file : files) {
    absl::StatusOr<DeployResult> result = engine.DeployFile(file);
    if (!result.ok()) {
      err << result.status().message() << "\n";
      return kExitFailed;
    }
    const std::vector<Diagnostic> warnings =
        WithoutReferences(result->warnings, result->unresolved_references);
    PrintDeployWarnings(file, warnings, err);
    deployed->warnings += warnings.size();
    for (int64_t id : result->conv_ids) {
      if (deployed->file_of.count(id) == 0) deployed->conv_ids.push_back(id);
      deployed->file_of[id] = file;
    }
  }
  const std::vector<Diagnostic> unresolved = engine.UnresolvedReferences();
  PrintUnresolved(unresolved, err);
  deployed->unresolved_references = unresolved.size();
  return std::nullopt;
}

// The process to create tasks in: --conv, or the only one deployed.
Exit ChooseProcess(Engine& engine, const RunFlags& flags, const Deployed& deployed,
                   int64_t* conv_id, std::ostream& err) {
  const std::vector<int64_t>& conv_ids = deployed.conv_ids;
  if (flags.conv_id) {
    if (deployed.file_of.count(*flags.conv_id) == 0) {
      err << "convey run: "
          << (flags.files.size() == 1 ? absl::StrCat(flags.files[0], " holds no process ",
                                                     *flags.conv_id, "; it holds:")
                                      : absl::StrCat("none of the files holds process ",
                                                     *flags.conv_id, "; they hold:"))
          << ListProcesses(engine, deployed) << "\n";
      return kExitUsage;
    }
    *conv_id = *flags.conv_id;
  } else if (conv_ids.size() == 1) {
    *conv_id = conv_ids[0];
  } else if (conv_ids.empty()) {
    err << "convey run: " << FilesName(flags) << (flags.files.size() == 1 ? " holds" : " hold")
        << " no process\n";
    return kExitFailed;
  } else {
    err << "convey run: " << FilesName(flags) << (flags.files.size() == 1 ? " holds " : " hold ")
        << conv_ids.size()
        << " processes; choose one with --conv:" << ListProcesses(engine, deployed) << "\n";
    return kExitUsage;
  }
  return std::nullopt;
}

// Creates the tasks and waits until nothing can move or --timeout passes.
// On a timeout it says so and closes the engine, so that the summary and
// the output describe one moment rather than tasks still moving.
Exit RunTasks(Engine& engine, const RunFlags& flags, int64_t conv_id, const TaskFeed& feed,
              Clock& clock, Progress& progress, ProblemLog& problems, RunState& state,
              std::ostream& err) {
  const absl::Time start = absl::Now();
  const absl::Time clock_start = clock.Now();
  const absl::Time deadline = flags.timeout ? start + *flags.timeout : absl::InfiniteFuture();
  const int64_t to_create = feed.inputs != nullptr
                                ? flags.tasks.value_or(static_cast<int64_t>(feed.inputs->size()))
                                : flags.tasks.value_or(1);
  // Time stands still while the tasks are created: the engine would
  // otherwise jump to the next timer whenever it caught up between two
  // creates, and the tasks would start (and wake) days apart in virtual
  // time, by how much depending on thread scheduling.
  engine.HoldTime(true);
  CreateAllTasks(engine, conv_id, feed, to_create, deadline, progress, problems, state);
  const bool timed_out_creating = state.timed_out;
  engine.HoldTime(false);
  if (!state.timed_out) {
    if (absl::Status idle = WaitUntilIdle(engine, deadline, progress, state); !idle.ok()) {
      progress.Clear();
      err << "convey run: waiting for the tasks failed: " << idle.message() << "\n";
      return kExitFailed;
    }
  }
  state.elapsed = absl::Now() - start;
  progress.Clear();
  problems.Finish();
  if (state.timed_out) {
    engine.Close().IgnoreError();  // at once: what is left is reported below
    err << "convey run: timed out after " << absl::FormatDuration(*flags.timeout);
    if (timed_out_creating) {
      err << " while creating tasks (" << state.created << " of " << to_create << " created)\n";
    } else {
      err << " waiting for the tasks to stop moving\n";
    }
  }
  state.clock_time = clock.Now() - clock_start;
  return std::nullopt;
}

// `summary` points into itself (processes into stats): filled in place.
void Summarise(Engine& engine, const RunFlags& flags, const Deployed& deployed, int64_t conv_id,
               const RunState& state, int64_t input_errors, RunSummary& summary) {
  summary.files = flags.files;
  summary.file = deployed.file_of.at(conv_id);
  summary.conv_id = conv_id;
  summary.tasks_created = state.created;
  summary.input_errors = input_errors;
  summary.deploy_warnings = deployed.warnings;
  summary.unresolved_references = deployed.unresolved_references;
  summary.timed_out = state.timed_out;
  summary.elapsed = state.elapsed;
  summary.clock = flags.clock;
  summary.clock_time = state.clock_time;
  summary.stats = engine.Stats();
  ChooseReportedProcesses(deployed.file_of, &summary);
}

}  // namespace

int RunRun(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
           bool show_progress) {
  RunFlags flags;
  bool help = false;
  if (std::optional<std::string> usage = ParseRunFlags(args, flags, help)) {
    return UsageError(*usage, err);
  }
  if (help) {
    out << kRunUsage;
    return kExitOk;
  }
  if (flags.output) {
    std::vector<std::string> inputs = flags.files;
    if (flags.input) inputs.push_back(*flags.input);
    if (flags.env_file) inputs.push_back(*flags.env_file);
    if (auto problem = OutputNamesAnInput(*flags.output, inputs)) return UsageError(*problem, err);
  }
  std::string data = "{}";
  if (flags.data) {
    if (std::optional<std::string> usage = ReadTaskData(*flags.data, &data)) {
      return UsageError(*usage, err);
    }
  }
  Variables variables;
  if (Exit exit = ReadVariables(flags, &variables, err)) return *exit;
  std::vector<std::string> allowed_networks;
  if (auto problem = ResolveAllowedNetworks(flags.allow_net, &allowed_networks)) {
    return Failure(*problem, err);
  }

  // Declared before the engine, which borrows it. Starting at the real time
  // keeps `$.unixtime` and task times plausible; only timers make it jump.
  VirtualClock virtual_clock(absl::Now());
  const EngineOptions options =
      OptionsFor(flags, &virtual_clock, std::move(variables), std::move(allowed_networks));
  absl::StatusOr<std::unique_ptr<Engine>> opened = Engine::Open(options);
  if (!opened.ok()) {
    return Failure(absl::StrCat("cannot start the engine: ", opened.status().message()), err);
  }
  Engine& engine = **opened;
  if (const int64_t resumed = engine.Stats().tasks_recovered; resumed > 0) {
    err << "convey run: resumed " << resumed << " task" << (resumed == 1 ? "" : "s") << " from "
        << *flags.store << "\n";
  }
  Deployed deployed;
  if (Exit exit = DeployFiles(engine, flags.files, &deployed, err)) {
    return *exit;
  }
  int64_t conv_id = 0;
  if (Exit exit = ChooseProcess(engine, flags, deployed, &conv_id, err)) {
    return *exit;
  }
  // Open the output before running so that a bad path fails at once.
  std::ofstream output;
  if (flags.output) {
    if (auto problem = OpenTaskOutput(*flags.output, &output)) {
      return Failure(*problem, err);
    }
  }

  // The run, for the progress line, starts here: reading a large input file
  // is part of what the user waits for.
  Progress progress(err, show_progress, absl::Now());
  ProblemLog problems(err, [&progress] { progress.Clear(); });
  std::vector<InputTask> inputs;
  TaskFeed feed;
  feed.data = &data;
  if (flags.input) {
    const auto report = [&problems](absl::string_view message) { problems.Report(message); };
    // Room for the {"ref":...,"data":...} wrapper and a long ref.
    const size_t max_line_bytes = options.max_task_size + 4096;
    if (auto problem = ReadInputFile(*flags.input, max_line_bytes, report, &inputs)) {
      return Failure(*problem, err);
    }
    feed.input_file = &*flags.input;
    feed.inputs = &inputs;
  }
  RunState state;
  if (Exit exit =
          RunTasks(engine, flags, conv_id, feed, *options.clock, progress, problems, state, err)) {
    return *exit;
  }

  RunSummary summary;
  Summarise(engine, flags, deployed, conv_id, state, problems.count(), summary);
  if (flags.json) {
    PrintSummaryJson(summary, out);
  } else {
    PrintSummaryText(summary, out);
  }
  bool output_failed = false;
  if (flags.output) {
    if (auto problem = WriteTasks(engine, output, *flags.output)) {
      Failure(*problem, err);
      output_failed = true;
    }
  }
  if (state.timed_out) return kExitTimeout;
  return summary.input_errors > 0 || output_failed ? kExitFailed : kExitOk;
}

}  // namespace tools
}  // namespace convey
