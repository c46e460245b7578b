// gMock matchers for absl::Status and absl::StatusOr, so that a failing
// assertion prints the status it got:
//
//   EXPECT_THAT(engine->Deploy(...), IsOk());
//   EXPECT_THAT(engine->CreateTask(...), StatusIs(absl::StatusCode::kNotFound,
//                                                 HasSubstr("no process")));
#ifndef CONVEY_TESTS_SUPPORT_STATUS_MATCHERS_H_
#define CONVEY_TESTS_SUPPORT_STATUS_MATCHERS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace convey {
namespace testing {
namespace internal_status {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace internal_status

MATCHER(IsOk, negation ? "is not OK" : "is OK") {
  const absl::Status& status = internal_status::GetStatus(arg);
  if (!status.ok()) *result_listener << "which is " << status;
  return status.ok();
}

MATCHER_P2(StatusIs, code, message_matcher,
           ::testing::DescribeMatcher<std::string>(
               ::testing::Matcher<std::string>(::testing::SafeMatcherCast<std::string>(
                   ::testing::MatcherCast<std::string>(message_matcher))),
               negation)) {
  const absl::Status& status = internal_status::GetStatus(arg);
  *result_listener << "which is " << status;
  if (status.code() != code) return false;
  return ::testing::ExplainMatchResult(::testing::MatcherCast<std::string>(message_matcher),
                                       std::string(status.message()), result_listener);
}

// StatusIs with any message.
MATCHER_P(StatusIs, code, "") {
  const absl::Status& status = internal_status::GetStatus(arg);
  *result_listener << "which is " << status;
  return status.code() == code;
}

}  // namespace testing
}  // namespace convey

#endif  // CONVEY_TESTS_SUPPORT_STATUS_MATCHERS_H_
