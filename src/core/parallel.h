#pragma once
// parallel_for: splits a range of work across strata's thread pool (src/core/parallel.cpp).
#include <cstdint>
#include <type_traits>
#include <utility>

#include "strata/threads.h"

namespace strata::detail {

/// A non-owning reference to a callable `void(int64_t begin, int64_t end)`, so that handing work
/// to the pool allocates nothing (std::function may).
class RangeFn {
 public:
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, RangeFn>>>
  RangeFn(F& f)  // NOLINT(google-explicit-constructor): a reference wrapper by design
      : object_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* o, int64_t b, int64_t e) { (*static_cast<F*>(o))(b, e); }) {}
  void operator()(int64_t begin, int64_t end) const { call_(object_, begin, end); }

 private:
  void* object_;
  void (*call_)(void*, int64_t, int64_t);
};

/// True on a pool worker, and on the calling thread while it runs a parallel_for: work started
/// there runs serially instead of waiting for a pool that is busy with its caller.
bool in_parallel_region();

/// Runs f over [begin, end) in chunks of at least `grain` items on the pool (the calling thread
/// takes chunks too) and returns when all are done. The first exception a chunk throws is
/// rethrown here after the others finish.
void parallel_run(int64_t begin, int64_t end, int64_t grain, RangeFn f);

/// Calls f(chunk_begin, chunk_end) over [begin, end): across get_num_threads() threads when the
/// range holds at least two grains, else once on the calling thread. Choose `grain` so that one
/// chunk is worth tens of microseconds: waking a sleeping worker costs a few.
template <typename F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, F&& f) {
  if (end <= begin) return;
  if (grain < 1) grain = 1;
  if (end - begin < 2 * grain || get_num_threads() == 1 || in_parallel_region()) {
    f(begin, end);
    return;
  }
  parallel_run(begin, end, grain, RangeFn(f));
}

}  // namespace strata::detail
