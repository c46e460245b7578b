#include "tests/support/scheme_text.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/json/json_writer.h"

namespace convey {
namespace testing {
namespace {

std::string Quote(const std::string& text) {
  std::string out;
  internal::AppendJsonString(&out, text);
  return out;
}

}  // namespace

std::string NodeJson(const std::string& id, Kind kind, const std::string& logics,
                     const std::string& options, const std::string& title) {
  return SemaphoreNodeJson(id, kind, logics, "[]", options, title);
}

std::string SemaphoreNodeJson(const std::string& id, Kind kind, const std::string& logics,
                              const std::string& semaphores, const std::string& options,
                              const std::string& title) {
  return absl::StrCat("{\"id\":", Quote(id), ",\"obj_type\":", static_cast<int>(kind),
                      ",\"title\":", Quote(title.empty() ? id : title),
                      ",\"condition\":{\"logics\":", logics, ",\"semaphors\":", semaphores,
                      "},\"options\":", options.empty() ? "null" : Quote(options), "}");
}

std::string TimeJson(const std::string& value, const std::string& dimension,
                     const std::string& to) {
  return absl::StrCat("{\"type\":\"time\",\"value\":", value, ",\"dimension\":", Quote(dimension),
                      ",\"to_node_id\":", Quote(to), "}");
}

std::string CountJson(const std::string& value, const std::string& esc) {
  return absl::StrCat("{\"type\":\"count\",\"value\":", value, ",\"esc_node_id\":", Quote(esc),
                      "}");
}

std::string GoJson(const std::string& to) {
  return absl::StrCat("{\"type\":\"go\",\"to_node_id\":", Quote(to), "}");
}

std::string IfJson(const std::string& param, const std::string& fun, const std::string& value,
                   const std::string& cast, const std::string& to) {
  return absl::StrCat("{\"type\":\"go_if_const\",\"to_node_id\":", Quote(to),
                      ",\"conditions\":[{\"param\":", Quote(param), ",\"fun\":", Quote(fun),
                      ",\"const\":", Quote(value), ",\"cast\":", Quote(cast), "}]}");
}

std::string ProcessJson(int64_t conv_id, const std::vector<std::string>& nodes,
                        const std::string& title, const std::string& conv_type) {
  return absl::StrCat("{\"obj_type\":1,\"obj_id\":", conv_id, ",\"title\":", Quote(title),
                      ",\"conv_type\":", Quote(conv_type),
                      ",\"status\":\"active\",\"scheme\":{\"nodes\":[", absl::StrJoin(nodes, ","),
                      "]}}");
}

}  // namespace testing
}  // namespace convey
