// The expression nodes of `{{...}}` references: a path into the task's data
// (fixed, or with keys and indexes that are templates), `root.<field>`,
// `node[ID].<field>`, `conv[ID].node[ID].<field>`, `conv[ID].ref[REF]...`
// and `env_var[NAME]...`. Each reads one thing through TemplateEnv. Kept
// apart from the `$.` call nodes (call_exprs.h) and from the parser that
// builds both (parser.h). Internal to runtime/template.
#ifndef CONVEY_RUNTIME_TEMPLATE_REFERENCE_EXPRS_H_
#define CONVEY_RUNTIME_TEMPLATE_REFERENCE_EXPRS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "convey/value.h"
#include "runtime/json/path.h"
#include "runtime/template/expr.h"
#include "runtime/template/template.h"

namespace convey {
namespace internal {

// One step of a path whose keys or indexes are templates (`a[{{i}}]`).
struct Step {
  bool bracket = false;  // written as `[...]`
  PathSegment segment;   // when dynamic is null
  std::unique_ptr<Expr> dynamic;
};

// An index written as text: a non-negative integer below 2^31, as
// ParsePath accepts.
bool IndexOf(absl::string_view text, uint32_t* index);

// `{{a.b[0]}}` with a path known at compile time: the hot path.
class DataRef : public Expr {
 public:
  explicit DataRef(Path path) : path_(std::move(path)) {}
  Value Eval(internal::TemplateEnv& env) const override;
  void AppendText(internal::TemplateEnv& env, std::string* out) const override;
  bool ReadsEnv() const override { return true; }
  const Path* data_path() const override { return &path_; }

 private:
  Path path_;
};

// `{{a[{{i}}].b}}`: a dynamic step is looked up by the kind of container it
// meets (an index into an array, a key into an object).
class DynamicDataRef : public Expr {
 public:
  explicit DynamicDataRef(std::vector<Step> steps) : steps_(std::move(steps)) {}
  Value Eval(internal::TemplateEnv& env) const override;
  void AppendText(internal::TemplateEnv& env, std::string* out) const override;
  bool ReadsEnv() const override { return true; }

 private:
  bool Find(internal::TemplateEnv& env, simdjson::dom::element* out) const;

  std::vector<Step> steps_;
};

// The path after `conv[..].ref[..]` or `env_var[..]`, handed to the
// environment as an internal::Path. A dynamic `[...]` is an index when it
// evaluates to digits, a key otherwise.
class PathArg {
 public:
  PathArg() = default;
  explicit PathArg(std::vector<Step> steps);
  // The path (`*out` points at the constant one or at `scratch`); false
  // when a dynamic step evaluates to nothing.
  bool Get(internal::TemplateEnv& env, Path* scratch, const Path** out) const;

 private:
  bool dynamic_ = false;
  Path path_;
  std::vector<Step> steps_;
};

// `root.<field>`.
class RootRef : public Expr {
 public:
  explicit RootRef(TextArg field) : field_(std::move(field)) {}
  Value Eval(internal::TemplateEnv& env) const override;
  bool ReadsEnv() const override { return true; }

 private:
  TextArg field_;
};

// `node[ID].<field>` (conv empty) and `conv[ID].node[ID].<field>`.
class NodeRef : public Expr {
 public:
  NodeRef(TextArg conv, TextArg node, TextArg field)
      : conv_(std::move(conv)), node_(std::move(node)), field_(std::move(field)) {}
  Value Eval(internal::TemplateEnv& env) const override;
  bool ReadsEnv() const override { return true; }

 private:
  TextArg conv_;
  TextArg node_;
  TextArg field_;
};

// `conv[ID].ref[REF]` and `conv[ID].ref[REF].<path>`.
class StateRef : public Expr {
 public:
  StateRef(TextArg conv, TextArg ref, PathArg path)
      : conv_(std::move(conv)), ref_(std::move(ref)), path_(std::move(path)) {}
  Value Eval(internal::TemplateEnv& env) const override;
  bool ReadsEnv() const override { return true; }

 private:
  TextArg conv_;
  TextArg ref_;
  PathArg path_;
};

// `env_var[NAME]` and `env_var[NAME].<path>`.
class EnvVarRef : public Expr {
 public:
  EnvVarRef(TextArg name, PathArg path) : name_(std::move(name)), path_(std::move(path)) {}
  Value Eval(internal::TemplateEnv& env) const override;
  bool ReadsEnv() const override { return true; }

 private:
  TextArg name_;
  PathArg path_;
};

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_TEMPLATE_REFERENCE_EXPRS_H_
