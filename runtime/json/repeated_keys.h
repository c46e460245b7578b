// Keys repeated in one JSON object (semantics A1).
//
// RFC 8259 leaves a repeated key's meaning to the reader. The platform's own
// exporter writes `conv_type` twice in every process object, always with the
// same value, so a repeat with the same value is harmless and is collapsed to
// its first occurrence; a repeat with a different value is ambiguous and is
// refused. The same rule holds for scheme files (the importer), task data
// (the engine) and ops requests.
//
// Detection runs on the DOM simdjson already built and costs one walk; the
// byte offsets and the collapsed text need the source text and are computed
// only when a repeat was found.
#ifndef CONVEY_RUNTIME_JSON_REPEATED_KEYS_H_
#define CONVEY_RUNTIME_JSON_REPEATED_KEYS_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "simdjson.h"

namespace convey {
namespace internal {

// The path notation of located messages: `[0].scheme.nodes[3].id`. A key
// that is not [A-Za-z0-9_]+ is written `["key"]` (cut at 80 bytes with
// `...`). The importer and the repeat scanner both use these, so their paths
// compare equal.
void AppendQuotedPathKey(std::string* path, absl::string_view key);
inline void AppendPathKey(std::string* path, absl::string_view key) {
  bool plain = !key.empty();
  for (char c : key) {
    plain = plain && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_');
  }
  if (!plain) return AppendQuotedPathKey(path, key);
  if (!path->empty()) path->push_back('.');
  path->append(key.data(), key.size());
}
void AppendPathIndex(std::string* path, size_t index);

// One bit of a 64-bit filter for `key`: equal keys have the same bit, so a
// key whose bit is not yet set in an object's filter is new there, without
// comparing it to the keys before it.
inline uint64_t KeyBit(absl::string_view key) {
  const size_t n = key.size();
  const uint32_t mix = n == 0 ? 0
                              : static_cast<uint32_t>(n) * 31u +
                                    static_cast<unsigned char>(key[0]) * 7u +
                                    static_cast<unsigned char>(key[n - 1]) * 3u +
                                    static_cast<unsigned char>(key[n / 2]);
  return uint64_t{1} << (mix & 63);
}

// Key comparison on hot paths: most keys differ in length or first byte,
// which spares a memcmp call.
inline bool SameKey(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() &&
         (a.empty() || (a[0] == b[0] && std::memcmp(a.data(), b.data(), a.size()) == 0));
}

// True when some object in `element`, at any depth, holds a key more than
// once. Linear in the document: small objects compare their keys pairwise,
// objects of more than 16 keys go through a hash set.
bool HasRepeatedKeys(simdjson::dom::element element);

// A key met again in the object that already held it.
struct RepeatedKey {
  std::string path;         // of the member, e.g. `[0].conv_type`, `a.b[2].c`
  std::string key;          // unescaped
  size_t first_offset = 0;  // byte offset of the first occurrence's key (its `"`)
  size_t offset = 0;        // byte offset of this occurrence's key
  // Both values have the same compact text once the repeats inside them are
  // collapsed: numbers compare as written (`1` and `1.0` differ), objects
  // in their key order.
  bool same_value = false;
};

// Scans `json`, which simdjson has accepted, and appends every repeat to
// `repeats` in the order they end in the text (an inner repeat before the
// member holding it). When `collapsed` is not null it receives the compact
// text (as simdjson::minify writes it) with every repeated member dropped,
// the first occurrence kept. False when `json` is not valid JSON or nests
// deeper than 1024 levels.
bool FindRepeatedKeys(absl::string_view json, std::vector<RepeatedKey>* repeats,
                      std::string* collapsed = nullptr);

// For data that must hold one value per key (task data, ops requests):
// `json` is valid JSON with some repeated key (HasRepeatedKeys). OK with
// `*collapsed` set to the compact text without the repeats when every
// repeat has its first value; else InvalidArgument
// `<what> repeats the key "k" with different values (at a.b.k, bytes 12 and 30)`.
absl::Status CollapseRepeatedKeys(absl::string_view json, absl::string_view what,
                                  std::string* collapsed);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_JSON_REPEATED_KEYS_H_
