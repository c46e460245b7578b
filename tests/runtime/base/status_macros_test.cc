// CONVEY_RETURN_IF_ERROR / CONVEY_ASSIGN_OR_RETURN, checked with the test
// matchers IsOk / StatusIs (whose failure messages are checked too).
#include "runtime/base/status_macros.h"

#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace convey {
namespace {

using ::testing::HasSubstr;
using testing::IsOk;
using ::testing::Not;
using testing::StatusIs;

int calls = 0;

absl::Status Check(bool ok) {
  ++calls;
  return ok ? absl::OkStatus() : absl::InvalidArgumentError("bad input");
}

absl::StatusOr<std::unique_ptr<int>> Make(int value) {
  ++calls;
  if (value < 0) return absl::OutOfRangeError("negative");
  return std::make_unique<int>(value);
}

absl::Status Both(bool ok) {
  CONVEY_RETURN_IF_ERROR(Check(ok));
  return absl::OkStatus();
}

absl::StatusOr<int> Sum(int a, int b) {
  CONVEY_ASSIGN_OR_RETURN(std::unique_ptr<int> first, Make(a));
  CONVEY_ASSIGN_OR_RETURN(std::unique_ptr<int> second, Make(b));  // move-only values
  int total = 0;
  CONVEY_ASSIGN_OR_RETURN(total, absl::StatusOr<int>(*first + *second));  // assigns
  return total;
}

TEST(StatusMacros, ReturnIfErrorReturnsTheErrorAndEvaluatesOnce) {
  calls = 0;
  EXPECT_THAT(Both(true), IsOk());
  EXPECT_THAT(Both(false), StatusIs(absl::StatusCode::kInvalidArgument, "bad input"));
  EXPECT_EQ(calls, 2);
}

TEST(StatusMacros, AssignOrReturnDeclaresOrAssigns) {
  calls = 0;
  EXPECT_THAT(Sum(2, 3), IsOk());
  EXPECT_EQ(*Sum(2, 3), 5);
  EXPECT_THAT(Sum(-1, 3), StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("negative")));
  EXPECT_THAT(Sum(1, -3), StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_EQ(calls, 2 + 2 + 1 + 2);  // the second Make is skipped after a failure
}

TEST(StatusMatchers, ExplainWhatTheyGot) {
  ::testing::StringMatchResultListener listener;
  EXPECT_FALSE(::testing::ExplainMatchResult(IsOk(), absl::NotFoundError("no task x"), &listener));
  EXPECT_THAT(listener.str(), HasSubstr("NOT_FOUND: no task x"));
  EXPECT_THAT(absl::NotFoundError("x"), Not(StatusIs(absl::StatusCode::kInternal)));
  EXPECT_THAT(absl::NotFoundError("x"), Not(StatusIs(absl::StatusCode::kNotFound, "y")));
}

}  // namespace
}  // namespace convey
