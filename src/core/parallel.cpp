// strata's thread pool. One job runs at a time: the caller publishes it, wakes the workers and
// takes chunks itself; everyone claims chunks from one atomic counter, so a worker the OS has
// descheduled delays nobody (the others take its share). Idle workers spin briefly, to catch
// back-to-back parallel kernels, then sleep on a futex: on a 2-core machine shared with the
// user's own threads, a pool that keeps spinning (as OpenMP's default does) steals the core the
// program needs next.
#include "core/parallel.h"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "strata/error.h"

namespace strata {
namespace detail {
namespace {

thread_local bool t_in_region = false;

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

int default_num_threads() {
  if (const char* env = std::getenv("STRATA_NUM_THREADS")) {
    char* end = nullptr;
    const long n = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && n >= 1 && n <= 1024) return static_cast<int>(n);
  }
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

std::atomic<int>& num_threads_setting() {
  static std::atomic<int> n{default_num_threads()};
  return n;
}

// About 50 us of polling (a pause is ~25 ns on current x86 cores) before a worker sleeps.
constexpr int kSpinIterations = 2000;

class Pool {
 public:
  ~Pool() { stop_workers(); }

  void run(int64_t begin, int64_t end, int64_t grain, RangeFn f, int threads) {
    std::unique_lock<std::mutex> lock(dispatch_, std::try_to_lock);
    if (!lock.owns_lock()) {  // another thread's job holds the pool: do this one here
      f(begin, end);
      return;
    }
    if (static_cast<int>(workers_.size()) != threads - 1) start_workers(threads - 1);

    const int64_t n = end - begin;
    const int64_t max_chunks = std::max<int64_t>(2, std::min<int64_t>(n / grain, int64_t{threads} * 4));
    chunk_ = (n + max_chunks - 1) / max_chunks;
    num_chunks_ = static_cast<uint32_t>((n + chunk_ - 1) / chunk_);
    begin_ = begin;
    end_ = end;
    fn_ = &f;
    error_ = nullptr;
    pending_.store(static_cast<int>(num_chunks_), std::memory_order_relaxed);
    ++epoch_;
    claim_.store((uint64_t{epoch_} << 32) | num_chunks_, std::memory_order_release);
    wake_.fetch_add(1, std::memory_order_release);
    wake_.notify_all();

    t_in_region = true;
    work();
    t_in_region = false;
    for (int spin = 0; pending_.load(std::memory_order_acquire) != 0 && spin < kSpinIterations; ++spin)
      cpu_relax();
    for (int p; (p = pending_.load(std::memory_order_acquire)) != 0;)
      pending_.wait(p, std::memory_order_acquire);

    if (error_) {
      std::exception_ptr error = std::exchange(error_, nullptr);
      std::rethrow_exception(error);
    }
  }

 private:
  // Claims and runs chunks until none are left unclaimed.
  void work() {
    for (;;) {
      uint64_t state = claim_.load(std::memory_order_acquire);
      do {
        if (static_cast<uint32_t>(state) == 0) return;
      } while (!claim_.compare_exchange_weak(state, state - 1, std::memory_order_acq_rel,
                                             std::memory_order_acquire));
      // The job cannot change until this chunk is counted done, so its fields are stable here.
      const int64_t index = num_chunks_ - static_cast<uint32_t>(state);
      const int64_t b = begin_ + index * chunk_;
      const int64_t e = std::min(end_, b + chunk_);
      try {
        (*fn_)(b, e);
      } catch (...) {
        std::lock_guard<std::mutex> guard(error_mutex_);
        if (!error_) error_ = std::current_exception();
      }
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_all();
    }
  }

  void worker_loop() {
    t_in_region = true;
    uint32_t seen = wake_.load(std::memory_order_acquire);
    work();  // a job published while this thread was starting
    for (;;) {
      // A worker started after stop_workers() bumped wake_ would otherwise sleep through it.
      if (stop_.load(std::memory_order_acquire)) return;
      for (int spin = 0; wake_.load(std::memory_order_acquire) == seen && spin < kSpinIterations; ++spin)
        cpu_relax();
      wake_.wait(seen, std::memory_order_acquire);
      seen = wake_.load(std::memory_order_acquire);
      if (stop_.load(std::memory_order_acquire)) return;
      work();
    }
  }

  void start_workers(int count) {
    stop_workers();
    workers_.reserve(static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) workers_.emplace_back([this] { worker_loop(); });
  }

  void stop_workers() {
    if (workers_.empty()) return;
    stop_.store(true, std::memory_order_release);
    wake_.fetch_add(1, std::memory_order_release);
    wake_.notify_all();
    for (std::thread& t : workers_) t.join();
    workers_.clear();
    stop_.store(false, std::memory_order_release);
  }

  std::mutex dispatch_;
  std::vector<std::thread> workers_;
  std::atomic<uint32_t> wake_{0};
  std::atomic<bool> stop_{false};

  // The current job, written by its caller before claim_ is published.
  const RangeFn* fn_ = nullptr;
  int64_t begin_ = 0, end_ = 0, chunk_ = 1;
  uint32_t num_chunks_ = 0;
  uint32_t epoch_ = 0;
  // (epoch << 32) | chunks not yet claimed; the epoch makes a stale compare-exchange fail.
  std::atomic<uint64_t> claim_{0};
  std::atomic<int> pending_{0};  // chunks not yet finished
  std::mutex error_mutex_;
  std::exception_ptr error_;
};

Pool& pool() {
  static Pool instance;
  return instance;
}

}  // namespace

bool in_parallel_region() { return t_in_region; }

void parallel_run(int64_t begin, int64_t end, int64_t grain, RangeFn f) {
  pool().run(begin, end, std::max<int64_t>(grain, 1), f, get_num_threads());
}

}  // namespace detail

int get_num_threads() { return detail::num_threads_setting().load(std::memory_order_relaxed); }

void set_num_threads(int n) {
  if (n < 1)
    fail(
        "[set_num_threads] the number of threads must be at least 1, got {}. Use 1 to run strata's kernels "
        "on the "
        "calling thread alone.",
        n);
  detail::num_threads_setting().store(n, std::memory_order_relaxed);
}

}  // namespace strata
