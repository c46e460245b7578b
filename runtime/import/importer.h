// Imports an obj_scheme export into the canonical schema (schema/process.proto).
//
// Accepts every container shape of docs/scheme-format.md: a top-level array of
// processes, folders and dashboards; a single process object; a bare
// {"scheme":{...}} object. Legacy forms (string-encoded `extra`/`options`,
// numbers as strings, editor-only keys) are normalised. Each logic is kept
// as its JSON object, its path following from its place
// (scheme_locations.h): its factory reads it at deploy (convey/logic.h,
// runtime/engine/process.cc). Every problem is a located
// Diagnostic; nothing throws.
#ifndef CONVEY_RUNTIME_IMPORT_IMPORTER_H_
#define CONVEY_RUNTIME_IMPORT_IMPORTER_H_

#include <cstddef>
#include <memory>
#include <vector>

#include "absl/strings/string_view.h"
#include "convey/scheme.h"
#include "google/protobuf/arena.h"
#include "schema/process.pb.h"

namespace convey {
namespace internal {

// The imported scheme lives on an arena owned by the result: importing is
// dominated by allocation otherwise. Move-only.
class ImportResult {
 public:
  explicit ImportResult(size_t input_size);

  const schema::Scheme& scheme() const { return *scheme_; }
  schema::Scheme* mutable_scheme() { return scheme_; }
  bool ok() const { return !has_errors; }

  std::vector<Diagnostic> diagnostics;  // errors and warnings, in file order
  size_t dropped_diagnostics = 0;       // beyond ImportLimits::max_diagnostics
  bool has_errors = false;

 private:
  std::unique_ptr<google::protobuf::Arena> arena_;
  schema::Scheme* scheme_;
};

ImportResult ImportScheme(absl::string_view file_name, absl::string_view json,
                          const ImportLimits& limits = {});

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_IMPORT_IMPORTER_H_
