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

// exp(x) of float x <= 0 (or NaN), for softmax's exp(x - max): half the work of Highway's Exp,
// which also covers overflow and subnormal results. Here results below the smallest normal float
// (x < -87.34) are 0: such terms change neither a sum that holds exp(0) = 1 nor an output beyond
// its absolute error. x = n ln2 + r with n = round(x / ln2), |r| <= ln2 / 2 (ln2 in two parts, so
// n * kLn2Hi is exact); e^r by its Taylor series to r^7 (truncation < 6e-9 relative); 2^n from n's
// bits. Within 2 ulp of the exact value (tests/backend/cpu_kernels_isa_test.cpp).
template <class D, class V>
HWY_INLINE V exp_nonpositive_f32(D d, V x) {
  static_assert(sizeof(hn::TFromD<D>) == 4, "float only");
  const hn::RebindToSigned<D> di;
  // x log2(e) + 1.5 * 2^23 rounds to an integer n held in the low bits of its encoding.
  const V magic = hn::Set(d, 12582912.0f);
  const V t = hn::MulAdd(x, hn::Set(d, 1.44269504088896341f), magic);
  const V n = hn::Sub(t, magic);
  V r = hn::MulAdd(n, hn::Set(d, -0.693145751953125f), x);
  r = hn::MulAdd(n, hn::Set(d, -1.42860682030941723e-6f), r);
  V p = hn::Set(d, 1.0f / 5040);
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 720));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 120));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 24));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 6));
  p = hn::MulAdd(p, r, hn::Set(d, 0.5f));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f));
  // 2^n: n + 127 in the exponent field (t's encoding is 0x4B400000 + n).
  const auto bits = hn::ShiftLeft<23>(hn::Add(hn::BitCast(di, t), hn::Set(di, 127 - 0x4B400000)));
  const V y = hn::IfThenZeroElse(hn::Lt(x, hn::Set(d, -87.33654f)), hn::Mul(p, hn::BitCast(d, bits)));
  return hn::IfThenElse(hn::IsNaN(x), x, y);
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
