// The obj_id index's hash (obj_id_hash.h): the hex decoding it rests on, the
// order it keeps for the ids one engine makes, and the ids it hashes whole.
#include "runtime/engine/obj_id_hash.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/container/internal/hashtable_debug.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "convey/engine.h"
#include "convey/environment.h"
#include "gtest/gtest.h"
#include "tests/support/scheme_text.h"

namespace convey {
namespace internal {
namespace {

uint64_t Load(const std::string& eight) {
  uint64_t word;
  std::memcpy(&word, eight.data(), 8);
  return word;
}

std::string Hex8(uint32_t value) {
  char text[9];
  std::snprintf(text, sizeof(text), "%08x", value);
  return text;
}

TEST(DecodeHexDigitsTest, AgreesWithPrintf) {
  std::mt19937 random(7);
  for (uint32_t value : {0u, 1u, 9u, 10u, 15u, 16u, 0x7fffffffu, 0x80000000u, 0xffffffffu}) {
    uint32_t decoded = 1;
    ASSERT_TRUE(DecodeHexDigits(Load(Hex8(value)), &decoded)) << value;
    EXPECT_EQ(decoded, value);
  }
  for (int i = 0; i < 100000; ++i) {
    const uint32_t value = static_cast<uint32_t>(random());
    uint32_t decoded = 0;
    ASSERT_TRUE(DecodeHexDigits(Load(Hex8(value)), &decoded)) << value;
    ASSERT_EQ(decoded, value);
  }
}

// Every byte that is not 0-9 or a-f, in every position, is refused: the
// neighbours of the ranges, capitals, bytes with the high bit set.
TEST(DecodeHexDigitsTest, RefusesWhatIsNotLowercaseHex) {
  const std::string valid = "0123abcd";
  for (int position = 0; position < 8; ++position) {
    for (int byte = 0; byte < 256; ++byte) {
      const bool hex = (byte >= '0' && byte <= '9') || (byte >= 'a' && byte <= 'f');
      std::string digits = valid;
      digits[position] = static_cast<char>(byte);
      uint32_t decoded = 0;
      EXPECT_EQ(DecodeHexDigits(Load(digits), &decoded), hex)
          << "byte " << byte << " at " << position;
    }
  }
}

size_t Shard(size_t hash) { return (hash >> 48) % 32; }  // TaskStore::kShards
uint64_t Slot(size_t hash) { return (hash >> 7) & ((uint64_t{1} << 41) - 1); }

// obj_ids as an engine makes them: `count` tasks created one after another
// (they finish at once), with the clock at `seconds`.
std::vector<std::string> EngineIds(int count, int64_t seconds) {
  ManualClock clock(absl::FromUnixSeconds(seconds));
  EngineOptions options;
  options.worker_threads = 1;
  options.clock = &clock;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  if (!engine.ok()) return {};
  EXPECT_TRUE((*engine)
                  ->Deploy("t.json", testing::ProcessJson(
                                         1, {testing::NodeJson("start", testing::Kind::kStart,
                                                               "[" + testing::GoJson("done") + "]"),
                                             testing::NodeJson("done", testing::Kind::kFinal, "[]",
                                                               R"({"save_task":false})")}))
                  .ok());
  std::vector<std::string> ids;
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<std::string> id = (*engine)->CreateTask(1, "", "{}");
    EXPECT_TRUE(id.ok()) << id.status();
    if (id.ok()) ids.push_back(*id);
  }
  return ids;
}

// `id` with its counter's last 8 digits made `counter`'s.
std::string WithCounter(const std::string& id, uint32_t counter) {
  return id.substr(0, 16) + Hex8(counter);
}

// Ids made one after another go to the 32 shards in turn; in each, 8 in a
// row take neighbouring slots, so the index's work on them stays in
// cache. Every id still hashes apart from the others.
TEST(ObjIdHashTest, KeepsTheOrderOfOneEnginesIdsEightInARow) {
  const std::vector<std::string> ids = EngineIds(32 * 64, 1764950000);
  ASSERT_EQ(ids.size(), 32u * 64);
  std::set<size_t> hashes;
  int next_shard = 0, neighbours = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    const size_t hash = ObjIdHash{}(ids[i]);
    EXPECT_TRUE(hashes.insert(hash).second) << ids[i];
    if (i > 0) next_shard += Shard(hash) == (Shard(ObjIdHash{}(ids[i - 1])) + 1) % 32;
    if (i >= 32) neighbours += Slot(hash) == Slot(ObjIdHash{}(ids[i - 32])) + 1;
  }
  EXPECT_EQ(next_shard, 32 * 64 - 1);
  // Of the 63 steps in each shard, the 7 of every 8 inside a block.
  EXPECT_GE(neighbours, 32 * 63 * 7 / 8 - 32);
  EXPECT_LE(neighbours, 32 * 63 * 7 / 8 + 32);
}

// The blocks of 8 are spread, not laid one after another: in a table of
// 4 096 blocks of 8 slots, the 1 024 blocks a shard's 8 192 ids fill leave
// no long run of full blocks for an insert to probe through.
TEST(ObjIdHashTest, BlocksOfEightAreSpread) {
  const std::vector<std::string> engine_ids = EngineIds(1, 1764950000);
  ASSERT_EQ(engine_ids.size(), 1u);
  const uint32_t first = 1u << 20;
  const size_t shard = Shard(ObjIdHash{}(WithCounter(engine_ids[0], first)));
  std::vector<bool> full(4096, false);
  for (uint32_t counter = first; counter < first + 32 * 8 * 1024; counter += 32) {
    const size_t hash = ObjIdHash{}(WithCounter(engine_ids[0], counter));
    ASSERT_EQ(Shard(hash), shard) << counter;
    full[(Slot(hash) >> 3) % full.size()] = true;
  }
  size_t longest = 0, run = 0;
  for (size_t i = 0; i < 2 * full.size(); ++i) {  // twice round: runs that wrap
    run = full[i % full.size()] ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  EXPECT_LT(longest, 16u);
}

// In Abseil's own table, as a shard uses it: 6 000 tasks alive (three
// quarters full), the oldest dropped as each new one comes, for ten times
// the table's size. Looking up an id that is not there stops within a few
// groups of 16 control bytes (0.8 on average); with neighbouring slots
// without end (a run of full slots as long as the tasks alive) it took 14.
TEST(ObjIdHashTest, ProbesStayShortInAbseilsTable) {
  const std::vector<std::string> engine_ids = EngineIds(1, 1764950000);
  ASSERT_EQ(engine_ids.size(), 1u);
  const std::string& base = engine_ids[0];
  const uint32_t first = 1u << 20;
  auto id = [&](uint32_t k) { return WithCounter(base, first + 32 * k); };
  absl::flat_hash_set<std::string, ObjIdHash> tasks;
  constexpr uint32_t kAlive = 6000;
  for (uint32_t k = 0; k < kAlive; ++k) tasks.insert(id(k));
  for (uint32_t k = kAlive; k < 11 * kAlive; ++k) {
    tasks.insert(id(k));
    tasks.erase(id(k - kAlive));
  }
  ASSERT_EQ(tasks.size(), kAlive);
  double absent = 0, present = 0;
  for (uint32_t k = 0; k < 2000; ++k) {
    absent += absl::container_internal::GetHashtableDebugNumProbes(tasks, id(100 * kAlive + k));
    present += absl::container_internal::GetHashtableDebugNumProbes(tasks, id(10 * kAlive + k));
  }
  std::printf("mean probes: absent %.2f, present %.2f\n", absent / 2000, present / 2000);
  EXPECT_LT(absent / 2000, 4.0);
  EXPECT_LT(present / 2000, 3.0);
}

// The same counter in another second, or in another run (its salt), lands
// in another block.
TEST(ObjIdHashTest, OtherSecondsAndRunsLandElsewhere) {
  const std::vector<std::string> ids = EngineIds(1, 1764950000);
  ASSERT_EQ(ids.size(), 1u);
  const std::string& id = ids[0];
  std::string next_second = id;
  next_second.replace(0, 8,
                      Hex8(static_cast<uint32_t>(std::stoul(id.substr(0, 8), nullptr, 16) + 1)));
  EXPECT_NE(Slot(ObjIdHash{}(id)) >> 3, Slot(ObjIdHash{}(next_second)) >> 3);
  std::string other_salt = id;
  other_salt[13] = other_salt[13] == '0' ? '1' : '0';
  EXPECT_NE(Slot(ObjIdHash{}(id)) >> 3, Slot(ObjIdHash{}(other_salt)) >> 3);
}

// An id the engine did not make (capitals, other bytes, another length) is
// hashed whole: ids that differ only there differ in their hash.
TEST(ObjIdHashTest, OtherStringsAreHashedWhole) {
  const std::string id = "6932a1f0050003000000ABCD";
  std::string other = id;
  other[23] = 'E';
  EXPECT_EQ(ObjIdHash{}(id), ObjIdHash{}(std::string(id)));
  EXPECT_NE(ObjIdHash{}(id), ObjIdHash{}(other));
  EXPECT_NE(ObjIdHash{}("short"), ObjIdHash{}("shorT"));
}

}  // namespace
}  // namespace internal
}  // namespace convey
