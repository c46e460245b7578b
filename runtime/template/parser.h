// The template parser: one pass of recursive descent over the source text
// that builds the tree of expression nodes (expr.h, reference_exprs.h,
// call_exprs.h), parsing every constant path and checking every constant
// `$.` argument so that evaluation only walks the task's document. Kept
// apart from the Template facade (template.cc), which only decides between
// a bare path, a constant and a tree, and from the nodes, which are what
// runs per task. Positions are byte offsets into the whole source, so every
// error names the place in the text the user wrote. Internal to
// runtime/template.
#ifndef CONVEY_RUNTIME_TEMPLATE_PARSER_H_
#define CONVEY_RUNTIME_TEMPLATE_PARSER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "convey/value.h"
#include "runtime/json/path.h"
#include "runtime/template/call_exprs.h"
#include "runtime/template/expr.h"
#include "runtime/template/reference_exprs.h"
#include "runtime/template/template.h"

namespace convey {
namespace internal {

// Evaluates templates that read nothing, at compile time.
class NoEnv : public TemplateEnv {
 public:
  simdjson::dom::element data() override { return simdjson::dom::element(); }
  Value Root(absl::string_view) override { return Value::Missing(); }
  Value NodeField(absl::string_view, absl::string_view, absl::string_view) override {
    return Value::Missing();
  }
  Value StateTask(absl::string_view, absl::string_view, const Path&) override {
    return Value::Missing();
  }
  absl::Time Now() override { return absl::UnixEpoch(); }
  uint64_t Random() override { return 0; }
};

class Parser {
 public:
  // `source` must outlive the parser.
  explicit Parser(absl::string_view source) : src_(source), reference_ends_(source) {}

  // `path_text`: the text is a key or index inside a reference, where `\`
  // escapes the next character.
  absl::StatusOr<std::unique_ptr<Expr>> ParseSequence(size_t begin, size_t end, int depth,
                                                      bool path_text = false);

  // The constant names of the `env_var[...]` references parsed, as written.
  std::vector<std::string>& env_vars() { return env_vars_; }

  // True when [begin, end) holds a `{{` or a `$.name(` call.
  bool HasSyntax(size_t begin, size_t end) const;

 private:
  struct RawSegment {
    bool bracket = false;
    size_t begin = 0;
    size_t end = 0;
    bool dynamic = false;
  };

  absl::Status Error(size_t at, absl::string_view why) const;
  // The "}}" that closes a "{{" whose body starts at `body`, before `end`.
  size_t FindReferenceEnd(size_t body, size_t end) const;
  // "$.name(" at `at`: the name and the position of "(".
  bool FunctionAt(size_t at, size_t end, absl::string_view* name, size_t* open) const;
  // The ")" matching the "(" at `open`, skipping "{{...}}" groups and `\`
  // escapes; npos when unbalanced.
  size_t FindParenEnd(size_t open, size_t end) const;
  // Skips a "{{...}}" group or a "$.name(...)" call at `i`; false when none
  // starts there. An unclosed call is reported where it is compiled.
  bool SkipGroup(size_t* i, size_t end, bool* skipped_any) const;
  void SkipSpaces(size_t* i, size_t end) const;

  absl::StatusOr<std::vector<RawSegment>> Segments(size_t begin, size_t end) const;
  absl::StatusOr<TextArg> Text(const RawSegment& segment, int depth);
  absl::StatusOr<std::vector<Step>> Steps(const std::vector<RawSegment>& segments, size_t first,
                                          int depth);
  absl::StatusOr<std::unique_ptr<Expr>> Reference(size_t begin, size_t end, int depth);
  absl::StatusOr<std::unique_ptr<Expr>> Function(size_t at, absl::string_view name, size_t open,
                                                 size_t end, int depth, size_t* next);
  absl::StatusOr<std::unique_ptr<Expr>> Argument(size_t begin, size_t end, int depth);
  absl::StatusOr<std::unique_ptr<MathNode>> MathSum(size_t* i, size_t end, int depth);
  absl::StatusOr<std::unique_ptr<MathNode>> MathProduct(size_t* i, size_t end, int depth);
  absl::StatusOr<std::unique_ptr<MathNode>> MathUnary(size_t* i, size_t end, int depth);
  using MathTerm = absl::StatusOr<std::unique_ptr<MathNode>> (Parser::*)(size_t*, size_t, int);
  absl::StatusOr<std::unique_ptr<MathNode>> MathChain(size_t* i, size_t end, int depth, char first,
                                                      MathNode::Op first_op, char second,
                                                      MathNode::Op second_op, MathTerm term);
  absl::StatusOr<std::unique_ptr<MathNode>> MathPrimary(size_t* i, size_t end, int depth);

  absl::string_view src_;
  const ReferenceEnds reference_ends_;
  std::vector<std::string> env_vars_;
};

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_TEMPLATE_PARSER_H_
