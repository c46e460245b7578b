// The built-in HttpTransport: libcurl's multi interface on dedicated I/O
// threads.
//
// Each I/O thread owns one multi handle (and so one connection pool and DNS
// cache) and runs curl_multi_poll; Send hands a request to a thread through a
// mutex-protected queue, round-robin, and wakes it with curl_multi_wakeup
// (only when the queue was empty, and never its own thread, which looks at
// its queue before polling: a `done` that sends again costs no syscall).
// Every callback (`done` included) runs on the I/O thread that owns the
// transfer, so a transfer's state needs no locking; a slow `done` delays the
// other transfers of its thread.
#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "convey/http.h"
#include "runtime/base/status_macros.h"
#include "runtime/http/address_policy.h"
#include "runtime/http/curl_transfer.h"
#include "runtime/http/curl_transport_internal.h"

namespace convey {
namespace internal {
namespace {

using Clock = std::chrono::steady_clock;

// curl_multi_poll returns earlier when libcurl has a timer due or when
// woken; this only bounds how long a thread sleeps with nothing to do.
constexpr int kPollTimeoutMs = 1000;
// Reset easy handles kept for reuse per I/O thread.
constexpr size_t kMaxIdleEasyHandles = 64;

// One I/O thread and the multi handle it drives.
class IoThread {
 public:
  IoThread(CURLM* multi, const CurlTransportInternals* internals)
      : multi_(multi), internals_(internals) {}

  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  // Requires Stop() to have returned.
  ~IoThread() {
    for (CURL* easy : idle_easy_) curl_easy_cleanup(easy);
    curl_multi_cleanup(multi_);
  }

  void Start() {
    thread_ = std::thread([this] { Run(); });
  }

  void Enqueue(std::unique_ptr<CurlTransfer> t) {
    bool wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // A non-empty queue already has a wakeup on its way, and this thread
      // itself looks at its queue before it polls again.
      wake = queue_.empty() && current_ != this;
      queue_.push_back(std::move(t));
    }
    if (wake) curl_multi_wakeup(multi_);
  }

  // Asks the thread to stop; Join waits for it. Transfers it had started
  // have completed with Unavailable by then.
  void RequestStop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    curl_multi_wakeup(multi_);
  }

  void Join() {
    if (thread_.joinable()) thread_.join();
  }

  // After Join: completes the queued transfers with Unavailable; returns how
  // many (their callbacks may queue more).
  size_t FailQueued() {
    std::vector<std::unique_ptr<CurlTransfer>> queued;
    {
      std::lock_guard<std::mutex> lock(mu_);
      queued.swap(queue_);
    }
    for (auto& t : queued) CompleteShutDown(std::move(t));
    return queued.size();
  }

 private:
  static void CompleteShutDown(std::unique_ptr<CurlTransfer> t) {
    HttpDone done = std::move(t->done);
    t.reset();
    done(absl::UnavailableError("transport shut down before the answer arrived"));
  }

  void Run() {
    current_ = this;
    std::vector<std::unique_ptr<CurlTransfer>> batch;
    while (true) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) break;
        batch.swap(queue_);
      }
      for (auto& t : batch) Begin(std::move(t));
      batch.clear();
      int running = 0;
      curl_multi_perform(multi_, &running);
      int left = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
        if (msg->msg == CURLMSG_DONE) Finish(msg->easy_handle, msg->data.result);
      }
      bool idle;
      {
        std::lock_guard<std::mutex> lock(mu_);
        idle = queue_.empty() && !stopping_;
      }
      if (idle) curl_multi_poll(multi_, nullptr, 0, kPollTimeoutMs, nullptr);
    }
    std::vector<std::unique_ptr<CurlTransfer>> cut;
    cut.reserve(active_.size());
    for (auto& [easy, t] : active_) {
      curl_multi_remove_handle(multi_, easy);
      Release(t.get());
      cut.push_back(std::move(t));
    }
    active_.clear();
    for (auto& t : cut) CompleteShutDown(std::move(t));
  }

  CURL* TakeEasy() {
    if (!idle_easy_.empty()) {
      CURL* easy = idle_easy_.back();
      idle_easy_.pop_back();
      return easy;
    }
    return curl_easy_init();
  }

  // Returns the transfer's easy handle to the pool and frees its headers.
  void Release(CurlTransfer* t) {
    if (t->easy != nullptr) {
      curl_easy_reset(t->easy);
      if (idle_easy_.size() < kMaxIdleEasyHandles) {
        idle_easy_.push_back(t->easy);
      } else {
        curl_easy_cleanup(t->easy);
      }
      t->easy = nullptr;
    }
    curl_slist_free_all(t->headers);
    t->headers = nullptr;
  }

  void Complete(std::unique_ptr<CurlTransfer> t, absl::StatusOr<HttpResponse> result) {
    Release(t.get());
    HttpDone done = std::move(t->done);
    t.reset();
    done(std::move(result));
  }

  void Begin(std::unique_ptr<CurlTransfer> t) {
    if (t->request.refuse_private_addresses) {
      t->check = &internals_->address_check;
      // Requests mostly bring the same list (the engine's option): it is
      // parsed again only when it changes.
      if (t->request.allowed_networks != allowed_text_) {
        absl::StatusOr<std::vector<IpNetwork>> allowed =
            ParseIpNetworks(t->request.allowed_networks);
        if (!allowed.ok()) {
          Complete(std::move(t), absl::InvalidArgumentError(
                                     absl::StrCat("allowed_networks", allowed.status().message())));
          return;
        }
        allowed_text_ = t->request.allowed_networks;
        allowed_ = std::make_shared<const std::vector<IpNetwork>>(*std::move(allowed));
      }
      t->allowed = allowed_;
    }
    if (!internals_->ca_pem.empty()) t->ca_pem = &internals_->ca_pem;
    t->easy = TakeEasy();
    if (t->easy == nullptr) {
      Complete(std::move(t), absl::ResourceExhaustedError("curl_easy_init failed"));
      return;
    }
    if (absl::Status status = ConfigureTransfer(t.get()); !status.ok()) {
      Complete(std::move(t), std::move(status));
      return;
    }
    CURLMcode code = curl_multi_add_handle(multi_, t->easy);
    if (code != CURLM_OK) {
      Complete(std::move(t), absl::InternalError(absl::StrCat("curl_multi_add_handle: ",
                                                              curl_multi_strerror(code))));
      return;
    }
    CURL* easy = t->easy;
    active_.emplace(easy, std::move(t));
  }

  void Finish(CURL* easy, CURLcode code) {
    auto it = active_.find(easy);
    if (it == active_.end()) return;
    std::unique_ptr<CurlTransfer> t = std::move(it->second);
    active_.erase(it);
    curl_multi_remove_handle(multi_, easy);
    if (code != CURLE_OK) {
      long os_errno = 0;
      curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
      absl::Status status = TransferFailureStatus(*t, code, os_errno);
      Complete(std::move(t), std::move(status));
      return;
    }
    long status_code = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status_code);
    HttpResponse response = std::move(t->response);
    response.status = static_cast<int>(status_code);
    response.elapsed = absl::FromChrono(Clock::now() - t->sent);
    Complete(std::move(t), std::move(response));
  }

  // The IoThread whose thread this is, if any.
  static thread_local IoThread* current_;

  CURLM* const multi_;
  const CurlTransportInternals* const internals_;
  std::thread thread_;

  std::mutex mu_;
  std::vector<std::unique_ptr<CurlTransfer>> queue_;  // guarded by mu_
  bool stopping_ = false;                             // guarded by mu_

  // Owned by the I/O thread.
  absl::flat_hash_map<CURL*, std::unique_ptr<CurlTransfer>> active_;
  std::vector<CURL*> idle_easy_;
  // The last allow-list parsed, as given and as parsed (shared by its
  // transfers).
  std::vector<std::string> allowed_text_;
  std::shared_ptr<const std::vector<IpNetwork>> allowed_ =
      std::make_shared<std::vector<IpNetwork>>();
};

thread_local IoThread* IoThread::current_ = nullptr;

class CurlTransport : public HttpTransport {
 public:
  explicit CurlTransport(CurlTransportInternals internals) : internals_(std::move(internals)) {}

  ~CurlTransport() override {
    for (auto& thread : threads_) thread->RequestStop();
    for (auto& thread : threads_) thread->Join();
    // A callback run here may Send again: repeat until every queue stays
    // empty.
    size_t failed;
    do {
      failed = 0;
      for (auto& thread : threads_) failed += thread->FailQueued();
    } while (failed > 0);
  }

  absl::Status Init(const CurlTransportOptions& options) {
    for (int i = 0; i < options.io_threads; ++i) {
      CURLM* multi = curl_multi_init();
      if (multi == nullptr) {
        return absl::InternalError("curl_multi_init failed");
      }
      CURLMcode code = curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS,
                                         static_cast<long>(options.max_connections));
      threads_.push_back(std::make_unique<IoThread>(multi, &internals_));
      if (code != CURLM_OK) {
        return absl::InternalError(
            absl::StrCat("CURLMOPT_MAXCONNECTS: ", curl_multi_strerror(code)));
      }
    }
    // The OS may refuse a thread (limits, memory): an error, not an abort.
    // The destructor joins the threads that did start.
    try {
      for (auto& thread : threads_) thread->Start();
    } catch (const std::system_error& e) {
      return absl::ResourceExhaustedError(
          absl::StrCat("cannot start the HTTP transport's threads: ", e.what()));
    }
    return absl::OkStatus();
  }

  void Send(HttpRequest request, HttpDone done) override {
    auto t = std::make_unique<CurlTransfer>();
    t->sent = Clock::now();
    t->request = std::move(request);
    t->done = std::move(done);
    size_t i = next_.fetch_add(1, std::memory_order_relaxed) % threads_.size();
    threads_[i]->Enqueue(std::move(t));
  }

 private:
  const CurlTransportInternals internals_;
  std::vector<std::unique_ptr<IoThread>> threads_;
  std::atomic<size_t> next_{0};
};

absl::Status GlobalInit() {
  static const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (code != CURLE_OK) {
    return absl::InternalError(absl::StrCat("curl_global_init: ", curl_easy_strerror(code)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpTransport>> NewCurlTransportWith(
    const CurlTransportOptions& options, CurlTransportInternals internals) {
  if (options.io_threads < 1 || options.io_threads > 256) {
    return absl::InvalidArgumentError(absl::StrCat(
        "CurlTransportOptions.io_threads must be in [1, 256], got ", options.io_threads));
  }
  if (options.max_connections < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "CurlTransportOptions.max_connections must be at least 1, got ", options.max_connections));
  }
  if (internals.address_check == nullptr) {
    return absl::InvalidArgumentError("the address check is empty");
  }
  CONVEY_RETURN_IF_ERROR(GlobalInit());
  auto transport = std::make_unique<CurlTransport>(std::move(internals));
  CONVEY_RETURN_IF_ERROR(transport->Init(options));
  return std::unique_ptr<HttpTransport>(std::move(transport));
}

}  // namespace internal

absl::StatusOr<std::unique_ptr<HttpTransport>> NewCurlTransport(
    const CurlTransportOptions& options) {
  return internal::NewCurlTransportWith(options, {});
}

}  // namespace convey
