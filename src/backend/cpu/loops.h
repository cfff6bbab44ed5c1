#pragma once
// Strided N-d loops over several operands of one shape. Dims are coalesced (merged where memory
// allows) and the innermost dim is handed to a callback as a 1-d run, so contiguous and
// broadcast (stride 0) cases become simple loops the compiler vectorises. Large element ranges are
// split across strata's threads (core/parallel.h).
#include <algorithm>
#include <array>
#include <cstdint>

#include "core/parallel.h"
#include "strata/shape.h"
#include "strata/tensor.h"

namespace strata::backend::cpu {

// When a kernel splits its work across strata's threads: from these many elements on (of output,
// or of input for reductions), in chunks of about an eighth of that (parallel_work). Each is about
// 15-20 us of work on one core of a Zen 3 (benchmarks/kernels_bench.cpp, 1 thread): there, two
// hot threads already finish 1.4-1.8x sooner (add 65536: 13.6 -> 9.5 us; exp 16384: 15.4 -> 9.6;
// sum 131072: 21.1 -> 11.4; softmax [16, 1024]: 22.5 -> 14.2), and a worker that slept (~4 us
// to wake) leaves the calling thread most chunks. Below, one thread does the whole op.
/// Arithmetic, comparisons, copies, fills: ~0.1-0.2 ns per float.
constexpr int64_t kParallelCheap = 65536;
/// Vector exp/log/tanh and friends, pow, std::erf/sin/cos, softmax rows: ~1-1.5 ns per float.
constexpr int64_t kParallelTranscendental = 16384;
/// Sums, means, max/min: ~0.1-0.15 ns per float.
constexpr int64_t kParallelReduce = 131072;
/// Chunks start at multiples of this many elements (whole cache lines for float and double).
constexpr int64_t kChunkAlign = 64;

template <int N>
struct LoopPlan {
  int ndim = 0;
  std::array<int64_t, Shape::kMaxDims> sizes{};
  std::array<std::array<int64_t, Shape::kMaxDims>, N> strides{};  // elements
};

/// Builds the plan for operands broadcast to `shape`; strides[k] are operand k's strides already
/// aligned to `shape` (0 for broadcast dims).
template <int N>
LoopPlan<N> make_plan(const Shape& shape, const std::array<const int64_t*, N>& strides) {
  LoopPlan<N> p;
  // Drop size-1 dims, keep order (last dim innermost).
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    p.sizes[p.ndim] = shape[d];
    for (int k = 0; k < N; ++k) p.strides[k][p.ndim] = strides[k][d];
    ++p.ndim;
  }
  // Merge dim d into d+1 when every operand steps through it as one longer run.
  int out = 0;
  for (int d = 0; d < p.ndim; ++d) {
    if (out > 0) {
      bool mergeable = true;
      for (int k = 0; k < N; ++k)
        if (p.strides[k][out - 1] != p.strides[k][d] * p.sizes[d]) mergeable = false;
      if (mergeable) {
        p.sizes[out - 1] *= p.sizes[d];
        for (int k = 0; k < N; ++k) p.strides[k][out - 1] = p.strides[k][d];
        continue;
      }
    }
    p.sizes[out] = p.sizes[d];
    for (int k = 0; k < N; ++k) p.strides[k][out] = p.strides[k][d];
    ++out;
  }
  p.ndim = out;
  if (p.ndim == 0) {  // a single element
    p.ndim = 1;
    p.sizes[0] = 1;
    for (int k = 0; k < N; ++k) p.strides[k][0] = 0;
  }
  return p;
}

/// Calls inner(ptrs, inner_strides, n) for each innermost run; ptrs are typed element pointers
/// passed as char* with element sizes `elsize`.
template <int N, typename Inner>
void run_plan(const LoopPlan<N>& p, std::array<char*, N> base, const std::array<int64_t, N>& elsize,
              Inner&& inner) {
  const int last = p.ndim - 1;
  std::array<int64_t, N> inner_strides;
  for (int k = 0; k < N; ++k) inner_strides[k] = p.strides[k][last];
  int64_t outer = 1;
  for (int d = 0; d < last; ++d) outer *= p.sizes[d];
  std::array<int64_t, Shape::kMaxDims> counter{};
  std::array<char*, N> ptrs = base;
  for (int64_t o = 0; o < outer; ++o) {
    inner(ptrs, inner_strides, p.sizes[last]);
    // Advance the outer counter like an odometer.
    for (int d = last - 1; d >= 0; --d) {
      if (++counter[d] < p.sizes[d]) {
        for (int k = 0; k < N; ++k) ptrs[k] += p.strides[k][d] * elsize[k];
        break;
      }
      counter[d] = 0;
      for (int k = 0; k < N; ++k) ptrs[k] -= p.strides[k][d] * (p.sizes[d] - 1) * elsize[k];
    }
  }
}

/// run_plan restricted to the elements [begin, end) of the plan's iteration order: runs may start
/// and end inside an innermost run.
template <int N, typename Inner>
void run_plan_range(const LoopPlan<N>& p, std::array<char*, N> base, const std::array<int64_t, N>& elsize,
                    int64_t begin, int64_t end, Inner&& inner) {
  const int last = p.ndim - 1;
  const int64_t inner_n = p.sizes[last];
  std::array<int64_t, N> inner_strides;
  for (int k = 0; k < N; ++k) inner_strides[k] = p.strides[k][last];
  std::array<int64_t, Shape::kMaxDims> counter{};
  int64_t outer = begin / inner_n, offset = begin % inner_n;
  for (int d = last - 1; d >= 0; --d) {
    counter[d] = outer % p.sizes[d];
    outer /= p.sizes[d];
    for (int k = 0; k < N; ++k) base[k] += counter[d] * p.strides[k][d] * elsize[k];
  }
  for (int64_t pos = begin; pos < end;) {
    const int64_t len = std::min(inner_n - offset, end - pos);
    std::array<char*, N> q = base;
    for (int k = 0; k < N; ++k) q[k] += offset * inner_strides[k] * elsize[k];
    inner(q, inner_strides, len);
    pos += len;
    offset = 0;
    for (int d = last - 1; d >= 0; --d) {
      if (++counter[d] < p.sizes[d]) {
        for (int k = 0; k < N; ++k) base[k] += p.strides[k][d] * elsize[k];
        break;
      }
      counter[d] = 0;
      for (int k = 0; k < N; ++k) base[k] -= p.strides[k][d] * (p.sizes[d] - 1) * elsize[k];
    }
  }
}

/// Calls f(begin, end) over [0, n) items of `cost` elements each: once on the calling thread when
/// the work is under `min_work` elements, else across strata's threads in chunks of about
/// min_work / 8 elements. Small chunks matter when the pool's workers sleep: while one wakes up
/// (~20 us on a VM) the calling thread takes chunks itself, instead of waiting for a worker that
/// owns half of the work.
template <typename F>
void parallel_work(int64_t n, int64_t cost, int64_t min_work, F&& f) {
  if (n <= 0) return;
  if (n < 2 || n * cost < min_work) {
    f(int64_t{0}, n);
    return;
  }
  detail::parallel_for(0, n, std::max<int64_t>(1, min_work / 8 / std::max<int64_t>(1, cost)), f);
}

/// parallel_work over n elements whose chunks start at multiples of kChunkAlign.
template <typename F>
void parallel_elements(int64_t n, int64_t min_work, F&& f) {
  parallel_work((n + kChunkAlign - 1) / kChunkAlign, kChunkAlign, min_work,
                [&](int64_t b, int64_t e) { f(b * kChunkAlign, std::min(n, e * kChunkAlign)); });
}

/// Runs inner(ptrs, strides, n) over N operands broadcast to operand 0's shape (operand 0 is the
/// output). Operands that are contiguous with the output's element count, or single elements, take
/// one flat run: the common case of small tensors pays for no plan at all. With min_work > 0, the
/// elements are split across threads from min_work elements on (parallel_elements; runs then start
/// and end at chunk boundaries), so `inner` must only touch the elements it is given.
template <int N, typename Inner>
void for_each_run(const std::array<const Tensor*, N>& ops, Inner&& inner, int64_t min_work = 0) {
  const detail::TensorImpl& out = ops[0]->impl();
  if (out.numel == 0) return;
  std::array<char*, N> base;
  std::array<int64_t, N> elsize;
  std::array<int64_t, N> flat_strides;
  bool flat = true;
  for (int k = 0; k < N; ++k) {
    const detail::TensorImpl& t = ops[k]->impl();
    base[k] = static_cast<char*>(t.data_ptr());
    elsize[k] = static_cast<int64_t>(element_size(t.dtype));
    if (t.numel == 1 && k > 0) {
      flat_strides[k] = 0;
    } else if (t.contiguous && t.numel == out.numel) {
      flat_strides[k] = 1;
    } else {
      flat = false;
    }
  }
  if (flat) {
    if (min_work <= 0 || out.numel < min_work) {
      inner(base, flat_strides, out.numel);
      return;
    }
    parallel_elements(out.numel, min_work, [&](int64_t b, int64_t e) {
      std::array<char*, N> p = base;
      for (int k = 0; k < N; ++k) p[k] += b * flat_strides[k] * elsize[k];
      inner(p, flat_strides, e - b);
    });
    return;
  }
  const size_t rank = out.sizes.size();
  std::array<std::array<int64_t, Shape::kMaxDims>, N> st;
  std::array<const int64_t*, N> sp;
  for (int k = 0; k < N; ++k) {
    const detail::TensorImpl& t = ops[k]->impl();
    const size_t lead = rank - t.sizes.size();
    for (size_t d = 0; d < rank; ++d) {
      st[k][d] = d < lead || t.sizes[d - lead] == 1 ? 0 : t.strides[d - lead];
    }
    sp[k] = st[k].data();
  }
  const LoopPlan<N> plan = make_plan<N>(out.sizes, sp);
  bool overlapping = false;  // an output with stride-0 dims: threads would write one element together
  for (int d = 0; d < plan.ndim; ++d) overlapping = overlapping || plan.strides[0][d] == 0;
  if (min_work <= 0 || out.numel < min_work || overlapping) {
    run_plan<N>(plan, base, elsize, inner);
    return;
  }
  parallel_elements(out.numel, min_work,
                    [&](int64_t b, int64_t e) { run_plan_range<N>(plan, base, elsize, b, e, inner); });
}

}  // namespace strata::backend::cpu
