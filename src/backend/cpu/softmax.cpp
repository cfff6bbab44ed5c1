// Softmax and log_softmax along one dim, and their gradients, each in one pass over "lanes": the
// 1-d runs of the operands along `dim`. A lane holding the innermost, contiguous dim is worked
// row by row; otherwise lanes are taken in blocks whose per-lane state (maximum, sum) sits in small
// arrays, so each sweep along the dim reads memory in order across the lanes of a block.
// Sums accumulate in double and the other arithmetic is in the data's type, which gives the same
// values as the composed forms (max, sub, exp, sum, log) they replace.
#include <array>
#include <cmath>

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/dispatch.h"
#include "backend/cpu/loops.h"

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

// ---- forward ----

template <typename T>
void softmax_row(T* o, const T* x, int64_t so, int64_t sx, int64_t n, bool log) {
  T m = x[0];
  for (int64_t k = 1; k < n; ++k) m = x[k * sx] > m ? x[k * sx] : m;
  double acc = 0;
  for (int64_t k = 0; k < n; ++k) {
    const T shifted = x[k * sx] - m;
    const T e = std::exp(shifted);
    o[k * so] = log ? shifted : e;
    acc += e;
  }
  if (log) {
    const T log_sum = std::log(static_cast<T>(acc));
    for (int64_t k = 0; k < n; ++k) o[k * so] -= log_sum;
  } else {
    const T sum = static_cast<T>(acc);
    for (int64_t k = 0; k < n; ++k) o[k * so] /= sum;
  }
}

// m (<= kBlock) lanes at once: lane i of out/x starts at o + i * lo, x + i * lx.
template <typename T>
void softmax_block(T* o, const T* x, int64_t lo, int64_t lx, int64_t m, int64_t so, int64_t sx, int64_t n,
                   bool log) {
  T mx[kBlock];
  double acc[kBlock];
  for (int64_t i = 0; i < m; ++i) {
    mx[i] = x[i * lx];
    acc[i] = 0;
  }
  for (int64_t k = 1; k < n; ++k)
    for (int64_t i = 0; i < m; ++i) {
      const T v = x[k * sx + i * lx];
      mx[i] = v > mx[i] ? v : mx[i];
    }
  for (int64_t k = 0; k < n; ++k)
    for (int64_t i = 0; i < m; ++i) {
      const T shifted = x[k * sx + i * lx] - mx[i];
      const T e = std::exp(shifted);
      o[k * so + i * lo] = log ? shifted : e;
      acc[i] += e;
    }
  T last[kBlock];  // log of the sum, or the sum
  for (int64_t i = 0; i < m; ++i) last[i] = log ? std::log(static_cast<T>(acc[i])) : static_cast<T>(acc[i]);
  for (int64_t k = 0; k < n; ++k)
    for (int64_t i = 0; i < m; ++i) {
      T& v = o[k * so + i * lo];
      v = log ? v - last[i] : v / last[i];
    }
}

void softmax(const Tensor& out, const Tensor& x, int64_t dim, bool log) {
  if (out.numel() == 0) return;
  const std::array<const Tensor*, 2> ts{&out, &x};
  const auto step = steps_along<2>(ts, dim);
  const int64_t n = x.dim() == 0 ? 1 : x.size(dim);
  dispatch_float(x.dtype(), "softmax", [&]<typename T>() {
    for_each_lane_run<2>(ts, dim, sizeof(T),
                         [&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t m) {
                           T* o = reinterpret_cast<T*>(p[0]);
                           const T* v = reinterpret_cast<const T*>(p[1]);
                           if (step[0] == 1 && step[1] == 1) {
                             for (int64_t i = 0; i < m; ++i)
                               softmax_row<T>(o + i * s[0], v + i * s[1], 1, 1, n, log);
                             return;
                           }
                           for (int64_t i0 = 0; i0 < m; i0 += kBlock)
                             softmax_block<T>(o + i0 * s[0], v + i0 * s[1], s[0], s[1],
                                              std::min(kBlock, m - i0), step[0], step[1], n, log);
                         });
  });
}

// ---- backward ----
// log_softmax: gi = g - exp(y) * sum(g); softmax: gi = y * (g - sum(g * y)).

template <typename T>
T backward_term(T g, T y, bool log) {
  return log ? g : g * y;
}
template <typename T>
T backward_value(T g, T y, T sum, bool log) {
  return log ? g - std::exp(y) * sum : y * (g - sum);
}

// m (<= kBlock) lanes at once: lane i of operand k starts at p[k] + i * ls[k] and steps by st[k].
template <typename T>
void softmax_backward_block(T* gi, const T* g, const T* y, const std::array<int64_t, 3>& ls,
                            const std::array<int64_t, 3>& st, int64_t m, int64_t n, bool log) {
  double acc[kBlock] = {};
  for (int64_t k = 0; k < n; ++k)
    for (int64_t i = 0; i < m; ++i)
      acc[i] += backward_term(g[k * st[1] + i * ls[1]], y[k * st[2] + i * ls[2]], log);
  T sum[kBlock];
  for (int64_t i = 0; i < m; ++i) sum[i] = static_cast<T>(acc[i]);
  for (int64_t k = 0; k < n; ++k)
    for (int64_t i = 0; i < m; ++i)
      gi[k * st[0] + i * ls[0]] =
          backward_value(g[k * st[1] + i * ls[1]], y[k * st[2] + i * ls[2]], sum[i], log);
}

void softmax_backward(const Tensor& grad_in, const Tensor& g, const Tensor& y, int64_t dim, bool log) {
  if (grad_in.numel() == 0) return;
  const std::array<const Tensor*, 3> ts{&grad_in, &g, &y};
  const auto step = steps_along<3>(ts, dim);
  const int64_t n = y.dim() == 0 ? 1 : y.size(dim);
  dispatch_float(y.dtype(), "softmax_backward", [&]<typename T>() {
    for_each_lane_run<3>(ts, dim, sizeof(T),
                         [&](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s, int64_t m) {
                           T* gi = reinterpret_cast<T*>(p[0]);
                           const T* gp = reinterpret_cast<const T*>(p[1]);
                           const T* yp = reinterpret_cast<const T*>(p[2]);
                           if (step[0] == 1 && step[1] == 1 && step[2] == 1) {
                             for (int64_t i = 0; i < m; ++i, gi += s[0], gp += s[1], yp += s[2]) {
                               double acc = 0;
                               for (int64_t k = 0; k < n; ++k) acc += backward_term(gp[k], yp[k], log);
                               const T sum = static_cast<T>(acc);
                               for (int64_t k = 0; k < n; ++k) gi[k] = backward_value(gp[k], yp[k], sum, log);
                             }
                             return;
                           }
                           for (int64_t i0 = 0; i0 < m; i0 += kBlock)
                             softmax_backward_block<T>(gi + i0 * s[0], gp + i0 * s[1], yp + i0 * s[2], s,
                                                       step, std::min(kBlock, m - i0), n, log);
                         });
  });
}

}  // namespace

void register_softmax(Kernels& k) {
  k.softmax = &softmax;
  k.softmax_backward = &softmax_backward;
}

}  // namespace strata::backend::cpu
