// A forward scanner over JSON text that is already known to be valid (its
// simdjson DOM exists): it finds where strings and values end, 16 bytes at
// a time with SSE2 (8 with 64-bit words elsewhere), without parsing or
// copying anything. It still checks bounds and reports anything unexpected
// as false, so a caller can fall back to the DOM. Separate from the write
// set, which uses it to splice new values into a task's text, because
// finding value boundaries is a job of its own and the only SIMD code of
// the tree. Header-only: every function runs in the caller's inner loop.
// Not thread-safe: one JsonScanner per text.
#ifndef CONVEY_RUNTIME_JSON_JSON_SCANNER_H_
#define CONVEY_RUNTIME_JSON_JSON_SCANNER_H_

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "absl/strings/string_view.h"

namespace convey {
namespace internal {
namespace json_scanner_internal {

constexpr uint64_t kOnes = 0x0101010101010101ull;
constexpr uint64_t kHighs = 0x8080808080808080ull;

// Outside strings, valid JSON has no bytes below 0x20 but whitespace.
inline bool IsSpace(char c) { return static_cast<unsigned char>(c) <= ' '; }

// The bytes a number, true, false or null is made of.
struct ScalarBytes {
  bool table[256] = {};
  constexpr ScalarBytes() {
    for (const char* c = "0123456789+-.eEtrufalsn"; *c != 0; ++c) {
      table[static_cast<unsigned char>(*c)] = true;
    }
  }
};
inline constexpr ScalarBytes kScalarBytes;

// Bit 7 of each byte of `w` that equals the byte in `pattern` (exact for the
// lowest match, which is all the scanner uses).
inline uint64_t MatchBytes(uint64_t w, uint64_t pattern) {
  uint64_t x = w ^ pattern;
  return (x - kOnes) & ~x & kHighs;
}

// The first '"' or '\' in [p, end), or end.
inline const char* FindQuoteOrBackslash(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  while (end - p >= 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    int hits =
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
    if (hits != 0) return p + __builtin_ctz(static_cast<unsigned>(hits));
    p += 16;
  }
#endif
  while (end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    uint64_t hits = MatchBytes(w, kOnes * '"') | MatchBytes(w, kOnes * '\\');
    if (hits != 0) return p + __builtin_ctzll(hits) / 8;
    p += 8;
  }
  while (p < end && *p != '"' && *p != '\\') ++p;
  return p;
}

// The first '"', '{', '}', '[' or ']' in [p, end), or end. OR-ing 0x20
// folds '[' onto '{' and ']' onto '}' and nothing else onto either.
inline const char* FindQuoteOrBracket(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i open = _mm_set1_epi8('{');
  const __m128i close = _mm_set1_epi8('}');
  const __m128i fold = _mm_set1_epi8(0x20);
  while (end - p >= 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i folded = _mm_or_si128(v, fold);
    int hits = _mm_movemask_epi8(
        _mm_or_si128(_mm_cmpeq_epi8(v, quote),
                     _mm_or_si128(_mm_cmpeq_epi8(folded, open), _mm_cmpeq_epi8(folded, close))));
    if (hits != 0) return p + __builtin_ctz(static_cast<unsigned>(hits));
    p += 16;
  }
#endif
  while (end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    uint64_t folded = w | (kOnes * 0x20);
    uint64_t hits = MatchBytes(w, kOnes * '"') | MatchBytes(folded, kOnes * '{') |
                    MatchBytes(folded, kOnes * '}');
    if (hits != 0) return p + __builtin_ctzll(hits) / 8;
    p += 8;
  }
  while (p < end && *p != '"' && (*p | 0x20) != '{' && (*p | 0x20) != '}') ++p;
  return p;
}

}  // namespace json_scanner_internal

class JsonScanner {
 public:
  // `text` must outlive the scanner.
  explicit JsonScanner(absl::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  const char* at() const { return p_; }
  bool done() const { return p_ >= end_; }
  char peek() const { return *p_; }
  void Next() { ++p_; }
  void SkipSpace() {
    while (p_ < end_ && json_scanner_internal::IsSpace(*p_)) ++p_;
  }
  // Compact text has `c` right here; otherwise skip whitespace first.
  bool Expect(char c) {
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    SkipSpace();
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }

  // At a '"': moves past the closing quote. `*escaped` tells whether the
  // string held a backslash.
  bool SkipString(bool* escaped) {
    ++p_;
    *escaped = false;
    for (;;) {
      p_ = json_scanner_internal::FindQuoteOrBackslash(p_, end_);
      if (p_ >= end_) return false;
      if (*p_ == '"') {
        ++p_;
        return true;
      }
      *escaped = true;
      p_ += 2;  // the backslash and the character it escapes
    }
  }

  // At the first byte of a value: moves to the byte after it.
  bool SkipValue() {
    if (p_ >= end_) return false;
    bool escaped;
    char c = *p_;
    if (c == '"') return SkipString(&escaped);
    if (c == '{' || c == '[') {
      int depth = 0;
      for (;;) {
        p_ = json_scanner_internal::FindQuoteOrBracket(p_, end_);
        if (p_ >= end_) return false;
        c = *p_;
        if (c == '"') {
          if (!SkipString(&escaped)) return false;
          continue;
        }
        ++p_;
        if (c == '{' || c == '[') {
          ++depth;
        } else if (--depth == 0) {
          return true;
        }
      }
    }
    while (p_ < end_ &&
           json_scanner_internal::kScalarBytes.table[static_cast<unsigned char>(*p_)]) {
      ++p_;
    }
    return true;
  }

 private:
  const char* p_;
  const char* end_;
};

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_JSON_JSON_SCANNER_H_
