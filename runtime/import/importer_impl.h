// The importer's class, shared by its two files: importer.cc reads a file's
// structure (the document, folders, processes, parameters) and
// import_node.cc a node's (options, logics, semaphores, stub branches).
// Internal to runtime/import; ImportScheme (importer.h) is the entry point.
#ifndef CONVEY_RUNTIME_IMPORT_IMPORTER_IMPL_H_
#define CONVEY_RUNTIME_IMPORT_IMPORTER_IMPL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "convey/limits.h"
#include "runtime/import/importer.h"
#include "runtime/import/located_reader.h"
#include "schema/process.pb.h"
#include "simdjson.h"

namespace convey {
namespace internal {

// A span of Importer::locations_, the per-process buffer of the node links'
// JSON paths, kept for messages that can only be written once the process
// is complete (a node's own path follows from its place: scheme_locations.h).
struct LocationRef {
  uint32_t offset;
  uint32_t size;
};

// A node link (to_node_id, err_node_id, esc_node_id) checked once all nodes
// of the process are known. Views point into literals and into the scheme,
// whose strings do not move.
struct PendingLink {
  LocationRef location;
  int node_index;                // the node holding the link
  absl::string_view logic_type;  // e.g. "go_if_const"
  absl::string_view key;         // e.g. "to_node_id"
  const std::string* target;
};

// The file's structure: processes, folders, nodes, semaphores and stub
// branches. Each logic is kept as its JSON object, for its factory to read
// at deploy (convey/logic.h); only what every logic shares is checked here.
class Importer : private LocatedReader {
 public:
  Importer(absl::string_view file_name, const ImportLimits& limits, ImportResult* result)
      : LocatedReader(file_name, limits.max_depth, limits.max_diagnostics, &result->diagnostics),
        limits_(limits),
        result_(*result) {}

  void Run(absl::string_view json);
  using LocatedReader::dropped;
  using LocatedReader::error_count;

 private:
  LocationRef SaveLocation();
  std::string Location(LocationRef ref) const;
  bool ReadLink(const Fields& fields, absl::string_view link_owner, absl::string_view key,
                bool required, std::string* out);

  // Document structure (importer.cc).
  void ImportTopLevel(simdjson::dom::element root);
  void ImportProcess(const Fields& fields, bool bare_scheme);
  void ImportFolder(const Fields& fields);
  void ImportParams(const Fields& fields, schema::Process* process);
  void FinishProcess(schema::Process* process);
  // A node (import_node.cc).
  void ImportNode(const Fields& fields, schema::Node* node);
  void ImportNodeOptions(const Fields& fields, schema::Node* node);
  void CheckNodeRules(const schema::Node& node);
  // Keeps the logic object `json` whole, for its factory.
  // `fields`: the members of `json`, as AsObject read them.
  void ImportLogic(simdjson::dom::element json, const Fields& fields, std::string type,
                   schema::Logic* logic);
  void ImportSemaphore(const Fields& fields, schema::Semaphore* semaphore);
  void ImportStub(const Fields& condition, schema::Node* node);

  const ImportLimits& limits_;
  ImportResult& result_;

  // Per process being imported.
  std::vector<PendingLink> links_;
  std::string locations_;
  int node_index_ = -1;
  absl::flat_hash_set<int64_t> conv_ids_;
  std::vector<schema::Process*> synthetic_;
};

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_IMPORT_IMPORTER_IMPL_H_
