#include "runtime/import/editor_layout.h"

#include <cmath>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "runtime/json/json_types.h"

namespace convey {
namespace internal {

// The editor's `x` or `y` of a node: a number, or a number in a string (as
// older exports write numbers). Anything else leaves it unset, silently: it
// only places the node in pictures (runtime/draw), and the platform's own
// exports hold null in templates.
bool ReadCoordinate(const Fields& fields, absl::string_view key, double* out) {
  auto value = fields.Find(key);
  if (!value) return false;
  double number;
  if (value->get_double().get(number) != simdjson::SUCCESS) {
    std::string_view text;
    if (value->get_string().get(text) != simdjson::SUCCESS ||
        !absl::SimpleAtod(absl::StripAsciiWhitespace(View(text)), &number)) {
      return false;
    }
  }
  if (!std::isfinite(number)) return false;
  *out = number;
  return true;
}

// The editor's form mode in a node's `extra` (`"modeForm":"collapse"` or
// `"expand"`), an object or, as exports write it, JSON in a string. Read
// with a scan rather than a parse: it only shapes pictures, and a malformed
// `extra` must stay silent.
std::optional<bool> ReadCollapsed(simdjson::dom::element extra) {
  std::string_view mode;
  simdjson::dom::object object;
  if (extra.get_object().get(object) == simdjson::SUCCESS) {
    if (object["modeForm"].get_string().get(mode) != simdjson::SUCCESS) return std::nullopt;
  } else {
    std::string_view text;
    if (extra.get_string().get(text) != simdjson::SUCCESS) return std::nullopt;
    const size_t key = text.find("\"modeForm\"");
    if (key == std::string_view::npos) return std::nullopt;
    absl::string_view rest = View(text.substr(key + 10));
    rest = absl::StripLeadingAsciiWhitespace(rest);
    if (!absl::ConsumePrefix(&rest, ":")) return std::nullopt;
    rest = absl::StripLeadingAsciiWhitespace(rest);
    if (absl::StartsWith(rest, "\"collapse\"")) return true;
    if (absl::StartsWith(rest, "\"expand\"")) return false;
    return std::nullopt;
  }
  if (mode == "collapse") return true;
  if (mode == "expand") return false;
  return std::nullopt;
}

}  // namespace internal
}  // namespace convey
