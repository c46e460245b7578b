// convey serve's request handling (runtime/serve/api_service): routing,
// path segments, signatures in the URL and in headers, time windows, query
// parameters, direct URLs, rate limits, and the ops body behind them.
//
// The input is a request: its first six lines are the method, the path, the
// query (`key=value&...`, decoded as given), X-API-Login, X-API-Timestamp
// and X-API-Signature; the rest is the body. In the path, `{sig}` is
// replaced with the body's correct URL signature for the path's time
// segment, and an X-API-Signature of `{sig}` with the correct HMAC, so that
// the fuzzer reaches the ops behind the signature check as well as the
// refusals in front of it. `{hash}` in the path becomes process 1002's
// direct-URL hash, `{task}` task r1's obj_id. The server's time is fixed
// (1700000000); login "7" has secret "s"; a rate limit of 1000/s with a
// burst of 3 is on. Requests to the web console's paths (`/`,
// `/console/...`) are signed in as login 7, which may write there, and
// carry X-Convey-Console: 1, so that its routes, ids, queries and write
// bodies are reached.
// Invariants:
// - the status is one the server documents (200, 400, 401, 404, 405, 429,
//   503) and the body is valid JSON or plain text for health routes;
// - JSON answers are objects with a string request_proc and an ops array;
// - a signed route answers 200 only when the signature was computed (never
//   for a made-up one), and refusals run no op (the engine's task count does
//   not change);
// - the console answers 200, 400, 404, 405 or 409, its JSON is an object,
//   and a refusal's JSON says why in "error".
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "convey/engine.h"
#include "convey/environment.h"
#include "runtime/serve/api_service.h"
#include "runtime/serve/console.h"
#include "runtime/serve/signature.h"
#include "simdjson.h"
#include "tests/fuzz/engine_support.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/support/ops_processes.h"

namespace {

const std::string kScheme =
    absl::StrCat("[", convey::testing::kOpsPassProcess, ",", convey::testing::kOpsHoldProcess, ",",
                 convey::testing::kOpsCallbackProcess, "]");
constexpr int64_t kNow = 1700000000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text = convey::fuzz::AsText(data, size);
  std::vector<absl::string_view> lines = absl::StrSplit(text, absl::MaxSplits('\n', 6));
  if (lines.size() < 7) return 0;
  std::string method(lines[0]);
  std::string path(lines[1]);
  const std::string body(lines[6]);

  convey::VirtualClock clock(absl::FromUnixSeconds(kNow));
  absl::StatusOr<std::unique_ptr<convey::Engine>> opened =
      convey::Engine::Open(convey::fuzz::SmallEngineOptions(&clock));
  FUZZ_CHECK(opened.ok(), "Engine::Open: %s", opened.status().ToString().c_str());
  convey::Engine& engine = **opened;
  FUZZ_CHECK(engine.Deploy("ops.json", kScheme).ok(), "the fixed scheme does not deploy");
  absl::StatusOr<std::string> r1 = engine.CreateTask(1002, "r1", R"({"a":1})");
  FUZZ_CHECK(r1.ok(), "setup r1");

  convey::serve::ServeMetrics metrics(&clock);
  convey::serve::ApiServiceOptions options;
  FUZZ_CHECK(options.keys.Add("7:s", "fuzz").ok(), "key");
  FUZZ_CHECK(options.keys.AllowConsoleWrites("7", "fuzz").ok(), "console writer");
  options.direct_url_secret = "direct";
  options.rate_limit.per_second = 1000;
  options.rate_limit.burst = 3;
  options.now = [] { return absl::FromUnixSeconds(kNow); };
  convey::serve::ApiService service(engine, std::move(options), &metrics);

  // Computed signatures, so that the ops behind them are reached.
  bool computed = false;
  if (path.find("{sig}") != std::string::npos) {
    std::vector<std::string> parts = absl::StrSplit(path, '/');
    const std::string unixtime = parts.size() > 5 ? parts[5] : "";
    path = absl::StrReplaceAll(path, {{"{sig}", convey::serve::UrlSignature(unixtime, "s", body)}});
    computed = true;
  }
  path = absl::StrReplaceAll(path, {{"{hash}", service.DirectUrlHash(1002)}, {"{task}", *r1}});
  std::string header_signature(lines[5]);
  if (header_signature == "{sig}") {
    header_signature = convey::serve::HeaderSignature(lines[4], "s", body);
    computed = true;
  }
  std::vector<std::pair<std::string, std::string>> query;
  if (!lines[2].empty()) {
    for (absl::string_view pair : absl::StrSplit(lines[2], '&')) {
      std::pair<std::string, std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
      query.push_back(std::move(kv));
    }
  }

  convey::serve::ServeRequest request;
  request.method = method;
  request.path = path;
  request.query = &query;
  request.body = body;
  request.api_login = lines[3];
  request.api_timestamp = lines[4];
  request.api_signature = header_signature;
  const bool console = convey::serve::Console::Owns(path);
  if (console) {
    request.authorization = "Basic Nzpz";  // 7:s
    request.console_header = "1";
  }
  const int64_t tasks_before = engine.Stats().tasks_created;
  convey::serve::ServeResponse response;
  for (int i = 0; i < 2; ++i) response = service.Handle(request);  // twice: rate limits
  (void)engine.WaitIdle(absl::Seconds(2));

  const int status = response.status;
  if (console) {
    FUZZ_CHECK(response.route == convey::serve::Route::kConsole, "a console path routed elsewhere");
    FUZZ_CHECK(status == 200 || status == 400 || status == 404 || status == 405 || status == 409,
               "undocumented console status %d: %.300s", status, response.body.c_str());
    if (response.content_type == "application/json; charset=utf-8") {
      simdjson::dom::parser parser;
      simdjson::dom::object root;
      FUZZ_CHECK(parser.parse(response.body).get(root) == simdjson::SUCCESS,
                 "the console's answer is not a JSON object: %.300s", response.body.c_str());
      std::string_view why;
      FUZZ_CHECK(status == 200 || root["error"].get(why) == simdjson::SUCCESS,
                 "a console refusal without an error: %.300s", response.body.c_str());
    }
    engine.Close().IgnoreError();
    return 0;
  }
  FUZZ_CHECK(status == 200 || status == 400 || status == 401 || status == 404 || status == 405 ||
                 status == 429 || status == 503,
             "undocumented status %d: %.300s", status, response.body.c_str());
  if (response.content_type == "application/json") {
    simdjson::dom::parser parser;
    simdjson::dom::object root;
    FUZZ_CHECK(parser.parse(response.body).get(root) == simdjson::SUCCESS,
               "the answer is not a JSON object: %.300s", response.body.c_str());
    std::string_view request_proc;
    FUZZ_CHECK(root["request_proc"].get(request_proc) == simdjson::SUCCESS,
               "no request_proc: %.300s", response.body.c_str());
    simdjson::dom::array ops;
    FUZZ_CHECK(root["ops"].get(ops) == simdjson::SUCCESS, "no ops: %.300s", response.body.c_str());
    if (response.route == convey::serve::Route::kTaskApi && status == 200) {
      FUZZ_CHECK(computed, "a made-up signature was accepted: %s", path.c_str());
    }
    if (status != 200) {
      FUZZ_CHECK(engine.Stats().tasks_created == tasks_before, "a refused request created tasks");
    }
  }
  engine.Close().IgnoreError();
  return 0;
}
