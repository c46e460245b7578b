// Scripts on several threads at once (each thread its own context), with
// runaway scripts among them: run under TSan and ASan by ./test.sh.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "runtime/script/js_runner.h"

namespace convey {
namespace internal {
namespace {

TEST(JsRunnerStressTest, ThreadsRunScriptsInParallel) {
  auto sum = ScriptSource::Check("data.total = data.price * data.qty; leaked = (typeof leaked);");
  auto loop = ScriptSource::Check("for (;;) {}");
  auto sha =
      ScriptSource::Check("data.h = require('libs/sha1.js').SHA1(String(data.price)).toString();");
  ASSERT_TRUE(sum.ok() && loop.ok() && sha.ok());
  ScriptLimits limits;  // 1 s: a loaded machine still runs sha1 in time
  ScriptLimits short_limits;
  short_limits.time_limit = absl::Milliseconds(20);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2500; ++i) {
        const std::string data = absl::StrCat(R"({"price":)", i, R"(,"qty":)", t, "}");
        if (i % 500 == 7) {
          if (RunScript(**loop, data, short_limits).kind != ScriptOutcome::Kind::kTimeout) ++wrong;
          continue;
        }
        const ScriptSource& source = i % 10 == 0 ? **sha : **sum;
        ScriptOutcome outcome = RunScript(source, data, limits);
        if (outcome.kind != ScriptOutcome::Kind::kOk) {
          ++wrong;
        } else if (&source == &**sum &&
                   outcome.data_json != absl::StrCat(R"({"price":)", i, R"(,"qty":)", t,
                                                     R"(,"total":)", i * t, "}")) {
          ++wrong;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace internal
}  // namespace convey
