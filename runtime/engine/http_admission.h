// HttpAdmission: which api requests may go to the HTTP transport now, and
// the transport itself.
//
// Apart because it is the engine's only gate on outside work: each api logic
// has at most `max_threads` requests in flight and the engine at most
// `api_max_in_flight`; the rest wait in line, in order, and a request that
// waited longer than its timeout fails with `api_expire_query` instead of
// being sent. An answer (or a failure before sending) goes to the events
// thread as a posted op, which releases the task.
//
// Locking: `mu_` guards the per-logic slots, the engine-wide line and count;
// `transport_mu_` guards the built-in transport and why it could not be made.
// Neither is held while the other is taken, nor while a request is sent or an
// op posted (leaf locks). `outstanding_` counts requests the transport holds,
// so that Close waits for them, until its deadline; then the `gate_` shuts
// and answers that come later are dropped without touching the engine.
#ifndef CONVEY_RUNTIME_ENGINE_HTTP_ADMISSION_H_
#define CONVEY_RUNTIME_ENGINE_HTTP_ADMISSION_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "convey/engine.h"
#include "convey/http.h"
#include "convey/logic.h"
#include "runtime/engine/task.h"

namespace convey {
namespace internal {

class EngineImpl;

class HttpAdmission {
 public:
  HttpAdmission(EngineImpl* engine, const EngineOptions& options);

  // Sends the request of `logic` for `task` (parked in kHttp for this entry)
  // when the limits let it, else queues it. Counted as pending work until
  // its answer is applied.
  void Dispatch(const Logic* logic, std::unique_ptr<HttpRequest> request, int max_in_flight,
                const Task& task);
  // The engine closes: no transport is made any more, the built-in one is
  // destroyed (it completes what it holds), and requests a host's transport
  // holds are waited for until `deadline`; later answers are dropped.
  void Close(absl::Time deadline);

 private:
  // One api request and the task entry waiting for it.
  struct Slots;
  struct Call {
    HttpRequest request;
    Slots* slots = nullptr;
    std::string obj_id;
    uint64_t entry_seq = 0;
    absl::Time enqueued;
  };

  // The requests of one api logic: at most `max` in flight, the rest waiting
  // in order.
  struct Slots {
    int max = 0;
    int in_flight = 0;
    std::deque<Call> waiting;
  };

  // Frees one slot of `slots` and of the engine; collects the calls that may
  // start now. Under mu_.
  void ReleaseSlotLocked(Slots* slots, std::vector<Call>* to_start);
  // A call that has its logic's slot: starts it if the engine has one free.
  void AdmitLocked(Call call, std::vector<Call>* to_start);
  void StartCalls(std::vector<Call> calls);
  void OnDone(Slots* slots, std::string obj_id, uint64_t entry_seq,
              absl::StatusOr<HttpResponse> result);
  // A call is over (answered or failed before it was sent): frees its slots,
  // collecting the calls that may start now, and hands `result` to its task.
  void FinishCall(Slots* slots, std::string obj_id, uint64_t entry_seq,
                  absl::StatusOr<HttpResponse> result, std::vector<Call>* to_start);
  // The transport: the host's, or libcurl's made on first use.
  HttpTransport* Transport(absl::Status* error);

  EngineImpl* const engine_;
  const EngineOptions& options_;

  std::mutex mu_;
  absl::flat_hash_map<const Logic*, std::unique_ptr<Slots>> slots_;  // guarded by mu_
  std::deque<Call> ready_;               // guarded by mu_: admitted, waiting for the engine cap
  int in_flight_ = 0;                    // guarded by mu_
  std::atomic<int64_t> outstanding_{0};  // sent to the transport, not answered

  // What a transport's `done` callback reaches the engine through: null
  // once Close stopped waiting. Callbacks hold `mu` shared while they run.
  struct Gate {
    std::shared_mutex mu;
    HttpAdmission* admission = nullptr;  // guarded by mu
  };
  const std::shared_ptr<Gate> gate_;

  std::mutex transport_mu_;
  std::unique_ptr<HttpTransport> own_transport_;  // guarded by transport_mu_
  absl::Status transport_error_;                  // guarded by transport_mu_
};

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_ENGINE_HTTP_ADMISSION_H_
