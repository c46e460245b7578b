// The `api` logic against a fake task: the request each configuration
// builds (first run), and what each answer does (second run, with
// FakeTask::http_result), including every error tag.
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/logics/fakes.h"
#include "tests/logics/logic_testing.h"
#include "tests/support/status_matchers.h"

namespace convey {
namespace {

using testing::Build;
using testing::DeployError;
using ::testing::ElementsAre;
using testing::FakeBuilder;
using testing::FakeTask;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::IsOk;
using testing::MustBuild;
using ::testing::Pair;

constexpr uint32_t kErrNode = 2;

constexpr char kObjId[] = "65a1b2c3d4e5f60718293a4b";

// An api logic object with `fields` (JSON members, without braces) and
// `"err_node_id":"err"` unless `err_node` is false.
std::string ApiLogic(const std::string& fields, bool err_node = true) {
  std::string json = R"j({"type":"api")j";
  if (!fields.empty()) json += "," + fields;
  if (err_node) json += R"j(,"err_node_id":"err")j";
  return json + "}";
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

Sent Send(const std::string& config, const std::string& data,
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

Received Receive(const std::string& config, const std::string& data,
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
  const std::string config = ApiLogic(
      R"j("method":"POST","url":"https://x.test/orders",)j"
      R"j("extra":{"amount":"{{amount}}","name":"{{name}}","a.b":"1","tags":"{{tags}}"},)j"
      R"j("extra_type":{"amount":"number","name":"string","a.b":"string","tags":"array"},)j"
      R"j("max_threads":5)j");
  Sent sent = Send(config, R"j({"amount":"150","name":"Bob","tags":["x"]})j");
  ExpectParked(sent);
  EXPECT_EQ(sent.request.method, "POST");
  EXPECT_EQ(sent.request.url, "https://x.test/orders");
  EXPECT_EQ(sent.request.body, R"j({"amount":150,"name":"Bob","a":{"b":"1"},"tags":["x"]})j");
  EXPECT_THAT(sent.request.headers, ElementsAre(Pair("Content-Type", "application/json")));
  EXPECT_EQ(sent.max_in_flight, 5);
  EXPECT_EQ(sent.request.client_cert_pem, "");
}

TEST(ApiRequestTest, NoMethodIsPostAndJsonTypesKeepTheirContentType) {
  const std::string config =
      ApiLogic(R"j("url":"https://x.test/","content_type":"application/vnd.api+json",)j"
               R"j("extra":{"k":"v"},"extra_type":{"k":"string"})j");
  Sent sent = Send(config, "{}");
  EXPECT_EQ(sent.request.method, "POST");
  EXPECT_EQ(sent.request.body, R"j({"k":"v"})j");
  EXPECT_THAT(sent.request.headers, ElementsAre(Pair("Content-Type", "application/vnd.api+json")));
  EXPECT_EQ(sent.max_in_flight, 0);  // the engine's default
}

TEST(ApiRequestTest, MethodsAreUpperCased) {
  Sent sent = Send(ApiLogic(R"j("method":"put","url":"https://x.test/")j"), "{}");
  EXPECT_EQ(sent.request.method, "PUT");
  sent = Send(ApiLogic(R"j("method":"Get","url":"https://x.test/")j"), "{}");
  EXPECT_EQ(sent.request.method, "GET");
}

TEST(ApiRequestTest, GetSendsExtraAsAnEncodedQuery) {
  const std::string config = ApiLogic(
      R"j("method":"GET","url":"https://x.test/search?fixed=1","content_type":"application/json",)j"
      R"j("extra":{"q":"{{q}}","n":"{{n}}","filter":"{{filter}}","k y":""},)j"
      R"j("extra_type":{"q":"string","n":"number","filter":"object","k y":"string"})j");
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
  Sent sent = Send(ApiLogic(R"j("method":"GET","url":"https://x.test/a#f")j"), "{}");
  EXPECT_EQ(sent.request.url, "https://x.test/a#f");
}

TEST(ApiRequestTest, HeadAndDeleteWithoutContentTypeUseTheQuery) {
  Sent head = Send(ApiLogic(R"j("method":"HEAD","url":"https://x.test/h",)j"
                            R"j("extra":{"a":"1"},"extra_type":{"a":"string"})j"),
                   "{}");
  EXPECT_EQ(head.request.method, "HEAD");
  EXPECT_EQ(head.request.url, "https://x.test/h?a=1");
  EXPECT_EQ(head.request.body, "");

  Sent del = Send(ApiLogic(R"j("method":"DELETE","url":"https://x.test/d",)j"
                           R"j("extra":{"id":"7"},"extra_type":{"id":"string"})j"),
                  "{}");
  EXPECT_EQ(del.request.method, "DELETE");
  EXPECT_EQ(del.request.url, "https://x.test/d?id=7");
  EXPECT_EQ(del.request.body, "");
  EXPECT_THAT(del.request.headers, IsEmpty());

  Sent with_body = Send(ApiLogic(R"j("method":"DELETE","url":"https://x.test/d",)j"
                                 R"j("content_type":"application/json",)j"
                                 R"j("extra":{"id":"7"},"extra_type":{"id":"string"})j"),
                        "{}");
  EXPECT_EQ(with_body.request.url, "https://x.test/d");
  EXPECT_EQ(with_body.request.body, R"j({"id":"7"})j");
}

TEST(ApiRequestTest, PutAndPatchSendBodies) {
  for (const char* name : {"PUT", "PATCH"}) {
    const std::string method = name;
    Sent sent = Send(ApiLogic(R"j("method":")j" + method + R"j(","url":"https://x.test/p",)j" +
                              R"j("extra":{"a":"1"},"extra_type":{"a":"number"})j"),
                     "{}");
    EXPECT_EQ(sent.request.method, method);
    EXPECT_EQ(sent.request.body, R"j({"a":1})j");
  }
}

TEST(ApiRequestTest, UrlValuesAreEncodedWhenTheHostIsLiteral) {
  Sent sent = Send(
      ApiLogic(R"j("method":"GET","url":"https://x.test/reply/{{id}}?n={{n}}&t=$.math(1+2)")j"),
      R"j({"id":"a/b c","n":"1&2=3"})j");
  EXPECT_EQ(sent.request.url, "https://x.test/reply/a%2Fb%20c?n=1%262%3D3&t=3");
  // A literal part is sent as written, an unclosed "{{" is text.
  sent = Send(ApiLogic(R"j("method":"GET","url":"https://x.test/a b/{{url}")j"), "{}");
  EXPECT_EQ(sent.request.url, "https://x.test/a b/{{url}");
}

TEST(ApiRequestTest, AUrlBuiltByTheProcessIsUrlText) {
  Sent sent = Send(ApiLogic(R"j("method":"GET","url":"{{base}}{{path}}")j"),
                   R"j({"base":"https://x.test","path":"/v1/items?id=7&q=a b"})j");
  EXPECT_EQ(sent.request.url, "https://x.test/v1/items?id=7&q=a%20b");
  sent = Send(ApiLogic(R"j("method":"POST","url":"{{env}}/charge/{{id}}")j"),
              R"j({"env":"http://pay.test","id":"c/1"})j");
  EXPECT_EQ(sent.request.url, "http://pay.test/charge/c/1");
  // The host itself is a value: the values are URL text.
  sent = Send(ApiLogic(R"j("method":"GET","url":"https://{{host}}/x/{{id}}")j"),
              R"j({"host":"h.test:8080","id":"1"})j");
  EXPECT_EQ(sent.request.url, "https://h.test:8080/x/1");
}

TEST(ApiRequestTest, AUrlWithoutHttpSchemeFails) {
  auto no_scheme = [](const std::string& url, const std::string& data) {
    Sent sent = Send(ApiLogic(R"j("method":"GET","url":")j" + url + "\""), data);
    ExpectFail(sent.result, false, "api_bad_answer", "no_scheme");
    EXPECT_EQ(sent.result.description, "no_scheme");
    EXPECT_EQ(sent.max_in_flight, -1);  // nothing sent
  };
  no_scheme("{{url}}", R"j({"url":"ftp://x.test"})j");
  no_scheme("{{url}}", "{}");
  no_scheme("", "{}");
  no_scheme("x.test/path", "{}");
  Sent upper = Send(ApiLogic(R"j("method":"GET","url":"HTTPS://X.TEST/")j"), "{}");
  ExpectParked(upper);
}

TEST(ApiRequestTest, FormBody) {
  const std::string config = ApiLogic(R"j("method":"POST","url":"https://x.test/f",)j"
                                      R"j("content_type":"application/x-www-form-urlencoded",)j"
                                      R"j("extra":{"a":"x y","b":"1+1","o":"{{o}}"},)j"
                                      R"j("extra_type":{"a":"string","b":"string","o":"object"})j");
  Sent sent = Send(config, R"j({"o":{"k":1}})j");
  EXPECT_EQ(sent.request.body, "a=x%20y&b=1%2B1&o=%7B%22k%22%3A1%7D");
  EXPECT_EQ(sent.request.url, "https://x.test/f");
  EXPECT_THAT(sent.request.headers,
              ElementsAre(Pair("Content-Type", "application/x-www-form-urlencoded")));
}

TEST(ApiRequestTest, XmlBodyFromTheSingleRootKey) {
  for (const char* name : {"application/xml", "text/xml", "application/soap+xml"}) {
    const std::string type = name;
    const std::string config =
        ApiLogic(R"j("method":"POST","url":"https://x.test/x","content_type":")j" + type +
                 R"j(","extra":{"order":"{{order}}"},"extra_type":{"order":"object"})j");
    Sent sent = Send(config, R"j({"order":{"@id":"7","item":["a","b"],"note":"x & y"}})j");
    EXPECT_EQ(sent.request.body,
              R"x(<?xml version="1.0" encoding="UTF-8"?><order id="7"><item>a</item>)x"
              R"x(<item>b</item><note>x &amp; y</note></order>)x");
    EXPECT_THAT(sent.request.headers, ElementsAre(Pair("Content-Type", type)));
  }
}

TEST(ApiRequestTest, XmlBodyErrorsAreBindErrors) {
  const std::string two =
      ApiLogic(R"j("method":"POST","url":"https://x.test/x","content_type":"application/xml",)j"
               R"j("extra":{"a":"1","b":"2"},"extra_type":{"a":"string","b":"string"})j");
  Sent sent = Send(two, "{}");
  ExpectFail(sent.result, true, "api_bind_error", "one root key");

  const std::string bad =
      ApiLogic(R"j("method":"POST","url":"https://x.test/x","content_type":"text/xml",)j"
               R"j("extra":{"r":"{{r}}"},"extra_type":{"r":"object"})j");
  sent = Send(bad, R"j({"r":{"bad name":1}})j");
  ExpectFail(sent.result, true, "api_bind_error", "\"bad name\" is not an XML element name");

  const std::string empty =
      ApiLogic(R"j("method":"POST","url":"https://x.test/x","content_type":"text/xml")j");
  sent = Send(empty, "{}");
  ExpectParked(sent);
  EXPECT_EQ(sent.request.body, "");
}

TEST(ApiRequestTest, RawBodyIsSentAsItIs) {
  // Any type goes with raw.
  Sent sent = Send(ApiLogic(R"j("method":"POST","url":"https://x.test/r","format":"raw",)j"
                            R"j("raw_body":"{{payload}}","content_type":"text/plain")j"),
                   R"j({"payload":{"b":[1, 2],"a":"x"}})j");
  EXPECT_EQ(sent.request.body, R"j({"b":[1,2],"a":"x"})j");
  EXPECT_THAT(sent.request.headers, ElementsAre(Pair("Content-Type", "text/plain")));

  sent = Send(ApiLogic(R"j("method":"POST","url":"https://x.test/r","format":"raw",)j"
                       R"j("raw_body":"id={{id}}&n={{n}}")j"),
              R"j({"id":"a b","n":5})j");
  EXPECT_EQ(sent.request.body, "id=a b&n=5");
  EXPECT_THAT(sent.request.headers, ElementsAre(Pair("Content-Type", "application/json")));

  sent = Send(ApiLogic(R"j("method":"POST","url":"https://x.test/r","format":"raw",)j"
                       R"j("raw_body":"{{n}}")j"),
              R"j({"n":12.50})j");
  EXPECT_EQ(sent.request.body, "12.5");

  // A raw_body that is not a string is its JSON text.
  sent = Send(ApiLogic(R"j("method":"POST","url":"https://x.test/r","format":"raw",)j"
                       R"j("raw_body":{"a":[1, 2]})j"),
              "{}");
  EXPECT_EQ(sent.request.body, R"j({"a":[1,2]})j");
}

TEST(ApiRequestTest, RawGetSendsABodyOnlyWhenThereIsOne) {
  const std::string config =
      ApiLogic(R"j("method":"GET","url":"https://x.test/g","format":"raw",)j"
               R"j("raw_body":"{{requestBody}}","extra":{"q":"1"},"extra_type":{"q":"string"})j");
  Sent sent = Send(config, R"j({"requestBody":"{\"a\":1}"})j");
  EXPECT_EQ(sent.request.url, "https://x.test/g?q=1");
  EXPECT_EQ(sent.request.body, R"j({"a":1})j");
  EXPECT_THAT(sent.request.headers, ElementsAre(Pair("Content-Type", "application/json")));
  sent = Send(config, "{}");
  EXPECT_EQ(sent.request.body, "");
  EXPECT_THAT(sent.request.headers, IsEmpty());
}

TEST(ApiRequestTest, ExtraHeadersAreTemplates) {
  Sent sent = Send(ApiLogic(R"j("method":"POST","url":"https://x.test/h",)j"
                            R"j("extra_headers":{"Authorization":"Bearer {{token}}",)j"
                            R"j("X-Count":"{{n}}"})j"),
                   R"j({"token":"t0k","n":3})j");
  EXPECT_THAT(sent.request.headers,
              ElementsAre(Pair("Content-Type", "application/json"),
                          Pair("Authorization", "Bearer t0k"), Pair("X-Count", "3")));

  // A Content-Type of the process's own (any case, even empty) replaces ours.
  sent = Send(ApiLogic(R"j("method":"POST","url":"https://x.test/h",)j"
                       R"j("extra_headers":{"Authorization":"Bearer {{token}}",)j"
                       R"j("X-Count":"{{n}}","content-type":""})j"),
              R"j({"token":"t0k","n":3})j");
  EXPECT_THAT(sent.request.headers, ElementsAre(Pair("Authorization", "Bearer t0k"),
                                                Pair("X-Count", "3"), Pair("content-type", "")));
}

TEST(ApiRequestTest, ExtraHeadersAsJsonTextAndNonStringValues) {
  // Older exports write the map as JSON in a string; values are their text.
  Sent sent = Send(ApiLogic(R"j("method":"POST","url":"https://x.test/h",)j"
                            R"j("extra_headers":"{\"X-N\":5,\"X-B\":true}")j"),
                   "{}");
  EXPECT_THAT(sent.request.headers, ElementsAre(Pair("Content-Type", "application/json"),
                                                Pair("X-N", "5"), Pair("X-B", "true")));
}

TEST(ApiRequestTest, AHeaderValueWithALineBreakIsABindError) {
  Sent sent = Send(ApiLogic(R"j("method":"POST","url":"https://x.test/h",)j"
                            R"j("extra_headers":{"X-Evil":"{{v}}"})j"),
                   R"j({"v":"a\r\nHost: evil"})j");
  ExpectFail(sent.result, true, "api_bind_error", "extra_headers \"X-Evil\"");
}

TEST(ApiRequestTest, SendSysSignsTheJsonBody) {
  const std::string config =
      ApiLogic(R"j("method":"POST","url":"https://x.test/s?k=1","send_sys":true,)j"
               R"j("api_secret_outer":"s3cr3t","extra":{"x":"1"},"extra_type":{"x":"string"})j");
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
  // send_sys as the platform sometimes writes booleans: "true".
  const std::string config =
      ApiLogic(R"j("method":"GET","url":"https://x.test/s","send_sys":"true",)j"
               R"j("api_secret_outer":"s3cr3t","extra":{"sys":"mine"},)j"
               R"j("extra_type":{"sys":"string"})j");
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
  const std::string config =
      ApiLogic(R"j("method":"POST","url":"https://x.test/s","send_sys":true,)j"
               R"j("extra":{"sys":"mine"},"extra_type":{"sys":"string"})j");
  Sent sent = Send(config, "{}");
  EXPECT_EQ(
      sent.request.body,
      R"j({"sys":{"ref":null,"obj_id":"65a1b2c3d4e5f60718293a4b","conv_id":42,"node_id":"a"}})j");
}

TEST(ApiRequestTest, ConveyorFormatPostsTheOpsEnvelope) {
  const std::string config =
      ApiLogic(R"j("method":"GET","url":"https://api.test/api/1/json/public/9/h",)j"
               R"j("format":"conveyor","extra":{"k":"{{name}}","n":"2"},)j"
               R"j("extra_type":{"k":"string","n":"number"})j");
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
  const std::string pem =
      "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
      "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
  // The PEM as the file holds it: line breaks escaped; max_threads a string.
  const std::string escaped = R"j(-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n)j"
                              R"j(-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n)j";
  Sent sent = Send(ApiLogic(R"j("method":"POST","url":"https://x.test/c","cert_pem":")j" + escaped +
                            R"j(","max_threads":"11")j"),
                   "{}");
  EXPECT_EQ(sent.request.client_cert_pem, pem);
  EXPECT_EQ(sent.max_in_flight, 11);
}

TEST(ApiRequestTest, AnExtraValueThatDoesNotConvertFails) {
  Sent sent = Send(ApiLogic(R"j("method":"POST","url":"https://x.test/",)j"
                            R"j("extra":{"n":"{{s}}"},"extra_type":{"n":"number"})j"),
                   R"j({"s":"abc"})j");
  ExpectFail(sent.result, false, "api_wrong_convert_param",
             "Param: n, Value: abc, Try convert to: number");
  EXPECT_EQ(sent.max_in_flight, -1);
  sent = Send(ApiLogic(R"j("method":"POST","url":"https://x.test/",)j"
                       R"j("extra":{"{{k}}":"1"},"extra_type":{"{{k}}":"string"})j"),
              R"j({"k":"a..b"})j");
  ExpectFail(sent.result, false, "api_wrong_convert_param", "Param: a..b");
}

TEST(ApiRequestTest, WithoutAnErrNodeTheFailureStopsTheTask) {
  Sent sent = Send(ApiLogic(R"j("method":"GET","url":"{{url}}")j", /*err_node=*/false), "{}");
  EXPECT_EQ(sent.result.kind, LogicResult::Kind::kFail);
  EXPECT_FALSE(sent.result.node.valid());
  // An empty err_node_id is how exports say "no error exit".
  sent = Send(ApiLogic(R"j("method":"GET","url":"{{url}}","err_node_id":"")j", false), "{}");
  EXPECT_EQ(sent.result.kind, LogicResult::Kind::kFail);
  EXPECT_FALSE(sent.result.node.valid());
}

// ---------------------------------------------------------------------------
// Deploy.

TEST(ApiDeployTest, ErrorsNameTheField) {
  const std::string url = R"j("url":"https://x.test/")j";
  EXPECT_THAT(DeployError(ApiLogic(R"j("method":"FETCH",)j" + url)),
              HasSubstr("method \"FETCH\" is not GET, POST, PUT, DELETE, HEAD or PATCH"));
  EXPECT_THAT(DeployError(ApiLogic(R"j("method":"POST","format":"soap",)j" + url)),
              HasSubstr("format \"soap\""));

  EXPECT_THAT(DeployError(ApiLogic(R"j("method":"POST","content_type":"text/plain",)j" + url)),
              HasSubstr("content_type \"text/plain\""));
  FakeBuilder builder;  // no body: any content_type
  EXPECT_THAT(Build(ApiLogic(R"j("method":"GET","content_type":"text/plain",)j" + url), builder),
              IsOk());

  EXPECT_THAT(DeployError(ApiLogic(R"j("method":"POST","url":"https://x.test/{{a..b}}")j")),
              HasSubstr("url: "));
  EXPECT_THAT(DeployError(ApiLogic(R"j("method":"POST","url":"https://x.test/$.nope(1)")j")),
              HasSubstr("unknown function $.nope"));
  EXPECT_THAT(DeployError(ApiLogic(R"j("method":"POST",)j" + url +
                                   R"j(,"extra":{"a..b":"1"},"extra_type":{"a..b":"string"})j")),
              HasSubstr("extra key \"a..b\""));
  EXPECT_THAT(DeployError(ApiLogic(R"j("method":"POST",)j" + url +
                                   R"j(,"extra":{"a":"{{}}"},"extra_type":{"a":"string"})j")),
              HasSubstr("extra.a"));

  EXPECT_THAT(
      DeployError(ApiLogic(R"j("method":"POST","extra_headers":{"Bad Header":"1"},)j" + url)),
      HasSubstr("extra_headers \"Bad Header\": not an HTTP header"));
  EXPECT_THAT(DeployError(ApiLogic(R"j("method":"POST","extra_headers":{"X-A":"{{}}"},)j" + url)),
              HasSubstr("extra_headers \"X-A\""));

  EXPECT_THAT(DeployError(ApiLogic(R"j("method":"POST","format":"raw","raw_body":"{{}}",)j" + url)),
              HasSubstr("raw_body: "));

  EXPECT_THAT(DeployError(ApiLogic(R"j("method":"POST","max_threads":-1,)j" + url)),
              HasSubstr("max_threads -1"));

  EXPECT_THAT(DeployError(ApiLogic(R"j("method":"POST","cert_pem":"not a certificate",)j" + url)),
              HasSubstr("cert_pem"));

  EXPECT_THAT(DeployError(ApiLogic(R"j("method":"POST","err_node_id":"nowhere",)j" + url,
                                   /*err_node=*/false)),
              HasSubstr("nowhere"));

  EXPECT_THAT(DeployError(ApiLogic(R"j("method":"POST","customize_response":true,)j" + url +
                                   R"j(,"response":{"a..b":"{{body}}"},)j"
                                   R"j("response_type":{"a..b":"object"})j")),
              HasSubstr("response key \"a..b\""));
  EXPECT_THAT(DeployError(ApiLogic(R"j("method":"POST","customize_response":true,)j" + url +
                                   R"j(,"response":{"a":"{{body.}}"},)j"
                                   R"j("response_type":{"a":"object"})j")),
              HasSubstr("response.a"));
}

// The importer's rules, now the factory's: each error is located at its key.
TEST(ApiDeployTest, ErrorsAreLocated) {
  const std::string url = R"j("url":"https://x.test/")j";
  EXPECT_EQ(DeployError(ApiLogic(R"j("method":"fetch",)j" + url)),
            "logic.method: method \"fetch\" is not GET, POST, PUT, DELETE, HEAD or PATCH");
  EXPECT_EQ(DeployError(ApiLogic(R"j("method":"",)j" + url)),
            "logic.method: method \"\" is not GET, POST, PUT, DELETE, HEAD or PATCH");
  EXPECT_EQ(DeployError(ApiLogic(R"j("max_threads":100001,)j" + url)),
            "logic.max_threads: max_threads 100001 is out of range");
  EXPECT_EQ(DeployError(ApiLogic(R"j("max_threads":-1,)j" + url)),
            "logic.max_threads: max_threads -1 is out of range");
  EXPECT_EQ(DeployError(ApiLogic(R"j("method":"POST")j")), "logic: api has no url");
  EXPECT_EQ(DeployError(ApiLogic(R"j("format":"soap",)j" + url)),
            "logic.format: format \"soap\" is not \"\", \"conveyor\" or \"raw\"");
  EXPECT_EQ(DeployError(ApiLogic(R"j("cert_pem":"x",)j" + url)),
            "logic.cert_pem: not PEM text (no \"-----BEGIN \" line)");
  // Every problem of one logic is listed.
  const std::string both = DeployError(ApiLogic(R"j("method":"FETCH","max_threads":"x")j"));
  EXPECT_THAT(both, HasSubstr("logic.method: method \"FETCH\""));
  EXPECT_THAT(both, HasSubstr("logic.max_threads: "));
  EXPECT_THAT(both, HasSubstr("logic: api has no url"));
  // A url that is not a string is reported by the reader, not as missing.
  EXPECT_THAT(DeployError(ApiLogic(R"j("url":5)j")), HasSubstr("logic.url: "));
  EXPECT_THAT(DeployError(ApiLogic(R"j("url":5)j")), ::testing::Not(HasSubstr("no url")));
  EXPECT_THAT(DeployError(ApiLogic(R"j("send_sys":"yes",)j" + url)), HasSubstr("logic.send_sys: "));
}

TEST(ApiDeployTest, MissingTypesAreWarnings) {
  FakeBuilder builder;
  std::unique_ptr<Logic> logic =
      MustBuild(ApiLogic(R"j("url":"https://x.test/","extra":{"a":"1"},)j"
                         R"j("extra_type":{"b":"number"})j"),
                builder);
  ASSERT_NE(logic, nullptr);
  std::vector<std::string> warnings = testing::Warnings(builder);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_THAT(warnings[0], HasSubstr("extra_type has no entry for \"a\""));
  EXPECT_THAT(warnings[1], HasSubstr("\"b\" has a type but no value in extra"));
  std::unique_ptr<FakeTask> task = NewTask("{}");
  logic->Run(*task);
  ASSERT_EQ(task->http_sent.size(), 1u);
  EXPECT_EQ(task->http_sent[0].body, R"j({"a":"1"})j");  // a string
}

TEST(ApiDeployTest, RegisteredAsApi) {
  LogicRegistry registry;
  ASSERT_THAT(RegisterBuiltinLogics(registry), IsOk());
  const LogicFactory* factory = registry.Find("api");
  ASSERT_NE(factory, nullptr);
  EXPECT_EQ(factory->type(), "api");
  FakeBuilder builder;
  std::unique_ptr<Logic> logic =
      MustBuild(ApiLogic(R"j("method":"POST","url":"https://x.test/")j"), builder);
  ASSERT_NE(logic, nullptr);
  EXPECT_EQ(logic->error_family(), "api");
  EXPECT_EQ(logic->error_node().index, kErrNode);
  EXPECT_THAT(testing::Warnings(builder), IsEmpty());
}

// ---------------------------------------------------------------------------
// Answers.

const std::string& Plain() {
  static const std::string* config =
      new std::string(ApiLogic(R"j("method":"POST","url":"https://x.test/")j"));
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
  const std::string xml = ApiLogic(
      R"j("method":"POST","url":"https://x.test/","content_type":"application/soap+xml")j");
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

  const std::string rfc =
      ApiLogic(R"j("method":"POST","url":"https://x.test/","rfc_format":true)j");
  got = Receive(rfc, "{}", Answer(202, ""));
  EXPECT_EQ(got.result.kind, LogicResult::Kind::kNext);
  got = Receive(rfc, "{}", Answer(201, ""));
  EXPECT_EQ(got.result.kind, LogicResult::Kind::kGoTo);
  EXPECT_EQ(got.writes,
            ErrorWrites("software", "api_no_valid_json", "the answer has no body", 201));
  const std::string head = ApiLogic(R"j("method":"HEAD","url":"https://x.test/","rfc_format":1)j");
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

  const std::string no_err =
      ApiLogic(R"j("method":"POST","url":"https://x.test/")j", /*err_node=*/false);
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

  const std::string no_err =
      ApiLogic(R"j("method":"POST","url":"https://x.test/")j", /*err_node=*/false);
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

// A customize_response logic with `response` and `response_type` (JSON
// members, without braces).
std::string Customized(const std::string& response, const std::string& types) {
  return ApiLogic(R"j("method":"POST","url":"https://x.test/","customize_response":true,)j"
                  R"j("response":{)j" +
                  response + R"j(},"response_type":{)j" + types + "}");
}

TEST(ApiResponseTest, CustomizedResponseWritesOnlyItsMapping) {
  const std::string config = Customized(
      R"j("out.id":"{{body.data.id}}","ct":"{{header.content-type}}","whole":"{{body}}",)j"
      R"j("{{target}}":"{{body.data}}","list":"{{body.data}}","missing":"{{body.nope}}",)j"
      R"j("headers":"{{header}}","text":"id={{body.data.id}}")j",
      R"j("out.id":"number","ct":"string","whole":"object","{{target}}":"object",)j"
      R"j("list":"array","missing":"string","headers":"object","text":"string")j");
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
  std::string config = Customized(R"j("raw":"{{body}}")j", R"j("raw":"string")j");
  Received got = Receive(config, "{}", Answer(200, "plain \"text\"", "text/plain"));
  EXPECT_THAT(got.writes, ElementsAre(R"j(raw="plain \"text\"")j"));

  config = Customized(R"j("v":"{{body.r.v}}")j", R"j("v":"number")j");
  got = Receive(config, "{}", Answer(200, "<r><v>5</v></r>", "application/xml"));
  EXPECT_THAT(got.writes, ElementsAre("v=5"));
}

TEST(ApiResponseTest, CustomizedResponseIsAllOrNothing) {
  std::string config = Customized(R"j("first":"{{body.a}}","n":"{{body.name}}")j",
                                  R"j("first":"string","n":"number")j");
  Received got = Receive(config, "{}", Answer(200, R"j({"a":"x","name":"Bob"})j"));
  EXPECT_EQ(got.result.kind, LogicResult::Kind::kGoTo);
  EXPECT_EQ(got.writes, ErrorWrites("software", "api_wrong_convert_param",
                                    "Param: n, Value: Bob, Try convert to: number", 200));

  config = Customized(R"j("{{k}}":"1")j", R"j("{{k}}":"string")j");
  got = Receive(config, R"j({"k":""})j", Answer(200, "{}"));
  EXPECT_EQ(got.result.kind, LogicResult::Kind::kGoTo);
  EXPECT_THAT(got.writes[1], HasSubstr("api_wrong_convert_param"));
}

TEST(ApiResponseTest, CustomizedResponseStillFailsOnErrorCodes) {
  const std::string config = Customized(R"j("body":"{{body}}")j", R"j("body":"object")j");
  Received got = Receive(config, "{}", Answer(503, R"j({"e":1})j"));
  EXPECT_EQ(got.result.kind, LogicResult::Kind::kGoTo);
  EXPECT_EQ(got.writes, ErrorWrites("software", "api_bad_answer", "HTTP 503", 503));
}

TEST(ApiResponseTest, DebugInfo) {
  const std::string config =
      ApiLogic(R"j("method":"POST","url":"https://x.test/","debug_info":true,)j"
               R"j("extra":{"a":"1"},"extra_type":{"a":"string"})j");
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

std::string Conveyor() {
  return ApiLogic(R"j("method":"POST","url":"https://api.test/api/1/json/public/9/h",)j"
                  R"j("format":"conveyor")j");
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
      MustBuild(ApiLogic(R"j("method":"POST","url":"https://x.test/{{id}}",)j"
                         R"j("extra":{"a":"{{a}}"},"extra_type":{"a":"string"})j"),
                builder);
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
  const std::string config =
      ApiLogic(R"j("method":"POST","url":"https://x.test/{{id}}","customize_response":true,)j"
               R"j("debug_info":true,"extra":{"a":"{{id}}"},"extra_type":{"a":"number"},)j"
               R"j("response":{"got":"{{body.n}}"},"response_type":{"got":"number"})j");
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
