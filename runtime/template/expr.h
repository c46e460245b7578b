// The compiled form of a template: a tree of expressions, built once by
// the parser (parser.h) and evaluated per task. This header holds the base
// class and the general nodes; the node kinds are in reference_exprs.h
// (`{{...}}`) and call_exprs.h (`$.name(...)`). Internal to
// runtime/template.
#ifndef CONVEY_RUNTIME_TEMPLATE_EXPR_H_
#define CONVEY_RUNTIME_TEMPLATE_EXPR_H_

#include <memory>
#include <string>
#include <vector>

#include "convey/value.h"
#include "runtime/template/template.h"

namespace convey {
namespace internal {

class Expr {
 public:
  virtual ~Expr() = default;
  virtual Value Eval(internal::TemplateEnv& env) const = 0;
  // Appends the result as it reads inside a larger string (Value::ToText).
  // Overridden where that can skip building a Value.
  virtual void AppendText(internal::TemplateEnv& env, std::string* out) const;
  // False when the result depends on the template text alone, so it can be
  // computed once at compile time.
  virtual bool ReadsEnv() const = 0;
  // The path when this reads one fixed path of the task's data, else null.
  virtual const Path* data_path() const { return nullptr; }
};

// Literal text and expressions in sequence. One expression alone keeps its
// JSON type; anything else is a string.
class Sequence : public Expr {
 public:
  struct Part {
    std::string literal;         // used when expr is null
    std::unique_ptr<Expr> expr;  // a reference or a function call
  };

  explicit Sequence(std::vector<Part> parts);
  Value Eval(internal::TemplateEnv& env) const override;
  void AppendText(internal::TemplateEnv& env, std::string* out) const override;
  bool ReadsEnv() const override { return reads_env_; }

 private:
  std::vector<Part> parts_;
  bool reads_env_ = false;
};

// A piece of a reference that may itself be a template (`node[{{id}}]`).
struct TextArg {
  std::string constant;
  std::unique_ptr<Expr> dynamic;  // null: `constant` is the text

  // The text (in `constant` or in `scratch`); false when a dynamic part
  // evaluates to missing or to "".
  bool Get(internal::TemplateEnv& env, std::string* scratch, absl::string_view* out) const;
  bool ReadsEnv() const { return dynamic != nullptr && dynamic->ReadsEnv(); }
};

// The strict number grammar shared by conversions, comparisons and
// `$.math`: `-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?`, no surrounding
// whitespace, no `+`, no hex, finite. Integers that fit int64 or uint64
// keep their exact decimal text (leading zeros dropped).
bool ParseNumberText(absl::string_view text, Value* out);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_TEMPLATE_EXPR_H_
