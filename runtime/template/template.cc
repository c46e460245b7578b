// Template compilation: a one-pass recursive-descent parser over the source
// text builds a tree of Expr (expr.h); every constant path is parsed here so
// that evaluation only walks the task's document.
#include "runtime/template/template.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "runtime/template/expr.h"
#include "runtime/template/functions.h"

namespace convey {
namespace internal {

// ---------------------------------------------------------------------------
// Expression nodes.

void Expr::AppendText(TemplateEnv& env, std::string* out) const {
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

Value Sequence::Eval(TemplateEnv& env) const {
  if (parts_.size() == 1 && parts_[0].expr != nullptr) return parts_[0].expr->Eval(env);
  std::string out;
  AppendText(env, &out);
  return Value::String(std::move(out));
}

void Sequence::AppendText(TemplateEnv& env, std::string* out) const {
  for (const Part& part : parts_) {
    if (part.expr == nullptr) {
      out->append(part.literal);
    } else {
      part.expr->AppendText(env, out);
    }
  }
}

bool TextArg::Get(TemplateEnv& env, std::string* scratch, absl::string_view* out) const {
  if (dynamic == nullptr) {
    *out = constant;
    return true;
  }
  scratch->clear();
  dynamic->AppendText(env, scratch);
  *out = *scratch;
  return !scratch->empty();
}

size_t ReferenceEnd(absl::string_view text, size_t body) {
  int depth = 1;
  size_t i = body;
  while (i + 1 < text.size()) {
    if (text[i] == '\\') {
      i += 2;
    } else if (text[i] == '{' && text[i + 1] == '{') {
      ++depth;
      i += 2;
    } else if (text[i] == '}' && text[i + 1] == '}') {
      if (--depth == 0) return i;
      i += 2;
    } else {
      ++i;
    }
  }
  return absl::string_view::npos;
}

namespace {

constexpr int kMaxNesting = 16;

// One step of a path whose keys or indexes are templates (`a[{{i}}]`).
struct Step {
  bool bracket = false;         // written as `[...]`
  PathSegment segment;          // when dynamic is null
  std::unique_ptr<Expr> dynamic;
};

// An index written as text: a non-negative integer below 2^31, as
// ParsePath accepts.
bool IndexOf(absl::string_view text, uint32_t* index) {
  if (text.empty() || text.size() > 10) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  uint64_t v = 0;
  if (!absl::SimpleAtoi(text, &v) || v > 0x7fffffffu) return false;
  *index = static_cast<uint32_t>(v);
  return true;
}

// Appends an element as it reads inside a string without building a Value
// for the common scalar cases.
void AppendElementText(simdjson::dom::element element, std::string* out) {
  switch (element.type()) {
    case simdjson::dom::element_type::STRING: {
      std::string_view s;
      if (element.get_string().get(s) != simdjson::SUCCESS) return;
      out->append(s.data(), s.size());
      return;
    }
    case simdjson::dom::element_type::INT64: {
      int64_t v = 0;
      if (element.get_int64().get(v) != simdjson::SUCCESS) return;
      absl::StrAppend(out, v);
      return;
    }
    default:
      out->append(ValueFromElement(element).ToText());
  }
}

// `{{a.b[0]}}` with a path known at compile time: the hot path.
class DataRef : public Expr {
 public:
  explicit DataRef(Path path) : path_(std::move(path)) {}
  Value Eval(TemplateEnv& env) const override {
    simdjson::dom::element element;
    if (!FindPath(env.data(), path_, &element)) return Value::Missing();
    return ValueFromElement(element);
  }
  void AppendText(TemplateEnv& env, std::string* out) const override {
    simdjson::dom::element element;
    if (FindPath(env.data(), path_, &element)) AppendElementText(element, out);
  }
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
  Value Eval(TemplateEnv& env) const override {
    simdjson::dom::element element;
    if (!Find(env, &element)) return Value::Missing();
    return ValueFromElement(element);
  }
  void AppendText(TemplateEnv& env, std::string* out) const override {
    simdjson::dom::element element;
    if (Find(env, &element)) AppendElementText(element, out);
  }
  bool ReadsEnv() const override { return true; }

 private:
  bool Find(TemplateEnv& env, simdjson::dom::element* out) const {
    simdjson::dom::element current = env.data();
    std::string text;
    for (const Step& step : steps_) {
      bool as_index = step.segment.is_index;
      uint32_t index = step.segment.index;
      absl::string_view key = step.segment.key;
      if (step.dynamic != nullptr) {
        text.clear();
        step.dynamic->AppendText(env, &text);
        if (text.empty()) return false;
        key = text;
        as_index = step.bracket && current.type() == simdjson::dom::element_type::ARRAY;
        if (as_index && !IndexOf(text, &index)) return false;
      }
      if (as_index) {
        simdjson::dom::array array;
        if (current.get_array().get(array) != simdjson::SUCCESS) return false;
        if (array.at(index).get(current) != simdjson::SUCCESS) return false;
      } else {
        simdjson::dom::object object;
        if (current.get_object().get(object) != simdjson::SUCCESS) return false;
        if (object.at_key(std::string_view(key.data(), key.size())).get(current) !=
            simdjson::SUCCESS) {
          return false;
        }
      }
    }
    *out = current;
    return true;
  }

  std::vector<Step> steps_;
};

// The path after `conv[..].ref[..]` or `env_var[..]`, handed to the
// environment as an internal::Path. A dynamic `[...]` is an index when it
// evaluates to digits, a key otherwise.
class PathArg {
 public:
  PathArg() = default;
  explicit PathArg(std::vector<Step> steps) : dynamic_(AnyDynamic(steps)) {
    if (!dynamic_) {
      for (Step& step : steps) path_.push_back(std::move(step.segment));
    } else {
      steps_ = std::move(steps);
    }
  }
  bool Get(TemplateEnv& env, Path* scratch, const Path** out) const {
    if (!dynamic_) {
      *out = &path_;
      return true;
    }
    scratch->clear();
    for (const Step& step : steps_) {
      if (step.dynamic == nullptr) {
        scratch->push_back(step.segment);
        continue;
      }
      PathSegment segment;
      step.dynamic->AppendText(env, &segment.key);
      if (segment.key.empty()) return false;
      if (step.bracket && IndexOf(segment.key, &segment.index)) {
        segment.is_index = true;
        segment.key.clear();
      }
      scratch->push_back(std::move(segment));
    }
    *out = scratch;
    return true;
  }

 private:
  static bool AnyDynamic(const std::vector<Step>& steps) {
    for (const Step& step : steps) {
      if (step.dynamic != nullptr) return true;
    }
    return false;
  }

  bool dynamic_ = false;
  Path path_;
  std::vector<Step> steps_;
};

class RootRef : public Expr {
 public:
  explicit RootRef(TextArg field) : field_(std::move(field)) {}
  Value Eval(TemplateEnv& env) const override {
    std::string scratch;
    absl::string_view field;
    if (!field_.Get(env, &scratch, &field)) return Value::Missing();
    return env.Root(field);
  }
  bool ReadsEnv() const override { return true; }

 private:
  TextArg field_;
};

class NodeRef : public Expr {
 public:
  NodeRef(TextArg conv, TextArg node, TextArg field)
      : conv_(std::move(conv)), node_(std::move(node)), field_(std::move(field)) {}
  Value Eval(TemplateEnv& env) const override {
    std::string scratch[3];
    absl::string_view conv;
    absl::string_view node;
    absl::string_view field;
    // An empty constant conv is the task's own process; an id that
    // evaluates to nothing names no node.
    if (!conv_.Get(env, &scratch[0], &conv) || !node_.Get(env, &scratch[1], &node) ||
        !field_.Get(env, &scratch[2], &field)) {
      return Value::Missing();
    }
    return env.NodeField(conv, node, field);
  }
  bool ReadsEnv() const override { return true; }

 private:
  TextArg conv_;
  TextArg node_;
  TextArg field_;
};

class StateRef : public Expr {
 public:
  StateRef(TextArg conv, TextArg ref, PathArg path)
      : conv_(std::move(conv)), ref_(std::move(ref)), path_(std::move(path)) {}
  Value Eval(TemplateEnv& env) const override {
    std::string scratch[2];
    absl::string_view conv;
    absl::string_view ref;
    Path path_scratch;
    const Path* path = nullptr;
    if (!conv_.Get(env, &scratch[0], &conv) || !ref_.Get(env, &scratch[1], &ref) ||
        !path_.Get(env, &path_scratch, &path)) {
      return Value::Missing();
    }
    return env.StateTask(conv, ref, *path);
  }
  bool ReadsEnv() const override { return true; }

 private:
  TextArg conv_;
  TextArg ref_;
  PathArg path_;
};

class EnvVarRef : public Expr {
 public:
  EnvVarRef(TextArg name, PathArg path) : name_(std::move(name)), path_(std::move(path)) {}
  Value Eval(TemplateEnv& env) const override {
    std::string scratch;
    absl::string_view name;
    Path path_scratch;
    const Path* path = nullptr;
    if (!name_.Get(env, &scratch, &name) || !path_.Get(env, &path_scratch, &path)) {
      return Value::Missing();
    }
    return env.EnvVar(name, *path);
  }
  bool ReadsEnv() const override { return true; }

 private:
  TextArg name_;
  PathArg path_;
};

// `$.math(...)`.
struct MathNode {
  enum class Op { kNumber, kOperand, kAdd, kSubtract, kMultiply, kDivide, kNegate };
  Op op = Op::kNumber;
  double number = 0;
  std::unique_ptr<Expr> operand;
  std::unique_ptr<MathNode> lhs;
  std::unique_ptr<MathNode> rhs;

  bool ReadsEnv() const {
    return (operand != nullptr && operand->ReadsEnv()) || (lhs != nullptr && lhs->ReadsEnv()) ||
           (rhs != nullptr && rhs->ReadsEnv());
  }

  // False when an operand is not a number or a division is by zero.
  bool Eval(TemplateEnv& env, double* out) const {
    double a = 0;
    double b = 0;
    switch (op) {
      case Op::kNumber:
        *out = number;
        return true;
      case Op::kOperand:
        return NumberOf(operand->Eval(env), out);
      case Op::kNegate:
        if (!lhs->Eval(env, &a)) return false;
        *out = -a;
        return true;
      default:
        break;
    }
    if (!lhs->Eval(env, &a) || !rhs->Eval(env, &b)) return false;
    switch (op) {
      case Op::kAdd:
        *out = a + b;
        break;
      case Op::kSubtract:
        *out = a - b;
        break;
      case Op::kMultiply:
        *out = a * b;
        break;
      default:
        if (b == 0) return false;
        *out = a / b;
        break;
    }
    return std::isfinite(*out);
  }
};

class MathCall : public Expr {
 public:
  explicit MathCall(std::unique_ptr<MathNode> root) : root_(std::move(root)) {}
  Value Eval(TemplateEnv& env) const override {
    double result = 0;
    if (!root_->Eval(env, &result)) return Value::Missing();
    return Value::Number(result == 0 ? 0 : result);  // no "-0"
  }
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

  Value Eval(TemplateEnv& env) const override {
    absl::TimeZone zone = zone_;
    if (dynamic_zone_ != nullptr) {
      std::string name;
      dynamic_zone_->AppendText(env, &name);
      absl::StatusOr<absl::TimeZone> resolved = ResolveTimeZone(name);
      if (!resolved.ok()) return Value::Missing();
      zone = *resolved;
    }
    // Wall-clock time in the zone; with `.tz` the unix time is that wall
    // clock counted as if it were UTC (the platform's `.tz` shifts by the
    // zone's offset).
    absl::CivilSecond now = absl::ToCivilSecond(env.Now(), zone);
    std::string format;
    if (format_ != nullptr) format_->AppendText(env, &format);
    if (kind_ == Kind::kDate) {
      // `$.date()` prints the default layout; a format that evaluates to
      // nothing is a missing value, like any other failed call.
      if (format_ == nullptr) format = "%y-%m-%d %h:%i:%s";
      if (format.empty()) return Value::Missing();
      absl::StatusOr<std::string> text = FormatDate(format, now);
      if (!text.ok()) return Value::Missing();
      return Value::String(std::move(*text));
    }
    if (format_ == nullptr) {
      return Value::Number(static_cast<double>(now - absl::CivilSecond(1970, 1, 1, 0, 0, 0)));
    }
    absl::StatusOr<int64_t> seconds = UnixtimeFromText(format, now);
    if (!seconds.ok()) return Value::Missing();
    return Value::NumberText(static_cast<double>(*seconds), absl::StrCat(*seconds));
  }
  bool ReadsEnv() const override { return true; }

 private:
  Kind kind_;
  std::unique_ptr<Expr> format_;  // null: no argument
  absl::TimeZone zone_;
  std::unique_ptr<Expr> dynamic_zone_;
};

// An integer argument of `$.random`: integral numbers, capped to int64.
bool IntegerOf(const Value& value, int64_t* out) {
  Value number = value;
  if (value.type() == Value::Type::kString && !ParseNumberText(value.text(), &number)) {
    return false;
  }
  if (number.type() != Value::Type::kNumber) return false;
  if (absl::SimpleAtoi(number.text(), out)) return true;
  double d = number.number();
  if (d != std::trunc(d)) return false;
  if (d >= 9223372036854775807.0) {
    *out = INT64_MAX;
  } else if (d <= -9223372036854775808.0) {
    *out = INT64_MIN;
  } else {
    *out = static_cast<int64_t>(d);
  }
  return true;
}

// `$.random(N)`: 0 for N = 0, 1..N for N > 0, N..-1 for N < 0;
// `$.random(A, B)`: A..B (either order).
class RandomCall : public Expr {
 public:
  RandomCall(std::unique_ptr<Expr> first, std::unique_ptr<Expr> second)
      : first_(std::move(first)), second_(std::move(second)) {}
  Value Eval(TemplateEnv& env) const override {
    int64_t a = 0;
    if (!IntegerOf(first_->Eval(env), &a)) return Value::Missing();
    int64_t lo = 0;
    int64_t hi = 0;
    if (second_ != nullptr) {
      int64_t b = 0;
      if (!IntegerOf(second_->Eval(env), &b)) return Value::Missing();
      lo = std::min(a, b);
      hi = std::max(a, b);
    } else if (a > 0) {
      lo = 1;
      hi = a;
    } else if (a < 0) {
      lo = a;
      hi = -1;
    }
    int64_t r = lo == hi ? lo : RandomBetween(lo, hi, [&env] { return env.Random(); });
    return Value::NumberText(static_cast<double>(r), absl::StrCat(r));
  }
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
  Value Eval(TemplateEnv& env) const override {
    std::string input;
    if (arg_ != nullptr) arg_->AppendText(env, &input);
    return Value::String(function_(input));
  }
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
  Value Eval(TemplateEnv& env) const override {
    Value input = arg_ != nullptr ? arg_->Eval(env) : Value::String("");
    absl::StatusOr<Value> converted = ConvertTo(input, type_);
    if (!converted.ok()) return Value::Missing();
    return std::move(*converted);
  }
  bool ReadsEnv() const override { return arg_ != nullptr && arg_->ReadsEnv(); }

 private:
  Value::Type type_;
  std::unique_ptr<Expr> arg_;
};

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

bool IsIdentifierChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// ---------------------------------------------------------------------------
// The parser. Positions are byte offsets into the whole source, so every
// error names the place in the text the user wrote.

class Parser {
 public:
  explicit Parser(absl::string_view source) : src_(source) {}

  // `path_text`: the text is a key or index inside a reference, where `\`
  // escapes the next character.
  absl::StatusOr<std::unique_ptr<Expr>> ParseSequence(size_t begin, size_t end, int depth,
                                                      bool path_text = false);

  // The constant names of the `env_var[...]` references parsed, as written.
  std::vector<std::string>& env_vars() { return env_vars_; }

  // True when [begin, end) holds a `{{` or a `$.name(` call.
  bool HasSyntax(size_t begin, size_t end) const {
    for (size_t i = begin; i + 1 < end; ++i) {
      if (src_[i] == '{' && src_[i + 1] == '{') return true;
      absl::string_view name;
      size_t open = 0;
      if (FunctionAt(i, end, &name, &open)) return true;
    }
    return false;
  }

 private:
  struct RawSegment {
    bool bracket = false;
    size_t begin = 0;
    size_t end = 0;
    bool dynamic = false;
  };

  absl::Status Error(size_t at, absl::string_view why) const {
    constexpr size_t kShown = 120;
    absl::string_view shown = src_.substr(0, kShown);
    return absl::InvalidArgumentError(absl::StrCat("template \"", shown,
                                                   src_.size() > kShown ? "..." : "",
                                                   "\" at byte ", at, ": ", why));
  }

  // The "}}" that closes a "{{" whose body starts at `body`, before `end`.
  size_t FindReferenceEnd(size_t body, size_t end) const {
    return ReferenceEnd(src_.substr(0, end), body);
  }

  // "$.name(" at `at`: the name and the position of "(".
  bool FunctionAt(size_t at, size_t end, absl::string_view* name, size_t* open) const {
    if (at + 2 >= end || src_[at] != '$' || src_[at + 1] != '.') return false;
    size_t i = at + 2;
    while (i < end && IsIdentifierChar(src_[i])) ++i;
    if (i == at + 2 || i >= end || src_[i] != '(') return false;
    *name = src_.substr(at + 2, i - at - 2);
    *open = i;
    return true;
  }

  // The ")" matching the "(" at `open`, skipping "{{...}}" groups and `\`
  // escapes; npos when unbalanced.
  size_t FindParenEnd(size_t open, size_t end) const {
    int depth = 1;
    size_t i = open + 1;
    while (i < end) {
      char c = src_[i];
      if (c == '\\') {
        i += 2;
        continue;
      }
      if (c == '{' && i + 1 < end && src_[i + 1] == '{') {
        // An unclosed "{{" is text (see ParseSequence).
        size_t close = FindReferenceEnd(i + 2, end);
        i = close == absl::string_view::npos ? i + 2 : close + 2;
        continue;
      }
      if (c == '(') ++depth;
      if (c == ')' && --depth == 0) return i;
      ++i;
    }
    return absl::string_view::npos;
  }

  // Skips a "{{...}}" group or a "$.name(...)" call at `i`; false when none
  // starts there. An unclosed call is reported where it is compiled.
  bool SkipGroup(size_t* i, size_t end, bool* skipped_any) const {
    if (src_[*i] == '{' && *i + 1 < end && src_[*i + 1] == '{') {
      size_t close = FindReferenceEnd(*i + 2, end);
      if (close == absl::string_view::npos) return false;  // text
      *i = close + 2;
      *skipped_any = true;
      return true;
    }
    absl::string_view name;
    size_t open = 0;
    if (FunctionAt(*i, end, &name, &open)) {
      size_t close = FindParenEnd(open, end);
      *i = close == absl::string_view::npos ? end : close + 1;
      *skipped_any = true;
      return true;
    }
    return false;
  }

  static std::string Unescape(absl::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\\' && i + 1 < text.size()) ++i;
      out.push_back(text[i]);
    }
    return out;
  }

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
  absl::StatusOr<std::unique_ptr<MathNode>> MathChain(size_t* i, size_t end, int depth,
                                                      char first, MathNode::Op first_op,
                                                      char second, MathNode::Op second_op,
                                                      MathTerm term);
  absl::StatusOr<std::unique_ptr<MathNode>> MathPrimary(size_t* i, size_t end, int depth);
  void SkipSpaces(size_t* i, size_t end) const {
    while (*i < end && absl::ascii_isspace(static_cast<unsigned char>(src_[*i]))) ++*i;
  }

  absl::string_view src_;
  std::vector<std::string> env_vars_;
};

absl::StatusOr<std::unique_ptr<Expr>> Parser::ParseSequence(size_t begin, size_t end,
                                                            int depth, bool path_text) {
  std::vector<Sequence::Part> parts;
  std::string literal;
  auto flush = [&] {
    if (literal.empty()) return;
    Sequence::Part part;
    part.literal = std::move(literal);
    literal.clear();
    parts.push_back(std::move(part));
  };
  size_t i = begin;
  while (i < end) {
    if (src_[i] == '{' && i + 1 < end && src_[i + 1] == '{') {
      size_t close = FindReferenceEnd(i + 2, end);
      if (close == absl::string_view::npos) {
        // Exports the platform accepts contain "{{url}" (a typo it leaves
        // as text), so an unclosed "{{" is literal text, not an error.
        literal.append("{{");
        i += 2;
        continue;
      }
      if (close == i + 2) return Error(i, "empty '{{}}'");
      if (depth + 1 > kMaxNesting) {
        return Error(i, absl::StrCat("nesting deeper than ", kMaxNesting, " levels"));
      }
      absl::StatusOr<std::unique_ptr<Expr>> ref = Reference(i + 2, close, depth + 1);
      if (!ref.ok()) return ref.status();
      flush();
      Sequence::Part part;
      part.expr = std::move(*ref);
      parts.push_back(std::move(part));
      i = close + 2;
      continue;
    }
    absl::string_view name;
    size_t open = 0;
    if (FunctionAt(i, end, &name, &open)) {
      size_t next = 0;
      absl::StatusOr<std::unique_ptr<Expr>> call = Function(i, name, open, end, depth + 1, &next);
      if (!call.ok()) return call.status();
      flush();
      Sequence::Part part;
      part.expr = std::move(*call);
      parts.push_back(std::move(part));
      i = next;
      continue;
    }
    if (path_text && src_[i] == '\\' && i + 1 < end) ++i;
    literal.push_back(src_[i]);
    ++i;
  }
  flush();
  if (parts.size() == 1 && parts[0].expr != nullptr) return std::move(parts[0].expr);
  return std::unique_ptr<Expr>(new Sequence(std::move(parts)));
}

absl::StatusOr<std::vector<Parser::RawSegment>> Parser::Segments(size_t begin,
                                                                 size_t end) const {
  std::vector<RawSegment> segments;
  size_t i = begin;
  while (i < end) {
    char c = src_[i];
    if (c == '[') {
      if (segments.empty()) return Error(i, "a reference cannot start with '['");
      RawSegment segment;
      segment.bracket = true;
      segment.begin = i + 1;
      size_t j = i + 1;
      while (j < end && src_[j] != ']') {
        if (SkipGroup(&j, end, &segment.dynamic)) continue;
        if (src_[j] == '[') return Error(j, "'[' inside '[...]'");
        j += src_[j] == '\\' ? 2 : 1;
      }
      if (j >= end) return Error(i, "unclosed '['");
      if (j == i + 1) return Error(i, "empty '[]'");
      segment.end = j;
      segments.push_back(segment);
      i = j + 1;
      if (i < end) {
        if (src_[i] == '.') {
          ++i;
          if (i == end) return Error(i, "empty key at the end");
          if (src_[i] == '.' || src_[i] == '[') return Error(i, "empty key");
        } else if (src_[i] != '[') {
          return Error(i, "expected '.' or '[' after ']'");
        }
      }
      continue;
    }
    if (c == '.') return Error(i, "empty key");
    if (c == ']') return Error(i, "unmatched ']'");
    RawSegment segment;
    segment.begin = i;
    while (i < end && src_[i] != '.' && src_[i] != '[') {
      if (SkipGroup(&i, end, &segment.dynamic)) continue;
      if (src_[i] == ']') return Error(i, "unmatched ']'");
      if (src_[i] == '\\') {
        if (i + 1 >= end) return Error(i, "trailing '\\'");
        ++i;
      }
      ++i;
    }
    segment.end = i;
    segments.push_back(segment);
    if (i < end && src_[i] == '.') {
      ++i;
      if (i == end) return Error(i, "empty key at the end");
      if (src_[i] == '.' || src_[i] == '[') return Error(i, "empty key");
    }
  }
  return segments;
}

absl::StatusOr<TextArg> Parser::Text(const RawSegment& segment, int depth) {
  TextArg arg;
  if (!segment.dynamic) {
    arg.constant = Unescape(src_.substr(segment.begin, segment.end - segment.begin));
    return arg;
  }
  absl::StatusOr<std::unique_ptr<Expr>> dynamic =
      ParseSequence(segment.begin, segment.end, depth, /*path_text=*/true);
  if (!dynamic.ok()) return dynamic.status();
  arg.dynamic = std::move(*dynamic);
  return arg;
}

absl::StatusOr<std::vector<Step>> Parser::Steps(const std::vector<RawSegment>& segments,
                                                size_t first, int depth) {
  std::vector<Step> steps;
  for (size_t k = first; k < segments.size(); ++k) {
    const RawSegment& raw = segments[k];
    Step step;
    step.bracket = raw.bracket;
    if (raw.dynamic) {
      absl::StatusOr<std::unique_ptr<Expr>> dynamic =
          ParseSequence(raw.begin, raw.end, depth, /*path_text=*/true);
      if (!dynamic.ok()) return dynamic.status();
      step.dynamic = std::move(*dynamic);
    } else if (raw.bracket) {
      step.segment.is_index = true;
      if (!IndexOf(src_.substr(raw.begin, raw.end - raw.begin), &step.segment.index)) {
        return Error(raw.begin, "an index must be a non-negative integer below 2^31");
      }
    } else {
      step.segment.key = Unescape(src_.substr(raw.begin, raw.end - raw.begin));
    }
    steps.push_back(std::move(step));
  }
  return steps;
}

absl::StatusOr<std::unique_ptr<Expr>> Parser::Reference(size_t begin, size_t end, int depth) {
  absl::StatusOr<std::vector<RawSegment>> parsed = Segments(begin, end);
  if (!parsed.ok()) return parsed.status();
  const std::vector<RawSegment>& s = *parsed;
  auto key_is = [&](size_t k, absl::string_view name) {
    return k < s.size() && !s[k].bracket && !s[k].dynamic &&
           src_.substr(s[k].begin, s[k].end - s[k].begin) == name;
  };
  auto bracket_at = [&](size_t k) { return k < s.size() && s[k].bracket; };
  auto key_at = [&](size_t k) { return k < s.size() && !s[k].bracket; };

  // The platform's reserved forms, recognised by their shape.
  if (key_is(0, "root") && key_at(1)) {
    if (s.size() != 2) return Error(s[2].begin, "root.<field> takes exactly one field");
    absl::StatusOr<TextArg> field = Text(s[1], depth);
    if (!field.ok()) return field.status();
    return std::unique_ptr<Expr>(new RootRef(std::move(*field)));
  }
  if (key_is(0, "node") && bracket_at(1)) {
    if (s.size() != 3 || !key_at(2)) return Error(begin, "expected node[ID].<field>");
    absl::StatusOr<TextArg> node = Text(s[1], depth);
    if (!node.ok()) return node.status();
    absl::StatusOr<TextArg> field = Text(s[2], depth);
    if (!field.ok()) return field.status();
    return std::unique_ptr<Expr>(new NodeRef(TextArg(), std::move(*node), std::move(*field)));
  }
  if (key_is(0, "conv") && bracket_at(1)) {
    absl::StatusOr<TextArg> conv = Text(s[1], depth);
    if (!conv.ok()) return conv.status();
    if (key_is(2, "node") && bracket_at(3)) {
      if (s.size() != 5 || !key_at(4)) {
        return Error(begin, "expected conv[ID].node[ID].<field>");
      }
      absl::StatusOr<TextArg> node = Text(s[3], depth);
      if (!node.ok()) return node.status();
      absl::StatusOr<TextArg> field = Text(s[4], depth);
      if (!field.ok()) return field.status();
      return std::unique_ptr<Expr>(
          new NodeRef(std::move(*conv), std::move(*node), std::move(*field)));
    }
    if (key_is(2, "ref") && bracket_at(3)) {
      absl::StatusOr<TextArg> ref = Text(s[3], depth);
      if (!ref.ok()) return ref.status();
      absl::StatusOr<std::vector<Step>> steps = Steps(s, 4, depth);
      if (!steps.ok()) return steps.status();
      return std::unique_ptr<Expr>(
          new StateRef(std::move(*conv), std::move(*ref), PathArg(std::move(*steps))));
    }
    return Error(begin, "expected conv[ID].node[ID].<field> or conv[ID].ref[REF]");
  }
  if (key_is(0, "env_var") && bracket_at(1)) {
    absl::StatusOr<TextArg> name = Text(s[1], depth);
    if (!name.ok()) return name.status();
    absl::StatusOr<std::vector<Step>> steps = Steps(s, 2, depth);
    if (!steps.ok()) return steps.status();
    if (name->dynamic == nullptr) env_vars_.push_back(name->constant);
    return std::unique_ptr<Expr>(new EnvVarRef(std::move(*name), PathArg(std::move(*steps))));
  }

  bool dynamic = false;
  for (const RawSegment& segment : s) dynamic = dynamic || segment.dynamic;
  if (!dynamic) {
    // The same grammar as parameter names everywhere else.
    absl::StatusOr<Path> path = ParsePath(src_.substr(begin, end - begin));
    if (!path.ok()) return Error(begin, path.status().message());
    return std::unique_ptr<Expr>(new DataRef(std::move(*path)));
  }
  absl::StatusOr<std::vector<Step>> steps = Steps(s, 0, depth);
  if (!steps.ok()) return steps.status();
  return std::unique_ptr<Expr>(new DynamicDataRef(std::move(*steps)));
}

absl::StatusOr<std::unique_ptr<Expr>> Parser::Argument(size_t begin, size_t end, int depth) {
  if (begin == end) return std::unique_ptr<Expr>();
  return ParseSequence(begin, end, depth);
}

absl::StatusOr<std::unique_ptr<Expr>> Parser::Function(size_t at, absl::string_view name,
                                                       size_t open, size_t end, int depth,
                                                       size_t* next) {
  if (name == "map" || name == "filter") {
    return Error(at, absl::StrCat("$.", name, " is not supported: Erlang funs are not supported"));
  }
  static constexpr const char* kKnown[] = {
      "math",      "unixtime",      "date",      "random",    "sha1",     "sha1_hex",
      "md5_hex",   "base64_encode", "to_object", "to_number", "to_array", "to_string"};
  bool known = false;
  for (const char* k : kKnown) known = known || name == k;
  if (!known) return Error(at, absl::StrCat("unknown function $.", name));
  if (depth > kMaxNesting) {
    return Error(at, absl::StrCat("nesting deeper than ", kMaxNesting, " levels"));
  }
  size_t close = FindParenEnd(open, end);
  if (close == absl::string_view::npos) {
    return Error(open, absl::StrCat("unclosed '(' of $.", name));
  }
  *next = close + 1;
  const size_t arg_begin = open + 1;
  const size_t arg_end = close;

  if (name == "math") {
    size_t i = arg_begin;
    SkipSpaces(&i, arg_end);
    if (i == arg_end) return Error(open, "empty $.math()");
    absl::StatusOr<std::unique_ptr<MathNode>> root = MathSum(&i, arg_end, depth);
    if (!root.ok()) return root.status();
    SkipSpaces(&i, arg_end);
    if (i != arg_end) {
      return Error(i, absl::StrCat("unexpected '", src_.substr(i, 1), "' in $.math"));
    }
    return std::unique_ptr<Expr>(new MathCall(std::move(*root)));
  }

  if (name == "unixtime" || name == "date") {
    const TimeCall::Kind kind = name == "date" ? TimeCall::Kind::kDate : TimeCall::Kind::kUnixtime;
    absl::StatusOr<std::unique_ptr<Expr>> format = Argument(arg_begin, arg_end, depth);
    if (!format.ok()) return format.status();
    if (*format != nullptr && !(*format)->ReadsEnv()) {
      // A constant format is checked now, against an arbitrary time.
      NoEnv no_env;
      std::string text;
      (*format)->AppendText(no_env, &text);
      absl::CivilSecond probe(2000, 1, 1, 0, 0, 0);
      absl::Status status = kind == TimeCall::Kind::kDate
                                ? FormatDate(text, probe).status()
                                : UnixtimeFromText(text, probe).status();
      if (!status.ok()) return Error(arg_begin, status.message());
    }
    absl::TimeZone zone = absl::UTCTimeZone();
    std::unique_ptr<Expr> dynamic_zone;
    static constexpr absl::string_view kTz = ".tz(";
    if (*next + kTz.size() <= end && src_.substr(*next, kTz.size()) == kTz) {
      size_t tz_open = *next + kTz.size() - 1;
      size_t tz_close = FindParenEnd(tz_open, end);
      if (tz_close == absl::string_view::npos) return Error(tz_open, "unclosed '(' of .tz");
      size_t zb = tz_open + 1;
      size_t ze = tz_close;
      if (ze - zb >= 2 && (src_[zb] == '\'' || src_[zb] == '"') && src_[ze - 1] == src_[zb]) {
        ++zb;
        --ze;
      }
      if (zb == ze) return Error(tz_open, "empty .tz()");
      absl::StatusOr<std::unique_ptr<Expr>> zone_expr = ParseSequence(zb, ze, depth);
      if (!zone_expr.ok()) return zone_expr.status();
      if ((*zone_expr)->ReadsEnv()) {
        dynamic_zone = std::move(*zone_expr);
      } else {
        NoEnv no_env;
        std::string zone_name;
        (*zone_expr)->AppendText(no_env, &zone_name);
        absl::StatusOr<absl::TimeZone> resolved = ResolveTimeZone(zone_name);
        if (!resolved.ok()) return Error(zb, resolved.status().message());
        zone = *resolved;
      }
      *next = tz_close + 1;
    }
    return std::unique_ptr<Expr>(
        new TimeCall(kind, std::move(*format), zone, std::move(dynamic_zone)));
  }

  if (name == "random") {
    // Split at top-level commas.
    std::vector<std::pair<size_t, size_t>> args;
    size_t start = arg_begin;
    for (size_t i = arg_begin; i < arg_end;) {
      bool skipped = false;
      if (SkipGroup(&i, arg_end, &skipped)) continue;
      if (src_[i] == ',') {
        args.emplace_back(start, i);
        start = i + 1;
      }
      ++i;
    }
    args.emplace_back(start, arg_end);
    if (args.size() > 2) return Error(open, "$.random takes one bound N or two bounds A, B");
    std::unique_ptr<Expr> bounds[2];
    for (size_t k = 0; k < args.size(); ++k) {
      size_t b = args[k].first;
      size_t e = args[k].second;
      SkipSpaces(&b, e);
      while (e > b && absl::ascii_isspace(static_cast<unsigned char>(src_[e - 1]))) --e;
      if (b == e) return Error(args[k].first, "$.random needs a bound");
      absl::StatusOr<std::unique_ptr<Expr>> bound = ParseSequence(b, e, depth);
      if (!bound.ok()) return bound.status();
      if (!(*bound)->ReadsEnv()) {
        NoEnv no_env;
        int64_t ignored = 0;
        if (!IntegerOf((*bound)->Eval(no_env), &ignored)) {
          return Error(b, "a $.random bound must be an integer");
        }
      }
      bounds[k] = std::move(*bound);
    }
    return std::unique_ptr<Expr>(new RandomCall(std::move(bounds[0]), std::move(bounds[1])));
  }

  absl::StatusOr<std::unique_ptr<Expr>> arg = Argument(arg_begin, arg_end, depth);
  if (!arg.ok()) return arg.status();
  if (name == "sha1" || name == "sha1_hex") {
    return std::unique_ptr<Expr>(new DigestCall(&Sha1Hex, std::move(*arg)));
  }
  if (name == "md5_hex") return std::unique_ptr<Expr>(new DigestCall(&Md5Hex, std::move(*arg)));
  if (name == "base64_encode") {
    return std::unique_ptr<Expr>(new DigestCall(&Base64, std::move(*arg)));
  }
  Value::Type type = Value::Type::kString;
  if (name == "to_object") type = Value::Type::kObject;
  if (name == "to_array") type = Value::Type::kArray;
  if (name == "to_number") type = Value::Type::kNumber;
  return std::unique_ptr<Expr>(new ConvertCall(type, std::move(*arg)));
}

// Sums are chains of products and products chains of unary terms; both
// associate to the left.
absl::StatusOr<std::unique_ptr<MathNode>> Parser::MathSum(size_t* i, size_t end, int depth) {
  return MathChain(i, end, depth, '+', MathNode::Op::kAdd, '-', MathNode::Op::kSubtract,
                   &Parser::MathProduct);
}

absl::StatusOr<std::unique_ptr<MathNode>> Parser::MathProduct(size_t* i, size_t end,
                                                              int depth) {
  return MathChain(i, end, depth, '*', MathNode::Op::kMultiply, '/', MathNode::Op::kDivide,
                   &Parser::MathUnary);
}

absl::StatusOr<std::unique_ptr<MathNode>> Parser::MathChain(size_t* i, size_t end, int depth,
                                                            char first, MathNode::Op first_op,
                                                            char second, MathNode::Op second_op,
                                                            MathTerm term) {
  absl::StatusOr<std::unique_ptr<MathNode>> lhs = (this->*term)(i, end, depth);
  if (!lhs.ok()) return lhs;
  std::unique_ptr<MathNode> node = std::move(*lhs);
  for (;;) {
    SkipSpaces(i, end);
    if (*i >= end || (src_[*i] != first && src_[*i] != second)) return node;
    MathNode::Op op = src_[*i] == first ? first_op : second_op;
    ++*i;
    absl::StatusOr<std::unique_ptr<MathNode>> rhs = (this->*term)(i, end, depth);
    if (!rhs.ok()) return rhs;
    auto combined = std::make_unique<MathNode>();
    combined->op = op;
    combined->lhs = std::move(node);
    combined->rhs = std::move(*rhs);
    node = std::move(combined);
  }
}

absl::StatusOr<std::unique_ptr<MathNode>> Parser::MathUnary(size_t* i, size_t end, int depth) {
  // Signs are counted in a loop, not by recursion, so "------1" is cheap.
  bool negative = false;
  for (;;) {
    SkipSpaces(i, end);
    if (*i < end && (src_[*i] == '-' || src_[*i] == '+')) {
      negative = negative != (src_[*i] == '-');
      ++*i;
      continue;
    }
    break;
  }
  absl::StatusOr<std::unique_ptr<MathNode>> primary = MathPrimary(i, end, depth);
  if (!primary.ok() || !negative) return primary;
  auto node = std::make_unique<MathNode>();
  node->op = MathNode::Op::kNegate;
  node->lhs = std::move(*primary);
  return node;
}

absl::StatusOr<std::unique_ptr<MathNode>> Parser::MathPrimary(size_t* i, size_t end,
                                                              int depth) {
  SkipSpaces(i, end);
  if (*i >= end) return Error(*i, "expected a number, '(' or a reference in $.math");
  char c = src_[*i];
  if (c == '(') {
    if (depth + 1 > kMaxNesting) {
      return Error(*i, absl::StrCat("nesting deeper than ", kMaxNesting, " levels"));
    }
    size_t open = *i;
    ++*i;
    absl::StatusOr<std::unique_ptr<MathNode>> inner = MathSum(i, end, depth + 1);
    if (!inner.ok()) return inner;
    SkipSpaces(i, end);
    if (*i >= end || src_[*i] != ')') return Error(open, "unclosed '(' in $.math");
    ++*i;
    return inner;
  }
  if (absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '.') {
    size_t start = *i;
    while (*i < end && absl::ascii_isdigit(static_cast<unsigned char>(src_[*i]))) ++*i;
    if (*i < end && src_[*i] == '.') {
      ++*i;
      while (*i < end && absl::ascii_isdigit(static_cast<unsigned char>(src_[*i]))) ++*i;
    }
    if (*i < end && (src_[*i] == 'e' || src_[*i] == 'E')) {
      size_t e = *i + 1;
      if (e < end && (src_[e] == '+' || src_[e] == '-')) ++e;
      if (e < end && absl::ascii_isdigit(static_cast<unsigned char>(src_[e]))) {
        *i = e;
        while (*i < end && absl::ascii_isdigit(static_cast<unsigned char>(src_[*i]))) ++*i;
      }
    }
    double value = 0;
    absl::string_view text = src_.substr(start, *i - start);
    if (!absl::SimpleAtod(text, &value) || !std::isfinite(value)) {
      return Error(start, absl::StrCat("bad number \"", text, "\" in $.math"));
    }
    auto node = std::make_unique<MathNode>();
    node->number = value;
    return node;
  }
  std::unique_ptr<Expr> operand;
  if (c == '{' && *i + 1 < end && src_[*i + 1] == '{') {
    size_t close = FindReferenceEnd(*i + 2, end);
    if (close == absl::string_view::npos) return Error(*i, "unclosed '{{'");
    if (close == *i + 2) return Error(*i, "empty '{{}}'");
    if (depth + 1 > kMaxNesting) {
      return Error(*i, absl::StrCat("nesting deeper than ", kMaxNesting, " levels"));
    }
    absl::StatusOr<std::unique_ptr<Expr>> ref = Reference(*i + 2, close, depth + 1);
    if (!ref.ok()) return ref.status();
    operand = std::move(*ref);
    *i = close + 2;
  } else {
    absl::string_view name;
    size_t open = 0;
    if (!FunctionAt(*i, end, &name, &open)) {
      return Error(*i, absl::StrCat("unexpected '", src_.substr(*i, 1), "' in $.math"));
    }
    size_t next = 0;
    absl::StatusOr<std::unique_ptr<Expr>> call = Function(*i, name, open, end, depth + 1, &next);
    if (!call.ok()) return call.status();
    operand = std::move(*call);
    *i = next;
  }
  auto node = std::make_unique<MathNode>();
  node->op = MathNode::Op::kOperand;
  node->operand = std::move(operand);
  return node;
}

}  // namespace
}  // namespace internal

// ---------------------------------------------------------------------------

struct Template::Impl {
  std::string source;
  std::unique_ptr<internal::Expr> root;  // null when constant
  Value constant;
  std::vector<std::string> env_vars;
};

Template::Template() : impl_(new Impl) {}

const internal::Path* Template::data_path() const {
  return impl_->root == nullptr ? nullptr : impl_->root->data_path();
}
Template::~Template() = default;

absl::StatusOr<std::unique_ptr<Template>> Template::Compile(absl::string_view text,
                                                            TemplateMode mode) {
  std::unique_ptr<Template> compiled(new Template());
  Impl& impl = *compiled->impl_;
  impl.source = std::string(text);
  internal::Parser parser(impl.source);
  if (mode == TemplateMode::kParam && !parser.HasSyntax(0, impl.source.size())) {
    // A bare parameter name is a path into the task.
    absl::StatusOr<internal::Path> path = internal::ParsePath(impl.source);
    if (!path.ok()) return path.status();
    impl.root.reset(new internal::DataRef(std::move(*path)));
    return compiled;
  }
  absl::StatusOr<std::unique_ptr<internal::Expr>> root =
      parser.ParseSequence(0, impl.source.size(), 0);
  if (!root.ok()) return root.status();
  impl.env_vars = std::move(parser.env_vars());
  if ((*root)->ReadsEnv()) {
    impl.root = std::move(*root);
  } else {
    internal::NoEnv no_env;
    impl.constant = (*root)->Eval(no_env);
  }
  return compiled;
}

Value Template::Evaluate(TemplateEnv& env) const {
  if (impl_->root == nullptr) return impl_->constant;
  return impl_->root->Eval(env);
}

bool Template::is_constant() const { return impl_->root == nullptr; }

const Value& Template::constant() const { return impl_->constant; }

const std::string& Template::source() const { return impl_->source; }

const std::vector<std::string>& Template::env_var_names() const { return impl_->env_vars; }

uint64_t DocumentEnv::Random() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return generator();
}

}  // namespace convey
