// Webhooks (EngineOptions::webhooks, issue 16): what is delivered, signed
// with HMAC-SHA256; retries with backoff; an endpoint that is down is given
// up with a record in the task's history; with a store, a delivery not made
// before the engine stopped is sent by the next Open; bad subscriptions.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "convey/engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "simdjson.h"
#include "tests/support/scheme_text.h"

namespace convey {
namespace {

using ::convey::testing::GoJson;
using ::convey::testing::Kind;
using ::convey::testing::NodeJson;
using ::convey::testing::ProcessJson;
using ::testing::HasSubstr;

constexpr int64_t kConv = 7;
constexpr char kSecret[] = "s3cret";

// The test's own HMAC, written apart from the engine's.
std::string Hmac(const std::string& key, const std::string& body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &length);
  std::string hex;
  char buffer[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(buffer, sizeof(buffer), "%02x", digest[i]);
    hex += buffer;
  }
  return hex;
}

struct Received {
  std::string event, delivery, attempt, signature, body;
};

// Answers 503 to the first `failures` requests, then 200.
class Receiver {
 public:
  explicit Receiver(int failures, absl::Duration delay = absl::ZeroDuration())
      : failures_(failures) {
    server_.new_task_queue = [] { return new httplib::ThreadPool(2); };
    server_.Post(
        "/hook", [this, delay](const httplib::Request& request, httplib::Response& response) {
          absl::SleepFor(delay);
          std::lock_guard<std::mutex> lock(mu_);
          received_.push_back({request.get_header_value("X-Convey-Event"),
                               request.get_header_value("X-Convey-Delivery"),
                               request.get_header_value("X-Convey-Attempt"),
                               request.get_header_value("X-Convey-Signature"), request.body});
          response.status = failures_-- > 0 ? 503 : 200;
        });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_, "/hook"); }
  std::vector<Received> received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }

 private:
  httplib::Server server_;
  std::mutex mu_;
  std::vector<Received> received_;
  int failures_;
  int port_ = 0;
  std::thread thread_;
};

// start -> wait [api_callback, go -> done] -> done.
std::string Scheme() {
  return ProcessJson(kConv,
                     {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("wait"), "]")),
                      NodeJson("wait", Kind::kNormal,
                               absl::StrCat(R"([{"type":"api_callback"},)", GoJson("done"), "]")),
                      NodeJson("done", Kind::kFinal, "[]")});
}

std::unique_ptr<Engine> OpenWith(std::vector<WebhookSubscription> hooks) {
  EngineOptions options;
  options.worker_threads = 2;
  options.webhooks = std::move(hooks);
  auto engine = Engine::Open(options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  if (!engine.ok()) return nullptr;
  EXPECT_TRUE((*engine)->Deploy("t.json", Scheme()).ok());
  return *std::move(engine);
}

bool Eventually(const std::function<bool()>& condition) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return condition();
}

std::vector<std::string> WebhookTexts(Engine& engine, const std::string& obj_id) {
  std::vector<std::string> texts;
  absl::StatusOr<TaskHistory> history = engine.GetTaskHistory(TaskKey::ByObjId(obj_id));
  if (!history.ok()) return texts;
  for (const TaskHistoryEntry& entry : history->entries) {
    if (entry.kind == "webhook") texts.push_back(entry.text);
  }
  return texts;
}

TEST(WebhooksTest, ParkedAndFinishedAreDeliveredSignedAfterRetries) {
  Receiver receiver(/*failures=*/2);
  WebhookSubscription hook;
  hook.url = receiver.url();
  hook.secret = kSecret;
  hook.parked_at = {"wait"};
  hook.first_retry = absl::Milliseconds(10);
  auto engine = OpenWith({hook});
  absl::StatusOr<std::string> id = engine->CreateTask(kConv, "w1", R"({"a":1})");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(Eventually([&] { return WebhookTexts(*engine, *id).size() == 1; }));
  ASSERT_TRUE(engine->ModifyTask(TaskKey::ByObjId(*id), R"({"b":2})").ok());
  ASSERT_TRUE(Eventually([&] { return WebhookTexts(*engine, *id).size() == 2; }));
  const std::vector<Received> got = receiver.received();
  ASSERT_EQ(got.size(), 4u);  // parked: 503, 503, 200; finished: 200
  EXPECT_EQ(got[0].event, "task.parked");
  EXPECT_EQ(got[0].attempt, "1");
  EXPECT_EQ(got[2].attempt, "3");
  EXPECT_EQ(got[0].delivery, got[2].delivery);  // one delivery, three attempts
  EXPECT_EQ(got[3].event, "task.finished");
  EXPECT_NE(got[3].delivery, got[0].delivery);
  for (const Received& one : got) {
    EXPECT_EQ(one.signature, absl::StrCat("sha256=", Hmac(kSecret, one.body)));
  }
  simdjson::dom::parser parser;
  simdjson::dom::element body;
  ASSERT_EQ(parser.parse(got[3].body).get(body), simdjson::SUCCESS) << got[3].body;
  EXPECT_EQ(std::string_view(body["event"].get_string().value()), "task.finished");
  EXPECT_EQ(std::string_view(body["obj_id"].get_string().value()), *id);
  EXPECT_EQ(std::string_view(body["ref"].get_string().value()), "w1");
  EXPECT_EQ(std::string_view(body["node_id"].get_string().value()), "done");
  EXPECT_EQ(std::string_view(body["status"].get_string().value()), "processed");
  EXPECT_EQ(body["data"]["b"].get_int64().value(), 2);
  const std::vector<std::string> texts = WebhookTexts(*engine, *id);
  EXPECT_THAT(texts[0],
              HasSubstr("task.parked delivered to " + receiver.url() + " (HTTP 200, attempt 3)"));
  EXPECT_THAT(texts[1], HasSubstr("task.finished delivered"));
}

TEST(WebhooksTest, AnEndpointThatIsDownIsGivenUpWithARecordInTheHistory) {
  WebhookSubscription hook;
  hook.url = "http://127.0.0.1:1/hook";  // nothing listens there: refused at once
  hook.timeout = absl::Seconds(2);
  hook.parked_at = {"wait"};
  hook.finished = false;
  hook.max_attempts = 3;
  hook.first_retry = absl::Milliseconds(5);
  auto engine = OpenWith({hook});
  absl::StatusOr<std::string> id = engine->CreateTask(kConv, "", "{}");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(Eventually([&] { return WebhookTexts(*engine, *id).size() == 1; }));
  EXPECT_THAT(WebhookTexts(*engine, *id)[0],
              HasSubstr(absl::StrCat("task.parked to ", hook.url, " given up after 3 attempts")));
  // The workers were never held up: the task moves on at once.
  ASSERT_TRUE(engine->ModifyTask(TaskKey::ByObjId(*id), "{}").ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_EQ(engine->ShowTask(TaskKey::ByObjId(*id))->node_id, "done");
}

TEST(WebhooksTest, OnlyWhatASubscriptionAsksForIsSent) {
  Receiver receiver(0);
  WebhookSubscription other_process;
  other_process.url = receiver.url();
  other_process.conv_id = 999;  // no task of it
  WebhookSubscription errors_only;
  errors_only.url = receiver.url();
  errors_only.finished = false;
  auto engine = OpenWith({other_process, errors_only});
  absl::StatusOr<std::string> id = engine->CreateTask(kConv, "", "{}");
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  ASSERT_TRUE(engine->ModifyTask(TaskKey::ByObjId(*id), "{}").ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_TRUE(receiver.received().empty());
}

TEST(WebhooksTest, AnErrorIsDelivered) {
  Receiver receiver(0);
  WebhookSubscription hook;
  hook.url = receiver.url();
  hook.conv_id = 8;
  auto engine = OpenWith({hook});
  // A go whose link is empty in the file: the task stops with an error.
  ASSERT_TRUE(engine
                  ->Deploy("broken.json",
                           ProcessJson(8, {NodeJson("start", Kind::kStart, "[" + GoJson("") + "]"),
                                           NodeJson("end", Kind::kFinal, "[]")}))
                  .ok());
  absl::StatusOr<std::string> id = engine->CreateTask(8, "e1", "{}");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(Eventually([&] { return receiver.received().size() == 1; }));
  const Received got = receiver.received()[0];
  EXPECT_EQ(got.event, "task.error");
  EXPECT_THAT(got.body, HasSubstr(R"("status":"error")"));
  EXPECT_EQ(got.signature, "");  // no secret: unsigned
}

TEST(WebhooksTest, CloseWithATimeoutDeliversWhatIsQueued) {
  Receiver receiver(0, absl::Milliseconds(50));  // a slow receiver: deliveries queue up
  WebhookSubscription hook;
  hook.url = receiver.url();
  hook.parked_at = {"wait"};
  auto engine = OpenWith({hook});
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(engine->CreateTask(kConv, "", "{}").ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  ASSERT_TRUE(engine->Close(absl::Seconds(20)).ok());
  EXPECT_EQ(receiver.received().size(), 10u);
}

// An engine on the store in `directory`, told of tasks parked at "wait"
// through `url`; a failed attempt is retried only after a minute, that is
// never within a test.
std::unique_ptr<Engine> OpenStored(const std::string& directory, const std::string& url) {
  WebhookSubscription hook;
  hook.url = url;
  hook.parked_at = {"wait"};
  hook.finished = false;
  hook.first_retry = absl::Seconds(60);
  hook.max_retry_delay = absl::Seconds(60);
  EngineOptions options;
  options.worker_threads = 2;
  options.store_directory = directory;
  options.webhooks = {hook};
  auto engine = Engine::Open(options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? *std::move(engine) : nullptr;
}

// With a store a delivery is a message written with the step that caused
// it: one not made before the engine stopped is sent by the next Open, with
// the same delivery id, and once made it is never sent again.
TEST(WebhooksTest, AStoredDeliveryOutlivesARestartAndIsSentOnce) {
  const std::string directory = absl::StrCat(::testing::TempDir(), "/webhooks_store");
  std::system(absl::StrCat("rm -rf '", directory, "'").c_str());
  auto open = [&](const std::string& url) { return OpenStored(directory, url); };
  std::string obj_id;
  std::string first_delivery;
  // The receiver fails its first request only: the engine closes while the
  // delivery waits a minute for its retry.
  Receiver receiver(/*failures=*/1);
  {
    auto engine = open(receiver.url());
    ASSERT_NE(engine, nullptr);
    ASSERT_TRUE(engine->Deploy("t.json", Scheme()).ok());
    absl::StatusOr<std::string> id = engine->CreateTask(kConv, "kept", "{}");
    ASSERT_TRUE(id.ok()) << id.status();
    obj_id = *id;
    ASSERT_TRUE(Eventually([&] { return receiver.received().size() == 1; }));
    first_delivery = receiver.received()[0].delivery;
    // Closed while the delivery waits for its retry.
    EXPECT_TRUE(engine->Close(absl::ZeroDuration()).ok());
  }
  {
    auto engine = open(receiver.url());
    ASSERT_NE(engine, nullptr);
    ASSERT_TRUE(Eventually([&] { return receiver.received().size() == 2; }));
    const Received got = receiver.received()[1];
    EXPECT_EQ(got.event, "task.parked");
    EXPECT_EQ(got.delivery, first_delivery);  // the receiver can tell it is the same
    EXPECT_EQ(got.attempt, "1");              // attempts count anew in each run
    EXPECT_THAT(got.body, HasSubstr(obj_id));
    ASSERT_TRUE(Eventually([&] { return WebhookTexts(*engine, obj_id).size() == 1; }));
    EXPECT_THAT(WebhookTexts(*engine, obj_id)[0], HasSubstr("task.parked delivered"));
    EXPECT_TRUE(engine->Close(absl::Seconds(5)).ok());
  }
  {
    auto engine = open(receiver.url());
    ASSERT_NE(engine, nullptr);
    absl::SleepFor(absl::Milliseconds(300));
    EXPECT_EQ(receiver.received().size(), 2u);  // delivered: removed from the store
    // The task itself is still parked, and its next event is sent as usual.
    ASSERT_TRUE(engine->ModifyTask(TaskKey::ByObjId(obj_id), "{}").ok());
    ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
    EXPECT_EQ(engine->ShowTask(TaskKey::ByRef(kConv, "kept"))->node_id, "done");
  }
}

// A stored delivery whose URL no subscription has any more is dropped at
// Open (logged), not kept for ever.
TEST(WebhooksTest, AStoredDeliveryForAnUnsubscribedUrlIsDropped) {
  const std::string directory = absl::StrCat(::testing::TempDir(), "/webhooks_store_dropped");
  std::system(absl::StrCat("rm -rf '", directory, "'").c_str());
  Receiver down(/*failures=*/1000);
  {
    auto engine = OpenStored(directory, down.url());
    ASSERT_NE(engine, nullptr);
    ASSERT_TRUE(engine->Deploy("t.json", Scheme()).ok());
    ASSERT_TRUE(engine->CreateTask(kConv, "", "{}").ok());
    ASSERT_TRUE(Eventually([&] { return down.received().size() == 1; }));
  }
  struct Logs {
    std::mutex mu;
    std::vector<std::string> lines;
  } logs;
  for (int run = 0; run < 2; ++run) {
    EngineOptions options;
    options.worker_threads = 1;
    options.store_directory = directory;
    options.logger = [&logs](LogSeverity, absl::string_view text) {
      std::lock_guard<std::mutex> lock(logs.mu);
      logs.lines.emplace_back(text);
    };
    auto engine = Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status();
  }
  std::lock_guard<std::mutex> lock(logs.mu);
  int dropped = 0;
  for (const std::string& line : logs.lines) {
    if (absl::StrContains(line, "no subscription has that URL any more: dropped")) ++dropped;
  }
  EXPECT_EQ(dropped, 1);  // the first Open dropped it; the second found nothing
  EXPECT_EQ(down.received().size(), 1u);
}

TEST(WebhooksTest, BadSubscriptionsAreRefusedAtOpen) {
  const auto refused = [](WebhookSubscription hook, const std::string& why) {
    EngineOptions options;
    options.webhooks = {hook};
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
    ASSERT_FALSE(engine.ok());
    EXPECT_THAT(std::string(engine.status().message()), HasSubstr(why));
  };
  WebhookSubscription hook;
  hook.url = "ftp://example.com/x";
  refused(hook, "webhooks[0].url \"ftp://example.com/x\" must start with http:// or https://");
  hook.url = "http://example.com/x";
  hook.max_attempts = 0;
  refused(hook, "max_attempts is 0");
  hook.max_attempts = 3;
  hook.first_retry = absl::ZeroDuration();
  refused(hook, "first_retry and timeout must be more than 0");
  hook.first_retry = absl::Seconds(1);
  hook.finished = hook.error = false;
  refused(hook, "wants no event");
}

}  // namespace
}  // namespace convey
