// `convey serve --webhooks FILE.json`: what the file may say, and the
// errors that name the entry and key at fault.
#include "tools/webhooks_file.h"

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/serve_command.h"

namespace convey {
namespace tools {
namespace {

using ::testing::HasSubstr;

std::string Write(const std::string& name, const std::string& text) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/", name);
  std::ofstream(path) << text;
  return path;
}

TEST(WebhooksFileTest, ReadsEveryKey) {
  const std::string path = Write("hooks.json", R"([
    {"url": "https://ops.example.com/a", "secret": "s", "conv_id": 1001, "finished": false,
     "error": true, "parked_at": ["n1", "n2"], "max_attempts": 7, "first_retry_seconds": 0.5,
     "max_retry_delay_seconds": 60, "timeout_seconds": 3},
    {"url": "http://127.0.0.1:9/b"}
  ])");
  std::vector<WebhookSubscription> hooks;
  ASSERT_EQ(ReadWebhooksFile(path, &hooks), std::nullopt);
  ASSERT_EQ(hooks.size(), 2u);
  EXPECT_EQ(hooks[0].url, "https://ops.example.com/a");
  EXPECT_EQ(hooks[0].secret, "s");
  EXPECT_EQ(hooks[0].conv_id, 1001);
  EXPECT_FALSE(hooks[0].finished);
  EXPECT_THAT(hooks[0].parked_at, ::testing::ElementsAre("n1", "n2"));
  EXPECT_EQ(hooks[0].max_attempts, 7);
  EXPECT_EQ(hooks[0].first_retry, absl::Milliseconds(500));
  EXPECT_EQ(hooks[0].max_retry_delay, absl::Seconds(60));
  EXPECT_EQ(hooks[0].timeout, absl::Seconds(3));
  EXPECT_TRUE(hooks[1].finished && hooks[1].error);  // the defaults
}

TEST(WebhooksFileTest, WhatIsWrongIsNamed) {
  const auto problem = [](const std::string& text) {
    std::vector<WebhookSubscription> hooks;
    std::optional<std::string> why = ReadWebhooksFile(Write("bad.json", text), &hooks);
    return why.value_or("(accepted)");
  };
  EXPECT_THAT(problem("{"), HasSubstr("is not valid JSON"));
  EXPECT_THAT(problem(R"({"url":"x"})"), HasSubstr("must hold a JSON array of subscriptions"));
  EXPECT_THAT(problem("[5]"), HasSubstr("[0] must be an object, not a number"));
  EXPECT_THAT(problem(R"([{"secret":"s"}])"), HasSubstr("[0] has no \"url\""));
  EXPECT_THAT(problem(R"([{"url":"http://a/","retries":3}])"),
              HasSubstr("[0] has an unknown key \"retries\""));
  EXPECT_THAT(problem(R"([{"url":"http://a/","conv_id":"1001"}])"),
              HasSubstr("[0].conv_id must be an integer, not a string"));
  EXPECT_THAT(problem(R"([{"url":"http://a/","parked_at":"n1"}])"),
              HasSubstr("[0].parked_at must be an array of node ids"));
  EXPECT_THAT(problem(R"([{"url":"http://a/","url":"http://b/"}])"), HasSubstr("url"));
  std::vector<WebhookSubscription> hooks;
  EXPECT_THAT(ReadWebhooksFile("/nonexistent/hooks.json", &hooks).value_or(""),
              HasSubstr("cannot open --webhooks /nonexistent/hooks.json"));
}

TEST(WebhooksFileTest, ServeRefusesABadFileOrSubscription) {
  std::ostringstream out, err;
  EXPECT_EQ(RunServe({"--webhooks", Write("bad2.json", "[1]")}, out, err), 1);
  EXPECT_THAT(err.str(), HasSubstr("[0] must be an object"));
  std::ostringstream out2, err2;
  EXPECT_EQ(RunServe({"--listen", "127.0.0.1:0", "--webhooks",
                      Write("ftp.json", R"([{"url":"ftp://example.com/"}])")},
                     out2, err2),
            1);
  EXPECT_THAT(err2.str(), HasSubstr("must start with http:// or https://"));
}

}  // namespace
}  // namespace tools
}  // namespace convey
