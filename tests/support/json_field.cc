#include "tests/support/json_field.h"

#include "simdjson.h"

namespace convey {
namespace testing {

std::string Field(const std::string& data, const char* key) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(data).get(doc) != simdjson::SUCCESS) return "<bad json>";
  simdjson::dom::element value;
  if (doc.at_key(key).get(value) != simdjson::SUCCESS) return "<missing>";
  return simdjson::minify(value);
}

}  // namespace testing
}  // namespace convey
