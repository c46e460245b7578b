#include "runtime/json/text_index.h"

#include <algorithm>

#include "runtime/json/json_scanner.h"
#include "runtime/json/short_bytes.h"

namespace convey {
namespace internal {

bool IsCompactObject(absl::string_view text, TextIndex index) {
  const uint32_t* const s = index.structurals;
  const size_t n = index.count;
  // The text begins with its first token and ends with its closing brace.
  if (n < 2 || text.empty() || s[0] != 0 || s[n - 1] != text.size() - 1 || text[0] != '{' ||
      text[text.size() - 1] != '}') {
    return false;
  }
  const char* const t = text.data();
  // Outside strings, valid JSON has no bytes up to ' ' but whitespace; the
  // byte before a token is never inside a string (a string's last byte is
  // its closing quote). Offsets ascend, so all lie within the text. Four
  // running minima, so that the loads do not wait for one another.
  const auto byte_before = [t, s](size_t j) {
    return static_cast<unsigned>(static_cast<unsigned char>(t[s[j] - 1]));
  };
  unsigned m0 = 0xff, m1 = 0xff, m2 = 0xff, m3 = 0xff;
  size_t j = 1;
  for (; j + 4 <= n; j += 4) {
    m0 = std::min(m0, byte_before(j));
    m1 = std::min(m1, byte_before(j + 1));
    m2 = std::min(m2, byte_before(j + 2));
    m3 = std::min(m3, byte_before(j + 3));
  }
  for (; j < n; ++j) m0 = std::min(m0, byte_before(j));
  return std::min(std::min(m0, m1), std::min(m2, m3)) > ' ';
}

namespace {

// The end of the token that begins at entry j: where the next structural
// character is, less the whitespace before it. A token of valid JSON is
// never last (the closing bracket of its container follows) unless the
// whole text is that scalar.
size_t TokenEnd(absl::string_view text, TextIndex index, size_t j) {
  size_t end = j + 1 < index.count ? index.structurals[j + 1] : text.size();
  while (end > index.structurals[j] + 1 && json_scanner_internal::IsSpace(text[end - 1])) --end;
  return end;
}

// The entry after the container that begins at entry j: past its closing
// bracket, or index.count.
size_t SkipContainer(const char* t, const uint32_t* s, size_t n, size_t j) {
  size_t depth = 0;
  for (; j < n; ++j) {
    const char c = t[s[j]];
    if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      return j + 1;
    }
  }
  return n;
}

// The entry after the value that begins at entry j: a scalar is one entry.
inline size_t SkipValue(const char* t, const uint32_t* s, size_t n, size_t j) {
  const char c = t[s[j]];
  return c == '{' || c == '[' ? SkipContainer(t, s, n, j) : j + 1;
}

// The key of the member that begins at entry j (its opening quote; the
// colon is at j + 1), as written: the closing quote is the last one before
// the colon.
inline absl::string_view KeyAt(const char* t, const uint32_t* s, size_t j) {
  const size_t begin = s[j] + 1;
  size_t end = s[j + 1] - 1;  // the closing quote in compact text
  while (t[end] != '"') --end;
  return absl::string_view(t + begin, end - begin);
}

// Whether a member of the object whose first member begins at entry j has
// a key longer than `size` bytes written with a backslash: escapes make a
// key's text longer than the key, so only such a key can be one of `size`
// bytes written another way.
bool HasLongerEscapedKey(const char* t, const uint32_t* s, size_t n, size_t j, size_t size) {
  while (j + 2 < n) {
    const absl::string_view key = KeyAt(t, s, j);
    if (key.size() > size && HasBackslash(key.data(), key.size())) return true;
    j = SkipValue(t, s, n, j + 2);
    if (j >= n || t[s[j]] != ',') return false;
    ++j;
  }
  return false;
}

}  // namespace

IndexLookup FindInIndex(absl::string_view text, TextIndex index, const Path& path, size_t* at) {
  const char* const t = text.data();
  const uint32_t* const s = index.structurals;
  const size_t n = index.count;
  size_t j = 0;
  // An index of another text (offsets ascend: the last one bounds them
  // all) is not walked: the caller's document answers.
  if (n < 2 || s[n - 1] >= text.size() || (t[s[n - 1]] != '}' && t[s[n - 1]] != ']')) {
    return IndexLookup::kUnknown;
  }
  for (const PathSegment& segment : path) {
    if (segment.is_index) {
      if (t[s[j]] != '[' || j + 1 >= n || t[s[j + 1]] == ']') return IndexLookup::kMissing;
      ++j;  // the first element
      for (uint32_t i = 0; i < segment.index; ++i) {
        j = SkipValue(t, s, n, j);
        if (j >= n || t[s[j]] != ',') return IndexLookup::kMissing;
        ++j;
      }
      continue;
    }
    if (t[s[j]] != '{' || j + 1 >= n || t[s[j + 1]] == '}') return IndexLookup::kMissing;
    ++j;  // the first key
    const size_t first_member = j;
    const absl::string_view wanted = segment.key;
    bool longer_keys = false;
    while (true) {
      // A member is its key's string, a colon and the value: three entries
      // at least.
      if (j + 2 >= n) return IndexLookup::kMissing;
      const absl::string_view key = KeyAt(t, s, j);
      j += 2;  // the value
      if (key.size() == wanted.size() && SameBytes(key.data(), wanted.data(), key.size())) {
        // Written alike, a key with a backslash would be another key.
        if (HasBackslash(key.data(), key.size())) return IndexLookup::kUnknown;
        break;
      }
      longer_keys = longer_keys || key.size() > wanted.size();
      j = SkipValue(t, s, n, j);
      if (j >= n || t[s[j]] != ',') {
        // Not written as it is; written with escapes only in a longer key.
        return longer_keys && HasLongerEscapedKey(t, s, n, first_member, wanted.size())
                   ? IndexLookup::kUnknown
                   : IndexLookup::kMissing;
      }
      ++j;
    }
  }
  *at = j;
  return IndexLookup::kFound;
}

absl::string_view ScalarTextAt(absl::string_view text, TextIndex index, size_t at) {
  const size_t begin = index.structurals[at];
  const size_t end = TokenEnd(text, index, at);
  if (text[begin] != '"') return text.substr(begin, end - begin);
  // A string's token ends with its closing quote.
  return text.substr(begin + 1, end - begin - 2);
}

}  // namespace internal
}  // namespace convey
