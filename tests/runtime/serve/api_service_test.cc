// The API's routes, signatures, refusals and rate limits, without a network:
// requests go straight to ApiService::Handle over a real engine.
#include "runtime/serve/api_service.h"

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "convey/engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/serve/signature.h"
#include "simdjson.h"
#include "tests/support/ops_processes.h"

namespace convey::serve {
namespace {

using ::testing::HasSubstr;

constexpr char kLogin[] = "4521";
constexpr char kSecret[] = "qjVXiaXFazSCtIvMTjW29cZbPkzeYUzCzGmmrcJtIIj2eqceUm";
const absl::Time kNow = absl::FromUnixSeconds(1764770000);

class ApiServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(ApiServiceOptions{}); }

  void Start(ApiServiceOptions options) {
    service_.reset();
    if (engine_ == nullptr) {
      EngineOptions engine_options;
      engine_options.worker_threads = 1;
      auto engine = Engine::Open(engine_options);
      ASSERT_TRUE(engine.ok()) << engine.status();
      engine_ = *std::move(engine);
      auto deployed = engine_->Deploy("ops.json", absl::StrCat("[", testing::kOpsPassProcess, ",",
                                                               testing::kOpsHoldProcess, "]"));
      ASSERT_TRUE(deployed.ok()) << deployed.status();
      metrics_ = std::make_unique<ServeMetrics>(Clock::Real());
    }
    ASSERT_TRUE(options.keys.Add(absl::StrCat(kLogin, ":", kSecret), "test").ok());
    options.now = [this] { return now_; };
    service_ = std::make_unique<ApiService>(*engine_, std::move(options), metrics_.get());
  }

  // A request signed in the URL with `time` (default: now).
  ServeResponse PostSigned(const std::string& body, int64_t time = 0,
                           const std::string& secret = kSecret, const std::string& version = "2") {
    if (time == 0) time = absl::ToUnixSeconds(now_);
    const std::string unixtime = absl::StrCat(time);
    path_ = absl::StrCat("/api/", version, "/json/", kLogin, "/", unixtime, "/",
                         UrlSignature(unixtime, secret, body));
    return Post(path_, body);
  }

  ServeResponse Post(const std::string& path, const std::string& body) {
    ServeRequest request;
    request.method = "POST";
    request.path = path;
    request.body = body;
    return service_->Handle(request);
  }

  simdjson::dom::element Parse(const std::string& json) {
    simdjson::dom::element root;
    EXPECT_EQ(parser_.parse(json).get(root), simdjson::SUCCESS) << json;
    return root;
  }

  std::string Field(const std::string& json, const char* pointer) {
    std::string_view value;
    if (Parse(json).at_pointer(pointer).get(value) != simdjson::SUCCESS) return "<missing>";
    return std::string(value);
  }

  absl::Time now_ = kNow;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<ServeMetrics> metrics_;
  std::unique_ptr<ApiService> service_;
  simdjson::dom::parser parser_;
  std::string path_;
};

constexpr char kCreate[] =
    R"({"ops":[{"type":"create","obj":"task","conv_id":1002,"ref":"r1","data":{"a":1},"id":"op1"}]})";

TEST_F(ApiServiceTest, UrlSignedCreateAndShow) {
  ServeResponse created = PostSigned(kCreate);
  EXPECT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(created.route, Route::kTaskApi);
  EXPECT_EQ(Field(created.body, "/request_proc"), "ok") << created.body;
  EXPECT_EQ(Field(created.body, "/ops/0/id"), "op1");
  EXPECT_EQ(Field(created.body, "/ops/0/proc"), "ok") << created.body;
  const std::string obj_id = Field(created.body, "/ops/0/obj_id");
  ASSERT_EQ(obj_id.size(), 24u) << created.body;

  // "get" reads a task as "show" does.
  ServeResponse shown = PostSigned(
      R"({"ops":[{"type":"get","obj":"task","conv_id":1002,"ref":"r1"}]})", 0, kSecret, "1");
  EXPECT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(Field(shown.body, "/ops/0/obj_id"), obj_id) << shown.body;
}

TEST_F(ApiServiceTest, SignatureIsCaseInsensitive) {
  const std::string unixtime = absl::StrCat(absl::ToUnixSeconds(now_));
  std::string signature = UrlSignature(unixtime, kSecret, kCreate);
  for (char& c : signature) c = static_cast<char>(toupper(c));
  ServeResponse response =
      Post(absl::StrCat("/api/2/json/", kLogin, "/", unixtime, "/", signature), kCreate);
  EXPECT_EQ(response.status, 200) << response.body;
}

TEST_F(ApiServiceTest, RefusesWrongSecretTamperedBodyAndUnknownLogin) {
  ServeResponse wrong = PostSigned(kCreate, 0, "not-the-secret");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(Field(wrong.body, "/request_proc"), "error");
  EXPECT_THAT(Field(wrong.body, "/description"), HasSubstr("wrong signature"));

  const std::string unixtime = absl::StrCat(absl::ToUnixSeconds(now_));
  path_ = absl::StrCat("/api/2/json/", kLogin, "/", unixtime, "/",
                       UrlSignature(unixtime, kSecret, kCreate));
  std::string tampered = kCreate;
  tampered.replace(tampered.find("\"a\":1"), 5, "\"a\":2");
  ServeResponse response = Post(path_, tampered);
  EXPECT_EQ(response.status, 401) << response.body;
  EXPECT_THAT(Field(response.body, "/description"), HasSubstr("wrong signature"));

  ServeResponse unknown = Post(
      absl::StrCat("/api/2/json/9999/", unixtime, "/", UrlSignature(unixtime, kSecret, kCreate)),
      kCreate);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_THAT(Field(unknown.body, "/description"), HasSubstr("unknown API login \"9999\""));
  EXPECT_EQ(engine_->Stats().tasks_created, 0);
}

TEST_F(ApiServiceTest, RefusesTimesOutsideTheWindow) {
  ServeResponse old = PostSigned(kCreate, absl::ToUnixSeconds(now_) - 601);
  EXPECT_EQ(old.status, 401);
  EXPECT_THAT(Field(old.body, "/description"), HasSubstr("601 s away"));
  ServeResponse future = PostSigned(kCreate, absl::ToUnixSeconds(now_) + 601);
  EXPECT_EQ(future.status, 401);
  EXPECT_EQ(PostSigned(kCreate, absl::ToUnixSeconds(now_) - 600).status, 200);

  ServeResponse not_a_time = Post(absl::StrCat("/api/2/json/", kLogin, "/12x/abc"), kCreate);
  EXPECT_EQ(not_a_time.status, 401);
  EXPECT_THAT(Field(not_a_time.body, "/description"), HasSubstr("not a unix time"));
}

TEST_F(ApiServiceTest, HeaderSignedRequests) {
  const std::string unixtime = absl::StrCat(absl::ToUnixSeconds(now_));
  const std::string signature = HeaderSignature(unixtime, kSecret, kCreate);
  ServeRequest request;
  request.method = "POST";
  request.path = "/api/2/json";
  request.body = kCreate;
  request.api_login = kLogin;
  request.api_timestamp = unixtime;
  request.api_signature = signature;
  ServeResponse response = service_->Handle(request);
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(Field(response.body, "/ops/0/proc"), "ok") << response.body;

  // The URL signature (SHA-1) is not an HMAC.
  const std::string sha1 = UrlSignature(unixtime, kSecret, kCreate);
  request.api_signature = sha1;
  response = service_->Handle(request);
  EXPECT_EQ(response.status, 401);
  EXPECT_THAT(Field(response.body, "/description"), HasSubstr("hmac_sha256"));

  request.api_signature = {};
  response = service_->Handle(request);
  EXPECT_EQ(response.status, 401);
  EXPECT_THAT(Field(response.body, "/description"), HasSubstr("not signed"));
}

TEST_F(ApiServiceTest, MalformedBodiesAreFormatErrors) {
  struct Case {
    const char* body;
    const char* description;
  } cases[] = {
      {"", "the body is empty"},
      {"{\"ops\":", "not valid JSON"},
      {"{\"ops\":{}}", "\"ops\" must be an array"},
      {"[1]", "must be a JSON object"},
  };
  for (const Case& c : cases) {
    ServeResponse response = PostSigned(c.body);
    EXPECT_EQ(response.status, 400) << c.body;
    EXPECT_EQ(Field(response.body, "/request_proc"), "format_error") << response.body;
    EXPECT_THAT(Field(response.body, "/description"), HasSubstr(c.description));
  }
  std::string many = R"({"ops":[)";
  for (int i = 0; i < 10001; ++i) {
    if (i > 0) many += ',';
    many += R"({"type":"show","obj":"task","obj_id":"000000000000000000000000"})";
  }
  many += "]}";
  ServeResponse response = PostSigned(many);
  EXPECT_EQ(response.status, 400);
  EXPECT_THAT(Field(response.body, "/description"), HasSubstr("at most 10000"));
}

TEST_F(ApiServiceTest, UnknownPathsAndWrongMethods) {
  ServeResponse missing = Post("/api/3/json", kCreate);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Field(missing.body, "/request_proc"), "error");
  EXPECT_EQ(Post("/nothing", "").status, 404);
  // "/" is the web console's: it asks for a sign-in (console_test.cc).
  EXPECT_EQ(Post("/", "").status, 401);
  EXPECT_EQ(Post("/api/2/json/a/b", "").status, 404);

  ServeRequest get;
  get.method = "GET";
  get.path = "/api/2/json/4521/1/abc";
  ServeResponse wrong = service_->Handle(get);
  EXPECT_EQ(wrong.status, 405);
  ASSERT_EQ(wrong.headers.size(), 1u);
  EXPECT_EQ(wrong.headers[0].first, "Allow");
  EXPECT_EQ(wrong.headers[0].second, "POST");

  ServeResponse post_health = Post("/healthz", "");
  EXPECT_EQ(post_health.status, 405);
}

TEST_F(ApiServiceTest, RefusalsQuoteBytesThatAreNotUtf8) {
  ServeResponse response = Post(
      "/r\x82"
      "adyz",
      "");
  EXPECT_EQ(response.status, 404);
  EXPECT_THAT(Field(response.body, "/description"), HasSubstr("/r\\x82adyz"));
}

TEST_F(ApiServiceTest, HealthReadinessAndDrain) {
  ServeRequest request;
  request.method = "GET";
  request.path = "/healthz";
  EXPECT_EQ(service_->Handle(request).status, 200);
  request.path = "/readyz";
  EXPECT_EQ(service_->Handle(request).status, 200);
  service_->StartDraining();
  EXPECT_EQ(service_->Handle(request).status, 503);
  request.path = "/healthz";
  EXPECT_EQ(service_->Handle(request).status, 200);
}

TEST_F(ApiServiceTest, MetricsCountTasksNodesAndRequests) {
  ASSERT_EQ(PostSigned(kCreate).status, 200);
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
  metrics_->RecordRequest(Route::kTaskApi, 200, absl::Milliseconds(2));
  ServeRequest request;
  request.method = "GET";
  request.path = "/metrics";
  ServeResponse response = service_->Handle(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_THAT(response.content_type, HasSubstr("text/plain; version=0.0.4"));
  EXPECT_THAT(response.body, HasSubstr("convey_tasks_created_total 1\n"));
  EXPECT_THAT(response.body, HasSubstr("convey_process_tasks_created_total{conv_id=\"1002\"} 1\n"));
  EXPECT_THAT(response.body,
              HasSubstr("convey_parked_tasks{conv_id=\"1002\",node_id=\"b00000000000000000000002\","
                        "node=\"Hold\",reason=\"no_exit\"} 1\n"));
  EXPECT_THAT(response.body,
              HasSubstr("convey_http_requests_total{route=\"task_api\",status=\"200\"} 1\n"));
  EXPECT_THAT(response.body, HasSubstr("convey_http_request_duration_seconds_bucket{route=\"task_"
                                       "api\",le=\"0.0025\"} 1\n"));
  EXPECT_THAT(response.body, HasSubstr("convey_run_queue_depth 0\n"));
}

TEST_F(ApiServiceTest, RateLimitAnswers429WithHeaders) {
  ApiServiceOptions options;
  options.rate_limit.per_second = 1;
  options.rate_limit.burst = 2;
  Start(std::move(options));
  auto header = [](const ServeResponse& response, const std::string& name) {
    for (const auto& [key, value] : response.headers) {
      if (key == name) return value;
    }
    return std::string("<missing>");
  };
  const std::string show =
      R"({"ops":[{"type":"show","obj":"task","obj_id":"000000000000000000000000"}]})";
  ServeResponse first = PostSigned(show);
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(header(first, "X-RateLimit-Limit"), "2");
  EXPECT_EQ(header(first, "X-RateLimit-Remaining"), "1");
  EXPECT_EQ(PostSigned(show).status, 200);
  ServeResponse refused = PostSigned(show);
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(header(refused, "Retry-After"), "1");
  EXPECT_EQ(header(refused, "X-RateLimit-Remaining"), "0");
  EXPECT_EQ(header(refused, "X-RateLimit-Reset"), "2");
  EXPECT_THAT(Field(refused.body, "/description"), HasSubstr("too many requests"));
  now_ += absl::Seconds(1);
  EXPECT_EQ(PostSigned(show).status, 200);
}

TEST_F(ApiServiceTest, DirectUrlCreatesATaskFromTheBody) {
  ApiServiceOptions options;
  options.direct_url_secret = "server-secret";
  Start(std::move(options));
  const std::string hash = service_->DirectUrlHash(1002);
  EXPECT_EQ(hash, Sha1Hex("server-secret:1002"));
  std::string path = absl::StrCat("/api/1/json/public/1002/", hash);
  ServeRequest request;
  request.method = "POST";
  request.path = path;
  const std::vector<std::pair<std::string, std::string>> query = {{"ref", "order 42"}};
  request.query = &query;
  request.body = R"({"amount":5})";
  ServeResponse response = service_->Handle(request);
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.route, Route::kDirectUrl);
  EXPECT_EQ(Field(response.body, "/ops/0/proc"), "ok") << response.body;
  EXPECT_EQ(Field(response.body, "/ops/0/ref"), "order 42") << response.body;
  auto shown = engine_->ShowTask(TaskKey::ByRef(1002, "order 42"));
  ASSERT_TRUE(shown.ok()) << shown.status();
  EXPECT_EQ(shown->data, R"({"amount":5})");

  request.body = "[1,2]";
  request.query = nullptr;
  response = service_->Handle(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(Field(response.body, "/ops/0/proc"), "error") << response.body;

  // A ref that is not UTF-8 (a query's %-escapes can make one), or too long.
  const std::vector<std::pair<std::string, std::string>> bad_ref = {{"ref",
                                                                     "form%2\x82"
                                                                     "1"}};
  request.query = &bad_ref;
  response = service_->Handle(request);
  EXPECT_EQ(response.status, 400);
  EXPECT_THAT(Field(response.body, "/description"), HasSubstr("must be UTF-8 text"));
  const std::vector<std::pair<std::string, std::string>> long_ref = {
      {"ref", std::string(256, 'r')}};
  request.query = &long_ref;
  EXPECT_EQ(service_->Handle(request).status, 400);
  request.query = nullptr;

  path = "/api/1/json/public/1002/0000000000000000000000000000000000000000";
  request.path = path;
  EXPECT_EQ(service_->Handle(request).status, 401);
  path = absl::StrCat("/api/1/json/public/1001/", hash);  // another process's hash
  request.path = path;
  EXPECT_EQ(service_->Handle(request).status, 401);
  path = absl::StrCat("/api/1/json/public/x/", hash);
  request.path = path;
  EXPECT_EQ(service_->Handle(request).status, 404);
}

TEST_F(ApiServiceTest, DirectUrlsAreOffWithoutASecret) {
  ServeResponse response = Post("/api/1/json/public/1002/abc", "{}");
  EXPECT_EQ(response.status, 404);
  EXPECT_THAT(Field(response.body, "/description"), HasSubstr("--direct-url-secret"));
}

TEST(SignatureTest, KnownValues) {
  // sha1("1" + "s" + "{}" + "s") and HMAC-SHA256("s", "1{}"), by openssl.
  EXPECT_EQ(UrlSignature("1", "s", "{}"), Sha1Hex("1s{}s"));
  EXPECT_EQ(Sha1Hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(HeaderSignature("", "key", "The quick brown fox jumps over the lazy dog"),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
  EXPECT_TRUE(HexDigestEquals("a9993e", "A9993E"));
  EXPECT_FALSE(HexDigestEquals("a9993e", "a9993f"));
  EXPECT_FALSE(HexDigestEquals("a9993e", "a9993"));
  // Case folding touches only A-F: 'I' (0x49) must not become 'i'.
  EXPECT_FALSE(HexDigestEquals("i", "I"));
}

}  // namespace
}  // namespace convey::serve
