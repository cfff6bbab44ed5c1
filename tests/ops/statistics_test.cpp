// var, std and norm: values against PyTorch 1.13, correction and keepdim, the points where the
// gradient is defined by convention (constant input, zero vector), gradients and errors.
#include <cmath>
#include <limits>

#include "support/test_util.h"

using namespace strata;
using strata::test::empty_leaf;
using strata::test::expect_error;
using strata::test::expect_values;
using strata::test::kInf;
using strata::test::kNaN;
using strata::test::leaf;
using strata::test::leaf_of;
using strata::test::noncontiguous_leaf;

namespace {
using Inputs = std::vector<Tensor>;

Tensor sample() { return tensor({{1.0, 2.0, 4.0}, {-3.0, 0.5, 8.0}}, {.dtype = kFloat64}); }
}  // namespace

// ---- var / std ----

TEST(VarStd, ValuesMatchPyTorch) {
  const Tensor x = sample();
  expect_values(var(x), {13.641666666667});
  expect_values(var(x, {1}), {2.333333333333, 31.583333333333});
  expect_values(var(x, {0}, 0), {4.0, 0.5625, 4.0});
  expect_values(strata::std(x), {3.693462693282});
  expect_values(strata::std(x, {1}, 1, true), {1.527525231652, 5.619905100029});
  EXPECT_EQ(strata::std(x, {1}, 1, true).shape(), Shape({2, 1}));
  EXPECT_EQ(x.var({0, 1}).dim(), 0);
  EXPECT_EQ(var(tensor({1.0f, 2.0f})).dtype(), kFloat32);
  // n <= correction: PyTorch divides by max(0, n - correction).
  expect_values(var(tensor({1.0, 2.0}, {.dtype = kFloat64}), {}, 3), {kInf});
  expect_values(var(tensor({1.0, 2.0}, {.dtype = kFloat64}), {}, -1), {0.5 / 3});
  expect_values(var(tensor({1.0})), {kNaN});
  expect_values(var(tensor(3.0)), {kNaN});
  expect_values(var(zeros({0})), {kNaN});
  expect_values(var(zeros({2, 0}), {0}), {});
}

TEST(VarStd, Gradients) {
  auto v_all = [](const Inputs& x) { return var(x[0]); };
  auto v_dims = [](const Inputs& x) { return var(x[0], {0, 2}, 1, true); };
  auto s_dim = [](const Inputs& x) { return strata::std(x[0], {1}, 0); };
  auto s_all = [](const Inputs& x) { return strata::std(x[0]); };
  EXPECT_GRADCHECK(v_all, {leaf({3, 4})});
  EXPECT_GRADCHECK(v_dims, {noncontiguous_leaf({2, 3, 4})});
  EXPECT_GRADCHECK(s_dim, {leaf({3, 4}, 2)});
  EXPECT_GRADCHECK(s_dim, {noncontiguous_leaf({3, 4})});
  EXPECT_GRADCHECK([](const Inputs& x) { return var(x[0], {}, 0); }, {leaf({})});
  EXPECT_GRADCHECK(v_dims, {empty_leaf({2, 0, 3})});
  EXPECT_GRADGRADCHECK(v_dims, {leaf({2, 3, 2})});
  EXPECT_GRADGRADCHECK(s_all, {leaf({5})});
  // std of a constant group: the gradient is 0 (PyTorch), not NaN.
  Tensor c = leaf_of({1, 1, 2, 3}, {2, 2});
  strata::std(c, {1}).sum().backward();
  expect_values(c.grad(), {0, 0, -0.7071067811865476, 0.7071067811865476});
}

TEST(VarStd, Errors) {
  expect_error([] { var(tensor({1, 2})); }, "[var] needs a floating-point tensor, got [2] int64 cpu");
  expect_error([] { strata::std(tensor({1, 2})); }, "[std] needs a floating-point tensor");
  expect_error([] { var(zeros({2, 2}), {0, 0}); }, "[var] dim 0 appears twice");
  expect_error([] { strata::std(zeros({2, 2}), {3}); }, "[std] dim 3 is out of range");
}

// ---- norm ----

TEST(Norm, ValuesMatchPyTorch) {
  const Tensor x = sample();
  expect_values(norm(x), {9.708243919474});
  expect_values(x.norm(), {9.708243919474});
  expect_values(norm(x, 1, {1}), {7.0, 11.5});
  expect_values(norm(x, kInf), {8});
  expect_values(norm(x, -kInf, {0}), {1.0, 0.5, 4.0});
  expect_values(norm(x, 3, {1}), {4.179339196381, 8.138852110107});
  expect_values(norm(x, 0.5), {93.737217854731}, 1e-9);
  expect_values(norm(x, 0), {6});
  expect_values(norm(x, -1, {1}), {0.571428571429, 0.406779661017});
  EXPECT_EQ(norm(x, 2, {1}, true).shape(), Shape({2, 1}));
  EXPECT_EQ(norm(tensor({3.0f, 4.0f})).dtype(), kFloat32);
  expect_values(norm(tensor({3.0f, 4.0f})), {5});
  expect_values(norm(tensor(-3.0)), {3});
  expect_values(norm(zeros({0})), {0});
  expect_values(norm(zeros({0}), kInf), {0});
  expect_values(norm(zeros({3, 0}), kInf, {1}), {0, 0, 0});
  expect_values(norm(tensor({1.0, kNaN}), kInf), {kNaN});
}

TEST(Norm, Gradients) {
  for (double p : {2.0, 1.0, 3.0, 1.5, 0.5, -1.0, kInf, -kInf}) {
    SCOPED_TRACE("p = " + std::to_string(p));
    auto all = [p](const Inputs& x) { return norm(x[0], p); };
    auto dims = [p](const Inputs& x) { return norm(x[0], p, {0, 2}, true); };
    auto dim = [p](const Inputs& x) { return norm(x[0], p, {1}); };
    EXPECT_GRADCHECK(all, {leaf({3, 4})});
    EXPECT_GRADCHECK(dims, {noncontiguous_leaf({2, 3, 4})});
    EXPECT_GRADCHECK(dim, {leaf({2, 3}, 4)});
    EXPECT_GRADCHECK(all, {leaf({})});
  }
  EXPECT_GRADCHECK([](const Inputs& x) { return norm(x[0], 2, {1}); }, {empty_leaf({0, 3})});
  EXPECT_GRADCHECK([](const Inputs& x) { return norm(x[0], 2, {1}); }, {empty_leaf({3, 0})});
  EXPECT_GRADGRADCHECK([](const Inputs& x) { return norm(x[0], 2, {1}); }, {leaf({2, 3})});
  EXPECT_GRADGRADCHECK([](const Inputs& x) { return norm(x[0], 3); }, {leaf({4})});
}

TEST(Norm, GradientAtZeroAndTies) {
  // PyTorch: every p-norm has gradient 0 at the zero vector (not NaN); p = 0.5 at [0, 0, 1] is [0, 0, 1].
  for (double p : {2.0, 1.0, 3.0, 1.5, 0.5}) {
    Tensor z = leaf_of({0, 0, 0}, {3});
    norm(z, p).backward();
    expect_values(z.grad(), {0, 0, 0});
  }
  Tensor h = leaf_of({0, 0, 1}, {3});
  norm(h, 0.5).backward();
  expect_values(h.grad(), {0, 0, 1});
  // inf-norm: the gradient is shared by the elements of largest |x|, with their sign.
  Tensor t = leaf_of({3, -3, 1}, {3});
  norm(t, kInf).backward();
  expect_values(t.grad(), {0.5, -0.5, 0});
  Tensor n0 = leaf_of({0, 2}, {2});
  norm(n0, 0).backward();
  expect_values(n0.grad(), {0, 0});
}

TEST(Norm, Errors) {
  expect_error([] { norm(tensor({1, 2})); }, "[norm] needs a floating-point tensor, got [2] int64 cpu");
  expect_error([] { norm(zeros({2}), 2, {1}); }, "[norm] dim 1 is out of range");
  expect_error([] { norm(zeros({2}), std::nan("")); }, "[norm] p must be a number");
}
