// allclose and equal, against torch.allclose / torch.equal (1.13) on the same inputs. Where
// PyTorch refuses mixed dtypes ("Float did not match Double"), strata compares after promotion.
#include <functional>
#include <limits>
#include <string>

#include "support/test_util.h"

using namespace strata;
using strata::test::expect_error;
using strata::test::kInf;
using strata::test::kNaN;

TEST(Allclose, WithinTolerance) {
  EXPECT_TRUE(allclose(tensor({1.0, 2.0}), tensor({1.0, 2.0})));
  EXPECT_TRUE(allclose(tensor({1.0}, {.dtype = kFloat64}), tensor({1.0 + 1e-6}, {.dtype = kFloat64})));
  EXPECT_FALSE(allclose(tensor({1.0}, {.dtype = kFloat64}), tensor({1.0 + 1e-4}, {.dtype = kFloat64})));
  // Computed in float32 as torch does: |1 - 1.00001f| is 1.00136e-05 > 1e-8 + 1e-5 * 1.00001.
  EXPECT_FALSE(allclose(tensor({1.0}), tensor({1.0 + 1e-5})));
  EXPECT_TRUE(allclose(tensor({1.0}), tensor({1.0 + 2e-5}), 1e-4));
  EXPECT_TRUE(allclose(tensor({0.0}), tensor({1e-9})));
  EXPECT_FALSE(allclose(tensor({0.0}), tensor({1e-7})));
  EXPECT_TRUE(allclose(tensor({0.0}), tensor({1e-7}), 0.0, 1e-6));
  // The tolerance is relative to the second operand, so the test is not symmetric.
  // torch.allclose(tensor([100]), tensor([101]), rtol=0.01, atol=0) -> True, and reversed -> True.
  EXPECT_TRUE(allclose(tensor({100}), tensor({101}), 0.01, 0.0));
  EXPECT_TRUE(allclose(tensor({101}), tensor({100}), 0.01, 0.0));
  EXPECT_FALSE(allclose(tensor({102}), tensor({100}), 0.01, 0.0));
  EXPECT_TRUE(allclose(tensor({10.0}), tensor({11.0}), 0.1, 0.0));    // 1 <= 0.1 * 11
  EXPECT_FALSE(allclose(tensor({11.0}), tensor({10.0}), 0.05, 0.0));  // 1 >  0.05 * 10
}

TEST(Allclose, NanIsNeverCloseInfOnlyToItself) {
  EXPECT_FALSE(allclose(tensor({kNaN}), tensor({kNaN})));
  EXPECT_FALSE(allclose(tensor({1.0, kNaN}), tensor({1.0, 1.0}), 1e10, 1e10));
  EXPECT_TRUE(allclose(tensor({kInf, -kInf}), tensor({kInf, -kInf})));
  EXPECT_FALSE(allclose(tensor({kInf}), tensor({-kInf})));
  EXPECT_FALSE(allclose(tensor({kInf}), tensor({1e30}), 1e10, 1e10));
}

TEST(Allclose, Broadcasts) {
  EXPECT_TRUE(allclose(ones({3}), ones({2, 3})));
  EXPECT_TRUE(allclose(ones({2, 3}), ones({3})));
  EXPECT_TRUE(allclose(ones({2, 1}), tensor(1.0)));
  EXPECT_FALSE(allclose(tensor({{1.0}, {2.0}}), ones({2, 3})));
  EXPECT_TRUE(allclose(zeros({0, 3}), zeros({3})));
  expect_error([] { allclose(ones({3}), ones({2})); }, "[allclose] operands cannot be broadcast together");
}

TEST(Allclose, MixedDtypesArePromoted) {
  EXPECT_TRUE(allclose(ones({3}), ones({3}, {.dtype = kFloat64})));
  EXPECT_TRUE(allclose(tensor({1, 2}), tensor({1.0, 2.0})));
  EXPECT_TRUE(allclose(tensor({1}), tensor({true})));
  EXPECT_TRUE(allclose(tensor({0.1, 2.0}).to(kFloat16), tensor({0.1, 2.0}), 1e-3));
  EXPECT_FALSE(allclose(tensor({0.1, 2.0}).to(kFloat16), tensor({0.1, 2.0})));
  EXPECT_TRUE(allclose(tensor({0.5}).to(kBFloat16), tensor({0.5}).to(kFloat16)));
  // Large int64 values are compared exactly, not through a float.
  const int64_t big = int64_t{1} << 60;
  EXPECT_TRUE(allclose(tensor({big}), tensor({big}), 0.0, 0.0));
  EXPECT_FALSE(allclose(tensor({big}), tensor({big + 1}), 0.0, 0.0));
}

TEST(Allclose, NonContiguousAndGradTensors) {
  Tensor a = arange(6.0).reshape({2, 3});
  EXPECT_TRUE(allclose(a.t(), a.t().contiguous()));
  EXPECT_FALSE(allclose(a.t(), a.reshape({3, 2})));
  Tensor x = ones({2}, {.dtype = kFloat64, .requires_grad = true});
  EXPECT_TRUE(allclose(x * 2, tensor({2.0, 2.0})));
}

TEST(Allclose, Errors) {
  expect_error([] { allclose(ones({1}), ones({1}), -1.0); },
               "[allclose] rtol must be greater than or equal to zero");
  expect_error([] { allclose(ones({1}), ones({1}), 1e-5, -1.0); }, "[allclose] atol must be");
  expect_error([] { allclose(ones({1}), ones({1}), kNaN); }, "[allclose] rtol");
  expect_error([] { allclose(Tensor(), ones({1})); }, "[allclose] operand 0 is an undefined tensor");
}

TEST(Equal, SameShapeAndValues) {
  EXPECT_TRUE(equal(tensor({1, 2}), tensor({1, 2})));
  EXPECT_FALSE(equal(tensor({1, 2}), tensor({1, 3})));
  EXPECT_FALSE(equal(tensor({1, 2}), tensor({1, 2, 3})));
  EXPECT_FALSE(equal(tensor({1.0}), tensor({{1.0}})));     // no broadcasting
  EXPECT_TRUE(equal(tensor({1, 2}), tensor({1.0, 2.0})));  // torch.equal promotes
  EXPECT_TRUE(equal(tensor({0.0}), tensor({-0.0})));
  EXPECT_FALSE(equal(tensor({kNaN}), tensor({kNaN})));
  EXPECT_TRUE(equal(zeros({0}), zeros({0})));
  EXPECT_FALSE(equal(zeros({0, 2}), zeros({2, 0})));
  EXPECT_TRUE(equal(tensor(3), tensor(3)));
  EXPECT_FALSE(equal(tensor(3), tensor({3})));
  EXPECT_FALSE(equal(tensor({0.1}), tensor({0.1}, {.dtype = kFloat64})));
  EXPECT_TRUE(equal(arange(6).reshape({2, 3}).t(), tensor({{0, 3}, {1, 4}, {2, 5}})));
  EXPECT_TRUE(equal(tensor({true, false}), tensor({1, 0})));
  const int64_t big = int64_t{1} << 60;
  EXPECT_FALSE(equal(tensor({big}), tensor({big + 1})));
  expect_error([] { equal(ones({1}), Tensor()); }, "[equal] operand 1 is an undefined tensor");
}
