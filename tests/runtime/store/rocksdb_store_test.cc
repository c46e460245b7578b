// The store behind the engine, alone: what a commit writes, what a
// partition loads, the archive and its purge, coalescing a group, and the
// refusals (ownership lost, bad directories are in durability_test).
#include "runtime/store/rocksdb_store.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/store/store.h"

namespace convey {
namespace internal {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

std::unique_ptr<Store> OpenFresh(const std::string& name) {
  const std::string directory = ::testing::TempDir() + "/" + name;
  std::system(("rm -rf '" + directory + "'").c_str());
  RocksDbStoreOptions options;
  options.directory = directory;
  absl::StatusOr<std::unique_ptr<Store>> store = OpenRocksDbStore(options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

TaskPut Put(const std::string& obj_id, const std::string& record, bool created = false,
            const std::string& ref = "") {
  TaskPut put;
  put.partition = 3;
  put.obj_id = obj_id;
  put.record = record;
  put.created = created;
  put.new_ref = ref;
  put.conv_id = 7;
  return put;
}

TaskEnd End(const std::string& obj_id, const std::string& record, bool archive,
            const std::string& ref = "") {
  TaskEnd end;
  end.conv_id = 7;
  end.ref = ref;
  end.partition = 3;
  end.obj_id = obj_id;
  end.record = record;
  end.archive = archive;
  end.end_micros = 1000;
  return end;
}

std::vector<std::pair<std::string, std::string>> Tasks(Store& store, Partition partition) {
  PartitionContents contents;
  EXPECT_TRUE(store.LoadPartition(partition, &contents).ok());
  return contents.tasks;
}

TEST(RocksDbStoreTest, ACommitIsReadBackByItsPartition) {
  auto store = OpenFresh("commit");
  Transition transition;
  transition.puts.push_back(Put("a", "record-a", true, "ref-a"));
  transition.puts.push_back(Put("b", "record-b", true));
  MessagePut message;
  message.partition = 3;
  message.id = 42;
  message.record = "hello";
  transition.messages.push_back(message);
  ASSERT_TRUE(store->Commit({transition}, true).ok());
  EXPECT_THAT(Tasks(*store, 3), ElementsAre(Pair("a", "record-a"), Pair("b", "record-b")));
  EXPECT_TRUE(Tasks(*store, 4).empty());
  PartitionContents contents;
  ASSERT_TRUE(store->LoadPartition(3, &contents).ok());
  EXPECT_THAT(contents.messages, ElementsAre(Pair(42u, "hello")));
  // The ref index points at the task.
  absl::StatusOr<std::optional<std::string>> ref = store->FindRef(3, 7, "ref-a");
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref->value_or(""), "a");
}

TEST(RocksDbStoreTest, AnEndMovesTheTaskToTheArchiveUntilItIsPurged) {
  auto store = OpenFresh("archive");
  Transition first;
  first.puts.push_back(Put("a", "parked", true, "ref-a"));
  ASSERT_TRUE(store->Commit({first}, false).ok());
  Transition second;
  second.ends.push_back(End("a", "final", true, "ref-a"));
  ASSERT_TRUE(store->Commit({second}, false).ok());
  EXPECT_TRUE(Tasks(*store, 3).empty());
  EXPECT_EQ(store->FindArchived(3, "a")->value_or(""), "final");
  absl::StatusOr<size_t> purged = store->PurgeArchive(1000, 10);  // ended at 1000: not before
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, 0u);
  purged = store->PurgeArchive(1001, 10);
  EXPECT_EQ(*purged, 1u);
  EXPECT_FALSE(store->FindArchived(3, "a")->has_value());
  EXPECT_FALSE(store->FindRef(3, 7, "ref-a")->has_value());  // its ref went with it
}

TEST(RocksDbStoreTest, SumsAddUpAndReset) {
  auto store = OpenFresh("sums");
  Transition one;
  one.sums.push_back(SumChange{"s", 2.5, false});
  one.sums.push_back(SumChange{"s", 1.5, false});
  ASSERT_TRUE(store->Commit({one, one}, false).ok());
  double total = -1;
  ASSERT_TRUE(store->LoadSums([&](absl::string_view, double value) { total = value; }).ok());
  EXPECT_EQ(total, 8);
  Transition reset;
  reset.sums.push_back(SumChange{"s", 0, true});
  reset.sums.push_back(SumChange{"s", 3, false});
  ASSERT_TRUE(store->Commit({reset}, false).ok());
  ASSERT_TRUE(store->LoadSums([&](absl::string_view, double value) { total = value; }).ok());
  EXPECT_EQ(total, 3);
}

TEST(RocksDbStoreTest, APartitionItDoesNotOwnIsOwnershipLost) {
  auto store = OpenFresh("ownership");
  Transition transition;
  transition.puts.push_back(Put("a", "x"));
  transition.puts[0].partition = kPartitions;
  absl::Status status = store->Commit({transition}, false);
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted);
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("ownership lost"));
}

TEST(CoalesceGroupTest, ATaskCreatedAndEndedInOneGroupIsWrittenOnlyAsItsEnd) {
  std::vector<Transition> group(3);
  group[0].puts.push_back(Put("a", "created", true, "ref-a"));
  group[0].puts.push_back(Put("b", "created", true));
  group[1].puts.push_back(Put("a", "parked"));
  group[2].ends.push_back(End("a", "final", true));
  group[2].ends.push_back(End("b", "final", false));
  CoalesceGroup(group);
  // a: only its ref is left of its puts; b: nothing.
  ASSERT_EQ(group[0].puts.size(), 1u);
  EXPECT_TRUE(group[0].puts[0].only_ref);
  EXPECT_EQ(group[0].puts[0].new_ref, "ref-a");
  EXPECT_TRUE(group[1].puts.empty());
  EXPECT_FALSE(group[2].ends[0].stored);
  EXPECT_FALSE(group[2].ends[1].stored);

  auto store = OpenFresh("coalesce");
  ASSERT_TRUE(store->Commit(group, false).ok());
  EXPECT_TRUE(Tasks(*store, 3).empty());
  EXPECT_EQ(store->FindArchived(3, "a")->value_or(""), "final");
  EXPECT_EQ(store->FindRef(3, 7, "ref-a")->value_or(""), "a");
  EXPECT_FALSE(store->FindArchived(3, "b")->has_value());
}

TEST(CoalesceGroupTest, ATaskWrittenBeforeOrWithATimerIsLeftAlone) {
  std::vector<Transition> group(2);
  group[0].puts.push_back(Put("a", "parked"));  // not created here: stored before
  TaskPut timed = Put("t", "timed", true);
  timed.timer_micros = 5000;
  group[0].puts.push_back(timed);
  group[1].ends.push_back(End("a", "final", false));
  group[1].ends.push_back(End("t", "final", false));
  CoalesceGroup(group);
  ASSERT_EQ(group[0].puts.size(), 1u);  // a's put dropped, t's kept
  EXPECT_EQ(group[0].puts[0].obj_id, "t");
  EXPECT_TRUE(group[1].ends[0].stored);  // a was written by an earlier group
  EXPECT_TRUE(group[1].ends[1].stored);
}

}  // namespace
}  // namespace internal
}  // namespace convey
