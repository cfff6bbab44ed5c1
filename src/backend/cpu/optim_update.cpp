// Fused optimizer updates: one pass over a parameter and its state instead of one pass per
// elementwise op, which is what makes the op-composed Adam memory-bound (~10 passes over memory).
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/dispatch.h"
#include "core/parallel.h"

#if defined(__SSE2__)
#include <immintrin.h>
#endif

// Each line below rounds once, as the op-composed path's separate kernels do; a contracted
// multiply-add would round once where they round twice and break bitwise agreement with them.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace strata::backend::cpu {
namespace {

// Adam's update of each element touches 4-5 arrays and does a sqrt and two divisions: a chunk of
// this many elements is tens of microseconds, well above handing it to a worker.
constexpr int64_t kGrainAdam = 65536;

// Square roots of a block in place. The compiler does not vectorise std::sqrt in a loop while
// math-errno is on (the default; a pragma cannot turn it off), so on x86 the SSE instructions are
// called by hand; they are the correctly rounded IEEE sqrt, as std::sqrt is.
inline void sqrt_block(float* x, int64_t n) {
  int64_t i = 0;
#if defined(__SSE2__)
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(x + i, _mm_sqrt_ps(_mm_loadu_ps(x + i)));
#endif
  for (; i < n; ++i) x[i] = std::sqrt(x[i]);
}
inline void sqrt_block(double* x, int64_t n) {
  int64_t i = 0;
#if defined(__SSE2__)
  for (; i + 2 <= n; i += 2) _mm_storeu_pd(x + i, _mm_sqrt_pd(_mm_loadu_pd(x + i)));
#endif
  for (; i < n; ++i) x[i] = std::sqrt(x[i]);
}

// maximum() of the composed path: NaN wins (x when x is NaN, else y when y is NaN). A select
// rather than branches, so that the loop vectorises.
template <typename T>
inline T nan_max(T x, T y) {
  return (x > y || x != x) ? x : y;
}

// The constants rounded to T, as the composed path's scalar operands are.
template <typename T>
struct AdamConsts {
  T decay, wd, beta1, one_minus_beta1, beta2, one_minus_beta2, bc2_sqrt, eps, neg_step_size;
  explicit AdamConsts(const AdamScalars& s)
      : decay(T(1 - s.lr * s.weight_decay)),
        wd(T(s.weight_decay)),
        beta1(T(s.beta1)),
        one_minus_beta1(T(1 - s.beta1)),
        beta2(T(s.beta2)),
        one_minus_beta2(T(1 - s.beta2)),
        bc2_sqrt(T(s.bias_correction2_sqrt)),
        eps(T(s.eps)),
        neg_step_size(T(-s.step_size)) {}
};

// Elements per block: the block's temporaries stay in L1 between the loops below.
constexpr int64_t kBlock = 256;

// One function per combination of options, so that each loop is a straight line the compiler
// vectorises; per block, the moments (writing what sqrt takes), the sqrt, then the parameter.
template <typename T, bool kMaximize, int kDecay /*0 none, 1 L2, 2 decoupled*/, bool kAmsgrad>
void adam_run(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v, T* __restrict vmax,
              int64_t n, const AdamConsts<T>& c) {
  alignas(64) T root[kBlock];
  for (int64_t b0 = 0; b0 < n; b0 += kBlock) {
    const int64_t len = std::min(kBlock, n - b0);
    T* __restrict pb = p + b0;
    const T* __restrict gb = g + b0;
    T* __restrict mb = m + b0;
    T* __restrict vb = v + b0;
    T* __restrict vmaxb = kAmsgrad ? vmax + b0 : nullptr;
    for (int64_t i = 0; i < len; ++i) {
      T grad = gb[i];
      if constexpr (kMaximize) grad = -grad;
      if constexpr (kDecay == 1) {
        const T scaled = c.wd * pb[i];
        grad = grad + scaled;
      }
      T mi = mb[i] * c.beta1;
      const T mg = c.one_minus_beta1 * grad;
      mb[i] = mi + mg;
      T vi = vb[i] * c.beta2;
      T sq = grad * c.one_minus_beta2;
      sq = sq * grad;
      vi = vi + sq;
      vb[i] = vi;
      if constexpr (kAmsgrad) {
        const T mx = nan_max(vmaxb[i], vi);
        vmaxb[i] = mx;
        root[i] = mx;
      } else {
        root[i] = vi;
      }
    }
    sqrt_block(root, len);
    for (int64_t i = 0; i < len; ++i) {
      T param = pb[i];
      if constexpr (kDecay == 2) param = param * c.decay;
      T denom = root[i] / c.bc2_sqrt;
      denom = denom + c.eps;
      T update = mb[i] * c.neg_step_size;
      update = update / denom;
      pb[i] = param + update;
    }
  }
}

template <typename T, bool kMaximize, int kDecay, bool kAmsgrad>
void adam_typed(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                const Tensor& max_exp_avg_sq, const AdamScalars& s) {
  const AdamConsts<T> c(s);
  T* p = static_cast<T*>(param.data_ptr());
  const T* g = static_cast<const T*>(grad.data_ptr());
  T* m = static_cast<T*>(exp_avg.data_ptr());
  T* v = static_cast<T*>(exp_avg_sq.data_ptr());
  T* vmax = kAmsgrad ? static_cast<T*>(max_exp_avg_sq.data_ptr()) : nullptr;
  // Elementwise with no reduction: the bits do not depend on how the range is split.
  detail::parallel_for(0, param.numel(), kGrainAdam, [&](int64_t begin, int64_t end) {
    adam_run<T, kMaximize, kDecay, kAmsgrad>(p + begin, g + begin, m + begin, v + begin,
                                             kAmsgrad ? vmax + begin : nullptr, end - begin, c);
  });
}

void adam_update(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                 const Tensor& max_exp_avg_sq, const AdamScalars& s) {
  const int decay = s.weight_decay == 0 ? 0 : s.decoupled ? 2 : 1;
  const bool amsgrad = max_exp_avg_sq.defined();
  dispatch_float(param.dtype(), "adam_update", [&]<typename T>() {
    // Expands the runtime options into the template flags of one of the 12 loops.
    auto with_amsgrad = [&]<bool kMax, int kDec>() {
      if (amsgrad)
        adam_typed<T, kMax, kDec, true>(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, s);
      else
        adam_typed<T, kMax, kDec, false>(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, s);
    };
    auto with_decay = [&]<bool kMax>() {
      if (decay == 0) with_amsgrad.template operator()<kMax, 0>();
      if (decay == 1) with_amsgrad.template operator()<kMax, 1>();
      if (decay == 2) with_amsgrad.template operator()<kMax, 2>();
    };
    if (s.maximize)
      with_decay.template operator()<true>();
    else
      with_decay.template operator()<false>();
  });
}

}  // namespace

void register_optim_update(Kernels& k) { k.adam_update = adam_update; }

}  // namespace strata::backend::cpu
