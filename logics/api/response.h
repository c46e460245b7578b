// Reading an API Call's HTTP answer (Part B §3.4): which answers succeed,
// what a failed exchange is tagged, and what a body writes into the task.
//
// Pure functions, safe on any thread. Writes are returned, not applied, so
// the logic can apply all of them or none (semantics A5: all-or-nothing).
#ifndef CONVEY_LOGICS_API_RESPONSE_H_
#define CONVEY_LOGICS_API_RESPONSE_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "convey/http.h"
#include "convey/value.h"

namespace convey {
namespace internal {

// An error of the `api` family (Part B §3.4 table).
struct ApiFailure {
  bool hardware = false;
  std::string tag;
  std::string description;
};

// Writes into the task: (path, value), in order.
using ApiWrites = std::vector<std::pair<std::string, Value>>;

// HTTP 200, 201 and 202 (the platform's success codes; 204 is not one).
bool IsSuccessStatus(int status);

// The failure of an exchange that brought no answer (the status passed to
// HttpDone): Aborted (the request waited too long for a turn) is hardware
// `api_expire_query`; Unavailable, DeadlineExceeded, PermissionDenied,
// InvalidArgument and ResourceExhausted are software `api_bad_answer`
// (`failed_connect: ...`, `timeout`, `refused_address: ...`, the message,
// `response too large: ...`); anything else hardware `api_fatal_error`.
ApiFailure TransportFailure(const absl::Status& status);

// The keys of a failed (non-2xx) answer's body when it is a JSON object:
// the platform adds an error answer's object to the task as well (its API
// Call POST page shows a 500 answer's `textError`/`codeError` reaching the
// task). Any other body writes nothing; an empty key is skipped.
void ErrorBodyWrites(absl::string_view body, ApiWrites* out);

// The default reading of a successful answer: a JSON object's keys are
// merged into the task (each key one task parameter, escaped so that `a.b`
// stays one key; an empty key is software `api_bad_answer`), a JSON array is stored as
// `__conveyor_api_array__`; with `xml` the body is XML and converted first (xml.h). An empty (or
// all-whitespace) body writes nothing unless `body_required`. Software
// `api_no_valid_json` for a body that does not parse, or is a JSON string,
// number, boolean or null.
// Every reading of an answer holds one value per key, as task data does
// (semantics A1): a key repeated with one value counts once; with two
// values the answer is ambiguous: software `api_bad_answer` (the error body's
// keys are then not written, and `{{body}}` reads the body as text).
std::optional<ApiFailure> ReadBody(absl::string_view body, bool xml, bool body_required,
                                   ApiWrites* out);

// A Corezoid-format answer, `{"request_proc":"ok","ops":[{"proc":"ok",
// "res_data":{...}}]}`: the first op's res_data keys are merged (no res_data:
// nothing). Software `api_no_valid_json` (not JSON), `api_no_request_proc`
// (not an object, or request_proc is not "ok"), `api_no_ops` (no ops list
// or an empty one), `api_bad_res_data` (the op is no object, its proc is not
// "ok", or its res_data is no object).
std::optional<ApiFailure> ReadConveyorBody(absl::string_view body, ApiWrites* out);

// What `{{body}}` reads with customize_response: the JSON body as it is, an
// XML body converted (with `xml`), anything else (or XML that does not
// parse) as a JSON string of its text; an empty body is "".
std::string BodyDocument(absl::string_view body, bool xml);

// `{"<lower-cased name>": "<value>", ...}`; a repeated header's values are
// joined with ", " (RFC 9110 §5.3).
std::string HeaderDocument(const HttpHeaders& headers);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_LOGICS_API_RESPONSE_H_
