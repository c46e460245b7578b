// Idempotent creates (NewTask::idempotency_key): finding the task an
// earlier create with the same key made, in memory (TaskStore's key index)
// or, with a store, through its key index and archive.
#include <openssl/sha.h>

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "runtime/engine/engine_impl.h"

namespace convey {
namespace internal {
namespace {

absl::Status KeyReused(absl::string_view key, absl::string_view obj_id) {
  return absl::AlreadyExistsError(absl::StrCat("idempotency key \"", key,
                                               "\" was used by a create of task ", obj_id,
                                               " with another process, ref or data"));
}

}  // namespace

std::string CreateFingerprint(int64_t conv_id, absl::string_view ref, absl::string_view data) {
  // Lengths first: no two different requests give the same bytes.
  const std::string input = absl::StrCat(conv_id, ":", ref.size(), ":", ref, ":", data);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

absl::StatusOr<std::optional<std::string>> EngineImpl::FindByIdempotencyKey(
    absl::string_view key, absl::string_view fingerprint) {
  if (TaskRef task = store_.FindByKey(key)) {
    // `idempotency` never changes once the task is findable.
    if (task->idempotency()->fingerprint != fingerprint) return KeyReused(key, task->obj_id_view());
    return std::optional<std::string>(std::string(task->obj_id_view()));
  }
  if (persistence_ == nullptr) return std::optional<std::string>();
  std::string obj_id;
  absl::StatusOr<std::optional<schema::TaskRecord>> archived =
      persistence_->FindArchived(TaskKey::ByRef(kIdempotencyConvId, std::string(key)), &obj_id);
  if (!archived.ok()) return archived.status();
  if (!archived->has_value()) {
    // Not archived: the task may still be in memory, written under the key
    // (a task that left memory without an archive record is gone).
    if (obj_id.empty()) return std::optional<std::string>();
    TaskRef task = store_.Find(TaskKey::ByObjId(obj_id));
    if (task == nullptr || task->idempotency() == nullptr) return std::optional<std::string>();
    if (task->idempotency()->fingerprint != fingerprint) return KeyReused(key, obj_id);
    return std::optional<std::string>(obj_id);
  }
  const schema::TaskRecord& record = **archived;
  if (record.idempotency_key() != key) return std::optional<std::string>();
  if (record.idempotency_fingerprint() != fingerprint) return KeyReused(key, obj_id);
  return std::optional<std::string>(obj_id);
}

}  // namespace internal
}  // namespace convey
