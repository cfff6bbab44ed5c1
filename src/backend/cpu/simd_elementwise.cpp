// Per-target loops for elementwise.cpp (see simd.h): binary arithmetic and unary functions over
// contiguous runs of float and double. Highway compiles this file once per target (foreach_target
// includes it again for each); every definition sits inside HWY_NAMESPACE.
// The arithmetic follows the scalar kernels' expressions term for term; the file is compiled with
// -ffp-contract=off (CMakeLists.txt), so no product and sum are fused where the scalar code
// rounds both.
#include "backend/cpu/simd_targets.h"  // before any Highway header

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "backend/cpu/simd_elementwise.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <cstring>

#include "backend/cpu/simd.h"
#include "backend/cpu/simd_math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace strata::backend::cpu::simd::HWY_NAMESPACE {
namespace {

namespace hn = hwy::HWY_NAMESPACE;

// f over n elements: whole vectors, then the last n % lanes elements through a zero-padded vector,
// so that a tail element gets exactly the arithmetic of any other.
template <class D, class F>
HWY_INLINE void map1(D d, hn::TFromD<D>* o, const hn::TFromD<D>* x, int64_t n, const F& f) {
  using T = hn::TFromD<D>;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) hn::StoreU(f(hn::LoadU(d, x + i)), d, o + i);
  if (i < n) {
    HWY_ALIGN T buf[HWY_MAX_BYTES / sizeof(T)] = {};
    const size_t bytes = static_cast<size_t>(n - i) * sizeof(T);
    std::memcpy(buf, x + i, bytes);
    hn::Store(f(hn::Load(d, buf)), d, buf);
    std::memcpy(o + i, buf, bytes);
  }
}

// f(a, b) over n elements; a (or b) is one value broadcast when AScalar (BScalar).
template <bool AScalar, bool BScalar, class D, class F>
HWY_INLINE void map2(D d, hn::TFromD<D>* o, const hn::TFromD<D>* a, const hn::TFromD<D>* b, int64_t n,
                     const F& f) {
  using T = hn::TFromD<D>;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto av = hn::Set(d, *a);
  const auto bv = hn::Set(d, *b);
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto x = AScalar ? av : hn::LoadU(d, a + i);
    const auto y = BScalar ? bv : hn::LoadU(d, b + i);
    hn::StoreU(f(x, y), d, o + i);
  }
  if (i < n) {
    const size_t bytes = static_cast<size_t>(n - i) * sizeof(T);
    HWY_ALIGN T ba[HWY_MAX_BYTES / sizeof(T)] = {};
    HWY_ALIGN T bb[HWY_MAX_BYTES / sizeof(T)] = {};
    if (!AScalar) std::memcpy(ba, a + i, bytes);
    if (!BScalar) std::memcpy(bb, b + i, bytes);
    const auto x = AScalar ? av : hn::Load(d, ba);
    const auto y = BScalar ? bv : hn::Load(d, bb);
    hn::Store(f(x, y), d, ba);
    std::memcpy(o + i, ba, bytes);
  }
}

template <class D, class F>
HWY_INLINE void map2_pattern(D d, Pattern p, hn::TFromD<D>* o, const hn::TFromD<D>* a, const hn::TFromD<D>* b,
                             int64_t n, const F& f) {
  switch (p) {
    case Pattern::VV:
      return map2<false, false>(d, o, a, b, n, f);
    case Pattern::VS:
      return map2<false, true>(d, o, a, b, n, f);
    case Pattern::SV:
      return map2<true, false>(d, o, a, b, n, f);
  }
}

template <typename T>
void binary(Binary op, Pattern p, T* o, const T* a, const T* b, int64_t n, T alpha) {
  const hn::ScalableTag<T> d;
  using V = hn::Vec<decltype(d)>;
  switch (op) {
    case Binary::Add:
      return map2_pattern(d, p, o, a, b, n, [](V x, V y) { return hn::Add(x, y); });
    case Binary::Sub:
      return map2_pattern(d, p, o, a, b, n, [](V x, V y) { return hn::Sub(x, y); });
    case Binary::Mul:
      return map2_pattern(d, p, o, a, b, n, [](V x, V y) { return hn::Mul(x, y); });
    case Binary::Div:
      return map2_pattern(d, p, o, a, b, n, [](V x, V y) { return hn::Div(x, y); });
    case Binary::AddScaled: {
      const V al = hn::Set(d, alpha);
      return map2_pattern(d, p, o, a, b, n, [al](V x, V y) { return hn::Add(x, hn::Mul(al, y)); });
    }
    case Binary::Max:  // NaN wins, then x > y ? x : y, as the scalar kernel
      return map2_pattern(d, p, o, a, b, n, [](V x, V y) {
        const V r = hn::IfThenElse(hn::IsNaN(y), y, hn::IfThenElse(hn::Gt(x, y), x, y));
        return hn::IfThenElse(hn::IsNaN(x), x, r);
      });
    case Binary::Min:
      return map2_pattern(d, p, o, a, b, n, [](V x, V y) {
        const V r = hn::IfThenElse(hn::IsNaN(y), y, hn::IfThenElse(hn::Lt(x, y), x, y));
        return hn::IfThenElse(hn::IsNaN(x), x, r);
      });
  }
}

template <typename T>
void unary(Unary op, T* o, const T* x, int64_t n, T p0, T p1) {
  const hn::ScalableTag<T> d;
  using V = hn::Vec<decltype(d)>;
  const V one = hn::Set(d, T(1));
  switch (op) {
    case Unary::Exp:
      return map1(d, o, x, n, [d](V v) { return vexp(d, v); });
    case Unary::Log:
      return map1(d, o, x, n, [d](V v) { return vlog(d, v); });
    case Unary::Log1p:
      return map1(d, o, x, n, [d](V v) { return vlog1p(d, v); });
    case Unary::Sqrt:
      return map1(d, o, x, n, [](V v) { return hn::Sqrt(v); });
    case Unary::Rsqrt:
      return map1(d, o, x, n, [one](V v) { return hn::Div(one, hn::Sqrt(v)); });
    case Unary::Tanh:
      return map1(d, o, x, n, [d](V v) { return vtanh(d, v); });
    case Unary::Sigmoid:
      return map1(d, o, x, n, [d](V v) { return vsigmoid(d, v); });
    case Unary::Silu:
      return map1(d, o, x, n, [d](V v) { return hn::Mul(v, vsigmoid(d, v)); });
    case Unary::GeluTanh: {
      // 0.5 * v * (1 + tanh(sqrt(2 / pi) * (v + 0.044715 * v * v * v))), left to right as written.
      const V half = hn::Set(d, T(0.5)), k = hn::Set(d, T(0.7978845608028654)), c = hn::Set(d, T(0.044715));
      return map1(d, o, x, n, [=](V v) {
        const V cube = hn::Mul(hn::Mul(hn::Mul(c, v), v), v);
        return hn::Mul(hn::Mul(half, v), hn::Add(one, vtanh(d, hn::Mul(k, hn::Add(v, cube)))));
      });
    }
    case Unary::Relu:  // NaN stays NaN; -0 gives +0
      return map1(d, o, x, n, [d](V v) {
        return hn::IfThenElse(hn::IsNaN(v), v, hn::IfThenElseZero(hn::Gt(v, hn::Zero(d)), v));
      });
    case Unary::Softplus: {
      const V beta = hn::Set(d, p0), threshold = hn::Set(d, p1);
      return map1(d, o, x, n, [=](V v) {
        const V bx = hn::Mul(v, beta);
        return hn::IfThenElse(hn::Gt(bx, threshold), v, hn::Div(vlog1p(d, vexp(d, bx)), beta));
      });
    }
    case Unary::LeakyRelu: {
      const V slope = hn::Set(d, p0);
      return map1(d, o, x, n,
                  [=](V v) { return hn::IfThenElse(hn::Gt(v, hn::Zero(d)), v, hn::Mul(v, slope)); });
    }
  }
}

}  // namespace

void fill_elementwise_target(Table& t) {
  t.target = hwy::TargetName(HWY_TARGET);
  t.f32.binary = &binary<float>;
  t.f32.unary = &unary<float>;
#if HWY_HAVE_FLOAT64
  t.f64.binary = &binary<double>;
  t.f64.unary = &unary<double>;
#endif
}

}  // namespace strata::backend::cpu::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "backend/cpu/simd_dispatch.h"

namespace strata::backend::cpu::simd {
void fill_elementwise(Table& t, int64_t target) { STRATA_SIMD_DISPATCH(target, fill_elementwise_target, t) }
}  // namespace strata::backend::cpu::simd
#endif
