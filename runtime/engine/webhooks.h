// Webhooks: task events delivered to the host's URLs
// (EngineOptions::webhooks), signed, retried with backoff, at least once,
// never on a worker's time.
//
// A worker collects the deliveries a step causes before it commits the
// step: with a store each is a message (schema::MessageRecord WEBHOOK) in
// the same transition, so a crash cannot keep the step and lose its
// delivery; the next Open sends it again, with the same delivery id. After
// the commit the worker queues them (a lock held for a push); one delivery
// thread sends them through the engine's HTTP transport (the host's, or a
// libcurl one of its own), one at a time, and retries failures on the real
// clock. Delivered or given up, the message is removed and the outcome goes
// to the task's history when the task is still in memory, else to the
// logger.
//
// Locking: `mu_` guards the queue (a leaf lock). The delivery thread holds
// a task (EngineImpl::Acquire) only to add the history entry, holding no
// lock.
#ifndef CONVEY_RUNTIME_ENGINE_WEBHOOKS_H_
#define CONVEY_RUNTIME_ENGINE_WEBHOOKS_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "convey/engine.h"
#include "convey/http.h"
#include "runtime/store/store.h"
#include "schema/store.pb.h"

namespace convey {
namespace internal {

class EngineImpl;
struct Task;

// HMAC-SHA256 of `body` with `secret`, as lower-case hex.
std::string WebhookSignature(absl::string_view secret, absl::string_view body);

// Checks every subscription (InvalidArgument naming the one at fault).
absl::Status CheckWebhooks(const std::vector<WebhookSubscription>& webhooks);

class WebhookDispatcher {
 public:
  WebhookDispatcher(EngineImpl* engine, const EngineOptions& options);
  ~WebhookDispatcher();

  // False without subscriptions: the engine then calls nothing here.
  bool enabled() const { return !subscriptions_.empty(); }
  struct Delivery {
    size_t subscription = 0;
    std::string obj_id;
    std::string event;
    std::string id;  // X-Convey-Delivery: the same on every attempt and after a restart
    std::string body;
    // Its store message, or without a store a number of this run; with the
    // obj_id it makes `id`.
    uint64_t message_id = 0;
    // Sent once the step that caused it is written (0: nothing to wait for).
    uint64_t commit_ticket = 0;
    int attempt = 0;  // attempts made (in this run)
  };

  // Before the step (activation or call) that finished, stopped or parked
  // `task` is committed, by whoever holds it: what subscriptions want of it,
  // appended to `out`, and with a store also to `transition` as messages.
  // Never blocks beyond a short lock.
  void Collect(const Task& task, Transition* transition, std::vector<Delivery>* out);
  // After that commit (`ticket`, committed as acknowledged; 0 without a
  // store): hands them to the delivery thread, which sends them once the
  // step is written (synced, in sync mode).
  void Queue(std::vector<Delivery>* deliveries, uint64_t ticket);
  // Recovery, before Start: message `id` of the store, a delivery not made
  // before the engine stopped. One whose URL no subscription has any more
  // is dropped (logged, and removed from the store).
  void Recover(uint64_t id, const schema::MessageRecord& record);

  void Start();
  // Waits until nothing is queued or waiting for a retry, or `deadline`
  // (Engine::Close with a timeout: a graceful stop delivers what it can).
  void Drain(absl::Time deadline);
  // Stops the delivery thread; what is still queued is counted to the
  // logger and, without a store, dropped (with one, the next Open sends it).
  void Stop();

  int64_t delivered() const { return delivered_.load(std::memory_order_relaxed); }
  int64_t failed() const { return failed_.load(std::memory_order_relaxed); }

 private:
  void Run();
  // One attempt: true on a 2xx answer; `*error` says why not.
  bool Send(const Delivery& delivery, std::string* error);
  // Records the outcome in the task's history (or the logger) and removes
  // its store message.
  void Finish(const Delivery& delivery, bool delivered, absl::string_view detail);
  HttpTransport* transport();

  EngineImpl* const engine_;
  const std::vector<WebhookSubscription> subscriptions_;
  HttpTransport* const host_transport_;
  std::unique_ptr<HttpTransport> own_transport_;  // made on first use, by the delivery thread
  uint64_t next_id_ = 1;                          // guarded by mu_: ids without a store

  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable drained_;               // queued_ reached 0
  std::deque<Delivery> ready_;                    // guarded by mu_
  std::multimap<absl::Time, Delivery> retrying_;  // guarded by mu_: by when they are due
  size_t queued_ = 0;  // guarded by mu_: collected and not finished (ready_, retrying_, sending)
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
  std::atomic<int64_t> delivered_{0};
  std::atomic<int64_t> failed_{0};
  // Answers of a host's transport that come after Stop find this null.
  struct Pending;
};

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_ENGINE_WEBHOOKS_H_
