// The LogicConfig the engine hands a logic factory: one logic object of the
// scheme (kept by the importer as compact JSON), read
// through the located reader, so a factory's findings are diagnostics just
// like the importer's.
#ifndef CONVEY_RUNTIME_IMPORT_LOGIC_CONFIG_H_
#define CONVEY_RUNTIME_IMPORT_LOGIC_CONFIG_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convey/logic.h"
#include "convey/scheme.h"

namespace convey {
namespace internal {

struct LogicConfigSource {
  absl::string_view file;      // named in diagnostics
  absl::string_view type;      // the logic's `type`
  absl::string_view json;      // the logic object
  absl::string_view location;  // its JSON path in the file ("" for `$`)
  absl::string_view node_id;   // the node holding it
  int64_t conv_id = 0;         // its process, named in link errors
  // Diagnostics past this many in the list are dropped.
  size_t max_diagnostics = 1000;
};

// A LogicConfig over `source.json`, reporting into `diagnostics` (which must
// outlive it) and resolving links through `builder`. InvalidArgument when
// the text is not a JSON object. The config keeps its own copy of the text.
absl::StatusOr<std::unique_ptr<LogicConfig>> NewLogicConfig(const LogicConfigSource& source,
                                                            LogicBuilder* builder,
                                                            std::vector<Diagnostic>* diagnostics);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_IMPORT_LOGIC_CONFIG_H_
