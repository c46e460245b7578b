// Partitions and sum keys (store.h).
#include "runtime/store/store.h"

#include "absl/strings/str_cat.h"

namespace convey {
namespace internal {
namespace {

// FNV-1a: stable across builds and machines, unlike absl::Hash, because a
// partition is written into obj_ids and keys on disk.
uint64_t Fnv1a(absl::string_view bytes, uint64_t hash = 14695981039346656037ull) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

std::string SumKey(uint64_t version, int64_t conv_id, absl::string_view node_id,
                   absl::string_view sum_id) {
  // Node and sum ids never hold a NUL (they come from JSON strings that the
  // importer checked), so it separates them.
  return absl::StrCat(version, ":", conv_id, ":", node_id, std::string(1, '\0'), sum_id);
}

Partition PartitionOf(int64_t conv_id, absl::string_view ref, uint64_t fallback) {
  if (ref.empty()) return static_cast<Partition>(fallback % kPartitions);
  const std::string id = absl::StrCat(conv_id);
  return static_cast<Partition>(Fnv1a(ref, Fnv1a(id)) % kPartitions);
}

}  // namespace internal
}  // namespace convey
