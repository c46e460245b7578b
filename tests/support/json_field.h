// Reading one field of a task's data in tests.
#ifndef CONVEY_TESTS_SUPPORT_JSON_FIELD_H_
#define CONVEY_TESTS_SUPPORT_JSON_FIELD_H_

#include <string>

namespace convey {
namespace testing {

// The top-level `key` of the JSON object `data` as compact JSON text
// (strings keep their quotes); "<missing>" when absent, "<bad json>" when
// `data` does not parse.
std::string Field(const std::string& data, const char* key);

}  // namespace testing
}  // namespace convey

#endif  // CONVEY_TESTS_SUPPORT_JSON_FIELD_H_
