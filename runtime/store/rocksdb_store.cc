// The Store in RocksDB (rocksdb_store.h: the layout and durability).
#include "runtime/store/rocksdb_store.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/db.h"
#include "rocksdb/memtablerep.h"
#include "rocksdb/merge_operator.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"
#include "runtime/base/status_macros.h"
#include "runtime/store/kill_points.h"

namespace convey {
namespace internal {
namespace {

// The on-disk format. Bump when a record or key changes incompatibly; a
// store of another format is refused at open, not misread.
constexpr absl::string_view kFormat = "convey-store-1";
constexpr char kFormatKey[] = "format";
constexpr char kPartitionsKey[] = "partitions";
constexpr char kGenerationKey[] = "generation";

enum Family : size_t {
  kDefault,
  kCatalog,
  kTasks,
  kRefs,
  kTimers,
  kMessages,
  kSums,
  kArchive,
  kArchiveByTime,
  kFamilies,
};
constexpr const char* kFamilyNames[kFamilies] = {"default", "catalog", "tasks",
                                                 "refs",    "timers",  "messages",
                                                 "sums",    "archive", "archive_by_time"};

// Abseil's string_view is its own type in Debian's build, not std's.
absl::string_view View(const rocksdb::Slice& slice) {
  return absl::string_view(slice.data(), slice.size());
}

void PutBigEndian(std::string* out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
}

uint64_t ReadBigEndian(absl::string_view bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < 8 && i < bytes.size(); ++i) {
    value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return value;
}

// Signed times sort as unsigned once their sign bit is flipped.
uint64_t Ordered(int64_t value) { return static_cast<uint64_t>(value) ^ (uint64_t{1} << 63); }

std::string TaskKey(Partition partition, absl::string_view obj_id) {
  std::string key(1, static_cast<char>(partition));
  key.append(obj_id.data(), obj_id.size());
  return key;
}

std::string RefKey(Partition partition, int64_t conv_id, absl::string_view ref) {
  std::string key(1, static_cast<char>(partition));
  PutBigEndian(&key, static_cast<uint64_t>(conv_id));
  key.append(ref.data(), ref.size());
  return key;
}

std::string TimerKey(Partition partition, int64_t deadline, absl::string_view obj_id) {
  std::string key(1, static_cast<char>(partition));
  PutBigEndian(&key, Ordered(deadline));
  key.append(obj_id.data(), obj_id.size());
  return key;
}

std::string MessageKey(Partition partition, uint64_t id) {
  std::string key(1, static_cast<char>(partition));
  PutBigEndian(&key, id);
  return key;
}

std::string ByTimeKey(int64_t end_micros, Partition partition, absl::string_view obj_id) {
  std::string key;
  PutBigEndian(&key, Ordered(end_micros));
  key.push_back(static_cast<char>(partition));
  key.append(obj_id.data(), obj_id.size());
  return key;
}

std::string DoubleBytes(double value) {
  std::string bytes(sizeof value, '\0');
  std::memcpy(bytes.data(), &value, sizeof value);
  return bytes;
}

double BytesDouble(const rocksdb::Slice& bytes) {
  double value = 0;
  if (bytes.size() == sizeof value) std::memcpy(&value, bytes.data(), sizeof value);
  return value;
}

// Sums: each merge operand is an amount to add.
class AddDoubles : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice&, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* merged, rocksdb::Logger*) const override {
    const double base = existing == nullptr ? 0 : BytesDouble(*existing);
    *merged = DoubleBytes(base + BytesDouble(value));
    return true;
  }
  const char* Name() const override { return "convey.AddDoubles"; }
};

absl::Status FromRocks(const rocksdb::Status& status, absl::string_view what) {
  if (status.ok()) return absl::OkStatus();
  const std::string message = absl::StrCat(what, ": ", status.ToString());
  if (status.IsCorruption()) return absl::DataLossError(message);
  if (status.IsNoSpace()) return absl::ResourceExhaustedError(message);
  return absl::UnavailableError(message);
}

// What a directory holds before we open it.
enum class DirectoryState { kMissing, kEmpty, kDatabase, kOther, kNotDirectory };

DirectoryState Inspect(const std::string& directory) {
  struct stat info;
  if (::stat(directory.c_str(), &info) != 0) return DirectoryState::kMissing;
  if (!S_ISDIR(info.st_mode)) return DirectoryState::kNotDirectory;
  DIR* dir = ::opendir(directory.c_str());
  if (dir == nullptr) return DirectoryState::kOther;
  bool empty = true;
  bool current = false;
  while (dirent* entry = ::readdir(dir)) {
    const absl::string_view name(entry->d_name);
    if (name == "." || name == "..") continue;
    empty = false;
    if (name == "CURRENT") current = true;
  }
  ::closedir(dir);
  if (empty) return DirectoryState::kEmpty;
  return current ? DirectoryState::kDatabase : DirectoryState::kOther;
}

class RocksDbStore : public Store {
 public:
  RocksDbStore(std::string directory, bool sync) : directory_(std::move(directory)), sync_(sync) {}

  ~RocksDbStore() override {
    if (db_ == nullptr) return;
    for (rocksdb::ColumnFamilyHandle* handle : handles_) {
      if (handle != nullptr) db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
    }
    db_->Close().PermitUncheckedError();
  }

  absl::Status Open() {
    const DirectoryState state = Inspect(directory_);
    if (state == DirectoryState::kNotDirectory) {
      return absl::FailedPreconditionError(
          absl::StrCat("store ", directory_, " is not a directory"));
    }
    if (state == DirectoryState::kOther) {
      return absl::FailedPreconditionError(
          absl::StrCat("store ", directory_,
                       " is not empty and holds no convey store (no RocksDB database in it); "
                       "name an empty or new directory"));
    }
    rocksdb::DBOptions db_options;
    db_options.create_if_missing = state != DirectoryState::kDatabase;
    db_options.create_missing_column_families = state != DirectoryState::kDatabase;
    db_options.paranoid_checks = true;
    db_options.max_background_jobs = 2;
    // Small by default: a host embeds the engine and its own memory matters.
    db_options.max_total_wal_size = 64 << 20;
    if (state == DirectoryState::kDatabase) {
      std::vector<std::string> existing;
      rocksdb::Status listed = rocksdb::DB::ListColumnFamilies(db_options, directory_, &existing);
      if (!listed.ok()) return FromRocks(listed, absl::StrCat("cannot open store ", directory_));
      for (size_t family = 0; family < kFamilies; ++family) {
        if (std::find(existing.begin(), existing.end(), kFamilyNames[family]) == existing.end()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "store ", directory_, " holds a RocksDB database that is not a convey store (it has ",
              "no column family \"", kFamilyNames[family], "\")"));
        }
      }
    }
    // One writer at a time (the engine groups its commits), which the
    // vector memtable below needs.
    db_options.allow_concurrent_memtable_write = false;
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (size_t family = 0; family < kFamilies; ++family) {
      rocksdb::ColumnFamilyOptions options;
      options.write_buffer_size = 16 << 20;
      if (family == kSums) options.merge_operator = std::make_shared<AddDoubles>();
      // Written on every transition, read only when a partition loads: an
      // unsorted memtable (sorted when flushed) makes each write an append
      // instead of a skip-list insert.
      if (family == kTasks || family == kTimers || family == kMessages) {
        options.memtable_factory = std::make_shared<rocksdb::VectorRepFactory>();
      }
      families.emplace_back(kFamilyNames[family], options);
    }
    rocksdb::DB* db = nullptr;
    rocksdb::Status opened = rocksdb::DB::Open(db_options, directory_, families, &handles_, &db);
    if (!opened.ok()) return FromRocks(opened, absl::StrCat("cannot open store ", directory_));
    db_.reset(db);
    return CheckFormat(state != DirectoryState::kDatabase);
  }

  uint32_t generation() const override { return generation_; }

  absl::StatusOr<std::vector<StoredScheme>> LoadCatalog() override {
    std::vector<StoredScheme> schemes;
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), handles_[kCatalog]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      schemes.push_back({ReadBigEndian(View(it->key())), it->value().ToString()});
    }
    if (!it->status().ok()) return FromRocks(it->status(), "reading the scheme catalog");
    return schemes;
  }

  absl::StatusOr<uint64_t> AddScheme(const std::string& record) override {
    std::lock_guard<std::mutex> lock(catalog_mu_);
    if (next_version_ == 0) {
      std::unique_ptr<rocksdb::Iterator> it(
          db_->NewIterator(rocksdb::ReadOptions(), handles_[kCatalog]));
      it->SeekToLast();
      next_version_ = it->Valid() ? ReadBigEndian(View(it->key())) + 1 : 1;
    }
    std::string key;
    PutBigEndian(&key, next_version_);
    rocksdb::WriteOptions options;
    options.sync = sync_;
    rocksdb::Status put = db_->Put(options, handles_[kCatalog], key, record);
    if (!put.ok()) return FromRocks(put, "writing the scheme catalog");
    return next_version_++;
  }

  std::vector<Partition> OwnedPartitions() override {
    std::vector<Partition> all;
    for (Partition p = 0; p < kPartitions; ++p) all.push_back(p);
    return all;
  }

  absl::Status LoadPartition(Partition partition, PartitionContents* contents) override {
    const std::string prefix(1, static_cast<char>(partition));
    CONVEY_RETURN_IF_ERROR(
        Scan(kTasks, prefix, [&](const rocksdb::Slice& key, const rocksdb::Slice& value) {
          contents->tasks.emplace_back(key.ToString().substr(1), value.ToString());
        }));
    return Scan(kMessages, prefix, [&](const rocksdb::Slice& key, const rocksdb::Slice& value) {
      contents->messages.emplace_back(ReadBigEndian(View(key).substr(1)), value.ToString());
    });
  }

  void UnloadPartition(Partition) override {}

  absl::Status LoadSums(const std::function<void(absl::string_view, double)>& visit) override {
    return Scan(kSums, "", [&](const rocksdb::Slice& key, const rocksdb::Slice& value) {
      visit(View(key), BytesDouble(value));
    });
  }

  absl::Status Commit(const std::vector<Transition>& group, bool sync) override {
    rocksdb::WriteBatch batch;
    // A group's sum changes collapse to one write per sum.
    absl::flat_hash_map<absl::string_view, SumTotal> sums;
    for (const Transition& transition : group) {
      CONVEY_RETURN_IF_ERROR(Add(transition, &batch));
      for (const SumChange& sum : transition.sums) {
        SumTotal& total = sums[sum.key];
        if (sum.reset) total = SumTotal{true, 0};
        total.amount += sum.amount;
      }
    }
    for (const auto& [key, total] : sums) {
      rocksdb::Slice slice(key.data(), key.size());
      if (total.reset) {
        Check(batch.Put(handles_[kSums], slice, DoubleBytes(total.amount)));
      } else {
        Check(batch.Merge(handles_[kSums], slice, DoubleBytes(total.amount)));
      }
    }
    rocksdb::WriteOptions options;
    options.sync = sync;
    KillPoint(sync ? "sync.before" : "commit.before");
    rocksdb::Status written = db_->Write(options, &batch);
    if (!written.ok()) return FromRocks(written, "writing task transitions");
    KillPoint(sync ? "sync.after" : "commit.after");
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<std::string>> FindArchived(Partition partition,
                                                          absl::string_view obj_id) override {
    return Get(kArchive, TaskKey(partition, obj_id));
  }

  absl::StatusOr<std::optional<std::string>> FindRef(Partition partition, int64_t conv_id,
                                                     absl::string_view ref) override {
    return Get(kRefs, RefKey(partition, conv_id, ref));
  }

  absl::Status ForEachArchived(
      const std::function<void(absl::string_view, absl::string_view)>& visit) override {
    return Scan(kArchive, "", [&](const rocksdb::Slice& key, const rocksdb::Slice& value) {
      visit(View(key).substr(1), View(value));
    });
  }

  absl::StatusOr<size_t> PurgeArchive(int64_t before_micros, size_t limit) override {
    std::string end;
    PutBigEndian(&end, Ordered(before_micros));
    rocksdb::WriteBatch batch;
    size_t purged = 0;
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), handles_[kArchiveByTime]));
    for (it->SeekToFirst(); it->Valid() && purged < limit; it->Next()) {
      const absl::string_view key = View(it->key());
      if (key.substr(0, 8) >= end || key.size() < 9) break;
      const Partition partition = static_cast<unsigned char>(key[8]);
      const absl::string_view obj_id = key.substr(9);
      Check(batch.Delete(handles_[kArchiveByTime], it->key()));
      Check(batch.Delete(handles_[kArchive], TaskKey(partition, obj_id)));
      if (!it->value().empty()) {
        // The ref index entry, unless a later task took the ref.
        absl::StatusOr<std::optional<std::string>> named = Get(kRefs, it->value().ToString());
        if (named.ok() && named->has_value() && **named == obj_id) {
          Check(batch.Delete(handles_[kRefs], it->value()));
        }
      }
      ++purged;
    }
    if (!it->status().ok()) return FromRocks(it->status(), "reading the archive");
    if (purged == 0) return purged;
    rocksdb::Status written = db_->Write(rocksdb::WriteOptions(), &batch);
    if (!written.ok()) return FromRocks(written, "purging the archive");
    return purged;
  }

 private:
  // WriteBatch calls fail only on sizes far past any task (4 GiB).
  static void Check(const rocksdb::Status& status) { status.PermitUncheckedError(); }

  // A sum's change over a group: set to `amount` (reset, then additions),
  // or `amount` added.
  struct SumTotal {
    bool reset = false;
    double amount = 0;
  };

  // One transition's keys but its sums, added to `batch`.
  absl::Status Add(const Transition& transition, rocksdb::WriteBatch* batch) {
    for (const TaskPut& put : transition.puts) {
      if (put.partition >= kPartitions) return NotOwned(put.partition);
      if (!put.new_key.empty()) {
        Check(batch->Put(handles_[kRefs],
                         RefKey(PartitionOf(kIdempotencyConvId, put.new_key, 0), kIdempotencyConvId,
                                put.new_key),
                         put.obj_id));
      }
      if (put.only_ref) {
        if (!put.new_ref.empty()) {
          Check(batch->Put(handles_[kRefs], RefKey(put.partition, put.conv_id, put.new_ref),
                           put.obj_id));
        }
        continue;
      }
      if (put.old_timer_micros >= 0 && put.old_timer_micros != put.timer_micros) {
        Check(batch->Delete(handles_[kTimers],
                            TimerKey(put.partition, put.old_timer_micros, put.obj_id)));
      }
      if (put.timer_micros >= 0 && put.old_timer_micros != put.timer_micros) {
        Check(batch->Put(handles_[kTimers], TimerKey(put.partition, put.timer_micros, put.obj_id),
                         ""));
      }
      if (!put.new_ref.empty()) {
        Check(batch->Put(handles_[kRefs], RefKey(put.partition, put.conv_id, put.new_ref),
                         put.obj_id));
      }
      Check(batch->Put(handles_[kTasks], TaskKey(put.partition, put.obj_id), put.record));
    }
    for (const TaskEnd& end : transition.ends) {
      if (end.partition >= kPartitions) return NotOwned(end.partition);
      if (end.old_timer_micros >= 0) {
        Check(batch->Delete(handles_[kTimers],
                            TimerKey(end.partition, end.old_timer_micros, end.obj_id)));
      }
      if (end.stored) Check(batch->Delete(handles_[kTasks], TaskKey(end.partition, end.obj_id)));
      if (end.archive) {
        Check(batch->Put(handles_[kArchive], TaskKey(end.partition, end.obj_id), end.record));
        // Its ref's index key, for the purge.
        Check(batch->Put(handles_[kArchiveByTime],
                         ByTimeKey(end.end_micros, end.partition, end.obj_id),
                         end.ref.empty() ? "" : RefKey(end.partition, end.conv_id, end.ref)));
      }
    }
    for (const MessagePut& message : transition.messages) {
      if (message.partition >= kPartitions) return NotOwned(message.partition);
      Check(batch->Put(handles_[kMessages], MessageKey(message.partition, message.id),
                       message.record));
    }
    for (const MessageDone& done : transition.delivered) {
      Check(batch->Delete(handles_[kMessages], MessageKey(done.partition, done.id)));
    }
    return absl::OkStatus();
  }

  static absl::Status NotOwned(Partition partition) {
    return absl::AbortedError(
        absl::StrCat("ownership lost: partition ", partition, " is not owned by this engine"));
  }

  absl::Status Scan(
      Family family, const std::string& prefix,
      const std::function<void(const rocksdb::Slice&, const rocksdb::Slice&)>& visit) {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), handles_[family]));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      visit(it->key(), it->value());
    }
    return FromRocks(it->status(), absl::StrCat("reading the store's ", kFamilyNames[family]));
  }

  absl::StatusOr<std::optional<std::string>> Get(Family family, const std::string& key) {
    std::string value;
    rocksdb::Status got = db_->Get(rocksdb::ReadOptions(), handles_[family], key, &value);
    if (got.IsNotFound()) return std::optional<std::string>();
    if (!got.ok())
      return FromRocks(got, absl::StrCat("reading the store's ", kFamilyNames[family]));
    return std::optional<std::string>(std::move(value));
  }

  // A new store gets its format; an existing one must have ours. Then the
  // generation moves on by one.
  absl::Status CheckFormat(bool created) {
    rocksdb::WriteOptions synced;
    synced.sync = true;
    rocksdb::ColumnFamilyHandle* meta = handles_[kDefault];
    std::string format;
    rocksdb::Status got = db_->Get(rocksdb::ReadOptions(), meta, kFormatKey, &format);
    if (got.IsNotFound() && created) {
      rocksdb::WriteBatch batch;
      Check(batch.Put(meta, kFormatKey, std::string(kFormat)));
      Check(batch.Put(meta, kPartitionsKey, absl::StrCat(kPartitions)));
      rocksdb::Status written = db_->Write(synced, &batch);
      if (!written.ok())
        return FromRocks(written, absl::StrCat("cannot create store ", directory_));
      format = std::string(kFormat);
    } else if (got.IsNotFound()) {
      return absl::FailedPreconditionError(
          absl::StrCat("store ", directory_,
                       " holds a RocksDB database that is not a convey store (no format "
                       "record)"));
    } else if (!got.ok()) {
      return FromRocks(got, absl::StrCat("cannot read store ", directory_));
    }
    if (format != kFormat) {
      return absl::FailedPreconditionError(absl::StrCat(
          "store ", directory_, " was written by an incompatible version of convey (format \"",
          format, "\"; this one reads \"", kFormat, "\")"));
    }
    std::string partitions;
    if (!db_->Get(rocksdb::ReadOptions(), meta, kPartitionsKey, &partitions).ok() ||
        partitions != absl::StrCat(kPartitions)) {
      return absl::FailedPreconditionError(absl::StrCat("store ", directory_, " has ", partitions,
                                                        " partitions; this convey uses ",
                                                        kPartitions));
    }
    std::string generation;
    uint32_t previous = 0;
    if (db_->Get(rocksdb::ReadOptions(), meta, kGenerationKey, &generation).ok() &&
        !absl::SimpleAtoi(generation, &previous)) {
      return absl::DataLossError(absl::StrCat("store ", directory_, ": its generation record \"",
                                              absl::CHexEscape(generation), "\" is damaged"));
    }
    generation_ = previous + 1;
    rocksdb::Status written = db_->Put(synced, meta, kGenerationKey, absl::StrCat(generation_));
    if (!written.ok()) return FromRocks(written, absl::StrCat("cannot write store ", directory_));
    return absl::OkStatus();
  }

  const std::string directory_;
  const bool sync_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  uint32_t generation_ = 0;

  std::mutex catalog_mu_;
  uint64_t next_version_ = 0;  // guarded by catalog_mu_; 0: not read yet
};

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenRocksDbStore(const RocksDbStoreOptions& options) {
  ArmKillPointFromEnvironment();
  auto store = std::make_unique<RocksDbStore>(options.directory, options.sync);
  if (absl::Status opened = store->Open(); !opened.ok()) return opened;
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace internal
}  // namespace convey
