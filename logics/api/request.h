// Building an API Call's HTTP request (Part B §3.4): the URL template and
// its encoding, query strings and form bodies, the `send_sys` signature and
// the Corezoid-format envelope.
//
// Everything here is either compiled once at deploy (UrlTemplate) or a pure
// function; all of it is safe to use from many threads at once.
#ifndef CONVEY_LOGICS_API_REQUEST_H_
#define CONVEY_LOGICS_API_REQUEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convey/logic.h"
#include "simdjson.h"

namespace convey {
namespace internal {

// Appends `text` percent-encoded as a URL component: every byte but the RFC
// 3986 unreserved ones (A-Z a-z 0-9 - . _ ~) becomes %XX (upper-case hex),
// so `/`, `?`, `&`, `=`, `#`, `+` and spaces cannot change the URL's shape.
void AppendPercentEncoded(absl::string_view text, std::string* out);

// Appends `text` as URL text: only bytes that can never appear in a URL
// (controls, space, non-ASCII, `"<>\^`{|}`) are percent-encoded; `/?&=#%`
// and the rest pass as they are.
void AppendUrlText(absl::string_view text, std::string* out);

// An API Call `url`: the literal parts of the template as written, the
// substituted values encoded.
//
// Decision (the semantics say "URL-encoded" and also "may be fully
// dynamic"): when the template's literal text before its first substitution
// holds the scheme, the host and the start of the path or query
// (`https://host/reply/{{id}}`, `https://host/x?key={{k}}`), every
// substituted value is data and is percent-encoded as a component
// (AppendPercentEncoded). Otherwise (`{{url}}`, `{{base}}{{path}}`,
// `{{env_var[@api]}}/charge`, `https://{{host}}/x`) the values *are* URL text
// built by the process, and only bytes never valid in a URL are encoded
// (AppendUrlText). Real exports use both shapes.
class UrlTemplate {
 public:
  UrlTemplate() = default;
  UrlTemplate(UrlTemplate&&) = default;
  UrlTemplate& operator=(UrlTemplate&&) = default;

  // InvalidArgument (the template compiler's message, offsets into `text`).
  static absl::StatusOr<UrlTemplate> Compile(absl::string_view text, LogicBuilder& builder);

  std::string Evaluate(TaskContext& task) const;

  // True when substituted values are percent-encoded as components.
  bool encodes_values() const { return encode_values_; }

 private:
  struct Part {
    std::string literal;              // when `value` is null
    const Template* value = nullptr;  // a `{{...}}` or a `$.` call
  };
  std::vector<Part> parts_;
  bool encode_values_ = false;
};

// True for a URL starting with `http://` or `https://` (any case).
bool HasHttpScheme(absl::string_view url);

// `k=v&k2=v2` from the top-level keys of `object`, both sides percent-encoded;
// strings as they are, numbers and booleans as written, null as `null`,
// objects and arrays as compact JSON.
std::string EncodePairs(simdjson::dom::object object);

// `url` with `query` appended after `?` (or `&` when it already has a
// query), before any `#fragment`. An empty query leaves `url` as it is.
std::string AppendQuery(absl::string_view url, absl::string_view query);

// The `send_sys` signature (Part B §9.1): lower-case hex
// sha1(conv_time + secret + body + secret).
std::string Signature(int64_t conv_time, absl::string_view secret, absl::string_view body);

// What a task sends as `sys` (`send_sys`) and in a Corezoid-format op.
struct TaskIdentity {
  absl::string_view ref;  // empty: the task has none (written as null)
  absl::string_view obj_id;
  int64_t conv_id = 0;
  absl::string_view node_id;
};

// `{"ref":..,"obj_id":..,"conv_id":..,"node_id":..}`.
std::string SysObject(const TaskIdentity& task);

// `{"ops":[{"ref":..,"type":"data","obj_id":..,"conv_id":..,"node_id":..,
// "data":<data_json>,"extra":<extra_json>}]}` (`format: "conveyor"`).
std::string ConveyorEnvelope(const TaskIdentity& task, absl::string_view data_json,
                             absl::string_view extra_json);

// How a `content_type` asks for the body to be written.
enum class MediaKind { kJson, kForm, kXml, kOther };

// By media type (case-insensitive, parameters ignored): empty,
// `application/json` or any `+json` is kJson; `application/x-www-form-
// urlencoded` kForm; `application/xml`, `text/xml`, `application/soap+xml`
// or any `+xml` kXml.
MediaKind MediaKindOf(absl::string_view content_type);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_LOGICS_API_REQUEST_H_
