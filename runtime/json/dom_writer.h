// Compact JSON output at memcpy speed, the write set's inner loop: a Sink
// that appends to a std::string through a raw pointer, with a byte limit,
// and writers for quoted strings and whole simdjson DOM elements on top of
// it. Strings without anything to escape (nearly all keys and values) are
// copied in one piece; the rest go through WriteJsonString
// (json_writer.h), the project's one escaper. Numbers and strings come out
// as runtime/task/write_set.h documents (doubles round-trip, with ".0" on
// integral values; only `"`, `\` and control characters are escaped), or
// as simdjson::minify writes them (WriteElementAsSimdjson).
// Separate from the write set, which decides what goes where, and from
// JsonWriter, the call-by-call writer for everything else. Sink and
// WriteQuoted are inline: they run for every key and value written.
// Not thread-safe: one Sink per output string.
#ifndef CONVEY_RUNTIME_JSON_DOM_WRITER_H_
#define CONVEY_RUNTIME_JSON_DOM_WRITER_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "absl/base/attributes.h"
#include "absl/strings/string_view.h"
#include "runtime/json/json_writer.h"
#include "runtime/json/utf8.h"
#include "simdjson.h"

namespace convey {
namespace internal {

// Appends to a std::string through a raw pointer: the output is made of many
// pieces of a few bytes, and std::string::append's per-call bookkeeping
// would cost more than the copying itself. The string is grown ahead of the
// writes and trimmed to what was written when the Sink is destroyed.
class Sink {
 public:
  // Writing more than `max_bytes` sets overflowed(); what was written is then
  // discarded (the string is left as it was) and later writes are cheap
  // no-ops as far as the output goes. The limit is on what was written, to
  // the byte: a Reserve may ask for up to kReserveSlack bytes it does not
  // use (a number's room), and only a Reserve past the limit by more than
  // that overflows at once.
  Sink(std::string* out, size_t max_bytes) : out_(out), start_(out->size()), max_(max_bytes) {
    size_t target = start_ + 256;
    // Use capacity the caller already reserved (within reason: resize
    // zero-fills it).
    if (out->capacity() > target && out->capacity() - start_ <= (size_t{1} << 16)) {
      target = out->capacity();
    }
    out->resize(target);
    Rebase(start_);
  }
  ~Sink() { out_->resize(overflowed() ? start_ : Used()); }
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  bool overflowed() const { return overflowed_ || Used() - start_ > max_; }

  void Reserve(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) Grow(n);
  }
  void Put(char c) {
    Reserve(1);
    *p_++ = c;
  }
  void Put(const char* data, size_t n) {
    Reserve(n);
    std::memcpy(p_, data, n);
    p_ += n;
  }
  void Put(absl::string_view s) { Put(s.data(), s.size()); }
  // For writers that fill the reserved space themselves.
  char* cursor() { return p_; }
  char* limit() { return end_; }
  void Advance(char* to) { p_ = to; }

 private:
  static constexpr size_t kReserveSlack = 32;

  size_t Used() const { return static_cast<size_t>(p_ - begin_); }
  void Rebase(size_t used) {
    begin_ = &(*out_)[0];
    p_ = begin_ + used;
    end_ = begin_ + out_->size();
  }
  void Grow(size_t n) {
    size_t used = Used();
    const size_t wanted = used - start_ + n;
    if (wanted > max_ && wanted - max_ > kReserveSlack) {  // (max_ may be SIZE_MAX)
      Overflow(n);
      return;
    }
    out_->resize(std::max(out_->size() * 2, used + n));
    Rebase(used);
  }
  // Drops what was written and keeps only room for the pending write.
  void Overflow(size_t n) {
    overflowed_ = true;
    if (out_->size() < start_ + n) out_->resize(start_ + n);
    Rebase(start_);
  }

  std::string* out_;
  const size_t start_;
  const size_t max_;
  bool overflowed_ = false;
  char* begin_ = nullptr;
  char* p_ = nullptr;
  char* end_ = nullptr;
};

namespace dom_writer_internal {

constexpr uint64_t kOnes = 0x0101010101010101ull;
constexpr uint64_t kHighs = 0x8080808080808080ull;

// Whether any of the 8 bytes of `w` is a control character, '"' or '\'.
inline bool NeedsEscape8(uint64_t w) {
  uint64_t below_space = (w - kOnes * 0x20) & ~w;
  uint64_t quote = w ^ (kOnes * '"');
  uint64_t backslash = w ^ (kOnes * '\\');
  uint64_t has_quote = (quote - kOnes) & ~quote;
  uint64_t has_backslash = (backslash - kOnes) & ~backslash;
  return ((below_space | has_quote | has_backslash) & kHighs) != 0;
}

// The n (1..8) bytes at p in one word, with spaces for the rest. Short
// strings (most keys) are checked with two overlapping loads instead of a
// byte loop.
inline uint64_t LoadShort(const char* p, size_t n) {
  if (n >= 4) {
    uint32_t lo;
    uint32_t hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);
    return lo | (static_cast<uint64_t>(hi) << 32);
  }
  return (kOnes * ' ' & ~uint64_t{0xffffff}) | static_cast<unsigned char>(p[0]) |
         (static_cast<uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8) |
         (static_cast<uint64_t>(static_cast<unsigned char>(p[n - 1])) << 16);
}

#if defined(__SSE2__)
// Whether any of the 16 bytes at p is a control character, '"' or '\\'.
inline bool NeedsEscape16(const char* p) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
  const __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
  const __m128i backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
  return _mm_movemask_epi8(_mm_or_si128(control, _mm_or_si128(quote, backslash))) != 0;
}
#endif

inline uint64_t Load8(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// Up to 16 bytes in one or two words (overlapping when n < 16); longer
// strings 16 bytes a step where SSE2 is there (every x86-64), the last
// step overlapping what was checked.
inline bool StringNeedsEscape(const char* p, size_t n) {
  if (n <= 8) return n != 0 && NeedsEscape8(LoadShort(p, n));
  if (n <= 16) return NeedsEscape8(Load8(p)) || NeedsEscape8(Load8(p + n - 8));
#if defined(__SSE2__)
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    if (NeedsEscape16(p + i)) return true;
  }
  return i != n && NeedsEscape16(p + n - 16);
#else
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    if (NeedsEscape8(Load8(p + i))) return true;
  }
  return i != n && NeedsEscape8(Load8(p + n - 8));
#endif
}

// Whether any of the n bytes at p is 0x80 or above (not ASCII).
inline bool HasHighBytes(const char* p, size_t n) {
  if (n <= 8) return n != 0 && (LoadShort(p, n) & kHighs) != 0;
  size_t i = 0;
  uint64_t any = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    any |= w;
  }
  uint64_t w;  // the last 8 bytes, overlapping what was read
  std::memcpy(&w, p + n - 8, 8);
  return ((any | w) & kHighs) != 0;
}

// memcpy for the few bytes of a typical key or value, without the call
// (forced inline: it is called from the writers' inner loops, and GCC
// outlined it there once it had the 17-32 byte case).
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void CopyBytes(char* dst, const char* src, size_t n) {
  if (n > 16 && n <= 32) {  // an id, a short URL: two overlapping 16-byte copies
    char a[16];
    char b[16];
    std::memcpy(a, src, 16);
    std::memcpy(b, src + n - 16, 16);
    std::memcpy(dst, a, 16);
    std::memcpy(dst + n - 16, b, 16);
  } else if (n >= 8 && n <= 16) {
    uint64_t a;
    uint64_t b;
    std::memcpy(&a, src, 8);
    std::memcpy(&b, src + n - 8, 8);
    std::memcpy(dst, &a, 8);
    std::memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4 && n < 8) {
    uint32_t a;
    uint32_t b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
  } else if (n < 4) {
    if (n > 0) {
      dst[0] = src[0];
      dst[n / 2] = src[n / 2];
      dst[n - 1] = src[n - 1];
    }
  } else {
    std::memcpy(dst, src, n);
  }
}

}  // namespace dom_writer_internal

// WriteQuoted's path for strings with bytes to escape: rare, out of line.
void WriteEscapedQuoted(Sink& sink, char prefix, absl::string_view s, char suffix);

// Writes `prefix` (a byte or none), the quoted string and `suffix` (a byte
// or none): an object's key comes with its comma and colon in one step.
// Forced inline: the call cost more than the copy of a typical key.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void WriteQuoted(Sink& sink, char prefix, absl::string_view s,
                                                     char suffix) {
  if (!dom_writer_internal::StringNeedsEscape(s.data(), s.size())) {
    sink.Reserve(s.size() + 2 + (prefix != 0) + (suffix != 0));
    char* p = sink.cursor();
    if (prefix != 0) *p++ = prefix;
    *p++ = '"';
    dom_writer_internal::CopyBytes(p, s.data(), s.size());
    p += s.size();
    *p++ = '"';
    if (suffix != 0) *p++ = suffix;
    sink.Advance(p);
    return;
  }
  WriteEscapedQuoted(sink, prefix, s, suffix);
}

inline void WriteString(Sink& sink, absl::string_view s) { WriteQuoted(sink, 0, s, 0); }

// WriteQuoted for text that may not be UTF-8 (a logic's key or value, which
// nothing checked): a byte sequence that is not UTF-8 is written as U+FFFD,
// so the task's data stays JSON every reader, and recovery, can parse.
// ASCII text (no byte from 0x80 up) is not looked at twice.
inline void WriteCheckedQuoted(Sink& sink, char prefix, absl::string_view s, char suffix) {
  // One call of WriteQuoted below (it is inlined): the repaired text, made
  // only for text that is not UTF-8, takes the place of the original.
  std::string repaired;
  if (dom_writer_internal::HasHighBytes(s.data(), s.size()) &&
      !simdjson::validate_utf8(s.data(), s.size())) {
    repaired = ValidUtf8(s);
    s = repaired;
  }
  WriteQuoted(sink, prefix, s, suffix);
}

// Writes `element` as compact JSON: strings as WriteString, integers as
// themselves, doubles in their shortest round-trip form with ".0" when that
// looks like an integer, containers recursively. Out of line: the
// containers and doubles are inlined into this one recursive function.
void WriteElement(Sink& sink, simdjson::dom::element element);

// Writes `element` as compact JSON byte for byte as simdjson::minify(element)
// does (its escapes are WriteString's; its doubles are its own shortest
// form): the importer keeps logics as this text (Minify, minify.h), and
// simdjson's own writer, one std::vector insert per token, took more
// instructions (callgrind: 126 against 111 M for a 10 MB export).
void WriteElementAsSimdjson(Sink& sink, simdjson::dom::element element);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_JSON_DOM_WRITER_H_
