// The expression nodes of `$.name(...)` calls: `$.math` (with its tree of
// arithmetic), `$.unixtime` and `$.date` (with `.tz`), `$.random`, the
// digests and base64, and the `$.to_*` conversions. Each evaluates its
// arguments (themselves expressions) and applies a computation from
// functions.h or convert.cc. Kept apart from the `{{...}}` reference nodes
// (reference_exprs.h) and from the parser that builds both (parser.h).
// Internal to runtime/template.
#ifndef CONVEY_RUNTIME_TEMPLATE_CALL_EXPRS_H_
#define CONVEY_RUNTIME_TEMPLATE_CALL_EXPRS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "convey/value.h"
#include "runtime/template/expr.h"
#include "runtime/template/template.h"

namespace convey {
namespace internal {

// A node of the arithmetic inside `$.math(...)`. A chain of one precedence
// level (`1+2-3`, `2*x/4`) is one node with its terms in a vector, not a
// left-leaning tree, so that evaluating, inspecting and destroying a chain of
// 100 000 terms uses no stack per term: only parentheses and function calls
// nest, and the parser bounds those (kMaxNesting).
struct MathNode {
  enum class Op { kNumber, kOperand, kNegate, kChain, kAdd, kSubtract, kMultiply, kDivide };
  // One `op term` of a chain; op is kAdd, kSubtract, kMultiply or kDivide.
  struct Step {
    Op op;
    std::unique_ptr<MathNode> term;
  };
  Op op = Op::kNumber;
  double number = 0;                // kNumber
  std::unique_ptr<Expr> operand;    // kOperand
  std::unique_ptr<MathNode> first;  // kNegate: the negated term; kChain: the first term
  std::vector<Step> steps;          // kChain: applied to `first` left to right

  bool ReadsEnv() const;
  // False when an operand is not a number, a division is by zero or a
  // result is not finite.
  bool Eval(internal::TemplateEnv& env, double* out) const;
};

// `$.math(...)`.
class MathCall : public Expr {
 public:
  explicit MathCall(std::unique_ptr<MathNode> root) : root_(std::move(root)) {}
  Value Eval(internal::TemplateEnv& env) const override;
  bool ReadsEnv() const override { return root_->ReadsEnv(); }

 private:
  std::unique_ptr<MathNode> root_;
};

// `$.unixtime(...)` and `$.date(...)`, optionally `.tz('Zone')`.
class TimeCall : public Expr {
 public:
  enum class Kind { kUnixtime, kDate };
  TimeCall(Kind kind, std::unique_ptr<Expr> format, absl::TimeZone zone,
           std::unique_ptr<Expr> dynamic_zone)
      : kind_(kind),
        format_(std::move(format)),
        zone_(zone),
        dynamic_zone_(std::move(dynamic_zone)) {}
  Value Eval(internal::TemplateEnv& env) const override;
  bool ReadsEnv() const override { return true; }

 private:
  Kind kind_;
  std::unique_ptr<Expr> format_;  // null: no argument
  absl::TimeZone zone_;
  std::unique_ptr<Expr> dynamic_zone_;
};

// An integer argument of `$.random`: integral numbers, capped to int64.
bool IntegerOf(const Value& value, int64_t* out);

// `$.random(N)`: 0 for N = 0, 1..N for N > 0, N..-1 for N < 0;
// `$.random(A, B)`: A..B (either order).
class RandomCall : public Expr {
 public:
  RandomCall(std::unique_ptr<Expr> first, std::unique_ptr<Expr> second)
      : first_(std::move(first)), second_(std::move(second)) {}
  Value Eval(internal::TemplateEnv& env) const override;
  bool ReadsEnv() const override { return true; }

 private:
  std::unique_ptr<Expr> first_;
  std::unique_ptr<Expr> second_;  // null: the one-bound form
};

// `$.sha1`, `$.sha1_hex`, `$.md5_hex`, `$.base64_encode` over the
// argument's text.
class DigestCall : public Expr {
 public:
  using Function = std::string (*)(absl::string_view);
  DigestCall(Function function, std::unique_ptr<Expr> arg)
      : function_(function), arg_(std::move(arg)) {}
  Value Eval(internal::TemplateEnv& env) const override;
  bool ReadsEnv() const override { return arg_ != nullptr && arg_->ReadsEnv(); }

 private:
  Function function_;
  std::unique_ptr<Expr> arg_;
};

// `$.to_object/to_array/to_number/to_string`: ConvertTo; missing when the
// value does not convert.
class ConvertCall : public Expr {
 public:
  ConvertCall(Value::Type type, std::unique_ptr<Expr> arg) : type_(type), arg_(std::move(arg)) {}
  Value Eval(internal::TemplateEnv& env) const override;
  bool ReadsEnv() const override { return arg_ != nullptr && arg_->ReadsEnv(); }

 private:
  Value::Type type_;
  std::unique_ptr<Expr> arg_;
};

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_TEMPLATE_CALL_EXPRS_H_
