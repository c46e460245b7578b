// `api` (API Call, Part B §3.4): sends an HTTP request built from the task
// and writes the answer into it. Errors in family `api`.
//
// The logic runs twice per call. The first run builds the request and hands
// it to the engine (TaskContext::SendHttp, at most `max_threads` in flight
// for this logic), and the task parks (ParkReason::kHttp); the engine fills
// in the timeout, size cap, redirect and address rules. When the answer
// arrives the engine runs the logic again; TaskContext::HttpResult() then
// holds it.
//
// Request:
// - `method` GET, POST (default), PUT, DELETE, HEAD or PATCH; `url` a
//   template whose substituted values are URL-encoded (see UrlTemplate in
//   request.h for when they are encoded as components); after evaluation it
//   must start with http:// or https://, else software `api_bad_answer`
//   `no_scheme`.
// - `extra` + `extra_type` are typed (A5; a failed conversion is software
//   `api_wrong_convert_param`). GET, HEAD, and DELETE without a
//   `content_type` send them as the query string (`k=v&...`, URL-encoded;
//   objects and arrays as compact JSON). Other methods send a body by
//   `content_type`: JSON (empty, `application/json`, any `+json`) the object;
//   `application/x-www-form-urlencoded` the pairs; XML (`application/xml`,
//   `text/xml`, `application/soap+xml`, any `+xml`) the single root key of
//   `extra` as the document element (xml.h; more than one root key, or a
//   value with no XML form, is hardware `api_bind_error`). Any other
//   `content_type` without `format: "raw"` is a deploy error.
// - `format: "raw"` sends `raw_body` (a template; a non-string value as
//   compact JSON) as it is. `format: "conveyor"` POSTs
//   `{"ops":[{"ref","type":"data","obj_id","conv_id","node_id","data":{task},
//   "extra":{extra}}]}`.
// - `Content-Type` is `content_type` (JSON and raw: `application/json` when
//   empty), unless `extra_headers` names one; `extra_headers` values are
//   templates (a value with a line break is hardware `api_bind_error`).
// - `send_sys`: the query gets `conv_signature`, `conv_time` and `conv_id`,
//   JSON bodies a `sys` object `{ref, obj_id, conv_id, node_id}`, and the
//   request an `X-Corezoid-TaskID: <obj_id>` header. conv_time is the
//   engine clock's unix seconds; conv_signature is lower-hex
//   sha1(conv_time + api_secret_outer + body + api_secret_outer) (§9.1).
// - `cert_pem` is the client certificate (and key) for TLS.
//
// Answer:
// - No answer: see internal::TransportFailure (response.h).
// - HTTP 200, 201 and 202 succeed. Any other code is software
//   `api_bad_answer` (`HTTP <code>`).
// - `format: "conveyor"`: the answer must be `{"request_proc":"ok","ops":
//   [{"proc":"ok","res_data":{...}}]}`; res_data's keys are merged
//   (`api_no_request_proc`, `api_no_ops`, `api_bad_res_data`).
// - Default: a JSON object's keys are merged into the task root; a JSON
//   array is stored as `__conveyor_api_array__`; an XML answer (by its
//   Content-Type) is converted (xml.h) and merged; anything else is software
//   `api_no_valid_json`.
// - `customize_response`: only the `response`/`response_type` entries are
//   written: their values are templates over `{"body": <the parsed body, or
//   its text as a string>, "header": {<lower-cased name>: <value>}}`, their
//   keys templates over the task; typed (A5, `api_wrong_convert_param`).
// - `debug_info`: `__conveyor_api_debug__` = `{http_exec_time (ms),
//   http_req_body_size, http_res_code, http_res_body_size}`.
// - Every failure after an answer arrived carries
//   `__conveyor_api_return_http_code__` (a number).
//
// Decisions where the platform's documentation is silent:
// - DELETE: the documentation sends `extra` as a body "with JSON"; a DELETE
//   whose `content_type` is empty (and not raw) has no body format, so it
//   sends `extra` as the query string, like GET. HEAD never has a body.
//   GET with `format: "raw"` sends `raw_body` as a body when it is not empty
//   (exports of generic connectors do), besides `extra` in the query.
// - A JSON-format `extra` of `send_sys` gets `sys` last: an `extra` key
//   `sys` is replaced. A task without a ref sends `"ref": null`.
// - `send_sys` signs the body as sent (the XML, the form pairs, the raw
//   body; "" for a query-only request), and adds its three parameters after
//   `extra`'s.
// - `extra_headers` may override `Content-Type` (any case) and
//   `X-Corezoid-TaskID`; names must be HTTP tokens (a deploy error).
// - Error answers (not 200/201/202): the platform's API Call POST page shows
//   a 500 answer's object reaching the task, so a JSON-object body is merged
//   as on success (not with `customize_response` or `format: "conveyor"`,
//   whose mappings describe the successful answer), then the error
//   parameters. The engine drops a failing logic's writes, so these answered
//   failures write the three `__conveyor_api_return_*__` parameters and the
//   http code themselves and go to `err_node_id`; without an `err_node_id`
//   the task stops with the error and the http code and body are lost.
// - An empty (or all-whitespace) successful body writes nothing; with
//   `rfc_format: true` it is `api_no_valid_json` for 200 and 201 (RFC
//   format makes a body mandatory except for 202 and for HEAD).
// - A JSON string, number, boolean or null body is `api_no_valid_json` (it
//   cannot be merged); a body key "" is `api_bad_answer`.
// - An answer with no Content-Type is read as XML when the request's
//   `content_type` was XML.
// - customize_response: a value declared `array` that is an object is
//   wrapped in an array (reference §3.4, "verified"); a missing value is ""
//   for `string` and fails the other types. Values read only the answer
//   document (`root.*`, node counters and other tasks read as missing);
//   keys are evaluated against the task when the answer arrives (it cannot
//   change while parked except through a modify).
// - debug_info: the request body size is that of the request rebuilt from
//   the task when the answer arrives (the engine does not hand back the
//   request); it is omitted if the rebuild fails. Written on success and on
//   answered failures with an err_node_id.
// - `format: "json"` (legacy) is the default format.
#ifndef CONVEY_LOGICS_API_API_H_
#define CONVEY_LOGICS_API_API_H_

#include <memory>

#include "convey/logic.h"

namespace convey {
namespace logics {

std::unique_ptr<LogicFactory> NewApiFactory();

}  // namespace logics
}  // namespace convey

#endif  // CONVEY_LOGICS_API_API_H_
