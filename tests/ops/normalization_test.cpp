// layer_norm, batch_norm, group_norm and rms_norm: values on small hand-computed cases, gradcheck in
// float64 (x, weight, bias; non-contiguous, broadcast-free, empty), and the error messages.
#include <cmath>
#include <limits>

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

// ---- batch_norm ----

TEST(BatchNorm, TrainingUsesBatchStatsAndUpdatesRunningStats) {
  // One channel holding 1 and 3: mean 2, biased var 1, unbiased var 2.
  const Tensor x = from_vector(std::vector<double>{1, 3}, {2, 1});
  Tensor rm = zeros({1}, {.dtype = kFloat64}), rv = ones({1}, {.dtype = kFloat64});
  const double r = 1.0 / std::sqrt(1.0 + 1e-5);
  test::expect_values(F::batch_norm(x, rm, rv, {}, {}, /*training=*/true), {-r, r});
  test::expect_values(rm, {0.2});
  test::expect_values(rv, {0.9 + 0.1 * 2.0});
  // Without running statistics the batch's are used and nothing else changes.
  test::expect_values(F::batch_norm(x, {}, {}, {}, {}, true), {-r, r});
}

TEST(BatchNorm, EvalUsesRunningStats) {
  const Tensor x = from_vector(std::vector<double>{1, 3, 0, 2}, {2, 2});  // channels {1, 0} and {3, 2}
  const Tensor rm = from_vector(std::vector<double>{1, 2}, {2}),
               rv = from_vector(std::vector<double>{4, 1}, {2});
  const Tensor w = from_vector(std::vector<double>{2, 1}, {2}),
               b = from_vector(std::vector<double>{0, 1}, {2});
  const double eps = 1e-5, a = 1 / std::sqrt(4 + eps), c = 1 / std::sqrt(1 + eps);
  test::expect_values(F::batch_norm(x, rm, rv, w, b, false, 0.1, eps), {0, 1 + c, -2 * a, 1});
}

TEST(BatchNorm, Gradcheck) {
  auto train = [](const std::vector<Tensor>& in) {
    return F::batch_norm(in[0], {}, {}, in[1], in[2], /*training=*/true);
  };
  EXPECT_GRADCHECK(train, {leaf({4, 3}, 1), leaf({3}, 2), leaf({3}, 3)});
  EXPECT_GRADCHECK(train, {leaf({2, 3, 4}, 4), leaf({3}, 5), leaf({3}, 6)});
  EXPECT_GRADCHECK(train, {noncontiguous_leaf({3, 2, 2, 2}, 7), leaf({2}, 8), leaf({2}, 9)});
  EXPECT_GRADCHECK(train, {test::empty_leaf({0, 3}), leaf({3}, 2), leaf({3}, 3)});
  const Tensor rm = randn({3}, {.dtype = kFloat64}), rv = rand({3}, {.dtype = kFloat64}) + 0.5;
  EXPECT_GRADCHECK([&](const std::vector<Tensor>& in) { return F::batch_norm(in[0], rm, rv, in[1], in[2]); },
                   {noncontiguous_leaf({4, 3}, 10), leaf({3}, 11), leaf({3}, 12)});
  EXPECT_GRADGRADCHECK(train, {leaf({3, 2}, 13), leaf({2}, 14), leaf({2}, 15)});
}

TEST(BatchNorm, Errors) {
  const Tensor rm = zeros({3}), rv = ones({3});
  EXPECT_ERROR(F::batch_norm(zeros({1, 3}), rm, rv, {}, {}, true),
               "Expected more than 1 value per channel when training, got input size [1, 3]");
  EXPECT_ERROR(F::batch_norm(zeros({2, 4}), rm, rv), "[batch_norm] running_mean has shape [3], expected [4]");
  EXPECT_ERROR(F::batch_norm(zeros({2, 3}), {}, {}),
               "running_mean and running_var are needed out of training");
  EXPECT_ERROR(F::batch_norm(zeros({3}), rm, rv), "at least 2 dims");
  EXPECT_ERROR(F::batch_norm(zeros({2, 3}), rm, {}), "must be given together");
}

// ---- group_norm ----

TEST(GroupNorm, NormalizesEachGroup) {
  // [1, 4, 1]: groups {1, 2} and {3, 5}; each is (-1, 1) after normalizing (biased var 1/4 and 1).
  const Tensor x = from_vector(std::vector<double>{1, 2, 3, 5}, {1, 4, 1});
  const double a = 0.5 / std::sqrt(0.25 + 1e-5), c = 1 / std::sqrt(1 + 1e-5);
  test::expect_values(F::group_norm(x, 2), {-a, a, -c, c});
  const Tensor w = from_vector(std::vector<double>{1, 2, 3, 4}, {4}),
               b = from_vector(std::vector<double>{0, 0, 1, 1}, {4});
  test::expect_values(F::group_norm(x, 2, w, b), {-a, 2 * a, 1 - 3 * c, 1 + 4 * c});
}

TEST(GroupNorm, Gradcheck) {
  auto gn = [](const std::vector<Tensor>& in) { return F::group_norm(in[0], 2, in[1], in[2]); };
  EXPECT_GRADCHECK(gn, {leaf({2, 4, 3}, 1), leaf({4}, 2), leaf({4}, 3)});
  EXPECT_GRADCHECK(gn, {noncontiguous_leaf({2, 4, 2, 2}, 4), leaf({4}, 5), leaf({4}, 6)});
  EXPECT_GRADCHECK(gn, {leaf({3, 4}, 7), leaf({4}, 8), leaf({4}, 9)});
  EXPECT_GRADCHECK(gn, {test::empty_leaf({0, 4, 2}), leaf({4}, 8), leaf({4}, 9)});
  EXPECT_GRADGRADCHECK(gn, {leaf({2, 4}, 10), leaf({4}, 11), leaf({4}, 12)});
}

TEST(GroupNorm, Errors) {
  EXPECT_ERROR(F::group_norm(zeros({2, 6, 3}), 4), "num_groups=4 must be positive and divide the 6 channels");
  EXPECT_ERROR(F::group_norm(zeros({2, 6}), 0), "must be positive");
  EXPECT_ERROR(F::group_norm(zeros({2, 6}), 2, zeros({4})),
               "[group_norm] weight has shape [4], expected [6]");
  EXPECT_ERROR(F::group_norm(zeros({6}), 2), "at least 2 dims");
}

// ---- rms_norm ----

TEST(RmsNorm, DividesByTheRootMeanSquare) {
  // Rows [3, 4] (rms sqrt(12.5)) and [1, 1] (rms 1).
  const Tensor x = from_vector(std::vector<double>{3, 4, 1, 1}, {2, 2});
  const double r = 1 / std::sqrt(12.5 + 1e-6), s = 1 / std::sqrt(1 + 1e-6);
  test::expect_values(F::rms_norm(x, {2}, {}, 1e-6), {3 * r, 4 * r, s, s});
  const Tensor w = from_vector(std::vector<double>{2, -1}, {2});
  test::expect_values(F::rms_norm(x, {2}, w, 1e-6), {6 * r, -4 * r, 2 * s, -s});
}

TEST(RmsNorm, DefaultEpsIsTheDtypesMachineEpsilon) {
  // A zero row is 0 / sqrt(eps): 0, not NaN; a row of tiny values shows which eps was added.
  const double v = 1e-4;
  const Tensor x64 = full({1, 1}, v, {.dtype = kFloat64});
  test::expect_values(F::rms_norm(x64, {1}), {v / std::sqrt(v * v + std::numeric_limits<double>::epsilon())},
                      1e-12);
  const Tensor x32 = full({1, 1}, v, {.dtype = kFloat32});
  const double e32 = std::numeric_limits<float>::epsilon();
  test::expect_values(F::rms_norm(x32, {1}), {v / std::sqrt(v * v + e32)}, 1e-6);
  test::expect_values(F::rms_norm(zeros({1, 3}), {3}), {0, 0, 0});
}

TEST(RmsNorm, Gradcheck) {
  auto rn = [](const std::vector<Tensor>& in) { return F::rms_norm(in[0], {3}, in[1]); };
  EXPECT_GRADCHECK(rn, {leaf({4, 3}, 1), leaf({3}, 2)});
  EXPECT_GRADCHECK(rn, {noncontiguous_leaf({2, 3}, 3), leaf({3}, 4)});
  EXPECT_GRADCHECK(rn, {test::empty_leaf({0, 3}), leaf({3}, 4)});
  EXPECT_GRADCHECK(
      [](const std::vector<Tensor>& in) {
        return F::rms_norm(in[0], {2, 3}, {}, 1e-5);
      },
      {leaf({2, 2, 3}, 5)});
  EXPECT_GRADGRADCHECK(rn, {leaf({2, 3}, 6), leaf({3}, 7)});
}

TEST(RmsNorm, Errors) {
  EXPECT_ERROR(F::rms_norm(zeros({2, 3}), {2}),
               "[rms_norm] normalized_shape [2] does not match the trailing dims");
  EXPECT_ERROR(F::rms_norm(zeros({2, 3}), {3}, zeros({2, 3})),
               "[rms_norm] weight has shape [2, 3], expected [3]");
}

// The fused kernels against the same formula composed from public ops, on rows longer than the
// kernel's summing block and more rows than one block of the weight-gradient sums, with and
// without the affine parameters, and in float32.
TEST(LayerNorm, FusedKernelsMatchTheComposedFormula) {
  auto reference = [](const Tensor& x, const Tensor& w, const Tensor& b) {
    const Tensor centered = x - mean(x, {-1}, true);
    Tensor y = centered * rsqrt(var(x, {-1}, 0, true) + 1e-5);
    if (w.defined()) y = y * w;
    if (b.defined()) y = y + b;
    return y;
  };
  for (DType dtype : {kFloat64, kFloat32}) {
    for (int affine = 0; affine < 3; ++affine) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " affine " + std::to_string(affine));
      Generator gen(11);
      const Tensor x0 = (randn({70, 300}, {.dtype = kFloat64}, &gen) * 2.0 + 3.0).to(dtype);
      const Tensor g = randn({70, 300}, {.dtype = kFloat64}, &gen).to(dtype);
      const Tensor w0 = affine >= 1 ? randn({300}, {.dtype = kFloat64}, &gen).to(dtype) : Tensor();
      const Tensor b0 = affine >= 2 ? randn({300}, {.dtype = kFloat64}, &gen).to(dtype) : Tensor();
      std::vector<Tensor> got, want;
      for (int fused = 0; fused < 2; ++fused) {
        Tensor x = x0.detach().requires_grad_();
        Tensor w = w0.defined() ? w0.detach().requires_grad_() : Tensor();
        Tensor b = b0.defined() ? b0.detach().requires_grad_() : Tensor();
        Tensor y = fused ? F::layer_norm(x, {300}, w, b) : reference(x, w, b);
        y.backward(g);
        auto& dst = fused ? got : want;
        dst = {y, x.grad(), w.defined() ? w.grad() : Tensor(), b.defined() ? b.grad() : Tensor()};
      }
      const double tol = dtype == kFloat64 ? 1e-10 : 2e-5;
      for (size_t k = 0; k < got.size(); ++k) {
        ASSERT_EQ(got[k].defined(), want[k].defined()) << k;
        if (got[k].defined()) test::expect_values(got[k], want[k].to(kFloat64).to_vector<double>(), tol, tol);
      }
    }
  }
}

// The weight and bias gradients sum fixed blocks of rows: the same bits on any number of threads.
TEST(LayerNorm, GradientsDoNotDependOnTheThreadCount) {
  const int threads = get_num_threads();
  std::vector<std::vector<float>> runs;
  for (int t : {1, 2}) {
    set_num_threads(t);
    Generator gen(5);
    Tensor x = randn({512, 128}, {}, &gen).requires_grad_();
    Tensor w = randn({128}, {}, &gen).requires_grad_(), b = randn({128}, {}, &gen).requires_grad_();
    F::layer_norm(x, {128}, w, b).backward(randn({512, 128}, {}, &gen));
    std::vector<float> all = x.grad().to_vector<float>();
    for (const Tensor& p : {w.grad(), b.grad()})
      for (float v : p.to_vector<float>()) all.push_back(v);
    runs.push_back(all);
  }
  set_num_threads(threads);
  EXPECT_EQ(runs[0], runs[1]);
}
