#include "examples/host_logic/risk_check.h"

#include <cstdio>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace risk {

void RiskDesk::Start(convey::Engine* engine) {
  engine_ = engine;
  thread_ = std::thread([this] { Loop(); });
}

void RiskDesk::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RiskDesk::Submit(int64_t conv_id, std::string obj_id, double amount, int64_t limit) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back({conv_id, std::move(obj_id), amount, limit});
    ++pending_;
  }
  changed_.notify_all();
}

void RiskDesk::WaitAnswered() {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [this] { return pending_ == 0; });
}

void RiskDesk::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    Work work = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    const int score = static_cast<int>(100 * work.amount / static_cast<double>(work.limit));
    const std::string answer =
        absl::StrCat("{\"risk\":\"", work.amount > work.limit ? "review" : "approve",
                     "\",\"score\":", score, "}");
    // The task may still be finishing its Run on a worker: ModifyTask waits
    // for it to park, then merges the answer and resumes it.
    absl::Status answered = engine_->ModifyTask(convey::TaskKey::ByObjId(work.obj_id), answer);
    if (!answered.ok()) {
      std::fprintf(stderr, "risk desk: task %s: %s\n", work.obj_id.c_str(),
                   answered.ToString().c_str());
    }
    lock.lock();
    --pending_;
    changed_.notify_all();
  }
}

namespace {

class RiskCheck : public convey::Logic {
 public:
  RiskCheck(const convey::Template* amount, int64_t limit, RiskDesk* desk)
      : amount_(amount), limit_(limit), desk_(desk) {}

  convey::LogicResult Run(convey::TaskContext& task) const override {
    const convey::Value value = task.Evaluate(*amount_);
    double amount = value.number();
    if (value.type() != convey::Value::Type::kNumber &&
        !(value.type() == convey::Value::Type::kString &&
          absl::SimpleAtod(value.text(), &amount))) {
      return convey::LogicResult::Fail({}, false, "risk_bad_amount",
                                       absl::StrCat("amount ", value.ToJson(), " is not a number"));
    }
    // Never call the engine from Run: hand the task over and park it.
    desk_->Submit(task.conv_id(), std::string(task.obj_id()), amount, limit_);
    return convey::LogicResult::Park(convey::ParkReason::kCallback);
  }
  absl::string_view error_family() const override { return "risk_check"; }

 private:
  const convey::Template* amount_;
  int64_t limit_;
  RiskDesk* desk_;
};

class RiskCheckFactory : public convey::LogicFactory {
 public:
  explicit RiskCheckFactory(RiskDesk* desk) : desk_(desk) {}
  absl::string_view type() const override { return "risk_check"; }

  absl::StatusOr<std::unique_ptr<convey::Logic>> Create(
      const convey::LogicSpec& spec, convey::LogicBuilder& builder) const override {
    convey::LogicConfig& config = *spec.config;
    // Every problem is reported, located, before giving up.
    std::string amount;
    if (!config.ReadString("amount", &amount) && !config.Has("amount")) {
      config.Error("", "risk_check has no amount");
    }
    int64_t limit = 0;
    if (config.ReadInt64("limit", &limit) && limit <= 0) {
      config.Error("limit", absl::StrCat("limit ", limit, " must be positive"));
    } else if (!config.Has("limit")) {
      config.Error("", "risk_check has no limit");
    }
    const convey::Template* compiled = nullptr;
    if (!amount.empty()) {
      absl::StatusOr<const convey::Template*> parsed =
          builder.CompileTemplate(amount, convey::TemplateMode::kValue);
      if (parsed.ok()) {
        compiled = *parsed;
      } else {
        config.Error("amount", std::string(parsed.status().message()));
      }
    }
    if (config.error_count() > 0) return config.Failed();
    return std::unique_ptr<convey::Logic>(new RiskCheck(compiled, limit, desk_));
  }

 private:
  RiskDesk* desk_;
};

}  // namespace

std::unique_ptr<convey::LogicFactory> NewRiskCheckFactory(RiskDesk* desk) {
  return std::make_unique<RiskCheckFactory>(desk);
}

}  // namespace risk
