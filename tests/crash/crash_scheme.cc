// The crash test's processes (crash_scheme.h).
#include "tests/crash/crash_scheme.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/support/scheme_text.h"

namespace convey {
namespace crash {

using ::convey::testing::GoJson;
using ::convey::testing::IfJson;
using ::convey::testing::Kind;
using ::convey::testing::NodeJson;
using ::convey::testing::ProcessJson;
using ::convey::testing::SemaphoreNodeJson;
using ::convey::testing::TimeJson;

namespace {

std::string Logics(const std::vector<std::string>& logics) {
  return absl::StrCat("[", absl::StrJoin(logics, ","), "]");
}

}  // namespace

std::string CrashScheme() {
  std::vector<std::string> main = {
      NodeJson("start", Kind::kStart,
               Logics({IfJson("kind", "eq", "timer", "string", "wait_timer"),
                       IfJson("kind", "eq", "callback", "string", "wait_cb"),
                       IfJson("kind", "eq", "copy", "string", "copy"),
                       IfJson("kind", "eq", "rpc", "string", "call"),
                       IfJson("kind", "eq", "api", "string", "http"), GoJson("bad")})),
      SemaphoreNodeJson("wait_timer", Kind::kNormal, "[]",
                        Logics({TimeJson("0.5", "sec", "sum_timer")})),
      SemaphoreNodeJson("wait_cb", Kind::kNormal,
                        Logics({IfJson("paid", "eq", "1", "number", "sum_cb"),
                                R"({"type":"api_callback"})", GoJson("sum_cb")}),
                        Logics({TimeJson("600", "sec", "late")})),
      NodeJson(
          "copy", Kind::kNormal,
          Logics(
              {R"j({"type":"api_copy","mode":"create","conv_id":2,"ref":"c-{{r}}","data":{"origin":"{{r}}"},"data_type":{"origin":"string"},"err_node_id":"bad"})j",
               GoJson("sum_copy")})),
      NodeJson(
          "call", Kind::kNormal,
          Logics(
              {R"j({"type":"api_rpc","conv_id":3,"extra":{"x":"{{x}}"},"extra_type":{"x":"number"},"err_node_id":"bad"})j",
               GoJson("sum_rpc")})),
      NodeJson(
          "http", Kind::kNormal,
          Logics(
              {R"j({"type":"api","method":"GET","url":"{{url}}?n={{n}}","extra":{},"extra_type":{},"err_node_id":"bad"})j",
               GoJson("sum_api")})),
      NodeJson("late", Kind::kFinal, "[]"),
      NodeJson("bad", Kind::kFinal, "[]"),
  };
  for (const char* kind : kKinds) {
    const std::string short_name = std::string(kind) == "callback" ? "cb" : kind;
    main.push_back(NodeJson(
        "sum_" + short_name, Kind::kNormal,
        Logics(
            {R"j({"type":"api_sum","extra":[{"id":"total","name":"total","value":"{{amount}}"}]})j",
             GoJson("done_" + std::string(kind))})));
    main.push_back(NodeJson("done_" + std::string(kind), Kind::kFinal, "[]"));
  }
  const std::string copies =
      ProcessJson(kCopies,
                  {NodeJson("c_start", Kind::kStart, Logics({GoJson("copied")})),
                   NodeJson("copied", Kind::kFinal, "[]")},
                  "copies");
  const std::string callee = ProcessJson(
      kCallee,
      {NodeJson("r_start", Kind::kStart, Logics({GoJson("r_wait")})),
       SemaphoreNodeJson("r_wait", Kind::kNormal, "[]",
                         Logics({TimeJson("0.3", "sec", "r_reply")})),
       NodeJson(
           "r_reply", Kind::kNormal,
           Logics(
               {R"j({"type":"api_rpc_reply","mode":"key_value","res_data":{"y":"$.math({{x}}*2)"},"res_data_type":{"y":"number"}})j",
                GoJson("r_end")})),
       NodeJson("r_end", Kind::kFinal, "[]")},
      "callee");
  return absl::StrCat("[", ProcessJson(kMain, main, "main"), ",", copies, ",", callee, "]");
}

}  // namespace crash
}  // namespace convey
