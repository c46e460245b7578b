// Deploying scheme files: import and compile, the process table (every
// version a task may still run on, and the current one per conv_id), and
// references to processes no file deployed. With a store, the catalog of
// versions is kept by durability.cc (Catalogue).
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/base/status_macros.h"
#include "runtime/engine/engine_impl.h"
#include "runtime/import/importer.h"
#include "runtime/import/scheme_file.h"

namespace convey {
namespace internal {

absl::StatusOr<std::vector<std::unique_ptr<CompiledProcess>>> EngineImpl::CompileScheme(
    absl::string_view file_name, absl::string_view json, DeployResult* result) const {
  ImportResult imported = ImportScheme(file_name, json, options_.import_limits);
  std::vector<std::string> errors;
  for (const Diagnostic& diagnostic : imported.diagnostics) {
    if (diagnostic.is_error()) {
      errors.push_back(diagnostic.ToString());
    } else {
      result->warnings.push_back(diagnostic);
    }
  }
  if (!imported.ok()) {
    return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  }
  std::vector<std::unique_ptr<CompiledProcess>> compiled;
  CompileOptions compile;
  compile.sum_stripes = worker_count_ + 1;
  compile.code_limits = options_.code_limits;
  for (const schema::Process& process : imported.scheme().processes()) {
    std::vector<Diagnostic> diagnostics;
    absl::StatusOr<std::unique_ptr<CompiledProcess>> one =
        CompileProcess(file_name, process, *registry_, compile, &diagnostics);
    if (!one.ok()) return one.status();
    for (Diagnostic& warning : diagnostics) result->warnings.push_back(std::move(warning));
    for (Diagnostic& unset : UnsetVariableWarnings(file_name, **one, *variables_)) {
      result->warnings.push_back(std::move(unset));
    }
    result->conv_ids.push_back(process.conv_id());
    compiled.push_back(*std::move(one));
  }
  if (compiled.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(file_name, ": the file holds no process"));
  }
  return compiled;
}

absl::StatusOr<DeployResult> EngineImpl::Deploy(absl::string_view file_name,
                                                absl::string_view json) {
  if (absl::Status open = CheckIntake(); !open.ok()) return open;
  DeployResult result;
  CONVEY_ASSIGN_OR_RETURN(std::vector<std::unique_ptr<CompiledProcess>> compiled,
                          CompileScheme(file_name, json, &result));
  bool existing = false;
  if (persistence_ != nullptr) {
    CONVEY_RETURN_IF_ERROR(Catalogue(file_name, json, compiled, &existing, &result));
  }
  if (!existing) Install(std::move(compiled));
  for (Diagnostic& unresolved : UnresolvedReferences()) {
    if (unresolved.file == file_name) result.unresolved_references.push_back(std::move(unresolved));
  }
  return result;
}

void EngineImpl::Install(std::vector<std::unique_ptr<CompiledProcess>> compiled) {
  std::lock_guard<std::shared_mutex> lock(processes_mu_);
  for (auto& process : compiled) {
    const int64_t conv_id = process->conv_id;
    if (!current_.contains(conv_id)) deploy_order_.push_back(conv_id);
    std::shared_ptr<ProcessControl>& control = controls_[conv_id];
    if (control == nullptr) control = std::make_shared<ProcessControl>();
    process->control = control;
    if (process->paused_in_file) {
      std::lock_guard<std::mutex> pause(control->mu);
      control->paused.store(true, std::memory_order_release);
    }
    current_[conv_id] = process.get();
    versions_.push_back(std::move(process));
  }
}

const CompiledProcess* EngineImpl::VersionOf(uint64_t version, int64_t conv_id) const {
  std::shared_lock<std::shared_mutex> lock(processes_mu_);
  for (const auto& process : versions_) {
    if (process->version == version && process->conv_id == conv_id) return process.get();
  }
  return nullptr;
}

absl::StatusOr<DeployResult> EngineImpl::DeployFile(const std::string& path) {
  absl::StatusOr<std::string> contents = ReadSchemeFile(path, options_.import_limits.max_file_size);
  if (!contents.ok()) return contents.status();
  return Deploy(path, *contents);
}

std::vector<Diagnostic> EngineImpl::UnresolvedReferences() const {
  std::shared_lock<std::shared_mutex> lock(processes_mu_);
  std::vector<Diagnostic> unresolved;
  for (int64_t conv_id : deploy_order_) {
    const CompiledProcess& process = *current_.at(conv_id);
    for (const auto& [node_id, target] : process.references) {
      if (current_.contains(target)) continue;
      Diagnostic diagnostic;
      diagnostic.severity = Diagnostic::Severity::kWarning;
      diagnostic.file = process.file;
      diagnostic.location = absl::StrCat("process ", conv_id);
      diagnostic.node_id = node_id;
      diagnostic.message = absl::StrCat("sends tasks to process ", target,
                                        ", which is not deployed: they fail there");
      unresolved.push_back(std::move(diagnostic));
    }
  }
  return unresolved;
}

}  // namespace internal
}  // namespace convey
