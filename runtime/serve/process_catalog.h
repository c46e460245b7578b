// The processes `convey serve` can build, edit and export over API v2
// (seed 001): each process as the platform's editor holds it (its fields,
// its nodes with their coordinates, logics and semaphores), apart from the
// compiled versions the engine runs. Edits change this draft; a commit
// (`confirm commit`) deploys the draft as a new version, and tasks already
// running keep the version they started on.
//
// Every process and node keeps the JSON members it was given or loaded with
// that convey does not interpret (`params`, `company_id`, editor keys), so
// an export gives back what was loaded or built. Deleting marks a process
// or node deleted (the platform's trash); restore brings it back. A deleted
// process takes no new tasks.
//
// It also remembers, for the web console, the export of each process's
// last committed version (what runs: the picture is drawn from it, not
// from a draft being edited).
//
// Thread-safe: one mutex; every call is short.
#ifndef CONVEY_RUNTIME_SERVE_PROCESS_CATALOG_H_
#define CONVEY_RUNTIME_SERVE_PROCESS_CATALOG_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "simdjson.h"

namespace convey::serve {

// A JSON object's members as (key, compact JSON text), in order.
using RawMembers = std::vector<std::pair<std::string, std::string>>;

struct NodeDraft {
  std::string id;
  RawMembers members;  // everything but id and condition (obj_type, title, x, y, extra...)
  std::string logics = "[]";
  std::string semaphors = "[]";
  RawMembers condition_members;  // condition's others
  bool deleted = false;
};

struct ProcessDraft {
  int64_t conv_id = 0;
  RawMembers members;         // everything but obj_id and scheme (title, status...)
  RawMembers scheme_members;  // scheme's others (web_settings)
  std::vector<NodeDraft> nodes;
  bool deleted = false;
  bool committed = false;  // a version of it is deployed
  // The process object of the last committed version (Render's JSON).
  std::string committed_json;
};

class ProcessCatalog {
 public:
  // Reads every process of a scheme file (an export: an array, one
  // process object, or {"scheme":{...}}) as committed drafts; processes
  // with a conv_id already known replace it. Folders and dashboards are
  // not kept.
  absl::Status AddFile(absl::string_view json);

  // conv: returns the new process's id.
  int64_t CreateProcess(RawMembers members, bool with_nodes);
  absl::Status ModifyProcess(int64_t conv_id, const RawMembers& changes);
  absl::Status DeleteProcess(int64_t conv_id);
  absl::Status RestoreProcess(int64_t conv_id);
  bool IsDeleted(int64_t conv_id) const;
  bool Knows(int64_t conv_id) const;

  // node: returns the new node's id (24 hex digits).
  absl::StatusOr<std::string> CreateNode(int64_t conv_id, RawMembers members);
  // `logics` / `semaphors` empty: unchanged.
  absl::Status ModifyNode(int64_t conv_id, absl::string_view node_id, const RawMembers& changes,
                          absl::string_view logics, absl::string_view semaphors);
  absl::Status DeleteNode(int64_t conv_id, absl::string_view node_id);
  absl::Status RestoreNode(int64_t conv_id, absl::string_view node_id);

  // The process as an export: a JSON array holding it (deleted nodes left
  // out). NotFound for an unknown or deleted process.
  absl::StatusOr<std::string> Export(int64_t conv_id) const;
  // The draft was deployed as `exported` (what Export gave).
  void MarkCommitted(int64_t conv_id, std::string exported);
  // The export of the last committed version (an array holding the
  // process), even once deleted; NotFound when never committed here.
  absl::StatusOr<std::string> CommittedExport(int64_t conv_id) const;

 private:
  ProcessDraft* Find(int64_t conv_id);
  const ProcessDraft* Find(int64_t conv_id) const;
  absl::StatusOr<ProcessDraft*> Live(int64_t conv_id);
  std::string NewNodeId();

  mutable std::mutex mutex_;
  std::map<int64_t, ProcessDraft> processes_;
  uint64_t node_counter_ = 0;
};

// Sets `key` to `json` in `members` (replacing, or appending).
void SetMember(RawMembers* members, absl::string_view key, std::string json);
// The compact JSON of `key`, or null.
const std::string* GetMember(const RawMembers& members, absl::string_view key);
// A JSON value as compact text.
std::string CompactJson(const simdjson::dom::element& value);
// The members of a JSON object.
RawMembers MembersOf(simdjson::dom::object object);

}  // namespace convey::serve

#endif  // CONVEY_RUNTIME_SERVE_PROCESS_CATALOG_H_
