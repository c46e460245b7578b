// Per-login token buckets for `convey serve --rate-limit`.
//
// Each API login has a bucket of `burst` tokens that refills at `per_second`
// tokens a second; a request takes one token or is refused. The answer
// carries what the X-RateLimit-* headers report (the convention of the
// Flowize API, seed 004): the bucket's size, the whole tokens left, and the
// seconds until it is full again; a refusal also says when one token will be
// there (Retry-After).
#ifndef CONVEY_RUNTIME_SERVE_RATE_LIMITER_H_
#define CONVEY_RUNTIME_SERVE_RATE_LIMITER_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace convey::serve {

struct RateLimit {
  double per_second = 0;  // 0: no limit
  int64_t burst = 0;      // bucket size; 0: max(1, per_second)
};

struct RateDecision {
  bool allowed = true;
  int64_t limit = 0;
  int64_t remaining = 0;
  int64_t reset_seconds = 0;        // until the bucket is full again
  int64_t retry_after_seconds = 0;  // refused: until one token is there (>= 1)
};

class RateLimiter {
 public:
  explicit RateLimiter(RateLimit limit);

  bool enabled() const { return limit_.per_second > 0; }
  // Takes one token from `login`'s bucket at time `now`. Thread-safe.
  RateDecision Take(absl::string_view login, absl::Time now);

 private:
  struct Bucket {
    double tokens;
    absl::Time updated;
  };
  const RateLimit limit_;
  std::mutex mutex_;
  absl::flat_hash_map<std::string, Bucket> buckets_;
};

}  // namespace convey::serve

#endif  // CONVEY_RUNTIME_SERVE_RATE_LIMITER_H_
