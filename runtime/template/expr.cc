// The general expression nodes of expr.h: the default text of an Expr, a
// sequence of literal text and expressions, and a reference piece that may
// itself be a template. Separate from the node kinds (reference_exprs.cc,
// call_exprs.cc) because every kind builds on them.
#include "runtime/template/expr.h"

#include <utility>

namespace convey {
namespace internal {

void Expr::AppendText(internal::TemplateEnv& env, std::string* out) const {
  Value v = Eval(env);
  if (v.type() == Value::Type::kNull) {
    out->append("null");
  } else {
    out->append(v.text());  // "" for missing
  }
}

Sequence::Sequence(std::vector<Part> parts) : parts_(std::move(parts)) {
  for (const Part& part : parts_) {
    if (part.expr != nullptr && part.expr->ReadsEnv()) reads_env_ = true;
  }
}

Value Sequence::Eval(internal::TemplateEnv& env) const {
  if (parts_.size() == 1 && parts_[0].expr != nullptr) return parts_[0].expr->Eval(env);
  std::string out;
  AppendText(env, &out);
  return Value::String(std::move(out));
}

void Sequence::AppendText(internal::TemplateEnv& env, std::string* out) const {
  for (const Part& part : parts_) {
    if (part.expr == nullptr) {
      out->append(part.literal);
    } else {
      part.expr->AppendText(env, out);
    }
  }
}

bool TextArg::Get(internal::TemplateEnv& env, std::string* scratch, absl::string_view* out) const {
  if (dynamic == nullptr) {
    *out = constant;
    return true;
  }
  scratch->clear();
  dynamic->AppendText(env, scratch);
  *out = *scratch;
  return !scratch->empty();
}

}  // namespace internal
}  // namespace convey
