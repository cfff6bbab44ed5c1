// Elementwise CPU kernels: binary, unary, where, clamp, copy and fill, over any strides. Float and
// double arithmetic and math functions run their contiguous runs through the per-target vector
// loops of simd.h; everything else is plain loops. Large outputs are split across threads
// (loops.h); each element's result does not depend on the split.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/dispatch.h"
#include "backend/cpu/loops.h"
#include "backend/cpu/simd.h"

namespace strata::backend::cpu {
namespace {

template <typename T>
constexpr bool kSimdType = std::is_same_v<T, float> || std::is_same_v<T, double>;

// Runs shorter than this skip the call into the vector loops when the scalar expression gives
// the same bits (the per-op cost of tiny tensors matters as much as the speed of large ones).
constexpr int64_t kShortRun = 16;

// One innermost run of out = f(a, b). The common stride patterns get their own loops so the
// compiler can vectorise them; `vec` (when set) runs them for float and double instead and must
// give f's bits.
template <typename R, typename A, typename B, typename F>
void binary_run(const std::array<char*, 3>& p, const std::array<int64_t, 3>& s, int64_t n, F f,
                const simd::Loops<A>* vec = nullptr, simd::Binary kind = simd::Binary::Add, A alpha = A(1)) {
  R* o = reinterpret_cast<R*>(p[0]);
  const A* a = reinterpret_cast<const A*>(p[1]);
  const B* b = reinterpret_cast<const B*>(p[2]);
  if constexpr (kSimdType<A> && std::is_same_v<A, R> && std::is_same_v<A, B>) {
    const bool a_run = s[1] == 1, b_run = s[2] == 1;  // else a stride-0 operand, or a strided one
    if (vec != nullptr && n >= kShortRun && s[0] == 1 && (a_run || b_run) && (a_run || s[1] == 0) &&
        (b_run || s[2] == 0)) {
      const auto pattern = s[1] == 0 ? simd::Pattern::SV : s[2] == 0 ? simd::Pattern::VS : simd::Pattern::VV;
      return vec->binary(kind, pattern, o, a, b, n, alpha);
    }
  }
  if (s[1] == 0 && s[2] == 0) {  // both operands broadcast along the run: one value
    const R v = f(*a, *b);
    if (s[0] == 1)
      std::fill(o, o + n, v);
    else
      for (int64_t i = 0; i < n; ++i) o[i * s[0]] = v;
  } else if (s[0] == 1 && s[1] == 1 && s[2] == 1) {
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b[i]);
  } else if (s[0] == 1 && s[1] == 1 && s[2] == 0) {
    const B bv = *b;
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], bv);
  } else if (s[0] == 1 && s[1] == 0 && s[2] == 1) {
    const A av = *a;
    for (int64_t i = 0; i < n; ++i) o[i] = f(av, b[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) o[i * s[0]] = f(a[i * s[1]], b[i * s[2]]);
  }
}

template <typename R, typename A, typename B, typename F>
void binary_loop(const Tensor& out, const Tensor& a, const Tensor& b, F f,
                 int64_t min_work = kParallelCheap) {
  for_each_run<3>(
      {&out, &a, &b},
      [&](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s, int64_t n) {
        binary_run<R, A, B>(p, s, n, f);
      },
      min_work);
}

// Float/double arithmetic through the vector loops; f is the same operation as scalar code.
template <typename T, typename F>
void binary_vec(const Tensor& out, const Tensor& a, const Tensor& b, F f, simd::Binary kind, T alpha = T(1)) {
  const simd::Loops<T>& vec = simd::table().loops<T>();
  for_each_run<3>(
      {&out, &a, &b},
      [&](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s, int64_t n) {
        binary_run<T, T, T>(p, s, n, f, vec.binary ? &vec : nullptr, kind, alpha);
      },
      kParallelCheap);
}

template <typename R, typename A, typename F>
void unary_loop(const Tensor& out, const Tensor& x, F f, int64_t min_work = kParallelCheap) {
  for_each_run<2>(
      {&out, &x},
      [&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
        R* o = reinterpret_cast<R*>(p[0]);
        const A* a = reinterpret_cast<const A*>(p[1]);
        if (s[0] == 1 && s[1] == 1) {
          for (int64_t i = 0; i < n; ++i) o[i] = f(a[i]);
        } else if (s[0] == 1 && s[1] == 0) {
          const R v = f(*a);
          for (int64_t i = 0; i < n; ++i) o[i] = v;
        } else {
          for (int64_t i = 0; i < n; ++i) o[i * s[0]] = f(a[i * s[1]]);
        }
      },
      min_work);
}

// A float/double function through the vector loops, for every layout: strided runs go through a
// contiguous buffer, so that a value's result never depends on where it sits.
template <typename T>
void unary_vec(const Tensor& out, const Tensor& x, simd::Unary op, T p0 = T(0), T p1 = T(0)) {
  const simd::Loops<T>& vec = simd::table().loops<T>();
  for_each_run<2>(
      {&out, &x},
      [&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
        T* o = reinterpret_cast<T*>(p[0]);
        const T* a = reinterpret_cast<const T*>(p[1]);
        if (s[0] == 1 && s[1] == 1) return vec.unary(op, o, a, n, p0, p1);
        constexpr int64_t kBuf = 256;
        T buf[kBuf];
        for (int64_t i0 = 0; i0 < n; i0 += kBuf) {
          const int64_t m = std::min(kBuf, n - i0);
          for (int64_t i = 0; i < m; ++i) buf[i] = a[(i0 + i) * s[1]];
          vec.unary(op, buf, buf, m, p0, p1);
          for (int64_t i = 0; i < m; ++i) o[(i0 + i) * s[0]] = buf[i];
        }
      },
      kParallelTranscendental);
}

template <typename T>
bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>)
    return std::isnan(v);
  else
    return false;
}

template <typename T>
T int_pow(T base, T exp) {
  if (exp < 0) return base == 1 ? T(1) : T(0);  // the op layer rejects negative integer powers
  T result = 1;
  while (exp) {
    if (exp & 1) result *= base;
    base *= base;
    exp >>= 1;
  }
  return result;
}

template <typename T>
void binary_typed(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha) {
  if constexpr (kSimdType<T>) {
    const bool unit = alpha.to<double>() == 1.0;
    const T al = alpha.to<T>();
    switch (op) {
      case BinaryOp::Add:
        if (unit)
          return binary_vec<T>(
              out, a, b, [](T x, T y) { return x + y; }, simd::Binary::Add);
        return binary_vec<T>(
            out, a, b, [al](T x, T y) { return x + al * y; }, simd::Binary::AddScaled, al);
      case BinaryOp::Sub:  // x - al * y is x + (-al) * y to the bit
        if (unit)
          return binary_vec<T>(
              out, a, b, [](T x, T y) { return x - y; }, simd::Binary::Sub);
        return binary_vec<T>(
            out, a, b, [al](T x, T y) { return x - al * y; }, simd::Binary::AddScaled, -al);
      case BinaryOp::Mul:
        return binary_vec<T>(
            out, a, b, [](T x, T y) { return x * y; }, simd::Binary::Mul);
      case BinaryOp::Div:
        return binary_vec<T>(
            out, a, b, [](T x, T y) { return x / y; }, simd::Binary::Div);
      case BinaryOp::Maximum:
        return binary_vec<T>(
            out, a, b, [](T x, T y) { return std::isnan(x)   ? x
                                             : std::isnan(y) ? y
                                                             : (x > y ? x : y); },
            simd::Binary::Max);
      case BinaryOp::Minimum:
        return binary_vec<T>(
            out, a, b, [](T x, T y) { return std::isnan(x)   ? x
                                             : std::isnan(y) ? y
                                                             : (x < y ? x : y); },
            simd::Binary::Min);
      default:
        break;
    }
  }
  switch (op) {
    case BinaryOp::Add:
      if constexpr (std::is_same_v<T, bool>)
        return binary_loop<T, T, T>(out, a, b, [](T x, T y) { return x || y; });
      else if (alpha.to<double>() == 1.0)
        return binary_loop<T, T, T>(out, a, b, [](T x, T y) { return T(x + y); });
      else {
        const T al = alpha.to<T>();
        return binary_loop<T, T, T>(out, a, b, [al](T x, T y) { return T(x + al * y); });
      }
    case BinaryOp::Sub:
      if constexpr (std::is_same_v<T, bool>)
        break;
      else if (alpha.to<double>() == 1.0)
        return binary_loop<T, T, T>(out, a, b, [](T x, T y) { return T(x - y); });
      else {
        const T al = alpha.to<T>();
        return binary_loop<T, T, T>(out, a, b, [al](T x, T y) { return T(x - al * y); });
      }
    case BinaryOp::Mul:
      if constexpr (std::is_same_v<T, bool>)
        return binary_loop<T, T, T>(out, a, b, [](T x, T y) { return x && y; });
      else
        return binary_loop<T, T, T>(out, a, b, [](T x, T y) { return T(x * y); });
    case BinaryOp::Div:
      if constexpr (std::is_floating_point_v<T>)
        return binary_loop<T, T, T>(out, a, b, [](T x, T y) { return x / y; });
      else if constexpr (!std::is_same_v<T, bool>)
        return binary_loop<T, T, T>(out, a, b, [](T x, T y) { return y == 0 ? T(0) : T(x / y); });
      break;
    case BinaryOp::Pow:
      if constexpr (std::is_floating_point_v<T>) {
        return binary_loop<T, T, T>(
            out, a, b,
            [](T x, T y) {
              if (y == T(2)) return x * x;
              return std::pow(x, y);
            },
            kParallelTranscendental);
      } else if constexpr (!std::is_same_v<T, bool>) {
        return binary_loop<T, T, T>(out, a, b, [](T x, T y) { return int_pow(x, y); });
      }
      break;
    case BinaryOp::Maximum:
      return binary_loop<T, T, T>(out, a, b, [](T x, T y) {
        return is_nan(x) ? x : is_nan(y) ? y : (x > y ? x : y);
      });
    case BinaryOp::Minimum:
      return binary_loop<T, T, T>(out, a, b, [](T x, T y) {
        return is_nan(x) ? x : is_nan(y) ? y : (x < y ? x : y);
      });
    case BinaryOp::Eq:
      return binary_loop<bool, T, T>(out, a, b, [](T x, T y) { return x == y; });
    case BinaryOp::Ne:
      return binary_loop<bool, T, T>(out, a, b, [](T x, T y) { return x != y; });
    case BinaryOp::Lt:
      return binary_loop<bool, T, T>(out, a, b, [](T x, T y) { return x < y; });
    case BinaryOp::Le:
      return binary_loop<bool, T, T>(out, a, b, [](T x, T y) { return x <= y; });
    case BinaryOp::Gt:
      return binary_loop<bool, T, T>(out, a, b, [](T x, T y) { return x > y; });
    case BinaryOp::Ge:
      return binary_loop<bool, T, T>(out, a, b, [](T x, T y) { return x >= y; });
    case BinaryOp::LogicalAnd:
      return binary_loop<bool, T, T>(out, a, b, [](T x, T y) { return x != T(0) && y != T(0); });
    case BinaryOp::LogicalOr:
      return binary_loop<bool, T, T>(out, a, b, [](T x, T y) { return x != T(0) || y != T(0); });
    case BinaryOp::LogicalXor:
      return binary_loop<bool, T, T>(out, a, b, [](T x, T y) { return (x != T(0)) != (y != T(0)); });
    case BinaryOp::ReluBackward:  // both values loaded first, so the select vectorises
      if constexpr (!std::is_same_v<T, bool>)
        return binary_loop<T, T, T>(out, a, b, [](T g, T y) { return y <= T(0) ? T(0) : g; });
      break;
  }
  fail("[binary kernel] op {} is not defined for dtype {}", static_cast<int>(op), dtype_name(dtype_of_v<T>));
}

template <typename T>
T sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
}

template <typename T>
void unary_float(UnaryOp op, const Tensor& out, const Tensor& x, double p0, double p1) {
  constexpr T kInvSqrt2 = T(0.7071067811865476);
  const bool vec = simd::table().loops<T>().unary != nullptr;
  // Functions the vector loops have, with their scalar form for a build without them.
  auto either = [&](simd::Unary v, auto f) {
    if (vec) return unary_vec<T>(out, x, v, T(p0), T(p1));
    unary_loop<T, T>(out, x, f, kParallelTranscendental);
  };
  switch (op) {
    case UnaryOp::Exp:
      return either(simd::Unary::Exp, [](T v) { return std::exp(v); });
    case UnaryOp::Log:
      return either(simd::Unary::Log, [](T v) { return std::log(v); });
    case UnaryOp::Log1p:
      return either(simd::Unary::Log1p, [](T v) { return std::log1p(v); });
    case UnaryOp::Sqrt:
      return either(simd::Unary::Sqrt, [](T v) { return std::sqrt(v); });
    case UnaryOp::Rsqrt:
      return either(simd::Unary::Rsqrt, [](T v) { return T(1) / std::sqrt(v); });
    case UnaryOp::Tanh:
      return either(simd::Unary::Tanh, [](T v) { return std::tanh(v); });
    case UnaryOp::Sigmoid:
      return either(simd::Unary::Sigmoid, [](T v) { return sigmoid(v); });
    case UnaryOp::Silu:
      return either(simd::Unary::Silu, [](T v) { return v * sigmoid(v); });
    case UnaryOp::GeluTanh:
      return either(simd::Unary::GeluTanh, [](T v) {
        return T(0.5) * v * (T(1) + std::tanh(T(0.7978845608028654) * (v + T(0.044715) * v * v * v)));
      });
    case UnaryOp::Softplus: {
      const T beta = T(p0), threshold = T(p1);
      return either(simd::Unary::Softplus,
                    [=](T v) { return v * beta > threshold ? v : std::log1p(std::exp(v * beta)) / beta; });
    }
    case UnaryOp::LeakyRelu: {
      const T slope = T(p0);
      return either(simd::Unary::LeakyRelu, [=](T v) { return v > T(0) ? v : v * slope; });
    }
    case UnaryOp::Relu:
      return either(simd::Unary::Relu, [](T v) { return std::isnan(v) ? v : (v > T(0) ? v : T(0)); });
    // Scalar std:: functions (no vector form in Highway 1.0).
    case UnaryOp::Sin:
      return unary_loop<T, T>(
          out, x, [](T v) { return std::sin(v); }, kParallelTranscendental);
    case UnaryOp::Cos:
      return unary_loop<T, T>(
          out, x, [](T v) { return std::cos(v); }, kParallelTranscendental);
    case UnaryOp::Erf:
      return unary_loop<T, T>(
          out, x, [](T v) { return std::erf(v); }, kParallelTranscendental);
    case UnaryOp::GeluErf:
      return unary_loop<T, T>(
          out, x, [=](T v) { return T(0.5) * v * (T(1) + std::erf(v * kInvSqrt2)); },
          kParallelTranscendental);
    default:
      break;
  }
  fail("[unary kernel] op {} is not defined for dtype {}", static_cast<int>(op), dtype_name(dtype_of_v<T>));
}

void unary(UnaryOp op, const Tensor& out, const Tensor& x, double p0, double p1) {
  if (op == UnaryOp::LogicalNot) {
    return dispatch_all(x.dtype(), "logical_not",
                        [&]<typename T>() { unary_loop<bool, T>(out, x, [](T v) { return v == T(0); }); });
  }
  const bool float_relu = op == UnaryOp::Relu && (x.dtype() == kFloat32 || x.dtype() == kFloat64);
  if (op == UnaryOp::Neg || op == UnaryOp::Abs || op == UnaryOp::Sign ||
      (op == UnaryOp::Relu && !float_relu)) {
    return dispatch_numeric(x.dtype(), "unary", [&]<typename T>() {
      switch (op) {
        case UnaryOp::Neg:
          return unary_loop<T, T>(out, x, [](T v) { return T(-v); });
        case UnaryOp::Abs:
          return unary_loop<T, T>(out, x, [](T v) { return v < T(0) ? T(-v) : v; });
        case UnaryOp::Sign:
          return unary_loop<T, T>(out, x, [](T v) { return is_nan(v) ? v : T((T(0) < v) - (v < T(0))); });
        default:
          return unary_loop<T, T>(out, x, [](T v) { return is_nan(v) ? v : (v > T(0) ? v : T(0)); });
      }
    });
  }
  dispatch_float(x.dtype(), "unary", [&]<typename T>() { unary_float<T>(op, out, x, p0, p1); });
}

void binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha) {
  dispatch_all(a.dtype(), "binary", [&]<typename T>() { binary_typed<T>(op, out, a, b, alpha); });
}

// o[i] = c[i] ? x[i] : y[i * y_stride] over contiguous o, c, x (y contiguous or one value, as in
// relu's and masking's gradients). For 4- and 8-byte types the choice is a bit mask, which GCC
// vectorises; a ternary on loaded values stays a branch per element.
template <typename T>
void select_run(T* o, const bool* c, const T* x, const T* y, int64_t y_stride, int64_t n) {
  if constexpr (sizeof(T) == 4 || sizeof(T) == 8) {
    using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
    const auto* flags = reinterpret_cast<const uint8_t*>(c);
    auto run = [&](auto other_at) {
      for (int64_t i = 0; i < n; ++i) {
        Bits a;
        std::memcpy(&a, x + i, sizeof(T));
        const Bits b = other_at(i);
        const Bits mask = Bits{0} - static_cast<Bits>(flags[i]);
        const Bits r = (a & mask) | (b & ~mask);
        std::memcpy(o + i, &r, sizeof(T));
      }
    };
    if (y_stride == 0) {
      Bits other;
      std::memcpy(&other, y, sizeof(T));
      run([other](int64_t) { return other; });
    } else {
      run([y](int64_t i) {
        Bits b;
        std::memcpy(&b, y + i, sizeof(T));
        return b;
      });
    }
  } else {
    for (int64_t i = 0; i < n; ++i) o[i] = c[i] ? x[i] : y[i * y_stride];
  }
}

void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) {
  dispatch_storage(out.dtype(), "where", [&]<typename T>() {
    for_each_run<4>(
        {&out, &cond, &a, &b},
        [](const std::array<char*, 4>& p, const std::array<int64_t, 4>& s, int64_t n) {
          T* o = reinterpret_cast<T*>(p[0]);
          const bool* c = reinterpret_cast<const bool*>(p[1]);
          const T* x = reinterpret_cast<const T*>(p[2]);
          const T* y = reinterpret_cast<const T*>(p[3]);
          if (s[0] == 1 && s[1] == 1 && s[2] == 1 && (s[3] == 1 || s[3] == 0))
            return select_run(o, c, x, y, s[3], n);
          for (int64_t i = 0; i < n; ++i) o[i * s[0]] = c[i * s[1]] ? x[i * s[2]] : y[i * s[3]];
        },
        kParallelCheap);
  });
}

void clamp(const Tensor& out, const Tensor& x, const Scalar* lo, const Scalar* hi) {
  dispatch_numeric(x.dtype(), "clamp", [&]<typename T>() {
    const T low = lo ? lo->to<T>() : std::numeric_limits<T>::lowest();
    const T high = hi ? hi->to<T>() : std::numeric_limits<T>::max();
    unary_loop<T, T>(out, x, [=](T v) {
      if (is_nan(v)) return v;
      return v < low ? low : (v > high ? high : v);
    });
  });
}

void copy(const Tensor& dst, const Tensor& src) {
  dispatch_storage(dst.dtype(), "copy", [&]<typename D>() {
    dispatch_storage(src.dtype(), "copy", [&]<typename S>() {
      unary_loop<D, S>(dst, src, [](S v) {
        if constexpr (std::is_same_v<D, S>)
          return v;
        else if constexpr (std::is_same_v<D, bool> &&
                           (std::is_same_v<S, Half> || std::is_same_v<S, BFloat16>))
          return static_cast<float>(v) != 0.0f;
        else if constexpr (std::is_same_v<D, bool>)
          return v != S(0);
        else if constexpr (std::is_same_v<S, Half> || std::is_same_v<S, BFloat16>)
          return D(static_cast<float>(v));
        else if constexpr (std::is_same_v<D, Half> || std::is_same_v<D, BFloat16>)
          return D(static_cast<float>(v));
        else
          return static_cast<D>(v);
      });
    });
  });
}

void fill(const Tensor& dst, const Scalar& value) {
  dispatch_storage(dst.dtype(), "fill", [&]<typename T>() {
    T v;
    if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>)
      v = T(value.to<float>());
    else
      v = value.to<T>();
    for_each_run<1>(
        {&dst},
        [v](const std::array<char*, 1>& p, const std::array<int64_t, 1>& s, int64_t n) {
          T* o = reinterpret_cast<T*>(p[0]);
          for (int64_t i = 0; i < n; ++i) o[i * s[0]] = v;
        },
        kParallelCheap);
  });
}

}  // namespace

void register_elementwise(Kernels& k) {
  k.binary = &binary;
  k.unary = &unary;
  k.where = &where;
  k.clamp = &clamp;
  k.copy = &copy;
  k.fill = &fill;
}

}  // namespace strata::backend::cpu
