// The engine's striped accumulator behind api_sum, added to from several
// threads (run under TSan and ASan too).
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/engine/process.h"

namespace convey {
namespace {

TEST(SumAccumulatorTest, ConcurrentAddsAndReset) {
  internal::SumAccumulator sum("id", "name", 3);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&sum, t] {
      for (int i = 0; i < 100000; ++i) sum.Add(0.5, t);  // stripe t % 3: shared by two
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(sum.Read(), 4 * 100000 * 0.5);
  sum.Reset();
  EXPECT_EQ(sum.Read(), 0);
  sum.Add(-3, 1);
  EXPECT_EQ(sum.Read(), -3);
}

// Hostile input (issue 12, row 15): a sum past the largest double printed
// as inf (null in JSON) with no error. An add that would pass it, in its
// stripe or in the total, is refused and changes nothing.
TEST(SumAccumulatorTest, AddsThatWouldOverflowAreRefused) {
  internal::SumAccumulator sum("id", "name", 3);
  EXPECT_TRUE(sum.Add(1e308, 0));
  EXPECT_FALSE(sum.Add(1e308, 0));  // the stripe
  EXPECT_FALSE(sum.Add(1e308, 1));  // the total
  EXPECT_EQ(sum.Read(), 1e308);
  EXPECT_TRUE(sum.Add(-1e308, 2));
  EXPECT_TRUE(sum.Add(1e308, 1));
  EXPECT_EQ(sum.Read(), 1e308);
}

}  // namespace
}  // namespace convey
