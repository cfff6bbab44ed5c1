// Elementwise unary ops and activations: values, dtype rules, gradients, errors.
#include <cmath>

#include "support/test_util.h"

using namespace strata;
using strata::test::expect_error;
using strata::test::expect_values;
using strata::test::leaf;
using strata::test::noncontiguous_leaf;

namespace {
using Fn = std::function<Tensor(const std::vector<Tensor>&)>;
std::vector<std::pair<std::string, Fn>> unary_ops() {
  return {
      {"neg", [](const auto& x) { return neg(x[0]); }},
      {"abs", [](const auto& x) { return abs(x[0]); }},
      {"sign", [](const auto& x) { return sign(x[0]); }},
      {"exp", [](const auto& x) { return exp(x[0]); }},
      {"log", [](const auto& x) { return log(x[0] * x[0] + 0.1); }},
      {"log1p", [](const auto& x) { return log1p(x[0] * x[0]); }},
      {"sqrt", [](const auto& x) { return sqrt(x[0] * x[0] + 0.1); }},
      {"rsqrt", [](const auto& x) { return rsqrt(x[0] * x[0] + 0.1); }},
      {"sin", [](const auto& x) { return sin(x[0]); }},
      {"cos", [](const auto& x) { return cos(x[0]); }},
      {"tanh", [](const auto& x) { return tanh(x[0]); }},
      {"erf", [](const auto& x) { return erf(x[0]); }},
      {"sigmoid", [](const auto& x) { return sigmoid(x[0]); }},
      {"relu", [](const auto& x) { return relu(x[0]); }},
      {"gelu", [](const auto& x) { return gelu(x[0]); }},
      {"gelu_tanh", [](const auto& x) { return gelu(x[0], "tanh"); }},
      {"silu", [](const auto& x) { return silu(x[0]); }},
      {"softplus", [](const auto& x) { return softplus(x[0], 2.0, 1.0); }},
      {"leaky_relu", [](const auto& x) { return leaky_relu(x[0], 0.1); }},
      {"clamp", [](const auto& x) { return clamp(x[0], -0.5, 0.5); }},
      {"clamp_min", [](const auto& x) { return clamp(x[0], 0.0, std::nullopt); }},
      {"masked_fill", [](const auto& x) { return masked_fill(x[0], x[0] > 0.3, 2.0); }},
  };
}
}  // namespace

TEST(Unary, Values) {
  Tensor x = tensor({-2.0, -0.5, 0.0, 0.5, 2.0});
  auto close = [](const Tensor& t, const std::vector<double>& want) { expect_values(t, want, 1e-6); };
  close(neg(x), {2, 0.5, 0, -0.5, -2});
  close(abs(x), {2, 0.5, 0, 0.5, 2});
  close(sign(x), {-1, -1, 0, 1, 1});
  close(relu(x), {0, 0, 0, 0.5, 2});
  close(exp(x), {std::exp(-2.0), std::exp(-0.5), 1, std::exp(0.5), std::exp(2.0)});
  close(sigmoid(x), {1 / (1 + std::exp(2.0)), 1 / (1 + std::exp(0.5)), 0.5, 1 / (1 + std::exp(-0.5)),
                     1 / (1 + std::exp(-2.0))});
  // Values from PyTorch 1.13.
  close(gelu(x), {-0.04550027, -0.15426877, 0.0, 0.34573123, 1.95449972});
  close(gelu(x, "tanh"), {-0.04540231, -0.15428599, 0.0, 0.34571401, 1.95459769});
  close(silu(x), {-0.23840584, -0.18877033, 0.0, 0.31122967, 1.76159416});
  close(softplus(x), {0.12692801, 0.47407699, 0.69314718, 0.97407699, 2.12692801});
  close(leaky_relu(x, 0.1), {-0.2, -0.05, 0, 0.5, 2});
  close(clamp(x, -1.0, 1.0), {-1, -0.5, 0, 0.5, 1});
  close(clamp(x, std::nullopt, 0.0), {-2, -0.5, 0, 0, 0});
  close(masked_fill(x, x < 0, 9.0), {9, 9, 0, 0.5, 2});
  close(sqrt(abs(x)), {std::sqrt(2.0), std::sqrt(0.5), 0, std::sqrt(0.5), std::sqrt(2.0)});
  close(rsqrt(tensor({4.0, 0.25})), {0.5, 2.0});
  close(log1p(tensor({0.0, 1.0})), {0, std::log(2.0)});
  close(log(tensor({1.0, std::exp(1.0)})), {0, 1});
}

TEST(Unary, DtypeRules) {
  Tensor i = tensor({1, -2, 3});
  EXPECT_EQ(exp(i).dtype(), kFloat32);
  EXPECT_EQ(neg(i).dtype(), kInt64);
  EXPECT_EQ(abs(i).to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(relu(i).to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 3}));
  EXPECT_EQ(clamp(i, 0, 2).to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 2}));
  EXPECT_EQ(clamp(i, 0.5, std::nullopt).dtype(), kFloat32);
  EXPECT_EQ(sqrt(tensor({4.0}, {.dtype = kFloat64})).dtype(), kFloat64);
  EXPECT_TRUE(std::isnan(sqrt(tensor({-1.0})).item<float>()));
}

TEST(Unary, StableForLargeInputs) {
  Tensor x = tensor({-1e4, 1e4}, {.dtype = kFloat64}).requires_grad_();
  std::vector<std::function<Tensor(const Tensor&)>> fns = {
      [](const Tensor& t) { return sigmoid(t); }, [](const Tensor& t) { return tanh(t); },
      [](const Tensor& t) { return silu(t); }, [](const Tensor& t) { return softplus(t); }};
  for (auto& fn : fns) {
    Tensor y = fn(x);
    for (double v : y.to_vector<double>()) EXPECT_TRUE(std::isfinite(v));
    Tensor g = autograd::grad({y.sum()}, {x})[0];
    for (double v : g.to_vector<double>()) EXPECT_TRUE(std::isfinite(v));
  }
}

TEST(Unary, Gradcheck) {
  for (auto& [name, fn] : unary_ops()) {
    SCOPED_TRACE(name);
    EXPECT_GRADCHECK(fn, {leaf({2, 3}, 1)});
    EXPECT_GRADCHECK(fn, {noncontiguous_leaf({3, 2}, 2)});
    EXPECT_GRADCHECK(fn, {leaf({}, 3)});
    EXPECT_GRADCHECK(fn, {leaf({0, 2}, 4)});
    EXPECT_GRADCHECK([&fn = fn](const auto& x) { return fn({x[0].slice(0, 0, 5, 2)}); }, {leaf({5, 2}, 5)});
  }
}

TEST(Unary, SecondDerivatives) {
  for (auto& [name, fn] : unary_ops()) {
    if (name == "relu" || name == "leaky_relu" || name == "clamp" || name == "clamp_min" || name == "abs" ||
        name == "sign" || name == "masked_fill" || name == "neg")
      continue;  // piecewise linear: second derivative is zero almost everywhere
    SCOPED_TRACE(name);
    EXPECT_GRADGRADCHECK(fn, {leaf({2, 3}, 1)});
  }
}

TEST(Unary, InPlaceForms) {
  Tensor x = tensor({-1.0, 4.0});
  x.relu_();
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{0, 4}));
  x.sqrt_();
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{0, 2}));
  x.neg_();
  x.clamp_(-1.0, std::nullopt);
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{0, -1}));
  x.masked_fill_(x < 0, 7.0);
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{0, 7}));
  x.exp_();
  EXPECT_NEAR(x.to_vector<float>()[1], std::exp(7.0f), 1e-2);
}

TEST(Unary, Errors) {
  Tensor b = tensor({true, false});
  expect_error([&] { neg(b); }, "[neg] is not defined for bool");
  expect_error([&] { abs(b); }, "[abs] is not defined for bool");
  expect_error([&] { relu(b); }, "[relu] is not defined for bool");
  expect_error([&] { sign(b); }, "[sign] is not defined for bool");
  expect_error([&] { gelu(zeros({2}), "fast"); }, "[gelu] approximate must be");
  expect_error([&] { softplus(zeros({2}), 0.0); }, "[softplus] beta must be non-zero");
  expect_error([&] { clamp(zeros({2}), std::nullopt, std::nullopt); }, "[clamp] at least one of min and max");
  expect_error([&] { masked_fill(zeros({2}), zeros({2}), 1.0); }, "[masked_fill] mask must be a bool tensor");
  expect_error([&] { masked_fill(zeros({2}), zeros({3}) > 0, 1.0); }, "[masked_fill]");
  expect_error([&] { masked_fill(tensor({1, 2}), tensor({true, false}), 0.5); }, "holds integers");
  expect_error([&] { exp(Tensor()); }, "[exp] operand 0 is an undefined tensor");
  expect_error([&] { sigmoid(Tensor()); }, "[sigmoid] operand 0 is an undefined tensor");
  expect_error([&] { zeros({2}, {.dtype = kFloat16}).exp(); }, "not implemented for dtype float16");
}

// relu's gradient is zero where its output is <= 0 and passes through a NaN, as PyTorch's
// threshold_backward does; the one-pass kernel (plain backward) and the recorded form
// (create_graph) agree.
TEST(Unary, ReluGradientAtZeroAndNaN) {
  const double nan = std::nan("");
  for (bool create_graph : {false, true}) {
    SCOPED_TRACE(create_graph ? "create_graph" : "plain backward");
    Tensor x = tensor({-1.0, 0.0, 2.0, nan}).requires_grad_();
    Tensor y = relu(x);
    y.backward(tensor({5.0, 6.0, 7.0, 8.0}), /*retain_graph=*/false, create_graph);
    const Tensor g = x.grad();
    EXPECT_EQ(g.select(0, 0).item<double>(), 0.0);
    EXPECT_EQ(g.select(0, 1).item<double>(), 0.0);
    EXPECT_EQ(g.select(0, 2).item<double>(), 7.0);
    EXPECT_EQ(g.select(0, 3).item<double>(), 8.0);
  }
}
