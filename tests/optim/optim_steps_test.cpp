// Each optimizer's update on small hand-computed cases, its option checks, and how it treats
// parameters: in place, one op for plain SGD, non-contiguous and float32 parameters, skipped ones.
#include <gtest/gtest.h>
#include <strata/optim.h>

#include <cmath>

#include "support/test_util.h"

namespace {

using namespace strata;
using strata::test::expect_error;
using strata::test::expect_values;
using strata::test::leaf_of;
namespace optim = strata::optim;

Tensor values(const std::vector<double>& v) {
  return from_vector(v, {static_cast<int64_t>(v.size())}, {.dtype = kFloat64});
}

// ---- SGD ----

TEST(SGD, PlainStep) {
  Tensor p = leaf_of({1, 2}, {2});
  optim::SGD opt({p}, {.lr = 0.1});
  p.set_grad(values({0.5, -1}));
  opt.step();
  expect_values(p, {0.95, 2.1}, 1e-15);
}

TEST(SGD, PlainStepIsOneInPlaceOpOnTheParameter) {
  Tensor p = test::leaf({16}, 1);
  const void* data = p.data_ptr();
  for (bool maximize : {false, true}) {
    optim::SGD opt({p}, {.lr = 0.1, .maximize = maximize});
    p.set_grad(ones_like(p));
    const uint32_t version = p.version();
    opt.step();
    EXPECT_EQ(p.version(), version + 1) << "maximize " << maximize;
    EXPECT_EQ(p.data_ptr(), data);
  }
}

TEST(SGD, MomentumDampeningAndNesterovByHand) {
  // Constant gradient g = 1 and lr 1: heavy-ball momentum 0.5 with dampening 0.5 gives buffers
  // 1 (the first gradient, undampened), 0.5 + 0.5 = 1, ...; Nesterov steps by g + momentum * buf.
  Tensor a = leaf_of({0}, {1}), b = leaf_of({0}, {1}), c = leaf_of({0}, {1});
  optim::SGD heavy({a}, {.lr = 1, .momentum = 0.5});
  optim::SGD damped({b}, {.lr = 1, .momentum = 0.5, .dampening = 0.5});
  optim::SGD nesterov({c}, {.lr = 1, .momentum = 0.5, .nesterov = true});
  for (int step = 0; step < 2; ++step) {
    for (Tensor* t : {&a, &b, &c}) t->set_grad(values({1}));
    heavy.step();
    damped.step();
    nesterov.step();
  }
  expect_values(a, {-(1 + 1.5)});     // buffers 1, 1.5
  expect_values(b, {-(1 + 1)});       // buffers 1, 1
  expect_values(c, {-(1.5 + 1.75)});  // buffers 1, 1.5; steps 1 + 0.5, 1 + 0.75
}

TEST(SGD, WeightDecayAndMaximize) {
  Tensor p = leaf_of({2}, {1});
  optim::SGD opt({p}, {.lr = 0.1, .weight_decay = 0.5, .maximize = true});
  p.set_grad(values({1}));
  opt.step();  // d_p = -1 + 0.5 * 2 = 0
  expect_values(p, {2});
  p.set_grad(values({-3}));
  opt.step();  // d_p = 3 + 1 = 4
  expect_values(p, {1.6}, 1e-15);
}

TEST(SGD, MomentumBufferDoesNotAliasTheGradient) {
  Tensor p = leaf_of({0, 0}, {2});
  optim::SGD opt({p}, {.lr = 1, .momentum = 0.9});
  Tensor g = values({1, 1});
  p.set_grad(g);
  opt.step();
  g.fill_(100.0);  // a caller reusing its gradient tensor must not change the buffer
  p.set_grad(values({0, 0}));
  opt.step();
  expect_values(p, {-1.9, -1.9}, 1e-15);
}

TEST(SGD, OptionsAreChecked) {
  Tensor p = test::leaf({2});
  expect_error([&] { optim::SGD opt({p}, {.lr = -0.1}); },
               "[SGD] invalid learning rate -0.1 in the default options; lr must be >= 0");
  expect_error([&] { optim::SGD opt({p}, {.lr = std::nan("")}); }, "[SGD] invalid learning rate nan");
  expect_error([&] { optim::SGD opt({p}, {.momentum = -1}); }, "[SGD] invalid momentum value -1");
  expect_error([&] { optim::SGD opt({p}, {.weight_decay = -1}); }, "[SGD] invalid weight_decay value -1");
  expect_error(
      [&] { optim::SGD opt({p}, {.nesterov = true}); },
      "[SGD] Nesterov momentum requires a momentum and zero dampening (the default options: nesterov = "
      "true, momentum 0, dampening 0); set .momentum > 0");
  expect_error([&] { optim::SGD opt({p}, {.momentum = 0.9, .dampening = 0.1, .nesterov = true}); },
               "momentum 0.9, dampening 0.1)");
  Tensor q = test::leaf({2}, 2);
  expect_error(
      [&] {
        optim::SGD opt({{.params = {p}}, {.params = {q}, .options = optim::SGDOptions{.lr = -1}}});
      },
      "[SGD] invalid learning rate -1 in the options of group 1");
}

// ---- Adam and AdamW ----

TEST(Adam, FirstStepIsLrTimesTheGradientsSign) {
  // After one step the bias-corrected moments are g and g^2: the update is lr * g / (|g| + eps).
  Tensor p = leaf_of({1, 1, 1}, {3});
  optim::Adam opt({p}, {.lr = 0.1});
  p.set_grad(values({2, -0.5, 0}));
  opt.step();
  expect_values(p, {1 - 0.1 * 2 / (2 + 1e-8), 1 + 0.1 * 0.5 / (0.5 + 1e-8), 1}, 1e-15);
}

TEST(Adam, TwoStepsByHand) {
  const double lr = 0.01, b1 = 0.8, b2 = 0.9, eps = 1e-3, wd = 0.1;
  Tensor p = leaf_of({1}, {1});
  optim::Adam opt({p}, {.lr = lr, .betas = {b1, b2}, .eps = eps, .weight_decay = wd});
  double x = 1, m = 0, v = 0;
  for (int t = 1; t <= 2; ++t) {
    const double g0 = t == 1 ? 0.3 : -0.2;
    p.set_grad(values({g0}));
    opt.step();
    const double g = g0 + wd * x;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    x -= lr / (1 - std::pow(b1, t)) * m / (std::sqrt(v) / std::sqrt(1 - std::pow(b2, t)) + eps);
    expect_values(p, {x}, 1e-15);
  }
}

TEST(Adam, AmsgradUsesTheLargestSecondMoment) {
  // A large first gradient then a tiny one: with amsgrad the denominator keeps the large moment.
  Tensor a = leaf_of({0}, {1}), b = leaf_of({0}, {1});
  optim::Adam plain({a}, {.lr = 1, .betas = {0, 0}});
  optim::Adam ams({b}, {.lr = 1, .betas = {0, 0}, .amsgrad = true});
  for (double g : {10.0, 0.1}) {
    a.set_grad(values({g}));
    b.set_grad(values({g}));
    plain.step();
    ams.step();
  }
  expect_values(a, {-2}, 1e-6);             // -1 then -1
  expect_values(b, {-1 - 0.1 / 10}, 1e-6);  // -1 then -0.1 / sqrt(100)
}

TEST(AdamW, DecaysTheParameterInsteadOfTheGradient) {
  Tensor p = leaf_of({2}, {1});
  optim::AdamW opt({p}, {.lr = 0.1, .weight_decay = 0.5});
  p.set_grad(values({4}));
  opt.step();
  expect_values(p, {2 * (1 - 0.1 * 0.5) - 0.1 * 4 / (4 + 1e-8)}, 1e-15);
  EXPECT_EQ(optim::AdamWOptions{}.weight_decay, 1e-2);
  EXPECT_EQ(optim::AdamOptions{}.weight_decay, 0.0);
}

TEST(Adam, OptionsAreChecked) {
  Tensor p = test::leaf({2});
  expect_error([&] { optim::Adam opt({p}, {.lr = -1}); },
               "[Adam] invalid learning rate -1 in the default options");
  expect_error([&] { optim::Adam opt({p}, {.eps = -1e-8}); }, "[Adam] invalid epsilon value -1e-08");
  expect_error(
      [&] {
        optim::Adam opt({p}, {.betas = {1.0, 0.999}});
      },
      "[Adam] invalid beta parameter at index 0: 1 in the default options; betas must be in [0, 1)");
  expect_error(
      [&] {
        optim::Adam opt({p}, {.betas = {0.9, -0.1}});
      },
      "invalid beta parameter at index 1: -0.1");
  expect_error([&] { optim::Adam opt({p}, {.weight_decay = -0.1}); },
               "[Adam] invalid weight_decay value -0.1");
  expect_error(
      [&] {
        optim::AdamW opt({p}, {.betas = {0.9, 1.5}});
      },
      "[AdamW] invalid beta parameter at index 1: 1.5");
  expect_error([&] { optim::AdamW opt({p}, {.lr = -2}); }, "[AdamW] invalid learning rate -2");
}

// ---- RMSprop ----

TEST(RMSprop, FirstStepByHand) {
  Tensor p = leaf_of({1, 1}, {2});
  optim::RMSprop opt({p}, {.lr = 0.01});
  p.set_grad(values({2, -1}));
  opt.step();
  const double s = std::sqrt(0.01);  // sqrt(1 - alpha)
  expect_values(p, {1 - 0.01 * 2 / (s * 2 + 1e-8), 1 + 0.01 * 1 / (s * 1 + 1e-8)}, 1e-15);
}

TEST(RMSprop, CenteredMomentumTwoStepsByHand) {
  const double lr = 0.1, alpha = 0.5, eps = 0.01, mu = 0.7;
  Tensor p = leaf_of({1}, {1});
  optim::RMSprop opt({p}, {.lr = lr, .alpha = alpha, .eps = eps, .momentum = mu, .centered = true});
  double x = 1, sq = 0, ga = 0, buf = 0;
  for (double g : {0.4, -0.3}) {
    p.set_grad(values({g}));
    opt.step();
    sq = alpha * sq + (1 - alpha) * g * g;
    ga = alpha * ga + (1 - alpha) * g;
    buf = mu * buf + g / (std::sqrt(sq - ga * ga) + eps);
    x -= lr * buf;
    expect_values(p, {x}, 1e-15);
  }
}

TEST(RMSprop, OptionsAreChecked) {
  Tensor p = test::leaf({2});
  expect_error([&] { optim::RMSprop opt({p}, {.lr = -1}); }, "[RMSprop] invalid learning rate -1");
  expect_error([&] { optim::RMSprop opt({p}, {.alpha = -0.5}); }, "[RMSprop] invalid alpha value -0.5");
  expect_error([&] { optim::RMSprop opt({p}, {.eps = -1}); }, "[RMSprop] invalid epsilon value -1");
  expect_error([&] { optim::RMSprop opt({p}, {.weight_decay = -1}); },
               "[RMSprop] invalid weight_decay value -1");
  expect_error([&] { optim::RMSprop opt({p}, {.momentum = -1}); }, "[RMSprop] invalid momentum value -1");
}

// ---- parameters of every kind, for every optimizer ----

// Runs `steps` steps of a fixed quadratic objective with each optimizer over `params`.
template <typename Opt, typename Options>
void run(std::vector<Tensor> params, const Options& options, int steps = 5) {
  Opt opt(params, options);
  for (int s = 0; s < steps; ++s) {
    opt.zero_grad();
    Tensor loss;
    for (const Tensor& p : params) {
      Tensor term = (p * p * p).sum() + (p * 0.5).sum();
      loss = loss.defined() ? loss + term : term;
    }
    loss.backward();
    opt.step();
  }
}

template <typename Opt, typename Options>
void check_layouts_and_dtypes(const Options& options) {
  // A non-contiguous parameter must be updated exactly as its contiguous copy is.
  Tensor strided = test::noncontiguous_leaf({3, 4}, 5);
  Tensor dense = strided.detach().contiguous().requires_grad_();
  run<Opt>({strided}, options);
  run<Opt>({dense}, options);
  EXPECT_TRUE(equal(strided, dense));
  EXPECT_FALSE(strided.is_contiguous());
  // float32 parameters stay float32 and follow the float64 run closely.
  Tensor f64 = test::leaf({6}, 9);
  Tensor f32 = f64.detach().to(kFloat32).requires_grad_();
  run<Opt>({f64}, options);
  run<Opt>({f32}, options);
  EXPECT_EQ(f32.dtype(), kFloat32);
  EXPECT_TRUE(allclose(f32.to(kFloat64), f64, 1e-5, 1e-6));
}

TEST(AllOptimizers, NonContiguousAndFloat32Parameters) {
  check_layouts_and_dtypes<optim::SGD>(optim::SGDOptions{.lr = 0.05, .momentum = 0.9, .nesterov = true});
  check_layouts_and_dtypes<optim::Adam>(optim::AdamOptions{.lr = 0.05, .weight_decay = 0.1, .amsgrad = true});
  check_layouts_and_dtypes<optim::AdamW>(optim::AdamWOptions{.lr = 0.05});
  check_layouts_and_dtypes<optim::RMSprop>(
      optim::RMSpropOptions{.lr = 0.01, .weight_decay = 0.1, .momentum = 0.5, .centered = true});
}

template <typename Opt, typename Options>
void check_skips_parameters_without_gradient(const Options& options) {
  Tensor used = test::leaf({3}, 1), unused = test::leaf({2}, 2), empty = test::empty_leaf({0, 4});
  const Tensor before = unused.detach().clone();
  Opt opt({used, unused, empty}, options);
  for (int s = 0; s < 3; ++s) {
    opt.zero_grad();
    ((used * used).sum() + empty.sum()).backward();
    opt.step();
  }
  EXPECT_TRUE(equal(unused, before));
  for (const auto& key : opt.state_dict().keys())
    EXPECT_EQ(key.rfind("state.1.", 0), std::string::npos) << key;
}

TEST(AllOptimizers, SkipParametersWithoutGradientAndStepEmptyOnes) {
  check_skips_parameters_without_gradient<optim::SGD>(optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
  check_skips_parameters_without_gradient<optim::Adam>(optim::AdamOptions{});
  check_skips_parameters_without_gradient<optim::AdamW>(optim::AdamWOptions{.amsgrad = true});
  check_skips_parameters_without_gradient<optim::RMSprop>(optim::RMSpropOptions{.momentum = 0.1});
}

}  // namespace
