#include "runtime/serve/api_service.h"

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "convey/ops.h"
#include "runtime/base/quote.h"
#include "runtime/json/json_writer.h"
#include "runtime/ops/ops_protocol.h"
#include "runtime/serve/multipart.h"
#include "runtime/serve/signature.h"
#include "simdjson.h"

namespace convey::serve {
namespace {

using internal::Quote;

ServeResponse Answer(Route route, int status, std::string body) {
  ServeResponse response;
  response.route = route;
  response.status = status;
  response.body = std::move(body);
  return response;
}

ServeResponse MethodNotAllowed(Route route, absl::string_view method, absl::string_view allow) {
  ServeResponse response = ApiService::Refusal(
      405, "error",
      absl::StrCat("method ", Quote(method, 16), " is not allowed here; use ", allow));
  response.route = route;
  response.headers.emplace_back("Allow", std::string(allow));
  return response;
}

// The value of query parameter `name`, or null.
const std::string* QueryValue(const ServeRequest& request, absl::string_view name) {
  if (request.query == nullptr) return nullptr;
  for (const auto& [key, value] : *request.query) {
    if (key == name) return &value;
  }
  return nullptr;
}

// Request bytes quoted in a refusal (a path, a header) need not be UTF-8;
// the answer must be: bytes of an invalid text from 0x80 up are written as
// \xNN.
std::string ValidUtf8(absl::string_view text) {
  if (simdjson::validate_utf8(text.data(), text.size())) return std::string(text);
  std::string out;
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x80) {
      out.push_back(c);
    } else {
      absl::StrAppend(&out, "\\x", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    }
  }
  return out;
}

}  // namespace

ApiService::ApiService(Engine& engine, ApiServiceOptions options, ServeMetrics* metrics)
    : engine_(engine),
      options_(std::move(options)),
      object_ops_(guarded_, catalog_, downloads_,
                  [this](int64_t conv_id) { return DirectUrlHash(conv_id); }),
      console_(guarded_, catalog_, options_.keys, options_.console),
      limiter_(options_.rate_limit),
      metrics_(metrics) {}

ServeResponse ApiService::Refusal(int status, absl::string_view tag, absl::string_view why) {
  internal::JsonWriter out;
  out.BeginObject()
      .Key("request_proc")
      .String(tag)
      .Key("description")
      .String(ValidUtf8(why))
      .Key("ops")
      .BeginArray()
      .EndArray()
      .EndObject();
  return Answer(Route::kUnknown, status, out.Release());
}

absl::StatusOr<DeployResult> ApiService::DeployFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return engine_.DeployFile(path);  // its error names the file
  std::ostringstream text;
  text << in.rdbuf();
  absl::StatusOr<DeployResult> deployed = engine_.Deploy(path, text.str());
  if (deployed.ok()) {
    if (absl::Status added = catalog_.AddFile(text.str()); !added.ok()) return added;
  }
  return deployed;
}

std::string ApiService::DirectUrlHash(int64_t conv_id) const {
  if (options_.direct_url_secret.empty()) return "";
  return Sha1Hex(absl::StrCat(options_.direct_url_secret, ":", conv_id));
}

ServeResponse ApiService::Handle(const ServeRequest& request) {
  const absl::string_view path = request.path;
  if (Console::Owns(path)) return console_.Handle(request);
  if (path == "/healthz" || path == "/readyz" || path == "/metrics") {
    const Route route = path == "/healthz"  ? Route::kHealth
                        : path == "/readyz" ? Route::kReady
                                            : Route::kMetrics;
    if (request.method != "GET" && request.method != "HEAD") {
      return MethodNotAllowed(route, request.method, "GET");
    }
    const bool draining = draining_.load(std::memory_order_relaxed);
    if (route == Route::kMetrics) {
      ServeResponse response =
          Answer(route, 200, metrics_->Render(engine_, draining ? "draining" : "serving"));
      response.content_type = "text/plain; version=0.0.4; charset=utf-8";
      return response;
    }
    ServeResponse response;
    response.route = route;
    response.content_type = "text/plain; charset=utf-8";
    if (route == Route::kReady && draining) {
      response.status = 503;
      response.body = "draining\n";
    } else {
      response.body = "ok\n";
    }
    return response;
  }

  // /api/{1,2}/json[/...]
  std::vector<absl::string_view> parts = absl::StrSplit(path, '/');
  // A trailing slash is tolerated.
  if (parts.size() > 1 && parts.back().empty()) parts.pop_back();
  const bool api_v2 = parts.size() >= 4 && parts[0].empty() && parts[1] == "api" && parts[2] == "2";
  if (api_v2 && parts[3] == "download" && parts.size() == 6 && parts[4] == "user_downloads") {
    if (request.method != "GET") return MethodNotAllowed(Route::kDownload, request.method, "GET");
    return Download(parts[5]);
  }
  if (api_v2 && parts[3] == "download" && parts.size() == 7) {
    if (request.method != "POST") return MethodNotAllowed(Route::kDownload, request.method, "POST");
    ServeResponse response = Ops(request, parts[4], parts[5], parts[6]);
    response.route = Route::kDownload;
    return response;
  }
  if (api_v2 && parts[3] == "upload" && parts.size() == 7) {
    if (request.method != "POST") return MethodNotAllowed(Route::kUpload, request.method, "POST");
    ServeResponse response = Upload(request, parts[4], parts[5], parts[6]);
    response.route = Route::kUpload;
    return response;
  }
  const bool api_json = parts.size() >= 4 && parts[0].empty() && parts[1] == "api" &&
                        (parts[2] == "1" || parts[2] == "2") && parts[3] == "json";
  if (api_json && (parts.size() == 4 || parts.size() == 7)) {
    const bool direct = parts.size() == 7 && parts[4] == "public";
    const Route route = direct ? Route::kDirectUrl : Route::kTaskApi;
    if (request.method != "POST") return MethodNotAllowed(route, request.method, "POST");
    ServeResponse response = direct              ? DirectUrl(request, parts[5], parts[6])
                             : parts.size() == 7 ? Ops(request, parts[4], parts[5], parts[6])
                                                 : Ops(request, {}, {}, {});
    response.route = route;
    return response;
  }
  ServeResponse response =
      Refusal(404, "error",
              absl::StrCat("no such path: ", Quote(path, 120),
                           "; the API is POST /api/2/json/{login}/{unixtime}/{signature}"));
  return response;
}

ServeResponse ApiService::Ops(const ServeRequest& request, absl::string_view login_segment,
                              absl::string_view time_segment, absl::string_view signature_segment) {
  const bool header_signed = login_segment.empty();
  absl::string_view login = header_signed ? request.api_login : login_segment;
  absl::string_view unixtime = header_signed ? request.api_timestamp : time_segment;
  absl::string_view signature = header_signed ? request.api_signature : signature_segment;
  if (header_signed && (login.empty() || unixtime.empty() || signature.empty())) {
    return Refusal(401, "error",
                   "the request is not signed: sign it in the URL "
                   "(/api/2/json/{login}/{unixtime}/{signature}) or send the X-API-Login, "
                   "X-API-Timestamp and X-API-Signature headers");
  }
  if (auto refused = Authenticate(login, unixtime, signature, request.body, header_signed)) {
    return *std::move(refused);
  }
  std::vector<std::pair<std::string, std::string>> headers;
  if (auto refused = Limit(login, &headers)) return *std::move(refused);

  std::string reply =
      ObjectOps::MayHoldObjectOps(request.body)
          ? object_ops_.Handle(
                request.body,
                absl::StrCat("http://", request.host.empty() ? "127.0.0.1" : request.host))
          : HandleOps(guarded_, request.body);
  // HandleOps answers a body it cannot read as a request with a
  // format_error and no ops: that is the client's fault (400).
  const bool format_error = absl::StartsWith(reply, R"({"request_proc":"format_error")");
  ServeResponse response = Answer(Route::kTaskApi, format_error ? 400 : 200, std::move(reply));
  response.headers = std::move(headers);
  return response;
}

std::optional<ServeResponse> ApiService::Authenticate(absl::string_view login,
                                                      absl::string_view unixtime,
                                                      absl::string_view signature,
                                                      absl::string_view body, bool header_signed) {
  const std::string* secret = options_.keys.SecretOf(login);
  if (secret == nullptr) {
    return Refusal(401, "error", absl::StrCat("unknown API login ", Quote(login, 64)));
  }
  int64_t seconds = 0;
  if (!absl::SimpleAtoi(unixtime, &seconds) || unixtime[0] == '+' || unixtime[0] == '-') {
    return Refusal(
        401, "error",
        absl::StrCat("the request time ", Quote(unixtime, 32), " is not a unix time in seconds"));
  }
  const int64_t now = absl::ToUnixSeconds(options_.now());
  const int64_t window = absl::ToInt64Seconds(options_.signature_window);
  const int64_t skew = seconds > now ? seconds - now : now - seconds;
  if (skew > window) {
    return Refusal(401, "error",
                   absl::StrCat("the request time ", seconds, " is ", skew,
                                " s away from the server's time ", now, "; at most ", window,
                                " s are allowed (sign each request with the current time)"));
  }
  const std::string expected = header_signed ? HeaderSignature(unixtime, *secret, body)
                                             : UrlSignature(unixtime, *secret, body);
  if (!HexDigestEquals(expected, signature)) {
    return Refusal(401, "error",
                   header_signed
                       ? "wrong signature: X-API-Signature must be "
                         "hex(hmac_sha256(secret, timestamp + body))"
                       : "wrong signature: it must be hex(sha1(unixtime + secret + body + "
                         "secret)) over the exact bytes of the body");
  }
  return std::nullopt;
}

std::optional<ServeResponse> ApiService::Limit(
    absl::string_view login, std::vector<std::pair<std::string, std::string>>* headers) {
  if (!limiter_.enabled()) return std::nullopt;
  const RateDecision decision = limiter_.Take(login, options_.now());
  headers->emplace_back("X-RateLimit-Limit", absl::StrCat(decision.limit));
  headers->emplace_back("X-RateLimit-Remaining", absl::StrCat(decision.remaining));
  headers->emplace_back("X-RateLimit-Reset", absl::StrCat(decision.reset_seconds));
  if (decision.allowed) return std::nullopt;
  ServeResponse response = Refusal(
      429, "error",
      absl::StrCat("too many requests: the limit of ", Quote(login, 64), " is ", decision.limit,
                   " requests at once, refilled at ", options_.rate_limit.per_second,
                   " a second; retry in ", decision.retry_after_seconds, " s"));
  response.headers = std::move(*headers);
  response.headers.emplace_back("Retry-After", absl::StrCat(decision.retry_after_seconds));
  return response;
}

ServeResponse ApiService::DirectUrl(const ServeRequest& request, absl::string_view conv_segment,
                                    absl::string_view hash_segment) {
  int64_t conv_id = 0;
  if (!absl::SimpleAtoi(conv_segment, &conv_id) || conv_id <= 0 || conv_segment[0] == '+') {
    return Refusal(404, "error",
                   absl::StrCat("no such direct URL: the process id ", Quote(conv_segment, 32),
                                " is not a positive integer"));
  }
  if (options_.direct_url_secret.empty()) {
    return Refusal(404, "error",
                   "direct URLs are off: start convey serve with --direct-url-secret");
  }
  if (!HexDigestEquals(DirectUrlHash(conv_id), hash_segment)) {
    return Refusal(401, "error",
                   absl::StrCat("wrong hash for the direct URL of process ", conv_id));
  }
  std::vector<std::pair<std::string, std::string>> headers;
  if (auto refused = Limit(absl::StrCat("public:", conv_id), &headers)) {
    return *std::move(refused);
  }
  const std::string* ref = QueryValue(request, "ref");
  // The ops protocol's rule for refs (its JSON is UTF-8 by construction; a
  // query's %-escapes can make anything).
  if (ref != nullptr && (ref->size() > internal::kOpsMaxRefSize ||
                         !simdjson::validate_utf8(ref->data(), ref->size()))) {
    return Refusal(400, "error",
                   absl::StrCat("the ref query parameter must be UTF-8 text of at most ",
                                internal::kOpsMaxRefSize, " bytes"));
  }
  ServeResponse response = Answer(
      Route::kDirectUrl, 200,
      internal::CreateFromDirectUrl(engine_, conv_id, ref == nullptr ? "" : *ref, request.body));
  response.headers = std::move(headers);
  return response;
}

ServeResponse ApiService::Upload(const ServeRequest& request, absl::string_view login,
                                 absl::string_view unixtime, absl::string_view signature) {
  absl::StatusOr<std::vector<FormPart>> parts = ParseMultipart(request.content_type, request.body);
  if (!parts.ok()) return Refusal(400, "format_error", parts.status().message());
  // Signed as seed 000's recipe signs (the parts' header lines and
  // contents); a client signing the raw body is accepted too.
  const std::string signed_text = SignedFormText(*parts);
  std::optional<ServeResponse> refused =
      Authenticate(login, unixtime, signature, signed_text, false);
  if (refused && Authenticate(login, unixtime, signature, request.body, false)) {
    return *std::move(refused);
  }
  std::vector<std::pair<std::string, std::string>> headers;
  if ((refused = Limit(login, &headers))) return *std::move(refused);
  const FormPart* scheme = nullptr;
  absl::string_view type, obj;
  for (const FormPart& part : *parts) {
    if (part.name == "scheme") scheme = &part;
    if (part.name == "type") type = part.content;
    if (part.name == "obj") obj = part.content;
  }
  if (type != "create" || obj != "obj_scheme") {
    return Refusal(400, "format_error",
                   "an upload needs the form fields type=create and obj=obj_scheme");
  }
  if (scheme == nullptr) {
    return Refusal(400, "format_error", "an upload needs the file in the form field \"scheme\"");
  }
  const std::string file_name =
      scheme->filename.empty() ? std::string("upload.json") : std::string(scheme->filename);
  ServeResponse response =
      Answer(Route::kUpload, 200,
             absl::StrCat("{\"request_proc\":\"ok\",\"ops\":[",
                          object_ops_.ImportResult(scheme->content, file_name, ""), "]}"));
  response.headers = std::move(headers);
  return response;
}

ServeResponse ApiService::Download(absl::string_view file) {
  std::string json;
  if (!downloads_.Get(file, &json)) {
    ServeResponse response =
        Refusal(404, "error", "no such download (links made by get obj_scheme last one hour)");
    response.route = Route::kDownload;
    return response;
  }
  return Answer(Route::kDownload, 200, std::move(json));
}

}  // namespace convey::serve
