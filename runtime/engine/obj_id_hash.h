// The hash of TaskStore's obj_id index, apart so that its tests reach it.
#ifndef CONVEY_RUNTIME_ENGINE_OBJ_ID_HASH_H_
#define CONVEY_RUNTIME_ENGINE_OBJ_ID_HASH_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "runtime/engine/task.h"

namespace convey {
namespace internal {

// The 32-bit value of 8 lowercase hex digits, loaded little-endian into
// `digits` (the first digit, the most significant, in the lowest byte).
// False when any byte is not 0-9 or a-f. Branch-free: it runs in every
// obj_id lookup.
inline bool DecodeHexDigits(uint64_t digits, uint32_t* value) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = kOnes * 0x80;
  // Each byte below 0x80 plus a constant below 0x80 carries into no other
  // byte: its high bit then says whether the byte reached the bound.
  const uint64_t at_least_0 = digits + kOnes * (0x80 - '0');
  const uint64_t past_9 = digits + kOnes * (0x80 - '9' - 1);
  const uint64_t at_least_a = digits + kOnes * (0x80 - 'a');
  const uint64_t past_f = digits + kOnes * (0x80 - 'f' - 1);
  const uint64_t valid = ((at_least_0 & ~past_9) | (at_least_a & ~past_f)) & kHigh;
  if ((digits & kHigh) != 0 || valid != kHigh) return false;
  // '0'-'9' have bit 6 clear and their value in the low nibble; 'a'-'f'
  // have it set and their value less 9 there.
  uint64_t v = (digits & (kOnes * 0x0f)) + ((digits >> 6) & kOnes) * 9;
  // Pack the nibbles, most significant first: pairs, then fours, then all.
  v = ((v & 0x000f000f000f000full) << 4) | ((v & 0x0f000f000f000f00ull) >> 8);
  v = ((v & 0x000000ff000000ffull) << 8) | ((v & 0x00ff000000ff0000ull) >> 16);
  v = ((v & 0x000000000000ffffull) << 16) | ((v & 0x0000ffff00000000ull) >> 32);
  *value = static_cast<uint32_t>(v);
  return true;
}

// Where an obj_id sits in TaskStore's obj_id index.
struct ObjIdHash {
  using is_transparent = void;
  // An engine's obj_ids are 24 bytes; the last 8 hex digits are the low
  // bits of a counter (NewObjId). The hash keeps some of that order: ids
  // made one after another go to the shards in turn, and in each shard 8
  // in a row take 8 neighbouring slots (8 control bytes side by side, 64
  // bytes of slots: at most two cache lines), so the creating thread's adds
  // and the workers' drops mostly touch index memory that was just
  // touched. With every id hashed apart,
  // both missed the cache in a table of 10^6 tasks (perf of a batch
  // pipeline: Add, Drop and their locks 15-20% of all samples, most of
  // Drop on the loads of the control bytes and the slot). The blocks of 8
  // are placed by a mix, not one after another: a run of full slots longer
  // than a group would make inserts that land in it probe to its end (a
  // burst of tasks that park, or tasks recovered from a store). The rest
  // of the id (second, run, the counter's top byte) goes into that mix and
  // into the 7-bit tag. Ids are made by the engine, never chosen by a
  // caller; an id whose last digits are not lowercase hex (a lookup of some
  // other string, a damaged store) is hashed whole, as before.
  // Bits: 48-63 pick the shard (TaskStore::ObjShardFor), 7-47 the slot,
  // 0-6 the tag.
  size_t operator()(absl::string_view obj_id) const {
    if (obj_id.size() != 24) return absl::Hash<absl::string_view>{}(obj_id);
    uint64_t a, b, c;
    std::memcpy(&a, obj_id.data(), 8);
    std::memcpy(&b, obj_id.data() + 8, 8);
    std::memcpy(&c, obj_id.data() + 16, 8);
    uint32_t counter = 0;
    if (!DecodeHexDigits(c, &counter)) {
      uint64_t h = (a * 0x9e3779b97f4a7c15ull) ^ b;
      h = (h * 0xc2b2ae3d27d4eb4full) ^ c;
      h *= 0x165667b19e3779f9ull;
      return static_cast<size_t>(h ^ (h >> 29));
    }
    // Not the partition (digits 8-9, b's two low bytes): without a store it
    // is the counter's, and would scatter neighbours over 64 places.
    uint64_t run = ((a * 0x9e3779b97f4a7c15ull) ^ (b & ~uint64_t{0xffff})) * 0xc2b2ae3d27d4eb4full;
    run ^= run >> 29;
    const uint64_t shard = (counter + (run >> 48)) & 0xffff;
    // The shard's ids one after another: counters 32 apart.
    const uint64_t in_shard = counter >> 5;
    uint64_t block = ((in_shard >> 3) ^ run) * 0x9e3779b97f4a7c15ull;
    block ^= block >> 32;
    const uint64_t slot = (block << 3) | (in_shard & 7);
    const uint64_t tag = ((run ^ counter) * 0x165667b19e3779f9ull) >> 57;
    return static_cast<size_t>((shard << 48) | ((slot & ((uint64_t{1} << 41) - 1)) << 7) | tag);
  }
  size_t operator()(const TaskRef& task) const { return (*this)(task->obj_id_view()); }
};

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_ENGINE_OBJ_ID_HASH_H_
