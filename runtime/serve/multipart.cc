#include "runtime/serve/multipart.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace convey::serve {
namespace {

// The value of parameter `name` in a header value (`form-data; name="x"`).
absl::string_view Parameter(absl::string_view value, absl::string_view name) {
  for (absl::string_view part : absl::StrSplit(value, ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (part.size() > name.size() && absl::StartsWithIgnoreCase(part, name) &&
        part[name.size()] == '=') {
      absl::string_view found = part.substr(name.size() + 1);
      if (found.size() >= 2 && found.front() == '"' && found.back() == '"') {
        found = found.substr(1, found.size() - 2);
      }
      return found;
    }
  }
  return {};
}

}  // namespace

absl::StatusOr<std::vector<FormPart>> ParseMultipart(absl::string_view content_type,
                                                     absl::string_view body) {
  if (!absl::StartsWithIgnoreCase(absl::StripLeadingAsciiWhitespace(content_type),
                                  "multipart/form-data")) {
    return absl::InvalidArgumentError(
        absl::StrCat("the upload must be multipart/form-data, got Content-Type \"",
                     content_type.substr(0, 80), "\""));
  }
  const absl::string_view boundary = Parameter(content_type, "boundary");
  if (boundary.empty() || boundary.size() > 200) {
    return absl::InvalidArgumentError("the multipart Content-Type has no boundary");
  }
  const std::string delimiter = absl::StrCat("--", boundary);
  size_t at = body.find(delimiter);
  if (at == absl::string_view::npos) {
    return absl::InvalidArgumentError("the body does not start with the multipart boundary");
  }
  std::vector<FormPart> parts;
  for (;;) {
    at += delimiter.size();
    if (body.substr(at, 2) == "--") return parts;  // closing boundary
    if (body.substr(at, 2) != "\r\n") {
      return absl::InvalidArgumentError("a multipart boundary is not followed by CRLF");
    }
    at += 2;
    const size_t head_end = body.find("\r\n\r\n", at);
    if (head_end == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("part ", parts.size() + 1, " has no end to its headers"));
    }
    FormPart part;
    for (absl::string_view line : absl::StrSplit(body.substr(at, head_end - at), "\r\n")) {
      part.header_lines.push_back(line);
      const size_t colon = line.find(':');
      if (colon != absl::string_view::npos &&
          absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(line.substr(0, colon)),
                                 "Content-Disposition")) {
        part.name = Parameter(line.substr(colon + 1), "name");
        part.filename = Parameter(line.substr(colon + 1), "filename");
      }
    }
    const size_t content_start = head_end + 4;
    const size_t next = body.find(absl::StrCat("\r\n", delimiter), content_start);
    if (next == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("part ", parts.size() + 1, " is not closed by the boundary"));
    }
    part.content = body.substr(content_start, next - content_start);
    parts.push_back(part);
    at = next + 2;
  }
}

std::string SignedFormText(const std::vector<FormPart>& parts) {
  std::string text;
  for (const FormPart& part : parts) {
    for (absl::string_view line : part.header_lines) absl::StrAppend(&text, line, "\r\n");
    text.append(part.content.data(), part.content.size());
  }
  return text;
}

}  // namespace convey::serve
