// A condition set (semantics A3): all conditions must hold; an empty set
// always holds. Compiled once at deploy (templates, constant numbers,
// regexps) and evaluated against a ValueSource: the running task
// (go_if_const) or the data a stub-mode api_rpc would have sent.
//
// Immutable after Compile; Hold may run on many threads at once.
#ifndef CONVEY_LOGICS_CONDITIONS_CONDITIONS_H_
#define CONVEY_LOGICS_CONDITIONS_CONDITIONS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convey/logic.h"
#include "convey/value.h"
#include "logics/typed_values/typed_values.h"
#include "re2/re2.h"
#include "runtime/template/compare.h"
#include "schema/process.pb.h"

namespace convey {
namespace logics {

class Conditions {
 public:
  Conditions() = default;
  Conditions(Conditions&&) = default;
  Conditions& operator=(Conditions&&) = default;

  // `field` prefixes messages: "conditions" gives "conditions[0].param: ...".
  // InvalidArgument for a template that does not compile or a constant
  // regexp that does not.
  static absl::StatusOr<Conditions> Compile(
      const google::protobuf::RepeatedPtrField<schema::Condition>& conditions,
      absl::string_view field, LogicBuilder& builder);

  bool Hold(ValueSource& source) const;

  bool empty() const { return conditions_.empty(); }

 private:
  struct Compiled {
    const Template* param = nullptr;
    const Template* value = nullptr;
    CompareFun fun = CompareFun::kEq;
    Value::Type cast = Value::Type::kString;
    // The constant `const`, converted once to a number when cast is number.
    Value constant;
    // A constant regexp pattern, compiled once.
    std::unique_ptr<re2::RE2> regexp;
    // Set for the common `param` is a fixed path, cast number, const a
    // number, fun not regexp: the element is compared without building a
    // Value.
    const internal::Path* numeric_path = nullptr;
  };
  static bool CompareNumberAt(ValueSource& source, const Compiled& condition);

  std::vector<Compiled> conditions_;
};

}  // namespace logics
}  // namespace convey

#endif  // CONVEY_LOGICS_CONDITIONS_CONDITIONS_H_
