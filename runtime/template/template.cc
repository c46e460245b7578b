// The Template facade: compiles a text through the parser (parser.h) into a
// tree of expression nodes, or into a constant when it reads nothing, and
// evaluates it per task.
#include "runtime/template/template.h"

#include <random>
#include <utility>
#include <vector>

#include "runtime/base/status_macros.h"
#include "runtime/template/expr.h"
#include "runtime/template/parser.h"
#include "runtime/template/reference_exprs.h"

namespace convey {

struct Template::Impl {
  std::string source;
  std::unique_ptr<internal::Expr> root;  // null when constant
  Value constant;
  std::vector<std::string> env_vars;
};

Template::Template() : impl_(new Impl) {}

Template::~Template() = default;

absl::StatusOr<std::unique_ptr<Template>> Template::Compile(absl::string_view text,
                                                            TemplateMode mode) {
  std::unique_ptr<Template> compiled(new Template());
  Impl& impl = *compiled->impl_;
  impl.source = std::string(text);
  internal::Parser parser(impl.source);
  if (mode == TemplateMode::kParam && !parser.HasSyntax(0, impl.source.size())) {
    // A bare parameter name is a path into the task.
    CONVEY_ASSIGN_OR_RETURN(internal::Path path, internal::ParsePath(impl.source));
    impl.root.reset(new internal::DataRef(std::move(path)));
    compiled->data_path_ = impl.root->data_path();
    return compiled;
  }
  CONVEY_ASSIGN_OR_RETURN(std::unique_ptr<internal::Expr> root,
                          parser.ParseSequence(0, impl.source.size(), 0));
  impl.env_vars = std::move(parser.env_vars());
  if (root->ReadsEnv()) {
    impl.root = std::move(root);
    compiled->data_path_ = impl.root->data_path();
  } else {
    internal::NoEnv no_env;
    impl.constant = root->Eval(no_env);
  }
  return compiled;
}

Value Template::Evaluate(internal::TemplateEnv& env) const {
  if (impl_->root == nullptr) return impl_->constant;
  return impl_->root->Eval(env);
}

bool Template::is_constant() const { return impl_->root == nullptr; }

const Value& Template::constant() const { return impl_->constant; }

const std::string& Template::source() const { return impl_->source; }

const std::vector<std::string>& Template::env_var_names() const { return impl_->env_vars; }

Value internal::TemplateEnv::DataAt(const internal::Path& path) {
  simdjson::dom::element element;
  if (!internal::FindPath(data(), path, &element)) return Value::Missing();
  return internal::ValueFromElement(element);
}

uint64_t internal::DocumentEnv::Random() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return generator();
}

}  // namespace convey
