// Pooling ops: hand-computed values, PyTorch's tie and NaN rules, shapes of every variant, the
// 2x2 fast path and the threaded path against a plain reference, gradients (float64 gradcheck and
// gradgradcheck) and the error messages.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "strata/nn/functional/pooling.h"
#include "support/test_util.h"

using namespace strata;
using namespace strata::test;
namespace F = strata::nn::functional;

namespace {

Tensor arange_4x4() { return arange(16, {.dtype = kFloat64}).reshape({1, 1, 4, 4}); }

// Values with no ties (a max pool's gradient is then smooth at the point).
Tensor distinct_leaf(const Shape& shape, uint64_t seed) {
  Generator g(seed);
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return (randperm(n, {.dtype = kFloat64}, &g) * 0.1).reshape(shape).detach().requires_grad_();
}

// max_pool2d on [N, C, H, W] by its definition, for the comparisons below.
std::pair<std::vector<double>, std::vector<int64_t>> reference_max_pool(const Tensor& x, int64_t k, int64_t s,
                                                                        int64_t p, int64_t d, int64_t oh,
                                                                        int64_t ow) {
  const auto v = x.contiguous().to(kFloat64).to_vector<double>();
  const int64_t planes = x.size(0) * x.size(1), H = x.size(2), W = x.size(3);
  std::vector<double> out;
  std::vector<int64_t> idx;
  for (int64_t pl = 0; pl < planes; ++pl)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        double best = -std::numeric_limits<double>::infinity();
        int64_t at = -1;
        for (int64_t a = 0; a < k; ++a)
          for (int64_t b = 0; b < k; ++b) {
            const int64_t r = i * s - p + a * d, c = j * s - p + b * d;
            if (r < 0 || r >= H || c < 0 || c >= W) continue;
            const double e = v[static_cast<size_t>(pl * H * W + r * W + c)];
            if (at < 0 || e > best) best = e, at = r * W + c;
          }
        out.push_back(best);
        idx.push_back(at);
      }
  return {out, idx};
}

}  // namespace

TEST(MaxPool2d, HandComputedValuesAndIndices) {
  auto [y, idx] = F::max_pool2d_with_indices(arange_4x4(), 2);
  EXPECT_EQ(y.shape(), Shape({1, 1, 2, 2}));
  expect_values(y, {5, 7, 13, 15});
  EXPECT_EQ(idx.dtype(), kInt64);
  EXPECT_EQ(idx.to_vector<int64_t>(), (std::vector<int64_t>{5, 7, 13, 15}));
  auto [y2, idx2] = F::max_pool2d_with_indices(arange_4x4(), 3, 2, 1);
  expect_values(y2, {5, 7, 13, 15});
  EXPECT_EQ(idx2.to_vector<int64_t>(), (std::vector<int64_t>{5, 7, 13, 15}));
}

TEST(MaxPool2d, TiesKeepTheFirstAndNaNWins) {
  // PyTorch: max_pool1d([1, nan, 3, 3, 2], 2, 1) = [nan, nan, 3, 3] at [1, 1, 2, 3].
  const Tensor x = from_vector(std::vector<float>{1, NAN, 3, 3, 2}, {1, 1, 5});
  auto [y, idx] = F::max_pool1d_with_indices(x, 2, 1);
  expect_values(y, {kNaN, kNaN, 3, 3});
  EXPECT_EQ(idx.to_vector<int64_t>(), (std::vector<int64_t>{1, 1, 2, 3}));
  auto [y2, idx2] = F::max_pool1d_with_indices(from_vector(std::vector<float>{4, 4, 1, 2}, {1, 1, 4}), 2, 1);
  expect_values(y2, {4, 4, 2});
  EXPECT_EQ(idx2.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 3}));
  // The 2x2 fast path follows the same rules.
  const Tensor t = from_vector(std::vector<double>{7, 7, 7, 7, 1, NAN, 2, 3}, {1, 1, 2, 4});
  auto [y3, idx3] = F::max_pool2d_with_indices(t, 2);
  expect_values(y3, {kNaN, 7});
  EXPECT_EQ(idx3.to_vector<int64_t>(), (std::vector<int64_t>{5, 2}));
}

TEST(MaxPool2d, OutputShapesOfEachVariantArePyTorchs) {
  const Tensor x = randn({2, 3, 9, 8});
  EXPECT_EQ(F::max_pool2d(x, 2).shape(), Shape({2, 3, 4, 4}));
  EXPECT_EQ(F::max_pool2d(x, 3, 2).shape(), Shape({2, 3, 4, 3}));
  EXPECT_EQ(F::max_pool2d(x, 3, 2, 0, 1, true).shape(), Shape({2, 3, 4, 4}));
  EXPECT_EQ(F::max_pool2d(x, 3, 2, 1, 1, true).shape(), Shape({2, 3, 5, 5}));
  // A last window that would start in the right padding is dropped: 4 -> 3.
  EXPECT_EQ(F::max_pool2d(randn({1, 1, 5, 5}), 2, 2, 1, 1, true).shape(), Shape({1, 1, 3, 3}));
  EXPECT_EQ(F::max_pool2d(x, {3, 2}, {{1, 2}}, {1, 0}, {2, 3}).shape(), Shape({2, 3, 7, 3}));
  EXPECT_EQ(F::max_pool2d(randn({3, 9, 8}), 2).shape(), Shape({3, 4, 4}));
  EXPECT_EQ(F::max_pool2d(randn({0, 3, 9, 8}), 2).shape(), Shape({0, 3, 4, 4}));
  EXPECT_EQ(F::max_pool1d(randn({2, 3, 9}), 3, 2, 1).shape(), Shape({2, 3, 5}));
  EXPECT_EQ(F::max_pool1d(randn({3, 9}), 2).shape(), Shape({3, 4}));
  EXPECT_EQ(F::max_pool1d(randn({3, 7}), 2, std::nullopt, 0, 1, true).shape(), Shape({3, 4}));
}

TEST(MaxPool2d, FastAndGeneralPathsMatchAReferenceOnOddSizesAndAcrossThreads) {
  // 2x2 stride 2 (the fast path) on odd sizes, large enough to split across threads, in both dtypes.
  for (DType dt : {kFloat32, kFloat64}) {
    Generator g(3);
    const Tensor x = randn({4, 33, 27, 25}, {.dtype = dt}, &g);
    auto [y, idx] = F::max_pool2d_with_indices(x, 2);
    auto [want, want_idx] = reference_max_pool(x, 2, 2, 0, 1, 13, 12);
    expect_values(y, want, 0.0);
    EXPECT_EQ(idx.to_vector<int64_t>(), want_idx);
    expect_values(F::max_pool2d(x, 2), want, 0.0);  // without indices (no gradient needed)
    auto [y3, idx3] = F::max_pool2d_with_indices(x, 3, 2, 1, 2);
    auto [want3, want_idx3] = reference_max_pool(x, 3, 2, 1, 2, 13, 12);
    expect_values(y3, want3, 0.0);
    EXPECT_EQ(idx3.to_vector<int64_t>(), want_idx3);
  }
}

TEST(MaxPool2d, BackwardRoutesEachGradientToItsMaximum) {
  for (int64_t k : {2, 3}) {
    Tensor x = distinct_leaf({3, 5, 11, 9}, 7);
    auto [y, idx] = F::max_pool2d_with_indices(x, k);
    const Tensor up = randn(y.shape(), {.dtype = kFloat64});
    (y * up).sum().backward();
    std::vector<double> want(static_cast<size_t>(x.numel()), 0.0);
    const auto ups = up.to_vector<double>();
    const auto is = idx.to_vector<int64_t>();
    const int64_t plane_out = y.size(2) * y.size(3);
    for (size_t o = 0; o < is.size(); ++o)
      want[static_cast<size_t>(static_cast<int64_t>(o) / plane_out * 99 + is[o])] += ups[o];
    expect_values(x.grad(), want, 1e-15);
  }
}

TEST(MaxPool2d, Gradcheck) {
  auto pool = [](auto... a) {
    return [=](const std::vector<Tensor>& in) { return F::max_pool2d(in[0], a...); };
  };
  EXPECT_GRADCHECK(pool(2), {distinct_leaf({2, 3, 6, 7}, 1)});
  EXPECT_GRADCHECK(pool(3, 2, 1), {distinct_leaf({2, 2, 7, 6}, 2)});
  EXPECT_GRADCHECK(pool(3, 2, 0, 1, true), {distinct_leaf({1, 2, 8, 6}, 3)});
  EXPECT_GRADCHECK(pool(F::Size2(2, 3), F::Size2(1, 2), F::Size2(1, 0), F::Size2(2, 1)),
                   {distinct_leaf({1, 2, 7, 7}, 4)});
  EXPECT_GRADCHECK(pool(2), {distinct_leaf({3, 5, 4}, 5)});  // unbatched
  EXPECT_GRADCHECK(pool(2), {empty_leaf({0, 2, 4, 4})});
  // Non-contiguous: a transposed leaf.
  Tensor nc = (distinct_leaf({2, 3, 6, 5}, 6).detach().transpose(2, 3)).requires_grad_();
  ASSERT_FALSE(nc.is_contiguous());
  EXPECT_GRADCHECK(pool(2), {nc});
  EXPECT_GRADCHECK(pool(3, 2, 1), {nc});
  EXPECT_GRADGRADCHECK(pool(2), {distinct_leaf({1, 2, 4, 6}, 8)});
  EXPECT_GRADGRADCHECK(pool(3, 2, 1), {distinct_leaf({1, 2, 5, 5}, 9)});
}

TEST(MaxPool1d, Gradcheck) {
  auto pool = [](auto... a) {
    return [=](const std::vector<Tensor>& in) { return F::max_pool1d(in[0], a...); };
  };
  EXPECT_GRADCHECK(pool(3, 2, 1), {distinct_leaf({2, 3, 9}, 1)});
  EXPECT_GRADCHECK(pool(2, std::nullopt, 0, 3), {distinct_leaf({2, 10}, 2)});
  EXPECT_GRADCHECK(pool(2, std::nullopt, 0, 1, true), {distinct_leaf({3, 7}, 3)});
  Tensor nc = distinct_leaf({9, 2, 3}, 4).detach().permute({1, 2, 0}).requires_grad_();
  EXPECT_GRADCHECK(pool(3, 2, 1), {nc});
  EXPECT_GRADGRADCHECK(pool(3, 2, 1), {distinct_leaf({2, 2, 9}, 5)});
}

TEST(AvgPool2d, HandComputedValues) {
  expect_values(F::avg_pool2d(arange_4x4(), 2), {2.5, 4.5, 10.5, 12.5});
  expect_values(F::avg_pool2d(arange_4x4(), 3, 2, 1), {10.0 / 9, 24.0 / 9, 51.0 / 9, 10});
  expect_values(F::avg_pool2d(arange_4x4(), 3, 2, 1, false, false), {2.5, 4, 8.5, 10});
  expect_values(F::avg_pool2d(arange_4x4(), 3, 2, 1, false, true, 2), {5, 12, 25.5, 45});
  expect_values(F::avg_pool1d(from_vector(std::vector<double>{1, 2, 3, 4, 5}, {1, 5}), 2, 2, 0, true),
                {1.5, 3.5, 5});
}

TEST(AvgPool2d, Gradcheck) {
  auto pool = [](auto... a) {
    return [=](const std::vector<Tensor>& in) { return F::avg_pool2d(in[0], a...); };
  };
  EXPECT_GRADCHECK(pool(2), {leaf({2, 3, 6, 7}, 1)});
  EXPECT_GRADCHECK(pool(3, 2, 1), {leaf({2, 2, 7, 6}, 2)});
  EXPECT_GRADCHECK(pool(3, 2, 1, false, false), {leaf({2, 2, 7, 6}, 3)});
  EXPECT_GRADCHECK(pool(2, std::nullopt, 0, true), {leaf({1, 2, 5, 7}, 4)});
  EXPECT_GRADCHECK(pool(F::Size2(3, 2), F::Size2(2, 1), F::Size2(1, 0), true, false),
                   {leaf({1, 2, 8, 5}, 5)});
  EXPECT_GRADCHECK(pool(3, 3, 1, false, true, 5), {leaf({2, 7, 7}, 6)});
  EXPECT_GRADCHECK(pool(2), {noncontiguous_leaf({4, 3, 6, 5}, 7)});
  EXPECT_GRADCHECK(pool(2), {empty_leaf({0, 2, 4, 4})});
  EXPECT_GRADGRADCHECK(pool(3, 2, 1, true, false), {leaf({1, 2, 6, 5}, 8)});
}

TEST(AvgPool1d, Gradcheck) {
  auto pool = [](auto... a) {
    return [=](const std::vector<Tensor>& in) { return F::avg_pool1d(in[0], a...); };
  };
  EXPECT_GRADCHECK(pool(3, 2, 1, false, false), {leaf({2, 3, 9}, 1)});
  EXPECT_GRADCHECK(pool(4, 3, 0, true), {leaf({3, 11}, 2)});
  EXPECT_GRADCHECK(pool(2), {noncontiguous_leaf({2, 3, 8}, 3)});
}

TEST(AdaptiveAvgPool, ValuesShapesAndGradcheck) {
  expect_values(F::adaptive_avg_pool2d(arange_4x4(), 3), {2.5, 3.5, 4.5, 6.5, 7.5, 8.5, 10.5, 11.5, 12.5});
  expect_values(F::adaptive_avg_pool2d(arange_4x4(), 1), {7.5});
  EXPECT_EQ(F::adaptive_avg_pool2d(randn({2, 3, 5, 7}), {3, 4}).shape(), Shape({2, 3, 3, 4}));
  EXPECT_EQ(F::adaptive_avg_pool2d(randn({3, 5, 7}), {9, 2}).shape(), Shape({3, 9, 2}));
  EXPECT_EQ(F::adaptive_avg_pool1d(randn({2, 3, 7}), 3).shape(), Shape({2, 3, 3}));
  auto pool2 = [](F::Size2 s) {
    return [=](const std::vector<Tensor>& in) { return F::adaptive_avg_pool2d(in[0], s); };
  };
  auto pool1 = [](int64_t s) {
    return [=](const std::vector<Tensor>& in) { return F::adaptive_avg_pool1d(in[0], s); };
  };
  EXPECT_GRADCHECK(pool2({3, 4}), {leaf({2, 2, 5, 7}, 1)});
  EXPECT_GRADCHECK(pool2({7, 2}), {leaf({2, 5, 5}, 2)});
  EXPECT_GRADCHECK(pool2(1), {noncontiguous_leaf({2, 3, 4, 5}, 3)});
  EXPECT_GRADCHECK(pool2(2), {empty_leaf({0, 2, 4, 4})});
  EXPECT_GRADCHECK(pool1(3), {leaf({2, 3, 7}, 4)});
  EXPECT_GRADCHECK(pool1(5), {leaf({2, 3}, 5)});
  EXPECT_GRADGRADCHECK(pool2({2, 3}), {leaf({1, 2, 5, 4}, 6)});
}

TEST(Pooling, ErrorsSayWhatIsWrong) {
  const Tensor x = randn({1, 1, 5, 5});
  EXPECT_ERROR(F::max_pool2d(x, 2, 2, 2),
               "[max_pool2d] padding must be at most half the kernel size, got "
               "padding=2x2 with kernel_size=2x2");
  EXPECT_ERROR(F::max_pool2d(randn({1, 1, 1, 1}), 3),
               "[max_pool2d] input [1, 1, 1, 1] float32 cpu is too small for kernel_size=3x3");
  EXPECT_ERROR(F::max_pool2d(randn({5, 5}), 2),
               "[max_pool2d] expected a 3-d [C, H, W] or 4-d [N, C, H, W] input, got [5, 5] float32 cpu");
  EXPECT_ERROR(F::max_pool1d(randn({5}), 2), "[max_pool1d] expected a 2-d [C, L] or 3-d [N, C, L] input");
  EXPECT_ERROR(F::max_pool1d(randn({1, 3}), 2, 1, 0, 3), "the output would be 0");
  EXPECT_ERROR(F::max_pool2d(x, 0), "[max_pool2d] kernel_size must be positive, got kernel_size=0x0");
  EXPECT_ERROR(F::max_pool2d(x, 2, 0), "stride must be positive");
  EXPECT_ERROR(F::max_pool2d(x, 2, 2, 0, 0), "dilation must be positive");
  EXPECT_ERROR(F::max_pool2d(x.to(kInt64), 2), "[max_pool2d] is implemented for float32 and float64 inputs");
  EXPECT_ERROR(F::max_pool2d(randn({1, 0, 5, 5}), 2), "only the batch dim may be empty");
  EXPECT_ERROR(F::avg_pool2d(x, 2, 2, 2), "[avg_pool2d] padding must be at most half the kernel size");
  EXPECT_ERROR(F::avg_pool2d(x, 2, 2, 0, false, true, 0), "[avg_pool2d] divisor_override must be positive");
  EXPECT_ERROR(F::avg_pool1d(randn({2, 3}), 4),
               "[avg_pool1d] input [2, 3] float32 cpu is too small for "
               "kernel_size=4");
  EXPECT_ERROR(F::adaptive_avg_pool2d(randn({4, 4}), 2), "[adaptive_avg_pool2d] expected a 3-d");
  EXPECT_ERROR(F::adaptive_avg_pool1d(randn({2, 4}), -1), "[adaptive_avg_pool1d] output_size must be >= 0");
  EXPECT_ERROR(F::max_pool2d(Tensor(), 2), "[max_pool2d]");
}
