// The vectorised CPU kernels on every instruction set this CPU runs (src/backend/cpu/simd.h): each
// target against scalar references on odd lengths, broadcast and non-contiguous operands, NaN,
// infinities and signed zeros. Arithmetic must match the scalar expression to the bit, on every
// target; exp/log/tanh and friends within a few ulp of the exact value; sums to the bit across
// targets (their order of additions is fixed by the shape alone).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "backend/cpu/simd.h"
#include "strata/factories.h"
#include "strata/ops.h"
#include "support/test_util.h"

namespace strata {
namespace {

namespace simd = backend::cpu::simd;
using test::expect_values;
using test::kInf;

const std::vector<int64_t> kLengths = {0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 1003};

// Runs body once per supported target, with that target forced, then restores the default.
void for_each_target(const std::function<void(const std::string&)>& body) {
  const auto targets = simd::supported_targets();
  ASSERT_FALSE(targets.empty());
  for (const simd::Target& t : targets) {
    simd::use_target(t.id);
    SCOPED_TRACE(std::string("target ") + t.name);
    body(t.name);
  }
  simd::use_target(0);
}

// Random values with specials mixed in: NaN, +-inf, +-0, huge and tiny magnitudes.
template <typename T>
std::vector<T> mixed_values(int64_t n, uint64_t seed, double scale = 3.0) {
  Generator g(seed);
  const auto r = randn({n}, {.dtype = kFloat64}, &g).template to_vector<double>();
  const T specials[] = {std::numeric_limits<T>::quiet_NaN(),
                        std::numeric_limits<T>::infinity(),
                        -std::numeric_limits<T>::infinity(),
                        T(0),
                        -T(0),
                        T(1e30),
                        T(-1e30),
                        T(1e-30)};
  std::vector<T> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = i % 11 == 5 ? specials[(i / 11) % 8] : static_cast<T>(r[i] * scale);
  return v;
}

template <typename T>
Tensor tensor_of(const std::vector<T>& v, const Shape& shape) {
  return from_vector(v, shape, {.dtype = dtype_of_v<T>});
}

template <typename T>
std::vector<T> contents(const Tensor& t) {
  return t.contiguous().template to_vector<T>();
}

// Bitwise equality, NaN payloads included.
template <typename T>
void expect_same_bits(const std::vector<T>& got, const std::vector<T>& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i]) && std::isnan(got[i])) continue;
    EXPECT_EQ(0, std::memcmp(&got[i], &want[i], sizeof(T)))
        << what << " at " << i << ": got " << got[i] << ", want " << want[i];
  }
}

// |got - want| within `ulps` units in the last place of max(|want|, scale); NaN and infinities
// must match exactly.
template <typename T>
void expect_ulps(const std::vector<T>& got, const std::vector<long double>& want, double ulps,
                 const std::vector<T>& scale, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    const T w = static_cast<T>(want[i]);
    if (std::isnan(w) || std::isinf(w)) {
      EXPECT_TRUE(std::isnan(w) ? std::isnan(got[i]) : got[i] == w)
          << what << " at " << i << ": got " << got[i] << ", want " << w;
      continue;
    }
    const long double mag =
        std::max<long double>(std::fabs(want[i]), scale.empty() ? 0 : std::fabs(scale[i]));
    // Results below the smallest normal number may flush to 0 (sigmoid(-100) in float: exp(100) overflows).
    const long double tol = ulps * std::numeric_limits<T>::epsilon() * mag + std::numeric_limits<T>::min();
    EXPECT_LE(std::fabs(static_cast<long double>(got[i]) - want[i]), tol)
        << what << " at " << i << ": got " << got[i] << ", want " << w;
  }
}

TEST(CpuKernelsIsa, TargetsAreListedAndForced) {
  const auto targets = simd::supported_targets();
  ASSERT_FALSE(targets.empty());
  std::string names;
  for (const simd::Target& t : targets) names += std::string(names.empty() ? "" : ", ") + t.name;
  std::printf("[          ] instruction sets tested here: %s\n", names.c_str());  // what CI covered
  EXPECT_STREQ(simd::table().target, targets.front().name);
  for_each_target([](const std::string& name) { EXPECT_EQ(name, simd::table().target); });
  EXPECT_STREQ(simd::table().target, targets.front().name);
}

// ---- elementwise arithmetic: the scalar expression's bits ----

template <typename T>
void check_binary_layouts() {
  struct Case {
    const char* name;
    std::function<Tensor(const Tensor&, const Tensor&)> op;
    std::function<T(T, T)> ref;
  };
  const std::vector<Case> cases = {
      {"add", [](const Tensor& a, const Tensor& b) { return a + b; }, [](T x, T y) { return x + y; }},
      {"sub", [](const Tensor& a, const Tensor& b) { return a - b; }, [](T x, T y) { return x - y; }},
      {"mul", [](const Tensor& a, const Tensor& b) { return a * b; }, [](T x, T y) { return x * y; }},
      {"div", [](const Tensor& a, const Tensor& b) { return a / b; }, [](T x, T y) { return x / y; }},
      {"add alpha", [](const Tensor& a, const Tensor& b) { return add(a, b, 0.3); },
       [](T x, T y) { return x + T(0.3) * y; }},
      {"sub alpha", [](const Tensor& a, const Tensor& b) { return sub(a, b, 0.3); },
       [](T x, T y) { return x - T(0.3) * y; }},
      {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); },
       [](T x, T y) { return std::isnan(x)   ? x
                             : std::isnan(y) ? y
                                             : (x > y ? x : y); }},
      {"minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); },
       [](T x, T y) { return std::isnan(x)   ? x
                             : std::isnan(y) ? y
                                             : (x < y ? x : y); }},
  };
  for (int64_t n : kLengths) {
    const auto av = mixed_values<T>(n, 1), bv = mixed_values<T>(n, 2);
    const Tensor a = tensor_of(av, {n}), b = tensor_of(bv, {n});
    const Tensor one = tensor_of(std::vector<T>{T(-1.5)}, {});
    for (const Case& c : cases) {
      const std::string what = std::string(c.name) + " n=" + std::to_string(n);
      std::vector<T> same(av.size()), left(av.size()), right(av.size());
      for (size_t i = 0; i < av.size(); ++i) {
        same[i] = c.ref(av[i], bv[i]);
        left[i] = c.ref(T(-1.5), bv[i]);
        right[i] = c.ref(av[i], T(-1.5));
      }
      expect_same_bits(contents<T>(c.op(a, b)), same, what + " same shape");
      expect_same_bits(contents<T>(c.op(one, b)), left, what + " scalar left");
      expect_same_bits(contents<T>(c.op(a, one)), right, what + " scalar right");
      // The second half of a doubled buffer: a run that starts at an odd offset.
      const Tensor shifted = cat({a, a}).narrow(0, n, n);
      expect_same_bits(contents<T>(c.op(shifted, b)), same, what + " offset");
    }
  }
  // Row broadcast ([N, C] + [C]), column broadcast ([N, C] + [N, 1]) and a transposed operand.
  for (int64_t c : {int64_t{1}, int64_t{9}, int64_t{33}}) {
    const int64_t r = 7;
    const auto xv = mixed_values<T>(r * c, 3), rowv = mixed_values<T>(c, 4), colv = mixed_values<T>(r, 5);
    const Tensor x = tensor_of(xv, {r, c});
    std::vector<T> want_row(xv.size()), want_col(xv.size()), want_t(xv.size());
    const auto xt = contents<T>(x.t());  // [c, r]
    for (int64_t i = 0; i < r; ++i)
      for (int64_t j = 0; j < c; ++j) {
        want_row[i * c + j] = xv[i * c + j] * rowv[j];
        want_col[i * c + j] = xv[i * c + j] - colv[i];
      }
    for (int64_t i = 0; i < c; ++i)
      for (int64_t j = 0; j < r; ++j) want_t[i * r + j] = xt[i * r + j] + xv[j * c + i];
    expect_same_bits(contents<T>(x * tensor_of(rowv, {c})), want_row, "row broadcast");
    expect_same_bits(contents<T>(x - tensor_of(colv, {r, 1})), want_col, "column broadcast");
    expect_same_bits(contents<T>(x.t() + x.t().contiguous()), want_t, "transposed");
  }
}

TEST(CpuKernelsIsa, BinaryArithmeticMatchesScalarBits) {
  for_each_target([](const std::string&) {
    check_binary_layouts<float>();
    check_binary_layouts<double>();
  });
}

template <typename T>
void check_in_place() {
  for (int64_t n : kLengths) {
    const auto av = mixed_values<T>(n, 6), bv = mixed_values<T>(n, 7);
    Tensor a = tensor_of(av, {n});
    const Tensor b = tensor_of(bv, {n});
    a.add_(b, -0.01).mul_(0.9).div_(b);
    std::vector<T> want(av.size());
    for (size_t i = 0; i < av.size(); ++i) want[i] = ((av[i] - T(0.01) * bv[i]) * T(0.9)) / bv[i];
    expect_same_bits(contents<T>(a), want, "in place n=" + std::to_string(n));
  }
}

TEST(CpuKernelsIsa, InPlaceUpdatesMatchScalarBits) {
  for_each_target([](const std::string&) {
    check_in_place<float>();
    check_in_place<double>();
  });
}

// ---- unary functions: within a few ulp of the exact value; special values exact ----

template <typename T>
struct UnaryCase {
  const char* name;
  std::function<Tensor(const Tensor&)> op;
  std::function<long double(long double)> exact;  // the function in long double
  double ulps;
  bool scaled;  // tolerance relative to max(|f(x)|, |x|): formulas that cancel (silu, gelu)
};

template <typename T>
std::vector<UnaryCase<T>> unary_cases() {
  using L = long double;
  auto sigmoid_l = [](L v) { return 1 / (1 + std::exp(-v)); };
  return {
      {"exp", [](const Tensor& x) { return exp(x); }, [](L v) { return std::exp(v); }, 2, false},
      {"log", [](const Tensor& x) { return log(x); }, [](L v) { return std::log(v); }, 2, false},
      {"log1p", [](const Tensor& x) { return log1p(x); }, [](L v) { return std::log1p(v); }, 4, false},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }, [](L v) { return std::sqrt(v); }, 0.5, false},
      {"rsqrt", [](const Tensor& x) { return rsqrt(x); }, [](L v) { return 1 / std::sqrt(v); }, 1.5, false},
      {"tanh", [](const Tensor& x) { return tanh(x); }, [](L v) { return std::tanh(v); }, 4, false},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }, sigmoid_l, 4, false},
      {"silu", [](const Tensor& x) { return silu(x); }, [=](L v) { return v * sigmoid_l(v); }, 4, true},
      {"gelu tanh", [](const Tensor& x) { return gelu(x, "tanh"); },
       [](L v) { return 0.5L * v * (1 + std::tanh(0.7978845608028654L * (v + 0.044715L * v * v * v))); }, 8,
       true},
      {"softplus", [](const Tensor& x) { return softplus(x, 1.5, 20.0); },
       [](L v) { return v * 1.5L > 20 ? v : std::log1p(std::exp(v * 1.5L)) / 1.5L; }, 4, true},
      {"relu", [](const Tensor& x) { return relu(x); },
       [](L v) { return std::isnan(v) ? v : (v > 0 ? v : 0); }, 0, false},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.01); },
       [](L v) { return v > 0 ? v : v * static_cast<L>(T(0.01)); }, 0.5, false},
  };
}

template <typename T>
void check_unary() {
  for (const UnaryCase<T>& c : unary_cases<T>()) {
    for (int64_t n : kLengths) {
      auto xv = mixed_values<T>(n, 8, 4.0);
      for (size_t i = 0; i < xv.size(); i += 13)
        xv[i] = T(100) * xv[(i * 7) % xv.size()];  // overflow, underflow
      std::vector<long double> want(xv.size());
      for (size_t i = 0; i < xv.size(); ++i) want[i] = c.exact(xv[i]);
      const Tensor x = tensor_of(xv, {n});
      const auto got = contents<T>(c.op(x));
      expect_ulps(got, want, c.ulps, c.scaled ? xv : std::vector<T>{},
                  std::string(c.name) + " n=" + std::to_string(n));
      // The same values strided and broadcast give the same bits as contiguous ones.
      if (n > 1) {
        const Tensor strided = cat({x, x}).view({2, n}).t().select(1, 1);
        expect_same_bits(contents<T>(c.op(strided)), got, std::string(c.name) + " strided");
        const Tensor bcast = x.narrow(0, 1, 1).expand({n});
        expect_same_bits(contents<T>(c.op(bcast)), std::vector<T>(xv.size(), got[1]),
                         std::string(c.name) + " bcast");
      }
    }
  }
}

TEST(CpuKernelsIsa, UnaryFunctionsAreAccurateAndLayoutIndependent) {
  for_each_target([](const std::string&) {
    check_unary<float>();
    check_unary<double>();
  });
}

template <typename T>
void check_unary_specials() {
  const T inf = std::numeric_limits<T>::infinity(), nan = std::numeric_limits<T>::quiet_NaN();
  const Tensor x = tensor_of(std::vector<T>{nan, inf, -inf, T(0), -T(0), T(1000), T(-1000), T(-1)}, {8});
  auto got = [&](const Tensor& t) { return contents<T>(t); };
  const auto e = got(exp(x));
  EXPECT_TRUE(std::isnan(e[0]));
  EXPECT_EQ(e[1], inf);
  EXPECT_EQ(e[2], T(0));
  EXPECT_EQ(e[3], T(1));
  EXPECT_EQ(e[5], inf);
  EXPECT_EQ(e[6], T(0));
  const auto l = got(log(x));
  EXPECT_TRUE(std::isnan(l[0]));
  EXPECT_EQ(l[1], inf);
  EXPECT_TRUE(std::isnan(l[2]));
  EXPECT_EQ(l[3], -inf);
  EXPECT_EQ(l[4], -inf);
  EXPECT_TRUE(std::isnan(l[7]));
  const auto l1 = got(log1p(x));
  EXPECT_EQ(l1[1], inf);
  EXPECT_EQ(l1[7], -inf);
  EXPECT_TRUE(std::isnan(l1[6]));
  const auto th = got(tanh(x));
  EXPECT_TRUE(std::isnan(th[0]));
  EXPECT_EQ(th[1], T(1));
  EXPECT_EQ(th[2], T(-1));
  EXPECT_TRUE(std::signbit(th[4]));
  const auto sg = got(sigmoid(x));
  EXPECT_TRUE(std::isnan(sg[0]));
  EXPECT_EQ(sg[1], T(1));
  EXPECT_EQ(sg[2], T(0));
  EXPECT_EQ(sg[6], T(0));
  const auto r = got(relu(x));
  EXPECT_TRUE(std::isnan(r[0]));
  EXPECT_FALSE(std::signbit(r[4]));          // relu(-0) = +0, as the scalar kernel
  EXPECT_TRUE(std::isnan(got(silu(x))[2]));  // -inf * 0, as the scalar kernel
}

TEST(CpuKernelsIsa, UnarySpecialValues) {
  for_each_target([](const std::string&) {
    check_unary_specials<float>();
    check_unary_specials<double>();
  });
}

// ---- reductions ----

// A sum accumulated in double and rounded to T: half an ulp of T, plus double rounding errors
// that grow with the magnitudes summed (16 interleaved partial sums of ~n/16 terms each).
template <typename T>
long double sum_tolerance(long double exact, long double magnitude) {
  return std::numeric_limits<T>::epsilon() * std::fabs(exact) +
         64 * std::numeric_limits<double>::epsilon() * magnitude + std::numeric_limits<T>::min();
}

template <typename T>
void check_reductions(std::vector<std::vector<T>>& results) {
  for (int64_t n : kLengths) {
    auto xv = mixed_values<T>(n, 9);
    for (T& v : xv)
      if (!std::isfinite(v) || std::fabs(v) > T(1e20)) v = T(0.5);  // finite, moderate sums
    const Tensor x = tensor_of(xv, {n});
    long double exact = 0, magnitude = 0;
    T mx = -std::numeric_limits<T>::infinity(), mn = std::numeric_limits<T>::infinity();
    for (T v : xv) {
      exact += v;
      magnitude += std::fabs(v);
      mx = std::max(mx, v);
      mn = std::min(mn, v);
    }
    const std::string what = "n=" + std::to_string(n);
    const T s = x.sum().template item<T>();
    EXPECT_LE(std::fabs(s - exact), sum_tolerance<T>(exact, magnitude)) << what;
    if (n > 0) {
      EXPECT_EQ(x.max().template item<T>(), mx) << what;
      EXPECT_EQ(x.min().template item<T>(), mn) << what;
    }
    if (n > 0) {
      EXPECT_NEAR(x.mean().template item<T>(), static_cast<double>(exact / n),
                  4 * std::numeric_limits<T>::epsilon());
    }
    results.push_back({s, x.mean().template item<T>()});
    // NaN anywhere makes max/min/sum NaN; +-inf are their own extremes.
    if (n > 0) {
      for (int64_t at : {int64_t{0}, n / 2, n - 1}) {
        auto yv = xv;
        yv[at] = std::numeric_limits<T>::quiet_NaN();
        const Tensor y = tensor_of(yv, {n});
        EXPECT_TRUE(std::isnan(y.max().template item<T>())) << what << " NaN at " << at;
        EXPECT_TRUE(std::isnan(y.min().template item<T>())) << what << " NaN at " << at;
        EXPECT_TRUE(std::isnan(y.sum().template item<T>())) << what << " NaN at " << at;
        yv[at] = -std::numeric_limits<T>::infinity();
        EXPECT_EQ(tensor_of(yv, {n}).min().template item<T>(), yv[at]) << what;
      }
    }
  }
  // Rows ([r, c] over dim 1) and columns (over dim 0), odd sizes; non-contiguous input too.
  for (int64_t c : {int64_t{1}, int64_t{7}, int64_t{33}, int64_t{300}}) {
    const int64_t r = 19;
    auto xv = mixed_values<T>(r * c, 10);
    for (T& v : xv)
      if (!std::isfinite(v) || std::fabs(v) > T(1e20)) v = T(-0.25);
    const Tensor x = tensor_of(xv, {r, c});
    for (int64_t dim : {0, 1}) {
      // norm(x, inf) is the reduce kernel's max of |x|.
      const auto sums = contents<T>(x.sum({dim})), maxes = contents<T>(norm(x, kInf, {dim}));
      const auto t_sums = contents<T>(x.t().contiguous().sum({1 - dim}));
      for (size_t k = 0; k < sums.size(); ++k) {
        long double exact = 0, magnitude = 0;
        T best = -std::numeric_limits<T>::infinity();
        const int64_t len = dim == 0 ? r : c;
        for (int64_t i = 0; i < len; ++i) {
          const T v = dim == 0 ? xv[i * c + k] : xv[k * c + i];
          exact += v;
          magnitude += std::fabs(v);
          best = std::max(best, std::fabs(v));
        }
        EXPECT_LE(std::fabs(sums[k] - exact), sum_tolerance<T>(exact, magnitude));
        EXPECT_LE(std::fabs(t_sums[k] - exact), sum_tolerance<T>(exact, magnitude));
        EXPECT_EQ(maxes[k], best);
      }
      results.push_back(sums);
      results.push_back(contents<T>(x.mean({dim})));
      results.push_back(maxes);
    }
  }
}

TEST(CpuKernelsIsa, ReductionsAreAccurateAndTheSameBitsOnEveryTarget) {
  std::vector<std::vector<float>> first32;
  std::vector<std::vector<double>> first64;
  bool first = true;
  for_each_target([&](const std::string&) {
    std::vector<std::vector<float>> r32;
    std::vector<std::vector<double>> r64;
    check_reductions<float>(r32);
    check_reductions<double>(r64);
    if (first) {
      first32 = r32;
      first64 = r64;
      first = false;
      return;
    }
    ASSERT_EQ(r32.size(), first32.size());
    for (size_t i = 0; i < r32.size(); ++i)
      expect_same_bits(r32[i], first32[i], "float32 result " + std::to_string(i));
    for (size_t i = 0; i < r64.size(); ++i)
      expect_same_bits(r64[i], first64[i], "float64 result " + std::to_string(i));
  });
}

// ---- softmax, log_softmax, logsumexp ----

template <typename T>
void check_softmax_rows() {
  const T inf = std::numeric_limits<T>::infinity(), nan = std::numeric_limits<T>::quiet_NaN();
  const double tol = 16 * std::numeric_limits<T>::epsilon();
  for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{16}, int64_t{17}, int64_t{33}, int64_t{1003}}) {
    const int64_t rows = 6;
    auto xv = mixed_values<T>(rows * n, 11, 5.0);
    for (T& v : xv)
      if (!std::isfinite(v) || std::fabs(v) > T(1e20)) v = T(1);
    // Row 1: some -inf (they get 0); row 2 all -inf (NaN); row 3 holds +inf; row 4 holds NaN.
    for (int64_t j = 0; j < n; j += 3) xv[1 * n + j] = -inf;
    if (n > 1) xv[1 * n + 1] = T(2);
    for (int64_t j = 0; j < n; ++j) xv[2 * n + j] = -inf;
    xv[3 * n + n / 2] = inf;
    xv[4 * n + n - 1] = nan;
    const Tensor x = tensor_of(xv, {rows, n});
    for (bool log_space : {false, true}) {
      for (bool transposed : {false, true}) {
        const Tensor in = transposed ? x.t().contiguous().t() : x;  // the same values, lanes strided
        const auto got = contents<T>(log_space ? log_softmax(in, 1) : softmax(in, 1));
        const auto lse = contents<T>(logsumexp(in, {1}));
        for (int64_t i = 0; i < rows; ++i) {
          long double m = -INFINITY, s = 0;
          bool has_nan = false;
          for (int64_t j = 0; j < n; ++j) {
            m = std::max<long double>(m, xv[i * n + j]);
            has_nan = has_nan || std::isnan(xv[i * n + j]);
          }
          const long double shift = std::isinf(m) ? 0 : m;
          for (int64_t j = 0; j < n; ++j) s += std::exp(static_cast<long double>(xv[i * n + j]) - shift);
          const std::string what = std::string(log_space ? "log_softmax" : "softmax") +
                                   " n=" + std::to_string(n) + " row " + std::to_string(i) +
                                   (transposed ? " strided" : "");
          // logsumexp: -inf for all -inf, inf with inf, NaN with NaN.
          const long double want_lse = has_nan ? NAN : std::log(s) + shift;
          if (std::isnan(want_lse))
            EXPECT_TRUE(std::isnan(lse[i])) << what;
          else if (std::isinf(want_lse))
            EXPECT_EQ(lse[i], static_cast<T>(want_lse)) << what;
          else
            EXPECT_NEAR(lse[i], static_cast<double>(want_lse), tol * (std::fabs(want_lse) + 1)) << what;
          // softmax: a row with NaN, +inf or only -inf is all NaN.
          const bool all_nan = has_nan || std::isinf(m);
          for (int64_t j = 0; j < n; ++j) {
            const T v = got[i * n + j];
            if (all_nan) {
              EXPECT_TRUE(std::isnan(v)) << what;
              continue;
            }
            const long double lv = static_cast<long double>(xv[i * n + j]) - m - std::log(s);
            if (std::isinf(lv))
              EXPECT_EQ(v, log_space ? -inf : T(0)) << what;
            else if (log_space)
              EXPECT_NEAR(v, static_cast<double>(lv), tol * (std::fabs(lv) + std::fabs(m) + 1)) << what;
            else
              // x - max is rounded in T: exp's relative error grows with |x - max|.
              EXPECT_NEAR(v, static_cast<double>(std::exp(lv)),
                          tol * std::exp(lv) * (1 + std::fabs(lv) + std::fabs(m)))
                  << what;
          }
        }
      }
    }
  }
}

TEST(CpuKernelsIsa, SoftmaxAndLogsumexpRows) {
  for_each_target([](const std::string&) {
    check_softmax_rows<float>();
    check_softmax_rows<double>();
  });
}

template <typename T>
void check_softmax_backward() {
  const double tol = 64 * std::numeric_limits<T>::epsilon();
  for (int64_t n : {int64_t{1}, int64_t{9}, int64_t{33}, int64_t{200}}) {
    const auto xv = mixed_values<T>(5 * n, 12), gv = mixed_values<T>(5 * n, 13);
    auto clean = [](std::vector<T> v) {
      for (T& e : v)
        if (!std::isfinite(e) || std::fabs(e) > T(1e20)) e = T(0.5);
      return v;
    };
    for (bool log_space : {false, true}) {
      for (int64_t dim : {0, 1}) {
        const Tensor x = tensor_of(clean(xv), {5, n}).requires_grad_();
        const Tensor g = tensor_of(clean(gv), {5, n});
        const Tensor y = log_space ? log_softmax(x, dim) : softmax(x, dim);
        const Tensor got = autograd::grad({y}, {x}, {g})[0];
        NoGradGuard no_grad;
        const Tensor y64 = y.detach().to(kFloat64), g64 = g.to(kFloat64);
        const Tensor want =
            log_space ? g64 - exp(y64) * sum(g64, {dim}, true) : y64 * (g64 - sum(g64 * y64, {dim}, true));
        expect_values(got, want.contiguous().template to_vector<double>(), tol, tol);
      }
    }
  }
}

TEST(CpuKernelsIsa, SoftmaxBackwardRows) {
  for_each_target([](const std::string&) {
    check_softmax_backward<float>();
    check_softmax_backward<double>();
  });
}

}  // namespace
}  // namespace strata
