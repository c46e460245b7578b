#include "runtime/engine/process.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/import/located_reader.h"
#include "runtime/import/logic_config.h"
#include "runtime/import/scheme_locations.h"

namespace convey {
namespace internal {

SumAccumulator::SumAccumulator(std::string id, std::string name, int stripes)
    : id_(std::move(id)), name_(std::move(name)), stripes_(new Stripe[stripes]), count_(stripes) {}

bool SumAccumulator::Add(double amount, int stripe) {
  std::atomic<double>& slot = stripes_[stripe % count_].value;
  // The stripe is normally written by one thread only; the loop matters for
  // the shared stripe and for a concurrent Reset.
  double current = slot.load(std::memory_order_relaxed);
  while (true) {
    const double next = current + amount;
    if (!std::isfinite(next)) return false;
    // The total (the stripes' sum) can pass the largest double only once a
    // stripe holds more than its share of it: only then is it read.
    if (std::fabs(next) > std::numeric_limits<double>::max() / count_ &&
        std::fabs(ReadWide() - current + next) > std::numeric_limits<double>::max()) {
      return false;
    }
    if (slot.compare_exchange_weak(current, next, std::memory_order_relaxed)) return true;
  }
}

double SumAccumulator::Read() const { return static_cast<double>(ReadWide()); }

long double SumAccumulator::ReadWide() const {
  // Wider than a double, so that stripes of opposite signs near the largest
  // double add up whatever their order.
  long double total = 0;
  for (int i = 0; i < count_; ++i) total += stripes_[i].value.load(std::memory_order_relaxed);
  return total;
}

void SumAccumulator::Reset() {
  for (int i = 0; i < count_; ++i) stripes_[i].value.store(0, std::memory_order_relaxed);
}

SumAccumulator* CompiledNode::FindSum(absl::string_view id_or_name) const {
  for (const auto& sum : sums) {
    if (sum->id() == id_or_name) return sum.get();
  }
  for (const auto& sum : sums) {
    if (sum->name() == id_or_name) return sum.get();
  }
  return nullptr;
}

const CompiledNode* CompiledProcess::FindNode(absl::string_view id) const {
  auto it = node_by_id.find(id);
  return it == node_by_id.end() ? nullptr : &nodes[it->second];
}

namespace {

constexpr int64_t kDimensionSeconds[] = {1, 60, 3600, 86400};

// A logic type with no factory: the task leaves by err_node_id with
// `logic_not_supported` (Part A1).
class NotSupportedLogic : public Logic {
 public:
  NotSupportedLogic(std::string type, NodeHandle err_node)
      : type_(std::move(type)), err_node_(err_node) {}
  LogicResult Run(TaskContext&) const override {
    return LogicResult::Fail(err_node_, false, "logic_not_supported",
                             absl::StrCat("logic type \"", type_, "\" is not supported by convey"));
  }
  absl::string_view error_family() const override { return type_; }
  NodeHandle error_node() const override { return err_node_; }

 private:
  std::string type_;
  NodeHandle err_node_;
};

// The LogicBuilder of one process being compiled. Every node it resolves is
// an edge of the graph, for the unreachable-node check.
class ProcessBuilder : public LogicBuilder {
 public:
  ProcessBuilder(CompiledProcess* process, const CompileOptions& options,
                 std::vector<Diagnostic>* diagnostics)
      : process_(process),
        options_(options),
        diagnostics_(diagnostics),
        reached_(process->nodes.size(), false) {}

  // The node and logic being compiled, for what follows.
  void SetNode(CompiledNode* node) { node_ = node; }
  void SetLogic(std::string location) { location_ = std::move(location); }

  absl::StatusOr<NodeHandle> Node(absl::string_view node_id) override {
    // An empty link is allowed (the importer warned): a task that has to
    // follow it stops with an error.
    if (node_id.empty()) return NodeHandle{};
    auto it = process_->node_by_id.find(node_id);
    if (it == process_->node_by_id.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("node \"", node_id, "\" is not a node of process ", process_->conv_id));
    }
    reached_[it->second] = true;
    return NodeHandle{it->second};
  }

  absl::StatusOr<const Template*> CompileTemplate(absl::string_view text,
                                                  TemplateMode mode) override {
    absl::StatusOr<std::unique_ptr<Template>> compiled = Template::Compile(text, mode);
    if (!compiled.ok()) return compiled.status();
    for (const std::string& name : (*compiled)->env_var_names()) {
      process_->variables.emplace_back(node_->id, name);
    }
    process_->templates.push_back(*std::move(compiled));
    return process_->templates.back().get();
  }

  void ReferenceProcess(int64_t conv_id) override {
    process_->references.emplace_back(node_->id, conv_id);
  }
  void Warn(std::string message) override {
    Report(Diagnostic::Severity::kWarning, location_, std::move(message));
  }
  CodeLimits code_limits() const override { return options_.code_limits; }
  void DeclareQueue() override {
    if (node_->queue == nullptr) node_->queue = std::make_unique<NodeQueue>();
  }

  SumHandle DeclareSum(absl::string_view id, absl::string_view name) override {
    for (size_t i = 0; i < node_->sums.size(); ++i) {
      const SumAccumulator& sum = *node_->sums[i];
      if (id.empty() ? sum.name() == name : sum.id() == id) {
        return SumHandle{static_cast<uint32_t>(i)};
      }
    }
    node_->sums.push_back(
        std::make_unique<SumAccumulator>(std::string(id), std::string(name), options_.sum_stripes));
    return SumHandle{static_cast<uint32_t>(node_->sums.size() - 1)};
  }

  void Report(Diagnostic::Severity severity, std::string location, std::string message) {
    const bool error = severity == Diagnostic::Severity::kError;
    if (error) ++errors_;
    // Past the cap an error is still kept when no error is (as in
    // LocatedReader::Report).
    if (diagnostics_->size() >= first_ + options_.max_diagnostics &&
        !(error && !HoldsError(*diagnostics_, first_))) {
      return;
    }
    Diagnostic diagnostic;
    diagnostic.severity = severity;
    diagnostic.file = process_->file;
    diagnostic.location = std::move(location);
    diagnostic.node_id = node_ == nullptr ? "" : node_->id;
    diagnostic.message = std::move(message);
    diagnostics_->push_back(std::move(diagnostic));
  }
  bool reached(size_t node) const { return reached_[node]; }
  // Errors reported here (kept or not).
  int errors() const { return errors_; }

 private:
  CompiledProcess* process_;
  const CompileOptions& options_;
  std::vector<Diagnostic>* diagnostics_;
  CompiledNode* node_ = nullptr;
  std::string location_;
  std::vector<bool> reached_;
  const size_t first_ = diagnostics_->size();
  int errors_ = 0;
};

// The node's first time and first count semaphore (a node has at most one
// of each in files the platform exports).
absl::Status CompileSemaphores(const schema::Node& node, ProcessBuilder& builder,
                               CompiledNode* compiled) {
  for (const schema::Semaphore& semaphore : node.semaphores()) {
    if (semaphore.has_time() && compiled->time == nullptr) {
      const schema::TimeSemaphore& source = semaphore.time();
      absl::StatusOr<NodeHandle> target = builder.Node(source.to_node_id());
      if (!target.ok()) return target.status();
      if (!target->valid()) continue;  // empty link: the importer warned
      auto time = std::make_unique<TimeSemaphore>();
      time->target = target->index;
      if (source.value_case() == schema::TimeSemaphore::kAbsoluteTemplate) {
        absl::StatusOr<const Template*> compiled_template =
            builder.CompileTemplate(source.absolute_template(), TemplateMode::kValue);
        if (!compiled_template.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("time semaphore value: ", compiled_template.status().message()));
        }
        time->absolute = *compiled_template;
      } else {
        const double micros =
            source.relative() * static_cast<double>(kDimensionSeconds[source.dimension()]) * 1e6;
        time->relative_micros =
            static_cast<int64_t>(std::min(micros, static_cast<double>(kMaxTimerMicros)));
      }
      compiled->time = std::move(time);
    } else if (semaphore.has_count() && compiled->count.threshold == 0) {
      absl::StatusOr<NodeHandle> target = builder.Node(semaphore.count().esc_node_id());
      if (!target.ok()) return target.status();
      if (!target->valid()) continue;
      compiled->count.threshold = semaphore.count().value();
      compiled->count.target = target->index;
    }
  }
  return absl::OkStatus();
}

// The configurations of one node's logics (and stub branches) while it is
// compiled.
class NodeConfigs {
 public:
  NodeConfigs(absl::string_view file_name, const schema::Process& process, const schema::Node& node,
              ProcessBuilder& builder, size_t max_diagnostics, std::vector<Diagnostic>* diagnostics)
      : file_name_(file_name),
        process_(process),
        node_(node),
        builder_(builder),
        max_diagnostics_(max_diagnostics),
        diagnostics_(diagnostics) {}

  // Null when the kept text is not an object (reported). `location`: the
  // logic's path (scheme_locations.h).
  LogicConfig* Add(const schema::Logic& logic, const std::string& location) {
    absl::StatusOr<std::unique_ptr<LogicConfig>> config =
        NewLogicConfig({file_name_, logic.type(), logic.json(), location, node_.id(),
                        process_.conv_id(), max_diagnostics_},
                       &builder_, diagnostics_);
    if (!config.ok()) {
      builder_.Report(Diagnostic::Severity::kError, location,
                      std::string(config.status().message()));
      return nullptr;
    }
    configs_.push_back(*std::move(config));
    return configs_.back().get();
  }
  // Errors reported through these configurations so far.
  int errors() const {
    int errors = 0;
    for (const auto& config : configs_) errors += config->error_count();
    return errors;
  }

 private:
  absl::string_view file_name_;
  const schema::Process& process_;
  const schema::Node& node_;
  ProcessBuilder& builder_;
  size_t max_diagnostics_;
  std::vector<Diagnostic>* diagnostics_;
  std::vector<std::unique_ptr<LogicConfig>> configs_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<CompiledProcess>> CompileProcess(
    absl::string_view file_name, const schema::Process& source, const LogicRegistry& registry,
    const CompileOptions& options, std::vector<Diagnostic>* diagnostics) {
  const size_t first_diagnostic = diagnostics->size();
  auto process = std::make_unique<CompiledProcess>();
  process->conv_id = source.conv_id();
  process->file = std::string(file_name);
  process->title = source.title();
  process->conv_type = source.conv_type();
  process->paused_in_file = source.status() == schema::PROCESS_STATUS_PAUSED;
  process->nodes.resize(source.nodes_size());
  process->node_tasks =
      std::make_unique<NodeTaskCounts>(options.sum_stripes, process->nodes.size());
  bool has_start = false;
  for (int i = 0; i < source.nodes_size(); ++i) {
    const schema::Node& node = source.nodes(i);
    process->node_by_id.emplace(node.id(), static_cast<uint32_t>(i));
    if (node.kind() == schema::NODE_KIND_START && !has_start) {
      process->start = static_cast<uint32_t>(i);
      has_start = true;
    }
  }
  if (!has_start) {
    return absl::InvalidArgumentError(
        absl::StrCat(file_name, ": process ", source.conv_id(), " has no start node"));
  }
  ProcessBuilder builder(process.get(), options, diagnostics);
  int config_errors = 0;
  for (int i = 0; i < source.nodes_size(); ++i) {
    const schema::Node& node = source.nodes(i);
    CompiledNode& compiled = process->nodes[i];
    compiled.index = static_cast<uint32_t>(i);
    compiled.counters = std::make_unique<NodeCounters>(options.sum_stripes);
    compiled.id = node.id();
    compiled.title = node.title();
    compiled.kind = node.kind();
    // Never "" (a node is below its process), so never shown as "$".
    compiled.location = NodeLocation(source, i);
    const std::string& node_location = compiled.location;
    compiled.is_final = node.kind() == schema::NODE_KIND_FINAL;
    compiled.save_task = !node.options().has_save_task() || node.options().save_task();
    if (compiled.is_final) continue;  // a final node's logics never run
    builder.SetNode(&compiled);
    if (absl::Status status = CompileSemaphores(node, builder, &compiled); !status.ok()) {
      builder.Report(Diagnostic::Severity::kError, compiled.location,
                     std::string(status.message()));
    }
    NodeConfigs configs(file_name, source, node, builder,
                        first_diagnostic + options.max_diagnostics, diagnostics);
    std::vector<std::vector<LogicConfig*>> stub;
    if (node.kind() == schema::NODE_KIND_STUB) {
      for (int b = 0; b < node.stub_size(); ++b) {
        const schema::StubBranch& branch = node.stub(b);
        stub.emplace_back();
        for (int s = 0; s < branch.logics_size(); ++s) {
          LogicConfig* config =
              configs.Add(branch.logics(s), StubLogicLocation(node_location, b, s));
          if (config != nullptr) stub.back().push_back(config);
        }
      }
    }
    for (int j = 0; j < node.logics_size(); ++j) {
      const schema::Logic& logic = node.logics(j);
      const std::string location = LogicLocation(node_location, j);
      builder.SetLogic(location);
      LogicConfig* config = configs.Add(logic, location);
      if (config == nullptr) continue;
      const LogicFactory* factory = registry.Find(logic.type());
      if (factory == nullptr) {
        NodeHandle err_node, to_node;
        config->ReadLink("err_node_id", /*required=*/false, &err_node);
        config->ReadLink("to_node_id", /*required=*/false, &to_node);
        if (options.warn_unsupported) {
          builder.Warn(absl::StrCat("logic type \"", logic.type(),
                                    "\" is not supported: tasks reaching it leave by its "
                                    "err_node_id with logic_not_supported"));
        }
        compiled.logics.push_back(std::make_unique<NotSupportedLogic>(logic.type(), err_node));
        continue;
      }
      LogicSpec spec;
      spec.type = logic.type();
      spec.conv_id = source.conv_id();
      spec.node_id = node.id();
      spec.index = j;
      spec.config = config;
      spec.node_kind = static_cast<NodeKind>(node.kind());
      spec.stub = stub;
      spec.validate_only = options.validate_only;
      const int before = configs.errors();
      absl::StatusOr<std::unique_ptr<Logic>> created = factory->Create(spec, builder);
      if (!created.ok()) {
        // Reported through the configs already, or located at the logic.
        if (configs.errors() == before) {
          builder.Report(Diagnostic::Severity::kError, location,
                         std::string(created.status().message()));
        }
        continue;
      }
      compiled.logics.push_back(*std::move(created));
    }
    config_errors += configs.errors();
  }
  builder.SetNode(nullptr);
  if (const int errors = builder.errors() + config_errors; errors > 0) {
    std::vector<std::string> lines;
    for (size_t i = first_diagnostic; i < diagnostics->size(); ++i) {
      if ((*diagnostics)[i].is_error()) lines.push_back((*diagnostics)[i].ToString());
    }
    if (static_cast<size_t>(errors) > lines.size()) {
      lines.push_back(absl::StrCat("(", errors - lines.size(), " more errors not listed)"));
    }
    return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
  }
  for (size_t i = 0; i < process->nodes.size(); ++i) {
    const CompiledNode& node = process->nodes[i];
    if (i == process->start || builder.reached(i)) continue;
    Diagnostic warning;
    warning.severity = Diagnostic::Severity::kWarning;
    warning.file = process->file;
    warning.location = node.location;
    warning.node_id = node.id;
    warning.message = "no link leads to this node; tasks can never reach it";
    if (diagnostics->size() < first_diagnostic + options.max_diagnostics) {
      diagnostics->push_back(std::move(warning));
    }
  }
  return process;
}

}  // namespace internal
}  // namespace convey
