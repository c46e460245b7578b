#include "runtime/engine/process.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "runtime/import/importer.h"

namespace convey {
namespace internal {

SumAccumulator::SumAccumulator(std::string id, std::string name, int stripes)
    : id_(std::move(id)), name_(std::move(name)),
      stripes_(new Stripe[stripes]), count_(stripes) {}

void SumAccumulator::Add(double amount, int stripe) {
  std::atomic<double>& slot = stripes_[stripe % count_].value;
  // The stripe is normally written by one thread only; the loop matters for
  // the shared stripe and for a concurrent Reset.
  double current = slot.load(std::memory_order_relaxed);
  while (!slot.compare_exchange_weak(current, current + amount, std::memory_order_relaxed)) {
  }
}

double SumAccumulator::Read() const {
  double total = 0;
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

// The err_node_id of a logic convey does not run, if it has one.
const std::string& ErrNodeIdOf(const schema::Logic& logic) {
  switch (logic.config_case()) {
    case schema::Logic::kSetParam:
      return logic.set_param().err_node_id();
    case schema::Logic::kApiSum:
      return logic.api_sum().err_node_id();
    case schema::Logic::kApi:
      return logic.api().err_node_id();
    case schema::Logic::kApiCopy:
      return logic.api_copy().err_node_id();
    case schema::Logic::kApiRpc:
      return logic.api_rpc().err_node_id();
    case schema::Logic::kApiRpcReply:
      return logic.api_rpc_reply().err_node_id();
    case schema::Logic::kApiGetTask:
      return logic.api_get_task().err_node_id();
    case schema::Logic::kUnsupported:
      return logic.unsupported().err_node_id();
    default: {
      static const std::string* const kNone = new std::string();
      return *kNone;
    }
  }
}

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

class ProcessBuilder : public LogicBuilder {
 public:
  ProcessBuilder(CompiledProcess* process, CompiledNode* node, int sum_stripes)
      : process_(process), node_(node), sum_stripes_(sum_stripes) {}

  absl::StatusOr<NodeHandle> Node(absl::string_view node_id) override {
    // An empty link is allowed (the importer warned): a task that has to
    // follow it stops with an error.
    if (node_id.empty()) return NodeHandle{};
    auto it = process_->node_by_id.find(node_id);
    if (it == process_->node_by_id.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("node \"", node_id, "\" is not a node of process ", process_->conv_id));
    }
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
    Diagnostic warning;
    warning.severity = Diagnostic::Severity::kWarning;
    warning.file = process_->file;
    warning.location = where_;
    warning.node_id = node_->id;
    warning.message = std::move(message);
    warnings_->push_back(std::move(warning));
  }
  CodeLimits code_limits() const override { return code_limits_; }
  // Names the logic being created, and where its warnings go.
  void SetLogic(std::string where, std::vector<Diagnostic>* warnings,
                const CodeLimits& code_limits) {
    where_ = std::move(where);
    warnings_ = warnings;
    code_limits_ = code_limits;
  }

  SumHandle DeclareSum(absl::string_view id, absl::string_view name) override {
    for (size_t i = 0; i < node_->sums.size(); ++i) {
      const SumAccumulator& sum = *node_->sums[i];
      if (id.empty() ? sum.name() == name : sum.id() == id) {
        return SumHandle{static_cast<uint32_t>(i)};
      }
    }
    node_->sums.push_back(std::make_unique<SumAccumulator>(std::string(id), std::string(name),
                                                           sum_stripes_));
    return SumHandle{static_cast<uint32_t>(node_->sums.size() - 1)};
  }

 private:
  CompiledProcess* process_;
  CompiledNode* node_;
  int sum_stripes_;
  std::string where_;
  std::vector<Diagnostic>* warnings_ = nullptr;
  CodeLimits code_limits_;
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
          return absl::InvalidArgumentError(absl::StrCat(
              "time semaphore value: ", compiled_template.status().message()));
        }
        time->absolute = *compiled_template;
      } else {
        const double micros = source.relative() *
                              static_cast<double>(kDimensionSeconds[source.dimension()]) * 1e6;
        time->relative_micros = static_cast<int64_t>(std::min(micros, static_cast<double>(kMaxTimerMicros)));
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

}  // namespace

absl::StatusOr<std::unique_ptr<CompiledProcess>> CompileProcess(
    absl::string_view file_name, const schema::Process& source, const LogicRegistry& registry,
    int sum_stripes, std::vector<Diagnostic>* warnings, const CodeLimits& code_limits) {
  auto process = std::make_unique<CompiledProcess>();
  process->conv_id = source.conv_id();
  process->file = std::string(file_name);
  process->title = source.title();
  process->conv_type = source.conv_type();
  process->nodes.resize(source.nodes_size());
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
  for (int i = 0; i < source.nodes_size(); ++i) {
    const schema::Node& node = source.nodes(i);
    CompiledNode& compiled = process->nodes[i];
    compiled.counters = std::make_unique<NodeCounters>(sum_stripes);
    compiled.id = node.id();
    compiled.title = node.title();
    compiled.kind = node.kind();
    compiled.is_final = node.kind() == schema::NODE_KIND_FINAL;
    compiled.save_task = !node.options().has_save_task() || node.options().save_task();
    if (compiled.is_final) continue;  // a final node's logics never run
    ProcessBuilder builder(process.get(), &compiled, sum_stripes);
    if (absl::Status status = CompileSemaphores(node, builder, &compiled); !status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(file_name, ": process ", source.conv_id(),
                                                     ", node \"", node.id(), "\": ",
                                                     status.message()));
    }
    for (int j = 0; j < node.logics_size(); ++j) {
      const schema::Logic& logic = node.logics(j);
      absl::string_view type = LogicTypeName(logic);
      const LogicFactory* factory = registry.Find(type);
      std::string where = absl::StrCat("process ", source.conv_id(), ", node \"", node.id(),
                                       "\", logics[", j, "] (", type, ")");
      if (factory == nullptr) {
        absl::StatusOr<NodeHandle> err_node = builder.Node(ErrNodeIdOf(logic));
        if (!err_node.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat(file_name, ": ", where, ": ", err_node.status().message()));
        }
        Diagnostic warning;
        warning.severity = Diagnostic::Severity::kWarning;
        warning.file = std::string(file_name);
        warning.location = where;
        warning.node_id = node.id();
        warning.message = absl::StrCat("logic type \"", type,
                                       "\" is not supported: tasks reaching it leave by its "
                                       "err_node_id with logic_not_supported");
        warnings->push_back(std::move(warning));
        compiled.logics.push_back(std::make_unique<NotSupportedLogic>(std::string(type), *err_node));
        continue;
      }
      LogicSpec spec;
      spec.type = type;
      spec.conv_id = source.conv_id();
      spec.node_id = node.id();
      spec.index = j;
      spec.config = &logic;
      spec.node = &node;
      if (logic.config_case() == schema::Logic::kApiQueue && compiled.queue == nullptr) {
        compiled.queue = std::make_unique<NodeQueue>();
      }
      builder.SetLogic(where, warnings, code_limits);
      absl::StatusOr<std::unique_ptr<Logic>> created = factory->Create(spec, builder);
      if (!created.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(file_name, ": ", where, ": ", created.status().message()));
      }
      compiled.logics.push_back(*std::move(created));
    }
  }
  return process;
}

}  // namespace internal
}  // namespace convey
