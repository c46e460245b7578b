#include "runtime/import/scheme_locations.h"

#include <initializer_list>

#include "runtime/json/repeated_keys.h"

namespace convey {
namespace internal {
namespace {

// `location` and then `keys`, through the importer's own path functions: the
// text its path had there. Reserved once, for the keys and two indexes.
std::string Below(absl::string_view location, std::initializer_list<absl::string_view> keys) {
  std::string path;
  path.reserve(location.size() + 48);
  path.append(location.data(), location.size());
  for (absl::string_view key : keys) AppendPathKey(&path, key);
  return path;
}

}  // namespace

std::string NodeLocation(const schema::Process& process, int node) {
  std::string path = Below(process.location(), {"scheme", "nodes"});
  AppendPathIndex(&path, static_cast<size_t>(node));
  return path;
}

std::string LogicLocation(absl::string_view node_location, int logic) {
  std::string path = Below(node_location, {"condition", "logics"});
  AppendPathIndex(&path, static_cast<size_t>(logic));
  return path;
}

std::string StubLogicLocation(absl::string_view node_location, int branch, int step) {
  std::string path = Below(node_location, {"condition", "stub", "logics"});
  AppendPathIndex(&path, static_cast<size_t>(branch));
  AppendPathIndex(&path, static_cast<size_t>(step));
  return path;
}

}  // namespace internal
}  // namespace convey
