#include "logics/api/api.h"

#include <algorithm>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "logics/api/request.h"
#include "logics/api/response.h"
#include "logics/api/xml.h"
#include "logics/common/typed_values.h"
#include "runtime/base/status_macros.h"
#include "runtime/json/json_writer.h"
#include "runtime/json/path.h"
#include "runtime/template/template.h"
#include "simdjson.h"

namespace convey {
namespace logics {
namespace {

using internal::ApiFailure;
using internal::ApiWrites;

ApiFailure Software(absl::string_view tag, std::string description) {
  return ApiFailure{false, std::string(tag), std::move(description)};
}

ApiFailure Hardware(absl::string_view tag, std::string description) {
  return ApiFailure{true, std::string(tag), std::move(description)};
}

// What the request carries besides the URL.
enum class BodyKind {
  kNone,      // no body (GET, HEAD, DELETE without a content_type)
  kJson,      // extra as a JSON object
  kForm,      // extra as k=v pairs
  kXml,       // extra's root key as an XML document
  kRaw,       // raw_body as it is
  kConveyor,  // the Corezoid ops envelope
};

bool IsHttpToken(absl::string_view name) {
  static constexpr absl::string_view kPunctuation = "!#$%&'*+-.^_`|~";
  if (name.empty()) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) &&
        kPunctuation.find(c) == absl::string_view::npos) {
      return false;
    }
  }
  return true;
}

class Api : public Logic {
 public:
  struct Header {
    std::string name;
    const Template* value = nullptr;
  };
  struct ResponseItem {
    const Template* key = nullptr;
    const Template* value = nullptr;
    Value::Type type = Value::Type::kString;
  };
  struct Config {
    std::string method;
    internal::UrlTemplate url;
    BodyKind body = BodyKind::kJson;
    bool extra_in_query = false;
    std::string content_type;  // the Content-Type to send with a body
    bool request_xml = false;  // `content_type` is XML
    TypedValues extra;
    const Template* raw_body = nullptr;
    std::vector<Header> headers;
    bool headers_name_content_type = false;
    bool headers_name_task_id = false;
    int max_threads = 0;
    bool send_sys = false;
    std::string secret;
    std::string cert_pem;
    bool debug_info = false;
    bool rfc_format = false;
    bool customize = false;
    std::vector<ResponseItem> response;
    NodeHandle err_node;
    internal::Path sys_path;  // `sys`
  };

  explicit Api(Config config) : c_(std::move(config)) {}

  LogicResult Run(TaskContext& task) const override {
    const absl::StatusOr<HttpResponse>* answer = task.HttpResult();
    if (answer == nullptr) {
      HttpRequest request;
      std::optional<ApiFailure> failure = BuildRequest(task, &request);
      if (failure) return Fail(*failure);
      task.SendHttp(std::move(request), c_.max_threads);
      return LogicResult::Park(ParkReason::kHttp);
    }
    if (!answer->ok()) return Fail(internal::TransportFailure(answer->status()));
    return Receive(task, **answer);
  }

  absl::string_view error_family() const override { return "api"; }
  NodeHandle error_node() const override { return c_.err_node; }

 private:
  LogicResult Fail(const ApiFailure& failure) const {
    return LogicResult::Fail(c_.err_node, failure.hardware, failure.tag, failure.description);
  }

  std::optional<ApiFailure> BuildRequest(TaskContext& task, HttpRequest* request) const {
    request->method = c_.method;
    const std::string url = c_.url.Evaluate(task);
    if (!internal::HasHttpScheme(url)) return Software("api_bad_answer", "no_scheme");

    const internal::TaskIdentity identity{task.ref(), task.obj_id(), task.conv_id(),
                                          task.node_id()};
    TaskValueSource source(task);
    TypedEntries entries;
    entries.reserve(c_.extra.size() + 1);
    absl::Status status = c_.extra.Evaluate(source, &entries);
    if (!status.ok()) return Software("api_wrong_convert_param", std::string(status.message()));
    if (c_.send_sys && c_.body == BodyKind::kJson) {
      TypedEntry sys;
      sys.key = "sys";
      sys.value = Value::Object(internal::SysObject(identity));
      sys.path = &c_.sys_path;
      entries.push_back(std::move(sys));
    }
    std::string extra_json;
    status = BuildObject(entries, &extra_json);
    if (!status.ok()) {
      if (status.code() == absl::StatusCode::kOutOfRange) {
        return Hardware("api_bind_error", std::string(status.message()));
      }
      return Software("api_wrong_convert_param", std::string(status.message()));
    }

    simdjson::dom::parser parser;
    simdjson::dom::object extra;
    if ((c_.extra_in_query || c_.body == BodyKind::kForm || c_.body == BodyKind::kXml) &&
        parser.parse(extra_json).get(extra) != simdjson::SUCCESS) {
      return Hardware("api_fatal_error", "extra did not build a JSON object");
    }
    std::string query = c_.extra_in_query ? internal::EncodePairs(extra) : std::string();
    std::string& body = request->body;
    switch (c_.body) {
      case BodyKind::kNone:
        break;
      case BodyKind::kJson:
        body = std::move(extra_json);
        break;
      case BodyKind::kForm:
        body = internal::EncodePairs(extra);
        break;
      case BodyKind::kXml: {
        if (extra.size() == 0) break;  // nothing to send
        if (extra.size() > 1) {
          return Hardware("api_bind_error",
                          absl::StrCat("an XML body needs extra to have one root key (the "
                                       "document element); it has ",
                                       extra.size()));
        }
        simdjson::dom::key_value_pair root = *extra.begin();
        status = internal::JsonToXml(absl::string_view(root.key.data(), root.key.size()),
                                     root.value, &body);
        if (!status.ok()) {
          return Hardware("api_bind_error", absl::StrCat("extra as XML: ", status.message()));
        }
        break;
      }
      case BodyKind::kRaw:
        body = c_.raw_body->is_constant() ? c_.raw_body->constant().ToText()
                                          : task.Evaluate(*c_.raw_body).ToText();
        break;
      case BodyKind::kConveyor:
        body = internal::ConveyorEnvelope(identity, task.data_json(), extra_json);
        break;
    }

    if (c_.send_sys) {
      const int64_t conv_time = absl::ToUnixSeconds(task.now());
      if (!query.empty()) query.push_back('&');
      absl::StrAppend(&query, "conv_signature=", internal::Signature(conv_time, c_.secret, body),
                      "&conv_time=", conv_time, "&conv_id=", task.conv_id());
    }
    request->url = internal::AppendQuery(url, query);

    // A GET sends raw_body only when there is one.
    const bool has_body = c_.body != BodyKind::kNone &&
                          !(c_.body == BodyKind::kRaw && c_.method == "GET" && body.empty());
    if (!has_body) body.clear();
    if (has_body && !c_.headers_name_content_type) {
      request->headers.emplace_back("Content-Type", c_.content_type);
    }
    if (c_.send_sys && !c_.headers_name_task_id) {
      request->headers.emplace_back("X-Corezoid-TaskID", std::string(task.obj_id()));
    }
    for (const Header& header : c_.headers) {
      std::string value = header.value->is_constant() ? header.value->constant().ToText()
                                                      : task.Evaluate(*header.value).ToText();
      if (std::any_of(value.begin(), value.end(),
                      [](char c) { return c == '\r' || c == '\n' || c == '\0'; })) {
        return Hardware("api_bind_error", absl::StrCat("extra_headers \"", header.name,
                                                       "\": the value holds a line break or NUL"));
      }
      request->headers.emplace_back(header.name, std::move(value));
    }
    request->client_cert_pem = c_.cert_pem;
    return std::nullopt;
  }

  bool AnswerIsXml(const HttpResponse& response) const {
    if (response.content_type.empty()) return c_.request_xml;
    return internal::MediaKindOf(response.content_type) == internal::MediaKind::kXml;
  }

  LogicResult Receive(TaskContext& task, const HttpResponse& response) const {
    ApiWrites writes;
    std::optional<ApiFailure> failure;
    if (!internal::IsSuccessStatus(response.status)) {
      failure = Software("api_bad_answer", absl::StrCat("HTTP ", response.status));
      if (c_.body != BodyKind::kConveyor && !c_.customize) {
        internal::ErrorBodyWrites(response.body, &writes);
      }
    } else {
      if (c_.body == BodyKind::kConveyor) {
        failure = internal::ReadConveyorBody(response.body, &writes);
      } else if (c_.customize) {
        failure = ReadCustomized(task, response, &writes);
      } else {
        const bool body_required = c_.rfc_format && response.status != 202 && c_.method != "HEAD";
        failure = internal::ReadBody(response.body, AnswerIsXml(response), body_required, &writes);
      }
      if (failure) writes.clear();  // all or nothing
    }
    if (failure && !c_.err_node.valid()) {
      // The task stops with the error; the engine keeps none of this
      // logic's writes, so the http code is not recorded.
      return Fail(*failure);
    }
    if (c_.debug_info) writes.emplace_back("__conveyor_api_debug__", DebugInfo(task, response));
    if (failure) {
      writes.emplace_back("__conveyor_api_return_type_error__",
                          Value::String(failure->hardware ? "hardware" : "software"));
      writes.emplace_back("__conveyor_api_return_type_tag__", Value::String(failure->tag));
      writes.emplace_back("__conveyor_api_return_description__",
                          Value::String(failure->description));
      writes.emplace_back("__conveyor_api_return_http_code__", Value::Number(response.status));
    }
    for (auto& [path, value] : writes) {
      absl::Status status = task.Set(path, std::move(value));
      if (!status.ok()) {
        return Fail(Hardware("api_fatal_error",
                             absl::StrCat("writing \"", path, "\": ", status.message())));
      }
    }
    return failure ? LogicResult::GoTo(c_.err_node) : LogicResult::Next();
  }

  std::optional<ApiFailure> ReadCustomized(TaskContext& task, const HttpResponse& response,
                                           ApiWrites* out) const {
    const std::string document =
        absl::StrCat("{\"body\":", internal::BodyDocument(response.body, AnswerIsXml(response)),
                     ",\"header\":", internal::HeaderDocument(response.headers), "}");
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(document).get(root) != simdjson::SUCCESS) {
      return Hardware("api_fatal_error", "the answer document is not JSON");
    }
    internal::DocumentEnv env(root, task.now());
    for (const ResponseItem& item : c_.response) {
      const std::string key = item.key->is_constant() ? item.key->constant().ToText()
                                                      : task.Evaluate(*item.key).ToText();
      absl::StatusOr<internal::Path> path = internal::ParsePath(key);
      if (!path.ok()) {
        return Software("api_wrong_convert_param", WrongKeyMessage(key, path.status()));
      }
      Value raw = item.value->Evaluate(env);
      if (item.type == Value::Type::kArray && raw.type() == Value::Type::kObject) {
        out->emplace_back(key, Value::Array(absl::StrCat("[", raw.text(), "]")));
        continue;
      }
      absl::StatusOr<Value> converted = internal::ConvertTo(raw, item.type);
      if (!converted.ok()) {
        return Software("api_wrong_convert_param", ConvertFailure(key, raw, item.type));
      }
      out->emplace_back(key, *std::move(converted));
    }
    return std::nullopt;
  }

  Value DebugInfo(TaskContext& task, const HttpResponse& response) const {
    internal::JsonWriter out;
    out.BeginObject();
    out.Key("http_exec_time").Int(absl::ToInt64Milliseconds(response.elapsed));
    HttpRequest rebuilt;
    if (!BuildRequest(task, &rebuilt)) {
      out.Key("http_req_body_size").Int(static_cast<int64_t>(rebuilt.body.size()));
    }
    out.Key("http_res_code").Int(response.status);
    out.Key("http_res_body_size").Int(static_cast<int64_t>(response.body.size()));
    out.EndObject();
    return Value::Object(out.Release());
  }

  Config c_;
};

// The configuration as the file holds it, read with the importer's rules.
struct ApiSource {
  std::string method = "POST";
  std::string url;
  std::string content_type;
  std::string format;
  std::vector<TypedValueSpec> extra;
  std::string raw_body;
  std::vector<TypedValueSpec> extra_headers;  // values as text
  int max_threads = 0;
  bool send_sys = false;
  bool debug_info = false;
  bool rfc_format = false;
  bool customize_response = false;
  std::string api_secret_outer;
  std::string cert_pem;
  std::vector<TypedValueSpec> response;
  NodeHandle err_node;
};

// Reads every field, reporting problems located in `config`.
ApiSource ReadSource(LogicConfig& config) {
  ApiSource source;
  std::string method;
  const bool has_method = config.ReadString("method", &method);
  if (has_method) source.method = absl::AsciiStrToUpper(method);
  static constexpr absl::string_view kMethods[] = {"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"};
  if (std::find(std::begin(kMethods), std::end(kMethods), source.method) == std::end(kMethods)) {
    config.Error("method", absl::StrCat("method \"", method,
                                        "\" is not GET, POST, PUT, DELETE, HEAD or PATCH"));
  }
  if (!config.ReadString("url", &source.url)) {
    if (!config.Has("url")) config.Error("", "api has no url");
  }
  config.ReadString("content_type", &source.content_type);
  config.ReadString("format", &source.format);
  config.ReadTypedValues("extra", "extra_type", &source.extra);
  config.ReadText("raw_body", &source.raw_body);
  config.ReadTypedValues("extra_headers", "", &source.extra_headers);
  int64_t max_threads = 0;
  if (config.ReadInt64("max_threads", &max_threads)) {
    if (max_threads < 0 || max_threads > 100000) {
      config.Error("max_threads", absl::StrCat("max_threads ", max_threads, " is out of range"));
    } else {
      source.max_threads = static_cast<int>(max_threads);
    }
  }
  bool flag = false;
  if (config.ReadBool("send_sys", &flag)) source.send_sys = flag;
  if (config.ReadBool("debug_info", &flag)) source.debug_info = flag;
  if (config.ReadBool("rfc_format", &flag)) source.rfc_format = flag;
  if (config.ReadBool("customize_response", &flag)) source.customize_response = flag;
  config.ReadString("api_secret_outer", &source.api_secret_outer);
  config.ReadString("cert_pem", &source.cert_pem);
  config.ReadTypedValues("response", "response_type", &source.response);
  config.ReadLink("err_node_id", /*required=*/false, &source.err_node);
  return source;
}

class ApiFactory : public LogicFactory {
 public:
  absl::string_view type() const override { return "api"; }

  absl::StatusOr<std::unique_ptr<Logic>> Create(const LogicSpec& spec,
                                                LogicBuilder& builder) const override {
    LogicConfig& reader = *spec.config;
    const ApiSource source = ReadSource(reader);
    if (reader.error_count() > 0) return reader.Failed();
    Api::Config config;
    config.method = source.method;

    const std::string& format = source.format;
    if (!format.empty() && format != "json" && format != "raw" && format != "conveyor") {
      reader.Error("format",
                   absl::StrCat("format \"", format, "\" is not \"\", \"conveyor\" or \"raw\""));
    }
    const internal::MediaKind media = internal::MediaKindOf(source.content_type);
    config.request_xml = media == internal::MediaKind::kXml;
    if (format == "conveyor") {
      // The Corezoid format fixes the method.
      config.method = "POST";
      config.body = BodyKind::kConveyor;
      config.content_type = "application/json";
    } else {
      config.extra_in_query =
          config.method == "GET" || config.method == "HEAD" ||
          (config.method == "DELETE" && source.content_type.empty() && format != "raw");
      if (config.method == "HEAD" || (config.extra_in_query && format != "raw")) {
        config.body = BodyKind::kNone;
      } else if (format == "raw") {
        config.body = BodyKind::kRaw;
        config.content_type =
            source.content_type.empty() ? "application/json" : source.content_type;
      } else {
        switch (media) {
          case internal::MediaKind::kJson:
            config.body = BodyKind::kJson;
            break;
          case internal::MediaKind::kForm:
            config.body = BodyKind::kForm;
            break;
          case internal::MediaKind::kXml:
            config.body = BodyKind::kXml;
            break;
          case internal::MediaKind::kOther:
            reader.Error(
                "content_type",
                absl::StrCat("content_type \"", source.content_type,
                             "\": extra can be sent as application/json, "
                             "application/x-www-form-urlencoded, application/xml, text/xml or "
                             "application/soap+xml; use format \"raw\" for another body"));
            break;
        }
        config.content_type =
            source.content_type.empty() ? "application/json" : source.content_type;
      }
    }

    absl::StatusOr<internal::UrlTemplate> url = internal::UrlTemplate::Compile(source.url, builder);
    if (url.ok()) {
      config.url = *std::move(url);
    } else {
      reader.Error("url", std::string(url.status().message()));
    }

    TypedValues::CompileObject(source.extra, "extra", "extra", reader, builder, &config.extra);

    if (config.body == BodyKind::kRaw) {
      absl::StatusOr<const Template*> raw =
          builder.CompileTemplate(source.raw_body, TemplateMode::kValue);
      if (raw.ok()) {
        config.raw_body = *raw;
      } else {
        reader.Error("raw_body", std::string(raw.status().message()));
      }
    }

    for (const TypedValueSpec& header : source.extra_headers) {
      if (!IsHttpToken(header.key)) {
        reader.Error("extra_headers", absl::StrCat("extra_headers \"", header.key,
                                                   "\": not an HTTP header name (a token)"));
        continue;
      }
      absl::StatusOr<const Template*> value =
          builder.CompileTemplate(header.value, TemplateMode::kValue);
      if (!value.ok()) {
        reader.Error("extra_headers", absl::StrCat("extra_headers \"", header.key,
                                                   "\": ", value.status().message()));
        continue;
      }
      config.headers_name_content_type |= absl::EqualsIgnoreCase(header.key, "Content-Type");
      config.headers_name_task_id |= absl::EqualsIgnoreCase(header.key, "X-Corezoid-TaskID");
      config.headers.push_back(Api::Header{header.key, *value});
    }

    config.max_threads = source.max_threads;
    config.send_sys = source.send_sys;
    config.secret = source.api_secret_outer;
    if (!source.cert_pem.empty() && source.cert_pem.find("-----BEGIN ") == std::string::npos) {
      reader.Error("cert_pem", "not PEM text (no \"-----BEGIN \" line)");
    }
    config.cert_pem = source.cert_pem;
    config.debug_info = source.debug_info;
    config.rfc_format = source.rfc_format;
    config.customize = source.customize_response;

    if (config.customize) {
      for (const TypedValueSpec& item : source.response) {
        if (item.key.empty()) {
          reader.Error("response", "response: a parameter has an empty name");
          continue;
        }
        absl::StatusOr<const Template*> key =
            builder.CompileTemplate(item.key, TemplateMode::kValue);
        if (!key.ok()) {
          reader.Error("response",
                       absl::StrCat("response key \"", item.key, "\": ", key.status().message()));
          continue;
        }
        if ((*key)->is_constant()) {
          absl::StatusOr<internal::Path> path = internal::ParsePath((*key)->constant().ToText());
          if (!path.ok()) {
            reader.Error("response", absl::StrCat("response key \"", item.key,
                                                  "\": ", path.status().message()));
            continue;
          }
        }
        absl::StatusOr<const Template*> value =
            builder.CompileTemplate(item.value, TemplateMode::kValue);
        if (!value.ok()) {
          reader.Error("response",
                       absl::StrCat("response.", item.key, ": ", value.status().message()));
          continue;
        }
        config.response.push_back(Api::ResponseItem{*key, *value, item.type});
      }
    }
    config.err_node = source.err_node;
    if (reader.error_count() > 0) return reader.Failed();

    CONVEY_ASSIGN_OR_RETURN(config.sys_path, internal::ParsePath("sys"));
    return std::unique_ptr<Logic>(new Api(std::move(config)));
  }
};

}  // namespace

std::unique_ptr<LogicFactory> NewApiFactory() { return std::make_unique<ApiFactory>(); }

}  // namespace logics
}  // namespace convey
