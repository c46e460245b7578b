// Writing --output (run_output.h).
#include "tools/run_output.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "runtime/json/json_writer.h"

namespace convey {
namespace tools {

std::optional<std::string> OpenTaskOutput(const std::string& path, std::ofstream* file) {
  file->open(path, std::ios::out | std::ios::trunc);
  if (!file->is_open()) {
    return absl::StrCat("cannot open --output ", path, ": ", std::strerror(errno));
  }
  return std::nullopt;
}

std::optional<std::string> WriteTasks(Engine& engine, std::ofstream& file,
                                      const std::string& path) {
  engine.ForEachTask([&](const TaskSnapshot& task) {
    internal::JsonWriter json;
    json.BeginObject()
        .Key("conv_id")
        .Int(task.conv_id)
        .Key("ref")
        .String(task.ref)
        .Key("obj_id")
        .String(task.obj_id)
        .Key("status")
        .String(TaskStatusName(task.status))
        .Key("node_id")
        .String(task.node_id)
        .Key("node_title")
        .String(task.node_title)
        .Key("data")
        .Raw(task.data.empty() ? "{}" : task.data)
        .EndObject();
    file << json.str() << "\n";
  });
  file.flush();
  if (!file) {
    return absl::StrCat("cannot write --output ", path, ": ", std::strerror(errno));
  }
  return std::nullopt;
}

}  // namespace tools
}  // namespace convey
