// The JSON paths of an imported scheme's parts, for diagnostics. The
// importer keeps one per process; a node's and a logic's follow from their
// places, which are the file's (schema/process.proto), so each is rendered
// when its process is compiled (deploy, inspect), not kept by the import.
// Paths are raw, as JsonPath::raw(): "" at the root, "[0].scheme.nodes[3]"
// below it.
#ifndef CONVEY_RUNTIME_IMPORT_SCHEME_LOCATIONS_H_
#define CONVEY_RUNTIME_IMPORT_SCHEME_LOCATIONS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "schema/process.pb.h"

namespace convey {
namespace internal {

// `<process>.scheme.nodes[node]`
std::string NodeLocation(const schema::Process& process, int node);
// `<node>.condition.logics[logic]`
std::string LogicLocation(absl::string_view node_location, int logic);
// `<node>.condition.stub.logics[branch][step]`
std::string StubLogicLocation(absl::string_view node_location, int branch, int step);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_IMPORT_SCHEME_LOCATIONS_H_
