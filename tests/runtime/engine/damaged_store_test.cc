// A store whose task records were damaged (or written by something else):
// Engine::Open refuses it with DataLossError naming the store, the task and
// what is wrong, instead of resuming a task that lost its data or node.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "convey/engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "schema/store.pb.h"
#include "tests/support/scheme_text.h"

namespace convey {
namespace {

using ::convey::testing::GoJson;
using ::convey::testing::Kind;
using ::convey::testing::NodeJson;
using ::convey::testing::ProcessJson;
using ::convey::testing::SemaphoreNodeJson;
using ::convey::testing::TimeJson;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr int64_t kConv = 100;

class DamagedStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = absl::StrCat(::testing::TempDir(), "/damaged_",
                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::system(absl::StrCat("rm -rf '", directory_, "'").c_str());
    // One task parked at a 60-second time semaphore, then the engine closes.
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(Options());
    ASSERT_TRUE(engine.ok()) << engine.status();
    const std::string scheme = ProcessJson(
        kConv, {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("wait"), "]")),
                SemaphoreNodeJson("wait", Kind::kNormal, "[]",
                                  absl::StrCat("[", TimeJson("60", "sec", "done"), "]")),
                NodeJson("done", Kind::kFinal, "[]")});
    ASSERT_TRUE((*engine)->Deploy("t.json", scheme).ok());
    absl::StatusOr<std::string> id = (*engine)->CreateTask(kConv, "r1", R"({"amount":5})");
    ASSERT_TRUE(id.ok()) << id.status();
    obj_id_ = *id;
    ASSERT_TRUE((*engine)->WaitIdle(absl::Seconds(10)).ok());
  }

  EngineOptions Options() {
    EngineOptions options;
    options.worker_threads = 1;
    options.store_directory = directory_;
    return options;
  }

  // Rewrites the stored task's record through `damage` (the record's bytes),
  // with the engine closed.
  void DamageRecord(const std::function<void(std::string*)>& damage) {
    std::vector<std::string> families;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), directory_, &families).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    size_t tasks = families.size();
    for (size_t i = 0; i < families.size(); ++i) {
      descriptors.emplace_back(families[i], rocksdb::ColumnFamilyOptions());
      if (families[i] == "tasks") tasks = i;
    }
    ASSERT_LT(tasks, families.size());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(
        rocksdb::DB::Open(rocksdb::DBOptions(), directory_, descriptors, &handles, &db).ok());
    int records = 0;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handles[tasks]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++records;
      std::string key = it->key().ToString();
      std::string bytes = it->value().ToString();
      EXPECT_THAT(key, HasSubstr(obj_id_));
      damage(&bytes);
      EXPECT_TRUE(db->Put(rocksdb::WriteOptions(), handles[tasks], key, bytes).ok());
    }
    it.reset();
    EXPECT_EQ(records, 1);
    for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
    delete db;
  }

  // Rewrites one field of the stored task's record.
  void DamageField(const std::function<void(schema::TaskRecord*)>& damage) {
    DamageRecord([&](std::string* bytes) {
      schema::TaskRecord record;
      ASSERT_TRUE(record.ParseFromString(*bytes));
      damage(&record);
      *bytes = record.SerializeAsString();
    });
  }

  // Opening the store fails with DataLoss naming the store, the task and
  // `why`.
  void ExpectRefused(const std::string& why) {
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(Options());
    ASSERT_FALSE(engine.ok());
    EXPECT_EQ(engine.status().code(), absl::StatusCode::kDataLoss) << engine.status();
    EXPECT_THAT(engine.status().message(),
                AllOf(HasSubstr(directory_), HasSubstr(absl::StrCat("task ", obj_id_)),
                      HasSubstr("cannot resume"), HasSubstr(why)));
  }

  std::string directory_;
  std::string obj_id_;
};

TEST_F(DamagedStoreTest, AnUndamagedStoreResumesTheTaskWithItsData) {
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(Options());
  ASSERT_TRUE(engine.ok()) << engine.status();
  absl::StatusOr<TaskSnapshot> task = (*engine)->ShowTask(TaskKey::ByObjId(obj_id_));
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_EQ(task->data, R"({"amount":5})");
  EXPECT_EQ(task->node_id, "wait");
  // Its history as it was: the parked entry's reason is kept as a reason
  // again (no text of its own), and reads as before.
  absl::StatusOr<TaskHistory> history = (*engine)->GetTaskHistory(TaskKey::ByObjId(obj_id_));
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_FALSE(history->entries.empty());
  EXPECT_EQ(history->entries.front().kind, "created");
  EXPECT_EQ(history->entries.back().kind, "parked");
  EXPECT_EQ(history->entries.back().text, "timer");
  EXPECT_EQ(history->entries.back().node_id, "wait");
}

TEST_F(DamagedStoreTest, ARecordThatIsNotATaskRecordIsRefused) {
  DamageRecord([](std::string* bytes) { *bytes = std::string("\xff\xff\xff\xff", 4); });
  ExpectRefused("its record cannot be read");
}

TEST_F(DamagedStoreTest, DataThatIsNotJsonIsRefusedRatherThanReadAsEmpty) {
  DamageField([](schema::TaskRecord* record) { record->set_data(R"({"amount":5)"); });
  ExpectRefused("its data is not valid JSON");
}

TEST_F(DamagedStoreTest, BytesThatAreNotUtf8AreReadAsReplacementCharacters) {
  // What a host logic could write before writes checked UTF-8: the task
  // resumes with the rest of its data, and the log says what was replaced.
  DamageField(
      [](schema::TaskRecord* record) { record->set_data("{\"amount\":5,\"s\":\"a\xFF\"}"); });
  std::vector<std::string> warnings;
  EngineOptions options = Options();
  options.logger = [&warnings](LogSeverity severity, absl::string_view message) {
    if (severity == LogSeverity::kWarning) warnings.emplace_back(message);
  };
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
  ASSERT_TRUE(engine.ok()) << engine.status();
  absl::StatusOr<TaskSnapshot> task = (*engine)->ShowTask(TaskKey::ByObjId(obj_id_));
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_EQ(task->data, "{\"amount\":5,\"s\":\"a\xEF\xBF\xBD\"}");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], AllOf(HasSubstr(obj_id_), HasSubstr("not UTF-8")));
}

TEST_F(DamagedStoreTest, KeysRepairedAlikeAreKeptOnceOrRefused) {
  // Read as U+FFFD, "k\xFF" and "k\xFE" are one key: kept once when the
  // values agree, as task data's repeats are; refused when they differ.
  DamageField([](schema::TaskRecord* record) {
    record->set_data("{\"k\xFF\":1,\"k\xFE\":1,\"amount\":5}");
  });
  {
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(Options());
    ASSERT_TRUE(engine.ok()) << engine.status();
    absl::StatusOr<TaskSnapshot> task = (*engine)->ShowTask(TaskKey::ByObjId(obj_id_));
    ASSERT_TRUE(task.ok()) << task.status();
    EXPECT_EQ(task->data, "{\"k\xEF\xBF\xBD\":1,\"amount\":5}");
  }
  DamageField([](schema::TaskRecord* record) { record->set_data("{\"k\xFF\":1,\"k\xFE\":2}"); });
  ExpectRefused("its data repeats a key");
}

TEST_F(DamagedStoreTest, DataThatIsNotAnObjectIsRefused) {
  for (const char* data : {"[1,2]", "5", "\"text\"", "null"}) {
    SCOPED_TRACE(data);
    DamageField([&](schema::TaskRecord* record) { record->set_data(data); });
    ExpectRefused("its data is not a JSON object");
  }
}

TEST_F(DamagedStoreTest, DataWithARepeatedKeyIsRefused) {
  // The engine collapses repeated keys on the way in; the readers of task
  // data rely on there being none.
  DamageField([](schema::TaskRecord* record) { record->set_data(R"({"amount":5,"amount":6})"); });
  ExpectRefused("its data repeats a key");
}

TEST_F(DamagedStoreTest, AnUnknownNodeIsRefused) {
  DamageField([](schema::TaskRecord* record) { record->set_node_id("gone"); });
  ExpectRefused(R"(process 100 has no node "gone")");
}

// The engine keeps both in a byte: 256 would read as processing.
TEST_F(DamagedStoreTest, AnUnknownStatusOrParkReasonIsRefused) {
  DamageField([](schema::TaskRecord* record) { record->set_status(256); });
  ExpectRefused("its status 256 or park reason");
}

TEST_F(DamagedStoreTest, ANegativeStatusIsRefused) {
  DamageField([](schema::TaskRecord* record) { record->set_status(-1); });
  ExpectRefused("its status -1 or park reason");
}

TEST_F(DamagedStoreTest, AParkReasonPastTheLastIsRefused) {
  DamageField([](schema::TaskRecord* record) { record->set_park(300); });
  ExpectRefused("park reason 300 is none the engine knows");
}

// A kind the engine does not know (a newer engine's, or damage) is shown
// as "unknown", as before: history is no reason to refuse a store. A kind
// of 128 or more would have reached the bit of a packed record that says
// where its time is kept.
TEST_F(DamagedStoreTest, AnUnknownHistoryKindIsShownAsUnknown) {
  DamageField([](schema::TaskRecord* record) {
    ASSERT_GT(record->history_size(), 1);
    // 130 once read as 130 - 128: "parked".
    record->mutable_history(1)->set_kind(130);
  });
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(Options());
  ASSERT_TRUE(engine.ok()) << engine.status();
  absl::StatusOr<TaskHistory> history = (*engine)->GetTaskHistory(TaskKey::ByObjId(obj_id_));
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_GT(history->entries.size(), 1u);
  EXPECT_EQ(history->entries[0].kind, "created");
  EXPECT_EQ(history->entries[1].kind, "unknown");
}

TEST_F(DamagedStoreTest, AnUnknownVersionIsRefused) {
  DamageField([](schema::TaskRecord* record) { record->set_version(record->version() + 41); });
  ExpectRefused("which the catalog does not hold");
}

}  // namespace
}  // namespace convey
