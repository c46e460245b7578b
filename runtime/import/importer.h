// Imports an obj_scheme export into the canonical schema (schema/process.proto).
//
// Accepts every container shape of docs/scheme-format.md: a top-level array of
// processes, folders and dashboards; a single process object; a bare
// {"scheme":{...}} object. Legacy forms (string-encoded `extra`/`options`,
// flat go_if_const, numbers as strings, editor-only keys) are normalised.
// Every problem is a located Diagnostic; nothing throws.
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

// The platform's name of a logic ("go_if_const", ...; an unsupported
// logic's own type).
absl::string_view LogicTypeName(const schema::Logic& logic);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_IMPORT_IMPORTER_H_
