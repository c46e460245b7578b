// `go_if_const` comparisons (semantics A3).
//
// Compare(task_value, fun, constant, cast, regexp) is true when the task's
// value, read as the JSON type `cast`, stands in relation `fun` to the
// condition's constant:
//  - a missing task value makes every function false (not_eq too);
//  - a task value of another JSON type than `cast` is not equal: not_eq is
//    true, everything else false (no coercion: the string "10" is not the
//    number 10);
//  - number: doubles; the constant's text is parsed with the strict number
//    grammar (no whitespace); an unparsable constant is unequal to
//    everything (only not_eq is true);
//  - string: bytewise; more/less are lexicographic by unsigned byte;
//  - boolean: the constant is true/false (a boolean, or the text "true" or
//    "false"); more/less are false;
//  - object/array: deep equality of the JSON (object keys in any order,
//    arrays in order, numbers by value); the constant is JSON text of the
//    same kind, else unequal; more/less are false;
//  - regexp: RE2 unanchored search in the task value's text, for every
//    cast (cast number: the number as written, e.g. "10.5"; object/array:
//    compact JSON). `compiled_regexp` is the constant compiled once at load;
//    when null, the constant's text is compiled here (an invalid pattern
//    matches nothing).
// Thread-safe; no state.
#ifndef CONVEY_RUNTIME_TEMPLATE_COMPARE_H_
#define CONVEY_RUNTIME_TEMPLATE_COMPARE_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convey/value.h"

namespace re2 {
class RE2;
}

namespace convey {
namespace internal {

enum class CompareFun { kEq, kNotEq, kMore, kLess, kMoreOrEq, kLessOrEq, kRegexp };

bool Compare(const Value& task_value, CompareFun fun, const Value& constant, Value::Type cast,
             const re2::RE2* compiled_regexp);

// The platform's names: eq, not_eq, more, less, more_or_eq, less_or_eq,
// regexp. InvalidArgument naming the accepted ones otherwise.
absl::StatusOr<CompareFun> ParseCompareFun(absl::string_view name);
absl::string_view CompareFunName(CompareFun fun);

// The `cast` names string, number, boolean, object, array. InvalidArgument
// otherwise.
absl::StatusOr<Value::Type> ParseCast(absl::string_view name);

// A number from a value: numbers as they are, strings by the strict number
// grammar the comparisons use (`-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?`,
// finite). False for anything else. Also read by the engine for absolute
// time semaphores.
bool NumberOf(const Value& value, double* out);

}  // namespace internal

}  // namespace convey

#endif  // CONVEY_RUNTIME_TEMPLATE_COMPARE_H_
