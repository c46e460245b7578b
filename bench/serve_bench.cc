// convey serve's throughput as clients see it: a real HTTP server
// (runtime/serve) on a loopback port, and 64 kept-alive libcurl connections
// (one curl multi handle, on this process's main thread) sending requests
// back to back. Each benchmark creates tasks in a start -> final process:
//   BM_DirectUrlCreate   one task per request, POST /api/1/json/public/...
//   BM_SignedCreate      one create op per URL-signed request
//   BM_SignedBatch/100   100 create ops per URL-signed request
// Reported: creates a second (items_per_second), requests a second, and
// request latency p50/p99 in microseconds. The client shares the machine's
// cores with the server; bench/serve_wrk.sh measures the direct URL with wrk
// and nginx's static answer (the ceiling) in the same run.
#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "convey/engine.h"
#include "runtime/serve/api_service.h"
#include "runtime/serve/http_server.h"
#include "runtime/serve/serve_metrics.h"
#include "runtime/serve/signature.h"

namespace convey::serve {
namespace {

constexpr char kProcess[] =
    R"json([{"obj_type": 1, "obj_id": 1001, "title": "Pass", "status": "active", "conv_type": "process",
   "scheme": {"nodes": [
     {"id": "a00000000000000000000001", "obj_type": 1, "title": "Start",
      "condition": {"logics": [{"type": "go", "to_node_id": "a00000000000000000000002"}], "semaphors": []}},
     {"id": "a00000000000000000000002", "obj_type": 2, "title": "Done",
      "condition": {"logics": [], "semaphors": []}}]}}])json";
constexpr char kSecret[] = "bench-secret";
constexpr int kConnections = 64;

// The engine and server, shared by every benchmark of the run.
struct Served {
  std::unique_ptr<Engine> engine;
  std::unique_ptr<ServeMetrics> metrics;
  std::unique_ptr<ApiService> service;
  std::unique_ptr<HttpServer> server;
  std::string base;

  static Served& Get() {
    static Served* served = [] {
      auto* s = new Served;
      EngineOptions options;
      options.worker_threads = 1;
      s->engine = *Engine::Open(options);
      if (!s->engine->Deploy("pass.json", kProcess).ok()) std::abort();
      s->metrics = std::make_unique<ServeMetrics>(Clock::Real());
      ApiServiceOptions service_options;
      if (!service_options.keys.Add(absl::StrCat("1:", kSecret), "bench").ok()) std::abort();
      service_options.direct_url_secret = kSecret;
      s->service =
          std::make_unique<ApiService>(*s->engine, std::move(service_options), s->metrics.get());
      HttpServerOptions server_options;
      server_options.port = 0;
      s->server = *HttpServer::Start(server_options, s->service.get(), s->metrics.get());
      s->base = absl::StrCat("http://127.0.0.1:", s->server->port());
      curl_global_init(CURL_GLOBAL_DEFAULT);
      return s;
    }();
    return *served;
  }
};

// Sends `requests` POSTs of `body` to `url` over kConnections connections;
// returns each request's latency.
std::vector<absl::Duration> SendAll(const std::string& url, const std::string& body, int requests,
                                    benchmark::State& state) {
  struct Slot {
    CURL* curl = nullptr;
    absl::Time started;
  };
  CURLM* multi = curl_multi_init();
  std::vector<Slot> slots(kConnections);
  std::vector<absl::Duration> latencies;
  latencies.reserve(requests);
  int started = 0;
  auto start = [&](Slot& slot) {
    curl_easy_setopt(slot.curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(slot.curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(slot.curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(
        slot.curl, CURLOPT_WRITEFUNCTION,
        +[](char*, size_t size, size_t count, void*) { return size * count; });
    curl_easy_setopt(slot.curl, CURLOPT_PRIVATE, &slot);
    curl_easy_setopt(slot.curl, CURLOPT_NOSIGNAL, 1L);  // no sigaction per request
    slot.started = absl::Now();
    curl_multi_add_handle(multi, slot.curl);
    ++started;
  };
  for (Slot& slot : slots) {
    slot.curl = curl_easy_init();
    if (started < requests) start(slot);
  }
  int running = 0;
  int failed = 0;
  while (static_cast<int>(latencies.size()) + failed < requests) {
    curl_multi_perform(multi, &running);
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      Slot* slot = nullptr;
      curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &slot);
      long status = 0;
      curl_easy_getinfo(message->easy_handle, CURLINFO_RESPONSE_CODE, &status);
      if (message->data.result != CURLE_OK || status != 200) {
        ++failed;
      } else {
        latencies.push_back(absl::Now() - slot->started);
      }
      curl_multi_remove_handle(multi, slot->curl);
      if (started < requests) start(*slot);
    }
    curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  }
  for (Slot& slot : slots) curl_easy_cleanup(slot.curl);
  curl_multi_cleanup(multi);
  if (failed > 0) state.SkipWithError(absl::StrCat(failed, " requests failed").c_str());
  return latencies;
}

void Run(benchmark::State& state, const std::string& url, const std::string& body,
         int creates_per_request) {
  Served& served = Served::Get();
  constexpr int kRequestsPerIteration = 2000;
  std::vector<absl::Duration> latencies;
  for (auto _ : state) {
    std::vector<absl::Duration> batch = SendAll(url, body, kRequestsPerIteration, state);
    latencies.insert(latencies.end(), batch.begin(), batch.end());
  }
  if (!served.engine->WaitIdle(absl::Seconds(60)).ok()) state.SkipWithError("engine not idle");
  state.SetItemsProcessed(state.iterations() * kRequestsPerIteration * creates_per_request);
  state.counters["requests_per_second"] = benchmark::Counter(
      static_cast<double>(state.iterations() * kRequestsPerIteration), benchmark::Counter::kIsRate);
  if (!latencies.empty()) {
    std::sort(latencies.begin(), latencies.end());
    state.counters["p50_us"] = absl::ToDoubleMicroseconds(latencies[latencies.size() / 2]);
    state.counters["p99_us"] = absl::ToDoubleMicroseconds(latencies[latencies.size() * 99 / 100]);
  }
}

std::string SignedUrl(const std::string& body) {
  const std::string unixtime = absl::StrCat(absl::ToUnixSeconds(absl::Now()));
  return absl::StrCat(Served::Get().base, "/api/2/json/1/", unixtime, "/",
                      UrlSignature(unixtime, kSecret, body));
}

std::string Creates(int count) {
  std::string body = R"({"ops":[)";
  for (int i = 0; i < count; ++i) {
    absl::StrAppend(&body, i > 0 ? "," : "",
                    R"({"type":"create","obj":"task","conv_id":1001,"data":{"amount":)", i,
                    R"(,"customer":"c-17"}})");
  }
  return body + "]}";
}

void BM_DirectUrlCreate(benchmark::State& state) {
  Served& served = Served::Get();
  const std::string url =
      absl::StrCat(served.base, "/api/1/json/public/1001/", served.service->DirectUrlHash(1001));
  Run(state, url, R"({"amount":17,"customer":"c-17"})", 1);
}
BENCHMARK(BM_DirectUrlCreate)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_SignedCreate(benchmark::State& state) {
  const std::string body = Creates(1);
  Run(state, SignedUrl(body), body, 1);
}
BENCHMARK(BM_SignedCreate)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_SignedBatch(benchmark::State& state) {
  const int ops = static_cast<int>(state.range(0));
  const std::string body = Creates(ops);
  Run(state, SignedUrl(body), body, ops);
}
BENCHMARK(BM_SignedBatch)->Arg(100)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace convey::serve

BENCHMARK_MAIN();
