#include "logics/api/request.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "openssl/evp.h"
#include "runtime/base/status_macros.h"
#include "runtime/json/json_writer.h"
#include "runtime/template/template.h"

namespace convey {
namespace internal {
namespace {

constexpr char kHexUpper[] = "0123456789ABCDEF";

void AppendEscapedByte(unsigned char c, std::string* out) {
  out->push_back('%');
  out->push_back(kHexUpper[c >> 4]);
  out->push_back(kHexUpper[c & 0xF]);
}

// The end of the substitution starting at `at` (exclusive), or npos when
// none starts there: the template grammar's boundaries (template.h), used
// here only to split the URL; the pieces are compiled by the template
// compiler itself.
size_t SubstitutionEnd(absl::string_view s, const ReferenceEnds& ends, size_t at) {
  if (s[at] == '{' && at + 1 < s.size() && s[at + 1] == '{') {
    const size_t close = ends.Find(at + 2);
    return close == absl::string_view::npos ? close : close + 2;  // unclosed: text
  }
  absl::string_view name;
  size_t open = 0;
  if (!FunctionAt(s, at, &name, &open)) return absl::string_view::npos;
  const size_t close = ends.ParenEnd(open);
  if (close == absl::string_view::npos) return s.size();  // the compiler refuses it first
  size_t end = close + 1;
  static constexpr absl::string_view kTz = ".tz(";
  if ((name == "unixtime" || name == "date") && s.substr(end, kTz.size()) == kTz) {
    const size_t tz_close = ends.ParenEnd(end + kTz.size() - 1);
    end = tz_close == absl::string_view::npos ? s.size() : tz_close + 1;
  }
  return end;
}

// Scheme, host and the start of the path, query or fragment, all literal.
bool FixesHostAndPath(absl::string_view prefix) {
  if (!HasHttpScheme(prefix)) return false;
  const size_t authority = prefix.find("://") + 3;
  return prefix.find_first_of("/?#", authority) != absl::string_view::npos;
}

}  // namespace

void AppendPercentEncoded(absl::string_view text, std::string* out) {
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out->push_back(ch);
    } else {
      AppendEscapedByte(c, out);
    }
  }
}

void AppendUrlText(absl::string_view text, std::string* out) {
  static constexpr absl::string_view kNeverInUrl = "\"<>\\^`{|}";
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || kNeverInUrl.find(ch) != absl::string_view::npos) {
      AppendEscapedByte(c, out);
    } else {
      out->push_back(ch);
    }
  }
}

absl::StatusOr<UrlTemplate> UrlTemplate::Compile(absl::string_view text, LogicBuilder& builder) {
  // The whole text first, so an error's byte offset is into what was written.
  CONVEY_RETURN_IF_ERROR(Template::Compile(text, TemplateMode::kValue).status());

  UrlTemplate url;
  std::string literal;
  bool first_substitution = true;
  const ReferenceEnds ends(text);
  size_t i = 0;
  while (i < text.size()) {
    const size_t end = SubstitutionEnd(text, ends, i);
    if (end == absl::string_view::npos) {
      literal.push_back(text[i]);
      ++i;
      continue;
    }
    if (first_substitution) {
      url.encode_values_ = FixesHostAndPath(literal);
      first_substitution = false;
    }
    if (!literal.empty()) {
      url.parts_.push_back(Part{std::move(literal), nullptr});
      literal.clear();
    }
    CONVEY_ASSIGN_OR_RETURN(const Template* value,
                            builder.CompileTemplate(text.substr(i, end - i), TemplateMode::kValue));
    url.parts_.push_back(Part{std::string(), value});
    i = end;
  }
  if (!literal.empty()) url.parts_.push_back(Part{std::move(literal), nullptr});
  return url;
}

std::string UrlTemplate::Evaluate(TaskContext& task) const {
  std::string out;
  for (const Part& part : parts_) {
    if (part.value == nullptr) {
      out.append(part.literal);
      continue;
    }
    const std::string text = task.Evaluate(*part.value).ToText();
    if (encode_values_) {
      AppendPercentEncoded(text, &out);
    } else {
      AppendUrlText(text, &out);
    }
  }
  return out;
}

bool HasHttpScheme(absl::string_view url) {
  return absl::StartsWithIgnoreCase(url, "http://") || absl::StartsWithIgnoreCase(url, "https://");
}

std::string EncodePairs(simdjson::dom::object object) {
  std::string out;
  for (simdjson::dom::key_value_pair field : object) {
    if (!out.empty()) out.push_back('&');
    AppendPercentEncoded(absl::string_view(field.key.data(), field.key.size()), &out);
    out.push_back('=');
    AppendPercentEncoded(ValueFromElement(field.value).ToText(), &out);
  }
  return out;
}

std::string AppendQuery(absl::string_view url, absl::string_view query) {
  if (query.empty()) return std::string(url);
  const size_t hash = url.find('#');
  const absl::string_view base = url.substr(0, hash);
  const absl::string_view fragment =
      hash == absl::string_view::npos ? absl::string_view() : url.substr(hash);
  absl::string_view separator = "?";
  if (base.find('?') != absl::string_view::npos) {
    separator = base.back() == '?' || base.back() == '&' ? "" : "&";
  }
  return absl::StrCat(base, separator, query, fragment);
}

std::string Signature(int64_t conv_time, absl::string_view secret, absl::string_view body) {
  const std::string signed_text = absl::StrCat(conv_time, secret, body, secret);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(signed_text.data(), signed_text.size(), digest, &length, EVP_sha1(), nullptr) !=
      1) {
    return "";
  }
  static constexpr char kHexLower[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHexLower[digest[i] >> 4]);
    hex.push_back(kHexLower[digest[i] & 0xF]);
  }
  return hex;
}

namespace {

void WriteIdentity(const TaskIdentity& task, bool with_type, JsonWriter* out) {
  out->Key("ref");
  if (task.ref.empty()) {
    out->Null();
  } else {
    out->String(task.ref);
  }
  if (with_type) out->Key("type").String("data");
  out->Key("obj_id").String(task.obj_id);
  out->Key("conv_id").Int(task.conv_id);
  out->Key("node_id").String(task.node_id);
}

}  // namespace

std::string SysObject(const TaskIdentity& task) {
  JsonWriter out;
  out.BeginObject();
  WriteIdentity(task, /*with_type=*/false, &out);
  out.EndObject();
  return out.Release();
}

std::string ConveyorEnvelope(const TaskIdentity& task, absl::string_view data_json,
                             absl::string_view extra_json) {
  JsonWriter out;
  out.BeginObject().Key("ops").BeginArray().BeginObject();
  WriteIdentity(task, /*with_type=*/true, &out);
  out.Key("data").Raw(data_json);
  out.Key("extra").Raw(extra_json);
  out.EndObject().EndArray().EndObject();
  return out.Release();
}

MediaKind MediaKindOf(absl::string_view content_type) {
  const std::string media = absl::AsciiStrToLower(
      absl::StripAsciiWhitespace(content_type.substr(0, content_type.find(';'))));
  if (media.empty() || media == "application/json" || absl::EndsWith(media, "+json")) {
    return MediaKind::kJson;
  }
  if (media == "application/x-www-form-urlencoded") return MediaKind::kForm;
  if (media == "application/xml" || media == "text/xml" || absl::EndsWith(media, "+xml")) {
    return MediaKind::kXml;  // application/soap+xml included
  }
  return MediaKind::kOther;
}

}  // namespace internal
}  // namespace convey
