// api requests: per-logic and engine-wide limits, then the transport (see
// http_admission.h; `mu_` and `transport_mu_` are leaf locks).
#include "runtime/engine/http_admission.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "runtime/engine/engine_impl.h"
#include "runtime/engine/event_loop.h"

namespace convey {
namespace internal {

HttpAdmission::HttpAdmission(EngineImpl* engine, const EngineOptions& options)
    : engine_(engine), options_(options), gate_(std::make_shared<Gate>()) {
  gate_->admission = this;
}

void HttpAdmission::Close(absl::Time deadline) {
  {
    std::unique_ptr<HttpTransport> transport;
    {
      std::lock_guard<std::mutex> lock(transport_mu_);
      transport = std::move(own_transport_);
      transport_error_ = absl::UnavailableError("the engine is closed");
    }
  }
  while (outstanding_.load(std::memory_order_acquire) > 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  // Waits for the callbacks running now; the rest find the gate shut.
  std::unique_lock<std::shared_mutex> lock(gate_->mu);
  gate_->admission = nullptr;
}

HttpTransport* HttpAdmission::Transport(absl::Status* error) {
  if (options_.http_transport != nullptr) return options_.http_transport;
  std::lock_guard<std::mutex> lock(transport_mu_);
  if (own_transport_ == nullptr && transport_error_.ok()) {
    absl::StatusOr<std::unique_ptr<HttpTransport>> made = NewCurlTransport();
    if (made.ok()) {
      own_transport_ = *std::move(made);
    } else {
      transport_error_ = made.status();
    }
  }
  *error = transport_error_;
  return own_transport_.get();
}

void HttpAdmission::Dispatch(const Logic* logic, std::unique_ptr<HttpRequest> request,
                             int max_in_flight, const Task& task) {
  Call call;
  call.request = std::move(*request);
  call.request.timeout = options_.api_timeout;
  call.request.max_response_bytes = options_.api_max_response_bytes;
  call.request.follow_redirects = options_.api_follow_redirects;
  call.request.refuse_private_addresses = options_.api_refuse_private_addresses;
  if (options_.api_refuse_private_addresses) {
    call.request.allowed_networks = options_.api_allowed_networks;
  }
  call.obj_id = std::string(task.obj_id_view());
  call.entry_seq = task.entry_seq;
  call.enqueued = absl::Now();  // waiting for a slot is real time, whatever the clock
  // Until its answer is applied or its task leaves, WaitIdle waits for it.
  engine_->HttpWaitBegan(task);
  std::vector<Call> to_start;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::unique_ptr<Slots>& slots = slots_[logic];
    if (slots == nullptr) slots = std::make_unique<Slots>();
    slots->max = max_in_flight > 0 ? max_in_flight : options_.api_default_max_threads;
    call.slots = slots.get();
    if (slots->in_flight < slots->max) {
      ++slots->in_flight;
      AdmitLocked(std::move(call), &to_start);
    } else {
      slots->waiting.push_back(std::move(call));
    }
  }
  StartCalls(std::move(to_start));
}

void HttpAdmission::AdmitLocked(Call call, std::vector<Call>* to_start) {
  if (in_flight_ < options_.api_max_in_flight) {
    ++in_flight_;
    to_start->push_back(std::move(call));
  } else {
    ready_.push_back(std::move(call));
  }
}

void HttpAdmission::ReleaseSlotLocked(Slots* slots, std::vector<Call>* to_start) {
  --slots->in_flight;
  --in_flight_;
  if (!slots->waiting.empty() && slots->in_flight < slots->max) {
    ++slots->in_flight;
    Call next = std::move(slots->waiting.front());
    slots->waiting.pop_front();
    AdmitLocked(std::move(next), to_start);
  }
  while (!ready_.empty() && in_flight_ < options_.api_max_in_flight) {
    ++in_flight_;
    to_start->push_back(std::move(ready_.front()));
    ready_.pop_front();
  }
}

void HttpAdmission::StartCalls(std::vector<Call> calls) {
  // Iterative: a call that cannot start completes at once and may let
  // others start.
  while (!calls.empty()) {
    Call call = std::move(calls.back());
    calls.pop_back();
    absl::Status failure;
    HttpTransport* transport = nullptr;
    const absl::Duration waited = absl::Now() - call.enqueued;
    if (waited > call.request.timeout) {
      failure =
          absl::AbortedError(absl::StrCat("api_expire_query: waited ", absl::FormatDuration(waited),
                                          " for a free slot (max_threads ", call.slots->max, ")"));
    } else if (engine_->closed()) {
      failure = absl::UnavailableError("the engine is closing");
    } else {
      transport = Transport(&failure);
      if (transport == nullptr && failure.ok()) failure = absl::InternalError("no HTTP transport");
    }
    if (transport == nullptr) {
      FinishCall(call.slots, std::move(call.obj_id), call.entry_seq, failure, &calls);
      continue;
    }
    outstanding_.fetch_add(1, std::memory_order_acq_rel);
    Slots* slots = call.slots;
    std::string obj_id = std::move(call.obj_id);
    const uint64_t entry_seq = call.entry_seq;
    transport->Send(std::move(call.request), [gate = gate_, slots, obj_id = std::move(obj_id),
                                              entry_seq](absl::StatusOr<HttpResponse> result) {
      std::shared_lock<std::shared_mutex> lock(gate->mu);
      if (gate->admission == nullptr) return;  // the engine closed without this answer
      gate->admission->OnDone(slots, obj_id, entry_seq, std::move(result));
    });
  }
}

void HttpAdmission::OnDone(Slots* slots, std::string obj_id, uint64_t entry_seq,
                           absl::StatusOr<HttpResponse> result) {
  std::vector<Call> to_start;
  FinishCall(slots, std::move(obj_id), entry_seq, std::move(result), &to_start);
  StartCalls(std::move(to_start));
  outstanding_.fetch_sub(1, std::memory_order_acq_rel);
}

void HttpAdmission::FinishCall(Slots* slots, std::string obj_id, uint64_t entry_seq,
                               absl::StatusOr<HttpResponse> result, std::vector<Call>* to_start) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ReleaseSlotLocked(slots, to_start);
  }
  PostedOp op;
  op.kind = PostedOp::Kind::kHttp;
  op.caller_obj_id = std::move(obj_id);
  op.entry_seq = entry_seq;
  op.http_result = std::make_unique<absl::StatusOr<HttpResponse>>(std::move(result));
  engine_->events().Post(std::move(op));
}

}  // namespace internal
}  // namespace convey
