#include "runtime/import/scheme_locations.h"

#include "runtime/json/repeated_keys.h"

namespace convey {
namespace internal {
namespace {

// `location` and then `keys`, dotted names AppendPathKey writes as they are:
// the text the importer's path had there.
std::string Below(absl::string_view location, absl::string_view keys) {
  std::string path;
  path.reserve(location.size() + 1 + keys.size() + 24);  // and two indexes
  path.append(location.data(), location.size());
  if (!path.empty()) path.push_back('.');
  path.append(keys.data(), keys.size());
  return path;
}

}  // namespace

std::string NodeLocation(const schema::Process& process, int node) {
  std::string path = Below(process.location(), "scheme.nodes");
  AppendPathIndex(&path, static_cast<size_t>(node));
  return path;
}

std::string LogicLocation(absl::string_view node_location, int logic) {
  std::string path = Below(node_location, "condition.logics");
  AppendPathIndex(&path, static_cast<size_t>(logic));
  return path;
}

std::string StubLogicLocation(absl::string_view node_location, int branch, int step) {
  std::string path = Below(node_location, "condition.stub.logics");
  AppendPathIndex(&path, static_cast<size_t>(branch));
  AppendPathIndex(&path, static_cast<size_t>(step));
  return path;
}

}  // namespace internal
}  // namespace convey
