// The fused softmax / log_softmax kernels, forward and backward: every lane layout the kernels walk
// (innermost contiguous rows, lanes across an outer dim, more lanes than one block, strided and
// broadcast operands, 0-d, empty) against the composed formulas in float64, the float32 results
// against float64 ones, and the gradient's create_graph fallback.
#include <cmath>

#include "support/test_util.h"

using namespace strata;
using strata::test::empty_leaf;
using strata::test::expect_error;
using strata::test::expect_values;
using strata::test::kInf;
using strata::test::kNaN;
using strata::test::leaf;
using strata::test::noncontiguous_leaf;

namespace {
using Inputs = std::vector<Tensor>;

// The reference: x - logsumexp(x) along dim, from composed public ops in float64.
Tensor reference(const Tensor& x, int64_t dim, bool log_space) {
  NoGradGuard no_grad;
  const Tensor x64 = x.to(kFloat64);
  const Tensor ls = x64 - logsumexp(x64, {dim}, true);
  return log_space ? ls : exp(ls);
}

std::vector<double> values(const Tensor& t) { return t.to(kFloat64).contiguous().to_vector<double>(); }

void expect_matches_reference(const Tensor& x, int64_t dim, double tol) {
  for (bool log_space : {false, true}) {
    SCOPED_TRACE(::testing::Message()
                 << (log_space ? "log_softmax" : "softmax") << " of " << x.describe() << " along " << dim);
    const Tensor got = log_space ? log_softmax(x, dim) : softmax(x, dim);
    EXPECT_EQ(got.shape(), x.shape());
    EXPECT_EQ(got.dtype(), x.dtype());
    EXPECT_TRUE(got.is_contiguous());
    expect_values(got, values(reference(x, dim, log_space)), tol, tol);
  }
}

Tensor randn64(const Shape& shape, uint64_t seed) {
  Generator g(seed);
  return randn(shape, {.dtype = kFloat64}, &g);
}
}  // namespace

TEST(SoftmaxFused, HandComputedValues) {
  // softmax([0, ln 3]) = [1/4, 3/4]; log_softmax = [ln 1/4, ln 3/4].
  const Tensor x = tensor({0.0, std::log(3.0)}, {.dtype = kFloat64});
  expect_values(softmax(x, 0), {0.25, 0.75}, 1e-15);
  expect_values(log_softmax(x, 0), {std::log(0.25), std::log(0.75)}, 1e-15);
  // Along dim 0 of a matrix: each column normalised on its own.
  const Tensor m = tensor({{0.0, 1.0}, {0.0, 1.0}}, {.dtype = kFloat64});
  expect_values(softmax(m, 0), {0.5, 0.5, 0.5, 0.5}, 1e-15);
  expect_values(
      softmax(m, 1),
      {1 / (1 + std::exp(1.0)), 1 / (1 + std::exp(-1.0)), 1 / (1 + std::exp(1.0)), 1 / (1 + std::exp(-1.0))},
      1e-15);
}

TEST(SoftmaxFused, EveryLaneLayoutMatchesTheComposedForm) {
  for (DType dt : {kFloat64, kFloat32}) {
    const double tol = dt == kFloat64 ? 1e-12 : 2e-6;
    const Tensor a = randn64({3, 5, 7}, 1).to(dt);
    for (int64_t dim : {0, 1, 2, -1}) expect_matches_reference(a, dim, tol);  // rows and outer lanes
    expect_matches_reference(a.permute({2, 0, 1}), 1, tol);                   // strided input
    expect_matches_reference(a.permute({2, 0, 1}), 0, tol);                   // dim with stride 1
    expect_matches_reference(a.slice(2, 0, 7, 2), 2, tol);                    // stepped slice
    expect_matches_reference(randn64({4, 150}, 2).to(dt), 0, tol);            // 150 lanes: 3 blocks
    expect_matches_reference(randn64({150, 4}, 3).to(dt).t(), 1, tol);        // strided lanes too
    expect_matches_reference(randn64({5}, 4).to(dt).expand({3, 5}), 1, tol);  // stride-0 input
    expect_matches_reference(randn64({3, 1, 4}, 5).to(dt), 1, tol);           // lanes of length 1
    expect_matches_reference(randn64({2, 3}, 6).to(dt) * 1e4, 1,
                             dt == kFloat64 ? 1e-9 : 1e-3);  // no overflow
  }
}

TEST(SoftmaxFused, ZeroDimEmptyAndNonFinite) {
  expect_values(softmax(tensor(3.0), 0), {1.0});
  expect_values(log_softmax(tensor(3.0), -1), {0.0});
  EXPECT_EQ(softmax(zeros({0, 3}), 1).shape(), Shape({0, 3}));
  EXPECT_EQ(log_softmax(zeros({2, 0}), 1).shape(), Shape({2, 0}));
  EXPECT_EQ(log_softmax(zeros({2, 0}), 0).shape(), Shape({2, 0}));
  // -inf logits get probability 0; an all -inf group is NaN, as is a group holding NaN or +inf.
  expect_values(softmax(tensor({-kInf, 0.0, 0.0}), 0), {0.0, 0.5, 0.5});
  expect_values(log_softmax(tensor({-kInf, 0.0}), 0), {-kInf, 0.0});
  expect_values(softmax(tensor({-kInf, -kInf}), 0), {kNaN, kNaN});
  expect_values(softmax(tensor({kNaN, 1.0}), 0), {kNaN, kNaN});
  expect_values(log_softmax(tensor({1.0, kNaN}), 0), {kNaN, kNaN});
  expect_values(softmax(tensor({kInf, 1.0}), 0), {kNaN, kNaN});
}

TEST(SoftmaxFused, BackwardMatchesTheComposedFormula) {
  for (bool log_space : {false, true}) {
    for (int64_t dim : {0, 1, 2}) {
      SCOPED_TRACE(::testing::Message() << (log_space ? "log_softmax" : "softmax") << " along " << dim);
      Tensor x = randn64({3, 4, 70}, 7).requires_grad_();
      const Tensor y = log_space ? log_softmax(x, dim) : softmax(x, dim);
      // Output gradients of every layout: contiguous, transposed, broadcast (stride 0).
      for (const Tensor& g : {randn64({3, 4, 70}, 8), randn64({70, 4, 3}, 9).permute({2, 1, 0}),
                              randn64({70}, 10).expand({3, 4, 70})}) {
        const Tensor got = autograd::grad({y}, {x}, {g}, /*retain_graph=*/true)[0];
        NoGradGuard no_grad;
        const Tensor yd = y.detach();
        const Tensor want =
            log_space ? g - exp(yd) * sum(g, {dim}, true) : yd * (g - sum(g * yd, {dim}, true));
        expect_values(got, values(want), 1e-12, 1e-12);
      }
    }
  }
}

TEST(SoftmaxFused, Float32BackwardIsCloseToFloat64) {
  Tensor x64 = randn64({6, 9}, 11).requires_grad_();
  Tensor x32 = x64.detach().to(kFloat32).requires_grad_();
  const Tensor g = randn64({6, 9}, 12);
  (log_softmax(x64, 0) * g).sum().backward();
  (log_softmax(x32, 0) * g.to(kFloat32)).sum().backward();
  expect_values(x32.grad(), values(x64.grad()), 1e-5, 1e-5);
}

TEST(SoftmaxFused, Gradcheck) {
  for (int64_t dim : {0, 1}) {
    auto sm = [dim](const Inputs& x) { return softmax(x[0], dim); };
    auto lsm = [dim](const Inputs& x) { return log_softmax(x[0], dim); };
    for (const Tensor& x :
         {leaf({3, 4}), noncontiguous_leaf({3, 4}, 1), empty_leaf({0, 4}), empty_leaf({3, 0})}) {
      SCOPED_TRACE(::testing::Message() << x.describe() << " dim " << dim);
      EXPECT_GRADCHECK(sm, {x});
      EXPECT_GRADCHECK(lsm, {x});
    }
  }
  auto middle = [](const Inputs& x) { return log_softmax(x[0], 1); };
  EXPECT_GRADCHECK(middle, {noncontiguous_leaf({2, 3, 4}, 2)});
  // A broadcast (expanded) input: the gradient sums over the broadcast dim.
  EXPECT_GRADCHECK([](const Inputs& x) { return softmax(x[0].expand({3, 4}), 1); }, {leaf({4}, 3)});
  EXPECT_GRADCHECK([](const Inputs& x) { return softmax(x[0], 0); }, {leaf({})});
  EXPECT_GRADCHECK([](const Inputs& x) { return log_softmax(x[0], 0); }, {leaf({})});
}

TEST(SoftmaxFused, DoubleBackwardUsesTheComposedGradient) {
  for (int64_t dim : {0, 1}) {
    auto sm = [dim](const Inputs& x) { return softmax(x[0], dim); };
    auto lsm = [dim](const Inputs& x) { return log_softmax(x[0], dim); };
    EXPECT_GRADGRADCHECK(sm, {leaf({3, 4})});
    EXPECT_GRADGRADCHECK(lsm, {leaf({3, 4})});
    EXPECT_GRADGRADCHECK(lsm, {noncontiguous_leaf({3, 4}, 4)});
  }
  // create_graph: the first gradient is itself differentiable.
  Tensor x = randn64({2, 3}, 5).requires_grad_();
  const Tensor y = log_softmax(x, 1);
  const Tensor gx = autograd::grad({(y * y).sum()}, {x}, {}, true, /*create_graph=*/true)[0];
  EXPECT_TRUE(gx.requires_grad());
  EXPECT_EQ(log_softmax(x, 1).grad_fn_name(), "LogSoftmaxBackward");
  EXPECT_EQ(softmax(x, 1).grad_fn_name(), "SoftmaxBackward");
}

TEST(SoftmaxFused, ErrorMessages) {
  EXPECT_ERROR(softmax(tensor({1, 2}), 0), "[softmax] needs a floating-point tensor, got [2] int64 cpu");
  EXPECT_ERROR(log_softmax(ones({2}, {.dtype = kFloat16}), 0),
               "[log_softmax] is not implemented for dtype float16: [2] float16 cpu");
  EXPECT_ERROR(softmax(ones({2, 3}), 2), "[softmax] dim 2 is out of range for a tensor with 2 dims");
  EXPECT_ERROR(log_softmax(Tensor(), 0), "[log_softmax] operand 0 is an undefined tensor");
  Tensor x = ones({2, 3}).requires_grad_();
  Tensor y = softmax(x, 1);
  {
    NoGradGuard no_grad;
    y.mul_(2.0);
  }
  EXPECT_ERROR(y.sum().backward(), "[SoftmaxBackward] the tensor 'result'");
}
