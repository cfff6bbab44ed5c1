// The reduction kernel's contiguous fast path (a leading or trailing block of reduced dims, all
// dims, none) against the general strided path on the same values, for every reduction and the
// dtypes whose output differs from the input (sums of integers and bools give int64); mean as one
// kernel (the sum divided in double), and the sum/mean gradient built without public ops.
#include "support/test_util.h"

using namespace strata;
using strata::test::empty_leaf;
using strata::test::expect_values;
using strata::test::kNaN;
using strata::test::leaf;
using strata::test::noncontiguous_leaf;

namespace {
using Inputs = std::vector<Tensor>;

// The same values in a non-contiguous layout (every other element of a wider tensor), which the
// kernel reduces on its general path.
Tensor strided_copy(const Tensor& x) {
  const Tensor t = stack({x, x}, -1).select(-1, 0);
  if (x.numel() > 1) {
    EXPECT_FALSE(t.is_contiguous());
  }
  return t;
}

std::vector<double> values(const Tensor& t) { return t.to(kFloat64).contiguous().to_vector<double>(); }

void expect_same_on_both_paths(const Tensor& x, const Shape& dims) {
  SCOPED_TRACE(::testing::Message() << x.describe() << " over " << dims);
  const Tensor y = strided_copy(x);
  for (bool keepdim : {false, true}) {
    const Tensor a = sum(x, dims, keepdim), b = sum(y, dims, keepdim);
    EXPECT_EQ(a.shape(), b.shape());
    EXPECT_EQ(a.dtype(), b.dtype());
    expect_values(a, values(b), 1e-9, 1e-12);
  }
  if (x.is_floating_point()) expect_values(mean(x, dims), values(mean(y, dims)), 1e-12, 1e-12);
  if (dims.size() == 1) expect_values(x.prod(dims[0]), values(y.prod(dims[0])), 1e-9, 1e-12);
  if (x.numel() > 0 && x.dtype() != kBool) {  // whole-tensor extrema run the reduce kernel too
    expect_values(max(x), values(max(y)));
    expect_values(min(x), values(min(y)));
  }
}

Tensor randn64(const Shape& shape, uint64_t seed) {
  Generator g(seed);
  return randn(shape, {.dtype = kFloat64}, &g);
}
}  // namespace

TEST(ReduceFastPath, EveryBlockLayoutMatchesTheGeneralPath) {
  for (DType dt : {kFloat64, kFloat32, kInt32, kInt64, kUInt8, kBool}) {
    const Tensor x = (randn64({3, 4, 5}, 1) * 3).to(dt);
    for (const Shape& dims :
         {Shape{0}, Shape{0, 1}, Shape{2}, Shape{1, 2}, Shape{}, Shape{0, 1, 2}, Shape{1}, Shape{0, 2}})
      expect_same_on_both_paths(x, dims);
    expect_same_on_both_paths((randn64({4, 1, 6}, 2) * 3).to(dt), {0});  // size-1 dims set aside
    expect_same_on_both_paths((randn64({1, 7}, 3) * 3).to(dt), {1});
    expect_same_on_both_paths((randn64({2000, 2}, 4) * 3).to(dt), {0});  // more columns than rows
    expect_same_on_both_paths((randn64({2, 1500}, 5) * 3).to(dt), {0});  // past the column buffer
  }
}

TEST(ReduceFastPath, HandComputedValuesAndDtypes) {
  const Tensor x = tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  expect_values(sum(x, {0}), {5, 7, 9});
  expect_values(sum(x, {1}), {6, 15});
  expect_values(mean(x, {0}), {2.5, 3.5, 4.5});
  expect_values(mean(x), {3.5});
  const Tensor ints = tensor({{1, 2}, {3, 4}}, {.dtype = kInt32});
  EXPECT_EQ(sum(ints, {0}).dtype(), kInt64);
  EXPECT_EQ(sum(ints, {0}).to_vector<int64_t>(), (std::vector<int64_t>{4, 6}));
  EXPECT_EQ(sum(tensor({true, true, false})).item<int64_t>(), 2);
  // Mean divides the sum, accumulated in double, by the count.
  expect_values(mean(tensor({1.0, 2.0, 3.0, 4.0}, {.dtype = kFloat64})), {2.5}, 0.0);
  expect_values(mean(tensor({{1.0, 2.0}, {3.0, 5.0}}), {1}, true), {1.5, 4.0}, 0.0);
}

TEST(ReduceFastPath, EmptyAndZeroDim) {
  expect_values(sum(zeros({0, 3}), {0}), {0, 0, 0});
  expect_values(mean(zeros({0, 3}), {0}), {kNaN, kNaN, kNaN});
  expect_values(mean(zeros({0})), {kNaN});
  EXPECT_EQ(sum(zeros({3, 0}), {0}).shape(), Shape({0}));
  expect_values(sum(tensor(2.5)), {2.5});
  expect_values(mean(tensor(2.5), {0}), {2.5});
}

TEST(ReduceFastPath, SumAndMeanGradients) {
  for (const Shape& dims : {Shape{0}, Shape{1}, Shape{}, Shape{0, 1}}) {
    SCOPED_TRACE(::testing::Message() << "dims " << dims);
    auto s = [dims](const Inputs& x) { return sum(x[0], dims); };
    auto m = [dims](const Inputs& x) { return mean(x[0], dims, true); };
    EXPECT_GRADCHECK(s, {leaf({3, 4})});
    EXPECT_GRADCHECK(m, {leaf({3, 4})});
    EXPECT_GRADCHECK(m, {noncontiguous_leaf({3, 4})});
    EXPECT_GRADGRADCHECK(m, {leaf({3, 4})});
  }
  EXPECT_GRADCHECK([](const Inputs& x) { return mean(x[0]); }, {leaf({})});
  EXPECT_GRADCHECK([](const Inputs& x) { return mean(x[0], {0}); }, {empty_leaf({0, 3})});
  // The values of the gradient: 1/n everywhere, from a non-contiguous output gradient too.
  Tensor x = randn64({2, 3}, 6).requires_grad_();
  mean(x, {1}).backward(tensor({2.0, 4.0}, {.dtype = kFloat64}).expand({2, 2}).select(0, 1));
  expect_values(x.grad(), {2.0 / 3, 2.0 / 3, 2.0 / 3, 4.0 / 3, 4.0 / 3, 4.0 / 3}, 1e-15);
  Tensor z = randn64({2, 3}, 7).requires_grad_();
  sum(z, {0}).backward(tensor({1.0, 2.0, 3.0}, {.dtype = kFloat64}));
  expect_values(z.grad(), {1, 2, 3, 1, 2, 3});
}
