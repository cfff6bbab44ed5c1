// Softmax and log_softmax along one dim, their gradients, and logsumexp, over "lanes": the 1-d
// runs of the operands along `dim`. Each lane is one call of the vector row loops (simd.h); lanes
// along the innermost, contiguous dim are worked in place, others gathered a block at a time into
// contiguous scratch rows (each sweep along the dim reading memory in order across the block's
// lanes) and scattered back. Lanes are split across threads.
// Sums accumulate in double and the other arithmetic is in the data's type, which gives the
// values of the composed forms (max, sub, exp, sum, log) they replace.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "backend/cpu/allocator.h"
#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/dispatch.h"
#include "backend/cpu/loops.h"
#include "backend/cpu/simd.h"
#include "strata/factories.h"

namespace strata::backend::cpu {
namespace {

constexpr int64_t kBlock = 64;  // lanes per block in the strided path

// Calls block(ptrs, lane_strides, m) for runs of m lanes of N operands of one shape; lane i of
// operand k starts at ptrs[k] + i * lane_strides[k]. All operands contiguous with `dim` innermost
// (the common case) is one run of rows without a loop plan.
template <int N, typename F>
void for_each_lane_run(const std::array<const Tensor*, N>& ts, int64_t dim, int64_t elsize, F&& block) {
  const Tensor& ref = *ts[0];
  const int64_t n = ref.dim() == 0 ? 1 : ref.size(dim);
  std::array<char*, N> base;
  bool rows = ref.dim() == 0 || dim == ref.dim() - 1;
  for (int k = 0; k < N; ++k) {
    base[k] = static_cast<char*>(ts[k]->data_ptr());
    rows = rows && ts[k]->is_contiguous();
  }
  if (rows) {
    std::array<int64_t, N> s;
    s.fill(n);
    block(base, s, ref.numel() / n);
    return;
  }
  Shape keep = ref.shape();
  keep[static_cast<size_t>(dim)] = 1;
  std::array<Shape, N> st;
  std::array<const int64_t*, N> sp;
  std::array<int64_t, N> es;
  for (int k = 0; k < N; ++k) {
    st[k] = Shape(keep.size(), 0);
    for (size_t d = 0; d < keep.size(); ++d) st[k][d] = keep[d] == 1 ? 0 : ts[k]->strides()[d];
    sp[k] = st[k].data();
    es[k] = elsize;
  }
  run_plan<N>(
      make_plan<N>(keep, sp), base, es,
      [&](const std::array<char*, N>& p, const std::array<int64_t, N>& s, int64_t m) { block(p, s, m); });
}

template <int N>
std::array<int64_t, N> steps_along(const std::array<const Tensor*, N>& ts, int64_t dim) {
  std::array<int64_t, N> step;
  for (int k = 0; k < N; ++k) step[k] = ts[k]->dim() == 0 ? 0 : ts[k]->stride(dim);
  return step;
}

// Lanes per block and the scratch a strided block is gathered into: contiguous rows for the
// vector row loops, so that strided lanes get exactly the arithmetic of contiguous rows.
constexpr int64_t kScratch = 32768;

// How for_each_row_block hands an operand to the row loops: a row read, a row written, or one
// element per lane (an output viewed with stride 0 along the dim), used in place.
enum class Role : uint8_t { In, Out, Slot };

// Calls rows(ptrs, strides, count, n) over the lanes of N operands of one shape: `count` lanes,
// lane i of operand k a contiguous row of n elements at ptrs[k] + i * strides[k] (a slot: one
// element). Contiguous lanes are used in place; strided ones gathered kBlock (or fewer, for long
// lanes) at a time into scratch rows and, for outputs, scattered back. Lanes are split across
// threads from min_work elements on (parallel_work).
template <typename T, int N, typename Rows>
void for_each_row_block(const std::array<const Tensor*, N>& ts, int64_t dim, std::array<Role, N> roles,
                        int64_t min_work, Rows&& rows) {
  const int64_t n = ts[0]->dim() == 0 ? 1 : ts[0]->size(dim);
  // The common case first: contiguous rows along the last dim (a classifier's logits).
  bool rows_in_place = ts[0]->dim() == 0 || dim == ts[0]->dim() - 1;
  for (int k = 0; k < N && rows_in_place; ++k)
    rows_in_place = roles[k] != Role::Slot && ts[k]->is_contiguous();
  if (rows_in_place) {
    std::array<T*, N> base;
    std::array<int64_t, N> strides;
    for (int k = 0; k < N; ++k) {
      base[k] = static_cast<T*>(ts[k]->data_ptr());
      strides[k] = n;
    }
    parallel_work(ts[0]->numel() / n, n, min_work, [&](int64_t b, int64_t e) {
      std::array<T*, N> first;
      for (int k = 0; k < N; ++k) first[k] = base[k] + b * n;
      rows(first, strides, e - b, n);
    });
    return;
  }
  const auto step = steps_along<N>(ts, dim);
  for_each_lane_run<N>(
      ts, dim, sizeof(T), [&](const std::array<char*, N>& p, const std::array<int64_t, N>& s, int64_t m) {
        std::array<T*, N> base;
        std::array<bool, N> direct;  // used in place: one slot per lane (step 0), or one-element lanes
        bool contiguous = true;
        for (int k = 0; k < N; ++k) {
          base[k] = reinterpret_cast<T*>(p[k]);
          direct[k] = roles[k] == Role::Slot || n == 1;
          contiguous = contiguous && (step[k] == 1 || direct[k]);
        }
        if (contiguous) {
          parallel_work(m, n, min_work, [&](int64_t b, int64_t e) {
            std::array<T*, N> first;
            for (int k = 0; k < N; ++k) first[k] = base[k] + b * s[k];
            rows(first, s, e - b, n);
          });
          return;
        }
        // Scratch rows are ld apart, a little more than n: rows a power of two apart would all map
        // to the same cache sets while the gather writes down a column of them.
        const int64_t ld = n + 16;
        const int64_t block = std::clamp<int64_t>(kScratch / (N * ld), 1, kBlock);
        const int64_t blocks = (m + block - 1) / block;
        parallel_work(blocks, block * n, min_work, [&](int64_t b, int64_t e) {
          // Small tensors' scratch on the stack, larger ones' from the caching allocator (not a
          // std::vector: zeroing, and the system's fresh pages, would cost more than the gather).
          constexpr int64_t kStackScratch = 2048;
          T stack_scratch[kStackScratch];
          const size_t bytes = static_cast<size_t>(N * block * ld) * sizeof(T);
          T* scratch = N * block * ld > kStackScratch ? static_cast<T*>(allocate(bytes)) : stack_scratch;
          struct Release {
            T* p;
            T* stack;
            size_t bytes;
            ~Release() {
              if (p != stack) deallocate(p, bytes);
            }
          } release{scratch, stack_scratch, bytes};
          for (int64_t blk = b; blk < e; ++blk) {
            const int64_t i0 = blk * block, lanes = std::min(block, m - i0);
            // Sweeps along the dim read each operand in memory order across the block's lanes.
            for (int k = 0; k < N; ++k) {
              if (direct[k]) continue;
              T* buf = scratch + k * block * ld;
              const T* src = base[k] + i0 * s[k];
              for (int64_t j = 0; j < n; ++j)
                for (int64_t i = 0; i < lanes; ++i) buf[i * ld + j] = src[j * step[k] + i * s[k]];
            }
            std::array<T*, N> first;
            std::array<int64_t, N> strides;
            for (int k = 0; k < N; ++k) {
              first[k] = direct[k] ? base[k] + i0 * s[k] : scratch + k * block * ld;
              strides[k] = direct[k] ? s[k] : ld;
            }
            rows(first, strides, lanes, n);
            for (int k = 0; k < N; ++k) {
              if (roles[k] != Role::Out || direct[k]) continue;
              const T* buf = scratch + k * block * ld;
              T* dst = base[k] + i0 * s[k];
              for (int64_t j = 0; j < n; ++j)
                for (int64_t i = 0; i < lanes; ++i) dst[j * step[k] + i * s[k]] = buf[i * ld + j];
            }
          }
        });
      });
}

void softmax(const Tensor& out, const Tensor& x, int64_t dim, bool log) {
  if (out.numel() == 0) return;
  dispatch_float(x.dtype(), "softmax", [&]<typename T>() {
    const simd::Loops<T>& l = simd::table().loops<T>();
    for_each_row_block<T, 2>({&out, &x}, dim, {Role::Out, Role::In}, kParallelTranscendental,
                             [&](const std::array<T*, 2>& r, const std::array<int64_t, 2>& s, int64_t rows,
                                 int64_t n) { l.softmax(r[0], s[0], r[1], s[1], rows, n, log); });
  });
}

// log_softmax: gi = g - exp(y) * sum(g); softmax: gi = y * (g - sum(g * y)).
void softmax_backward(const Tensor& grad_in, const Tensor& g, const Tensor& y, int64_t dim, bool log) {
  if (grad_in.numel() == 0) return;
  dispatch_float(y.dtype(), "softmax_backward", [&]<typename T>() {
    const simd::Loops<T>& l = simd::table().loops<T>();
    for_each_row_block<T, 3>(
        {&grad_in, &g, &y}, dim, {Role::Out, Role::In, Role::In}, kParallelTranscendental,
        [&](const std::array<T*, 3>& r, const std::array<int64_t, 3>& s, int64_t rows, int64_t n) {
          l.softmax_backward(r[0], s[0], r[1], s[1], r[2], s[2], rows, n, log);
        });
  });
}

// out (keepdim shape) = logsumexp of x along dim; an empty lane gives -inf.
void logsumexp(const Tensor& out, const Tensor& x, int64_t dim) {
  if (out.numel() == 0) return;
  if (x.numel() == 0) return cpu_kernels().fill(out, -std::numeric_limits<double>::infinity());
  // out viewed over x's shape with stride 0 along dim: every lane's elements map to its result.
  Tensor out_lanes = out;
  if (x.dim() > 0) {
    Shape st = out.strides();
    st[static_cast<size_t>(dim)] = 0;
    out_lanes = from_blob(out.data_ptr(), out.shape(), out.dtype());
    out_lanes.impl().set_shape(x.shape(), st, 0);
  }
  dispatch_float(x.dtype(), "logsumexp", [&]<typename T>() {
    const simd::Loops<T>& l = simd::table().loops<T>();
    for_each_row_block<T, 2>({&out_lanes, &x}, dim, {Role::Slot, Role::In}, kParallelTranscendental,
                             [&](const std::array<T*, 2>& r, const std::array<int64_t, 2>& s, int64_t rows,
                                 int64_t n) { l.logsumexp(r[0], s[0], r[1], s[1], rows, n); });
  });
}

}  // namespace

void register_softmax(Kernels& k) {
  k.softmax = &softmax;
  k.softmax_backward = &softmax_backward;
  k.logsumexp = &logsumexp;
}

}  // namespace strata::backend::cpu
