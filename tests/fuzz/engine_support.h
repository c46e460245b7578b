// Engine helpers for the fuzz targets of tests/fuzz: an HTTP transport that
// answers at once without touching the network, and engine options sized
// for one small input.
#ifndef CONVEY_TESTS_FUZZ_ENGINE_SUPPORT_H_
#define CONVEY_TESTS_FUZZ_ENGINE_SUPPORT_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/time/time.h"
#include "convey/engine.h"
#include "convey/environment.h"
#include "convey/http.h"

namespace convey {
namespace fuzz {

// An HttpTransport for engines under fuzzing: never opens a socket. Each
// request is answered from one thread of its own (HttpTransport::Send must
// not call `done` itself) with 200 and a small JSON object. Lives forever
// (engines borrow it).
class LocalTransport : public HttpTransport {
 public:
  static LocalTransport& Get() {
    static LocalTransport* transport = new LocalTransport();
    return *transport;
  }

  void Send(HttpRequest request, HttpDone done) override {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.emplace_back(std::move(request), std::move(done));
    cv_.notify_one();
  }

 private:
  LocalTransport() : thread_([this] { Loop(); }) { thread_.detach(); }

  void Loop() {
    for (;;) {
      std::pair<HttpRequest, HttpDone> next;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return !pending_.empty(); });
        next = std::move(pending_.front());
        pending_.pop_front();
      }
      HttpResponse response;
      response.status = 200;
      response.headers.emplace_back("content-type", "application/json");
      response.content_type = "application/json";
      response.body = R"({"status":"ok","amount":7,"items":[1,2],"echo":{"n":1}})";
      response.elapsed = absl::Milliseconds(1);
      next.second(std::move(response));
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<HttpRequest, HttpDone>> pending_;
  std::thread thread_;
};

// Engine options for one fuzz input: one worker, the given clock, no
// network, small queues and limits so that an input that multiplies tasks
// or loops ends quickly.
inline EngineOptions SmallEngineOptions(Clock* clock) {
  EngineOptions options;
  options.worker_threads = 1;
  options.clock = clock;
  options.http_transport = &LocalTransport::Get();
  options.max_task_size = 16000;
  options.max_queued_tasks = 64;
  options.loop_limit = 20;
  options.max_rpc_depth = 4;
  options.api_timeout = absl::Seconds(1);
  options.api_refuse_private_addresses = true;
  options.code_limits.time_limit = absl::Milliseconds(200);
  options.code_limits.heap_limit_bytes = size_t{16} << 20;
  return options;
}

}  // namespace fuzz
}  // namespace convey

#endif  // CONVEY_TESTS_FUZZ_ENGINE_SUPPORT_H_
