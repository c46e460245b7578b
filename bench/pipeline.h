// The pipeline benchmark's process and tasks (B1 in docs/performance.md),
// shared by engine_bench (in memory) and store_bench (with a store), so that
// their numbers compare.
#ifndef CONVEY_BENCH_PIPELINE_H_
#define CONVEY_BENCH_PIPELINE_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/support/scheme_text.h"

namespace convey {
namespace bench {

// A ~320-byte task; `amount` (i % 200) decides the route.
inline std::string PipelineTaskData(int i) {
  return absl::StrCat(
      R"j({"amount":)j", i % 200, R"j(,"currency":"UAH","customer":{"id":"c-)j", 100000 + i,
      R"j(","name":"Olena Kovalenko","segment":"retail"},"card":"4149********1234",)j",
      R"j("items":[{"sku":"A-100","qty":2},{"sku":"B-200","qty":1}],"channel":"mobile",)j",
      R"j("created_at":"2026-11-23T10:15:00Z","note":"deliver after 18:00, call first",)j",
      R"j("flags":{"vip":false,"fraud_check":true},"source":"bench"})j");
}

// start -> check (amount > 100, number) -> sum (api_sum) | mark (set_param)
// -> done (final, save_task false).
inline std::string PipelineScheme(int64_t conv_id) {
  using ::convey::testing::GoJson;
  using ::convey::testing::IfJson;
  using ::convey::testing::Kind;
  using ::convey::testing::NodeJson;
  return ::convey::testing::ProcessJson(
      conv_id,
      {NodeJson("start", Kind::kStart, "[" + GoJson("check") + "]"),
       NodeJson(
           "check", Kind::kNormal,
           "[" + IfJson("amount", "more", "100", "number", "sum") + "," + GoJson("mark") + "]"),
       NodeJson(
           "sum", Kind::kNormal,
           R"j([{"type":"api_sum","extra":[{"id":"total","name":"total","value":"{{amount}}"}]},)j" +
               GoJson("done") + "]"),
       NodeJson(
           "mark", Kind::kNormal,
           R"j([{"type":"set_param","extra":{"route":"small"},"extra_type":{"route":"string"}},)j" +
               GoJson("done") + "]"),
       NodeJson("done", Kind::kFinal, "[]", R"j({"save_task":false})j")});
}

}  // namespace bench
}  // namespace convey

#endif  // CONVEY_BENCH_PIPELINE_H_
