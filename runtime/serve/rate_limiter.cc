#include "runtime/serve/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace convey::serve {

namespace {

RateLimit WithBurst(RateLimit limit) {
  if (limit.burst <= 0) {
    limit.burst = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(limit.per_second)));
  }
  return limit;
}

}  // namespace

RateLimiter::RateLimiter(RateLimit limit) : limit_(WithBurst(limit)) {}

RateDecision RateLimiter::Take(absl::string_view login, absl::Time now) {
  RateDecision decision;
  if (!enabled()) return decision;
  const double capacity = static_cast<double>(limit_.burst);
  decision.limit = limit_.burst;
  double tokens;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto [it, inserted] = buckets_.try_emplace(login, Bucket{capacity, now});
    Bucket& bucket = it->second;
    if (!inserted && now > bucket.updated) {
      double refill = absl::ToDoubleSeconds(now - bucket.updated) * limit_.per_second;
      bucket.tokens = std::min(capacity, bucket.tokens + refill);
      bucket.updated = now;
    }
    decision.allowed = bucket.tokens >= 1;
    if (decision.allowed) bucket.tokens -= 1;
    tokens = bucket.tokens;
  }
  decision.remaining = static_cast<int64_t>(std::floor(tokens));
  decision.reset_seconds = static_cast<int64_t>(std::ceil((capacity - tokens) / limit_.per_second));
  if (!decision.allowed) {
    decision.retry_after_seconds =
        std::max<int64_t>(1, static_cast<int64_t>(std::ceil((1 - tokens) / limit_.per_second)));
  }
  return decision;
}

}  // namespace convey::serve
