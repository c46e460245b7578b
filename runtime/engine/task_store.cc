// The task indexes and obj_ids (see task_store.h: 32 shards per index, one
// leaf lock each).
#include "runtime/engine/task_store.h"

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "runtime/store/store.h"

namespace convey {
namespace internal {

namespace {

// The two hex digits of each byte: an obj_id is written a byte at a time
// (it was 1.6% of a pipeline's time a digit at a time).
struct HexPairs {
  char pair[256][2] = {};
  constexpr HexPairs() {
    constexpr char kHex[] = "0123456789abcdef";
    for (int b = 0; b < 256; ++b) {
      pair[b][0] = kHex[b >> 4];
      pair[b][1] = kHex[b & 0xf];
    }
  }
};
constexpr HexPairs kHexPairs;

}  // namespace

TaskStore::TaskStore(uint32_t generation) {
  std::random_device random;
  id_salt_ = generation != 0 ? generation & 0xffffu : random() & 0xffffu;
  next_id_.store(generation != 0 ? 0 : (static_cast<uint64_t>(random()) << 20) & 0xffffffffffull);
}

std::array<char, 24> TaskStore::NewObjId(uint32_t partition, int64_t now_micros) {
  // 4 bytes of seconds, 1 byte of partition, 2 bytes of per-engine salt (the
  // store's generation), 5 bytes of counter: the counter alone keeps ids
  // unique within a run for 2^40 tasks, the generation across 65536 runs.
  const uint64_t seconds =
      static_cast<uint64_t>(absl::ToUnixSeconds(absl::FromUnixMicros(now_micros)));
  const uint64_t counter = next_id_.fetch_add(1, std::memory_order_relaxed) & 0xffffffffffull;
  if (partition == kAnyPartition) partition = static_cast<uint32_t>(counter % kPartitions);
  const uint64_t high = ((seconds & 0xffffffffull) << 24) | ((partition & 0xffu) << 16) | id_salt_;
  std::array<char, 24> id;
  for (int i = 0; i < 7; ++i) {
    std::memcpy(&id[2 * i], kHexPairs.pair[(high >> (8 * (6 - i))) & 0xff], 2);
  }
  for (int i = 0; i < 5; ++i) {
    std::memcpy(&id[14 + 2 * i], kHexPairs.pair[(counter >> (8 * (4 - i))) & 0xff], 2);
  }
  return id;
}

absl::Status TaskStore::Add(const TaskRef& task, bool* key_taken) {
  const int64_t conv_id = task->process->conv_id;
  const IdempotencyKey* key = task->idempotency();
  if (key != nullptr) {
    KeyShard& shard = KeyShardFor(key->key);
    std::lock_guard<std::mutex> lock(shard.mu);
    if (!shard.tasks.try_emplace(absl::string_view(key->key), task).second) {
      if (key_taken != nullptr) *key_taken = true;
      return absl::AlreadyExistsError("the idempotency key is taken");
    }
  }
  if (!task->ref.empty()) {
    RefShard& shard = RefShardFor(conv_id, task->ref);
    std::lock_guard<std::mutex> lock(shard.mu);
    if (!shard.tasks.insert(RefEntry{conv_id, task}).second) {
      if (key != nullptr) EraseKey(*task);
      return absl::AlreadyExistsError(absl::StrCat("a task with ref \"", task->ref,
                                                   "\" is already active in process ", conv_id));
    }
  }
  {
    ObjShard& shard = ObjShardFor(ObjIdHash{}(task));
    std::lock_guard<std::mutex> lock(shard.mu);
    shard.tasks.insert(task);
  }
  return absl::OkStatus();
}

TaskRef TaskStore::Find(const TaskKey& key, bool ended) {
  if (!key.obj_id.empty()) {
    const absl::string_view obj_id = key.obj_id;
    const size_t hash = ObjIdHash{}(obj_id);
    ObjShard& shard = ObjShardFor(hash);
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.tasks.find(obj_id, hash);
    return it == shard.tasks.end() ? nullptr : *it;
  }
  RefShard& shard = RefShardFor(key.conv_id, key.ref);
  const auto ref = std::make_pair(key.conv_id, absl::string_view(key.ref));
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.tasks.find(ref);
  if (it != shard.tasks.end()) return it->task;
  if (!ended) return nullptr;
  it = shard.ended.find(ref);
  return it == shard.ended.end() ? nullptr : it->task;
}

void TaskStore::EraseRef(Task* task, bool keep) {
  if (task->ref.empty()) return;
  RefShard& shard = RefShardFor(task->process->conv_id, task->ref);
  std::lock_guard<std::mutex> lock(shard.mu);
  const RefKey key(task->process->conv_id, task->ref);
  auto it = shard.tasks.find(key);
  if (it == shard.tasks.end() || it->task.get() != task) return;
  RefEntry ended = std::move(shard.tasks.extract(it).value());
  if (!keep) return;
  // The newest ended task with the ref replaces the one before.
  shard.ended.erase(key);
  shard.ended.insert(std::move(ended));
}

absl::Status TaskStore::MoveRef(const TaskRef& task, int64_t conv_id) {
  if (task->ref.empty()) return absl::OkStatus();
  {
    RefShard& shard = RefShardFor(conv_id, task->ref);
    std::lock_guard<std::mutex> lock(shard.mu);
    if (!shard.tasks.insert(RefEntry{conv_id, task}).second) {
      return absl::AlreadyExistsError(absl::StrCat("a task with ref \"", task->ref,
                                                   "\" is already active in process ", conv_id));
    }
  }
  RefShard& shard = RefShardFor(task->process->conv_id, task->ref);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.tasks.find(RefKey(task->process->conv_id, task->ref));
  if (it != shard.tasks.end() && it->task == task) shard.tasks.erase(it);
  return absl::OkStatus();
}

TaskRef TaskStore::FindByKey(absl::string_view key) {
  KeyShard& shard = KeyShardFor(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.tasks.find(key);
  return it == shard.tasks.end() ? nullptr : it->second;
}

void TaskStore::EraseKey(const Task& task) {
  KeyShard& shard = KeyShardFor(task.idempotency()->key);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.tasks.find(absl::string_view(task.idempotency()->key));
  if (it != shard.tasks.end() && it->second.get() == &task) shard.tasks.erase(it);
}

void TaskStore::Drop(Task* task, TaskRef* dropped) {
  if (task->idempotency() != nullptr) EraseKey(*task);
  const size_t hash = ObjIdHash{}(task->obj_id_view());
  ObjShard& shard = ObjShardFor(hash);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.tasks.find(task->obj_id_view(), hash);
  if (it != shard.tasks.end()) *dropped = std::move(shard.tasks.extract(it).value());
}

void TaskStore::ForEach(const std::function<void(const TaskRef&)>& visit) {
  for (ObjShard& shard : obj_shards_) {
    std::vector<TaskRef> tasks;
    {
      std::lock_guard<std::mutex> lock(shard.mu);
      tasks.assign(shard.tasks.begin(), shard.tasks.end());
    }
    for (const TaskRef& task : tasks) visit(task);
  }
}

absl::Status NotFoundFor(const TaskKey& key) {
  if (!key.obj_id.empty()) {
    return absl::NotFoundError(absl::StrCat("no task with obj_id \"", key.obj_id, "\""));
  }
  return absl::NotFoundError(
      absl::StrCat("no active task with ref \"", key.ref, "\" in process ", key.conv_id));
}

TaskSnapshot SnapshotOf(const Task& task) {
  TaskSnapshot snapshot;
  snapshot.obj_id = std::string(task.obj_id_view());
  snapshot.ref = task.ref;
  snapshot.conv_id = task.process->conv_id;
  snapshot.status = task.status;
  snapshot.park_reason = task.park;
  snapshot.node_id = task.current_node().id;
  snapshot.node_title = task.current_node().title;
  if (task.prev_node != NodeHandle::kNone) {
    snapshot.node_prev_id = task.process->nodes[task.prev_node].id;
  }
  snapshot.create_time = absl::FromUnixMicros(task.create_micros);
  snapshot.change_time = absl::FromUnixMicros(task.change_micros);
  snapshot.data = task.data;
  return snapshot;
}

}  // namespace internal
}  // namespace convey
