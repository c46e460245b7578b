#include "runtime/engine/webhooks.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "runtime/engine/engine_impl.h"
#include "runtime/engine/persistence.h"
#include "runtime/json/json_writer.h"

namespace convey {
namespace internal {
namespace {

// Deliveries queued or waiting for a retry, at most; past it new ones are
// dropped (and logged) rather than let a dead endpoint grow memory.
constexpr size_t kMaxQueued = 100000;

std::string BodyOf(const Task& task, absl::string_view event, absl::string_view id) {
  JsonWriter out;
  out.BeginObject()
      .Key("event")
      .String(event)
      .Key("delivery")
      .String(id)
      .Key("conv_id")
      .Int(task.process->conv_id)
      .Key("obj_id")
      .String(task.obj_id_view())
      .Key("ref")
      .String(task.ref)
      .Key("status")
      .String(TaskStatusName(task.status))
      .Key("park_reason")
      .String(ParkReasonName(task.park))
      .Key("node_id")
      .String(task.current_node().id)
      .Key("node_title")
      .String(task.current_node().title)
      .Key("time")
      .String(absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::FromUnixMicros(task.change_micros),
                               absl::UTCTimeZone()))
      .Key("data")
      .Raw(task.data.empty() ? "{}" : task.data)
      .EndObject();
  return out.Release();
}

}  // namespace

std::string WebhookSignature(absl::string_view secret, absl::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

absl::Status CheckWebhooks(const std::vector<WebhookSubscription>& webhooks) {
  for (size_t i = 0; i < webhooks.size(); ++i) {
    const WebhookSubscription& hook = webhooks[i];
    const std::string name = absl::StrCat("EngineOptions::webhooks[", i, "]");
    if (!absl::StartsWith(hook.url, "http://") && !absl::StartsWith(hook.url, "https://")) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ".url \"", hook.url, "\" must start with http:// or https://"));
    }
    if (!hook.finished && !hook.error && hook.parked_at.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " wants no event (finished, error or parked_at)"));
    }
    if (hook.max_attempts < 1 || hook.max_attempts > 100) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ".max_attempts is ", hook.max_attempts, ": must be 1..100"));
    }
    if (hook.first_retry <= absl::ZeroDuration() || hook.max_retry_delay < hook.first_retry ||
        hook.timeout <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(
          name,
          ": first_retry and timeout must be more than 0, and max_retry_delay at least "
          "first_retry"));
    }
  }
  return absl::OkStatus();
}

// What an attempt waits on: shared with the transport's callback, which
// may come after the dispatcher stopped waiting.
struct WebhookDispatcher::Pending {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;  // guarded by mu
  absl::StatusOr<HttpResponse> result = absl::UnknownError("no answer");
};

WebhookDispatcher::WebhookDispatcher(EngineImpl* engine, const EngineOptions& options)
    : engine_(engine), subscriptions_(options.webhooks), host_transport_(options.http_transport) {}

WebhookDispatcher::~WebhookDispatcher() { Stop(); }

void WebhookDispatcher::Start() {
  if (!enabled()) return;
  thread_ = std::thread([this] { Run(); });
}

void WebhookDispatcher::Drain(absl::Time deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  while (queued_ > 0 && !stop_) {
    const absl::Time now = absl::Now();
    if (now >= deadline) return;
    drained_.wait_for(lock,
                      absl::ToChronoMilliseconds(std::min(deadline - now, absl::Milliseconds(50))));
  }
}

void WebhookDispatcher::Stop() {
  size_t left = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
    left = queued_;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  own_transport_.reset();  // completes what it still holds (nobody waits)
  if (left > 0) {
    engine_->Log(LogSeverity::kWarning,
                 absl::StrCat("webhooks: ", left, " deliveries not made before the engine closed",
                              engine_->persistence() != nullptr
                                  ? " (kept in the store: the next Open sends them)"
                                  : " (dropped)"));
  }
}

void WebhookDispatcher::Collect(const Task& task, Transition* transition,
                                std::vector<Delivery>* out) {
  Persistence* persistence = engine_->persistence();
  const bool finished = task.status == TaskStatus::kProcessed;
  const bool error = task.status == TaskStatus::kError || task.status == TaskStatus::kLoopStopped;
  const bool parked = task.status == TaskStatus::kProcessing && task.park != ParkReason::kNone;
  if (!finished && !error && !parked) return;
  for (size_t i = 0; i < subscriptions_.size(); ++i) {
    const WebhookSubscription& hook = subscriptions_[i];
    if (hook.conv_id != 0 && hook.conv_id != task.process->conv_id) continue;
    absl::string_view event;
    if (finished && hook.finished) {
      event = "task.finished";
    } else if (error && hook.error) {
      event = "task.error";
    } else if (parked && std::find(hook.parked_at.begin(), hook.parked_at.end(),
                                   task.current_node().id) != hook.parked_at.end()) {
      event = "task.parked";
    } else {
      continue;
    }
    Delivery delivery;
    delivery.subscription = i;
    delivery.obj_id = std::string(task.obj_id_view());
    delivery.event = std::string(event);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
      if (queued_ >= kMaxQueued) {
        engine_->Log(LogSeverity::kError,
                     absl::StrCat("webhooks: ", kMaxQueued, " deliveries are queued; ", event,
                                  " of task ", delivery.obj_id, " to ", hook.url, " is dropped"));
        continue;
      }
      ++queued_;  // held for it until Queue
      // With a store, its message id names the delivery: the same when the
      // next Open sends it again.
      delivery.message_id = persistence != nullptr ? persistence->NewMessageId() : next_id_++;
    }
    delivery.id = absl::StrCat(delivery.obj_id, "-", delivery.message_id);
    delivery.body = BodyOf(task, event, delivery.id);
    if (persistence != nullptr) {
      schema::MessageRecord record;
      record.set_webhook_url(hook.url);
      record.set_webhook_event(delivery.event);
      record.set_webhook_delivery(delivery.id);
      record.set_data(delivery.body);
      persistence->AddWebhook(delivery.message_id, delivery.obj_id, std::move(record), transition);
    }
    out->push_back(std::move(delivery));
  }
}

void WebhookDispatcher::Queue(std::vector<Delivery>* deliveries, uint64_t ticket) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (Delivery& delivery : *deliveries) {
      delivery.commit_ticket = ticket;
      ready_.push_back(std::move(delivery));
    }
  }
  deliveries->clear();
  cv_.notify_one();
}

void WebhookDispatcher::Recover(uint64_t id, const schema::MessageRecord& record) {
  for (size_t i = 0; i < subscriptions_.size(); ++i) {
    if (subscriptions_[i].url != record.webhook_url()) continue;
    Delivery delivery;
    delivery.subscription = i;
    delivery.obj_id = record.target_obj_id();
    delivery.event = record.webhook_event();
    delivery.id = record.webhook_delivery();
    delivery.body = record.data();
    delivery.message_id = id;
    std::lock_guard<std::mutex> lock(mu_);
    ++queued_;
    ready_.push_back(std::move(delivery));
    return;
  }
  engine_->Log(LogSeverity::kWarning,
               absl::StrCat("webhooks: ", record.webhook_event(), " of task ",
                            record.target_obj_id(), " to ", record.webhook_url(),
                            " was not delivered before the engine stopped, and no subscription "
                            "has that URL any more: dropped"));
  engine_->persistence()->RemoveMessage(id, record.target_obj_id());
}

void WebhookDispatcher::Run() {
  for (;;) {
    Delivery delivery;
    {
      std::unique_lock<std::mutex> lock(mu_);
      for (;;) {
        if (stop_) return;
        const absl::Time now = absl::Now();
        while (!retrying_.empty() && retrying_.begin()->first <= now) {
          ready_.push_back(std::move(retrying_.begin()->second));
          retrying_.erase(retrying_.begin());
        }
        if (!ready_.empty()) break;
        if (retrying_.empty()) {
          cv_.wait(lock);
        } else {
          cv_.wait_for(lock, absl::ToChronoMicroseconds(retrying_.begin()->first - now));
        }
      }
      delivery = std::move(ready_.front());
      ready_.pop_front();
    }
    const WebhookSubscription& hook = subscriptions_[delivery.subscription];
    if (delivery.commit_ticket != 0) {
      // Never tell of a step a crash could still undo: wait until it is
      // written (the commit was marked acknowledged, so in sync mode its
      // group is synced).
      absl::Status written = engine_->persistence()->Acknowledge(delivery.commit_ticket);
      delivery.commit_ticket = 0;
      if (!written.ok()) {
        engine_->Log(
            LogSeverity::kError,
            absl::StrCat("webhooks: ", delivery.event, " of task ", delivery.obj_id,
                         " is not sent: its step was not written (", written.message(), ")"));
        std::lock_guard<std::mutex> lock(mu_);
        if (--queued_ == 0) drained_.notify_all();
        continue;
      }
    }
    std::string error;
    const bool sent = Send(delivery, &error);
    ++delivery.attempt;
    if (!sent) {
      // An attempt cut short by Close is no attempt: a stored delivery stays
      // for the next Open.
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    if (sent || delivery.attempt >= hook.max_attempts) {
      (sent ? delivered_ : failed_).fetch_add(1, std::memory_order_relaxed);
      Finish(delivery, sent, error);
      std::lock_guard<std::mutex> lock(mu_);
      if (--queued_ == 0) drained_.notify_all();
      continue;
    }
    // 1x, 2x, 4x ... the first delay, up to the cap.
    absl::Duration delay = hook.first_retry;
    for (int i = 1; i < delivery.attempt && delay < hook.max_retry_delay; ++i) delay *= 2;
    delay = std::min(delay, hook.max_retry_delay);
    std::lock_guard<std::mutex> lock(mu_);
    retrying_.emplace(absl::Now() + delay, std::move(delivery));
  }
}

HttpTransport* WebhookDispatcher::transport() {
  if (host_transport_ != nullptr) return host_transport_;
  if (own_transport_ == nullptr) {
    absl::StatusOr<std::unique_ptr<HttpTransport>> made = NewCurlTransport();
    if (!made.ok()) return nullptr;
    own_transport_ = *std::move(made);
  }
  return own_transport_.get();
}

bool WebhookDispatcher::Send(const Delivery& delivery, std::string* error) {
  const WebhookSubscription& hook = subscriptions_[delivery.subscription];
  HttpTransport* through = transport();
  if (through == nullptr) {
    *error = "no HTTP transport could be made";
    return false;
  }
  HttpRequest request;
  request.method = "POST";
  request.url = hook.url;
  request.body = delivery.body;
  request.timeout = hook.timeout;
  request.max_response_bytes = 64 << 10;
  request.headers.push_back({"Content-Type", "application/json"});
  request.headers.push_back({"X-Convey-Event", delivery.event});
  request.headers.push_back({"X-Convey-Delivery", delivery.id});
  request.headers.push_back({"X-Convey-Attempt", absl::StrCat(delivery.attempt + 1)});
  if (!hook.secret.empty()) {
    request.headers.push_back(
        {"X-Convey-Signature",
         absl::StrCat("sha256=", WebhookSignature(hook.secret, request.body))});
  }
  auto pending = std::make_shared<Pending>();
  through->Send(std::move(request), [pending](absl::StatusOr<HttpResponse> result) {
    std::lock_guard<std::mutex> lock(pending->mu);
    pending->result = std::move(result);
    pending->done = true;
    pending->cv.notify_all();
  });
  // Waits for the answer, but not past Stop.
  std::unique_lock<std::mutex> lock(pending->mu);
  while (!pending->done) {
    pending->cv.wait_for(lock, std::chrono::milliseconds(20));
    std::lock_guard<std::mutex> stop_lock(mu_);
    if (stop_) {
      *error = "the engine closed";
      return false;
    }
  }
  if (!pending->result.ok()) {
    *error = std::string(pending->result.status().message());
    return false;
  }
  const int status = pending->result->status;
  if (status >= 200 && status < 300) {
    *error = absl::StrCat("HTTP ", status);
    return true;
  }
  *error = absl::StrCat("HTTP ", status);
  return false;
}

void WebhookDispatcher::Finish(const Delivery& delivery, bool delivered, absl::string_view detail) {
  if (Persistence* persistence = engine_->persistence()) {
    persistence->RemoveMessage(delivery.message_id, delivery.obj_id);
  }
  const WebhookSubscription& hook = subscriptions_[delivery.subscription];
  const std::string text = delivered
                               ? absl::StrCat(delivery.event, " delivered to ", hook.url, " (",
                                              detail, ", attempt ", delivery.attempt, ")")
                               : absl::StrCat(delivery.event, " to ", hook.url, " given up after ",
                                              delivery.attempt, " attempts: ", detail);
  if (!engine_->RecordWebhook(delivery.obj_id, text)) {
    engine_->Log(delivered ? LogSeverity::kInfo : LogSeverity::kError,
                 absl::StrCat("webhooks: task ", delivery.obj_id, ": ", text));
  }
}

}  // namespace internal
}  // namespace convey
