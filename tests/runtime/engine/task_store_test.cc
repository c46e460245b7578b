// The obj_id index's hash (obj_id_hash.h): the hex decoding it rests on, the
// order it keeps for the ids one engine makes, and the ids it hashes whole.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "convey/engine.h"
#include "convey/environment.h"
#include "gtest/gtest.h"
#include "runtime/engine/obj_id_hash.h"
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

// Ids made one after another go to the 32 shards in turn, and each to the
// slot after the one its shard's previous id took, so the index's work on
// them stays in cache; every id still hashes apart from the others.
TEST(ObjIdHashTest, KeepsTheOrderOfOneEnginesIds) {
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
  EXPECT_EQ(neighbours, 32 * 63);
}

// The same counter in another second starts somewhere else (and, the
// second being part of the mix, so does another run's salt).
TEST(ObjIdHashTest, OtherSecondsLandElsewhere) {
  const std::vector<std::string> a = EngineIds(1, 1764950000);
  const std::vector<std::string> b = EngineIds(1, 1764950001);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  std::string same_counter = b[0];
  same_counter.replace(14, 10, a[0].substr(14, 10));
  EXPECT_NE(Slot(ObjIdHash{}(a[0])), Slot(ObjIdHash{}(same_counter)));
  std::string other_salt = a[0];
  other_salt[13] = other_salt[13] == '0' ? '1' : '0';
  EXPECT_NE(Slot(ObjIdHash{}(a[0])), Slot(ObjIdHash{}(other_salt)));
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
