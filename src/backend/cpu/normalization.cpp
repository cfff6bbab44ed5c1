// layer_norm's rows, forward and backward: each row of n elements is read from cache after its
// first pass, so one call makes a single trip through memory each way (the composed op makes ~10).
//
// The row sums run on 32-byte vectors (two accumulators); each
// loop is compiled twice (x86-64-v3, i.e. AVX2 + FMA, and the baseline) and the better one the CPU runs is
// picked when the library loads (GCC target_clones). Float rows sum in float within blocks of kBlock elements
// and add the block totals in double, so long rows keep double's accuracy.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/dispatch.h"
#include "core/parallel.h"

// Vectors of 32 bytes change the calling convention between the clones; they never cross a call.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define STRATA_NORM_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define STRATA_NORM_CLONES
#endif

namespace strata::backend::cpu {
namespace {

constexpr int64_t kBlock = 256;    // elements summed in T before the total moves to double
constexpr int64_t kGrain = 32768;  // elements per thread chunk: tens of microseconds of work

// 32-byte vectors of T (GCC's vector extension): one AVX register in the x86-64-v3 clone, two SSE
// registers in the baseline. Used only inside the always-inlined row loops.
template <typename T>
using Vec [[gnu::vector_size(32)]] = T;
template <typename T>
constexpr int64_t kLanes = 32 / sizeof(T);

template <typename T>
[[gnu::always_inline]] inline Vec<T> load(const T* p) {
  Vec<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <typename T>
[[gnu::always_inline]] inline T lane_sum(Vec<T> v) {
  T s = 0;
  for (int64_t l = 0; l < kLanes<T>; ++l) s += v[l];
  return s;
}

// sum(f(i)) and sum(f(i) * h(i)) over i in [0, n), f and h taking an index and returning a vector
// of the kLanes<T> elements from it (fv, hv) or one element (fs, hs). Two vector accumulators of
// each, in T within blocks of kBlock, in double across blocks.
template <typename T, typename FV, typename FS, typename HV, typename HS>
[[gnu::always_inline]] inline void row_sums(int64_t n, FV fv, FS fs, HV hv, HS hs, double& sum_f,
                                            double& sum_fh) {
  constexpr int64_t L = kLanes<T>;
  sum_f = 0;
  sum_fh = 0;
  for (int64_t start = 0; start < n; start += kBlock) {
    const int64_t end = std::min(n, start + kBlock);
    Vec<T> f0 = {}, f1 = {}, p0 = {}, p1 = {};
    int64_t i = start;
    for (; i + 2 * L <= end; i += 2 * L) {
      const Vec<T> a = fv(i), c = fv(i + L);
      f0 += a;
      f1 += c;
      p0 += a * hv(i);
      p1 += c * hv(i + L);
    }
    T tail_f = 0, tail_p = 0;
    for (; i < end; ++i) {
      const T a = fs(i);
      tail_f += a;
      tail_p += a * hs(i);
    }
    sum_f += static_cast<double>(lane_sum<T>(f0 + f1) + tail_f);
    sum_fh += static_cast<double>(lane_sum<T>(p0 + p1) + tail_p);
  }
}

// sum(f(i)) alone (h = 1 costs nothing: the compiler drops the unused products).
template <typename T, typename FV, typename FS>
[[gnu::always_inline]] inline double row_sum(int64_t n, FV fv, FS fs) {
  double sum = 0, unused = 0;
  row_sums<T>(
      n, fv, fs, [](int64_t) { return Vec<T>{}; }, [](int64_t) { return T(0); }, sum, unused);
  return sum;
}

template <typename T>
[[gnu::always_inline]] inline void forward_rows(T* out, T* mean, T* rstd, const T* x, const T* w, const T* b,
                                                int64_t r0, int64_t r1, int64_t n, double eps) {
  for (int64_t r = r0; r < r1; ++r) {
    const T* xr = x + r * n;
    T* o = out + r * n;
    const double mu_d = row_sum<T>(
                            n, [&](int64_t i) { return load(xr + i); }, [&](int64_t i) { return xr[i]; }) /
                        static_cast<double>(n);
    const T mu = static_cast<T>(mu_d);
    // Two passes (the row is in cache): the deviations' squares, not E[x^2] - mean^2, which
    // cancels catastrophically for rows far from 0.
    const double var = row_sum<T>(
                           n,
                           [&](int64_t i) {
                             const Vec<T> d = load(xr + i) - mu;
                             return d * d;
                           },
                           [&](int64_t i) { return (xr[i] - mu) * (xr[i] - mu); }) /
                       static_cast<double>(n);
    const T rs = static_cast<T>(1.0 / std::sqrt(var + eps));
    mean[r] = mu;
    rstd[r] = rs;
    if (w != nullptr && b != nullptr)
      for (int64_t i = 0; i < n; ++i) o[i] = (xr[i] - mu) * rs * w[i] + b[i];
    else if (w != nullptr)
      for (int64_t i = 0; i < n; ++i) o[i] = (xr[i] - mu) * rs * w[i];
    else if (b != nullptr)
      for (int64_t i = 0; i < n; ++i) o[i] = (xr[i] - mu) * rs + b[i];
    else
      for (int64_t i = 0; i < n; ++i) o[i] = (xr[i] - mu) * rs;
  }
}

// For rows [r0, r1): gx (when not null) = rstd * (g w - mean(g w) - xhat * mean(g w xhat)), with
// xhat = (x - mean) * rstd; and, in the same visit to each row, acc_w += g * xhat and acc_b += g
// (each [n], when not null).
template <typename T>
[[gnu::always_inline]] inline void backward_rows(T* gx, T* acc_w, T* acc_b, const T* g, const T* x,
                                                 const T* mean, const T* rstd, const T* w, int64_t r0,
                                                 int64_t r1, int64_t n) {
  const double inv_n = 1.0 / static_cast<double>(n);
  for (int64_t r = r0; r < r1; ++r) {
    const T* gr = g + r * n;
    const T* xr = x + r * n;
    const T mu = mean[r], rs = rstd[r];
    if (gx != nullptr) {
      T* o = gx + r * n;
      double sum_gw = 0, sum_gwx = 0;
      auto xhat_v = [&](int64_t i) { return (load(xr + i) - mu) * rs; };
      auto xhat_s = [&](int64_t i) { return (xr[i] - mu) * rs; };
      if (w != nullptr)
        row_sums<T>(
            n, [&](int64_t i) { return load(gr + i) * load(w + i); }, [&](int64_t i) { return gr[i] * w[i]; },
            xhat_v, xhat_s, sum_gw, sum_gwx);
      else
        row_sums<T>(
            n, [&](int64_t i) { return load(gr + i); }, [&](int64_t i) { return gr[i]; }, xhat_v, xhat_s,
            sum_gw, sum_gwx);
      const T a = static_cast<T>(sum_gw * inv_n), c = static_cast<T>(sum_gwx * inv_n);
      if (w != nullptr)
        for (int64_t i = 0; i < n; ++i) o[i] = rs * (gr[i] * w[i] - a - (xr[i] - mu) * rs * c);
      else
        for (int64_t i = 0; i < n; ++i) o[i] = rs * (gr[i] - a - (xr[i] - mu) * rs * c);
    }
    if (acc_w != nullptr)
      for (int64_t i = 0; i < n; ++i) acc_w[i] += gr[i] * ((xr[i] - mu) * rs);
    if (acc_b != nullptr)
      for (int64_t i = 0; i < n; ++i) acc_b[i] += gr[i];
  }
}

// The dtype-specific entry points the clones are made of (target_clones takes no templates).
STRATA_NORM_CLONES void forward_f(float* o, float* m, float* s, const float* x, const float* w,
                                  const float* b, int64_t r0, int64_t r1, int64_t n, double eps) {
  forward_rows(o, m, s, x, w, b, r0, r1, n, eps);
}
STRATA_NORM_CLONES void forward_d(double* o, double* m, double* s, const double* x, const double* w,
                                  const double* b, int64_t r0, int64_t r1, int64_t n, double eps) {
  forward_rows(o, m, s, x, w, b, r0, r1, n, eps);
}
STRATA_NORM_CLONES void backward_f(float* gx, float* aw, float* ab, const float* g, const float* x,
                                   const float* m, const float* s, const float* w, int64_t r0, int64_t r1,
                                   int64_t n) {
  backward_rows(gx, aw, ab, g, x, m, s, w, r0, r1, n);
}
STRATA_NORM_CLONES void backward_d(double* gx, double* aw, double* ab, const double* g, const double* x,
                                   const double* m, const double* s, const double* w, int64_t r0, int64_t r1,
                                   int64_t n) {
  backward_rows(gx, aw, ab, g, x, m, s, w, r0, r1, n);
}

void forward_any(float* o, float* m, float* s, const float* x, const float* w, const float* b, int64_t r0,
                 int64_t r1, int64_t n, double eps) {
  forward_f(o, m, s, x, w, b, r0, r1, n, eps);
}
void forward_any(double* o, double* m, double* s, const double* x, const double* w, const double* b,
                 int64_t r0, int64_t r1, int64_t n, double eps) {
  forward_d(o, m, s, x, w, b, r0, r1, n, eps);
}
void backward_any(float* gx, float* aw, float* ab, const float* g, const float* x, const float* m,
                  const float* s, const float* w, int64_t r0, int64_t r1, int64_t n) {
  backward_f(gx, aw, ab, g, x, m, s, w, r0, r1, n);
}
void backward_any(double* gx, double* aw, double* ab, const double* g, const double* x, const double* m,
                  const double* s, const double* w, int64_t r0, int64_t r1, int64_t n) {
  backward_d(gx, aw, ab, g, x, m, s, w, r0, r1, n);
}

template <typename T>
const T* ptr_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

void layer_norm(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& x,
                const Tensor& weight, const Tensor& bias, double eps) {
  const int64_t rows = x.size(0), n = x.size(1);
  dispatch_float(x.dtype(), "layer_norm", [&]<typename T>() {
    T* o = out.data<T>();
    T* m = mean.data<T>();
    T* s = rstd.data<T>();
    const T* xp = x.data<T>();
    const T* w = ptr_or_null<T>(weight);
    const T* b = ptr_or_null<T>(bias);
    detail::parallel_for(0, rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, n)),
                         [&](int64_t r0, int64_t r1) { forward_any(o, m, s, xp, w, b, r0, r1, n, eps); });
  });
}

void layer_norm_backward(const Tensor& grad_x, const Tensor& grad_weight, const Tensor& grad_bias,
                         const Tensor& grad_out, const Tensor& x, const Tensor& mean, const Tensor& rstd,
                         const Tensor& weight) {
  const int64_t rows = x.size(0), n = x.size(1);
  dispatch_float(x.dtype(), "layer_norm_backward", [&]<typename T>() {
    const T* g = grad_out.data<T>();
    const T* xp = x.data<T>();
    const T* m = mean.data<T>();
    const T* s = rstd.data<T>();
    const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, n));
    T* gx = grad_x.defined() ? grad_x.data<T>() : nullptr;
    const T* w = ptr_or_null<T>(weight);
    if (!grad_weight.defined() && !grad_bias.defined()) {
      detail::parallel_for(0, rows, grain, [&](int64_t r0, int64_t r1) {
        backward_any(gx, nullptr, nullptr, g, xp, m, s, w, r0, r1, n);
      });
      return;
    }
    // The parameter sums go by fixed blocks of rows, each into its own partials, then the partials
    // add up in block order: the result does not depend on the number of threads.
    const int64_t block_rows = std::max<int64_t>(32, (rows + 63) / 64);
    const int64_t blocks = (rows + block_rows - 1) / block_rows;
    std::vector<T> partial_w(grad_weight.defined() ? static_cast<size_t>(blocks * n) : 0);
    std::vector<T> partial_b(grad_bias.defined() ? static_cast<size_t>(blocks * n) : 0);
    detail::parallel_for(0, blocks, std::max<int64_t>(1, grain / block_rows), [&](int64_t b0, int64_t b1) {
      for (int64_t k = b0; k < b1; ++k)
        backward_any(gx, partial_w.empty() ? nullptr : partial_w.data() + k * n,
                     partial_b.empty() ? nullptr : partial_b.data() + k * n, g, xp, m, s, w, k * block_rows,
                     std::min(rows, (k + 1) * block_rows), n);
    });
    auto combine = [&](const std::vector<T>& partial, const Tensor& dst) {
      if (!dst.defined()) return;
      T* d = dst.data<T>();
      for (int64_t i = 0; i < n; ++i) {
        double total = 0;
        for (int64_t k = 0; k < blocks; ++k)
          total += static_cast<double>(partial[static_cast<size_t>(k * n + i)]);
        d[i] = static_cast<T>(total);
      }
    };
    combine(partial_w, grad_weight);
    combine(partial_b, grad_bias);
  });
}

}  // namespace

void register_normalization(Kernels& k) {
  k.layer_norm = layer_norm;
  k.layer_norm_backward = layer_norm_backward;
}

}  // namespace strata::backend::cpu
