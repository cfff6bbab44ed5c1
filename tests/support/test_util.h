#pragma once
// Shared helpers for strata's tests.
#include <gtest/gtest.h>
#include <strata/strata.h>
#include <strata/testing/gradcheck.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace strata::test {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline constexpr double kInf = std::numeric_limits<double>::infinity();

/// A float64 leaf of random values that requires grad (reproducible by seed).
inline Tensor leaf(const Shape& shape, uint64_t seed = 0) {
  Generator g(seed);
  return randn(shape, {.dtype = kFloat64}, &g).requires_grad_();
}

/// A float64 leaf whose memory layout is transposed (non-contiguous), of the given final shape.
inline Tensor noncontiguous_leaf(const Shape& shape, uint64_t seed = 0) {
  Generator g(seed);
  Shape rev;
  for (size_t i = shape.size(); i-- > 0;) rev.push_back(shape[i]);
  Shape perm;
  for (size_t i = shape.size(); i-- > 0;) perm.push_back(static_cast<int64_t>(i));
  Tensor base = randn(rev, {.dtype = kFloat64}, &g);
  Tensor t = base.permute(perm).detach().requires_grad_();
  // A shape with at most one dim above 1 has no non-contiguous layout; the caller would be
  // testing the contiguous path without knowing it.
  EXPECT_FALSE(t.is_contiguous()) << "noncontiguous_leaf(" << shape << ") is contiguous";
  return t;
}

/// A float64 leaf holding the given values.
inline Tensor leaf_of(const std::vector<double>& values, const Shape& shape) {
  return from_vector(values, shape, {.dtype = kFloat64}).requires_grad_();
}

/// A float64 leaf of zeros; meant for shapes with a zero-sized dim.
inline Tensor empty_leaf(const Shape& shape) { return zeros(shape, {.dtype = kFloat64}).requires_grad_(); }

/// Whether two tensors are views of the same storage.
inline bool shares_storage(const Tensor& a, const Tensor& b) { return a.impl().storage == b.impl().storage; }

/// Compares t's values (converted to float64) with `want`: NaN must be NaN, an infinity must be
/// the same infinity, anything else within atol + rtol * |want|.
inline void expect_values(const Tensor& t, const std::vector<double>& want, double atol = 1e-12,
                          double rtol = 0.0) {
  const auto got = t.to(kFloat64).to_vector<double>();
  ASSERT_EQ(got.size(), want.size()) << t.describe();
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i]))
      EXPECT_TRUE(std::isnan(got[i])) << "at " << i << ": " << got[i];
    else if (std::isinf(want[i]))
      EXPECT_EQ(got[i], want[i]) << "at " << i;
    else
      EXPECT_NEAR(got[i], want[i], atol + rtol * std::abs(want[i])) << "at " << i;
  }
}

/// Runs fn, expecting a strata::Error whose message contains `needle`.
inline void expect_error(const std::function<void()>& fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "expected a strata::Error containing \"" << needle << "\", nothing was thrown";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
        << "message \"" << e.what() << "\" does not contain \"" << needle << "\"";
  }
}

/// expect_error for an expression: EXPECT_ERROR(mm(a, b), "[mm]").
#define EXPECT_ERROR(expr, needle) ::strata::test::expect_error([&] { (void)(expr); }, needle)

/// gradcheck with a readable failure.
#define EXPECT_GRADCHECK(fn, ...)                                 \
  do {                                                            \
    auto result_ = ::strata::testing::gradcheck(fn, __VA_ARGS__); \
    EXPECT_TRUE(result_.ok) << result_.message;                   \
  } while (0)
#define EXPECT_GRADGRADCHECK(fn, ...)                                 \
  do {                                                                \
    auto result_ = ::strata::testing::gradgradcheck(fn, __VA_ARGS__); \
    EXPECT_TRUE(result_.ok) << result_.message;                       \
  } while (0)

}  // namespace strata::test
