// The documented runs of corpus files; see corpus_cases.h.
#include "tests/compat/corpus_cases.h"

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "convey/logic.h"
#include "convey/scheme.h"

namespace convey {
namespace compat {
namespace {

constexpr char kCaller[] = "tests/compat/rpc_caller.json";
constexpr int64_t kCallerConv = 9001;
constexpr char kCallerReplied[] = "c0c0000000000000000000c3";
constexpr char kCallerFailed[] = "c0c0000000000000000000c4";
// Processes 1660237 and 1660248, which 052 calls (the platform's actor
// API): a Code node makes the actor, the other replies at once.
constexpr char kActorStubs[] = "tests/compat/actor_stubs.json";

// Task data for 005 (its required params).
constexpr char kCreateActor[] =
    R"({"authorization_token":"atn_7Hq2mK9x","actor_name":"Ada Lovelace","form_id":4211,)"
    R"("accId":"0f8fad5b-d9cb-469f-a165-70867728950e"})";
// The request body 005's Code node prepares from it.
constexpr char kCreateActorBody[] =
    R"({"appId":"","appSettings":{},"cardActorId":"0f8fad5b-d9cb-469f-a165-70867728950e",)"
    R"("data":{},"description":"","picture":"","ref":"default-ref","title":"Ada Lovelace",)"
    R"("viewData":{}})";
constexpr char kActor[] = R"({"id":"4b2c7a0e","title":"Ada Lovelace","formId":4211})";

// Task data for 011 (its declared params but priceId) and what Stripe answers.
constexpr char kCheckout[] =
    R"("customer":"cus_NffrFeUfNV2Hib","mode":"payment",)"
    R"("secretKey":"sk_test_4eC39HqLyjWDarjtT1zdp7dc",)"
    R"("successUrl":"https://example.com/success?session={CHECKOUT_SESSION_ID}")";
constexpr char kPrice[] = "price_1OZ9f9IvuXypwENBLpQz1Zqt";  // the one 011 knows
constexpr char kCheckoutForm[] =
    "success_url=https%3A%2F%2Fexample.com%2Fsuccess%3Fsession%3D%7BCHECKOUT_SESSION_ID%7D"
    "&mode=payment&line_items[0][price]=price_1OZ9f9IvuXypwENBLpQz1Zqt"
    "&line_items[0][quantity]=1&customer=cus_NffrFeUfNV2Hib";
constexpr char kStripeCustomer[] =
    R"({"id":"cus_NffrFeUfNV2Hib","object":"customer","email":"ada@example.com"})";
constexpr char kStripeSession[] = R"({"id":"cs_test_a1","object":"checkout.session",)"
                                  R"("url":"https://checkout.stripe.com/c/pay/cs_test_a1"})";

// Task data for 026, an API gateway wrapper: the request it got, the
// process that handles it (053, which replies) and where the answer goes.
std::string GatewayTask(const std::string& callback) {
  return absl::StrCat(R"({"PROC_ID":1758522,"first_name":"Ada","__callback_url":")", callback,
                      R"(","api_gateway":{"request":{"path":"/users","method":"POST",)"
                      R"("headers":{"App-Id":"app-1"},"body":{"first_name":"Ada"}}}})");
}
// What 026's second Code node keeps of the task for the answer: what the
// call added, without the `_` keys and what the task came with.
constexpr char kGatewayAnswer[] =
    R"({"apiId":"{{WORKSPACE_ID}}:{{PROJECT_ID}}:{{ROOT_FOLDER_ID}}","status":"ok","user_id":13214})";

// The actors 052 creates through kActorStubs.
constexpr char kActors[] = R"([{"id":"act-actor-0","title":"actor-0","formId":4211},)"
                           R"({"id":"act-actor-1","title":"actor-1","formId":4211}])";

// Task data for 051 (its declared params) and the ops a local server
// answers with.
constexpr char kNodeList[] =
    R"({"api_login":"12345","api_secret":"s3cret","workspaceId":"w-1","processId":"1866481",)"
    R"("nodeId":"6a33e2cde552e8da3dcb1602","limit":"10","offset":"0"})";
constexpr char kNodeListOps[] =
    R"([{"proc":"ok","obj":"node","list":[{"obj_id":"6a33e2cde552e8da3dcb1602",)"
    R"("title":"Corezoid API - Get Node List","obj_type":0}]}])";

std::string CallerData(int64_t callee, const std::string& rest = "") {
  return absl::StrCat(R"({"callee":)", callee, rest.empty() ? "" : ",", rest, "}");
}

// The corpus file whose name starts with `number` and `_`; empty if none
// or several.
std::string CorpusFile(const std::string& number) {
  std::string found;
  for (const std::string& name : CorpusFiles()) {
    if (!absl::StartsWith(name, number + "_")) continue;
    if (!found.empty()) return "";
    found = name;
  }
  return found;
}

std::string CountsText(const std::map<std::string, int>& counts) {
  if (counts.empty()) return "—";
  std::vector<std::string> parts;
  for (const auto& [type, count] : counts) parts.push_back(absl::StrCat(type, " ", count));
  return absl::StrJoin(parts, ", ");
}

}  // namespace

void PrintTo(const Case& c, std::ostream* os) { *os << "case " << c.name; }

// Platform behaviour and deviations are discussed per case in
// docs/compatibility.md.
const std::vector<Case>& CorpusCases() {
  // clang-format off
  static const auto* cases = new std::vector<Case>{
      // api.simulator.company is unreachable: the call fails (DNS) and the
      // error exit replies "API call error". The Code node's URL, header
      // and body are in the data.
      {"005", "005", {"005"}, 1, kCreateActor, "",
       {{1, "6846e29d513aa075cf49b681", "processed", "api_bad_answer", 1}},
       {{1, "6846e29d513aa075cf49b681", "api_url",
         R"("https://api.simulator.company/v/1.0/actors/actor/4211")", 1},
        {1, "6846e29d513aa075cf49b681", "authorization_header", R"("Bearer atn_7Hq2mK9x")", 1},
        {1, "6846e29d513aa075cf49b681", "reqBody", kCreateActorBody, 1}}},
      {"005 routed", "005", {"005"}, 1, kCreateActor, "",
       {{1, "6846e29d513aa075cf49b682", "processed", "", 1}},
       {{1, "6846e29d513aa075cf49b682", "body", kActor, 1}}, 0,
       LocalHttp{true, "POST", "https://api.simulator.company/v/1.0/actors/actor/4211",
                 kCreateActorBody, kActor, 1}},
      // Calls process 1660237, which no file holds: the call fails and the
      // error exit replies. The actors the Code node built are in the data.
      {"006", "006", {"006"}, 1670561,
       R"({"form_id":4211,"workspace_id":"ws-1","count":2,"prefix_name":"actor-","user_id":68381})",
       "",
       {{1670561, "684b3826513aa075cf410baf", "processed", "rpc_task_fatal_error", 1}},
       {{1670561, "684b3826513aa075cf410baf", "actors",
         R"([{"title":"actor-0","formId":4211},{"title":"actor-1","formId":4211}])", 1}}},
      // Every node id is empty: Start's `go` leads nowhere, so the task
      // stops there.
      {"007", "007", {"007"}, 1, R"({"in_base_currency":"EUR","in_target_currency":"USD"})", "",
       {{1, "6835acac513aa075cf53babf", "error", "", 1}},
       {{1, "6835acac513aa075cf53babf", "apiKey", kMissing, 1}}},
      // A question with arithmetic, then one without: the Code node tells
      // them apart (Cyrillic regular expressions). The first calls process
      // 1660229 (GPT), which no file holds.
      {"008", "008", {"008"}, 1668282, "", "tests/compat/tasks/008.jsonl",
       {{1668282, "68418f1382ba9626707c4f60", "processed", "rpc_task_fatal_error", 1},
        {1668282, "68418f1382ba9626707c4f65", "processed", "", 1}},
       {{1668282, "68418f1382ba9626707c4f60", "isCalculation", "true", 1},
        {1668282, "68418f1382ba9626707c4f60", "model", R"("gpt-3.5-turbo")", 1},
        {1668282, "68418f1382ba9626707c4f65", "isCalculation", "false", 1},
        {1668282, "68418f1382ba9626707c4f65", "status", R"("no_calculation")", 1}}},
      {"008 called", "008", {kCaller, "008"}, kCallerConv, "",
       "tests/compat/tasks/008_called.jsonl",
       {{kCallerConv, kCallerReplied, "processed", "", 1},
        {kCallerConv, kCallerFailed, "processed", "rpc_reply_exception", 1},
        {1668282, "68418f1382ba9626707c4f60", "processed", "rpc_task_fatal_error", 1},
        {1668282, "68418f1382ba9626707c4f65", "processed", "", 1}},
       {{kCallerConv, kCallerReplied, "status", R"("no_calculation")", 1},
        {kCallerConv, kCallerReplied, "reason",
         R"("Вопрос не содержит математического выражения для вычисления")", 1},
        {kCallerConv, kCallerReplied, "isCalculation", kMissing, 1},
        {kCallerConv, kCallerFailed, "status", R"("error")", 1},
        {kCallerConv, kCallerFailed, "reason", R"("Ошибка при вызове GPT API")", 1}}},
      {"009", "009", {"009"}, 1668282, "", "tests/compat/tasks/008.jsonl",
       {{1668282, "68418f1382ba9626707c4f60", "processed", "rpc_task_fatal_error", 1},
        {1668282, "68418f1382ba9626707c4f65", "processed", "", 1}},
       {{1668282, "68418f1382ba9626707c4f60", "isCalculation", "true", 1},
        {1668282, "68418f1382ba9626707c4f65", "status", R"("no_calculation")", 1}}},
      // jsonplaceholder.typicode.com is unreachable: the error exit replies.
      {"010", "010", {"010"}, 1681677, "{}", "",
       {{1681677, "685d4513e552e823155fd4c5", "processed", "api_bad_answer", 1}},
       {{1681677, "685d4513e552e823155fd4c5", "title", R"("foo")", 1},
        {1681677, "685d4513e552e823155fd4c5", "userId", "1", 1}}},
      {"010 routed", "010", {"010"}, 1681677, "{}", "",
       {{1681677, "685d4513e552e823155fd4bf", "processed", "", 1}},
       {{1681677, "685d4513e552e823155fd4bf", "body",
         R"({"id":101,"title":"foo","body":"bar","userId":1})", 1}}, 0,
       LocalHttp{true, "POST", "https://jsonplaceholder.typicode.com/posts",
                 R"({"body":"bar","title":"foo","userId":1})",
                 R"({"id":101,"title":"foo","body":"bar","userId":1})", 1}},
      // A price the process does not know: it replies price_not_found before
      // any Code node. (With the known price and no network the customer
      // check retries every 30 s for ever: see docs/compatibility.md.)
      {"011", "011", {"011"}, 1731219,
       absl::StrCat("{", kCheckout, R"(,"priceId":"price_unknown"})"), "",
       {{1731219, "68cd4707b677ac95d10d3420", "processed", "", 1}},
       {{1731219, "68cd4707b677ac95d10d3420", "url", R"("https://api.stripe.com")", 1}}},
      // The known price: the customer is checked, then the checkout session
      // is created with the form body the second Code node builds.
      {"011 routed", "011", {"011"}, 1731219,
       absl::StrCat("{", kCheckout, R"(,"priceId":")", kPrice, R"("})"), "",
       {{1731219, "68cd3f94e552e8d57009fb0d", "processed", "", 1}},
       {{1731219, "68cd3f94e552e8d57009fb0d", "pathAndQuery", R"("/v1/checkout/sessions")", 1},
        {1731219, "68cd3f94e552e8d57009fb0d", "requestBody",
         absl::StrCat(R"(")", kCheckoutForm, R"(")"), 1}}, 0,
       LocalHttp{true, "GET", "https://api.stripe.com/v1/customers/cus_NffrFeUfNV2Hib", "",
                 kStripeCustomer, 1,
                 {{"POST", "https://api.stripe.com/v1/checkout/sessions", kCheckoutForm,
                   kStripeSession}}}},
      // The connector templates: the call reads `{{URL}}{{PATH_AND_QUERY}}`,
      // which nothing sets (no_scheme); the metrics sum then finds no
      // `__conveyor_api_debug__` and stops the task (no err_node_id).
      {"013", "013", {"013"}, 1728607, R"({"field1":"v1"})", "",
       {{1728607, "68c7d814b677ac95d1a0f22f", "error",
         "api_bad_answer,api_sum_wrong_convert_param", 1}},
       {{1728607, "68c7d814b677ac95d1a0f22f", "url", R"("https://api.example.test")", 1},
        {1728607, "68c7d814b677ac95d1a0f22f", "requestBody", "{}", 1},
        {1728607, "68c7d814b677ac95d1a0f22f", "pathAndQuery", R"("")", 1}},
       0, std::nullopt, {"example-url=https://api.example.test"}},
      {"014", "014", {"014"}, 1728607, R"({"field1":"v1"})", "",
       {{1728607, "68c7d814b677ac95d1a0f22f", "error",
         "api_bad_answer,api_sum_wrong_convert_param", 1}},
       {{1728607, "68c7d814b677ac95d1a0f22f", "url", R"("")", 1},
        {1728607, "68c7d814b677ac95d1a0f22f", "requestBody", "{}", 1}}},
      // The Smart API templates: every event copy goes to a process alias
      // (convey has none) and the call's URL is empty (no_scheme).
      {"015", "015", {"015"}, 1, "{}", "",
       {{1, "68602771e552e82315e085e8", "processed", "conveyor_is_not_active,api_bad_answer", 1}},
       {{1, "68602771e552e82315e085e8", "requestBody", "{}", 1},
        {1, "68602771e552e82315e085e8", "url", R"("")", 1}}},
      {"016", "016", {"016"}, 1682902, "{}", "",
       {{1682902, "68602771e552e82315e085e8", "processed",
         "conveyor_is_not_active,api_bad_answer", 1}},
       {{1682902, "68602771e552e82315e085e8", "alias",
         R"("receiver-smart-api-system-transaction")", 1}}},
      // Calls https://api.simulator.company/actors/{actorId}. Unreachable, it
      // would retry every 30 s for ever, so only the routed run.
      {"017 routed", "017", {"017"}, 1682902, R"({"actorId":"a-1","token":"atn_7Hq2mK9x"})", "",
       {{1682902, "68602725b677ac148ddda4e2", "processed", "conveyor_is_not_active", 1}},
       {{1682902, "68602725b677ac148ddda4e2", "pathAndQuery", R"("/actors/a-1")", 1},
        {1682902, "68602725b677ac148ddda4e2", "responseBody",
         R"({"id":"a-1","title":"Ada Lovelace","formId":4211})", 1}}, 0,
       LocalHttp{true, "GET", "https://api.simulator.company/actors/a-1", "",
                 R"({"id":"a-1","title":"Ada Lovelace","formId":4211})", 1}},
      {"018", "018", {"018"}, 1682902, "{}", "",
       {{1682902, "68602771e552e82315e085e8", "processed",
         "conveyor_is_not_active,api_bad_answer", 1}},
       {{1682902, "68602771e552e82315e085e8", "alias",
         R"("receiver-smart-api-system-transaction")", 1}}},
      {"019", "019", {"019"}, 1682902, R"({"field1":"v1"})", "",
       {{1682902, "68602771e552e82315e085e8", "processed",
         "conveyor_is_not_active,api_bad_answer", 1}},
       {{1682902, "68602771e552e82315e085e8", "alias",
         R"("receiver-smart-api-system-transaction")", 1}}},
      {"020", "020", {"020"}, 1728530, R"({"field1":"v1"})", "",
       {{1728530, "68c41d48e552e8d570366bcf", "error",
         "api_bad_answer,api_sum_wrong_convert_param", 1}},
       {{1728530, "68c41d48e552e8d570366bcf", "requestBody", "{}", 1}}},
      {"021", "021", {"021"}, 1728607, R"({"field1":"v1"})", "",
       {{1728607, "68c7d814b677ac95d1a0f22f", "error",
         "api_bad_answer,api_sum_wrong_convert_param", 1}},
       {{1728607, "68c7d814b677ac95d1a0f22f", "requestBody", "{}", 1}}},
      {"023", "023", {"023"}, 1, "{}", "",
       {{1, "68602771e552e82315e085e8", "processed", "conveyor_is_not_active,api_bad_answer", 1}},
       {{1, "68602771e552e82315e085e8", "requestBody", "{}", 1}}},
      {"024", "024", {"024"}, 1, "{}", "",
       {{1, "68602771e552e82315e085e8", "processed", "conveyor_is_not_active,api_bad_answer", 1}},
       {{1, "68602771e552e82315e085e8", "requestBody", "{}", 1}}},
      // An API gateway wrapper calling 053 (PROC_ID). The answer goes to
      // `__callback_url`; here nothing listens there (refused).
      {"026", "026", {"026", "053"}, 1758751, GatewayTask("http://127.0.0.1:1/callback"), "",
       {{1758751, "68ffb93db677ac4b9f3f144f", "processed", "api_bad_answer", 1},
        {1758522, "68ff35aee552e819080577ba", "processed", "", 1}},
       {{1758751, "68ffb93db677ac4b9f3f144f", "rsp", kGatewayAnswer, 1},
        {1758751, "68ffb93db677ac4b9f3f144f", "start_state", kMissing, 1}}},
      // The callback answered: the task goes on to the `_leanUrl` call,
      // whose URL is the literal "{{LEAN_URL}}" (no_scheme).
      {"026 served", "026", {"026", "053"}, 1758751, GatewayTask("{server}/callback"), "",
       {{1758751, "693c1e39e552e88ac46c8c6f", "processed", "api_bad_answer", 1},
        {1758522, "68ff35aee552e819080577ba", "processed", "", 1}},
       {{1758751, "693c1e39e552e88ac46c8c6f", "rsp", kGatewayAnswer, 1},
        {1758751, "693c1e39e552e88ac46c8c6f", "ok", "true", 1}}, 0,
       LocalHttp{false, "POST", "{server}/callback", kGatewayAnswer, R"({"ok":true})", 1}},
      // Copies itself: each copy copies again. convey ends the chain after
      // loop_limit (50) copies; the copy that would be the 51st fails.
      {"027", "027", {"027"}, 123, "{}", "",
       {{123, "aabbccddaabbccddaabb0003", "processed", "", 50},
        {123, "aabbccddaabbccddaabb0002", "error", "copy_task_fatal_error", 1}},
       {{123, "aabbccddaabbccddaabb0003", "copy_conv_id", "123", 49}}},
      {"028", "028", {"028"}, 1, R"({"data":{"result":"r-1"}})", "",
       {{1, "aabbccddeeff001122330003", "processed", "", 1}}, {}},
      {"028 called", "028", {kCaller, "028"}, kCallerConv,
       CallerData(1, R"("data":{"result":"r-1"})"), "",
       {{kCallerConv, kCallerReplied, "processed", "", 1},
        {1, "aabbccddeeff001122330003", "processed", "", 1}},
       {{kCallerConv, kCallerReplied, "result", R"("r-1")", 1},
        {kCallerConv, kCallerReplied, "status", R"("success")", 1}}},
      {"029", "029", {"029"}, 1, R"({"data":{"result":"r-1"}})", "",
       {{1, "aabbccddeeff001122330003", "processed", "", 1}}, {}},
      {"029 called", "029", {kCaller, "029"}, kCallerConv,
       CallerData(1, R"("data":{"result":"r-1"})"), "",
       {{kCallerConv, kCallerReplied, "processed", "", 1},
        {1, "aabbccddeeff001122330003", "processed", "", 1}},
       {{kCallerConv, kCallerReplied, "result", R"("r-1")", 1},
        {kCallerConv, kCallerReplied, "status", R"("success")", 1}}},
      // set_param in the legacy `params` list shape.
      {"030", "030", {"030"}, 1, "{}", "",
       {{1, "ddaabbccddaabbccddaa0003", "processed", "", 1}},
       {{1, "ddaabbccddaabbccddaa0003", "x", R"("1")", 1}}},
      {"030 called", "030", {kCaller, "030"}, kCallerConv, CallerData(1), "",
       {{kCallerConv, kCallerReplied, "processed", "", 1},
        {1, "ddaabbccddaabbccddaa0003", "processed", "", 1}},
       {{kCallerConv, kCallerReplied, "status", R"("ok")", 1},
        {kCallerConv, kCallerReplied, "x", kMissing, 1},
        {1, "ddaabbccddaabbccddaa0003", "x", R"("1")", 1}}},
      {"031", "031", {"031"}, 1, "{}", "",
       {{1, "ddaabbccddaabbccddaa0003", "processed", "", 1}},
       {{1, "ddaabbccddaabbccddaa0003", "x", R"("1")", 1}}},
      {"031 called", "031", {kCaller, "031"}, kCallerConv, CallerData(1), "",
       {{kCallerConv, kCallerReplied, "processed", "", 1},
        {1, "ddaabbccddaabbccddaa0003", "processed", "", 1}},
       {{kCallerConv, kCallerReplied, "status", R"("ok")", 1},
        {1, "ddaabbccddaabbccddaa0003", "x", R"("1")", 1}}},
      {"032", "032", {"032"}, 1, "{}", "",
       {{1, "ccddaabbccddeeff00112203", "processed", "", 1}}, {}},
      {"033", "033", {"033"}, 1, "{}", "",
       {{1, "aabbccddeeff00112233aa02", "processed", "", 1}}, {}},
      // Calls process 12345, which no file holds: the rpc fails and the
      // task takes the escalation route.
      {"034", "034", {"034"}, 1, "{}", "",
       {{1, "aabbccddaabbccddaabbcc04", "processed", "rpc_task_fatal_error", 1}}, {}},
      {"035", "035", {"035"}, 1, "{}", "",
       {{1, "bbbb0003513aa075cf400003", "processed", "", 1}}, {}},
      // The caller gets the first reply; the second finds no caller waiting.
      {"035 called", "035", {kCaller, "035"}, kCallerConv, CallerData(1), "",
       {{kCallerConv, kCallerReplied, "processed", "", 1},
        {1, "bbbb0003513aa075cf400003", "processed", "", 1}},
       {{kCallerConv, kCallerReplied, "links", "[]", 1},
        {kCallerConv, kCallerReplied, "chars", "0", 1},
        {kCallerConv, kCallerReplied, "note", R"("plain strings are fine")", 1},
        {kCallerConv, kCallerReplied, "meta", kMissing, 1}}},
      // Stub mode: one task per stub branch.
      {"036", "036", {"036"}, 1, "", "tests/compat/tasks/036.jsonl",
       {{1, "cccccccccccccccccccccccc", "processed", "", 1},
        {1, "dddddddddddddddddddddddd", "processed", "rpc_reply_exception", 1}},
       {{1, "cccccccccccccccccccccccc", "stub_node_response", R"("fine")", 1},
        {1, "cccccccccccccccccccccccc", "__logic_stub_mode__", "true", 1},
        {1, "dddddddddddddddddddddddd", "status", R"("error")", 1},
        {1, "dddddddddddddddddddddddd", "__logic_stub_mode__", "true", 1}}},
      {"037", "037", {"037"}, 1, R"({"email":"ada@example.com"})", "",
       {{1, "ccddaabbccddaabbccdd0002", "processed", "", 1}}, {}},
      {"038", "038", {"038"}, 1, R"({"user_id":"u-1"})", "",
       {{1, "bbccddaabbccddaabbcc0002", "processed", "", 1}}, {}},
      // `{{env_var[@STRIPE_URL]}}/charge` with the variable not set: the URL
      // is "/charge" and the call fails before any request (no err_node_id).
      {"039", "039", {"039"}, 100, R"({"amount":1500})", "",
       {{100, "aaaa000000000000000000a2", "error", "api_bad_answer", 1}},
       {{100, "aaaa000000000000000000a2", "__conveyor_api_return_description__",
         R"("no_scheme")", 1}}},
      // The variables set, STRIPE_URL pointing at a local server: the answer
      // is merged; the node has no `go`, so the task stays there.
      {"039 served", "039", {"039"}, 100, R"({"amount":1500})", "",
       {{100, "aaaa000000000000000000a2", "no_exit", "", 1}},
       {{100, "aaaa000000000000000000a2", "status", R"("succeeded")", 1}}, 0,
       LocalHttp{false, "POST", "{server}/charge", R"({"amount":"1500"})",
                 R"({"id":"ch_3MmlLrLkdIwHu7ix0snN0B15","status":"succeeded"})", 1},
       {"STRIPE_URL={server}", "STRIPE_TOKEN=sk_test_4eC39HqLyjWDarjtT1zdp7dc"}},
      // Pulls from node "Charge" of process 100 (file 039), which is no
      // queue node.
      {"040", "040", {"039", "040"}, 200, "{}", "",
       {{200, "bbbb000000000000000000b2", "error", "queue_wrong_logic", 1}}, {}},
      // A state diagram: the task stays in its state.
      {"041", "041", {"041"}, 300, "{}", "",
       {{300, "cccc000000000000000000c2", "no_exit", "", 1}},
       {{300, "cccc000000000000000000c2", "state", R"("created")", 1}}},
      {"042", "042", {"042"}, 400, "{}", "",
       {{400, "dddd000000000000000000d2", "processed", "", 1}}, {}},
      // A and B call each other: the call 33 deep fails (max_rpc_depth 32);
      // the 32 callers above it keep waiting for a reply.
      {"043", "043", {"043", "044"}, 600, "{}", "",
       {{600, "ffff000000000000000000f2", "reply", "", 16},
        {600, "ffff000000000000000000f2", "error", "rpc_task_fatal_error", 1},
        {601, "0011000000000000000000f2", "reply", "", 16}}, {}},
      {"044", "044", {"044", "043"}, 601, "{}", "",
       {{601, "0011000000000000000000f2", "reply", "", 16},
        {601, "0011000000000000000000f2", "error", "rpc_task_fatal_error", 1},
        {600, "ffff000000000000000000f2", "reply", "", 16}}, {}},
      {"045", "045", {"045"}, 602, "{}", "",
       {{602, "0022000000000000000000f2", "reply", "", 32},
        {602, "0022000000000000000000f2", "error", "rpc_task_fatal_error", 1}}, {}},
      // set_param from three variables, then no `go`: the task stays there
      // (the Code node after it is never reached). Unset, the variables
      // read as missing values.
      {"046", "046", {"046"}, 800, "{}", "",
       {{800, "0044000000000000000000g2", "no_exit", "", 1}},
       {{800, "0044000000000000000000g2", "endpoint", R"("/v2")", 1},
        {800, "0044000000000000000000g2", "auth", R"("Bearer ")", 1}}},
      {"046 env", "046", {"046"}, 800, "{}", "",
       {{800, "0044000000000000000000g2", "no_exit", "", 1}},
       {{800, "0044000000000000000000g2", "endpoint", R"("https://api.example.test/v2")", 1},
        {800, "0044000000000000000000g2", "auth", R"("Bearer tok-1")", 1},
        {800, "0044000000000000000000g2", "workspace", kMissing, 1}},
       0, std::nullopt,
       {"API_URL=https://api.example.test", "API_TOKEN=tok-1", "WORKSPACE=ws-1"}},
      {"047", "047", {"047"}, 500, "{}", "",
       {{500, "eeee000000000000000000e2", "processed", "", 1}}, {}},
      // https://api.example.com, unreachable here: the call fails, and with
      // no err_node_id the task stops.
      {"048", "048", {"048"}, 700, "{}", "",
       {{700, "0033000000000000000000g2", "error", "api_bad_answer", 1}}, {}},
      // The same call answered by a local server: the node has no `go`, so
      // the task stays there.
      {"048 routed", "048", {"048"}, 700, "{}", "",
       {{700, "0033000000000000000000g2", "no_exit", "", 1}},
       {{700, "0033000000000000000000g2", "accepted", "true", 1}}, 0,
       LocalHttp{true, "POST", "https://api.example.com",
                 R"({"token":"FAKE_abcdefghij_012345_secret_value"})", R"({"accepted":true})", 1}},
      // A Code node with `chunkify`, which is ignored.
      {"050", "050", {"050"}, 1180234, R"({"raw":"  hello  "})", "",
       {{1180234, "5f2a11c4e552e8da3d32d903", "processed", "", 1}},
       {{1180234, "5f2a11c4e552e8da3d32d903", "normalized", R"("hello")", 1}}},
      // api.corezoid.com is unreachable: the error exit replies with an
      // exception and ends in "Error".
      {"051", "051", {"051"}, 1866481, kNodeList, "",
       {{1866481, "6a33e2cde552e8da3dcb161a", "processed", "api_bad_answer", 1}},
       {{1866481, "6a33e2cde552e8da3dcb161a", "__conveyor_api_return_type_error__",
         R"("software")", 1}}},
      // Answered by a local server as the Corezoid API would.
      {"051 routed", "051", {"051"}, 1866481, kNodeList, "",
       {{1866481, "6a33e2cde552e8da3dcb160c", "processed", "", 1}},
       {{1866481, "6a33e2cde552e8da3dcb160c", "request_proc", R"("ok")", 1},
        {1866481, "6a33e2cde552e8da3dcb160c", "ops", kNodeListOps, 1}}, 0,
       LocalHttp{true, "POST", "https://api.corezoid.com/api/2/json/12345", "",
                 absl::StrCat(R"({"request_proc":"ok","ops":)", kNodeListOps, "}"), 1}},
      // count 0: the first Code node throws and its error exit replies; count
      // 2: the call to process 1660237 (not deployed) fails.
      {"052", "052", {"052"}, 1663605, "", "tests/compat/tasks/052.jsonl",
       {{1663605, "68307a3e513aa075cfa81ec5", "processed", "code_executing_error", 1},
        {1663605, "68307a3e513aa075cfa81ecb", "processed", "rpc_task_fatal_error", 1}},
       {{1663605, "68307a3e513aa075cfa81ec5", "__conveyor_code_return_type_error__",
         R"("software")", 1},
        {1663605, "68307a3e513aa075cfa81ec5", "created_actors", kMissing, 1},
        {1663605, "68307a3e513aa075cfa81ecb", "actor_title", R"("actor-0")", 1},
        {1663605, "68307a3e513aa075cfa81ecb", "created_actors", "[]", 1}}},
      // Called, with the two processes it calls standing in: count 2 goes
      // round both loops of Code nodes (create, then share, each actor) and
      // replies the actors; count 0 replies the Code node's error.
      {"052 called", "052", {kCaller, kActorStubs, "052"}, kCallerConv, "",
       "tests/compat/tasks/052_called.jsonl",
       {{kCallerConv, kCallerReplied, "processed", "", 1},
        {kCallerConv, kCallerFailed, "processed", "rpc_reply_exception", 1},
        {1663605, "68307a3e513aa075cfa81ee0", "processed", "", 1},
        {1663605, "68307a3e513aa075cfa81ec5", "processed", "code_executing_error", 1},
        {1660237, "a1a1000000000000000000a4", "processed", "", 2},
        {1660248, "a2a2000000000000000000a3", "processed", "", 2}},
       {{kCallerConv, kCallerReplied, "result", R"("success")", 1},
        {kCallerConv, kCallerReplied, "actors", kActors, 1},
        {kCallerConv, kCallerFailed, "result", R"("error")", 1},
        {kCallerConv, kCallerFailed, "description",
         R"js("Error: Count must be greater than 0 (line 7, column 11)")js", 1},
        {1663605, "68307a3e513aa075cfa81ee0", "current_share_index", "2", 1},
        {1663605, "68307a3e513aa075cfa81ee0", "continue_sharing", "false", 1}}},
      // first_name given, empty, missing (a missing param makes `eq ""`
      // false: Part A3).
      {"053", "053", {"053"}, 1758522, "", "tests/compat/tasks/053.jsonl",
       {{1758522, "68ff35aee552e819080577ba", "processed", "", 2},
        {1758522, "68ff7b76e552e81908288df2", "processed", "", 1}}, {}},
      {"053 called", "053", {kCaller, "053"}, kCallerConv, "",
       "tests/compat/tasks/053_called.jsonl",
       {{kCallerConv, kCallerReplied, "processed", "", 2},
        {1758522, "68ff35aee552e819080577ba", "processed", "", 1},
        {1758522, "68ff7b76e552e81908288df2", "processed", "", 1}},
       {{kCallerConv, kCallerReplied, "status", R"("ok")", 1},
        {kCallerConv, kCallerReplied, "user_id", "13214", 1},
        {kCallerConv, kCallerReplied, "status", R"("error")", 1},
        {kCallerConv, kCallerReplied, "description", R"("first_name is requred")", 1}}},
      // Nothing listens on port 1: refused, a software error, no retry.
      {"056", "056", {"056"}, 1, R"({"url":"http://127.0.0.1:1/health"})", "",
       {{1, "aabc000000000000000000006", "processed", "api_bad_answer", 1}},
       {{1, "aabc000000000000000000006", "__conveyor_api_return_type_error__",
         R"("software")", 1}}},
      {"056 served", "056", {"056"}, 1, R"({"url":"{server}/health"})", "",
       {{1, "aabc000000000000000000007", "processed", "", 1}},
       {{1, "aabc000000000000000000007", "status", R"("up")", 1}}, 0,
       LocalHttp{false, "GET", "{server}/health", "", R"({"status":"up"})", 1}},
      // amount 0, then 1500: `{{env_var[@payment-api-url]}}/charge` is
      // "/charge" (the variable is not set), a software error.
      {"057", "057", {"057"}, 1, "", "tests/compat/tasks/057.jsonl",
       {{1, "erh000000000000000000000a", "processed", "", 1},
        {1, "erh000000000000000000000a", "processed", "api_bad_answer", 1}},
       {{1, "erh000000000000000000000a", "__conveyor_api_return_description__",
         R"("no_scheme")", 1}}},
      // payment-api-url set to a local server: 1500 is charged and the
      // success reply ends in the other "Final".
      {"057 served", "057", {"057"}, 1, "", "tests/compat/tasks/057.jsonl",
       {{1, "erh000000000000000000000a", "processed", "", 1},
        {1, "erh000000000000000000000b", "processed", "", 1}},
       {{1, "erh000000000000000000000b", "charge_id", R"("ch_3MmlLrLkdIwHu7ix0snN0B15")", 1}}, 0,
       LocalHttp{false, "POST", "{server}/charge", R"({"order_id":"ORD-0002","amount":1500})",
                 R"({"charge_id":"ch_3MmlLrLkdIwHu7ix0snN0B15"})", 1},
       {"payment-api-url={server}"}},
      {"058", "058", {"058"}, 1, "", "tests/compat/tasks/057.jsonl",
       {{1, "erh000000000000000000000a", "processed", "", 1},
        {1, "erh000000000000000000000a", "processed", "api_bad_answer", 1}},
       {{1, "erh000000000000000000000a", "__conveyor_api_return_description__",
         R"("no_scheme")", 1}}},
  };
  // clang-format on
  return *cases;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

std::vector<std::string> CorpusFiles() {
  std::vector<std::string> files;
  DIR* dir = opendir(kCorpusDir);
  if (dir == nullptr) return files;
  while (dirent* entry = readdir(dir)) {
    const std::string name = entry->d_name;
    if (absl::EndsWith(name, ".json")) files.push_back(name);
  }
  closedir(dir);
  std::sort(files.begin(), files.end());
  return files;
}

bool IsCorpusNumber(const std::string& file) {
  return file.size() == 3 && std::all_of(file.begin(), file.end(), absl::ascii_isdigit);
}

std::string PathOf(const std::string& file) {
  if (!IsCorpusNumber(file)) return file;
  const std::string name = CorpusFile(file);
  return name.empty() ? "" : kCorpusDir + name;
}

std::vector<std::string> TaskData(const Case& c) {
  if (c.input.empty()) return {c.data};
  std::vector<std::string> lines;
  std::istringstream in(ReadFile(c.input));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> RunArgs(const Case& c, const std::string& dir) {
  std::vector<std::string> args;
  for (const std::string& file : c.files) {
    if (!IsCorpusNumber(file)) {
      args.push_back(file);
    } else if (dir == kDocCorpusDir) {
      args.push_back(absl::StrCat(dir, file, "_*.json"));
    } else {
      args.push_back(dir + CorpusFile(file));
    }
  }
  args.push_back("--conv");
  args.push_back(absl::StrCat(c.conv_id));
  if (c.input.empty()) {
    args.push_back("--data");
    args.push_back(c.data);
  } else {
    args.push_back("--input");
    args.push_back(c.input);
  }
  for (const std::string& variable : c.env) {
    args.push_back("--env");
    args.push_back(variable);
  }
  return args;
}

std::string DocCommand(const Case& c) {
  std::vector<std::string> words = RunArgs(c, kDocCorpusDir);
  for (std::string& word : words) {
    if (absl::StartsWith(word, "{")) word = absl::StrCat("'", word, "'");
  }
  return absl::StrCat("bazel-bin/tools/convey run ", absl::StrJoin(words, " "));
}

absl::StatusOr<FileRow> InspectCorpusFile(const std::string& name) {
  absl::StatusOr<SchemeReport> report = InspectSchemeFile(kCorpusDir + name);
  if (!report.ok()) return report.status();
  if (!report->ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " does not load: ", report->errors.front().ToString()));
  }
  std::vector<std::string> convs;
  std::map<std::string, int> logics, semaphores;
  std::set<std::string> missing;
  for (const ProcessSummary& process : report->processes) {
    convs.push_back(absl::StrCat(process.conv_id, process.synthetic_conv_id ? " (synthetic)" : ""));
    for (const auto& [type, count] : process.logic_counts) {
      logics[type] += count;
      // The registry decides: a type with no factory fails a task reaching
      // it with `logic_not_supported` (inspect's unsupported_nodes, below,
      // asks the same registry).
      if (LogicRegistry::Global().Find(type) == nullptr) missing.insert(type);
    }
    for (const auto& [type, count] : process.semaphore_counts) semaphores[type] += count;
    for (const UnsupportedNode& node : process.unsupported_nodes) {
      missing.insert(node.logic_types.begin(), node.logic_types.end());
    }
  }
  FileRow row;
  row.conv = absl::StrJoin(convs, ", ");
  row.logics = CountsText(logics);
  row.semaphores = CountsText(semaphores);
  row.missing = missing.empty() ? "—" : absl::StrJoin(missing, ", ");
  row.eligible = !report->processes.empty() && missing.empty();
  return row;
}

}  // namespace compat
}  // namespace convey
