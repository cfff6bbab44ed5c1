// cross_entropy and nll_loss: hand-computed values for each option (weight, ignore_index,
// label_smoothing, probability targets, K-dim and 1-d inputs, empty batches), gradcheck in float64,
// every error message, and the size of the graph the common case records. PyTorch comparisons and
// the large-logit checks are in loss_golden_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "autograd/node.h"
#include "nn/loss_test_util.h"
#include "strata/nn/functional/loss.h"
#include "support/test_util.h"

namespace {

using namespace strata;
using namespace strata::test;
using namespace strata::nn::functional;
using Inputs = std::vector<Tensor>;

Tensor labels(const std::vector<int64_t>& v, const Shape& shape) { return from_vector(v, shape); }
Tensor labels(const std::vector<int64_t>& v) { return from_vector(v); }

// Rows of probabilities summing to 1 along `dim`, as a float64 leaf.
Tensor probability_leaf(const Shape& shape, int64_t dim, uint64_t seed) {
  Generator g(seed);
  return strata::softmax(randn(shape, {.dtype = kFloat64}, &g), dim).detach().requires_grad_();
}

double lse(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += std::exp(x);
  return std::log(s);
}

// ---- values ----

TEST(CrossEntropy, PlainValues) {
  const Tensor x = f64({0, 0, 0, 1, 2, 3}, {2, 3});
  const Tensor t = labels({1, 2});
  const double l0 = std::log(3.0), l1 = lse({1, 2, 3}) - 3;
  expect_values(cross_entropy(x, t, {.reduction = Reduction::None}), {l0, l1});
  expect_values(cross_entropy(x, t), {(l0 + l1) / 2});
  expect_values(cross_entropy(x, t, {.reduction = Reduction::Sum}), {l0 + l1});
  // nll_loss of log_softmax is the same thing.
  expect_values(nll_loss(strata::log_softmax(x, 1), t, {.reduction = Reduction::None}), {l0, l1});
}

TEST(CrossEntropy, WeightedMeanDividesBySummedWeight) {
  const Tensor x = f64({0, 0, 0, 1, 2, 3}, {2, 3});
  const Tensor t = labels({1, 2});
  const Tensor w = f64({5, 2, 0.5}, {3});
  const double l0 = std::log(3.0), l1 = lse({1, 2, 3}) - 3;
  expect_values(cross_entropy(x, t, {.weight = w, .reduction = Reduction::None}), {2 * l0, 0.5 * l1});
  expect_values(cross_entropy(x, t, {.weight = w}), {(2 * l0 + 0.5 * l1) / 2.5});
  expect_values(nll_loss(strata::log_softmax(x, 1), t, {.weight = w}), {(2 * l0 + 0.5 * l1) / 2.5});
}

TEST(CrossEntropy, IgnoredTargetsAddNothingAndCountNothing) {
  const Tensor x = leaf_of({0, 0, 0, 1, 2, 3, 5, 1, 1}, {3, 3});
  const Tensor t = labels({1, -100, 2});
  const double l0 = std::log(3.0), l2 = lse({5, 1, 1}) - 1;
  expect_values(cross_entropy(x, t, {.reduction = Reduction::None}), {l0, 0, l2});
  const Tensor loss = cross_entropy(x, t);
  expect_values(loss, {(l0 + l2) / 2});
  loss.backward();
  expect_values(x.grad().select(0, 1), {0, 0, 0});
  // An ignore_index that is a valid class.
  expect_values(cross_entropy(x, labels({1, 1, 2}), {.ignore_index = 1}), {l2});
  const Tensor w = f64({1, 3, 2}, {3});
  expect_values(cross_entropy(x, t, {.weight = w}), {(3 * l0 + 2 * l2) / 5});
}

TEST(NllLoss, IgnoredRowsMayHoldMinusInfinity) {
  // log(0) in an ignored row must not turn the loss or its gradient into NaN.
  const double inf = std::numeric_limits<double>::infinity();
  const Tensor lp = leaf_of({std::log(0.25), std::log(0.75), -inf, -inf}, {2, 2});
  const Tensor t = labels({1, 7});
  const Tensor loss = nll_loss(lp, t, {.ignore_index = 7});
  expect_values(loss, {-std::log(0.75)});
  loss.backward();
  expect_values(lp.grad(), {0, -1, 0, 0});
}

TEST(CrossEntropy, AllIgnoredOrEmptyMeanIsNan) {
  const Tensor x = randn({2, 3});
  expect_values(cross_entropy(x, labels({-100, -100})), {kNaN});
  expect_values(cross_entropy(x, labels({-100, -100}), {.weight = ones({3})}), {kNaN});
  expect_values(cross_entropy(x, labels({-100, -100}), {.label_smoothing = 0.2}), {kNaN});
  expect_values(cross_entropy(x, labels({-100, -100}), {.reduction = Reduction::Sum}), {0});
  const Tensor none = zeros({0, 3});
  const Tensor no_labels = zeros({0}, {.dtype = kInt64});
  expect_values(cross_entropy(none, no_labels), {kNaN});
  expect_values(cross_entropy(none, no_labels, {.label_smoothing = 0.1}), {kNaN});
  expect_values(cross_entropy(none, zeros({0, 3})), {kNaN});
  expect_values(cross_entropy(none, no_labels, {.reduction = Reduction::Sum}), {0});
  EXPECT_EQ(cross_entropy(none, no_labels, {.reduction = Reduction::None}).shape(), (Shape{0}));
  expect_values(nll_loss(none, no_labels), {kNaN});
}

TEST(CrossEntropy, LabelSmoothingMixesInTheUniformDistribution) {
  const Tensor x = f64({1, 2, 3, 0.5, -1, 2}, {2, 3});
  const Tensor t = labels({2, 0});
  const double s = 0.3;
  // (1 - s) * nll + s * mean over classes of -log p.
  const Tensor lp = strata::log_softmax(x, 1);
  const Tensor want = (nll_loss(lp, t, {.reduction = Reduction::None}) * (1 - s)) - lp.sum({1}) * (s / 3);
  EXPECT_TRUE(allclose(cross_entropy(x, t, {.reduction = Reduction::None, .label_smoothing = s}), want, 1e-12,
                       1e-12));
  // The same as probability targets smoothed by hand.
  const Tensor soft = f64({s / 3, s / 3, 1 - s + s / 3, 1 - s + s / 3, s / 3, s / 3}, {2, 3});
  EXPECT_TRUE(allclose(cross_entropy(x, t, {.label_smoothing = s}), cross_entropy(x, soft), 1e-12, 1e-12));
  // Smoothing a probability target.
  const Tensor onehot = f64({0, 0, 1, 1, 0, 0}, {2, 3});
  EXPECT_TRUE(
      allclose(cross_entropy(x, onehot, {.label_smoothing = s}), cross_entropy(x, soft), 1e-12, 1e-12));
}

TEST(CrossEntropy, OneHotProbabilitiesMatchClassIndices) {
  const Tensor x = f64({1, 2, 3, 0.5, -1, 2}, {2, 3});
  const Tensor onehot = f64({0, 0, 1, 1, 0, 0}, {2, 3});
  for (Reduction r : kReductions)
    EXPECT_TRUE(allclose(cross_entropy(x, onehot, {.reduction = r}),
                         cross_entropy(x, labels({2, 0}), {.reduction = r}), 1e-12, 1e-12));
  // Weighted: probability targets' mean divides by the number of rows, not by the weights.
  const Tensor w = f64({1, 2, 4}, {3});
  const Tensor per_row = cross_entropy(x, labels({2, 0}), {.weight = w, .reduction = Reduction::None});
  EXPECT_TRUE(allclose(cross_entropy(x, onehot, {.weight = w}), per_row.mean(), 1e-12, 1e-12));
}

TEST(CrossEntropy, KDimInputMatchesTheFlattenedBatch) {
  Generator g(3);
  const Tensor x = randn({2, 4, 3, 2}, {.dtype = kFloat64}, &g);  // [N, C, d1, d2]
  const Tensor t = randint(0, 4, {2, 3, 2}, {}, &g);
  const Tensor flat_x = x.permute({0, 2, 3, 1}).reshape({12, 4});
  const Tensor flat_t = t.reshape({12});
  const Tensor w = f64({0.5, 1, 2, 3}, {4});
  const CrossEntropyOptions o{
      .weight = w, .ignore_index = 1, .reduction = Reduction::None, .label_smoothing = 0.1};
  const Tensor kdim = cross_entropy(x, t, o);
  EXPECT_EQ(kdim.shape(), (Shape{2, 3, 2}));
  EXPECT_TRUE(allclose(kdim.reshape({12}), cross_entropy(flat_x, flat_t, o), 1e-12, 1e-12));
  for (Reduction r : {Reduction::Mean, Reduction::Sum}) {
    CrossEntropyOptions ro = o;
    ro.reduction = r;
    EXPECT_TRUE(allclose(cross_entropy(x, t, ro), cross_entropy(flat_x, flat_t, ro), 1e-12, 1e-12));
  }
  // A non-contiguous target reads the same.
  const Tensor t_strided = t.transpose(1, 2).contiguous().transpose(1, 2);
  ASSERT_FALSE(t_strided.is_contiguous());
  EXPECT_TRUE(allclose(cross_entropy(x, t_strided, o), kdim, 1e-12, 1e-12));
  const Tensor p = strata::softmax(randn({2, 4, 3, 2}, {.dtype = kFloat64}, &g), 1);
  EXPECT_EQ(cross_entropy(x, p, {.reduction = Reduction::None}).shape(), (Shape{2, 3, 2}));
  EXPECT_TRUE(allclose(cross_entropy(x, p), cross_entropy(flat_x, p.permute({0, 2, 3, 1}).reshape({12, 4})),
                       1e-12, 1e-12));
}

TEST(CrossEntropy, OneDimensionalInputTakesAZeroDimTarget) {
  const Tensor x = f64({1, 2, 3}, {3});
  const Tensor t = tensor(int64_t{0});
  const Tensor loss = cross_entropy(x, t, {.reduction = Reduction::None});
  EXPECT_EQ(loss.dim(), 0);
  expect_values(loss, {lse({1, 2, 3}) - 1});
  expect_values(cross_entropy(x, f64({1, 0, 0}, {3})), {lse({1, 2, 3}) - 1});
  expect_values(nll_loss(strata::log_softmax(x, 0), t), {lse({1, 2, 3}) - 1});
}

TEST(CrossEntropy, CommonCaseRecordsFourOps) {
  // The training-step case: int64 labels, no options. log_softmax + gather + mean + neg.
  const Tensor x = randn({4, 2}).requires_grad_();
  const Tensor loss = cross_entropy(x, labels({0, 1, 1, 0}));
  std::multiset<std::string> names;
  std::vector<autograd::Node*> todo = {loss.grad_fn().get()};
  while (!todo.empty()) {
    autograd::Node* n = todo.back();
    todo.pop_back();
    names.insert(std::string(n->name()));
    for (const auto& e : n->next_edges)
      if (e.valid()) todo.push_back(e.node.get());
  }
  EXPECT_EQ(names.size(), 5u) << ::testing::PrintToString(names);  // four ops and x's AccumulateGrad
  EXPECT_EQ(names.count("LogSoftmaxBackward"), 1u) << ::testing::PrintToString(names);
  EXPECT_EQ(names.count("GatherBackward"), 1u) << ::testing::PrintToString(names);
}

// ---- gradients ----

TEST(CrossEntropy, GradcheckClassIndices) {
  const Tensor w = f64({0.5, 2.0, 1.0, 3.0}, {4});
  const Tensor t = labels({0, 3, 1, 2, 3});
  const Tensor t_ignored = labels({0, -100, 1, 3, -100});
  const std::vector<CrossEntropyOptions> variants = {
      {},
      {.weight = w},
      {.ignore_index = -100},
      {.label_smoothing = 0.2},
      {.weight = w, .label_smoothing = 0.3},
  };
  for (Reduction r : kReductions) {
    for (CrossEntropyOptions o : variants) {
      o.reduction = r;
      SCOPED_TRACE(::testing::Message() << "reduction " << static_cast<int>(r) << ", weight "
                                        << o.weight.defined() << ", smoothing " << o.label_smoothing);
      EXPECT_GRADCHECK([&](const Inputs& in) { return cross_entropy(in[0], t, o); }, {leaf({5, 4}, 1)});
      EXPECT_GRADCHECK([&](const Inputs& in) { return cross_entropy(in[0], t_ignored, o); },
                       {leaf({5, 4}, 2)});
      EXPECT_GRADCHECK([&](const Inputs& in) { return cross_entropy(in[0], t, o); },
                       {noncontiguous_leaf({5, 4}, 3)});
      const Tensor tk = labels({0, 3, -100, 1, 2, 2}, {2, 3});
      EXPECT_GRADCHECK([&](const Inputs& in) { return cross_entropy(in[0], tk, o); }, {leaf({2, 4, 3}, 4)});
      EXPECT_GRADCHECK([&](const Inputs& in) { return cross_entropy(in[0], tensor(int64_t{2}), o); },
                       {leaf({4}, 5)});
      EXPECT_GRADCHECK(
          [&](const Inputs& in) { return cross_entropy(in[0], zeros({0}, {.dtype = kInt64}), o); },
          {empty_leaf({0, 4})});
    }
  }
  EXPECT_GRADGRADCHECK(
      [&](const Inputs& in) { return cross_entropy(in[0], t_ignored, {.label_smoothing = 0.1}); },
      {leaf({5, 4}, 6)});
}

TEST(CrossEntropy, GradcheckProbabilityTargets) {
  const Tensor w = f64({0.5, 2.0, 1.0}, {3});
  for (Reduction r : kReductions) {
    for (double s : {0.0, 0.25}) {
      const CrossEntropyOptions plain{.reduction = r, .label_smoothing = s};
      const CrossEntropyOptions weighted{.weight = w, .reduction = r, .label_smoothing = s};
      auto f = [&](const Inputs& in) { return cross_entropy(in[0], in[1], plain); };
      auto fw = [&](const Inputs& in) { return cross_entropy(in[0], in[1], weighted); };
      EXPECT_GRADCHECK(f, {leaf({4, 3}, 1), probability_leaf({4, 3}, 1, 2)});
      EXPECT_GRADCHECK(fw, {noncontiguous_leaf({4, 3}, 3), probability_leaf({4, 3}, 1, 4)});
      EXPECT_GRADCHECK(fw, {leaf({2, 3, 2}, 5), probability_leaf({2, 3, 2}, 1, 6)});
      EXPECT_GRADCHECK(f, {leaf({3}, 7), probability_leaf({3}, 0, 8)});
      EXPECT_GRADCHECK(f, {empty_leaf({0, 3}), empty_leaf({0, 3})});
    }
  }
}

TEST(NllLoss, Gradcheck) {
  const Tensor w = f64({0.5, 2.0, 1.0}, {3});
  const Tensor t = labels({2, 0, 1, 1});
  const Tensor t_ignored = labels({2, 1, 0, 1});
  for (Reduction r : kReductions) {
    const NLLLossOptions plain{.reduction = r};
    const NLLLossOptions weighted{.weight = w, .ignore_index = 1, .reduction = r};
    EXPECT_GRADCHECK([&](const Inputs& in) { return nll_loss(in[0], t, plain); }, {leaf({4, 3}, 1)});
    EXPECT_GRADCHECK([&](const Inputs& in) { return nll_loss(in[0], t_ignored, weighted); },
                     {leaf({4, 3}, 2)});
    EXPECT_GRADCHECK([&](const Inputs& in) { return nll_loss(in[0], t, weighted); },
                     {noncontiguous_leaf({4, 3}, 3)});
    EXPECT_GRADCHECK(
        [&](const Inputs& in) {
          return nll_loss(in[0], labels({2, 0, 1, 1}, {2, 2}), weighted);
        },
        {leaf({2, 3, 2}, 4)});
    EXPECT_GRADCHECK([&](const Inputs& in) { return nll_loss(in[0], tensor(int64_t{1}), plain); },
                     {leaf({3}, 5)});
    EXPECT_GRADCHECK(
        [&](const Inputs& in) { return nll_loss(in[0], zeros({0}, {.dtype = kInt64}), weighted); },
        {empty_leaf({0, 3})});
  }
}

// ---- errors ----

TEST(CrossEntropy, TargetErrors) {
  const Tensor x = randn({4, 3});
  EXPECT_ERROR(
      cross_entropy(x, labels({0, 1, 2, 1}).to(kInt32)),
      "[cross_entropy] class-index target [4] int32 cpu must be int64; convert it with .to(strata::kInt64)");
  EXPECT_ERROR(
      cross_entropy(x, rand({4})),
      "[cross_entropy] target [4] float32 cpu is floating point but is not shaped like the input [4, 3] "
      "float32 cpu");
  EXPECT_ERROR(
      cross_entropy(x, ones({4, 3}, {.dtype = kInt64})),
      "[cross_entropy] target [4, 3] int64 cpu has the input's shape, so it is read as class probabilities "
      "and must be floating point");
  EXPECT_ERROR(
      cross_entropy(x, labels({0, 1, 2})),
      "[cross_entropy] class-index target [3] int64 cpu does not fit input [4, 3] float32 cpu: expected "
      "shape [4]");
  EXPECT_ERROR(cross_entropy(randn({2, 3, 5}), labels({0, 1}, {2})), "expected shape [2, 5]");
  EXPECT_ERROR(cross_entropy(randn({3}), labels({1})), "expected shape []");
  EXPECT_ERROR(cross_entropy(x, rand({4, 3}), {.ignore_index = 0}),
               "[cross_entropy] ignore_index (0) needs class-index targets");
}

TEST(CrossEntropy, ClassIndexOutOfRangeIsCaughtBeforeAnyRead) {
  const Tensor x = randn({4, 3});
  EXPECT_ERROR(
      cross_entropy(x, labels({0, 3, 1, 2})),
      "[cross_entropy] target value 3 at [1] of [4] int64 cpu is not a class index: expected a value in [0, "
      "3) for 3 classes, or ignore_index (-100)");
  EXPECT_ERROR(cross_entropy(x, labels({0, -1, 1, 2})), "target value -1 at [1]");
  EXPECT_ERROR(cross_entropy(x, labels({0, int64_t{1} << 40, 1, 2})), "is not a class index");
  EXPECT_ERROR(cross_entropy(x, labels({0, -100, 1, 2}), {.ignore_index = 1}), "target value -100 at [1]");
  EXPECT_ERROR(cross_entropy(randn({2, 3, 2}), labels({0, 1, 2, 3}, {2, 2})), "target value 3 at [1, 1]");
  EXPECT_ERROR(nll_loss(x, labels({0, 1, 5, 2})), "[nll_loss] target value 5 at [2]");
}

TEST(CrossEntropy, OptionErrors) {
  const Tensor x = randn({4, 3});
  const Tensor t = labels({0, 1, 2, 1});
  EXPECT_ERROR(cross_entropy(x, t, {.weight = ones({4})}),
               "[cross_entropy] weight [4] float32 cpu must hold one value per class: expected shape [3]");
  EXPECT_ERROR(cross_entropy(x, t, {.weight = ones({1, 3})}), "must hold one value per class");
  EXPECT_ERROR(cross_entropy(x, t, {.weight = ones({3}, {.dtype = kFloat64})}),
               "[cross_entropy] weight [3] float64 cpu must have the input's dtype float32; convert it with "
               ".to(strata::kFloat32)");
  EXPECT_ERROR(cross_entropy(x, t, {.label_smoothing = 1.5}),
               "[cross_entropy] label_smoothing must be between 0.0 and 1.0, got 1.5");
  EXPECT_ERROR(cross_entropy(x, rand({4, 3}), {.label_smoothing = -0.1}), "label_smoothing must be between");
}

TEST(CrossEntropy, InputErrors) {
  EXPECT_ERROR(
      cross_entropy(tensor(1.0), tensor(int64_t{0})),
      "[cross_entropy] input [] float32 cpu has no class dim: expected [C], [N, C] or [N, C, d1, ...]");
  EXPECT_ERROR(cross_entropy(ones({4, 3}, {.dtype = kInt64}), labels({0, 1, 2, 1})),
               "[cross_entropy] input must be floating point");
  EXPECT_ERROR(cross_entropy(Tensor(), labels({0})), "[cross_entropy] input is an undefined tensor");
  EXPECT_ERROR(cross_entropy(randn({1, 3}), Tensor()), "[cross_entropy] target is an undefined tensor");
}

TEST(NllLoss, Errors) {
  const Tensor lp = strata::log_softmax(randn({4, 3}), 1);
  EXPECT_ERROR(
      nll_loss(lp, labels({0, 1, 2, 1}).to(kInt32)),
      "[nll_loss] class-index target [4] int32 cpu must be int64; convert it with .to(strata::kInt64)");
  EXPECT_ERROR(nll_loss(lp, rand({4, 3})),
               "[nll_loss] target [4, 3] float32 cpu must hold int64 class indices");
  EXPECT_ERROR(nll_loss(lp, labels({0, 1})),
               "[nll_loss] class-index target [2] int64 cpu does not fit input");
  EXPECT_ERROR(nll_loss(lp, labels({0, 1, 2, 1}), {.weight = ones({2})}),
               "[nll_loss] weight [2] float32 cpu");
  EXPECT_ERROR(nll_loss(tensor(0.5), tensor(int64_t{0})), "[nll_loss] input [] float32 cpu has no class dim");
}

}  // namespace
