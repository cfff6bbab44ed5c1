// Factories: constants, ranges, random values and tensors from C++ data. Expected values and
// dtypes are PyTorch 1.13's (the Python expression is quoted where it is not obvious).
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <string>
#include <tuple>
#include <vector>

#include "support/test_util.h"

using namespace strata;
using strata::test::expect_error;

namespace {

double mean_of(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); }
double variance_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return s / v.size();
}

}  // namespace

// ---- constants ----

TEST(Factories, EmptyHasShapeDtypeAndContiguousStrides) {
  Tensor t = empty({2, 3, 4});
  EXPECT_EQ(t.shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(t.strides(), (Shape{12, 4, 1}));
  EXPECT_EQ(t.dtype(), kFloat32);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(empty({2}, {.dtype = kInt32}).dtype(), kInt32);
  EXPECT_EQ(empty({0, 5}).numel(), 0);
  EXPECT_EQ(empty({}).dim(), 0);
  EXPECT_EQ(empty({}).numel(), 1);
}

TEST(Factories, NegativeSizeIsAnError) {
  expect_error([] { zeros({2, -1}); }, "negative size");
}

TEST(Factories, ZerosAndOnes) {
  EXPECT_EQ(zeros({2, 2}).to_vector<float>(), (std::vector<float>{0, 0, 0, 0}));
  EXPECT_EQ(ones({3}).to_vector<float>(), (std::vector<float>{1, 1, 1}));
  EXPECT_EQ(ones({2}, {.dtype = kInt64}).to_vector<int64_t>(), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(zeros({2}, {.dtype = kBool}).to_vector<bool>(), (std::vector<bool>{false, false}));
  EXPECT_EQ(ones({2}, {.dtype = kFloat16}).to_vector<float>(), (std::vector<float>{1, 1}));
  EXPECT_EQ(zeros({2}).dtype(), kFloat32);
  EXPECT_EQ(ones({2}, {.dtype = kFloat64}).dtype(), kFloat64);
}

TEST(Factories, RequiresGradOption) {
  Tensor t = zeros({2}, {.dtype = kFloat64, .requires_grad = true});
  EXPECT_TRUE(t.requires_grad());
  EXPECT_TRUE(t.is_leaf());
  expect_error([] { zeros({2}, {.dtype = kInt64, .requires_grad = true}); }, "only floating-point");
}

TEST(Factories, FullTakesItsDtypeFromTheValue) {
  // torch.full((2,), 7) -> int64; 2.5 -> float32; True -> bool
  EXPECT_EQ(full({2}, 7).dtype(), kInt64);
  EXPECT_EQ(full({2}, 7).to_vector<int64_t>(), (std::vector<int64_t>{7, 7}));
  EXPECT_EQ(full({2}, 2.5).dtype(), kFloat32);
  EXPECT_EQ(full({2}, 2.5).to_vector<float>(), (std::vector<float>{2.5f, 2.5f}));
  EXPECT_EQ(full({2}, true).dtype(), kBool);
  EXPECT_EQ(full({2}, 2.5, {.dtype = kFloat64}).dtype(), kFloat64);
  EXPECT_EQ(full({2}, 2.7, {.dtype = kInt64}).to_vector<int64_t>(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(full({}, -3).item<int64_t>(), -3);
}

// ---- ranges ----

TEST(Factories, ArangeIntegers) {
  Tensor t = arange(5);
  EXPECT_EQ(t.dtype(), kInt64);
  EXPECT_EQ(t.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(arange(0, 10, 3).to_vector<int64_t>(), (std::vector<int64_t>{0, 3, 6, 9}));
  EXPECT_EQ(arange(10, 0, -3).to_vector<int64_t>(), (std::vector<int64_t>{10, 7, 4, 1}));
  EXPECT_EQ(arange(5, 5).numel(), 0);
  EXPECT_EQ(arange(5, 5).dtype(), kInt64);
}

TEST(Factories, ArangeFloats) {
  // Any floating argument makes the result float32.
  EXPECT_EQ(arange(0.5, 3).dtype(), kFloat32);
  EXPECT_EQ(arange(0.5, 3).to_vector<float>(), (std::vector<float>{0.5f, 1.5f, 2.5f}));
  EXPECT_EQ(arange(1, 2.5, 0.5).to_vector<float>(), (std::vector<float>{1.0f, 1.5f, 2.0f}));
  EXPECT_EQ(arange(0.0, -1.0, -0.25).to_vector<float>(), (std::vector<float>{0.0f, -0.25f, -0.5f, -0.75f}));
  // torch.arange(1, 1.3, 0.1) has 4 elements: (1.3 - 1) / 0.1 rounds up past 3.
  EXPECT_EQ(arange(1, 1.3, 0.1).to_vector<float>(), (std::vector<float>{1.0f, 1.1f, 1.2f, 1.3f}));
  Tensor d = arange(5, {.dtype = kFloat64});
  EXPECT_EQ(d.dtype(), kFloat64);
  EXPECT_EQ(d.to_vector<double>(), (std::vector<double>{0, 1, 2, 3, 4}));
}

TEST(Factories, ArangeErrors) {
  expect_error([] { arange(0, 10, 0); }, "[arange] step must be non-zero");
  expect_error([] { arange(0, -1); }, "[arange]");
  expect_error([] { arange(-3); }, "[arange]");
  expect_error([] { arange(0, 5, -1); }, "[arange]");
}

TEST(Factories, ArangeOfANonFiniteRangeIsAStrataError) {
  expect_error([] { arange(0.0, std::numeric_limits<double>::quiet_NaN()); }, "[arange]");
  expect_error([] { arange(0.0, std::numeric_limits<double>::infinity()); }, "[arange]");
  expect_error([] { arange(0.0, 1.0, std::numeric_limits<double>::quiet_NaN()); }, "[arange]");
}

TEST(Factories, LinspaceEndpointsAreExact) {
  EXPECT_EQ(linspace(0, 1, 5).to_vector<float>(), (std::vector<float>{0, 0.25f, 0.5f, 0.75f, 1}));
  // torch.linspace(0, 1, 11) equals (arange(11) / 10) rounded to float32, element for element.
  std::vector<float> expected;
  for (int i = 0; i <= 10; ++i) expected.push_back(static_cast<float>(i / 10.0));
  EXPECT_EQ(linspace(0, 1, 11).to_vector<float>(), expected);
  const std::vector<std::tuple<double, double, int64_t>> ranges{
      {0.1, 0.7, 7}, {-3.3, 7.9, 13}, {5.0, -2.0, 4}, {1e-3, 1e3, 101}};
  for (auto [a, b, n] : ranges) {
    const std::vector<float> v = linspace(a, b, n).to_vector<float>();
    ASSERT_EQ(v.size(), static_cast<size_t>(n));
    EXPECT_EQ(v.front(), static_cast<float>(a));
    EXPECT_EQ(v.back(), static_cast<float>(b));
  }
  const std::vector<double> d = linspace(-1, 1, 7, {.dtype = kFloat64}).to_vector<double>();
  for (int i = 0; i < 7; ++i) EXPECT_NEAR(d[i], -1.0 + i / 3.0, 1e-15);
  EXPECT_EQ(linspace(3, 1, 0).numel(), 0);
  EXPECT_EQ(linspace(3, 1, 0).dtype(), kFloat32);
  expect_error([] { linspace(0, 1, -1); }, "[linspace] steps must be non-negative");
}

TEST(Factories, LinspaceWithOneStepIsStart) {
  EXPECT_EQ(linspace(0, 1, 1).to_vector<float>(), (std::vector<float>{0}));
  EXPECT_EQ(linspace(-2.5, 7, 1, {.dtype = kFloat64}).to_vector<double>(), (std::vector<double>{-2.5}));
}

TEST(Factories, Eye) {
  EXPECT_EQ(eye(2).to_vector<float>(), (std::vector<float>{1, 0, 0, 1}));
  Tensor wide = eye(2, 3);
  EXPECT_EQ(wide.shape(), (Shape{2, 3}));
  EXPECT_EQ(wide.to_vector<float>(), (std::vector<float>{1, 0, 0, 0, 1, 0}));
  EXPECT_EQ(eye(3, 2).to_vector<float>(), (std::vector<float>{1, 0, 0, 1, 0, 0}));
  EXPECT_EQ(eye(0).shape(), (Shape{0, 0}));
  EXPECT_EQ(eye(2, std::nullopt, {.dtype = kInt64}).to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 0, 1}));
  expect_error([] { eye(-1); }, "[eye] sizes must be non-negative");
}

// ---- random ----

TEST(Factories, RandIsUniformOnZeroOne) {
  manual_seed(1);
  const std::vector<double> v = rand({20000}, {.dtype = kFloat64}).to_vector<double>();
  for (double x : v) ASSERT_TRUE(x >= 0.0 && x < 1.0) << x;
  EXPECT_NEAR(mean_of(v), 0.5, 0.01);
  EXPECT_NEAR(variance_of(v), 1.0 / 12.0, 0.005);
  EXPECT_EQ(rand({3}).dtype(), kFloat32);
  EXPECT_EQ(rand({3}, {.dtype = kFloat16}).dtype(), kFloat16);
}

TEST(Factories, RandnIsStandardNormal) {
  manual_seed(2);
  const std::vector<double> v = randn({20000}, {.dtype = kFloat64}).to_vector<double>();
  EXPECT_NEAR(mean_of(v), 0.0, 0.03);
  EXPECT_NEAR(variance_of(v), 1.0, 0.04);
  const auto beyond = std::count_if(v.begin(), v.end(), [](double x) { return std::fabs(x) > 1.96; });
  EXPECT_NEAR(static_cast<double>(beyond) / v.size(), 0.05, 0.01);
  EXPECT_EQ(randn({3}, {.dtype = kBFloat16}).dtype(), kBFloat16);
}

TEST(Factories, RandomValuesNeedAFloatingDtype) {
  expect_error([] { rand({2}, {.dtype = kInt64}); }, "[rand] needs a floating-point dtype");
  expect_error([] { randn({2}, {.dtype = kBool}); }, "[randn] needs a floating-point dtype");
}

TEST(Factories, ManualSeedReproduces) {
  manual_seed(42);
  const auto a = randn({50}).to_vector<float>();
  const auto b = rand({50}).to_vector<float>();
  manual_seed(42);
  EXPECT_EQ(randn({50}).to_vector<float>(), a);
  EXPECT_EQ(rand({50}).to_vector<float>(), b);
  manual_seed(43);
  EXPECT_NE(randn({50}).to_vector<float>(), a);
}

TEST(Factories, GeneratorIsIndependentOfTheDefault) {
  Generator g1(7), g2(7);
  manual_seed(0);
  const auto from_g1 = randn({20}, {}, &g1).to_vector<float>();
  randn({100});  // advancing the default generator does not touch g2
  EXPECT_EQ(randn({20}, {}, &g2).to_vector<float>(), from_g1);
  manual_seed(0);
  const auto d1 = rand({10}).to_vector<float>();
  manual_seed(0);
  rand({5}, {}, &g1);  // using g1 does not advance the default generator
  EXPECT_EQ(rand({10}).to_vector<float>(), d1);
  g1.manual_seed(7);
  EXPECT_EQ(randn({20}, {}, &g1).to_vector<float>(), from_g1);
  EXPECT_EQ(g1.initial_seed(), 7u);
}

TEST(Factories, RandintRangeAndCoverage) {
  manual_seed(3);
  Tensor t = randint(-2, 3, {5000});
  EXPECT_EQ(t.dtype(), kInt64);
  const auto v = t.to_vector<int64_t>();
  std::vector<int> counts(5, 0);
  for (int64_t x : v) {
    ASSERT_TRUE(x >= -2 && x < 3) << x;
    ++counts[x + 2];
  }
  for (int c : counts) EXPECT_NEAR(c, 1000, 150);
  EXPECT_EQ(randint(0, 10, {2, 3}, {.dtype = kInt32}).dtype(), kInt32);
  EXPECT_EQ(randint(0, 1, {4}).to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 0, 0}));
  Generator a(9), b(9);
  EXPECT_EQ(randint(0, 100, {30}, {}, &a).to_vector<int64_t>(),
            randint(0, 100, {30}, {}, &b).to_vector<int64_t>());
  expect_error([] { randint(5, 5, {3}); }, "[randint] needs low < high");
}

TEST(Factories, RandpermIsAPermutation) {
  manual_seed(4);
  auto v = randperm(100).to_vector<int64_t>();
  EXPECT_EQ(randperm(100).dtype(), kInt64);
  std::vector<int64_t> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> iota(100);
  std::iota(iota.begin(), iota.end(), 0);
  EXPECT_EQ(sorted, iota);
  EXPECT_NE(v, iota);
  EXPECT_EQ(randperm(0).numel(), 0);
  EXPECT_EQ(randperm(1).to_vector<int64_t>(), (std::vector<int64_t>{0}));
  Generator a(1), b(1);
  EXPECT_EQ(randperm(20, {}, &a).to_vector<int64_t>(), randperm(20, {}, &b).to_vector<int64_t>());
  expect_error([] { randperm(-1); }, "[randperm] n must be non-negative");
}

// ---- *_like ----

TEST(Factories, LikeFactoriesCopyShapeAndDtype) {
  Tensor i = arange(6).reshape({2, 3});
  Tensor z = zeros_like(i);
  EXPECT_EQ(z.shape(), (Shape{2, 3}));
  EXPECT_EQ(z.dtype(), kInt64);
  EXPECT_EQ(z.to_vector<int64_t>(), std::vector<int64_t>(6, 0));
  EXPECT_EQ(ones_like(i, {.dtype = kFloat64}).dtype(), kFloat64);
  EXPECT_EQ(ones_like(i).to_vector<int64_t>(), std::vector<int64_t>(6, 1));
  EXPECT_EQ(full_like(i, 4).to_vector<int64_t>(), std::vector<int64_t>(6, 4));
  // full_like keeps the tensor's dtype even for a float value, as PyTorch.
  EXPECT_EQ(full_like(i, 2.5).dtype(), kInt64);
  EXPECT_EQ(empty_like(i).shape(), (Shape{2, 3}));
  Tensor f = zeros({4, 2}, {.dtype = kFloat64});
  EXPECT_EQ(rand_like(f).dtype(), kFloat64);
  EXPECT_EQ(randn_like(f).shape(), (Shape{4, 2}));
  // A like-factory of a non-contiguous tensor is contiguous and does not share memory.
  Tensor t = f.t();
  Tensor l = zeros_like(t);
  EXPECT_EQ(l.shape(), (Shape{2, 4}));
  EXPECT_TRUE(l.is_contiguous());
  EXPECT_FALSE(zeros_like(f, {.requires_grad = true}).grad_fn());
  EXPECT_TRUE(zeros_like(f, {.requires_grad = true}).requires_grad());
  expect_error([&] { rand_like(i); }, "[rand] needs a floating-point dtype");
}

// ---- from C++ data ----

TEST(Factories, TensorFromNestedLists) {
  Tensor i = tensor({{1, 2}, {3, 4}});
  EXPECT_EQ(i.dtype(), kInt64);
  EXPECT_EQ(i.shape(), (Shape{2, 2}));
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 3, 4}));
  Tensor f = tensor({1.5, 2.0});
  EXPECT_EQ(f.dtype(), kFloat32);
  EXPECT_EQ(f.to_vector<float>(), (std::vector<float>{1.5f, 2.0f}));
  Tensor b = tensor({true, false});
  EXPECT_EQ(b.dtype(), kBool);
  EXPECT_EQ(b.to_vector<bool>(), (std::vector<bool>{true, false}));
  Tensor three = tensor({{{1.0}, {2.0}}, {{3.0}, {4.0}}});
  EXPECT_EQ(three.shape(), (Shape{2, 2, 1}));
  EXPECT_EQ(tensor({1, 2}, {.dtype = kFloat64}).dtype(), kFloat64);
  EXPECT_EQ(tensor({1.5, 2.5}, {.dtype = kInt32}).to_vector<int32_t>(), (std::vector<int32_t>{1, 2}));
  EXPECT_TRUE(tensor({1.0}, {.requires_grad = true}).requires_grad());
}

TEST(Factories, TensorFromANumberIsZeroDim) {
  EXPECT_EQ(tensor(3).dim(), 0);
  EXPECT_EQ(tensor(3).dtype(), kInt64);
  EXPECT_EQ(tensor(3.5).dtype(), kFloat32);
  EXPECT_EQ(tensor(true).dtype(), kBool);
  EXPECT_EQ(tensor(3.5, {.dtype = kFloat64}).item<double>(), 3.5);
}

TEST(Factories, RaggedListsAreAnError) {
  expect_error([] { tensor({{1, 2}, {3}}); }, "[tensor] nested lists must be rectangular");
  expect_error([] { tensor({{1.0}, {2.0, 3.0}}); }, "rectangular");
  expect_error([] { tensor({{{1}, {2}}, {{3}}}); }, "rectangular");
}

TEST(Factories, FromVector) {
  Tensor t = from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(t.dtype(), kFloat32);
  EXPECT_EQ(t.shape(), (Shape{2, 3}));
  EXPECT_EQ(t.to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(from_vector(std::vector<int32_t>{1, 2}).shape(), (Shape{2}));
  EXPECT_EQ(from_vector(std::vector<int32_t>{1, 2}).dtype(), kInt32);
  EXPECT_EQ(from_vector(std::vector<uint8_t>{200}).dtype(), kUInt8);
  EXPECT_EQ(from_vector(std::vector<bool>{true, false, true}).to_vector<bool>(),
            (std::vector<bool>{true, false, true}));
  EXPECT_EQ(from_vector(std::vector<double>{1.5}, {1}, {.dtype = kFloat16}).dtype(), kFloat16);
  EXPECT_EQ(from_vector(std::vector<double>{7}, {}).dim(), 0);
  EXPECT_EQ(from_vector(std::vector<float>{}, {0, 4}).shape(), (Shape{0, 4}));
  expect_error(
      [] {
        from_vector(std::vector<float>{1, 2, 3}, {2, 2});
      },
      "[from_vector] 3 values cannot fill shape [2, 2] (4 elements)");
}

TEST(Factories, FromBlobSharesTheCallersMemory) {
  std::vector<float> buffer{1, 2, 3, 4, 5, 6};
  Tensor t = from_blob(buffer.data(), {2, 3}, kFloat32);
  EXPECT_EQ(t.data_ptr(), buffer.data());
  EXPECT_EQ(t.to_vector<float>(), buffer);
  buffer[4] = 50;
  EXPECT_EQ(t[1][1].item<float>(), 50.0f);
  t[0].fill_(-1);
  EXPECT_EQ(buffer, (std::vector<float>{-1, -1, -1, 4, 50, 6}));
  std::vector<int64_t> ints{1, 2};
  Tensor i = from_blob(ints.data(), {2}, kInt64);
  EXPECT_EQ(i.dtype(), kInt64);
  EXPECT_EQ((i * 2).to_vector<int64_t>(), (std::vector<int64_t>{2, 4}));
  // The tensor does not own the memory: dropping it leaves the buffer usable.
  { Tensor tmp = from_blob(buffer.data(), {6}, kFloat32); }
  EXPECT_EQ(buffer[5], 6.0f);
}

TEST(Factories, ItemConvertsOneElement) {
  EXPECT_EQ(tensor({{2.5}}).item<float>(), 2.5f);
  EXPECT_EQ(tensor({{2.5}}).item<double>(), 2.5);
  EXPECT_EQ(tensor(2.7).item<int64_t>(), 2);
  EXPECT_EQ(tensor(-2.7).item<int32_t>(), -2);
  EXPECT_EQ(tensor(7).item<double>(), 7.0);
  EXPECT_EQ(tensor(0).item<bool>(), false);
  EXPECT_EQ(tensor(true).item<int64_t>(), 1);
  EXPECT_EQ(arange(10).select(0, 7).item<int64_t>(), 7);
  EXPECT_EQ(static_cast<float>(tensor(0.5).to(kFloat16).item<Half>()), 0.5f);
  expect_error([] { arange(2).item<int64_t>(); }, "[item] only a one-element tensor converts to a number");
  expect_error([] { zeros({0}).item<float>(); }, "[item]");
}

TEST(Factories, ToVectorIsRowMajorForAnyLayout) {
  Tensor t = arange(6).reshape({2, 3});
  EXPECT_EQ(t.t().to_vector<int64_t>(), (std::vector<int64_t>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(t.slice(1, 0, 3, 2).to_vector<int64_t>(), (std::vector<int64_t>{0, 2, 3, 5}));
  EXPECT_EQ(t.to_vector<double>(), (std::vector<double>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(tensor({1.0, 2.0}).expand({2, 2}).to_vector<float>(), (std::vector<float>{1, 2, 1, 2}));
  EXPECT_EQ(tensor({0.0, -3.0}).to_vector<bool>(), (std::vector<bool>{false, true}));
  EXPECT_TRUE(zeros({0, 3}).to_vector<float>().empty());
}
