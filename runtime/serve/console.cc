#include "runtime/serve/console.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "runtime/json/json_writer.h"
#include "runtime/serve/console_assets.h"
#include "runtime/serve/console_views.h"
#include "runtime/serve/signature.h"
#include "simdjson.h"

namespace convey::serve {
namespace {

// Only the console's own files run or style the pages. Styles may be
// inline: the process picture is an SVG with its own <style> (its text is
// the renderer's, never the user's). No framing (clickjacking), no
// referrer (ids in URLs stay here).
constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

constexpr absl::string_view kApiPrefix = "/console/api/";

ServeResponse Reply(int status, std::string content_type, std::string body) {
  ServeResponse response;
  response.status = status;
  response.content_type = std::move(content_type);
  response.body = std::move(body);
  return response;
}

ServeResponse Json(int status, std::string body) {
  return Reply(status, "application/json; charset=utf-8", std::move(body));
}

// A failure: JSON for the scripts' routes, plain text for pages (a browser
// shows it as it is; nothing in it is markup).
ServeResponse Failure(absl::string_view path, int status, absl::string_view why) {
  if (absl::StartsWith(path, kApiPrefix)) {
    internal::JsonWriter out;
    out.BeginObject().Key("error").String(why).EndObject();
    return Json(status, out.Release());
  }
  return Reply(status, "text/plain; charset=utf-8", absl::StrCat(why, "\n"));
}

int HttpStatusOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
      return 409;
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

ServeResponse Failure(absl::string_view path, const absl::Status& status) {
  return Failure(path, HttpStatusOf(status), status.message());
}

ServeResponse FromView(absl::string_view path, absl::StatusOr<std::string> view) {
  if (!view.ok()) return Failure(path, view.status());
  return Json(200, *std::move(view));
}

absl::string_view ContentTypeOf(absl::string_view name) {
  if (absl::EndsWith(name, ".html")) return "text/html; charset=utf-8";
  if (absl::EndsWith(name, ".css")) return "text/css; charset=utf-8";
  if (absl::EndsWith(name, ".js")) return "text/javascript; charset=utf-8";
  return "application/octet-stream";
}

ServeResponse Asset(absl::string_view name) {
  for (int i = 0; i < kConsoleAssetCount; ++i) {
    const ConsoleAsset& asset = kConsoleAssets[i];
    if (name == asset.name) {
      return Reply(200, std::string(ContentTypeOf(name)), std::string(asset.text, asset.size));
    }
  }
  return Failure("", 404, "no such file in the console");
}

// A process id in a path: a positive integer, as the task API spells it.
std::optional<int64_t> ConvIdOf(absl::string_view segment) {
  int64_t conv_id = 0;
  if (segment.empty() || !absl::ascii_isdigit(static_cast<unsigned char>(segment[0])) ||
      !absl::SimpleAtoi(segment, &conv_id) || conv_id <= 0) {
    return std::nullopt;
  }
  return conv_id;
}

// A task id in a path: the engine's are 24 hex digits; anything that is not
// letters and digits names no task.
bool IsObjId(absl::string_view segment) {
  if (segment.empty() || segment.size() > 64) return false;
  for (char c : segment) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

const std::string* QueryValue(const ServeRequest& request, absl::string_view name) {
  if (request.query == nullptr) return nullptr;
  for (const auto& [key, value] : *request.query) {
    if (key == name) return &value;
  }
  return nullptr;
}

std::string QueryString(const ServeRequest& request, absl::string_view name) {
  const std::string* value = QueryValue(request, name);
  return value == nullptr ? std::string() : *value;
}

// Answers echo the method and names from the path and the query (a node
// id, an obj_id):
// bytes that are not UTF-8 would make them invalid JSON and text.
bool IsUtf8(const ServeRequest& request) {
  if (!simdjson::validate_utf8(request.method.data(), request.method.size()) ||
      !simdjson::validate_utf8(request.path.data(), request.path.size())) {
    return false;
  }
  if (request.query == nullptr) return true;
  for (const auto& [key, value] : *request.query) {
    if (!simdjson::validate_utf8(key.data(), key.size()) ||
        !simdjson::validate_utf8(value.data(), value.size())) {
      return false;
    }
  }
  return true;
}

void AddSecurityHeaders(ServeResponse* response) {
  response->headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
  response->headers.emplace_back("X-Content-Type-Options", "nosniff");
  response->headers.emplace_back("X-Frame-Options", "DENY");
  response->headers.emplace_back("Referrer-Policy", "no-referrer");
  response->headers.emplace_back("Cache-Control", "no-store");
}

}  // namespace

bool Console::Owns(absl::string_view path) {
  return path == "/" || path == "/console" || absl::StartsWith(path, "/console/");
}

std::optional<std::string> Console::SignedIn(const ServeRequest& request) const {
  absl::string_view header = absl::StripAsciiWhitespace(request.authorization);
  // The scheme is case-insensitive (RFC 7617).
  if (header.size() < 6 || !absl::EqualsIgnoreCase(header.substr(0, 6), "basic ")) {
    return std::nullopt;
  }
  std::string decoded;
  if (!absl::Base64Unescape(absl::StripAsciiWhitespace(header.substr(6)), &decoded)) {
    return std::nullopt;
  }
  const size_t colon = decoded.find(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string login = decoded.substr(0, colon);
  const std::string* secret = keys_.SecretOf(login);
  // An unknown login is compared against a secret all the same, so that
  // the time taken does not tell which logins exist.
  const bool right =
      SecretEquals(secret == nullptr ? std::string("\n") : *secret, decoded.substr(colon + 1));
  if (secret == nullptr || !right) return std::nullopt;
  return login;
}

ServeResponse Console::Handle(const ServeRequest& request) {
  absl::string_view path = request.path;
  if (path.size() > 1 && absl::EndsWith(path, "/")) path.remove_suffix(1);
  ServeResponse response;
  std::optional<std::string> login;
  if (!enabled_) {
    response = Failure(path, 404,
                       keys_.empty() ? "the web console is off: it needs an API login to sign in "
                                       "with (convey serve --api-key LOGIN:SECRET)"
                                     : "the web console is off (convey serve --no-console)");
  } else if (!(login = SignedIn(request))) {
    response = Failure(path, 401,
                       "sign in with an API login and its secret (convey serve --api-key "
                       "LOGIN:SECRET) as the user name and password");
    response.headers.emplace_back("WWW-Authenticate",
                                  "Basic realm=\"convey console\", charset=\"UTF-8\"");
  } else if (!IsUtf8(request)) {
    response = Failure(absl::StartsWith(path, kApiPrefix) ? kApiPrefix : "", 400,
                       "the method, the path or the query is not UTF-8");
  } else if (request.method == "POST") {
    response = Write(request, path, *login);
  } else if (request.method == "GET" || request.method == "HEAD") {
    response = Read(request, path, *login);
  } else {
    response = Failure(path, 405,
                       absl::StrCat("method ", request.method.substr(0, 16),
                                    " is not allowed here; the console reads with GET and "
                                    "writes with POST"));
    response.headers.emplace_back("Allow", "GET, HEAD, POST");
  }
  response.route = Route::kConsole;
  AddSecurityHeaders(&response);
  return response;
}

ServeResponse Console::Read(const ServeRequest& request, absl::string_view path,
                            const std::string& login) {
  if (path == "/" || path == "/console") return Asset("index.html");
  std::vector<absl::string_view> parts = absl::StrSplit(path.substr(1), '/');
  // parts[0] == "console"
  if (parts.size() == 3 && parts[1] == "assets") {
    if (!absl::EndsWith(parts[2], ".css") && !absl::EndsWith(parts[2], ".js")) {
      return Failure(path, 404, "no such file in the console");
    }
    return Asset(parts[2]);
  }
  if (parts.size() == 3 && parts[1] == "process") {
    absl::string_view segment = parts[2];
    const bool svg = absl::ConsumeSuffix(&segment, ".svg");
    std::optional<int64_t> conv_id = ConvIdOf(segment);
    if (!conv_id) return Failure(path, 404, "no such process");
    if (svg) {
      absl::StatusOr<std::string> picture = ProcessSvg(engine_, catalog_, *conv_id);
      if (!picture.ok()) return Failure(path, picture.status());
      return Reply(200, "image/svg+xml; charset=utf-8", *std::move(picture));
    }
    if (absl::Status known = engine_.StatsFor(*conv_id).status(); !known.ok()) {
      return Failure(path, known);
    }
    return Asset("process.html");
  }
  if (parts.size() == 3 && parts[1] == "task") {
    if (!IsObjId(parts[2])) return Failure(path, 404, "no such task");
    absl::Status known = engine_.ShowTask(TaskKey::ByObjId(std::string(parts[2]))).status();
    if (!known.ok()) return Failure(path, known);
    return Asset("task.html");
  }
  if (parts.size() < 3 || parts[1] != "api") return Failure(path, 404, "no such page");

  // The scripts' JSON.
  const absl::string_view what = parts[2];
  if (parts.size() == 3 && what == "session") {
    internal::JsonWriter out;
    out.BeginObject()
        .Key("login")
        .String(login)
        .Key("may_write")
        .Bool(keys_.MayWriteFromConsole(login))
        .EndObject();
    return Json(200, out.Release());
  }
  if (parts.size() == 3 && what == "processes") return Json(200, ProcessesJson(engine_, catalog_));
  if (what == "process" && (parts.size() == 4 || parts.size() == 5)) {
    std::optional<int64_t> conv_id = ConvIdOf(parts[3]);
    if (!conv_id) return Failure(path, 404, "no such process");
    if (parts.size() == 4) return FromView(path, ProcessJson(engine_, catalog_, *conv_id));
    if (parts[4] == "tasks") {
      ConsoleTaskQuery query;
      query.conv_id = *conv_id;
      query.node_id = QueryString(request, "node_id");
      query.ref_prefix = QueryString(request, "ref_prefix");
      query.cursor = QueryString(request, "cursor");
      if (const std::string* limit = QueryValue(request, "limit")) {
        int64_t value = 0;
        if (!absl::SimpleAtoi(*limit, &value) || value < 1 || value > 100) {
          return Failure(path, 400, "limit must be a whole number from 1 to 100");
        }
        query.limit = static_cast<size_t>(value);
      }
      return FromView(path, TasksJson(engine_, query));
    }
  }
  if (what == "task" && parts.size() == 4) {
    if (!IsObjId(parts[3])) return Failure(path, 404, "no such task");
    return FromView(path, TaskJson(engine_, parts[3]));
  }
  const bool write_route =
      (what == "process" && parts.size() == 5 && (parts[4] == "pause" || parts[4] == "resume")) ||
      (what == "task" && parts.size() == 5 && (parts[4] == "move" || parts[4] == "delete"));
  if (write_route) {
    ServeResponse refused = Failure(path, 405, "this route changes things: use POST");
    refused.headers.emplace_back("Allow", "POST");
    return refused;
  }
  return Failure(path, 404, "no such route in the console");
}

ServeResponse Console::Write(const ServeRequest& request, absl::string_view path,
                             const std::string& login) {
  std::vector<absl::string_view> parts = absl::StrSplit(path.substr(1), '/');
  // console / api / process|task / ID / action
  const bool process_action = parts.size() == 5 && parts[1] == "api" && parts[2] == "process" &&
                              (parts[4] == "pause" || parts[4] == "resume");
  const bool task_action = parts.size() == 5 && parts[1] == "api" && parts[2] == "task" &&
                           (parts[4] == "move" || parts[4] == "delete");
  if (!process_action && !task_action) {
    ServeResponse refused = Failure(path, 405, "this route only reads: use GET");
    refused.headers.emplace_back("Allow", "GET, HEAD");
    return refused;
  }
  if (!keys_.MayWriteFromConsole(login)) {
    return Failure(path, 403,
                   absl::StrCat("the login ", login,
                                " may only read in the console (convey serve --console-writer ",
                                login, " lets it write)"));
  }
  // Another site's page can make a browser send a POST here with the
  // cached credentials, but not with this header (it would need a CORS
  // preflight, which this server never grants), nor with this origin.
  if (request.console_header != "1") {
    return Failure(path, 403, "a console write must carry the header X-Convey-Console: 1");
  }
  if (!request.origin.empty() && request.origin != absl::StrCat("http://", request.host) &&
      request.origin != absl::StrCat("https://", request.host)) {
    return Failure(path, 403, "a console write must come from the console's own pages");
  }

  internal::JsonWriter out;
  if (process_action) {
    std::optional<int64_t> conv_id = ConvIdOf(parts[3]);
    if (!conv_id) return Failure(path, 404, "no such process");
    const bool pause = parts[4] == "pause";
    absl::Status done = pause ? engine_.PauseProcess(*conv_id) : engine_.ResumeProcess(*conv_id);
    if (!done.ok()) return Failure(path, done);
    out.BeginObject().Key("conv_id").Int(*conv_id).Key("paused").Bool(pause).EndObject();
    return Json(200, out.Release());
  }
  if (!IsObjId(parts[3])) return Failure(path, 404, "no such task");
  const TaskKey key = TaskKey::ByObjId(std::string(parts[3]));
  if (parts[4] == "delete") {
    if (absl::Status deleted = engine_.DeleteTask(key); !deleted.ok()) {
      return Failure(path, deleted);
    }
    out.BeginObject().Key("obj_id").String(parts[3]).Key("deleted").Bool(true).EndObject();
    return Json(200, out.Release());
  }
  // move: {"node_id":"..."} in the task's own process, or {"conv_id":N,...}.
  simdjson::dom::parser parser;
  simdjson::dom::object body;
  std::string_view node_view;
  if (parser.parse(request.body.data(), request.body.size()).get(body) != simdjson::SUCCESS ||
      body["node_id"].get(node_view) != simdjson::SUCCESS || node_view.empty()) {
    return Failure(path, 400, "a move needs the body {\"node_id\":\"...\"}");
  }
  const std::string node_id(node_view);
  int64_t conv_id = 0;
  if (body["conv_id"].get(conv_id) != simdjson::SUCCESS) {
    absl::StatusOr<TaskSnapshot> task = engine_.ShowTask(key);
    if (!task.ok()) return Failure(path, task.status());
    conv_id = task->conv_id;
  }
  if (absl::Status moved = engine_.MoveTask(key, conv_id, node_id); !moved.ok()) {
    return Failure(path, moved);
  }
  out.BeginObject()
      .Key("obj_id")
      .String(parts[3])
      .Key("conv_id")
      .Int(conv_id)
      .Key("node_id")
      .String(node_id)
      .EndObject();
  return Json(200, out.Release());
}

}  // namespace convey::serve
