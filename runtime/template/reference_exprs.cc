// Evaluation of the `{{...}}` reference nodes declared in reference_exprs.h.
#include "runtime/template/reference_exprs.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace convey {
namespace internal {

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

namespace {

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

bool AnyDynamic(const std::vector<Step>& steps) {
  for (const Step& step : steps) {
    if (step.dynamic != nullptr) return true;
  }
  return false;
}

}  // namespace

Value DataRef::Eval(internal::TemplateEnv& env) const { return env.DataAt(path_); }

void DataRef::AppendText(internal::TemplateEnv& env, std::string* out) const {
  const Value value = env.DataAt(path_);
  // As Value::ToText() reads, without its copy.
  if (value.type() == Value::Type::kNull) {
    out->append("null");
  } else {
    out->append(value.text());
  }
}

Value DynamicDataRef::Eval(internal::TemplateEnv& env) const {
  simdjson::dom::element element;
  if (!Find(env, &element)) return Value::Missing();
  return ValueFromElement(element);
}

void DynamicDataRef::AppendText(internal::TemplateEnv& env, std::string* out) const {
  simdjson::dom::element element;
  if (Find(env, &element)) AppendElementText(element, out);
}

bool DynamicDataRef::Find(internal::TemplateEnv& env, simdjson::dom::element* out) const {
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

PathArg::PathArg(std::vector<Step> steps) : dynamic_(AnyDynamic(steps)) {
  if (!dynamic_) {
    for (Step& step : steps) path_.push_back(std::move(step.segment));
  } else {
    steps_ = std::move(steps);
  }
}

bool PathArg::Get(internal::TemplateEnv& env, Path* scratch, const Path** out) const {
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

Value RootRef::Eval(internal::TemplateEnv& env) const {
  std::string scratch;
  absl::string_view field;
  if (!field_.Get(env, &scratch, &field)) return Value::Missing();
  return env.Root(field);
}

Value NodeRef::Eval(internal::TemplateEnv& env) const {
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

Value StateRef::Eval(internal::TemplateEnv& env) const {
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

Value EnvVarRef::Eval(internal::TemplateEnv& env) const {
  std::string scratch;
  absl::string_view name;
  Path path_scratch;
  const Path* path = nullptr;
  if (!name_.Get(env, &scratch, &name) || !path_.Get(env, &path_scratch, &path)) {
    return Value::Missing();
  }
  return env.EnvVar(name, *path);
}

}  // namespace internal
}  // namespace convey
