// A host's own logic type, `risk_check`, written against the public API
// only (convey/logic.h): it reads its configuration with the located
// reader, hands each task to a host service (RiskDesk), parks the task, and
// the desk's own thread completes it later through Engine::ModifyTask.
//
//   {"type": "risk_check", "amount": "{{amount}}", "limit": 1000}
//
// `amount` is a template (required), `limit` a positive integer (required).
// The desk writes `risk` ("approve" or "review") and `score` into the task,
// which then goes on with its node's next logic.
#ifndef CONVEY_EXAMPLES_HOST_LOGIC_RISK_CHECK_H_
#define CONVEY_EXAMPLES_HOST_LOGIC_RISK_CHECK_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "convey/engine.h"
#include "convey/logic.h"

namespace risk {

// The host service: one thread that scores the tasks handed to it, in
// order, and answers each through the engine.
class RiskDesk {
 public:
  RiskDesk() = default;
  ~RiskDesk() { Stop(); }
  RiskDesk(const RiskDesk&) = delete;
  RiskDesk& operator=(const RiskDesk&) = delete;

  // Starts answering through `engine` (which must outlive Stop()).
  void Start(convey::Engine* engine);
  // Answers what is queued, then stops the thread.
  void Stop();
  // Called by the logic from engine workers: queues one task.
  void Submit(int64_t conv_id, std::string obj_id, double amount, int64_t limit);
  // Blocks until every submitted task has been answered.
  void WaitAnswered();

 private:
  struct Work {
    int64_t conv_id;
    std::string obj_id;
    double amount;
    int64_t limit;
  };
  void Loop();

  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Work> queue_;  // guarded by mu_
  int64_t pending_ = 0;     // submitted, not yet answered; guarded by mu_
  bool stopping_ = false;   // guarded by mu_
  convey::Engine* engine_ = nullptr;
  std::thread thread_;
};

// The factory of `risk_check` logics that hand their tasks to `desk`.
std::unique_ptr<convey::LogicFactory> NewRiskCheckFactory(RiskDesk* desk);

}  // namespace risk

#endif  // CONVEY_EXAMPLES_HOST_LOGIC_RISK_CHECK_H_
