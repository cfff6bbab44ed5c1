// The fused Adam/AdamW kernel (src/backend/cpu/optim_update.cpp) against the op-composed path it
// replaces: bit for bit, in float32 and float64, with every option, and split across threads.
#include <gtest/gtest.h>
#include <strata/optim.h>
#include <strata/threads.h>

#include "support/test_util.h"

namespace {

using namespace strata;
namespace optim = strata::optim;

// Values as a contiguous tensor, and the same values in a transposed (non-contiguous) layout:
// the latter fails the fused kernel's check and takes the op-composed path.
Tensor contiguous_param(const Shape& shape, DType dtype, uint64_t seed) {
  return test::leaf(shape, seed).detach().to(dtype).requires_grad_();
}
Tensor transposed_param(const Tensor& like) {
  return like.detach().t().contiguous().t().detach().requires_grad_();
}

// Runs `steps` steps on both layouts with the same gradients and returns both parameters. Were
// the fused kernel handed the transposed one, it would pair each gradient with another element
// (it walks memory in order) and the two would differ.
template <typename Opt, typename Options>
std::pair<Tensor, Tensor> run_both(const Options& options, DType dtype, const Shape& shape, int steps) {
  Tensor fused = contiguous_param(shape, dtype, 1);
  Tensor composed = transposed_param(fused);
  EXPECT_TRUE(fused.is_contiguous());
  EXPECT_FALSE(composed.is_contiguous());
  Opt opt_fused({fused}, options);
  Opt opt_composed({composed}, options);
  for (int s = 0; s < steps; ++s) {
    Tensor g = test::leaf(shape, 100 + s).detach().to(dtype);
    fused.set_grad(g.clone());
    composed.set_grad(g.clone());
    opt_fused.step();
    opt_composed.step();
  }
  return {fused, composed};
}

template <typename Opt, typename Options>
void expect_same_as_composed(const Options& options, const char* what) {
  for (DType dtype : {kFloat64, kFloat32}) {
    SCOPED_TRACE(std::string(what) + (dtype == kFloat64 ? " float64" : " float32"));
    const std::pair<Tensor, Tensor> both = run_both<Opt>(options, dtype, {7, 5}, 12);
    const Tensor& fused = both.first;
    const Tensor& composed = both.second;
    EXPECT_EQ(fused.dtype(), dtype);
    EXPECT_TRUE(equal(fused, composed)) << "max difference " << (fused - composed).abs().max().item<double>();
    // The update moved the parameter (a kernel that did nothing would also "agree" at lr 0).
    EXPECT_FALSE(equal(fused, contiguous_param({7, 5}, dtype, 1)));
  }
}

TEST(FusedAdam, MatchesTheComposedPathBitForBit) {
  expect_same_as_composed<optim::Adam>(optim::AdamOptions{.lr = 0.01}, "plain");
  expect_same_as_composed<optim::Adam>(optim::AdamOptions{.lr = 0.01, .weight_decay = 0.1}, "weight_decay");
  expect_same_as_composed<optim::Adam>(optim::AdamOptions{.lr = 0.01, .amsgrad = true}, "amsgrad");
  expect_same_as_composed<optim::Adam>(optim::AdamOptions{.lr = 0.01, .maximize = true}, "maximize");
  expect_same_as_composed<optim::Adam>(optim::AdamOptions{.lr = 0.02,
                                                          .betas = {0.8, 0.99},
                                                          .eps = 1e-6,
                                                          .weight_decay = 0.3,
                                                          .amsgrad = true,
                                                          .maximize = true},
                                       "all options");
}

TEST(FusedAdamW, MatchesTheComposedPathBitForBit) {
  expect_same_as_composed<optim::AdamW>(optim::AdamWOptions{.lr = 0.01}, "default decay");
  expect_same_as_composed<optim::AdamW>(optim::AdamWOptions{.lr = 0.01, .weight_decay = 0}, "no decay");
  expect_same_as_composed<optim::AdamW>(
      optim::AdamWOptions{.lr = 0.01, .weight_decay = 0.2, .amsgrad = true, .maximize = true}, "all options");
}

// Above two grains of 65536 elements the kernel splits the range across threads; each element's
// arithmetic is independent, so the bits must not change.
TEST(FusedAdam, TwoThreadsGiveTheBitsOfOne) {
  const int before = get_num_threads();
  for (DType dtype : {kFloat32, kFloat64}) {
    const optim::AdamOptions options{.lr = 0.01, .weight_decay = 0.1, .amsgrad = true};
    std::vector<Tensor> results;
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      Tensor p = contiguous_param({400, 500}, dtype, 3);
      optim::Adam opt({p}, options);
      for (int s = 0; s < 3; ++s) {
        p.set_grad(test::leaf({400, 500}, 50 + s).detach().to(dtype));
        opt.step();
      }
      results.push_back(p);
    }
    EXPECT_TRUE(equal(results[0], results[1]));
  }
  set_num_threads(before);
}

// The fused kernel updates the parameter and the state in place, as the composed path does: the
// same tensors, with their versions bumped.
TEST(FusedAdam, UpdatesInPlaceAndBumpsVersions) {
  Tensor p = contiguous_param({64}, kFloat32, 4);
  const void* data = p.data_ptr();
  optim::Adam opt({p}, {.lr = 0.01, .amsgrad = true});
  p.set_grad(test::leaf({64}, 5).detach().to(kFloat32));
  const uint32_t version = p.version();
  opt.step();
  EXPECT_EQ(p.data_ptr(), data);
  EXPECT_GT(p.version(), version);
  const auto state = opt.state_dict();
  EXPECT_TRUE(state.contains("state.0.max_exp_avg_sq"));
}

// A contiguous parameter whose gradient is a strided view takes the composed path (the kernel
// would read the gradient in memory order) and ends where the fused one does.
TEST(FusedAdam, NonContiguousGradientTakesTheComposedPath) {
  for (DType dtype : {kFloat64, kFloat32}) {
    Tensor a = contiguous_param({4, 6}, dtype, 6);
    Tensor b = a.detach().clone().requires_grad_();
    optim::Adam opt_a({a}, {.lr = 0.1, .weight_decay = 0.05});
    optim::Adam opt_b({b}, {.lr = 0.1, .weight_decay = 0.05});
    for (int s = 0; s < 4; ++s) {
      Tensor g = test::leaf({4, 6}, 7 + s).detach().to(dtype);
      a.set_grad(g.clone());
      Tensor strided = g.t().contiguous().t();
      ASSERT_FALSE(strided.is_contiguous());
      b.set_grad(strided);
      opt_a.step();
      opt_b.step();
    }
    EXPECT_TRUE(equal(a, b));
  }
}

}  // namespace
