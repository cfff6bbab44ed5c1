// Per-target loops for reduce.cpp and softmax.cpp (see simd.h): sums, max/min, column
// accumulation, and softmax / log_softmax / logsumexp rows over contiguous float and double.
// Highway compiles this file once per target; every definition sits inside HWY_NAMESPACE.
//
// Sums keep 16 partial sums in double, partial l taking the elements at positions l mod 16, and
// combine them in one fixed tree: the order of additions depends on neither the vector width nor
// the target, so every target returns the same bits (compiled with -ffp-contract=off).
#include "backend/cpu/simd_targets.h"  // before any Highway header

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "backend/cpu/simd_rows.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <cmath>
#include <cstring>
#include <limits>

#include "backend/cpu/simd.h"
#include "backend/cpu/simd_math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace strata::backend::cpu::simd::HWY_NAMESPACE {
namespace {

namespace hn = hwy::HWY_NAMESPACE;

constexpr int64_t kBlock = 16;  // elements per step of the 16-partial loops

template <typename T>
constexpr T kInf = std::numeric_limits<T>::infinity();

// Partial sums in double of values of T, fed kBlock elements at a time as vectors of T.
template <typename T>
class Sum16 {
 public:
  Sum16() {
    for (size_t k = 0; k < kBlock / hn::Lanes(dd_); ++k) acc_[k] = hn::Zero(dd_);
  }
  // v holds the elements k * Lanes(ScalableTag<T>) .. of the current block.
  template <class V>
  HWY_INLINE void add(size_t k, V v) {
    if constexpr (sizeof(T) == sizeof(double)) {
      acc_[k] = hn::Add(acc_[k], v);
    } else {
#if HWY_TARGET == HWY_SCALAR
      acc_[k] = hn::Add(acc_[k], hn::PromoteTo(dd_, v));  // one lane of each type
#else
      const hn::Half<hn::ScalableTag<T>> dh;
      acc_[2 * k] = hn::Add(acc_[2 * k], hn::PromoteTo(dd_, hn::LowerHalf(dh, v)));
      acc_[2 * k + 1] = hn::Add(acc_[2 * k + 1], hn::PromoteTo(dd_, hn::UpperHalf(dh, v)));
#endif
    }
  }
  double total() {
    HWY_ALIGN double lanes[kBlock];
    const size_t n = hn::Lanes(dd_);
    for (size_t k = 0; k < kBlock / n; ++k) hn::Store(acc_[k], dd_, lanes + k * n);
    for (int64_t width = kBlock / 2; width >= 1; width /= 2)
      for (int64_t l = 0; l < width; ++l) lanes[l] += lanes[l + width];
    return lanes[0];
  }

 private:
  hn::ScalableTag<double> dd_;
  hn::Vec<hn::ScalableTag<double>> acc_[kBlock];
};

// Calls f(k, v) for every vector v of x[0..n) in blocks of kBlock elements, the last block read
// from a copy padded with `pad`; returns nothing. k is the vector's index within its block.
template <typename T, class F>
HWY_INLINE void for_blocks(const T* x, int64_t n, T pad, const F& f) {
  const hn::ScalableTag<T> d;
  const size_t lanes = hn::Lanes(d);
  int64_t i = 0;
  for (; i + kBlock <= n; i += kBlock)
    for (size_t k = 0; k < kBlock / lanes; ++k) f(k, hn::LoadU(d, x + i + k * lanes));
  if (i < n) {
    HWY_ALIGN T buf[kBlock];
    for (T& b : buf) b = pad;
    std::memcpy(buf, x + i, static_cast<size_t>(n - i) * sizeof(T));
    for (size_t k = 0; k < kBlock / lanes; ++k) f(k, hn::Load(d, buf + k * lanes));
  }
}

template <typename T>
double sum(const T* x, int64_t n) {
  Sum16<T> s;
  for_blocks(x, n, T(0), [&](size_t k, auto v) { s.add(k, v); });
  return s.total();
}

// The extreme of x under `better(v, acc)` over 16 partials; with `keep_nan`, the first NaN of x
// when there is one (the reductions' rule), else NaNs are passed over unless x[0] is one (the
// softmax shift's rule: m = x[0], then m = v > m ? v : m).
template <typename T, class Better>
T extreme(const T* x, int64_t n, T init, bool keep_nan, const Better& better) {
  const hn::ScalableTag<T> d;
  using V = hn::Vec<decltype(d)>;
  const size_t lanes = hn::Lanes(d);
  V acc[kBlock];
  for (size_t k = 0; k < kBlock / lanes; ++k) acc[k] = hn::Set(d, init);
  V nan = hn::Zero(d);
  for_blocks(x, n, init, [&](size_t k, V v) {
    acc[k] = hn::IfThenElse(better(v, acc[k]), v, acc[k]);
    if (keep_nan) nan = hn::Or(nan, hn::VecFromMask(d, hn::IsNaN(v)));
  });
  if (keep_nan && !hn::AllFalse(d, hn::MaskFromVec(nan))) {
    for (int64_t i = 0; i < n; ++i)
      if (std::isnan(x[i])) return x[i];
  }
  HWY_ALIGN T l[kBlock];
  for (size_t k = 0; k < kBlock / lanes; ++k) hn::Store(acc[k], d, l + k * lanes);
  for (int64_t width = kBlock / 2; width >= 1; width /= 2)
    for (int64_t j = 0; j < width; ++j) {
      const V a = hn::Set(d, l[j]), b = hn::Set(d, l[j + width]);
      l[j] = hn::GetLane(hn::IfThenElse(better(b, a), b, a));
    }
  return l[0];
}

template <typename T>
T max(const T* x, int64_t n) {
  return extreme(x, n, -kInf<T>, true, [](auto v, auto a) { return hn::Gt(v, a); });
}
template <typename T>
T min(const T* x, int64_t n) {
  return extreme(x, n, kInf<T>, true, [](auto v, auto a) { return hn::Lt(v, a); });
}

// acc[j] op= x[j] for j < n over vectors of A (double or T), the tail through padded copies.
template <typename A, typename T, class F>
HWY_INLINE void accumulate(A* acc, const T* x, int64_t n, const F& f) {
  const hn::ScalableTag<A> da;
  const hn::Rebind<T, decltype(da)> dt;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(da));
  auto load = [&](const T* p) {
    if constexpr (sizeof(A) == sizeof(T))
      return hn::LoadU(da, p);
    else
      return hn::PromoteTo(da, hn::LoadU(dt, p));
  };
  int64_t j = 0;
  for (; j + lanes <= n; j += lanes) hn::StoreU(f(hn::LoadU(da, acc + j), load(x + j)), da, acc + j);
  if (j < n) {
    HWY_ALIGN A ba[HWY_MAX_BYTES / sizeof(A)] = {};
    HWY_ALIGN T bx[HWY_MAX_BYTES / sizeof(A)] = {};
    const size_t r = static_cast<size_t>(n - j);
    std::memcpy(ba, acc + j, r * sizeof(A));
    std::memcpy(bx, x + j, r * sizeof(T));
    hn::Store(f(hn::Load(da, ba), load(bx)), da, ba);
    std::memcpy(acc + j, ba, r * sizeof(A));
  }
}

template <typename T>
void accumulate_sum(double* acc, const T* x, int64_t n) {
  accumulate(acc, x, n, [](auto a, auto v) { return hn::Add(a, v); });
}
// The reductions' combine: a NaN already held stays, a new NaN replaces, else the better value.
template <typename T>
void accumulate_max(T* acc, const T* x, int64_t n) {
  accumulate(acc, x, n, [](auto a, auto v) {
    return hn::IfThenElse(hn::IsNaN(a), a,
                          hn::IfThenElse(hn::IsNaN(v), v, hn::IfThenElse(hn::Gt(v, a), v, a)));
  });
}
template <typename T>
void accumulate_min(T* acc, const T* x, int64_t n) {
  accumulate(acc, x, n, [](auto a, auto v) {
    return hn::IfThenElse(hn::IsNaN(a), a,
                          hn::IfThenElse(hn::IsNaN(v), v, hn::IfThenElse(hn::Lt(v, a), v, a)));
  });
}

// ---- softmax rows ----

// exp of the shifted values of softmax, log_softmax's gradient and logsumexp, all <= 0 (or NaN):
// for float the cheaper exp_nonpositive_f32 (results under the smallest normal float are 0),
// for double Highway's Exp with NaN kept.
template <class D, class V>
HWY_INLINE V exp_shifted(D d, V x) {
  if constexpr (sizeof(hn::TFromD<D>) == 4)
    return exp_nonpositive_f32(d, x);
  else
    return hn::IfThenElse(hn::IsNaN(x), x, hn::Exp(d, x));
}

// Rows shorter than kBlock (a classifier's few logits) skip the 16-partial machinery: plain loops
// for the maximum and the sums, and for exp one padded block of vector exp, or std::exp below
// kScalarExp elements, where a vector would be mostly padding. Chosen by the row's length alone,
// so the result still depends on neither the target nor the layout.
constexpr int64_t kScalarExp = 8;

template <typename T>
HWY_INLINE void short_exp(const T* x, T shift, int64_t n, T* e) {
  if (n < kScalarExp) {
    for (int64_t k = 0; k < n; ++k) e[k] = std::exp(x[k] - shift);
    return;
  }
  const hn::ScalableTag<T> d;
  const size_t lanes = hn::Lanes(d);
  T buf[kBlock] = {};  // unaligned: no stack realignment in these short calls
  std::memcpy(buf, x, static_cast<size_t>(n) * sizeof(T));
  const auto shift_v = hn::Set(d, shift);
  for (size_t k = 0; k * lanes < static_cast<size_t>(n); ++k)
    hn::StoreU(exp_shifted(d, hn::Sub(hn::LoadU(d, buf + k * lanes), shift_v)), d, e + k * lanes);
}

template <typename T>
void softmax_short(T* o, const T* x, int64_t n, bool log) {
  T m = x[0];
  for (int64_t k = 1; k < n; ++k) m = x[k] > m ? x[k] : m;
  T e[kBlock];
  short_exp(x, m, n, e);
  double acc = 0;
  for (int64_t k = 0; k < n; ++k) acc += e[k];
  const T total = static_cast<T>(acc);
  if (log) {
    const T log_sum = std::log(total);
    for (int64_t k = 0; k < n; ++k) o[k] = (x[k] - m) - log_sum;
  } else {
    const T inverse = T(1) / total;
    for (int64_t k = 0; k < n; ++k) o[k] = e[k] * inverse;
  }
}

// Rows of at least kBlock elements (not inlined: its aligned buffers would make every short row
// pay for a realigned stack frame).
template <typename T>
HWY_NOINLINE void softmax(T* o, const T* x, int64_t n, bool log) {
  const hn::ScalableTag<T> d;
  using V = hn::Vec<decltype(d)>;
  const size_t lanes = hn::Lanes(d);
  const V m = hn::Set(d, extreme(x, n, x[0], false, [](V v, V a) { return hn::Gt(v, a); }));
  // exp(x - m) into o (or x - m for log_softmax), summed in double. x - m is <= 0 or NaN, so
  // exp needs no overflow guard; the padding of the last block (-inf) adds exp(-inf) = 0, or NaN
  // to a row whose own elements already give NaN (all -inf, or holding +inf).
  Sum16<T> s;
  auto block = [&](const T* src, T* dst) {
    for (size_t k = 0; k < kBlock / lanes; ++k) {
      const V shifted = hn::Sub(hn::LoadU(d, src + k * lanes), m);
      const V ev = exp_shifted(d, shifted);
      hn::StoreU(log ? shifted : ev, d, dst + k * lanes);
      s.add(k, ev);
    }
  };
  int64_t i = 0;
  for (; i + kBlock <= n; i += kBlock) block(x + i, o + i);
  if (i < n) {
    HWY_ALIGN T bx[kBlock], bo[kBlock];
    const size_t r = static_cast<size_t>(n - i);
    for (T& v : bx) v = -kInf<T>;
    std::memcpy(bx, x + i, r * sizeof(T));
    block(bx, bo);
    std::memcpy(o + i, bo, r * sizeof(T));
  }
  const T total = static_cast<T>(s.total());
  // log_softmax: minus the log of the sum; softmax: times its reciprocal (a division per element
  // would cost ~10% of the row).
  const V scale = hn::Set(d, log ? std::log(total) : T(1) / total);
  i = 0;
  for (; i + static_cast<int64_t>(lanes) <= n; i += lanes) {
    const V v = hn::LoadU(d, o + i);
    hn::StoreU(log ? hn::Sub(v, scale) : hn::Mul(v, scale), d, o + i);
  }
  for (; i < n; ++i) o[i] = log ? o[i] - hn::GetLane(scale) : o[i] * hn::GetLane(scale);
}

// softmax: gi = y (g - sum(g y)); log_softmax: gi = g - exp(y) sum(g). The products g y are
// rounded in T and summed in double, as the scalar kernel did.
template <typename T>
void softmax_backward_short(T* gi, const T* g, const T* y, int64_t n, bool log) {
  double acc = 0;
  for (int64_t k = 0; k < n; ++k) acc += log ? g[k] : g[k] * y[k];
  const T sum = static_cast<T>(acc);
  if (!log) {
    for (int64_t k = 0; k < n; ++k) gi[k] = y[k] * (g[k] - sum);
    return;
  }
  T e[kBlock];
  short_exp(y, T(0), n, e);
  for (int64_t k = 0; k < n; ++k) gi[k] = g[k] - e[k] * sum;
}

template <typename T>
HWY_NOINLINE void softmax_backward(T* gi, const T* g, const T* y, int64_t n, bool log) {
  const hn::ScalableTag<T> d;
  using V = hn::Vec<decltype(d)>;
  const size_t lanes = hn::Lanes(d);
  Sum16<T> s;
  int64_t i = 0;
  auto terms = [&](const T* gp, const T* yp) {
    for (size_t k = 0; k < kBlock / lanes; ++k) {
      const V gv = hn::LoadU(d, gp + k * lanes);
      s.add(k, log ? gv : hn::Mul(gv, hn::LoadU(d, yp + k * lanes)));
    }
  };
  for (; i + kBlock <= n; i += kBlock) terms(g + i, y + i);
  if (i < n) {
    HWY_ALIGN T bg[kBlock] = {}, by[kBlock] = {};
    std::memcpy(bg, g + i, static_cast<size_t>(n - i) * sizeof(T));
    std::memcpy(by, y + i, static_cast<size_t>(n - i) * sizeof(T));
    terms(bg, by);
  }
  const V sum_v = hn::Set(d, static_cast<T>(s.total()));
  auto value = [&](V gv, V yv) {
    return log ? hn::Sub(gv, hn::Mul(exp_shifted(d, yv), sum_v)) : hn::Mul(yv, hn::Sub(gv, sum_v));
  };
  i = 0;
  for (; i + static_cast<int64_t>(lanes) <= n; i += lanes)
    hn::StoreU(value(hn::LoadU(d, g + i), hn::LoadU(d, y + i)), d, gi + i);
  if (i < n) {
    HWY_ALIGN T bg[HWY_MAX_BYTES / sizeof(T)] = {}, by[HWY_MAX_BYTES / sizeof(T)] = {};
    const size_t bytes = static_cast<size_t>(n - i) * sizeof(T);
    std::memcpy(bg, g + i, bytes);
    std::memcpy(by, y + i, bytes);
    hn::Store(value(hn::Load(d, bg), hn::Load(d, by)), d, bg);
    std::memcpy(gi + i, bg, bytes);
  }
}

// log(sum(exp(x - m))) + m with m the maximum (NaN when x holds one); an infinite m shifts by 0,
// giving -inf for a row of -inf (and an empty row) and inf when the row holds inf.
template <typename T>
T logsumexp_short(const T* x, int64_t n) {
  T m = -kInf<T>;  // the reductions' max: the first NaN, else the largest
  for (int64_t k = 0; k < n && !std::isnan(m); ++k) m = std::isnan(x[k]) || x[k] > m ? x[k] : m;
  if (std::isnan(m) || m == kInf<T>) return m;  // +inf: the sum is inf
  const T shift = m == -kInf<T> ? T(0) : m;     // every x - shift is <= 0
  T e[kBlock];
  short_exp(x, shift, n, e);
  double acc = 0;
  for (int64_t k = 0; k < n; ++k) acc += e[k];
  return std::log(static_cast<T>(acc)) + shift;
}

template <typename T>
HWY_NOINLINE T logsumexp(const T* x, int64_t n) {
  const T m = max(x, n);
  if (std::isnan(m) || m == kInf<T>) return m;  // +inf: the sum is inf
  const T shift = m == -kInf<T> ? T(0) : m;     // every x - shift is <= 0
  const hn::ScalableTag<T> d;
  const auto shift_v = hn::Set(d, shift);
  Sum16<T> s;
  for_blocks(x, n, -kInf<T>, [&](size_t k, auto v) { s.add(k, exp_shifted(d, hn::Sub(v, shift_v))); });
  return std::log(static_cast<T>(s.total())) + shift;
}

// The Loops entries: rows of the single-row functions above.
template <typename T>
void softmax_rows(T* o, int64_t os, const T* x, int64_t xs, int64_t rows, int64_t n, bool log) {
  if (n == 0) return;
  for (int64_t i = 0; i < rows; ++i) {
    if (n < kBlock)
      softmax_short(o + i * os, x + i * xs, n, log);
    else
      softmax(o + i * os, x + i * xs, n, log);
  }
}
template <typename T>
void softmax_backward_rows(T* gi, int64_t gis, const T* g, int64_t gs, const T* y, int64_t ys, int64_t rows,
                           int64_t n, bool log) {
  for (int64_t i = 0; i < rows; ++i) {
    if (n < kBlock)
      softmax_backward_short(gi + i * gis, g + i * gs, y + i * ys, n, log);
    else
      softmax_backward(gi + i * gis, g + i * gs, y + i * ys, n, log);
  }
}
template <typename T>
void logsumexp_rows(T* out, int64_t os, const T* x, int64_t xs, int64_t rows, int64_t n) {
  for (int64_t i = 0; i < rows; ++i)
    out[i * os] = n < kBlock ? logsumexp_short(x + i * xs, n) : logsumexp(x + i * xs, n);
}

template <typename T>
void fill(Loops<T>& l) {
  l.sum = &sum<T>;
  l.max = &max<T>;
  l.min = &min<T>;
  l.accumulate_sum = &accumulate_sum<T>;
  l.accumulate_max = &accumulate_max<T>;
  l.accumulate_min = &accumulate_min<T>;
  l.softmax = &softmax_rows<T>;
  l.softmax_backward = &softmax_backward_rows<T>;
  l.logsumexp = &logsumexp_rows<T>;
}

}  // namespace

void fill_rows_target(Table& t) {
  fill(t.f32);
#if HWY_HAVE_FLOAT64
  fill(t.f64);
#endif
}

}  // namespace strata::backend::cpu::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "backend/cpu/simd_dispatch.h"

namespace strata::backend::cpu::simd {
void fill_rows(Table& t, int64_t target) { STRATA_SIMD_DISPATCH(target, fill_rows_target, t) }
}  // namespace strata::backend::cpu::simd
#endif
