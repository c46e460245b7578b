// API Call answers (logics/api): how an HTTP answer becomes task data.
//
// The `api` logic runs twice per call; the second run (Api::Receive) reads
// the answer: the default JSON reading, XML answers (xml.h), the Corezoid
// format, customised responses (templates over {"body","header"}), error
// answers, rfc_format and debug_info. This target builds a real api logic
// through its factory and runs it as resumed by a fuzzed answer
// (TaskContext::HttpResult, tests/logics/fakes.h).
//
// Input:
//   line 1: the logic: a number picking one of kConfigs, optionally
//           followed by the HTTP status ("3 500"; default 200), or a whole
//           api logic object (`{...}`, its own configuration fuzzed too)
//   then:   header lines "Name: value" up to an empty line (optional)
//   rest:   the body
// The answer's content_type is its Content-Type header's media type,
// lower-cased, as the transport gives it.
//
// Invariants:
// - an answered logic never sends another request and never parks;
// - everything it writes goes to a path that parses (ParsePath), as JSON
//   that parses; on a failure to err_node_id it writes the four
//   __conveyor_api_return_* parameters;
// - XmlToJson output is a JSON object; an object that JsonToXml writes
//   reads back with XmlToJson.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "convey/http.h"
#include "convey/logic.h"
#include "logics/api/response.h"
#include "logics/api/xml.h"
#include "runtime/json/path.h"
#include "simdjson.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/logics/fakes.h"

namespace {

constexpr char kUrl[] = R"("url":"https://api.example.test/v1/{{id}}")";

const std::string kConfigs[] = {
    // 0: the default reading (JSON objects merged, arrays kept).
    absl::StrCat(R"j({"type":"api","method":"POST",)j", kUrl, R"j(,"err_node_id":"err"})j"),
    // 1: an XML request: an answer without Content-Type is read as XML.
    absl::StrCat(R"j({"type":"api","method":"POST",)j", kUrl,
                 R"j(,"content_type":"application/xml","extra":{"order":"{{id}}"},)j"
                 R"j("extra_type":{"order":"string"},"err_node_id":"err"})j"),
    // 2: the Corezoid format.
    absl::StrCat(R"j({"type":"api","format":"conveyor",)j", kUrl, R"j(,"err_node_id":"err"})j"),
    // 3: customised response mappings over body and header.
    absl::StrCat(
        R"j({"type":"api","method":"GET",)j", kUrl,
        R"j(,"customize_response":true,"err_node_id":"err",)j"
        R"j("response":{"whole":"{{body}}","n":"{{body.n}}","ct":"{{header.content-type}}",)j"
        R"j("items":"{{body.items}}","first":"{{body.items[0]}}","sha":"$.sha1({{body}})",)j"
        R"j("twice":"$.math({{body.n}}*2)","txt":"id {{body.id}} of {{body.list[1].name}}",)j"
        R"j("{{key}}":"{{body.value}}","out.deep[1]":"{{body.a.b}}","as_obj":"{{body.obj}}"},)j"
        R"j("response_type":{"whole":"object","n":"number","ct":"string","items":"array",)j"
        R"j("first":"string","sha":"string","twice":"number","txt":"string","{{key}}":"string",)j"
        R"j("out.deep[1]":"boolean","as_obj":"array"}})j"),
    // 4: rfc_format (a body is required) and debug_info.
    absl::StrCat(R"j({"type":"api","method":"PUT",)j", kUrl,
                 R"j(,"rfc_format":true,"debug_info":true,"err_node_id":"err"})j"),
    // 5: no err_node_id: failures stop the task with their writes dropped.
    absl::StrCat(R"j({"type":"api","method":"DELETE",)j", kUrl, "}"),
    // 6: customised, XML request, every value typed string.
    absl::StrCat(R"j({"type":"api","method":"POST",)j", kUrl,
                 R"j(,"content_type":"text/xml","customize_response":true,)j"
                 R"j("extra":{"r":"1"},"extra_type":{"r":"string"},"err_node_id":"err",)j"
                 R"j("response":{"b":"{{body}}","h":"{{header}}"},)j"
                 R"j("response_type":{"b":"string","h":"string"}})j"),
};
constexpr int kConfigCount = sizeof(kConfigs) / sizeof(kConfigs[0]);

constexpr char kTask[] = R"({"id":"42","key":"answer","amount":150,"name":"Ann"})";

// A FakeTask that checks every write as the engine would take it.
class CheckingTask : public convey::testing::FakeTask {
 public:
  CheckingTask() : FakeTask(kTask) {
    obj_id_value = "65a1b2c3d4e5f60718293a4b";
    conv_id_value = 42;
    ref_value = "ref-1";
  }

  absl::Status Set(absl::string_view path, convey::Value value) override {
    absl::StatusOr<convey::internal::Path> parsed = convey::internal::ParsePath(path);
    FUZZ_CHECK(parsed.ok(), "the api logic writes to \"%.*s\", which is not a path: %s",
               static_cast<int>(path.size()), path.data(), parsed.status().ToString().c_str());
    const std::string json = value.ToJson();
    bool too_deep = false;
    FUZZ_CHECK(convey::fuzz::ParsesAsJson(json, nullptr, &too_deep) || too_deep,
               "the api logic writes \"%.*s\" = %.300s, which is not JSON",
               static_cast<int>(path.size()), path.data(), json.c_str());
    paths.emplace_back(path);
    return FakeTask::Set(path, std::move(value));
  }

  std::vector<std::string> paths;
};

const convey::LogicFactory& ApiFactory() {
  static const convey::LogicFactory* factory = [] {
    static convey::LogicRegistry registry;
    if (!convey::RegisterBuiltinLogics(registry).ok()) std::abort();
    return registry.Find("api");
  }();
  return *factory;
}

void CheckXml(absl::string_view body) {
  std::string json;
  if (convey::internal::XmlToJson(body, &json).ok()) {
    simdjson::dom::element_type type;
    bool too_deep = false;
    FUZZ_CHECK((convey::fuzz::ParsesAsJson(json, &type, &too_deep) &&
                type == simdjson::dom::element_type::OBJECT) ||
                   too_deep,
               "XmlToJson gave %.300s, not a JSON object", json.c_str());
  }
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(body.data(), body.size()).get(object) != simdjson::SUCCESS ||
      object.size() != 1) {
    return;
  }
  const simdjson::dom::key_value_pair root = *object.begin();
  std::string xml;
  if (!convey::internal::JsonToXml(absl::string_view(root.key.data(), root.key.size()),
                                   root.value, &xml)
           .ok()) {
    return;
  }
  std::string back;
  const absl::Status status = convey::internal::XmlToJson(xml, &back);
  FUZZ_CHECK(status.ok(), "JsonToXml wrote %.300s, which XmlToJson refuses: %s", xml.c_str(),
             status.ToString().c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input = convey::fuzz::AsText(data, size);
  size_t line_end = input.find('\n');
  if (line_end == absl::string_view::npos) line_end = input.size();
  const absl::string_view first = input.substr(0, line_end);
  absl::string_view rest = input.substr(std::min(input.size(), line_end + 1));

  std::string config;
  int status = 200;
  if (!first.empty() && first[0] == '{') {
    config = std::string(first);
  } else {
    const std::vector<absl::string_view> words =
        absl::StrSplit(first, ' ', absl::SkipEmpty());
    int index = 0;
    if (!words.empty() && absl::SimpleAtoi(words[0], &index)) {
      config = kConfigs[static_cast<unsigned>(index) % kConfigCount];
    } else {
      config = kConfigs[0];
    }
    if (words.size() > 1 && absl::SimpleAtoi(words[1], &status)) {
      if (status < 0 || status > 999) status = 200;
    }
  }

  convey::HttpResponse response;
  response.status = status;
  response.elapsed = absl::Milliseconds(5);
  // Header lines up to an empty line, when the rest has one.
  const size_t blank = rest.find("\n\n");
  if (blank != absl::string_view::npos) {
    for (absl::string_view line : convey::fuzz::Lines(rest.substr(0, blank))) {
      const size_t colon = line.find(':');
      if (colon == absl::string_view::npos) continue;
      std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, colon)));
      std::string value(absl::StripAsciiWhitespace(line.substr(colon + 1)));
      if (name == "content-type") {
        std::string media = absl::AsciiStrToLower(value.substr(0, value.find(';')));
        response.content_type = std::string(absl::StripAsciiWhitespace(media));
      }
      response.headers.emplace_back(std::move(name), std::move(value));
    }
    rest = rest.substr(blank + 2);
  }
  response.body = std::string(rest);

  CheckXml(response.body);

  convey::testing::FakeBuilder builder;
  absl::StatusOr<std::unique_ptr<convey::LogicConfig>> logic_config =
      convey::internal::NewLogicConfig(
          {"fuzz.json", "api", config, "[0].scheme.nodes[0].condition.logics[0]", "a", 42},
          &builder, &builder.diagnostics);
  if (!logic_config.ok()) return 0;
  convey::LogicSpec spec;
  spec.type = "api";
  spec.conv_id = 42;
  spec.node_id = "a";
  spec.config = logic_config->get();
  absl::StatusOr<std::unique_ptr<convey::Logic>> logic = ApiFactory().Create(spec, builder);
  if (!logic.ok()) return 0;

  CheckingTask task;
  task.http_result = std::move(response);
  const convey::LogicResult result = (*logic)->Run(task);
  FUZZ_CHECK(task.http_sent.empty(), "an answered api logic sent another request");
  FUZZ_CHECK(result.kind != convey::LogicResult::Kind::kPark, "an answered api logic parked");
  if (result.kind == convey::LogicResult::Kind::kGoTo) {
    // An answered failure with an err_node_id: its parameters are written.
    static const char* const kErrorParameters[] = {
        "__conveyor_api_return_type_error__", "__conveyor_api_return_type_tag__",
        "__conveyor_api_return_description__", "__conveyor_api_return_http_code__"};
    for (const char* name : kErrorParameters) {
      FUZZ_CHECK(std::find(task.paths.begin(), task.paths.end(), name) != task.paths.end(),
                 "a failure to err_node_id did not write %s", name);
    }
  }
  return 0;
}
