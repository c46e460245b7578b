#include "runtime/json/path.h"

#include <cstdint>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "runtime/base/quote.h"
#include "runtime/json/short_bytes.h"

namespace convey {
namespace internal {
namespace {

absl::Status PathError(absl::string_view text, size_t at, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("path ", Quote(text, 120), " at byte ", at, ": ", why));
}

absl::Status TooManySteps(absl::string_view text, size_t at) {
  return PathError(text, at, absl::StrCat("more than ", kMaxPathSteps, " steps"));
}

// simdjson's object::at_key, with SameBytes.
bool FindKey(simdjson::dom::object object, absl::string_view key, simdjson::dom::element* out) {
  const simdjson::dom::object::iterator end = object.end();
  for (simdjson::dom::object::iterator field = object.begin(); field != end; ++field) {
    if (field.key_length() == key.size() && SameBytes(field.key_c_str(), key.data(), key.size())) {
      *out = field.value();
      return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<Path> ParsePath(absl::string_view text) {
  if (text.empty()) return PathError(text, 0, "empty path");
  Path path;
  size_t i = 0;
  // Whether the next character starts a key (start, or after a '.').
  bool expect_key = true;
  while (i < text.size()) {
    char c = text[i];
    if (c == '[') {
      if (expect_key && !path.empty()) return PathError(text, i, "empty key before '['");
      if (path.empty() && expect_key) return PathError(text, i, "a path cannot start with '['");
      size_t close = text.find(']', i + 1);
      if (close == absl::string_view::npos) return PathError(text, i, "unclosed '['");
      absl::string_view digits = text.substr(i + 1, close - i - 1);
      uint32_t index = 0;
      if (digits.empty() || digits.find_first_not_of("0123456789") != absl::string_view::npos ||
          !absl::SimpleAtoi(digits, &index) || index > 0x7fffffffu) {
        return PathError(text, i + 1, "an index must be a non-negative integer");
      }
      if (path.size() == kMaxPathSteps) return TooManySteps(text, i);
      PathSegment segment;
      segment.is_index = true;
      segment.index = index;
      path.push_back(std::move(segment));
      i = close + 1;
      if (i < text.size()) {
        if (text[i] == '.') {
          ++i;
          expect_key = true;
          if (i == text.size()) return PathError(text, i, "empty key at the end");
        } else if (text[i] != '[') {
          return PathError(text, i, "expected '.' or '[' after ']'");
        }
      }
      continue;
    }
    if (c == '.') return PathError(text, i, "empty key");
    if (c == ']') return PathError(text, i, "unmatched ']'");
    // A key: up to an unescaped '.' or '['.
    if (path.size() == kMaxPathSteps) return TooManySteps(text, i);
    PathSegment segment;
    while (i < text.size() && text[i] != '.' && text[i] != '[') {
      if (text[i] == ']') return PathError(text, i, "unmatched ']'");
      if (text[i] == '\\') {
        if (i + 1 == text.size()) return PathError(text, i, "trailing '\\'");
        ++i;
      }
      segment.key.push_back(text[i]);
      ++i;
    }
    path.push_back(std::move(segment));
    expect_key = false;
    if (i < text.size() && text[i] == '.') {
      ++i;
      expect_key = true;
      if (i == text.size()) return PathError(text, i, "empty key at the end");
    }
  }
  return path;
}

std::string PathToString(const Path& path) {
  std::string out;
  for (const PathSegment& segment : path) {
    if (segment.is_index) {
      absl::StrAppend(&out, "[", segment.index, "]");
      continue;
    }
    if (!out.empty()) out.push_back('.');
    for (char c : segment.key) {
      if (c == '.' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
  }
  return out;
}

bool FindPath(simdjson::dom::element root, const Path& path, simdjson::dom::element* out) {
  simdjson::dom::element current = root;
  for (const PathSegment& segment : path) {
    if (segment.is_index) {
      simdjson::dom::array array;
      if (current.get_array().get(array) != simdjson::SUCCESS) return false;
      if (array.at(segment.index).get(current) != simdjson::SUCCESS) return false;
    } else {
      simdjson::dom::object object;
      if (current.get_object().get(object) != simdjson::SUCCESS) return false;
      if (!FindKey(object, segment.key, &current)) return false;
    }
  }
  *out = current;
  return true;
}

}  // namespace internal
}  // namespace convey
