// Comparing the few bytes of a JSON key without a call to memcmp. Keys of
// task data are short: two overlapping loads compare them, where memcmp's
// call and size dispatch cost more than the comparison (simdjson's at_key
// makes one call per key of the right length: 6% of a go_if_const chain's
// time). Header-only: it runs in the inner loops of key lookups.
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

}  // namespace short_bytes_internal

// The n bytes at a and b are equal.
inline bool SameBytes(const char* a, const char* b, size_t n) {
  if (n > 16) return std::memcmp(a, b, n) == 0;
  if (n >= 8) return short_bytes_internal::SameEnds<uint64_t>(a, b, n);
  if (n >= 4) return short_bytes_internal::SameEnds<uint32_t>(a, b, n);
  return n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
}

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_JSON_SHORT_BYTES_H_
