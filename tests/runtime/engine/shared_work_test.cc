// SharedWork: every index runs once, helpers take chunks while the caller
// runs, a caller never waits for a helper that does not come, and helpers
// that come late (or with nothing in progress) touch nothing.
#include "runtime/engine/shared_work.h"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace convey {
namespace internal {
namespace {

TEST(SharedWorkTest, ALoopOfOneChunkRunsInlineWithoutAskingForHelp) {
  SharedWork work;
  std::vector<int> runs(5, 0);
  size_t asked = 99;
  work.ForEach(
      5, 8, [&](size_t i) { ++runs[i]; }, [&](size_t n) { asked = n; });
  EXPECT_EQ(runs, std::vector<int>(5, 1));
  EXPECT_EQ(asked, 99u);
  work.ForEach(
      0, 8, [&](size_t) { FAIL(); }, [&](size_t) { FAIL(); });
}

TEST(SharedWorkTest, WithoutHelpersTheCallerRunsEveryChunk) {
  SharedWork work;
  std::vector<int> runs(1000, 0);
  size_t asked = 0;
  work.ForEach(
      1000, 32, [&](size_t i) { ++runs[i]; }, [&](size_t n) { asked = n; });
  EXPECT_EQ(runs, std::vector<int>(1000, 1));
  EXPECT_EQ(asked, 31u);  // 32 chunks, the caller takes one itself
  work.Help();            // nothing in progress: returns at once
}

TEST(SharedWorkTest, AHelperRunsChunksWhileTheCallerIsInItsOwn) {
  SharedWork work;
  constexpr size_t kCount = 256, kChunk = 16;
  std::vector<std::atomic<int>> runs(kCount);
  std::vector<std::atomic<std::thread::id>> by(kCount);
  // The first thread to begin a chunk (the caller or the helper) becomes
  // the waiter, in one step, and waits in that chunk until the other thread
  // has run a whole chunk: both take part, whichever begins first. (Every
  // index the other thread runs comes after the waiter is known: its first
  // index begins a chunk too.)
  std::atomic<std::thread::id> waiter{};
  std::atomic<size_t> runs_elsewhere{0};
  std::atomic<bool> waited_out{false};
  std::thread helper;
  work.ForEach(
      kCount, kChunk,
      [&](size_t i) {
        const std::thread::id self = std::this_thread::get_id();
        by[i].store(self);
        runs[i].fetch_add(1);
        std::thread::id none{};
        if (i % kChunk == 0 && waiter.compare_exchange_strong(none, self)) {
          const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
          while (runs_elsewhere.load() < kChunk) {
            if (std::chrono::steady_clock::now() > deadline) {
              waited_out.store(true);
              break;
            }
            std::this_thread::yield();
          }
          return;
        }
        if (waiter.load() != self) runs_elsewhere.fetch_add(1);
      },
      [&](size_t n) {
        EXPECT_EQ(n, kCount / kChunk - 1);
        helper = std::thread([&] { work.Help(); });
      });
  helper.join();
  EXPECT_FALSE(waited_out.load()) << "the other thread ran no chunk in 30 s";
  for (size_t i = 0; i < kCount; ++i) EXPECT_EQ(runs[i].load(), 1) << i;
  // Both threads ran chunks; a chunk runs on one thread.
  size_t on_caller = 0;
  for (size_t i = 0; i < kCount; ++i) {
    EXPECT_EQ(by[i].load(), by[i / kChunk * kChunk].load()) << i;
    on_caller += by[i].load() == std::this_thread::get_id();
  }
  EXPECT_GT(on_caller, 0u);
  EXPECT_LT(on_caller, kCount);
}

// Two callers at once and two helpers that keep asking, including after
// the loops ended: under the sanitizers, nothing runs twice, nothing is
// read after its loop returned.
TEST(SharedWorkTest, ConcurrentLoopsAndEagerHelpers) {
  SharedWork work;
  std::atomic<bool> stop{false};
  std::vector<std::thread> helpers;
  for (int h = 0; h < 2; ++h) {
    helpers.emplace_back([&] {
      while (!stop.load()) {
        work.Help();
        std::this_thread::yield();
      }
    });
  }
  const auto caller = [&work](int rounds) {
    for (int round = 0; round < rounds; ++round) {
      auto runs = std::make_unique<std::vector<std::atomic<int>>>(300);
      work.ForEach(
          300, 7, [&](size_t i) { (*runs)[i].fetch_add(1); }, [](size_t) {});
      for (size_t i = 0; i < runs->size(); ++i) ASSERT_EQ((*runs)[i].load(), 1) << i;
    }
  };
  std::thread other(caller, 200);
  caller(200);
  other.join();
  stop.store(true);
  for (std::thread& helper : helpers) helper.join();
}

}  // namespace
}  // namespace internal
}  // namespace convey
