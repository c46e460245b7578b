// A condition set (semantics A3): all conditions must hold; an empty set
// always holds. Read from a logic's configuration with the importer's rules
// (problems reported there, located), compiled once at deploy (templates,
// constant numbers, regexps) and evaluated against a ValueSource: the
// running task (go_if_const) or the data a stub-mode api_rpc would have
// sent.
//
// Immutable once read; Hold may run on many threads at once.
#ifndef CONVEY_LOGICS_COMMON_CONDITIONS_H_
#define CONVEY_LOGICS_COMMON_CONDITIONS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convey/logic.h"
#include "convey/value.h"
#include "logics/common/typed_values.h"
#include "re2/re2.h"
#include "runtime/template/compare.h"

namespace convey {
namespace logics {

class Conditions {
 public:
  Conditions() = default;
  Conditions(Conditions&&) = default;
  Conditions& operator=(Conditions&&) = default;

  // A go_if_const's conditions: the array `conditions` of `config`, or the
  // legacy flat shape (param, fun, const and cast on the logic itself).
  // None: a warning "go_if_const has no conditions: it always matches".
  // Every problem is reported in `config`, located (`conditions[0].fun`);
  // when any was, the result is config.Failed().
  static absl::StatusOr<Conditions> Read(LogicConfig& config, LogicBuilder& builder);

  // Adds the conditions of the array `conditions` of `config` (a go_if_const
  // step of a stub branch: the conditions of all its steps must hold), with
  // the same rules and reports as Read, no legacy shape and no warning for
  // none. False when it reported an error.
  bool ReadList(LogicConfig& config, LogicBuilder& builder);

  bool Hold(ValueSource& source) const;
  // The same on the running task. When every condition compares a number at
  // a fixed path with a constant (the go_if_const of most processes, on
  // every node it guards: B2), through TaskContext::EvaluateNumber, without
  // a ValueSource and its second virtual call, and without a Value.
  bool Hold(TaskContext& task) const;

  bool empty() const { return conditions_.empty(); }
  size_t size() const { return conditions_.size(); }

 private:
  struct Compiled {
    const Template* param = nullptr;
    const Template* value = nullptr;
    internal::CompareFun fun = internal::CompareFun::kEq;
    Value::Type cast = Value::Type::kString;
    // The constant `const`, converted once to a number when cast is number.
    Value constant;
    // A constant regexp pattern, compiled once.
    std::unique_ptr<re2::RE2> regexp;
    // Set for the common `param` is a fixed path, cast number, const a
    // number, fun not regexp: the number is compared without building a
    // Value (EvaluateNumber).
    bool numeric = false;
  };
  // Reads and compiles the condition `config` (an element of `conditions`,
  // or the logic itself in the legacy shape); adds it when it has no error.
  void ReadOne(LogicConfig& config, LogicBuilder& builder);
  // The condition on what EvaluateNumber found.
  static bool CompareNumber(NumberLookup found, double value, const Compiled& condition);

  std::vector<Compiled> conditions_;
  // Every condition is `numeric` (also when there is none).
  bool numeric_only_ = true;
};

}  // namespace logics
}  // namespace convey

#endif  // CONVEY_LOGICS_COMMON_CONDITIONS_H_
