// Builds scheme files as JSON text for tests and benchmarks, in the export
// shape the importer reads (docs/scheme-format.md).
#ifndef CONVEY_TESTS_SUPPORT_SCHEME_TEXT_H_
#define CONVEY_TESTS_SUPPORT_SCHEME_TEXT_H_

#include <cstdint>
#include <string>
#include <vector>

namespace convey {
namespace testing {

enum class Kind { kNormal = 0, kStart = 1, kFinal = 2, kEscalation = 3 };

// One node. `logics` is a JSON array text; `options` a JSON object text or "".
std::string NodeJson(const std::string& id, Kind kind, const std::string& logics,
                     const std::string& options = "", const std::string& title = "");

// A node with semaphores (`semaphores`: a JSON array text).
std::string SemaphoreNodeJson(const std::string& id, Kind kind, const std::string& logics,
                              const std::string& semaphores, const std::string& options = "",
                              const std::string& title = "");

// {"type":"time","value":VALUE,"dimension":DIMENSION,"to_node_id":TO};
// `value` is JSON text (a number or a quoted template).
std::string TimeJson(const std::string& value, const std::string& dimension, const std::string& to);

// {"type":"count","value":VALUE,"esc_node_id":ESC}; `value` is JSON text.
std::string CountJson(const std::string& value, const std::string& esc);

// {"type":"go","to_node_id":TO}
std::string GoJson(const std::string& to);

// A go_if_const with one condition.
std::string IfJson(const std::string& param, const std::string& fun, const std::string& value,
                   const std::string& cast, const std::string& to);

// A process object (obj_type 1) holding `nodes`.
std::string ProcessJson(int64_t conv_id, const std::vector<std::string>& nodes,
                        const std::string& title = "test process",
                        const std::string& conv_type = "process");

}  // namespace testing
}  // namespace convey

#endif  // CONVEY_TESTS_SUPPORT_SCHEME_TEXT_H_
