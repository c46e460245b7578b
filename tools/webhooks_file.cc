#include "tools/webhooks_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "runtime/json/json_errors.h"
#include "runtime/json/json_types.h"
#include "runtime/json/repeated_keys.h"
#include "simdjson.h"

namespace convey {
namespace tools {
namespace {

namespace dom = simdjson::dom;

// One subscription from its object; what is wrong, or nullopt.
std::optional<std::string> ReadOne(dom::object object, const std::string& where,
                                   WebhookSubscription* hook) {
  bool has_url = false;
  for (dom::key_value_pair field : object) {
    const std::string key(field.key);
    const std::string at = absl::StrCat(where, ".", key);
    std::string_view text;
    int64_t number = 0;
    double seconds = 0;
    bool flag = false;
    const auto wrong = [&](absl::string_view want) {
      return absl::StrCat(at, " must be ", want, ", not ",
                          internal::JsonTypeName(field.value.type()));
    };
    if (key == "url" || key == "secret") {
      if (field.value.get(text) != simdjson::SUCCESS) return wrong("a string");
      (key == "url" ? hook->url : hook->secret) = std::string(text);
      has_url = has_url || key == "url";
    } else if (key == "conv_id" || key == "max_attempts") {
      if (field.value.get(number) != simdjson::SUCCESS) return wrong("an integer");
      if (key == "conv_id") {
        hook->conv_id = number;
      } else {
        hook->max_attempts =
            static_cast<int>(std::max<int64_t>(-1, std::min<int64_t>(number, 1000)));
      }
    } else if (key == "finished" || key == "error") {
      if (field.value.get(flag) != simdjson::SUCCESS) return wrong("true or false");
      (key == "finished" ? hook->finished : hook->error) = flag;
    } else if (key == "parked_at") {
      dom::array nodes;
      if (field.value.get(nodes) != simdjson::SUCCESS) return wrong("an array of node ids");
      for (dom::element node : nodes) {
        if (node.get(text) != simdjson::SUCCESS) return wrong("an array of node ids");
        hook->parked_at.emplace_back(text);
      }
    } else if (key == "first_retry_seconds" || key == "max_retry_delay_seconds" ||
               key == "timeout_seconds") {
      if (field.value.get(seconds) != simdjson::SUCCESS) return wrong("a number of seconds");
      const absl::Duration duration = absl::Seconds(seconds);
      if (key == "first_retry_seconds") hook->first_retry = duration;
      if (key == "max_retry_delay_seconds") hook->max_retry_delay = duration;
      if (key == "timeout_seconds") hook->timeout = duration;
    } else {
      return absl::StrCat(where, " has an unknown key \"", key,
                          "\" (url, secret, conv_id, finished, error, parked_at, max_attempts, "
                          "first_retry_seconds, max_retry_delay_seconds, timeout_seconds)");
    }
  }
  if (!has_url) return absl::StrCat(where, " has no \"url\"");
  return std::nullopt;
}

}  // namespace

std::optional<std::string> ReadWebhooksFile(const std::string& path,
                                            std::vector<WebhookSubscription>* webhooks) {
  const std::string what = absl::StrCat("--webhooks ", path);
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) return absl::StrCat("cannot open ", what, ": ", std::strerror(errno));
  std::ostringstream contents;
  contents << in.rdbuf();
  const std::string text = contents.str();
  simdjson::padded_string padded(text);
  dom::parser parser;
  dom::element root;
  if (auto error = parser.parse(padded).get(root)) {
    const internal::JsonErrorReport report =
        internal::DescribeJsonError(padded, error, static_cast<int>(simdjson::DEFAULT_MAX_DEPTH));
    return absl::StrCat(
        what, " is not valid JSON",
        report.offset ? absl::StrCat(" at ", internal::DescribeOffset(text, *report.offset)) : "",
        ": ", report.reason);
  }
  std::string collapsed;
  if (internal::HasRepeatedKeys(root)) {
    const absl::Status status = internal::CollapseRepeatedKeys(text, what, &collapsed);
    if (!status.ok()) return std::string(status.message());
    if (parser.parse(collapsed).get(root) != simdjson::SUCCESS) {
      return absl::StrCat(what, " cannot be read once its repeated keys collapsed");
    }
  }
  dom::array array;
  if (root.get(array) != simdjson::SUCCESS) {
    return absl::StrCat(what, " must hold a JSON array of subscriptions, not ",
                        internal::JsonTypeName(root.type()));
  }
  size_t index = 0;
  for (dom::element item : array) {
    const std::string where = absl::StrCat(what, ": [", index++, "]");
    dom::object object;
    if (item.get(object) != simdjson::SUCCESS) {
      return absl::StrCat(where, " must be an object, not ", internal::JsonTypeName(item.type()));
    }
    WebhookSubscription hook;
    if (auto problem = ReadOne(object, where, &hook)) return problem;
    webhooks->push_back(std::move(hook));
  }
  return std::nullopt;
}

}  // namespace tools
}  // namespace convey
