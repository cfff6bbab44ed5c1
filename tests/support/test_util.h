#pragma once
// Shared helpers for strata's tests.
#include <gtest/gtest.h>
#include <strata/strata.h>
#include <strata/testing/gradcheck.h>

#include <functional>
#include <string>

namespace strata::test {

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
  return base.permute(perm).detach().requires_grad_();
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
