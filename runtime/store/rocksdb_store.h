// RocksDbStore: the Store (store.h) in a local RocksDB database, which owns
// every partition.
//
// Layout: one column family per kind of record, keys led by the partition
// (one byte) so that a partition is one key range in each:
//   catalog          version (8 bytes, big-endian)        -> SchemeVersionRecord
//   tasks            partition, obj_id                    -> TaskRecord
//   refs             partition, conv_id (8), ref          -> obj_id
//   timers           partition, deadline (8), obj_id      -> ""
//   messages         partition, id (8)                    -> MessageRecord
//   sums             SumKey                               -> double (8 bytes; merged by adding)
//   archive          partition, obj_id                    -> TaskRecord (final)
//   archive_by_time  end (8), partition, obj_id           -> ""
// and in the default family: the format, the partition count, the
// generation.
//
// Durability: every commit (a group of transitions) is one WriteBatch in
// the write-ahead log before it returns, so a killed process loses nothing
// committed; a `sync` commit is also synced to disk.
#ifndef CONVEY_RUNTIME_STORE_ROCKSDB_STORE_H_
#define CONVEY_RUNTIME_STORE_ROCKSDB_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "runtime/store/store.h"

namespace convey {
namespace internal {

struct RocksDbStoreOptions {
  std::string directory;
  // Scheme versions are synced to disk as they are added (true), or only
  // written (false: `async`).
  bool sync = true;
};

// Opens or creates the store. A directory that is not empty and holds no
// convey store, one written by an incompatible format, or a damaged one is
// refused with a message naming the directory and why (FailedPrecondition,
// or DataLoss when RocksDB finds corruption).
absl::StatusOr<std::unique_ptr<Store>> OpenRocksDbStore(const RocksDbStoreOptions& options);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_STORE_ROCKSDB_STORE_H_
