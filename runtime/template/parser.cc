// The template parser declared in parser.h: text and `{{...}}` references
// first, then `$.name(...)` calls and the `$.math` arithmetic grammar.
#include "runtime/template/parser.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "runtime/base/status_macros.h"
#include "runtime/template/functions.h"

namespace convey {
namespace internal {

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

bool FunctionAt(absl::string_view text, size_t at, absl::string_view* name, size_t* open) {
  if (at + 2 >= text.size() || text[at] != '$' || text[at + 1] != '.') return false;
  size_t i = at + 2;
  while (i < text.size() &&
         (absl::ascii_isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_')) {
    ++i;
  }
  if (i == at + 2 || i >= text.size() || text[i] != '(') return false;
  *name = text.substr(at + 2, i - at - 2);
  *open = i;
  return true;
}

namespace {

// ParenEnd, with `reference_end(body)` saying where a "{{" closes.
template <typename ReferenceEndFn>
size_t ParenEndWith(absl::string_view text, size_t open, const ReferenceEndFn& reference_end) {
  int depth = 1;
  size_t i = open + 1;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\\') {
      i += 2;
      continue;
    }
    if (c == '{' && i + 1 < text.size() && text[i + 1] == '{') {
      // An unclosed "{{" is text (see Parser::ParseSequence).
      const size_t close = reference_end(i + 2);
      i = close == absl::string_view::npos ? i + 2 : close + 2;
      continue;
    }
    if (c == '(') ++depth;
    if (c == ')' && --depth == 0) return i;
    ++i;
  }
  return absl::string_view::npos;
}

}  // namespace

size_t ParenEnd(absl::string_view text, size_t open) {
  // One pass for the "{{" it skips: scanning each to its end would be
  // quadratic in the "{{" that never close.
  return ReferenceEnds(text).ParenEnd(open);
}

ReferenceEnds::ReferenceEnds(absl::string_view text)
    : text_(text), depth_(text.size() + 1, kNotAToken) {
  // ReferenceEnd's tokens ("\\x", "{{", "}}", any other byte), read once from
  // the start, with the depth before each: +1 after "{{", -1 after "}}".
  int32_t depth = 0;
  size_t i = 0;
  while (i < text.size()) {
    depth_[i] = depth;
    if (i + 1 < text.size() && text[i] == '\\') {
      i += 2;
    } else if (i + 1 < text.size() && text[i] == '{' && text[i + 1] == '{') {
      ++depth;
      i += 2;
    } else if (i + 1 < text.size() && text[i] == '}' && text[i + 1] == '}') {
      closes_at_depth_[depth].push_back(i);
      --depth;
      i += 2;
    } else {
      ++i;
    }
  }
}

size_t ReferenceEnds::Find(size_t body, size_t end) const {
  end = std::min(end, text_.size());
  // ReferenceEnd's scan, until it reaches a token of the pass above (at
  // once, for a "{{" that pass read, else after a few bytes: a scan from
  // elsewhere, such as the "{{" of "\\{{", soon falls in step). From there
  // the tokens are the pass's: the "}}" that brings `depth` to 0 is the first
  // one after `i` whose depth before it is the depth at `i` + 1 - `depth`.
  int32_t depth = 1;
  size_t i = body;
  while (i + 1 < end) {
    if (depth_[i] != kNotAToken) {
      auto list = closes_at_depth_.find(depth_[i] + 1 - depth);
      if (list == closes_at_depth_.end()) return absl::string_view::npos;
      auto close = std::lower_bound(list->second.begin(), list->second.end(), i);
      return close != list->second.end() && *close + 1 < end ? *close : absl::string_view::npos;
    }
    if (text_[i] == '\\') {
      i += 2;
    } else if (text_[i] == '{' && text_[i + 1] == '{') {
      ++depth;
      i += 2;
    } else if (text_[i] == '}' && text_[i + 1] == '}') {
      if (--depth == 0) return i;
      i += 2;
    } else {
      ++i;
    }
  }
  return absl::string_view::npos;
}

size_t ReferenceEnds::ParenEnd(size_t open, size_t end) const {
  end = std::min(end, text_.size());
  return ParenEndWith(text_.substr(0, end), open,
                      [this, end](size_t body) { return Find(body, end); });
}

namespace {

constexpr int kMaxNesting = 16;

std::string Unescape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) ++i;
    out.push_back(text[i]);
  }
  return out;
}

}  // namespace

bool Parser::HasSyntax(size_t begin, size_t end) const {
  for (size_t i = begin; i + 1 < end; ++i) {
    if (src_[i] == '{' && src_[i + 1] == '{') return true;
    absl::string_view name;
    size_t open = 0;
    if (FunctionAt(i, end, &name, &open)) return true;
  }
  return false;
}

absl::Status Parser::Error(size_t at, absl::string_view why) const {
  constexpr size_t kShown = 120;
  absl::string_view shown = src_.substr(0, kShown);
  return absl::InvalidArgumentError(absl::StrCat(
      "template \"", shown, src_.size() > kShown ? "..." : "", "\" at byte ", at, ": ", why));
}

size_t Parser::FindReferenceEnd(size_t body, size_t end) const {
  return reference_ends_.Find(body, end);
}

bool Parser::FunctionAt(size_t at, size_t end, absl::string_view* name, size_t* open) const {
  return internal::FunctionAt(src_.substr(0, end), at, name, open);
}

size_t Parser::FindParenEnd(size_t open, size_t end) const {
  return reference_ends_.ParenEnd(open, end);
}

bool Parser::SkipGroup(size_t* i, size_t end, bool* skipped_any) const {
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

void Parser::SkipSpaces(size_t* i, size_t end) const {
  while (*i < end && absl::ascii_isspace(static_cast<unsigned char>(src_[*i]))) ++*i;
}

absl::StatusOr<std::unique_ptr<Expr>> Parser::ParseSequence(size_t begin, size_t end, int depth,
                                                            bool path_text) {
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
      CONVEY_ASSIGN_OR_RETURN(std::unique_ptr<Expr> ref, Reference(i + 2, close, depth + 1));
      flush();
      Sequence::Part part;
      part.expr = std::move(ref);
      parts.push_back(std::move(part));
      i = close + 2;
      continue;
    }
    absl::string_view name;
    size_t open = 0;
    if (FunctionAt(i, end, &name, &open)) {
      size_t next = 0;
      CONVEY_ASSIGN_OR_RETURN(std::unique_ptr<Expr> call,
                              Function(i, name, open, end, depth + 1, &next));
      flush();
      Sequence::Part part;
      part.expr = std::move(call);
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

absl::StatusOr<std::vector<Parser::RawSegment>> Parser::Segments(size_t begin, size_t end) const {
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
  CONVEY_ASSIGN_OR_RETURN(std::unique_ptr<Expr> dynamic,
                          ParseSequence(segment.begin, segment.end, depth, /*path_text=*/true));
  arg.dynamic = std::move(dynamic);
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
      CONVEY_ASSIGN_OR_RETURN(std::unique_ptr<Expr> dynamic,
                              ParseSequence(raw.begin, raw.end, depth, /*path_text=*/true));
      step.dynamic = std::move(dynamic);
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
  CONVEY_ASSIGN_OR_RETURN(const std::vector<RawSegment> s, Segments(begin, end));
  auto key_is = [&](size_t k, absl::string_view name) {
    return k < s.size() && !s[k].bracket && !s[k].dynamic &&
           src_.substr(s[k].begin, s[k].end - s[k].begin) == name;
  };
  auto bracket_at = [&](size_t k) { return k < s.size() && s[k].bracket; };
  auto key_at = [&](size_t k) { return k < s.size() && !s[k].bracket; };

  // The platform's reserved forms, recognised by their shape.
  if (key_is(0, "root") && key_at(1)) {
    if (s.size() != 2) return Error(s[2].begin, "root.<field> takes exactly one field");
    CONVEY_ASSIGN_OR_RETURN(TextArg field, Text(s[1], depth));
    return std::unique_ptr<Expr>(new RootRef(std::move(field)));
  }
  if (key_is(0, "node") && bracket_at(1)) {
    if (s.size() != 3 || !key_at(2)) return Error(begin, "expected node[ID].<field>");
    CONVEY_ASSIGN_OR_RETURN(TextArg node, Text(s[1], depth));
    CONVEY_ASSIGN_OR_RETURN(TextArg field, Text(s[2], depth));
    return std::unique_ptr<Expr>(new NodeRef(TextArg(), std::move(node), std::move(field)));
  }
  if (key_is(0, "conv") && bracket_at(1)) {
    CONVEY_ASSIGN_OR_RETURN(TextArg conv, Text(s[1], depth));
    if (key_is(2, "node") && bracket_at(3)) {
      if (s.size() != 5 || !key_at(4)) {
        return Error(begin, "expected conv[ID].node[ID].<field>");
      }
      CONVEY_ASSIGN_OR_RETURN(TextArg node, Text(s[3], depth));
      CONVEY_ASSIGN_OR_RETURN(TextArg field, Text(s[4], depth));
      return std::unique_ptr<Expr>(new NodeRef(std::move(conv), std::move(node), std::move(field)));
    }
    if (key_is(2, "ref") && bracket_at(3)) {
      CONVEY_ASSIGN_OR_RETURN(TextArg ref, Text(s[3], depth));
      CONVEY_ASSIGN_OR_RETURN(std::vector<Step> steps, Steps(s, 4, depth));
      return std::unique_ptr<Expr>(
          new StateRef(std::move(conv), std::move(ref), PathArg(std::move(steps))));
    }
    return Error(begin, "expected conv[ID].node[ID].<field> or conv[ID].ref[REF]");
  }
  if (key_is(0, "env_var") && bracket_at(1)) {
    CONVEY_ASSIGN_OR_RETURN(TextArg name, Text(s[1], depth));
    CONVEY_ASSIGN_OR_RETURN(std::vector<Step> steps, Steps(s, 2, depth));
    if (name.dynamic == nullptr) env_vars_.push_back(name.constant);
    return std::unique_ptr<Expr>(new EnvVarRef(std::move(name), PathArg(std::move(steps))));
  }

  bool dynamic = false;
  for (const RawSegment& segment : s) dynamic = dynamic || segment.dynamic;
  if (!dynamic) {
    // The same grammar as parameter names everywhere else.
    absl::StatusOr<Path> path = ParsePath(src_.substr(begin, end - begin));
    if (!path.ok()) return Error(begin, path.status().message());
    return std::unique_ptr<Expr>(new DataRef(std::move(*path)));
  }
  CONVEY_ASSIGN_OR_RETURN(std::vector<Step> steps, Steps(s, 0, depth));
  return std::unique_ptr<Expr>(new DynamicDataRef(std::move(steps)));
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
  static constexpr const char* kKnown[] = {"math",      "unixtime",  "date",     "random",
                                           "sha1",      "sha1_hex",  "md5_hex",  "base64_encode",
                                           "to_object", "to_number", "to_array", "to_string"};
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
    CONVEY_ASSIGN_OR_RETURN(std::unique_ptr<MathNode> root, MathSum(&i, arg_end, depth));
    SkipSpaces(&i, arg_end);
    if (i != arg_end) {
      return Error(i, absl::StrCat("unexpected '", src_.substr(i, 1), "' in $.math"));
    }
    return std::unique_ptr<Expr>(new MathCall(std::move(root)));
  }

  if (name == "unixtime" || name == "date") {
    const TimeCall::Kind kind = name == "date" ? TimeCall::Kind::kDate : TimeCall::Kind::kUnixtime;
    CONVEY_ASSIGN_OR_RETURN(std::unique_ptr<Expr> format, Argument(arg_begin, arg_end, depth));
    if (format != nullptr && !format->ReadsEnv()) {
      // A constant format is checked now, against an arbitrary time.
      NoEnv no_env;
      std::string text;
      format->AppendText(no_env, &text);
      absl::CivilSecond probe(2000, 1, 1, 0, 0, 0);
      absl::Status status = kind == TimeCall::Kind::kDate ? FormatDate(text, probe).status()
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
      CONVEY_ASSIGN_OR_RETURN(std::unique_ptr<Expr> zone_expr, ParseSequence(zb, ze, depth));
      if (zone_expr->ReadsEnv()) {
        dynamic_zone = std::move(zone_expr);
      } else {
        NoEnv no_env;
        std::string zone_name;
        zone_expr->AppendText(no_env, &zone_name);
        absl::StatusOr<absl::TimeZone> resolved = ResolveTimeZone(zone_name);
        if (!resolved.ok()) return Error(zb, resolved.status().message());
        zone = *resolved;
      }
      *next = tz_close + 1;
    }
    return std::unique_ptr<Expr>(
        new TimeCall(kind, std::move(format), zone, std::move(dynamic_zone)));
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
      CONVEY_ASSIGN_OR_RETURN(std::unique_ptr<Expr> bound, ParseSequence(b, e, depth));
      if (!bound->ReadsEnv()) {
        NoEnv no_env;
        int64_t ignored = 0;
        if (!IntegerOf(bound->Eval(no_env), &ignored)) {
          return Error(b, "a $.random bound must be an integer");
        }
      }
      bounds[k] = std::move(bound);
    }
    return std::unique_ptr<Expr>(new RandomCall(std::move(bounds[0]), std::move(bounds[1])));
  }

  CONVEY_ASSIGN_OR_RETURN(std::unique_ptr<Expr> arg, Argument(arg_begin, arg_end, depth));
  if (name == "sha1" || name == "sha1_hex") {
    return std::unique_ptr<Expr>(new DigestCall(&Sha1Hex, std::move(arg)));
  }
  if (name == "md5_hex") return std::unique_ptr<Expr>(new DigestCall(&Md5Hex, std::move(arg)));
  if (name == "base64_encode") {
    return std::unique_ptr<Expr>(new DigestCall(&Base64, std::move(arg)));
  }
  Value::Type type = Value::Type::kString;
  if (name == "to_object") type = Value::Type::kObject;
  if (name == "to_array") type = Value::Type::kArray;
  if (name == "to_number") type = Value::Type::kNumber;
  return std::unique_ptr<Expr>(new ConvertCall(type, std::move(arg)));
}

// Sums are chains of products and products chains of unary terms; both
// associate to the left.
absl::StatusOr<std::unique_ptr<MathNode>> Parser::MathSum(size_t* i, size_t end, int depth) {
  return MathChain(i, end, depth, '+', MathNode::Op::kAdd, '-', MathNode::Op::kSubtract,
                   &Parser::MathProduct);
}

absl::StatusOr<std::unique_ptr<MathNode>> Parser::MathProduct(size_t* i, size_t end, int depth) {
  return MathChain(i, end, depth, '*', MathNode::Op::kMultiply, '/', MathNode::Op::kDivide,
                   &Parser::MathUnary);
}

absl::StatusOr<std::unique_ptr<MathNode>> Parser::MathChain(size_t* i, size_t end, int depth,
                                                            char first, MathNode::Op first_op,
                                                            char second, MathNode::Op second_op,
                                                            MathTerm term) {
  CONVEY_ASSIGN_OR_RETURN(std::unique_ptr<MathNode> node, (this->*term)(i, end, depth));
  std::unique_ptr<MathNode> chain;
  for (;;) {
    SkipSpaces(i, end);
    if (*i >= end || (src_[*i] != first && src_[*i] != second)) {
      return chain != nullptr ? std::move(chain) : std::move(node);
    }
    if (chain == nullptr) {
      chain = std::make_unique<MathNode>();
      chain->op = MathNode::Op::kChain;
      chain->first = std::move(node);
    }
    MathNode::Op op = src_[*i] == first ? first_op : second_op;
    ++*i;
    CONVEY_ASSIGN_OR_RETURN(std::unique_ptr<MathNode> rhs, (this->*term)(i, end, depth));
    chain->steps.push_back(MathNode::Step{op, std::move(rhs)});
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
  node->first = std::move(*primary);
  return node;
}

absl::StatusOr<std::unique_ptr<MathNode>> Parser::MathPrimary(size_t* i, size_t end, int depth) {
  SkipSpaces(i, end);
  if (*i >= end) return Error(*i, "expected a number, '(' or a reference in $.math");
  char c = src_[*i];
  if (c == '(') {
    if (depth + 1 > kMaxNesting) {
      return Error(*i, absl::StrCat("nesting deeper than ", kMaxNesting, " levels"));
    }
    size_t open = *i;
    ++*i;
    CONVEY_ASSIGN_OR_RETURN(std::unique_ptr<MathNode> inner, MathSum(i, end, depth + 1));
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
    CONVEY_ASSIGN_OR_RETURN(std::unique_ptr<Expr> ref, Reference(*i + 2, close, depth + 1));
    operand = std::move(ref);
    *i = close + 2;
  } else {
    absl::string_view name;
    size_t open = 0;
    if (!FunctionAt(*i, end, &name, &open)) {
      return Error(*i, absl::StrCat("unexpected '", src_.substr(*i, 1), "' in $.math"));
    }
    size_t next = 0;
    CONVEY_ASSIGN_OR_RETURN(std::unique_ptr<Expr> call,
                            Function(*i, name, open, end, depth + 1, &next));
    operand = std::move(call);
    *i = next;
  }
  auto node = std::make_unique<MathNode>();
  node->op = MathNode::Op::kOperand;
  node->operand = std::move(operand);
  return node;
}

}  // namespace internal
}  // namespace convey
