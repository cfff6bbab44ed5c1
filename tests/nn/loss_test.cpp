// The element-wise losses: mse, l1, smooth_l1, huber, binary_cross_entropy(_with_logits). Values
// on hand-computed cases, gradcheck (float64) for input and target over every reduction and the
// usual layouts, and the error messages. PyTorch comparisons are in loss_golden_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "nn/loss_test_util.h"
#include "strata/nn/functional/loss.h"
#include "support/test_util.h"

namespace {

using namespace strata;
using namespace strata::test;
using namespace strata::nn::functional;
using Inputs = std::vector<Tensor>;

// Values in (0.05, 0.95): inside BCE's domain, away from its clamp.
Tensor probability_leaf(const Shape& shape, uint64_t seed) {
  Generator g(seed);
  return (rand(shape, {.dtype = kFloat64}, &g) * 0.9 + 0.05).detach().requires_grad_();
}

using RegressionLoss = std::function<Tensor(const Tensor&, const Tensor&, Reduction)>;

struct NamedLoss {
  const char* name;
  RegressionLoss fn;
};

std::vector<NamedLoss> regression_losses() {
  return {
      {"mse_loss", [](const Tensor& x, const Tensor& t, Reduction r) { return mse_loss(x, t, r); }},
      {"l1_loss", [](const Tensor& x, const Tensor& t, Reduction r) { return l1_loss(x, t, r); }},
      {"smooth_l1_loss",
       [](const Tensor& x, const Tensor& t, Reduction r) { return smooth_l1_loss(x, t, r, 0.7); }},
      {"huber_loss", [](const Tensor& x, const Tensor& t, Reduction r) { return huber_loss(x, t, r, 0.7); }},
  };
}

// ---- regression values ----

TEST(RegressionLoss, MseValues) {
  const Tensor x = f64({1, 2, 3}, {3}), t = f64({1, 0, 5}, {3});
  expect_values(mse_loss(x, t, Reduction::None), {0, 4, 4});
  expect_values(mse_loss(x, t), {8.0 / 3.0});
  expect_values(mse_loss(x, t, Reduction::Sum), {8});
}

TEST(RegressionLoss, L1ValuesAndZeroGradientAtZeroDifference) {
  const Tensor x = leaf_of({1, 2, 3}, {3});
  const Tensor t = f64({1, 0, 5}, {3});
  const Tensor loss = l1_loss(x, t, Reduction::Sum);
  expect_values(loss, {4});
  loss.backward();
  expect_values(x.grad(), {0, 1, -1});
  expect_values(l1_loss(x, t), {4.0 / 3.0});
}

TEST(RegressionLoss, SmoothL1Values) {
  const Tensor x = f64({0, 0.5, -2, 3}, {4}), t = zeros({4}, {.dtype = kFloat64});
  expect_values(smooth_l1_loss(x, t, Reduction::None), {0, 0.125, 1.5, 2.5});
  // |d| == beta is on the linear side: 2 - 0.5 * 2.
  expect_values(smooth_l1_loss(x, t, Reduction::None, 2.0), {0, 0.0625, 1.0, 2.0});
  // beta = 0 is l1_loss.
  expect_values(smooth_l1_loss(x, t, Reduction::None, 0.0), {0, 0.5, 2, 3});
}

TEST(RegressionLoss, HuberValuesAreDeltaTimesSmoothL1) {
  const Tensor x = f64({0, 0.5, -2, 3}, {4}), t = zeros({4}, {.dtype = kFloat64});
  expect_values(huber_loss(x, t, Reduction::None), {0, 0.125, 1.5, 2.5});
  expect_values(huber_loss(x, t, Reduction::None, 2.0), {0, 0.125, 2.0, 4.0});
  EXPECT_TRUE(
      allclose(huber_loss(x, t, Reduction::Sum, 0.3), smooth_l1_loss(x, t, Reduction::Sum, 0.3) * 0.3));
}

TEST(RegressionLoss, TargetBroadcastsAndDtypesPromote) {
  for (const auto& [name, fn] : regression_losses()) {
    SCOPED_TRACE(name);
    const Tensor x = randn({2, 3});
    const Tensor loss = fn(x, randn({3}, {.dtype = kFloat64}), Reduction::None);
    EXPECT_EQ(loss.shape(), (Shape{2, 3}));
    EXPECT_EQ(loss.dtype(), kFloat64);
    EXPECT_EQ(fn(x, randn({2, 3}), Reduction::Mean).dtype(), kFloat32);
  }
}

TEST(RegressionLoss, EmptyInputMeanIsNanSumIsZero) {
  for (const auto& [name, fn] : regression_losses()) {
    SCOPED_TRACE(name);
    const Tensor x = zeros({0, 3}), t = zeros({0, 3});
    expect_values(fn(x, t, Reduction::Mean), {kNaN});
    expect_values(fn(x, t, Reduction::Sum), {0});
    EXPECT_EQ(fn(x, t, Reduction::None).shape(), (Shape{0, 3}));
  }
}

// ---- regression gradients ----

TEST(RegressionLoss, GradcheckInputAndTarget) {
  for (const auto& [name, fn] : regression_losses()) {
    for (Reduction r : kReductions) {
      SCOPED_TRACE(std::string(name) + " reduction " + std::to_string(static_cast<int>(r)));
      auto f = [&](const Inputs& in) { return fn(in[0], in[1], r); };
      EXPECT_GRADCHECK(f, {leaf({3, 4}, 1), leaf({3, 4}, 2)});
      EXPECT_GRADCHECK(f, {leaf({3, 4}, 3), leaf({4}, 4)});  // broadcast target
      EXPECT_GRADCHECK(f, {noncontiguous_leaf({3, 4}, 5), noncontiguous_leaf({3, 4}, 6)});  // strided
      EXPECT_GRADCHECK(f, {leaf({}, 7), leaf({}, 8)});                                      // 0-d
      EXPECT_GRADCHECK(f, {empty_leaf({0, 3}), empty_leaf({0, 3})});                        // empty
    }
  }
}

TEST(RegressionLoss, GradcheckAcrossTheSmoothBranches) {
  // Differences spread over both sides of beta / delta.
  Generator g(11);
  const Tensor x = (randn({4, 5}, {.dtype = kFloat64}, &g) * 2).detach().requires_grad_();
  const Tensor t = leaf({4, 5}, 12);
  for (double b : {0.3, 1.0, 3.0}) {
    EXPECT_GRADCHECK([&](const Inputs& in) { return smooth_l1_loss(in[0], in[1], Reduction::Sum, b); },
                     {x, t});
    EXPECT_GRADCHECK([&](const Inputs& in) { return huber_loss(in[0], in[1], Reduction::Mean, b); }, {x, t});
  }
  EXPECT_GRADGRADCHECK([](const Inputs& in) { return mse_loss(in[0], in[1]); },
                       {leaf({2, 3}, 13), leaf({2, 3}, 14)});
}

// ---- regression errors ----

TEST(RegressionLoss, Errors) {
  const Tensor x = randn({2, 3});
  EXPECT_ERROR(mse_loss(ones({3}, {.dtype = kInt64}), ones({3}, {.dtype = kInt64})),
               "[mse_loss] input must be floating point");
  EXPECT_ERROR(mse_loss(x, randn({4})), "[mse_loss] target [4] float32 cpu does not broadcast with input");
  EXPECT_ERROR(l1_loss(x, randn({3, 3})), "[l1_loss] target [3, 3] float32 cpu does not broadcast");
  EXPECT_ERROR(l1_loss(Tensor(), x), "[l1_loss] input is an undefined tensor");
  EXPECT_ERROR(smooth_l1_loss(x, x, Reduction::Mean, -1.0), "[smooth_l1_loss] beta must be >= 0, got -1");
  EXPECT_ERROR(smooth_l1_loss(x, x, Reduction::Mean, kNaN), "[smooth_l1_loss] beta must be >= 0");
  EXPECT_ERROR(smooth_l1_loss(x, randn({5})), "[smooth_l1_loss] target [5] float32 cpu does not broadcast");
  EXPECT_ERROR(huber_loss(x, x, Reduction::Mean, 0.0), "[huber_loss] delta must be > 0, got 0");
  EXPECT_ERROR(huber_loss(x, Tensor()), "[huber_loss] target is an undefined tensor");
}

// ---- binary cross entropy ----

TEST(BinaryCrossEntropy, Values) {
  const Tensor x = f64({0.5, 0.9, 0.2}, {3}), t = f64({1, 0, 0.5}, {3});
  const double third = 0.5 * (-std::log(0.2) - std::log(0.8));
  expect_values(binary_cross_entropy(x, t, {}, Reduction::None), {std::log(2.0), -std::log(0.1), third},
                1e-12);
  expect_values(binary_cross_entropy(x, t), {(std::log(2.0) - std::log(0.1) + third) / 3}, 1e-12);
  // weight [3] broadcasts over rows of [2, 3].
  const Tensor x2 = f64({0.5, 0.9, 0.2, 0.5, 0.9, 0.2}, {2, 3});
  const Tensor t2 = f64({1, 0, 0.5, 1, 0, 0.5}, {2, 3});
  const Tensor w = f64({2, 0, 1}, {3});
  expect_values(binary_cross_entropy(x2, t2, w, Reduction::Sum), {2 * (2 * std::log(2.0) + third)}, 1e-12);
}

TEST(BinaryCrossEntropy, ExactZerosAndOnesAreClampedWithFiniteGradients) {
  // A float32 sigmoid reaches exactly 0 or 1 easily; log is clamped at -100 there.
  const Tensor x = from_vector(std::vector<float>{0, 1, 0, 1}, {4}).requires_grad_();
  const Tensor t = from_vector(std::vector<float>{0, 1, 1, 0.25f}, {4}).requires_grad_();
  const Tensor loss = binary_cross_entropy(x, t, {}, Reduction::None);
  expect_values(loss, {0, 0, 100, 75}, 1e-4);
  loss.sum().backward();
  for (const Tensor& g : {x.grad(), t.grad()})
    for (float v : g.to_vector<float>()) EXPECT_TRUE(std::isfinite(v)) << g;
  // The derivative of the clamped loss: a clamped log is constant there; the other log is not.
  expect_values(x.grad(), {1, -1, 0, -0.25}, 1e-6);
  expect_values(t.grad(), {100, -100, 100, -100}, 1e-4);
}

TEST(BinaryCrossEntropy, EmptyMeanIsNan) {
  expect_values(binary_cross_entropy(zeros({0}), zeros({0})), {kNaN});
  expect_values(binary_cross_entropy(zeros({0}), zeros({0}), {}, Reduction::Sum), {0});
}

TEST(BinaryCrossEntropy, GradcheckInputAndTarget) {
  for (Reduction r : kReductions) {
    auto f = [r](const Inputs& in) { return binary_cross_entropy(in[0], in[1], {}, r); };
    EXPECT_GRADCHECK(f, {probability_leaf({3, 4}, 1), probability_leaf({3, 4}, 2)});
    const Tensor w = f64({0.5, 2.0, 1.0, 0.0}, {4});
    EXPECT_GRADCHECK([&](const Inputs& in) { return binary_cross_entropy(in[0], in[1], w, r); },
                     {probability_leaf({3, 4}, 3), probability_leaf({3, 4}, 4)});
    const Tensor xt = probability_leaf({4, 3}, 5).t().detach().requires_grad_();
    EXPECT_GRADCHECK(f, {xt, probability_leaf({3, 4}, 6)});  // non-contiguous input
    EXPECT_GRADCHECK(f, {probability_leaf({}, 7), probability_leaf({}, 8)});
    EXPECT_GRADCHECK(f, {empty_leaf({0, 2}), empty_leaf({0, 2})});
  }
}

TEST(BinaryCrossEntropy, Errors) {
  const Tensor p = full({2, 3}, 0.5);
  EXPECT_ERROR(binary_cross_entropy(from_vector(std::vector<float>{0.5f, 1.5f}, {2}), full({2}, 0.5)),
               "[binary_cross_entropy] all elements of input should be between 0 and 1, got 1.5 at [1]");
  EXPECT_ERROR(
      binary_cross_entropy(from_vector(std::vector<double>{-0.1}, {1}), full({1}, 0.5, {.dtype = kFloat64})),
      "should be between 0 and 1, got -0.1");
  EXPECT_ERROR(binary_cross_entropy(full({2}, kNaN), full({2}, 0.5)), "should be between 0 and 1, got nan");
  EXPECT_ERROR(binary_cross_entropy(p, full({3}, 0.5)),
               "[binary_cross_entropy] target [3] float32 cpu must have the input's shape [2, 3]");
  EXPECT_ERROR(binary_cross_entropy(p, full({2, 3}, 0.5, {.dtype = kFloat64})),
               "must have the input's dtype float32; convert it with .to(strata::kFloat32)");
  EXPECT_ERROR(
      binary_cross_entropy(p, p, ones({2})),
      "[binary_cross_entropy] weight [2] float32 cpu does not broadcast to the input's shape [2, 3]");
  EXPECT_ERROR(binary_cross_entropy(p, p, ones({4, 2, 3})), "does not broadcast to the input's shape");
  EXPECT_ERROR(binary_cross_entropy(ones({2}, {.dtype = kInt64}), ones({2}, {.dtype = kInt64})),
               "[binary_cross_entropy] input must be floating point");
}

// ---- binary cross entropy with logits ----

double softplus_ref(double z) { return std::log1p(std::exp(z)); }

TEST(BinaryCrossEntropyWithLogits, Values) {
  const Tensor x = f64({0, 2, -3}, {3}), t = f64({1, 0, 0.25}, {3});
  const std::vector<double> want = {std::log(2.0), softplus_ref(2),
                                    0.25 * softplus_ref(3) + 0.75 * softplus_ref(-3)};
  expect_values(binary_cross_entropy_with_logits(x, t, {}, {}, Reduction::None), want, 1e-12);
  // Same as binary_cross_entropy of the sigmoid.
  EXPECT_TRUE(allclose(binary_cross_entropy_with_logits(x, t), binary_cross_entropy(strata::sigmoid(x), t),
                       1e-12, 1e-12));
  // pos_weight scales the positive term only.
  const Tensor pw = f64({2, 2, 2}, {3});
  const std::vector<double> weighted = {2 * std::log(2.0), softplus_ref(2),
                                        0.5 * softplus_ref(3) + 0.75 * softplus_ref(-3)};
  expect_values(binary_cross_entropy_with_logits(x, t, {}, pw, Reduction::None), weighted, 1e-12);
  const Tensor w = f64({1, 0, 3}, {3});
  expect_values(binary_cross_entropy_with_logits(x, t, w, {}, Reduction::Sum), {want[0] + 3 * want[2]},
                1e-12);
}

TEST(BinaryCrossEntropyWithLogits, HugeLogitsGiveFiniteValuesAndGradients) {
  for (DType dt : {kFloat32, kFloat64}) {
    const Tensor x =
        from_vector(std::vector<double>{1e4, -1e4, 1e4, -1e4, 3e38}, {5}, {.dtype = dt}).requires_grad_();
    const Tensor t = from_vector(std::vector<double>{1, 0, 0, 1, 0.5}, {5}, {.dtype = dt}).requires_grad_();
    const Tensor loss = binary_cross_entropy_with_logits(x, t, {}, {}, Reduction::None);
    expect_values(loss, {0, 0, 1e4, 1e4, 1.5e38}, 0, 1e-6);
    loss.sum().backward();
    expect_values(x.grad(), {0, 0, 1, -1, 0.5}, 1e-7);
    expect_values(t.grad(), {-1e4, 1e4, -1e4, 1e4, -3e38}, 0, 1e-6);
  }
}

TEST(BinaryCrossEntropyWithLogits, GradcheckInputAndTarget) {
  const Tensor w = f64({0.5, 2.0, 1.0}, {3, 1});
  const Tensor pw = f64({0.3, 1.0, 2.5, 4.0}, {4});
  for (Reduction r : kReductions) {
    auto f = [r](const Inputs& in) { return binary_cross_entropy_with_logits(in[0], in[1], {}, {}, r); };
    auto fw = [&](const Inputs& in) { return binary_cross_entropy_with_logits(in[0], in[1], w, pw, r); };
    EXPECT_GRADCHECK(f, {leaf({3, 4}, 1), probability_leaf({3, 4}, 2)});
    EXPECT_GRADCHECK(fw, {leaf({3, 4}, 3), probability_leaf({3, 4}, 4)});
    EXPECT_GRADCHECK(fw, {noncontiguous_leaf({3, 4}, 5), probability_leaf({3, 4}, 6)});
    EXPECT_GRADCHECK(f, {leaf({}, 7), probability_leaf({}, 8)});
    EXPECT_GRADCHECK(f, {empty_leaf({0, 4}), empty_leaf({0, 4})});
  }
  EXPECT_GRADGRADCHECK(
      [&](const Inputs& in) { return binary_cross_entropy_with_logits(in[0], in[1], w, pw); },
      {leaf({3, 4}, 9), probability_leaf({3, 4}, 10)});
}

TEST(BinaryCrossEntropyWithLogits, Errors) {
  const Tensor x = randn({2, 3});
  EXPECT_ERROR(
      binary_cross_entropy_with_logits(x, rand({3})),
      "[binary_cross_entropy_with_logits] target [3] float32 cpu must have the input's shape [2, 3]");
  EXPECT_ERROR(binary_cross_entropy_with_logits(x, ones({2, 3}, {.dtype = kInt64})),
               "[binary_cross_entropy_with_logits] target must be floating point");
  EXPECT_ERROR(
      binary_cross_entropy_with_logits(x, rand({2, 3}), ones({2})),
      "[binary_cross_entropy_with_logits] weight [2] float32 cpu does not broadcast to the input's shape");
  EXPECT_ERROR(binary_cross_entropy_with_logits(x, rand({2, 3}), {}, ones({4})),
               "[binary_cross_entropy_with_logits] pos_weight [4] float32 cpu does not broadcast");
  EXPECT_ERROR(binary_cross_entropy_with_logits(ones({2}, {.dtype = kInt32}), rand({2})),
               "[binary_cross_entropy_with_logits] input must be floating point");
}

}  // namespace
