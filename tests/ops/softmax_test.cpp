// logsumexp, softmax and log_softmax: values against PyTorch 1.13, stability for logits of
// magnitude 1e4 and for -inf, dtype rules, gradients and errors.
#include <cmath>
#include <limits>

#include "support/test_util.h"

using namespace strata;
using strata::test::empty_leaf;
using strata::test::expect_error;
using strata::test::expect_values;
using strata::test::kInf;
using strata::test::leaf;
using strata::test::noncontiguous_leaf;

namespace {
using Inputs = std::vector<Tensor>;

void expect_finite(const Tensor& t) {
  for (double v : t.to(kFloat64).to_vector<double>()) EXPECT_TRUE(std::isfinite(v)) << t;
}
Tensor sample() { return tensor({{1.0, 2.0, 4.0}, {-3.0, 0.5, 8.0}}, {.dtype = kFloat64}); }
// Logits of magnitude 1e4, as float32.
Tensor big() { return tensor({{1e4, 1e4 - 1, -1e4}, {-1e4, -1e4 + 2, -1e4}}); }
}  // namespace

// ---- logsumexp ----

TEST(Logsumexp, ValuesMatchPyTorch) {
  expect_values(logsumexp(sample(), {1}), {4.169846019556, 8.000569623804});
  expect_values(logsumexp(sample(), {0, 1}), {8.022031571845});
  expect_values(sample().logsumexp({}), {8.022031571845});  // no dims: all
  EXPECT_EQ(logsumexp(sample(), {1}, true).shape(), Shape({2, 1}));
  expect_values(logsumexp(big(), {1}), {10000.3134765625, -9997.7607421875}, 1e-3);
  // Integers and bools promote to the default float dtype (PyTorch: 2.3133 and 1.3133).
  const Tensor ints = logsumexp(tensor({1, 2}), {0});
  EXPECT_EQ(ints.dtype(), kFloat32);
  expect_values(ints, {2.31326169}, 1e-6);
  expect_values(logsumexp(tensor({true, false}), {0}), {1.31326169}, 1e-6);
  // Infinite groups stay finite-or-infinite, never NaN.
  expect_values(logsumexp(tensor({{-kInf, -kInf}, {kInf, 1.0}}), {1}), {-kInf, kInf});
  expect_values(logsumexp(zeros({0}), {0}), {-kInf});
  expect_values(logsumexp(zeros({0, 2}), {0}), {-kInf, -kInf});
  expect_values(logsumexp(tensor(3.0), {0}), {3});
}

TEST(Logsumexp, Gradients) {
  auto dims = [](const Inputs& x) { return logsumexp(x[0], {0, 2}, true); };
  auto dim = [](const Inputs& x) { return logsumexp(x[0], {1}); };
  EXPECT_GRADCHECK(dim, {leaf({3, 4})});
  EXPECT_GRADCHECK(dims, {noncontiguous_leaf({2, 3, 4})});
  EXPECT_GRADCHECK([](const Inputs& x) { return logsumexp(x[0], {0}); }, {leaf({})});
  EXPECT_GRADCHECK(dim, {empty_leaf({0, 3})});
  EXPECT_GRADCHECK([](const Inputs& x) { return logsumexp(x[0] * 1e4, {1}); }, {leaf({2, 3})});
  EXPECT_GRADGRADCHECK(dim, {leaf({2, 3})});
  Tensor b = big().requires_grad_();
  logsumexp(b, {1}).sum().backward();
  expect_finite(b.grad());
  // PyTorch's float32 values: out is rounded to float32's spacing near 1e4 (~1e-3) and exp(x - out)
  // inherits that error, in PyTorch as here.
  expect_values(b.grad(), {0.7309014797, 0.2688836455, 0, 0.1065375507, 0.7872118950, 0.1065375507}, 1e-6);
}

TEST(Logsumexp, Errors) {
  expect_error([] { logsumexp(zeros({2, 3}), {2}); }, "[logsumexp] dim 2 is out of range");
  expect_error([] { logsumexp(zeros({2, 3}), {0, -2}); }, "[logsumexp] dim 0 appears twice");
}

// ---- softmax / log_softmax ----

TEST(Softmax, ValuesMatchPyTorch) {
  expect_values(softmax(sample(), 1), {4.201006613407e-02, 1.141951993846e-01, 8.437947344813e-01,
                                       1.669218981300e-05, 5.527694098377e-04, 9.994305384003e-01});
  expect_values(sample().log_softmax(0), {-0.018149927918, -0.201413277983, -4.018149927918, -4.018149927918,
                                          -1.701413277983, -0.018149927918});
  expect_values(sample().softmax(-1), softmax(sample(), 1).to_vector<double>());
  expect_values(softmax(sample().t(), 0), softmax(sample(), 1).t().contiguous().to_vector<double>());
  EXPECT_EQ(softmax(big(), 1).dtype(), kFloat32);
  expect_values(softmax(big(), 1),
                {0.731058597565, 0.268941432238, 0, 0.106506973505, 0.786985993385, 0.106506973505}, 1e-6);
  expect_values(log_softmax(big(), 1),
                {-3.132616579533e-01, -1.313261628151, -2.000031250000e+04, -2.239544868469,
                 -2.395448386669e-01, -2.239544868469},
                1e-3);
  expect_values(softmax(tensor(3.0), 0), {1});
  expect_values(log_softmax(tensor(3.0), 0), {0});
  EXPECT_EQ(softmax(zeros({0, 3}), 1).shape(), Shape({0, 3}));
  // -inf logits get probability 0; an all -inf row is NaN, as PyTorch.
  expect_values(softmax(tensor({-kInf, 0.0}), 0), {0, 1});
  expect_values(log_softmax(tensor({-kInf, 0.0}), 0), {-kInf, 0});
  EXPECT_TRUE(std::isnan(softmax(tensor({-kInf, -kInf}), 0).to_vector<double>()[0]));
}

TEST(Softmax, Gradients) {
  for (bool log_space : {false, true}) {
    SCOPED_TRACE(log_space ? "log_softmax" : "softmax");
    auto f = [log_space](int64_t dim) {
      return [log_space, dim](const Inputs& x) {
        return log_space ? log_softmax(x[0], dim) : softmax(x[0], dim);
      };
    };
    EXPECT_GRADCHECK(f(1), {leaf({3, 4})});
    EXPECT_GRADCHECK(f(0), {noncontiguous_leaf({3, 4})});
    EXPECT_GRADCHECK(f(-2), {noncontiguous_leaf({2, 3, 4}, 1)});
    EXPECT_GRADCHECK(f(0), {leaf({})});
    EXPECT_GRADCHECK(f(1), {empty_leaf({0, 3})});
    EXPECT_GRADGRADCHECK(f(1), {leaf({2, 3})});
    // Large logits: finite values and gradients.
    Tensor b = big().requires_grad_();
    Tensor y = log_space ? log_softmax(b, 1) : softmax(b, 1);
    expect_finite(y);
    (y * tensor({{1.0f, 2.0f, 3.0f}, {-1.0f, 0.5f, 2.0f}})).sum().backward();
    expect_finite(b.grad());
    EXPECT_GRADCHECK(
        [log_space](const Inputs& x) {
          return log_space ? log_softmax(x[0] * 1e4, 1) : softmax(x[0] * 1e4, 1);
        },
        {leaf({2, 3}, 9)});
  }
}

TEST(Softmax, GradientValuesMatchPyTorch) {
  // PyTorch: softmax([1e4, -1e4, 0])[0] has gradient [0, -0, -0].
  Tensor x = tensor({1e4, -1e4, 0.0}, {.dtype = kFloat64}).requires_grad_();
  softmax(x, 0)[0].backward();
  expect_values(x.grad(), {0, 0, 0});
}

TEST(Softmax, Errors) {
  expect_error(
      [] {
        softmax(tensor({1, 2}), 0);
      },
      "[softmax] needs a floating-point tensor, got [2] int64 cpu");
  expect_error([] { log_softmax(tensor({1, 2}), 0); }, "[log_softmax] needs a floating-point tensor");
  expect_error([] { softmax(zeros({2, 3}), 2); }, "[softmax] dim 2 is out of range for a tensor with 2 dims");
  expect_error([] { log_softmax(zeros({2}), -2); }, "[log_softmax] dim -2 is out of range");
}
