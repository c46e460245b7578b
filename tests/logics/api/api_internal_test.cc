// The pieces of the `api` logic on their own: URL and pair encoding, the
// send_sys signature, JSON <-> XML, answer reading and the documents
// customize_response templates read.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "logics/api/request.h"
#include "logics/api/response.h"
#include "logics/api/xml.h"
#include "simdjson.h"

namespace convey {
namespace internal {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

std::string Encoded(const std::string& text) {
  std::string out;
  AppendPercentEncoded(text, &out);
  return out;
}

std::string UrlText(const std::string& text) {
  std::string out;
  AppendUrlText(text, &out);
  return out;
}

TEST(PercentEncodeTest, KeepsOnlyUnreservedBytes) {
  EXPECT_EQ(Encoded("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(Encoded(" /?&=#+%"), "%20%2F%3F%26%3D%23%2B%25");
  EXPECT_EQ(Encoded("\xC3\xA9\n"), "%C3%A9%0A");
  EXPECT_EQ(Encoded(""), "");
}

TEST(PercentEncodeTest, UrlTextEncodesOnlyWhatNoUrlHolds) {
  EXPECT_EQ(UrlText("https://x.test/a b?q=<1>&r=\xC3\xA9#f"),
            "https://x.test/a%20b?q=%3C1%3E&r=%C3%A9#f");
  EXPECT_EQ(UrlText("/p%20q?a=\"{|}\\^`"), "/p%20q?a=%22%7B%7C%7D%5C%5E%60");
  EXPECT_EQ(UrlText("\x01\x7f"), "%01%7F");
}

TEST(QueryTest, AppendsAtTheRightPlace) {
  EXPECT_EQ(AppendQuery("https://x.test/p", "a=1"), "https://x.test/p?a=1");
  EXPECT_EQ(AppendQuery("https://x.test/p?b=2", "a=1"), "https://x.test/p?b=2&a=1");
  EXPECT_EQ(AppendQuery("https://x.test/p?", "a=1"), "https://x.test/p?a=1");
  EXPECT_EQ(AppendQuery("https://x.test/p?b=2&", "a=1"), "https://x.test/p?b=2&a=1");
  EXPECT_EQ(AppendQuery("https://x.test/p#frag", "a=1"), "https://x.test/p?a=1#frag");
  EXPECT_EQ(AppendQuery("https://x.test/p?b#f?g", "a=1"), "https://x.test/p?b&a=1#f?g");
  EXPECT_EQ(AppendQuery("https://x.test/p", ""), "https://x.test/p");
}

TEST(QueryTest, PairsFromTopLevelKeys) {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  ASSERT_EQ(parser
                .parse(std::string(
                    R"j({"q":"a b&c=d","n":12.5,"t":true,"z":null,"o":{"k":[1,"x"]},"k y":""})j"))
                .get(object),
            simdjson::SUCCESS);
  EXPECT_EQ(EncodePairs(object),
            "q=a%20b%26c%3Dd&n=12.5&t=true&z=null&o=%7B%22k%22%3A%5B1%2C%22x%22%5D%7D&k%20y=");
}

TEST(SignatureTest, IsSha1HexOfTimeSecretBodySecret) {
  // sha1("1700000000secretbodysecret"), computed independently.
  EXPECT_EQ(Signature(1700000000, "secret", "body"), "cdd7b7272ccded058f4875cf5690a99f87e4648c");
  EXPECT_NE(Signature(1700000001, "secret", "body"), Signature(1700000000, "secret", "body"));
}

TEST(SchemeTest, HttpAndHttpsInAnyCase) {
  EXPECT_TRUE(HasHttpScheme("http://x"));
  EXPECT_TRUE(HasHttpScheme("HTTPS://x"));
  EXPECT_FALSE(HasHttpScheme("ftp://x"));
  EXPECT_FALSE(HasHttpScheme(""));
  EXPECT_FALSE(HasHttpScheme("x.test/http://"));
}

TEST(MediaKindTest, ByMediaType) {
  EXPECT_EQ(MediaKindOf(""), MediaKind::kJson);
  EXPECT_EQ(MediaKindOf("application/json; charset=utf-8"), MediaKind::kJson);
  EXPECT_EQ(MediaKindOf("Application/Problem+JSON"), MediaKind::kJson);
  EXPECT_EQ(MediaKindOf("application/x-www-form-urlencoded"), MediaKind::kForm);
  EXPECT_EQ(MediaKindOf("application/xml"), MediaKind::kXml);
  EXPECT_EQ(MediaKindOf(" text/xml ;charset=utf-8"), MediaKind::kXml);
  EXPECT_EQ(MediaKindOf("application/soap+xml"), MediaKind::kXml);
  EXPECT_EQ(MediaKindOf("text/plain"), MediaKind::kOther);
}

TEST(IdentityTest, SysAndEnvelope) {
  TaskIdentity task{"r1", "65a1b2c3d4e5f60718293a4b", 42, "n1"};
  EXPECT_EQ(SysObject(task),
            R"j({"ref":"r1","obj_id":"65a1b2c3d4e5f60718293a4b","conv_id":42,"node_id":"n1"})j");
  task.ref = "";
  EXPECT_EQ(ConveyorEnvelope(task, R"j({"a":1})j", "{}"),
            R"j({"ops":[{"ref":null,"type":"data","obj_id":"65a1b2c3d4e5f60718293a4b",)j"
            R"j("conv_id":42,"node_id":"n1","data":{"a":1},"extra":{}}]})j");
}

std::string ToXml(const std::string& root, const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element element;
  EXPECT_EQ(parser.parse(json).get(element), simdjson::SUCCESS) << json;
  std::string out;
  absl::Status status = JsonToXml(root, element, &out);
  return status.ok() ? out : "error: " + std::string(status.message());
}

constexpr char kDeclaration[] = R"x(<?xml version="1.0" encoding="UTF-8"?>)x";

TEST(JsonToXmlTest, AttributesTextAndRepeatedElements) {
  EXPECT_EQ(
      ToXml("order", R"j({"@id":"7","@paid":true,"item":["a",{"@n":2,"#value":"b"}],)j"
                     R"j("note":"x < y & \"z\"","empty":null,"n":1.5,"sub":{"k":"v"}})j"),
      std::string(kDeclaration) +
          R"x(<order id="7" paid="true"><item>a</item><item n="2">b</item>)x"
          R"x(<note>x &lt; y &amp; "z"</note><empty/><n>1.5</n><sub><k>v</k></sub></order>)x");
  EXPECT_EQ(ToXml("r", R"j("text")j"), std::string(kDeclaration) + "<r>text</r>");
  EXPECT_EQ(ToXml("soap:Envelope", "{}"), std::string(kDeclaration) + "<soap:Envelope/>");
}

TEST(JsonToXmlTest, RefusesWhatHasNoXmlForm) {
  EXPECT_THAT(ToXml("1root", "{}"), HasSubstr("\"1root\" is not an XML element name"));
  EXPECT_THAT(ToXml("r", R"j({"a":{"bad name":1}})j"),
              HasSubstr("r.a.bad name: \"bad name\" is not an XML element name"));
  EXPECT_THAT(ToXml("r", R"j({"@":1})j"), HasSubstr("is not an XML attribute name"));
  EXPECT_THAT(ToXml("r", "[1,2]"), HasSubstr("an array cannot be the document element"));
  EXPECT_THAT(ToXml("r", R"j({"a":[[1]]})j"), HasSubstr("r.a[0]: an array inside an array"));
  std::string deep = "1";
  for (int i = 0; i < kMaxXmlDepth + 1; ++i) deep = "{\"a\":" + deep + "}";
  EXPECT_THAT(ToXml("r", deep), HasSubstr("nested deeper than"));
}

std::string ToJson(const std::string& xml) {
  std::string out;
  absl::Status status = XmlToJson(xml, &out);
  return status.ok() ? out : "error: " + std::string(status.message());
}

TEST(XmlToJsonTest, ElementsAttributesAndText) {
  EXPECT_EQ(ToJson(R"x(<?xml version="1.0"?>
<order id="7">
  <item>a</item>
  <item n="2">b</item>
  <note><![CDATA[x < y]]></note>
  <empty/>
  <p>Hello <b>you</b> there</p>
</order>)x"),
            R"j({"order":{"@id":"7","item":["a",{"@n":"2","#value":"b"}],"note":"x < y",)j"
            R"j("empty":"","p":{"b":"you","#value":"Hello  there"}}})j");
  EXPECT_EQ(ToJson("<soap:Envelope xmlns:soap=\"urn:s\"><soap:Body>1</soap:Body></soap:Envelope>"),
            R"j({"soap:Envelope":{"@xmlns:soap":"urn:s","soap:Body":"1"}})j");
  EXPECT_EQ(ToJson("<r>a &amp; &#233;</r>"), "{\"r\":\"a & \xC3\xA9\"}");
}

TEST(XmlToJsonTest, RefusesMalformedAndTooDeep) {
  EXPECT_THAT(ToJson("<r><a></r>"), HasSubstr("at byte"));
  EXPECT_THAT(ToJson("not xml"), HasSubstr("error: "));
  EXPECT_THAT(ToJson(""), HasSubstr("error: "));
  std::string deep;
  for (int i = 0; i < kMaxXmlDepth + 1; ++i) deep += "<a>";
  for (int i = 0; i < kMaxXmlDepth + 1; ++i) deep += "</a>";
  EXPECT_THAT(ToJson(deep), HasSubstr("nested deeper than"));
}

// Hostile input (issue 12, row 15): `&#0;` became a NUL that silently cut
// the text it was in. XML allows no such reference: the answer is refused.
TEST(XmlToJsonTest, ReferenceToCharacterZeroIsRefused) {
  std::string json;
  for (const char* xml : {"<r>ab&#0;cd</r>", "<r a=\"&#x00;\"/>", "<r>&#X0000;</r>"}) {
    absl::Status status = XmlToJson(xml, &json);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << xml;
    EXPECT_THAT(std::string(status.message()), HasSubstr("reference to the character 0")) << xml;
  }
  ASSERT_TRUE(XmlToJson("<r>a&#10;b&#x41;&#0010;</r>", &json).ok());
  EXPECT_EQ(json, R"({"r":"a\nbA\n"})");
}

TEST(TransportFailureTest, EveryStatus) {
  auto check = [](const absl::Status& status, bool hardware, const std::string& tag,
                  const std::string& description) {
    ApiFailure failure = TransportFailure(status);
    EXPECT_EQ(failure.hardware, hardware) << status;
    EXPECT_EQ(failure.tag, tag) << status;
    EXPECT_EQ(failure.description, description) << status;
  };
  check(absl::AbortedError("waited 60s for a turn"), true, "api_expire_query",
        "waited 60s for a turn");
  check(absl::UnavailableError("connection refused"), false, "api_bad_answer",
        "failed_connect: connection refused");
  check(absl::DeadlineExceededError("60 s"), false, "api_bad_answer", "timeout");
  check(absl::PermissionDeniedError("10.0.0.1 is private"), false, "api_bad_answer",
        "refused_address: 10.0.0.1 is private");
  check(absl::InvalidArgumentError("malformed URL"), false, "api_bad_answer", "malformed URL");
  check(absl::ResourceExhaustedError("over 5242880 bytes"), false, "api_bad_answer",
        "response too large: over 5242880 bytes");
  check(absl::InternalError("curl: out of memory"), true, "api_fatal_error", "curl: out of memory");
  check(absl::UnknownError(""), true, "api_fatal_error", "UNKNOWN");
}

TEST(ReadBodyTest, ObjectsArraysXmlAndEmpty) {
  ApiWrites writes;
  EXPECT_FALSE(ReadBody(R"j({"id":7,"a.b":"x","o":{"k":[1]}})j", false, false, &writes));
  EXPECT_THAT(writes, ElementsAre(Pair("id", ::testing::_), Pair("a\\.b", ::testing::_),
                                  Pair("o", ::testing::_)));
  EXPECT_EQ(writes[0].second.ToJson(), "7");
  EXPECT_EQ(writes[2].second.ToJson(), R"j({"k":[1]})j");
  writes.clear();
  EXPECT_FALSE(ReadBody(" [1,{\"a\":2}] ", false, false, &writes));
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].first, "__conveyor_api_array__");
  EXPECT_EQ(writes[0].second.ToJson(), R"j([1,{"a":2}])j");
  writes.clear();
  EXPECT_FALSE(ReadBody("<r a=\"1\"><x>1</x><x>2</x></r>", true, false, &writes));
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].second.ToJson(), R"j({"@a":"1","x":["1","2"]})j");
  writes.clear();
  EXPECT_FALSE(ReadBody(" \r\n", false, false, &writes));
  EXPECT_THAT(writes, IsEmpty());
  std::optional<ApiFailure> failure = ReadBody("", false, true, &writes);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->tag, "api_no_valid_json");
}

TEST(ReadBodyTest, WhatCannotBeMerged) {
  ApiWrites writes;
  std::optional<ApiFailure> failure = ReadBody("<html>oops</html>", false, false, &writes);
  ASSERT_TRUE(failure);
  EXPECT_FALSE(failure->hardware);
  EXPECT_EQ(failure->tag, "api_no_valid_json");
  EXPECT_THAT(failure->description, HasSubstr("not valid JSON"));
  EXPECT_THAT(failure->description, HasSubstr("<html>oops</html>"));
  failure = ReadBody("\"ok\"", false, false, &writes);
  ASSERT_TRUE(failure);
  EXPECT_THAT(failure->description, HasSubstr("a JSON string, not an object or array"));
  failure = ReadBody("<r>", true, false, &writes);
  ASSERT_TRUE(failure);
  EXPECT_THAT(failure->description, HasSubstr("not valid XML"));
  failure = ReadBody(R"j({"":1})j", false, false, &writes);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->tag, "api_bad_answer");
  EXPECT_THAT(writes, IsEmpty());
}

// Hostile input (issue 12, row 14): an answer with a key repeated used to
// reach the task as it was, where templates read the first value and merges
// the last. Answers follow the rule of task data: one value counts once,
// two values are ambiguous.
TEST(ReadBodyTest, RepeatedKeysFollowTheRuleOfTaskData) {
  ApiWrites writes;
  EXPECT_FALSE(ReadBody(R"j({"a":1,"o":{"k":[1],"k":[1]},"a":1})j", false, false, &writes));
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[0].first, "a");
  EXPECT_EQ(writes[1].second.ToJson(), R"j({"k":[1]})j");
  writes.clear();
  std::optional<ApiFailure> failure = ReadBody(R"j({"o":{"k":1,"k":2}})j", false, false, &writes);
  ASSERT_TRUE(failure);
  EXPECT_FALSE(failure->hardware);
  EXPECT_EQ(failure->tag, "api_bad_answer");
  EXPECT_THAT(failure->description,
              HasSubstr("the answer repeats the key \"k\" with different values"));
  EXPECT_THAT(writes, IsEmpty());
  failure = ReadConveyorBody(
      R"j({"request_proc":"ok","ops":[{"proc":"ok","res_data":{"x":1,"x":2}}]})j", &writes);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->tag, "api_bad_answer");
  ErrorBodyWrites(R"j({"textError":"a","textError":"b"})j", &writes);
  EXPECT_THAT(writes, IsEmpty());
  EXPECT_EQ(BodyDocument(R"j({"a":1,"a":1})j", false), R"j({"a":1})j");
  EXPECT_EQ(BodyDocument(R"j({"a":1,"a":2})j", false), R"j("{\"a\":1,\"a\":2}")j");
}

TEST(ReadConveyorBodyTest, OkAndEveryError) {
  ApiWrites writes;
  EXPECT_FALSE(ReadConveyorBody(
      R"j({"request_proc":"ok","ops":[{"proc":"ok","res_data":{"x":1,"y":"z"}}]})j", &writes));
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[0].first, "x");
  EXPECT_EQ(writes[1].second.ToJson(), "\"z\"");
  writes.clear();
  EXPECT_FALSE(ReadConveyorBody(R"j({"request_proc":"ok","ops":[{"proc":"ok"}]})j", &writes));
  EXPECT_THAT(writes, IsEmpty());

  auto tag_of = [](const std::string& body, const std::string& description_part) {
    ApiWrites ignored;
    std::optional<ApiFailure> failure = ReadConveyorBody(body, &ignored);
    if (!failure) return std::string("none");
    EXPECT_FALSE(failure->hardware);
    EXPECT_THAT(failure->description, HasSubstr(description_part)) << body;
    return failure->tag;
  };
  EXPECT_EQ(tag_of("nope", "not valid JSON"), "api_no_valid_json");
  EXPECT_EQ(tag_of("[]", "not a JSON object"), "api_no_request_proc");
  EXPECT_EQ(tag_of(R"j({"ops":[]})j", "no request_proc"), "api_no_request_proc");
  EXPECT_EQ(tag_of(R"j({"request_proc":"format_error"})j", "\"format_error\""),
            "api_no_request_proc");
  EXPECT_EQ(tag_of(R"j({"request_proc":"ok"})j", "no ops list"), "api_no_ops");
  EXPECT_EQ(tag_of(R"j({"request_proc":"ok","ops":{}})j", "no ops list"), "api_no_ops");
  EXPECT_EQ(tag_of(R"j({"request_proc":"ok","ops":[]})j", "empty"), "api_no_ops");
  EXPECT_EQ(tag_of(R"j({"request_proc":"ok","ops":[1]})j", "not an object"), "api_bad_res_data");
  EXPECT_EQ(tag_of(R"j({"request_proc":"ok","ops":[{"proc":"error","description":"bad ref"}]})j",
                   "ops[0].proc is \"error\", not \"ok\": bad ref"),
            "api_bad_res_data");
  EXPECT_EQ(tag_of(R"j({"request_proc":"ok","ops":[{"res_data":{}}]})j", "no proc"),
            "api_bad_res_data");
  EXPECT_EQ(tag_of(R"j({"request_proc":"ok","ops":[{"proc":"ok","res_data":[1]}]})j",
                   "res_data is a array, not an object"),
            "api_bad_res_data");
}

TEST(ErrorBodyTest, OnlyAJsonObjectIsKept) {
  ApiWrites writes;
  ErrorBodyWrites(R"j({"textError":"x","":1})j", &writes);
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].first, "textError");
  writes.clear();
  ErrorBodyWrites("Internal Server Error", &writes);
  ErrorBodyWrites("[1]", &writes);
  EXPECT_THAT(writes, IsEmpty());
}

TEST(DocumentTest, BodyAndHeaders) {
  EXPECT_EQ(BodyDocument(R"j( {"a":1} )j", false), R"j( {"a":1} )j");
  EXPECT_EQ(BodyDocument("plain \"text\"\n", false), R"j("plain \"text\"\n")j");
  EXPECT_EQ(BodyDocument("", false), "\"\"");
  EXPECT_EQ(BodyDocument("<r>1</r>", true), R"j({"r":"1"})j");
  EXPECT_EQ(BodyDocument("<r>", true), R"j("<r>")j");
  EXPECT_EQ(BodyDocument("a\xFF", false), "\"a\xEF\xBF\xBD\"");
  EXPECT_EQ(
      HeaderDocument({{"Content-Type", "text/xml"}, {"set-cookie", "a=1"}, {"Set-Cookie", "b=2"}}),
      R"j({"content-type":"text/xml","set-cookie":"a=1, b=2"})j");
  EXPECT_EQ(HeaderDocument({}), "{}");
}

}  // namespace
}  // namespace internal
}  // namespace convey
