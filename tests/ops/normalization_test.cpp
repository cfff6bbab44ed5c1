// layer_norm, batch_norm, group_norm and rms_norm: values on small hand-computed cases, gradcheck in
// float64 (x, weight, bias; non-contiguous, broadcast-free, empty), and the error messages.
#include <cmath>

#include "strata/nn/functional/normalization.h"
#include "support/test_util.h"

using namespace strata;
namespace F = strata::nn::functional;
using test::leaf;
using test::noncontiguous_leaf;

namespace {

// Rows [1, 2, 3] and [2, 4, 6]: mean 2 / 4, biased var 2/3 / 8/3.
Tensor two_rows() { return from_vector(std::vector<double>{1, 2, 3, 2, 4, 6}, {2, 3}); }

}  // namespace

TEST(LayerNorm, NormalizesEachRow) {
  const double r = 1.0 / std::sqrt(2.0 / 3.0 + 1e-5), r2 = 1.0 / std::sqrt(8.0 / 3.0 + 1e-5);
  test::expect_values(F::layer_norm(two_rows(), {3}), {-r, 0, r, -2 * r2, 0, 2 * r2}, 1e-12);
  const Tensor w = from_vector(std::vector<double>{1, 2, 3}, {3});
  const Tensor b = from_vector(std::vector<double>{0, 1, 0}, {3});
  test::expect_values(F::layer_norm(two_rows(), {3}, w, b), {-r, 1, 3 * r, -2 * r2, 1, 6 * r2}, 1e-12);
}

TEST(LayerNorm, MultiDimNormalizedShape) {
  // Over the last two dims, [2, 3] is one group of six.
  const Tensor x = two_rows().reshape({1, 2, 3});
  const double m = 3.0, v = (4 + 1 + 0 + 1 + 1 + 9) / 6.0, r = 1.0 / std::sqrt(v + 1e-5);
  test::expect_values(F::layer_norm(x, {2, 3}), {-2 * r, -r, 0, -r, r, 3 * r}, 1e-12);
  (void)m;
}

TEST(LayerNorm, Gradcheck) {
  EXPECT_GRADCHECK([](const std::vector<Tensor>& in) { return F::layer_norm(in[0], {4}, in[1], in[2]); },
                   {leaf({3, 4}, 1), leaf({4}, 2), leaf({4}, 3)});
  EXPECT_GRADCHECK(
      [](const std::vector<Tensor>& in) {
        return F::layer_norm(in[0], {3, 4}, in[1], in[2]);
      },
      {noncontiguous_leaf({2, 3, 4}, 4), leaf({3, 4}, 5), leaf({3, 4}, 6)});
  EXPECT_GRADCHECK([](const std::vector<Tensor>& in) { return F::layer_norm(in[0], {5}); },
                   {leaf({2, 5}, 7)});
  EXPECT_GRADCHECK([](const std::vector<Tensor>& in) { return F::layer_norm(in[0], {4}, in[1], in[2]); },
                   {test::empty_leaf({0, 4}), leaf({4}, 2), leaf({4}, 3)});
  EXPECT_GRADGRADCHECK([](const std::vector<Tensor>& in) { return F::layer_norm(in[0], {4}, in[1], in[2]); },
                       {leaf({2, 4}, 8), leaf({4}, 9), leaf({4}, 10)});
}

TEST(LayerNorm, Float32MatchesFloat64) {
  Generator g(3);
  const Tensor x = randn({5, 7}, {.dtype = kFloat64}, &g) * 3.0 + 1.0;
  const Tensor w = randn({7}, {.dtype = kFloat64}, &g), b = randn({7}, {.dtype = kFloat64}, &g);
  const Tensor want = F::layer_norm(x, {7}, w, b);
  const Tensor got = F::layer_norm(x.to(kFloat32), {7}, w.to(kFloat32), b.to(kFloat32));
  EXPECT_EQ(got.dtype(), kFloat32);
  test::expect_values(got, want.to_vector<double>(), 1e-5, 1e-5);
}

TEST(LayerNorm, Errors) {
  const Tensor x = zeros({2, 3});
  EXPECT_ERROR(F::layer_norm(x, {4}), "normalized_shape [4] does not match the trailing dims");
  EXPECT_ERROR(F::layer_norm(x, {}), "normalized_shape is empty");
  EXPECT_ERROR(F::layer_norm(x, {3}, zeros({4})), "[layer_norm] weight has shape [4], expected [3]");
  EXPECT_ERROR(F::layer_norm(x, {3}, zeros({3}, {.dtype = kFloat64})), "one dtype");
  EXPECT_ERROR(F::layer_norm(zeros({2, 3}, {.dtype = kInt64}), {3}), "needs a floating-point input");
}
