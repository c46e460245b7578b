// The `api` logic against a fake task: the request each configuration
// builds (first run), and what each answer does (second run, with
// FakeTask::http_result), including every error tag.
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "schema/process.pb.h"
#include "tests/logics/fakes.h"

namespace convey {
namespace {

using testing::Build;
using ::testing::ElementsAre;
using testing::FakeBuilder;
using testing::FakeTask;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

using Items = std::vector<std::tuple<std::string, std::string, schema::ValueType>>;
constexpr auto kString = schema::VALUE_TYPE_STRING;
constexpr auto kNumber = schema::VALUE_TYPE_NUMBER;
constexpr auto kObject = schema::VALUE_TYPE_OBJECT;
constexpr auto kArray = schema::VALUE_TYPE_ARRAY;
constexpr uint32_t kErrNode = 2;

constexpr char kObjId[] = "65a1b2c3d4e5f60718293a4b";

schema::Logic ApiLogic(const std::string& method, const std::string& url, const Items& extra = {}) {
  schema::Logic logic;
  schema::Api* api = logic.mutable_api();
  api->set_method(method);
  api->set_url(url);
  api->set_err_node_id("err");
  for (const auto& [key, value, type] : extra) {
    schema::TypedValue* item = api->add_extra();
    item->set_key(key);
    item->set_value(value);
    item->set_type(type);
  }
  return logic;
}

void AddHeader(schema::Logic* logic, const std::string& name, const std::string& value) {
  schema::KeyValue* header = logic->mutable_api()->add_extra_headers();
  header->set_key(name);
  header->set_value(value);
}

void AddResponse(schema::Logic* logic, const std::string& key, const std::string& value,
                 schema::ValueType type) {
  schema::TypedValue* item = logic->mutable_api()->add_response();
  item->set_key(key);
  item->set_value(value);
  item->set_type(type);
}

std::unique_ptr<Logic> MustBuild(const schema::Logic& config, FakeBuilder& builder) {
  absl::StatusOr<std::unique_ptr<Logic>> logic = Build(config, builder);
  EXPECT_TRUE(logic.ok()) << logic.status();
  return logic.ok() ? *std::move(logic) : nullptr;
}

std::string DeployError(const schema::Logic& config) {
  FakeBuilder builder;
  absl::StatusOr<std::unique_ptr<Logic>> logic = Build(config, builder);
  EXPECT_FALSE(logic.ok());
  return logic.ok() ? "" : std::string(logic.status().message());
}

std::unique_ptr<FakeTask> NewTask(const std::string& data) {
  auto task = std::make_unique<FakeTask>(data);
  task->obj_id_value = kObjId;
  task->conv_id_value = 42;
  task->node_id_value = "a";
  return task;
}

// The request the logic's first run sends.
struct Sent {
  LogicResult result;
  HttpRequest request;
  int max_in_flight = -1;
  std::vector<std::string> writes;
};

Sent Send(const schema::Logic& config, const std::string& data,
          void (*prepare)(FakeTask&) = nullptr) {
  FakeBuilder builder;
  std::unique_ptr<Logic> logic = MustBuild(config, builder);
  Sent sent;
  if (logic == nullptr) return sent;
  std::unique_ptr<FakeTask> task = NewTask(data);
  if (prepare != nullptr) prepare(*task);
  sent.result = logic->Run(*task);
  sent.writes = task->writes;
  if (task->http_sent.size() == 1) {
    sent.request = task->http_sent[0];
    sent.max_in_flight = task->http_max_in_flight[0];
  } else {
    EXPECT_THAT(task->http_sent, IsEmpty()) << "more than one request";
  }
  return sent;
}

void ExpectParked(const Sent& sent) {
  EXPECT_EQ(sent.result.kind, LogicResult::Kind::kPark);
  EXPECT_EQ(sent.result.park, ParkReason::kHttp);
  EXPECT_THAT(sent.writes, IsEmpty());
}

void ExpectFail(const LogicResult& result, bool hardware, const std::string& tag,
                const std::string& description_part, uint32_t node = kErrNode) {
  EXPECT_EQ(result.kind, LogicResult::Kind::kFail);
  EXPECT_EQ(result.hardware, hardware);
  EXPECT_EQ(result.tag, tag);
  EXPECT_THAT(result.description, HasSubstr(description_part));
  EXPECT_EQ(result.node.index, node);
}

HttpResponse Answer(int status, const std::string& body, const std::string& content_type = "",
                    HttpHeaders headers = {}) {
  HttpResponse response;
  response.status = status;
  response.body = body;
  response.content_type = content_type;
  response.headers = std::move(headers);
  response.elapsed = absl::Milliseconds(1234);
  return response;
}

// The logic's second run, with `answer`.
struct Received {
  LogicResult result;
  std::vector<std::string> writes;
  size_t requests_sent = 0;
};

Received Receive(const schema::Logic& config, const std::string& data,
                 absl::StatusOr<HttpResponse> answer) {
  FakeBuilder builder;
  std::unique_ptr<Logic> logic = MustBuild(config, builder);
  Received received;
  if (logic == nullptr) return received;
  std::unique_ptr<FakeTask> task = NewTask(data);
  task->http_result = std::move(answer);
  received.result = logic->Run(*task);
  received.writes = task->writes;
  received.requests_sent = task->http_sent.size();
  return received;
}

std::vector<std::string> ErrorWrites(const std::string& type, const std::string& tag,
                                     const std::string& description, int code) {
  return {"__conveyor_api_return_type_error__=\"" + type + "\"",
          "__conveyor_api_return_type_tag__=\"" + tag + "\"",
          "__conveyor_api_return_description__=\"" + description + "\"",
          "__conveyor_api_return_http_code__=" + std::to_string(code)};
}

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// ---------------------------------------------------------------------------
// Requests.

TEST(ApiRequestTest, PostSendsExtraAsJson) {
  schema::Logic config = ApiLogic("POST", "https://x.test/orders",
                                  {{"amount", "{{amount}}", kNumber},
                                   {"name", "{{name}}", kString},
                                   {"a.b", "1", kString},
                                   {"tags", "{{tags}}", kArray}});
  config.mutable_api()->set_max_threads(5);
  Sent sent = Send(config, R"j({"amount":"150","name":"Bob","tags":["x"]})j");
  ExpectParked(sent);
  EXPECT_EQ(sent.request.method, "POST");
  EXPECT_EQ(sent.request.url, "https://x.test/orders");
  EXPECT_EQ(sent.request.body, R"j({"amount":150,"name":"Bob","a":{"b":"1"},"tags":["x"]})j");
  EXPECT_THAT(sent.request.headers, ElementsAre(Pair("Content-Type", "application/json")));
  EXPECT_EQ(sent.max_in_flight, 5);
  EXPECT_EQ(sent.request.client_cert_pem, "");
}

TEST(ApiRequestTest, EmptyMethodIsPostAndJsonTypesKeepTheirContentType) {
  schema::Logic config = ApiLogic("", "https://x.test/", {{"k", "v", kString}});
  config.mutable_api()->set_content_type("application/vnd.api+json");
  Sent sent = Send(config, "{}");
  EXPECT_EQ(sent.request.method, "POST");
  EXPECT_EQ(sent.request.body, R"j({"k":"v"})j");
  EXPECT_THAT(sent.request.headers, ElementsAre(Pair("Content-Type", "application/vnd.api+json")));
  EXPECT_EQ(sent.max_in_flight, 0);  // the engine's default
}

TEST(ApiRequestTest, GetSendsExtraAsAnEncodedQuery) {
  schema::Logic config = ApiLogic("GET", "https://x.test/search?fixed=1",
                                  {{"q", "{{q}}", kString},
                                   {"n", "{{n}}", kNumber},
                                   {"filter", "{{filter}}", kObject},
                                   {"k y", "", kString}});
  config.mutable_api()->set_content_type("application/json");
  Sent sent = Send(config, R"j({"q":"a b&c=d/\u00e9?#+","n":7,"filter":{"x":[1,"y"]}})j");
  ExpectParked(sent);
  EXPECT_EQ(sent.request.method, "GET");
  EXPECT_EQ(sent.request.url,
            "https://x.test/search?fixed=1&q=a%20b%26c%3Dd%2F%C3%A9%3F%23%2B&n=7"
            "&filter=%7B%22x%22%3A%5B1%2C%22y%22%5D%7D&k%20y=");
  EXPECT_EQ(sent.request.body, "");
  EXPECT_THAT(sent.request.headers, IsEmpty());  // no body, no Content-Type
}

TEST(ApiRequestTest, GetWithoutExtraLeavesTheUrl) {
  Sent sent = Send(ApiLogic("GET", "https://x.test/a#f"), "{}");
  EXPECT_EQ(sent.request.url, "https://x.test/a#f");
}

TEST(ApiRequestTest, HeadAndDeleteWithoutContentTypeUseTheQuery) {
  Sent head = Send(ApiLogic("HEAD", "https://x.test/h", {{"a", "1", kString}}), "{}");
  EXPECT_EQ(head.request.method, "HEAD");
  EXPECT_EQ(head.request.url, "https://x.test/h?a=1");
  EXPECT_EQ(head.request.body, "");

  Sent del = Send(ApiLogic("DELETE", "https://x.test/d", {{"id", "7", kString}}), "{}");
  EXPECT_EQ(del.request.method, "DELETE");
  EXPECT_EQ(del.request.url, "https://x.test/d?id=7");
  EXPECT_EQ(del.request.body, "");
  EXPECT_THAT(del.request.headers, IsEmpty());

  schema::Logic json_delete = ApiLogic("DELETE", "https://x.test/d", {{"id", "7", kString}});
  json_delete.mutable_api()->set_content_type("application/json");
  Sent with_body = Send(json_delete, "{}");
  EXPECT_EQ(with_body.request.url, "https://x.test/d");
  EXPECT_EQ(with_body.request.body, R"j({"id":"7"})j");
}

TEST(ApiRequestTest, PutAndPatchSendBodies) {
  for (const char* method : {"PUT", "PATCH"}) {
    Sent sent = Send(ApiLogic(method, "https://x.test/p", {{"a", "1", kNumber}}), "{}");
    EXPECT_EQ(sent.request.method, method);
    EXPECT_EQ(sent.request.body, R"j({"a":1})j");
  }
}

TEST(ApiRequestTest, UrlValuesAreEncodedWhenTheHostIsLiteral) {
  Sent sent = Send(ApiLogic("GET", "https://x.test/reply/{{id}}?n={{n}}&t=$.math(1+2)"),
                   R"j({"id":"a/b c","n":"1&2=3"})j");
  EXPECT_EQ(sent.request.url, "https://x.test/reply/a%2Fb%20c?n=1%262%3D3&t=3");
  // A literal part is sent as written, an unclosed "{{" is text.
  sent = Send(ApiLogic("GET", "https://x.test/a b/{{url}"), "{}");
  EXPECT_EQ(sent.request.url, "https://x.test/a b/{{url}");
}

TEST(ApiRequestTest, AUrlBuiltByTheProcessIsUrlText) {
  Sent sent = Send(ApiLogic("GET", "{{base}}{{path}}"),
                   R"j({"base":"https://x.test","path":"/v1/items?id=7&q=a b"})j");
  EXPECT_EQ(sent.request.url, "https://x.test/v1/items?id=7&q=a%20b");
  sent =
      Send(ApiLogic("POST", "{{env}}/charge/{{id}}"), R"j({"env":"http://pay.test","id":"c/1"})j");
  EXPECT_EQ(sent.request.url, "http://pay.test/charge/c/1");
  // The host itself is a value: the values are URL text.
  sent = Send(ApiLogic("GET", "https://{{host}}/x/{{id}}"), R"j({"host":"h.test:8080","id":"1"})j");
  EXPECT_EQ(sent.request.url, "https://h.test:8080/x/1");
}

TEST(ApiRequestTest, AUrlWithoutHttpSchemeFails) {
  auto no_scheme = [](const std::string& url, const std::string& data) {
    Sent sent = Send(ApiLogic("GET", url), data);
    ExpectFail(sent.result, false, "api_bad_answer", "no_scheme");
    EXPECT_EQ(sent.result.description, "no_scheme");
    EXPECT_EQ(sent.max_in_flight, -1);  // nothing sent
  };
  no_scheme("{{url}}", R"j({"url":"ftp://x.test"})j");
  no_scheme("{{url}}", "{}");
  no_scheme("", "{}");
  no_scheme("x.test/path", "{}");
  Sent upper = Send(ApiLogic("GET", "HTTPS://X.TEST/"), "{}");
  ExpectParked(upper);
}

TEST(ApiRequestTest, FormBody) {
  schema::Logic config =
      ApiLogic("POST", "https://x.test/f",
               {{"a", "x y", kString}, {"b", "1+1", kString}, {"o", "{{o}}", kObject}});
  config.mutable_api()->set_content_type("application/x-www-form-urlencoded");
  Sent sent = Send(config, R"j({"o":{"k":1}})j");
  EXPECT_EQ(sent.request.body, "a=x%20y&b=1%2B1&o=%7B%22k%22%3A1%7D");
  EXPECT_EQ(sent.request.url, "https://x.test/f");
  EXPECT_THAT(sent.request.headers,
              ElementsAre(Pair("Content-Type", "application/x-www-form-urlencoded")));
}

TEST(ApiRequestTest, XmlBodyFromTheSingleRootKey) {
  for (const char* type : {"application/xml", "text/xml", "application/soap+xml"}) {
    schema::Logic config = ApiLogic("POST", "https://x.test/x", {{"order", "{{order}}", kObject}});
    config.mutable_api()->set_content_type(type);
    Sent sent = Send(config, R"j({"order":{"@id":"7","item":["a","b"],"note":"x & y"}})j");
    EXPECT_EQ(sent.request.body,
              R"x(<?xml version="1.0" encoding="UTF-8"?><order id="7"><item>a</item>)x"
              R"x(<item>b</item><note>x &amp; y</note></order>)x");
    EXPECT_THAT(sent.request.headers, ElementsAre(Pair("Content-Type", type)));
  }
}

TEST(ApiRequestTest, XmlBodyErrorsAreBindErrors) {
  schema::Logic two =
      ApiLogic("POST", "https://x.test/x", {{"a", "1", kString}, {"b", "2", kString}});
  two.mutable_api()->set_content_type("application/xml");
  Sent sent = Send(two, "{}");
  ExpectFail(sent.result, true, "api_bind_error", "one root key");

  schema::Logic bad = ApiLogic("POST", "https://x.test/x", {{"r", "{{r}}", kObject}});
  bad.mutable_api()->set_content_type("text/xml");
  sent = Send(bad, R"j({"r":{"bad name":1}})j");
  ExpectFail(sent.result, true, "api_bind_error", "\"bad name\" is not an XML element name");

  schema::Logic empty = ApiLogic("POST", "https://x.test/x");
  empty.mutable_api()->set_content_type("text/xml");
  sent = Send(empty, "{}");
  ExpectParked(sent);
  EXPECT_EQ(sent.request.body, "");
}

TEST(ApiRequestTest, RawBodyIsSentAsItIs) {
  schema::Logic config = ApiLogic("POST", "https://x.test/r");
  config.mutable_api()->set_format("raw");
  config.mutable_api()->set_raw_body("{{payload}}");
  config.mutable_api()->set_content_type("text/plain");  // any type goes with raw
  Sent sent = Send(config, R"j({"payload":{"b":[1, 2],"a":"x"}})j");
  EXPECT_EQ(sent.request.body, R"j({"b":[1,2],"a":"x"})j");
  EXPECT_THAT(sent.request.headers, ElementsAre(Pair("Content-Type", "text/plain")));

  config.mutable_api()->set_raw_body("id={{id}}&n={{n}}");
  config.mutable_api()->clear_content_type();
  sent = Send(config, R"j({"id":"a b","n":5})j");
  EXPECT_EQ(sent.request.body, "id=a b&n=5");
  EXPECT_THAT(sent.request.headers, ElementsAre(Pair("Content-Type", "application/json")));

  config.mutable_api()->set_raw_body("{{n}}");
  sent = Send(config, R"j({"n":12.50})j");
  EXPECT_EQ(sent.request.body, "12.5");
}

TEST(ApiRequestTest, RawGetSendsABodyOnlyWhenThereIsOne) {
  schema::Logic config = ApiLogic("GET", "https://x.test/g", {{"q", "1", kString}});
  config.mutable_api()->set_format("raw");
  config.mutable_api()->set_raw_body("{{requestBody}}");
  Sent sent = Send(config, R"j({"requestBody":"{\"a\":1}"})j");
  EXPECT_EQ(sent.request.url, "https://x.test/g?q=1");
  EXPECT_EQ(sent.request.body, R"j({"a":1})j");
  EXPECT_THAT(sent.request.headers, ElementsAre(Pair("Content-Type", "application/json")));
  sent = Send(config, "{}");
  EXPECT_EQ(sent.request.body, "");
  EXPECT_THAT(sent.request.headers, IsEmpty());
}

TEST(ApiRequestTest, ExtraHeadersAreTemplates) {
  schema::Logic config = ApiLogic("POST", "https://x.test/h");
  AddHeader(&config, "Authorization", "Bearer {{token}}");
  AddHeader(&config, "X-Count", "{{n}}");
  Sent sent = Send(config, R"j({"token":"t0k","n":3})j");
  EXPECT_THAT(sent.request.headers,
              ElementsAre(Pair("Content-Type", "application/json"),
                          Pair("Authorization", "Bearer t0k"), Pair("X-Count", "3")));

  // A Content-Type of the process's own (any case, even empty) replaces ours.
  AddHeader(&config, "content-type", "");
  sent = Send(config, R"j({"token":"t0k","n":3})j");
  EXPECT_THAT(sent.request.headers, ElementsAre(Pair("Authorization", "Bearer t0k"),
                                                Pair("X-Count", "3"), Pair("content-type", "")));
}

TEST(ApiRequestTest, AHeaderValueWithALineBreakIsABindError) {
  schema::Logic config = ApiLogic("POST", "https://x.test/h");
  AddHeader(&config, "X-Evil", "{{v}}");
  Sent sent = Send(config, R"j({"v":"a\r\nHost: evil"})j");
  ExpectFail(sent.result, true, "api_bind_error", "extra_headers \"X-Evil\"");
}

TEST(ApiRequestTest, SendSysSignsTheJsonBody) {
  schema::Logic config = ApiLogic("POST", "https://x.test/s?k=1", {{"x", "1", kString}});
  config.mutable_api()->set_send_sys(true);
  config.mutable_api()->set_api_secret_outer("s3cr3t");
  Sent sent = Send(config, "{}", [](FakeTask& task) {
    task.env.now = absl::FromUnixSeconds(1700000000);
    task.ref_value = "r1";
  });
  ExpectParked(sent);
  const std::string body =
      R"j({"x":"1","sys":{"ref":"r1","obj_id":"65a1b2c3d4e5f60718293a4b","conv_id":42,"node_id":"a"}})j";
  EXPECT_EQ(sent.request.body, body);
  // sha1("1700000000" + "s3cr3t" + body + "s3cr3t"), computed independently.
  EXPECT_EQ(sent.request.url,
            "https://x.test/s?k=1&conv_signature=2b7c8fd5a31d745d6344ae2eda31c302a762e4aa"
            "&conv_time=1700000000&conv_id=42");
  EXPECT_THAT(sent.request.headers, ElementsAre(Pair("Content-Type", "application/json"),
                                                Pair("X-Corezoid-TaskID", kObjId)));
}

TEST(ApiRequestTest, SendSysOnAQueryRequestSignsAnEmptyBody) {
  schema::Logic config = ApiLogic("GET", "https://x.test/s", {{"sys", "mine", kString}});
  config.mutable_api()->set_send_sys(true);
  config.mutable_api()->set_api_secret_outer("s3cr3t");
  Sent sent =
      Send(config, "{}", [](FakeTask& task) { task.env.now = absl::FromUnixSeconds(1700000000); });
  // sha1("1700000000s3cr3ts3cr3t"); no `sys` object in a query.
  EXPECT_EQ(sent.request.url,
            "https://x.test/s?sys=mine&conv_signature=f3050f066885b07992fdad127cb394b156eb9749"
            "&conv_time=1700000000&conv_id=42");
  EXPECT_EQ(sent.request.body, "");
  EXPECT_THAT(sent.request.headers, ElementsAre(Pair("X-Corezoid-TaskID", kObjId)));
}

TEST(ApiRequestTest, SendSysReplacesAnExtraSysAndWritesANullRef) {
  schema::Logic config = ApiLogic("POST", "https://x.test/s", {{"sys", "mine", kString}});
  config.mutable_api()->set_send_sys(true);
  Sent sent = Send(config, "{}");
  EXPECT_EQ(
      sent.request.body,
      R"j({"sys":{"ref":null,"obj_id":"65a1b2c3d4e5f60718293a4b","conv_id":42,"node_id":"a"}})j");
}

TEST(ApiRequestTest, ConveyorFormatPostsTheOpsEnvelope) {
  schema::Logic config = ApiLogic("GET", "https://api.test/api/1/json/public/9/h",
                                  {{"k", "{{name}}", kString}, {"n", "2", kNumber}});
  config.mutable_api()->set_format("conveyor");
  Sent sent = Send(config, R"j({"name":"Bob","deep":{"a":[1]}})j",
                   [](FakeTask& task) { task.ref_value = "r7"; });
  ExpectParked(sent);
  EXPECT_EQ(sent.request.method, "POST");
  EXPECT_EQ(sent.request.url, "https://api.test/api/1/json/public/9/h");
  EXPECT_EQ(sent.request.body,
            R"j({"ops":[{"ref":"r7","type":"data","obj_id":"65a1b2c3d4e5f60718293a4b",)j"
            R"j("conv_id":42,"node_id":"a","data":{"name":"Bob","deep":{"a":[1]}},)j"
            R"j("extra":{"k":"Bob","n":2}}]})j");
  EXPECT_THAT(sent.request.headers, ElementsAre(Pair("Content-Type", "application/json")));
}

TEST(ApiRequestTest, ClientCertificateAndThreads) {
  schema::Logic config = ApiLogic("POST", "https://x.test/c");
  const std::string pem =
      "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
      "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
  config.mutable_api()->set_cert_pem(pem);
  config.mutable_api()->set_max_threads(11);
  Sent sent = Send(config, "{}");
  EXPECT_EQ(sent.request.client_cert_pem, pem);
  EXPECT_EQ(sent.max_in_flight, 11);
}

TEST(ApiRequestTest, AnExtraValueThatDoesNotConvertFails) {
  Sent sent =
      Send(ApiLogic("POST", "https://x.test/", {{"n", "{{s}}", kNumber}}), R"j({"s":"abc"})j");
  ExpectFail(sent.result, false, "api_wrong_convert_param",
             "Param: n, Value: abc, Try convert to: number");
  EXPECT_EQ(sent.max_in_flight, -1);
  sent = Send(ApiLogic("POST", "https://x.test/", {{"{{k}}", "1", kString}}), R"j({"k":"a..b"})j");
  ExpectFail(sent.result, false, "api_wrong_convert_param", "Param: a..b");
}

TEST(ApiRequestTest, WithoutAnErrNodeTheFailureStopsTheTask) {
  schema::Logic config = ApiLogic("GET", "{{url}}");
  config.mutable_api()->clear_err_node_id();
  Sent sent = Send(config, "{}");
  EXPECT_EQ(sent.result.kind, LogicResult::Kind::kFail);
  EXPECT_FALSE(sent.result.node.valid());
}

// ---------------------------------------------------------------------------
// Deploy.

TEST(ApiDeployTest, ErrorsNameTheField) {
  EXPECT_THAT(DeployError(ApiLogic("FETCH", "https://x.test/")),
              HasSubstr("method \"FETCH\" is not GET, POST, PUT, DELETE, HEAD or PATCH"));
  schema::Logic config = ApiLogic("POST", "https://x.test/");
  config.mutable_api()->set_format("soap");
  EXPECT_THAT(DeployError(config), HasSubstr("format \"soap\""));

  config = ApiLogic("POST", "https://x.test/");
  config.mutable_api()->set_content_type("text/plain");
  EXPECT_THAT(DeployError(config), HasSubstr("content_type \"text/plain\""));
  config.mutable_api()->set_method("GET");  // no body: any content_type
  FakeBuilder builder;
  EXPECT_TRUE(Build(config, builder).ok());

  EXPECT_THAT(DeployError(ApiLogic("POST", "https://x.test/{{a..b}}")), HasSubstr("url: "));
  EXPECT_THAT(DeployError(ApiLogic("POST", "https://x.test/$.nope(1)")),
              HasSubstr("unknown function $.nope"));
  EXPECT_THAT(DeployError(ApiLogic("POST", "https://x.test/", {{"a..b", "1", kString}})),
              HasSubstr("extra key \"a..b\""));
  EXPECT_THAT(DeployError(ApiLogic("POST", "https://x.test/", {{"a", "{{}}", kString}})),
              HasSubstr("extra.a"));

  config = ApiLogic("POST", "https://x.test/");
  AddHeader(&config, "Bad Header", "1");
  EXPECT_THAT(DeployError(config), HasSubstr("extra_headers \"Bad Header\": not an HTTP header"));
  config = ApiLogic("POST", "https://x.test/");
  AddHeader(&config, "X-A", "{{}}");
  EXPECT_THAT(DeployError(config), HasSubstr("extra_headers \"X-A\""));

  config = ApiLogic("POST", "https://x.test/");
  config.mutable_api()->set_format("raw");
  config.mutable_api()->set_raw_body("{{}}");
  EXPECT_THAT(DeployError(config), HasSubstr("raw_body: "));

  config = ApiLogic("POST", "https://x.test/");
  config.mutable_api()->set_max_threads(-1);
  EXPECT_THAT(DeployError(config), HasSubstr("max_threads -1"));

  config = ApiLogic("POST", "https://x.test/");
  config.mutable_api()->set_cert_pem("not a certificate");
  EXPECT_THAT(DeployError(config), HasSubstr("cert_pem"));

  config = ApiLogic("POST", "https://x.test/");
  config.mutable_api()->set_err_node_id("nowhere");
  EXPECT_THAT(DeployError(config), HasSubstr("nowhere"));

  config = ApiLogic("POST", "https://x.test/");
  config.mutable_api()->set_customize_response(true);
  AddResponse(&config, "a..b", "{{body}}", kObject);
  EXPECT_THAT(DeployError(config), HasSubstr("response key \"a..b\""));
  config = ApiLogic("POST", "https://x.test/");
  config.mutable_api()->set_customize_response(true);
  AddResponse(&config, "a", "{{body.}}", kObject);
  EXPECT_THAT(DeployError(config), HasSubstr("response.a"));
}

TEST(ApiDeployTest, RegisteredAsApi) {
  LogicRegistry registry;
  ASSERT_TRUE(logics::RegisterBuiltinLogics(registry).ok());
  const LogicFactory* factory = registry.Find("api");
  ASSERT_NE(factory, nullptr);
  EXPECT_EQ(factory->type(), "api");
  FakeBuilder builder;
  std::unique_ptr<Logic> logic = MustBuild(ApiLogic("POST", "https://x.test/"), builder);
  ASSERT_NE(logic, nullptr);
  EXPECT_EQ(logic->error_family(), "api");
  EXPECT_EQ(logic->error_node().index, kErrNode);
}

// ---------------------------------------------------------------------------
// Answers.

const schema::Logic& Plain() {
  static const schema::Logic* config = new schema::Logic(ApiLogic("POST", "https://x.test/"));
  return *config;
}

TEST(ApiResponseTest, AnObjectIsMergedIntoTheTask) {
  Received got =
      Receive(Plain(), "{}",
              Answer(200, R"j({"id":7,"a.b":"x","nested":{"k":[1,2]},"big":12345678901234567})j",
                     "application/json"));
  EXPECT_EQ(got.result.kind, LogicResult::Kind::kNext);
  EXPECT_THAT(got.writes, ElementsAre("id=7", "a\\.b=\"x\"", R"j(nested={"k":[1,2]})j",
                                      "big=12345678901234567"));
  EXPECT_EQ(got.requests_sent, 0u);  // the second run sends nothing
}

TEST(ApiResponseTest, SuccessCodesAre200To202) {
  for (int code : {200, 201, 202}) {
    Received got = Receive(Plain(), "{}", Answer(code, R"j({"ok":true})j"));
    EXPECT_EQ(got.result.kind, LogicResult::Kind::kNext) << code;
    EXPECT_THAT(got.writes, ElementsAre("ok=true"));
  }
}

TEST(ApiResponseTest, AnArrayIsStoredWhole) {
  Received got = Receive(Plain(), "{}", Answer(200, R"j([1,{"a":2}])j"));
  EXPECT_EQ(got.result.kind, LogicResult::Kind::kNext);
  EXPECT_THAT(got.writes, ElementsAre(R"j(__conveyor_api_array__=[1,{"a":2}])j"));
}

TEST(ApiResponseTest, XmlIsConvertedAndMerged) {
  Received got =
      Receive(Plain(), "{}", Answer(200, R"x(<r a="1"><x>1</x><x>2</x><y/></r>)x", "text/xml"));
  EXPECT_EQ(got.result.kind, LogicResult::Kind::kNext);
  EXPECT_THAT(got.writes, ElementsAre(R"j(r={"@a":"1","x":["1","2"],"y":""})j"));

  // No Content-Type: XML when the request was.
  schema::Logic xml = ApiLogic("POST", "https://x.test/");
  xml.mutable_api()->set_content_type("application/soap+xml");
  got = Receive(xml, "{}", Answer(200, "<r>1</r>"));
  EXPECT_THAT(got.writes, ElementsAre("r=\"1\""));
  got = Receive(Plain(), "{}", Answer(200, "<r>1</r>"));
  EXPECT_EQ(got.result.kind, LogicResult::Kind::kGoTo);  // read as JSON: not valid
}

TEST(ApiResponseTest, AnEmptyBodyWritesNothing) {
  Received got = Receive(Plain(), "{}", Answer(202, ""));
  EXPECT_EQ(got.result.kind, LogicResult::Kind::kNext);
  EXPECT_THAT(got.writes, IsEmpty());
  got = Receive(Plain(), "{}", Answer(200, " \n"));
  EXPECT_EQ(got.result.kind, LogicResult::Kind::kNext);
  EXPECT_THAT(got.writes, IsEmpty());

  schema::Logic rfc = ApiLogic("POST", "https://x.test/");
  rfc.mutable_api()->set_rfc_format(true);
  got = Receive(rfc, "{}", Answer(202, ""));
  EXPECT_EQ(got.result.kind, LogicResult::Kind::kNext);
  got = Receive(rfc, "{}", Answer(201, ""));
  EXPECT_EQ(got.result.kind, LogicResult::Kind::kGoTo);
  EXPECT_EQ(got.writes,
            ErrorWrites("software", "api_no_valid_json", "the answer has no body", 201));
  schema::Logic head = ApiLogic("HEAD", "https://x.test/");
  head.mutable_api()->set_rfc_format(true);
  got = Receive(head, "{}", Answer(200, ""));
  EXPECT_EQ(got.result.kind, LogicResult::Kind::kNext);
}

TEST(ApiResponseTest, ABodyThatIsNotJsonGoesToTheErrNodeWithTheHttpCode) {
  Received got = Receive(Plain(), R"j({"keep":1})j", Answer(200, "<html>oops</html>"));
  EXPECT_EQ(got.result.kind, LogicResult::Kind::kGoTo);
  EXPECT_EQ(got.result.node.index, kErrNode);
  ASSERT_EQ(got.writes.size(), 4u);
  EXPECT_EQ(got.writes[0], "__conveyor_api_return_type_error__=\"software\"");
  EXPECT_EQ(got.writes[1], "__conveyor_api_return_type_tag__=\"api_no_valid_json\"");
  EXPECT_THAT(got.writes[2], HasSubstr("the body is not valid JSON ("));
  EXPECT_THAT(got.writes[2], HasSubstr("): <html>oops</html>"));
  EXPECT_EQ(got.writes[3], "__conveyor_api_return_http_code__=200");

  got = Receive(Plain(), "{}", Answer(200, "42"));
  EXPECT_EQ(got.result.kind, LogicResult::Kind::kGoTo);
  EXPECT_THAT(got.writes[2], HasSubstr("a JSON number, not an object or array"));

  schema::Logic no_err = ApiLogic("POST", "https://x.test/");
  no_err.mutable_api()->clear_err_node_id();
  got = Receive(no_err, "{}", Answer(200, "oops"));
  ExpectFail(got.result, false, "api_no_valid_json", "not valid JSON", NodeHandle::kNone);
  EXPECT_THAT(got.writes, IsEmpty());
}

TEST(ApiResponseTest, AnEmptyKeyCannotBeMerged) {
  Received got = Receive(Plain(), "{}", Answer(200, R"j({"a":1,"":2})j"));
  EXPECT_EQ(got.result.kind, LogicResult::Kind::kGoTo);
  EXPECT_EQ(got.writes, ErrorWrites("software", "api_bad_answer",
                                    "the answer has the key \\\"\\\", which cannot be a task "
                                    "parameter",
                                    200));
}

TEST(ApiResponseTest, OtherCodesAreBadAnswersWithTheHttpCode) {
  Received got = Receive(Plain(), "{}", Answer(500, R"j({"textError":"boom","codeError":"E1"})j"));
  EXPECT_EQ(got.result.kind, LogicResult::Kind::kGoTo);
  EXPECT_EQ(got.result.node.index, kErrNode);
  EXPECT_EQ(got.writes, Concat({"textError=\"boom\"", "codeError=\"E1\""},
                               ErrorWrites("software", "api_bad_answer", "HTTP 500", 500)));

  for (int code : {204, 301, 404, 429}) {
    got = Receive(Plain(), "{}", Answer(code, "not json"));
    EXPECT_EQ(got.result.kind, LogicResult::Kind::kGoTo) << code;
    EXPECT_EQ(got.writes,
              ErrorWrites("software", "api_bad_answer", "HTTP " + std::to_string(code), code));
  }

  schema::Logic no_err = ApiLogic("POST", "https://x.test/");
  no_err.mutable_api()->clear_err_node_id();
  got = Receive(no_err, "{}", Answer(404, "{}"));
  ExpectFail(got.result, false, "api_bad_answer", "HTTP 404", NodeHandle::kNone);
}

TEST(ApiResponseTest, ExchangesWithoutAnAnswer) {
  auto check = [](const absl::Status& status, bool hardware, const std::string& tag,
                  const std::string& description) {
    Received got = Receive(Plain(), "{}", status);
    ExpectFail(got.result, hardware, tag, description);
    EXPECT_EQ(got.result.description, description);
    EXPECT_THAT(got.writes, IsEmpty());
  };
  check(absl::AbortedError("no turn within 60 s"), true, "api_expire_query", "no turn within 60 s");
  check(absl::UnavailableError("connection refused"), false, "api_bad_answer",
        "failed_connect: connection refused");
  check(absl::DeadlineExceededError("after 60 s"), false, "api_bad_answer", "timeout");
  check(absl::PermissionDeniedError("127.0.0.1 is loopback"), false, "api_bad_answer",
        "refused_address: 127.0.0.1 is loopback");
  check(absl::InvalidArgumentError("malformed URL"), false, "api_bad_answer", "malformed URL");
  check(absl::ResourceExhaustedError("more than 5242880 bytes"), false, "api_bad_answer",
        "response too large: more than 5242880 bytes");
  check(absl::InternalError("curl said no"), true, "api_fatal_error", "curl said no");
}

schema::Logic Customized() {
  schema::Logic config = ApiLogic("POST", "https://x.test/");
  config.mutable_api()->set_customize_response(true);
  return config;
}

TEST(ApiResponseTest, CustomizedResponseWritesOnlyItsMapping) {
  schema::Logic config = Customized();
  AddResponse(&config, "out.id", "{{body.data.id}}", kNumber);
  AddResponse(&config, "ct", "{{header.content-type}}", kString);
  AddResponse(&config, "whole", "{{body}}", kObject);
  AddResponse(&config, "{{target}}", "{{body.data}}", kObject);
  AddResponse(&config, "list", "{{body.data}}", kArray);
  AddResponse(&config, "missing", "{{body.nope}}", kString);
  AddResponse(&config, "headers", "{{header}}", kObject);
  AddResponse(&config, "text", "id={{body.data.id}}", kString);
  Received got =
      Receive(config, R"j({"target":"dyn"})j",
              Answer(201, R"j({"data":{"id":"17"},"other":1})j", "application/json",
                     {{"Content-Type", "application/json"}, {"X-A", "1"}, {"x-a", "2"}}));
  EXPECT_EQ(got.result.kind, LogicResult::Kind::kNext);
  EXPECT_THAT(got.writes,
              ElementsAre("out.id=17", "ct=\"application/json\"",
                          R"j(whole={"data":{"id":"17"},"other":1})j", R"j(dyn={"id":"17"})j",
                          R"j(list=[{"id":"17"}])j", "missing=\"\"",
                          R"j(headers={"content-type":"application/json","x-a":"1, 2"})j",
                          "text=\"id=17\""));
}

TEST(ApiResponseTest, CustomizedResponseReadsTextAndXmlBodies) {
  schema::Logic config = Customized();
  AddResponse(&config, "raw", "{{body}}", kString);
  Received got = Receive(config, "{}", Answer(200, "plain \"text\"", "text/plain"));
  EXPECT_THAT(got.writes, ElementsAre(R"j(raw="plain \"text\"")j"));

  config = Customized();
  AddResponse(&config, "v", "{{body.r.v}}", kNumber);
  got = Receive(config, "{}", Answer(200, "<r><v>5</v></r>", "application/xml"));
  EXPECT_THAT(got.writes, ElementsAre("v=5"));
}

TEST(ApiResponseTest, CustomizedResponseIsAllOrNothing) {
  schema::Logic config = Customized();
  AddResponse(&config, "first", "{{body.a}}", kString);
  AddResponse(&config, "n", "{{body.name}}", kNumber);
  Received got = Receive(config, "{}", Answer(200, R"j({"a":"x","name":"Bob"})j"));
  EXPECT_EQ(got.result.kind, LogicResult::Kind::kGoTo);
  EXPECT_EQ(got.writes, ErrorWrites("software", "api_wrong_convert_param",
                                    "Param: n, Value: Bob, Try convert to: number", 200));

  config = Customized();
  AddResponse(&config, "{{k}}", "1", kString);
  got = Receive(config, R"j({"k":""})j", Answer(200, "{}"));
  EXPECT_EQ(got.result.kind, LogicResult::Kind::kGoTo);
  EXPECT_THAT(got.writes[1], HasSubstr("api_wrong_convert_param"));
}

TEST(ApiResponseTest, CustomizedResponseStillFailsOnErrorCodes) {
  schema::Logic config = Customized();
  AddResponse(&config, "body", "{{body}}", kObject);
  Received got = Receive(config, "{}", Answer(503, R"j({"e":1})j"));
  EXPECT_EQ(got.result.kind, LogicResult::Kind::kGoTo);
  EXPECT_EQ(got.writes, ErrorWrites("software", "api_bad_answer", "HTTP 503", 503));
}

TEST(ApiResponseTest, DebugInfo) {
  schema::Logic config = ApiLogic("POST", "https://x.test/", {{"a", "1", kString}});
  config.mutable_api()->set_debug_info(true);
  const std::string body = R"j({"r":true})j";
  Received got = Receive(config, "{}", Answer(200, body));
  EXPECT_EQ(got.result.kind, LogicResult::Kind::kNext);
  // The request body was {"a":"1"}: 9 bytes.
  EXPECT_THAT(got.writes,
              ElementsAre("r=true", R"j(__conveyor_api_debug__={"http_exec_time":1234,)j"
                                    R"j("http_req_body_size":9,"http_res_code":200,)j"
                                    R"j("http_res_body_size":10})j"));
  got = Receive(config, "{}", Answer(400, ""));
  EXPECT_EQ(got.result.kind, LogicResult::Kind::kGoTo);
  EXPECT_EQ(got.writes,
            Concat({R"j(__conveyor_api_debug__={"http_exec_time":1234,"http_req_body_size":9,)j"
                    R"j("http_res_code":400,"http_res_body_size":0})j"},
                   ErrorWrites("software", "api_bad_answer", "HTTP 400", 400)));
}

schema::Logic Conveyor() {
  schema::Logic config = ApiLogic("POST", "https://api.test/api/1/json/public/9/h");
  config.mutable_api()->set_format("conveyor");
  return config;
}

TEST(ApiResponseTest, ConveyorResDataIsMerged) {
  Received got = Receive(Conveyor(), "{}",
                         Answer(200, R"j({"request_proc":"ok","ops":[{"proc":"ok",)j"
                                     R"j("res_data":{"x":1,"o":{"k":"v"}}}]})j"));
  EXPECT_EQ(got.result.kind, LogicResult::Kind::kNext);
  EXPECT_THAT(got.writes, ElementsAre("x=1", R"j(o={"k":"v"})j"));
}

TEST(ApiResponseTest, ConveyorErrors) {
  auto check = [](const std::string& body, const std::string& tag) {
    Received got = Receive(Conveyor(), "{}", Answer(200, body));
    EXPECT_EQ(got.result.kind, LogicResult::Kind::kGoTo) << body;
    ASSERT_EQ(got.writes.size(), 4u) << body;
    EXPECT_EQ(got.writes[1], "__conveyor_api_return_type_tag__=\"" + tag + "\"") << body;
    EXPECT_EQ(got.writes[3], "__conveyor_api_return_http_code__=200");
  };
  check("not json", "api_no_valid_json");
  check(R"j({"ops":[]})j", "api_no_request_proc");
  check(R"j({"request_proc":"format_error"})j", "api_no_request_proc");
  check(R"j({"request_proc":"ok"})j", "api_no_ops");
  check(R"j({"request_proc":"ok","ops":[]})j", "api_no_ops");
  check(R"j({"request_proc":"ok","ops":[{"proc":"error","description":"x"}]})j",
        "api_bad_res_data");
  check(R"j({"request_proc":"ok","ops":[{"proc":"ok","res_data":"x"}]})j", "api_bad_res_data");
  // An error code is a bad answer before the envelope is read.
  Received got = Receive(Conveyor(), "{}", Answer(502, R"j({"request_proc":"ok"})j"));
  EXPECT_EQ(got.writes, ErrorWrites("software", "api_bad_answer", "HTTP 502", 502));
}

// The two runs of one call, as the engine drives them.
TEST(ApiFlowTest, SendThenReceive) {
  FakeBuilder builder;
  std::unique_ptr<Logic> logic =
      MustBuild(ApiLogic("POST", "https://x.test/{{id}}", {{"a", "{{a}}", kString}}), builder);
  ASSERT_NE(logic, nullptr);
  std::unique_ptr<FakeTask> task = NewTask(R"j({"id":"7","a":"x"})j");
  LogicResult first = logic->Run(*task);
  EXPECT_EQ(first.kind, LogicResult::Kind::kPark);
  ASSERT_EQ(task->http_sent.size(), 1u);
  EXPECT_EQ(task->http_sent[0].url, "https://x.test/7");
  task->http_result = Answer(200, R"j({"b":2})j");
  LogicResult second = logic->Run(*task);
  EXPECT_EQ(second.kind, LogicResult::Kind::kNext);
  EXPECT_EQ(task->http_sent.size(), 1u);
  EXPECT_THAT(task->writes, ElementsAre("b=2"));
}

// One compiled logic serves many tasks at once (Logic::Run is const).
TEST(ApiFlowTest, ConcurrentTasksShareTheLogic) {
  schema::Logic config = ApiLogic("POST", "https://x.test/{{id}}", {{"a", "{{id}}", kNumber}});
  config.mutable_api()->set_customize_response(true);
  config.mutable_api()->set_debug_info(true);
  AddResponse(&config, "got", "{{body.n}}", kNumber);
  FakeBuilder builder;
  std::unique_ptr<Logic> logic = MustBuild(config, builder);
  ASSERT_NE(logic, nullptr);
  constexpr int kThreads = 4;
  constexpr int kRounds = 200;
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        const std::string id = std::to_string(t * kRounds + i);
        std::unique_ptr<FakeTask> task = NewTask(R"j({"id":)j" + id + "}");
        if (logic->Run(*task).kind != LogicResult::Kind::kPark || task->http_sent.size() != 1 ||
            task->http_sent[0].url != "https://x.test/" + id ||
            task->http_sent[0].body != R"j({"a":)j" + id + "}") {
          ++failures[t];
          continue;
        }
        task->http_result = Answer(200, R"j({"n":)j" + id + "}");
        if (logic->Run(*task).kind != LogicResult::Kind::kNext || task->writes.size() != 2 ||
            task->writes[0] != "got=" + id) {
          ++failures[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(failures, ::testing::Each(0));
}

}  // namespace
}  // namespace convey
