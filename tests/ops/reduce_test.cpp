// Reductions: sum/mean (dims, keepdim), prod (with zeros), max/min/argmax/argmin, cumsum.
// Values, dtype rules, NaN and ties, gradients on ordinary / non-contiguous / 0-d / empty inputs,
// and one error message per op. Values marked "PyTorch" were computed with PyTorch 1.13.
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

void expect_ints(const Tensor& t, const std::vector<int64_t>& want) {
  EXPECT_EQ(t.dtype(), kInt64) << t.describe();
  EXPECT_EQ(t.to_vector<int64_t>(), want);
}
Tensor f64(std::initializer_list<double> v, const Shape& shape) {
  return from_vector(std::vector<double>(v), shape, {.dtype = kFloat64});
}
}  // namespace

// ---- sum / mean ----

TEST(Sum, ValuesDimsKeepdimAndDtypes) {
  Tensor x = tensor({{1, 2, 3}, {4, 5, 6}});
  expect_ints(sum(x), {21});
  expect_ints(sum(x, {0}), {5, 7, 9});
  EXPECT_EQ(sum(x, {1}, true).shape(), Shape({2, 1}));
  expect_ints(sum(x, {-1, 0}), {21});
  EXPECT_EQ(sum(tensor({true, true, false})).dtype(), kInt64);
  expect_values(sum(zeros({0, 3})), {0});
  expect_values(mean(tensor({{1.0, 2.0}, {3.0, 5.0}}), {1}), {1.5, 4.0});
  EXPECT_TRUE(std::isnan(mean(zeros({0})).item<double>()));
}

TEST(Sum, Gradients) {
  auto s = [](const Inputs& x) { return sum(x[0], {0, 2}, true); };
  auto m = [](const Inputs& x) { return mean(x[0], {1}); };
  EXPECT_GRADCHECK(s, {leaf({2, 3, 4})});
  EXPECT_GRADCHECK(m, {noncontiguous_leaf({3, 4, 2})});
  EXPECT_GRADCHECK([](const Inputs& x) { return sum(x[0]); }, {leaf({})});
  EXPECT_GRADCHECK([](const Inputs& x) { return sum(x[0], {1}); }, {empty_leaf({2, 0})});
}

TEST(Sum, Errors) {
  expect_error([] { sum(zeros({2, 3}), {2}); }, "[sum] dim 2 is out of range");
  expect_error([] { sum(zeros({2, 3}), {1, -1}); }, "[sum] dim 1 appears twice");
  expect_error([] { mean(tensor({1, 2})); }, "[mean] needs a floating-point tensor, got [2] int64");
}

// ---- prod ----

TEST(Prod, ValuesAndDtypes) {
  expect_values(prod(tensor({{2.0, 3.0}, {4.0, 0.5}})), {12});
  expect_values(prod(tensor({{2.0, 3.0}, {4.0, 0.5}}), 1), {6, 2});
  EXPECT_EQ(prod(tensor({{2.0, 3.0}}), 0, true).shape(), Shape({1, 2}));
  expect_ints(prod(tensor({2, 3, 4}).to(kInt32)), {24});
  expect_ints(prod(tensor({true, true}), 0), {1});
  EXPECT_EQ(prod(tensor({1, 2}).to(kUInt8)).dtype(), kInt64);
  EXPECT_EQ(prod(tensor({1.5f})).dtype(), kFloat32);
  expect_values(prod(zeros({0})), {1});
  expect_values(prod(zeros({2, 0}), 1), {1, 1});
  expect_values(prod(tensor(3.0), 0), {3});
}

TEST(Prod, GradientWithZeros) {
  // PyTorch: d prod / dx for [2, 0, 3] is [0, 6, 0]; for [0, 0, 3] it is all 0.
  for (auto [values, want] : std::vector<std::pair<std::vector<double>, std::vector<double>>>{
           {{2, 0, 3}, {0, 6, 0}}, {{0, 0, 3}, {0, 0, 0}}, {{2, 3, 4}, {12, 8, 6}}}) {
    Tensor x = from_vector(values, {3}, {.dtype = kFloat64}).requires_grad_();
    prod(x).backward();
    expect_values(x.grad(), want);
  }
  auto all = [](const Inputs& x) { return prod(x[0]); };
  auto along = [](const Inputs& x) { return prod(x[0], 1, true); };
  auto along_squeezed = [](const Inputs& x) { return prod(x[0], 0); };
  EXPECT_GRADCHECK(all, {leaf({2, 3})});
  EXPECT_GRADCHECK(along, {noncontiguous_leaf({3, 4})});
  EXPECT_GRADCHECK(along_squeezed, {leaf({3, 2}, 3)});
  // One zero in a row, two zeros in another, none in the third.
  Tensor z = leaf_of({1.5, 0.0, -2.0, 0.0, 0.7, 0.0, 0.3, -1.1, 2.0}, {3, 3});
  EXPECT_GRADCHECK(along, {z});
  EXPECT_GRADCHECK(all, {leaf_of({1.5, 0.0, -2.0, 0.9}, {4})});
  EXPECT_GRADGRADCHECK(along, {z});
  EXPECT_GRADGRADCHECK(all, {leaf_of({1.5, 0.0, -2.0, 0.9}, {4})});
  EXPECT_GRADGRADCHECK(all, {leaf_of({1.5, 0.0, -2.0, 0.0}, {2, 2})});
  EXPECT_GRADGRADCHECK(all, {leaf_of({0.0, 0.0, 0.0, 0.9}, {4})});
  EXPECT_GRADCHECK(all, {leaf({})});
  EXPECT_GRADCHECK(along, {empty_leaf({0, 3})});
}

TEST(Prod, Errors) {
  expect_error([] { prod(zeros({2, 3}), 2); }, "[prod] dim 2 is out of range for a tensor with 2 dims");
  expect_error([] { prod(Tensor()); }, "[prod] operand 0 is an undefined tensor");
}

// ---- max / min over everything ----

TEST(MaxMin, WholeTensorValues) {
  Tensor x = tensor({{1.0, 7.0}, {-3.0, 7.0}});
  expect_values(max(x), {7});
  expect_values(min(x), {-3});
  EXPECT_EQ(max(x).dim(), 0);
  EXPECT_EQ(max(tensor({1, 5, 3}).to(kUInt8)).dtype(), kUInt8);
  EXPECT_EQ(max(tensor({true, false})).item<bool>(), true);
  expect_values(max(tensor({1.0, kNaN, 3.0})), {kNaN});
  expect_values(min(tensor({1.0, kNaN, 3.0})), {kNaN});
  expect_values(max(f64({-kInf, -kInf}, {2})), {-kInf});
  expect_values(min(f64({kInf}, {1})), {kInf});
  expect_ints(max(tensor({-5, -9})), {-5});
}

TEST(MaxMin, WholeTensorGradientSharedByTies) {
  // PyTorch: max of [3, 1, 3] sends 0.5 to each 3.
  Tensor x = leaf_of({3, 1, 3}, {3});
  max(x).backward();
  expect_values(x.grad(), {0.5, 0, 0.5});
  Tensor y = leaf_of({3, kNaN, 3}, {3});
  max(y).backward();
  expect_values(y.grad(), {0, 1, 0});
  EXPECT_GRADCHECK([](const Inputs& v) { return max(v[0]); }, {noncontiguous_leaf({3, 4})});
  EXPECT_GRADCHECK([](const Inputs& v) { return min(v[0]); }, {leaf({2, 3})});
  EXPECT_GRADCHECK([](const Inputs& v) { return min(v[0]); }, {leaf({})});
  EXPECT_GRADGRADCHECK([](const Inputs& v) { return max(v[0]) * max(v[0]); }, {leaf({4})});
}

TEST(MaxMin, WholeTensorErrors) {
  expect_error(
      [] {
        max(zeros({2, 0}));
      },
      "[max] the empty tensor [2, 0] float32 cpu has no largest element");
  expect_error([] { min(zeros({0})); }, "[min] the empty tensor [0] float32 cpu has no smallest element");
}

// ---- max / min along a dim ----

TEST(MaxMin, AlongDimValuesIndicesTiesAndNaN) {
  Tensor x = tensor({{1.0, 5.0, 5.0}, {4.0, -1.0, 0.0}});
  auto [v, i] = max(x, 1);
  expect_values(v, {5, 4});
  expect_ints(i, {1, 0});  // first index on ties
  auto [v0, i0] = min(x, 0, true);
  EXPECT_EQ(v0.shape(), Shape({1, 3}));
  expect_values(v0, {1, -1, 0});
  expect_ints(i0, {0, 1, 1});
  // PyTorch: max/min of [1, nan, 3, nan] along 0 is (nan, 1).
  auto [vn, in] = max(tensor({1.0, kNaN, 3.0, kNaN}), 0);
  expect_values(vn, {kNaN});
  expect_ints(in, {1});
  auto [vm, im] = min(tensor({1.0, kNaN, 3.0, kNaN}), 0);
  expect_values(vm, {kNaN});
  expect_ints(im, {1});
  // NaN along dim 0 of a matrix, where lanes are walked together.
  auto [vc, ic] = max(f64({1, 2, kNaN, 0, 5, kNaN}, {3, 2}), 0);
  expect_values(vc, {kNaN, kNaN});
  expect_ints(ic, {1, 2});
  auto [vb, ib] = max(tensor({false, true, true}), 0);
  EXPECT_EQ(vb.dtype(), kBool);
  EXPECT_TRUE(vb.item<bool>());
  expect_ints(ib, {1});
  auto [vs, is] = max(tensor(3.0), 0);
  expect_values(vs, {3});
  expect_ints(is, {0});
  auto [ve, ie] = max(zeros({2, 0}), 0);
  EXPECT_EQ(ve.shape(), Shape({0}));
  EXPECT_EQ(ie.shape(), Shape({0}));
}

TEST(MaxMin, AlongDimMatchesAcrossLayouts) {
  // The lane-scan and sweep paths of the kernel, on contiguous, transposed and sliced inputs.
  Generator g(7);
  Tensor base = randn({5, 6, 7}, {.dtype = kFloat64}, &g);
  for (const Tensor& x : {base, base.transpose(0, 2), base.slice(1, 1, 6, 2)}) {
    for (int64_t d = 0; d < 3; ++d) {
      auto [v, i] = max(x, d, true);
      auto [vmin, imin] = min(x, d);
      const Tensor c = x.contiguous();
      auto xs = c.to_vector<double>();
      // Check against a plain loop over the contiguous copy.
      const Shape& sh = c.shape();
      const auto vv = v.to_vector<double>(), mv = vmin.to_vector<double>();
      const auto iv = i.to_vector<int64_t>(), miv = imin.to_vector<int64_t>();
      int64_t outer = 1, inner = 1;
      for (int64_t k = 0; k < d; ++k) outer *= sh[k];
      for (int64_t k = d + 1; k < 3; ++k) inner *= sh[k];
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t in = 0; in < inner; ++in) {
          double best = -kInf, worst = kInf;
          int64_t at = 0, at_min = 0;
          for (int64_t k = 0; k < sh[d]; ++k) {
            const double e = xs[(o * sh[d] + k) * inner + in];
            if (e > best) {
              best = e;
              at = k;
            }
            if (e < worst) {
              worst = e;
              at_min = k;
            }
          }
          EXPECT_EQ(vv[o * inner + in], best);
          EXPECT_EQ(iv[o * inner + in], at);
          EXPECT_EQ(mv[o * inner + in], worst);
          EXPECT_EQ(miv[o * inner + in], at_min);
        }
      }
    }
  }
}

TEST(MaxMin, AlongDimGradients) {
  Tensor x = leaf_of({1, 5, 5, 4, -1, 0}, {2, 3});
  max(x, 1).values.sum().backward();
  expect_values(x.grad(), {0, 1, 0, 1, 0, 0});  // the tie's gradient goes to the returned index
  auto mx = [](const Inputs& v) { return max(v[0], 1).values; };
  auto mn_keep = [](const Inputs& v) { return min(v[0], 0, true).values; };
  EXPECT_GRADCHECK(mx, {leaf({3, 4})});
  EXPECT_GRADCHECK(mn_keep, {noncontiguous_leaf({3, 4, 2})});
  EXPECT_GRADCHECK(mx, {leaf({2, 3, 4}, 5)});
  EXPECT_GRADCHECK([](const Inputs& v) { return max(v[0], 0).values; }, {leaf({})});
  EXPECT_GRADCHECK([](const Inputs& v) { return max(v[0], 0).values; }, {empty_leaf({3, 0})});
  EXPECT_GRADGRADCHECK([](const Inputs& v) { return max(v[0], 1).values * 2.0; }, {leaf({2, 3})});
  EXPECT_FALSE(max(leaf({2, 3}), 1).indices.requires_grad());
}

TEST(MaxMin, AlongDimErrors) {
  expect_error(
      [] {
        max(zeros({0, 3}), 0);
      },
      "[max] cannot reduce dim 0 of [0, 3] float32 cpu: it has size 0, so there is no largest element");
  expect_error([] { min(zeros({2, 3}), 2); }, "[min] dim 2 is out of range for a tensor with 2 dims");
}

// ---- argmax / argmin ----

TEST(ArgMaxMin, Values) {
  Tensor x = tensor({{1.0, 9.0, 9.0}, {-4.0, 2.0, -4.0}});
  expect_ints(argmax(x), {1});  // flat index, first on ties
  expect_ints(argmin(x), {3});
  EXPECT_EQ(argmax(x).dim(), 0);
  expect_ints(argmax(x, 1), {1, 1});
  expect_ints(argmin(x, 0, true), {1, 1, 1});
  EXPECT_EQ(argmin(x, 0, true).shape(), Shape({1, 3}));
  expect_ints(argmax(x.t()), {2});  // flat index of the transposed (non-contiguous) tensor
  expect_ints(argmax(tensor({1.0, kNaN, 3.0, kNaN})), {1});
  expect_ints(argmin(tensor({{1, 5}, {3, 0}}).to(kUInt8), 1), {0, 1});
  expect_ints(argmax(tensor(3.0)), {0});
  expect_ints(argmax(tensor(3.0), 0), {0});
  EXPECT_EQ(argmax(zeros({2, 0}), 0).shape(), Shape({0}));
}

TEST(ArgMaxMin, Errors) {
  expect_error(
      [] {
        argmax(zeros({2, 0}));
      },
      "[argmax] the empty tensor [2, 0] float32 cpu has no largest element");
  expect_error([] { argmin(zeros({0, 2}), 0); }, "[argmin] cannot reduce dim 0 of [0, 2] float32 cpu");
  expect_error([] { argmax(tensor({true, false})); }, "[argmax] is not defined for bool tensors");
  expect_error([] { argmin(zeros({2}), 1); }, "[argmin] dim 1 is out of range");
}

// ---- cumsum ----

TEST(Cumsum, ValuesAndDtypes) {
  Tensor x = tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  expect_values(cumsum(x, 1), {1, 3, 6, 4, 9, 15});
  expect_values(cumsum(x, 0), {1, 2, 3, 5, 7, 9});
  expect_values(cumsum(x.t(), 1), {1, 5, 2, 7, 3, 9});
  expect_values(cumsum(x, -1), {1, 3, 6, 4, 9, 15});
  EXPECT_EQ(cumsum(tensor({1, 2}).to(kInt32), 0).dtype(), kInt64);
  expect_ints(cumsum(tensor({true, true, false}), 0), {1, 2, 2});
  EXPECT_EQ(cumsum(tensor({1.0f}), 0).dtype(), kFloat32);
  expect_values(cumsum(tensor(3.0), 0), {3});
  EXPECT_EQ(cumsum(zeros({0, 2}), 0).shape(), Shape({0, 2}));
}

TEST(Cumsum, GradientIsReversedCumsum) {
  Tensor x = leaf_of({1, 2, 3, 4}, {4});
  cumsum(x, 0).backward(f64({1, 10, 100, 1000}, {4}));
  expect_values(x.grad(), {1111, 1110, 1100, 1000});
  auto along0 = [](const Inputs& v) { return cumsum(v[0], 0); };
  auto along1 = [](const Inputs& v) { return cumsum(v[0], 1); };
  EXPECT_GRADCHECK(along1, {leaf({3, 4})});
  EXPECT_GRADCHECK(along0, {noncontiguous_leaf({4, 3})});
  EXPECT_GRADCHECK(along1, {noncontiguous_leaf({2, 5, 3})});
  EXPECT_GRADCHECK(along0, {leaf({})});
  EXPECT_GRADCHECK(along1, {empty_leaf({0, 3})});
  EXPECT_GRADGRADCHECK([](const Inputs& v) { return cumsum(v[0] * v[0], 1); }, {leaf({2, 3})});
}

TEST(Cumsum, Errors) {
  expect_error([] { cumsum(zeros({2}), 1); }, "[cumsum] dim 1 is out of range for a tensor with 1 dims");
}
