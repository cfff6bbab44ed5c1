// strata's thread pool: set/get_num_threads, parallel_for's coverage of the range, that work really
// reaches a second thread, exceptions, nesting and concurrent callers.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/parallel.h"
#include "strata/error.h"
#include "strata/threads.h"
#include "support/test_util.h"

namespace strata {
namespace {

// Restores the thread count a test changed.
class ThreadsGuard {
 public:
  explicit ThreadsGuard(int n) : saved_(get_num_threads()) { set_num_threads(n); }
  ~ThreadsGuard() { set_num_threads(saved_); }
  ThreadsGuard(const ThreadsGuard&) = delete;
  ThreadsGuard& operator=(const ThreadsGuard&) = delete;

 private:
  int saved_;
};

TEST(Parallel, DefaultIsAtLeastOneAndSetIsRead) {
  EXPECT_GE(get_num_threads(), 1);
  ThreadsGuard guard(3);
  EXPECT_EQ(get_num_threads(), 3);
  set_num_threads(1);
  EXPECT_EQ(get_num_threads(), 1);
}

TEST(Parallel, RejectsFewerThanOneThread) {
  const int before = get_num_threads();
  test::expect_error([] { set_num_threads(0); }, "must be at least 1, got 0");
  test::expect_error([] { set_num_threads(-2); }, "got -2");
  EXPECT_EQ(get_num_threads(), before);
}

TEST(Parallel, EveryIndexRunsExactlyOnce) {
  for (int threads : {1, 2, 3, 4}) {
    ThreadsGuard guard(threads);
    for (int64_t n : {0, 1, 5, 64, 1000, 4097}) {
      for (int64_t grain : {1, 7, 100, 5000}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n) + 3);
        detail::parallel_for(3, n + 3, grain, [&](int64_t b, int64_t e) {
          ASSERT_LE(3, b);
          ASSERT_LT(b, e);
          ASSERT_LE(e, n + 3);
          for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
        });
        for (int64_t i = 0; i < n + 3; ++i)
          ASSERT_EQ(hits[static_cast<size_t>(i)].load(), i < 3 ? 0 : 1)
              << "threads " << threads << " n " << n << " grain " << grain << " index " << i;
      }
    }
  }
}

TEST(Parallel, SmallRangesStayOnTheCallingThread) {
  ThreadsGuard guard(2);
  const auto caller = std::this_thread::get_id();
  int calls = 0;
  detail::parallel_for(0, 15, 8, [&](int64_t b, int64_t e) {
    ++calls;
    EXPECT_EQ(std::this_thread::get_id(), caller);
    EXPECT_EQ(b, 0);
    EXPECT_EQ(e, 15);
  });
  EXPECT_EQ(calls, 1);
}

TEST(Parallel, WorkReachesASecondThread) {
  ThreadsGuard guard(2);
  std::mutex mutex;
  std::set<std::thread::id> ids;
  std::atomic<int> entered{0};
  detail::parallel_for(0, 8, 1, [&](int64_t, int64_t) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      ids.insert(std::this_thread::get_id());
    }
    // The first chunk waits until another chunk has started, which only a second thread can do
    // while this one is blocked here (bounded, so a broken pool fails instead of hanging).
    if (entered.fetch_add(1) == 0) {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (entered.load() < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    }
  });
  EXPECT_EQ(ids.size(), 2u);
}

TEST(Parallel, AnExceptionReachesTheCallerAndThePoolStillWorks) {
  ThreadsGuard guard(2);
  test::expect_error(
      [] {
        detail::parallel_for(0, 100, 1, [](int64_t b, int64_t e) {
          if (b <= 50 && 50 < e) fail("[test] chunk {} failed", b);
        });
      },
      "[test] chunk");
  std::atomic<int64_t> sum{0};
  detail::parallel_for(0, 100, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) sum += i;
  });
  EXPECT_EQ(sum.load(), 4950);
}

TEST(Parallel, NestedLoopsRunSeriallyInsideAChunk) {
  ThreadsGuard guard(2);
  EXPECT_FALSE(detail::in_parallel_region());
  std::atomic<int64_t> sum{0};
  detail::parallel_for(0, 4, 1, [&](int64_t b, int64_t e) {
    EXPECT_TRUE(detail::in_parallel_region());
    for (int64_t i = b; i < e; ++i) {
      int inner_calls = 0;
      detail::parallel_for(0, 1000, 1, [&](int64_t ib, int64_t ie) {
        ++inner_calls;
        for (int64_t j = ib; j < ie; ++j) sum += j;
      });
      EXPECT_EQ(inner_calls, 1);
    }
  });
  EXPECT_FALSE(detail::in_parallel_region());
  EXPECT_EQ(sum.load(), 4 * 499500);
}

TEST(Parallel, ConcurrentCallersEachGetTheirWholeRange) {
  ThreadsGuard guard(2);
  constexpr int kCallers = 4, kRounds = 200;
  std::vector<std::thread> callers;
  std::atomic<int> failures{0};
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&failures, c] {
      for (int round = 0; round < kRounds; ++round) {
        std::atomic<int64_t> sum{0};
        const int64_t n = 1000 + c * 10 + round;
        detail::parallel_for(0, n, 16, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) sum += i;
        });
        if (sum.load() != n * (n - 1) / 2) failures.fetch_add(1);
      }
    });
  }
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(Parallel, ChangingTheThreadCountBetweenJobs) {
  for (int threads : {2, 4, 1, 3, 2}) {
    ThreadsGuard guard(threads);
    std::atomic<int64_t> sum{0};
    detail::parallel_for(0, 10000, 10, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) sum += i;
    });
    EXPECT_EQ(sum.load(), 10000LL * 9999 / 2);
  }
}

}  // namespace
}  // namespace strata
