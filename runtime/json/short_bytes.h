// Comparing the few bytes of a JSON key, or looking for a backslash in
// them, without a call to memcmp or memchr. Keys of task data are short: two
// overlapping loads answer, where the call and its size dispatch cost more
// than the work (simdjson's at_key makes one call per key of the right
// length: 6% of a go_if_const chain's time). Header-only: it runs in the
// inner loops of key lookups.
#ifndef CONVEY_RUNTIME_JSON_SHORT_BYTES_H_
#define CONVEY_RUNTIME_JSON_SHORT_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace convey {
namespace internal {
namespace short_bytes_internal {

// The first and the last sizeof(Word) of the n bytes at a and b are equal
// (sizeof(Word) <= n <= 2 * sizeof(Word): together they cover all n).
template <typename Word>
inline bool SameEnds(const char* a, const char* b, size_t n) {
  Word a0, a1, b0, b1;
  std::memcpy(&a0, a, sizeof(Word));
  std::memcpy(&a1, a + n - sizeof(Word), sizeof(Word));
  std::memcpy(&b0, b, sizeof(Word));
  std::memcpy(&b1, b + n - sizeof(Word), sizeof(Word));
  return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

// Whether a word has a byte equal to '\\': the classic test for a zero
// byte (exact as a yes or no) on the word xor the backslash in every byte.
template <typename Word>
inline bool WordHasBackslash(Word w) {
  constexpr Word kOnes = static_cast<Word>(~Word{0}) / 0xff;  // 0x0101...
  const Word x = w ^ (kOnes * '\\');
  return ((x - kOnes) & ~x & (kOnes << 7)) != 0;
}

// Whether the first or the last sizeof(Word) of the n bytes at p hold a
// backslash (sizeof(Word) <= n <= 2 * sizeof(Word)).
template <typename Word>
inline bool EndsHaveBackslash(const char* p, size_t n) {
  Word w0, w1;
  std::memcpy(&w0, p, sizeof(Word));
  std::memcpy(&w1, p + n - sizeof(Word), sizeof(Word));
  return WordHasBackslash(w0) || WordHasBackslash(w1);
}

}  // namespace short_bytes_internal

// The n bytes at a and b are equal.
inline bool SameBytes(const char* a, const char* b, size_t n) {
  if (n > 16) return std::memcmp(a, b, n) == 0;
  if (n >= 8) return short_bytes_internal::SameEnds<uint64_t>(a, b, n);
  if (n >= 4) return short_bytes_internal::SameEnds<uint32_t>(a, b, n);
  return n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
}

// The n bytes at p hold a backslash: a key or string written with escapes.
inline bool HasBackslash(const char* p, size_t n) {
  if (n > 16) return std::memchr(p, '\\', n) != nullptr;
  if (n >= 8) return short_bytes_internal::EndsHaveBackslash<uint64_t>(p, n);
  if (n >= 4) return short_bytes_internal::EndsHaveBackslash<uint32_t>(p, n);
  return n > 0 && (p[0] == '\\' || p[n / 2] == '\\' || p[n - 1] == '\\');
}

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_JSON_SHORT_BYTES_H_
