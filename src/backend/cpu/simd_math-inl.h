// Vector exp, log, log1p and tanh for the per-target files: Highway's polynomials (hwy/contrib/math)
// plus the special values they leave unspecified, so that they agree with std:: at NaN, +-inf, 0
// and overflow: Highway's Exp returns 0 for NaN and garbage above ~104 (float) / ~1000 (double);
// its Log is only specified on (0, max]. Included once per target (Highway's per-target include
// guard below).
#if defined(STRATA_SIMD_MATH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef STRATA_SIMD_MATH_INL_H_
#undef STRATA_SIMD_MATH_INL_H_
#else
#define STRATA_SIMD_MATH_INL_H_
#endif

#include <limits>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace strata::backend::cpu::simd::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <class D>
hn::Vec<D> infinity(D d) {
  return hn::Set(d, std::numeric_limits<hn::TFromD<D>>::infinity());
}

// Above this, exp overflows (std::exp gives inf); Highway's Exp is unspecified far above it.
template <typename T>
constexpr T kExpOverflow = sizeof(T) == 4 ? T(88.8) : T(709.8);

template <class D, class V>
HWY_INLINE V vexp(D d, V x) {
  V r = hn::Exp(d, x);
  r = hn::IfThenElse(hn::Gt(x, hn::Set(d, kExpOverflow<hn::TFromD<D>>)), infinity(d), r);
  return hn::IfThenElse(hn::IsNaN(x), x, r);
}

// log where Highway's Log is unspecified: 0 -> -inf, negative -> NaN, inf -> inf, NaN -> NaN.
template <class D, class V>
V log_special(D d, V x, V r) {
  const V inf = infinity(d);
  r = hn::IfThenElse(hn::Eq(x, hn::Zero(d)), hn::Neg(inf), r);
  r = hn::IfThenElse(hn::Lt(x, hn::Zero(d)), hn::Set(d, std::numeric_limits<hn::TFromD<D>>::quiet_NaN()), r);
  r = hn::IfThenElse(hn::Eq(x, inf), inf, r);
  return hn::IfThenElse(hn::IsNaN(x), x, r);
}

template <class D, class V>
V vlog(D d, V x) {
  return log_special(d, x, hn::Log(d, x));
}

// log1p(x) is log(1 + x) at the special points: 1 + x = 0, negative, inf.
template <class D, class V>
V vlog1p(D d, V x) {
  const V y = hn::Add(x, hn::Set(d, hn::TFromD<D>(1)));
  const V r = log_special(d, y, hn::Log1p(d, x));
  return hn::IfThenElse(hn::IsNaN(x), x, r);
}

template <class D, class V>
V vtanh(D d, V x) {
  return hn::IfThenElse(hn::IsNaN(x), x, hn::Tanh(d, x));
}

// 1 / (1 + exp(-x)), as the scalar kernel rounds it.
template <class D, class V>
HWY_INLINE V vsigmoid(D d, V x) {
  const V one = hn::Set(d, hn::TFromD<D>(1));
  return hn::Div(one, hn::Add(one, vexp(d, hn::Neg(x))));
}

}  // namespace strata::backend::cpu::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // STRATA_SIMD_MATH_INL_H_ toggle
