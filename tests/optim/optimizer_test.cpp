// What all optimizers share: checking their parameters, parameter groups, zero_grad, the
// learning-rate accessors for schedulers, and checking gradients before a step.
#include <gtest/gtest.h>
#include <strata/optim.h>

#include "support/test_util.h"

namespace {

using namespace strata;
using strata::test::expect_error;
using strata::test::leaf_of;
namespace optim = strata::optim;

// ---- construction ----

TEST(Optimizer, NoParametersIsAnErrorThatMentionsTheModuleList) {
  expect_error([] { optim::SGD opt(std::vector<Tensor>{}); }, "[SGD] was given no parameters");
  expect_error([] { optim::Adam opt(std::vector<Tensor>{}); },
               "did the model list its members in STRATA_MODULE");
  expect_error(
      [] {
        optim::RMSprop opt(std::vector<optim::ParamGroup<optim::RMSpropOptions>>{{}, {}});
      },
      "[RMSprop] was given no parameters (2 groups, all empty)");
}

TEST(Optimizer, NonLeafParameterIsAnError) {
  Tensor w = leaf_of({1, 2}, {2});
  Tensor derived = w * 2.0;
  expect_error(
      [&] {
        optim::SGD opt({w, derived});
      },
      "[SGD] can't optimize a non-leaf tensor: parameter 1 of group 0");
  expect_error([&] { optim::AdamW opt({derived}); }, "was computed by MulBackward");
}

TEST(Optimizer, ParameterThatDoesNotRequireGradIsAllowedAndUpdatedWhenItHasAGradient) {
  // As PyTorch: requires_grad is not checked; a parameter with a gradient is stepped.
  Tensor frozen = from_vector(std::vector<double>{1, 2}, {2}, {.dtype = kFloat64});
  optim::SGD opt({frozen}, {.lr = 0.5});
  opt.step();  // no gradient: skipped
  test::expect_values(frozen, {1, 2});
  frozen.set_grad(from_vector(std::vector<double>{1, 1}, {2}, {.dtype = kFloat64}));
  opt.step();
  test::expect_values(frozen, {0.5, 1.5});
}

TEST(Optimizer, UndefinedOrIntegerParametersAreErrors) {
  expect_error([] { optim::SGD opt({Tensor()}); }, "[SGD] parameter 0 of group 0 is an undefined Tensor");
  Tensor ints = arange(3);
  expect_error([&] { optim::Adam opt({ints}); },
               "[Adam] parameter 0 of group 0 ([3] int64 cpu) is not floating-point");
}

TEST(Optimizer, SameParameterTwiceIsAnError) {
  Tensor a = test::leaf({2}, 1), b = test::leaf({3}, 2);
  expect_error(
      [&] {
        optim::SGD opt({a, b, a});
      },
      "[SGD] parameter 2 of group 0 ([2] float64 cpu) is the same tensor as parameter 0 of that group");
  expect_error(
      [&] {
        optim::Adam opt({{.params = {a, b}}, {.params = {b}}});
      },
      "[Adam] some parameters appear in more than one parameter group: parameter 0 of group 1 ([3] float64 "
      "cpu) is also parameter 1 of group 0");
}

// ---- parameter groups and the scheduler interface ----

TEST(Optimizer, GroupsWithoutOptionsUseTheDefaults) {
  Tensor a = leaf_of({1, 2}, {2}), b = leaf_of({3}, {1});
  optim::SGD opt({{.params = {a}, .options = optim::SGDOptions{.lr = 0.1}}, {.params = {b}}},
                 optim::SGDOptions{.lr = 0.01});
  ASSERT_EQ(opt.num_param_groups(), 2u);
  EXPECT_EQ(opt.num_params(), 2u);
  EXPECT_EQ(opt.lr(0), 0.1);
  EXPECT_EQ(opt.lr(1), 0.01);
  EXPECT_EQ(opt.params(1).size(), 1u);
  EXPECT_TRUE(opt.params(1)[0].impl_ptr() == b.impl_ptr());
  a.set_grad(ones_like(a));
  b.set_grad(ones_like(b));
  opt.step();
  test::expect_values(a, {0.9, 1.9});
  test::expect_values(b, {2.99});
}

TEST(Optimizer, GroupOptionsCanBeGivenAsADesignatedList) {
  Tensor a = leaf_of({1}, {1});
  optim::Adam opt({{.params = {a}, .options = {{.lr = 0.5, .amsgrad = true}}}});
  EXPECT_EQ(opt.options(0).lr, 0.5);
  EXPECT_TRUE(opt.options(0).amsgrad);
  EXPECT_EQ(opt.options(0).betas[1], 0.999);  // the struct's default, not inherited from anywhere
}

TEST(Optimizer, SetLrChangesTheNextStep) {
  Tensor a = leaf_of({1}, {1});
  optim::SGD opt({a}, {.lr = 1.0});
  opt.set_lr(0, 0.25);
  EXPECT_EQ(opt.lr(0), 0.25);
  a.set_grad(ones_like(a));
  opt.step();
  test::expect_values(a, {0.75});
}

TEST(Optimizer, GroupIndexAndLrAreChecked) {
  Tensor a = leaf_of({1}, {1});
  optim::RMSprop opt({a});
  expect_error([&] { opt.lr(1); },
               "[RMSprop] lr: there is no parameter group 1; this optimizer has 1 (0 to 0)");
  expect_error([&] { opt.set_lr(3, 0.1); }, "[RMSprop] set_lr: there is no parameter group 3");
  expect_error([&] { opt.params(2); }, "[RMSprop] params: there is no parameter group 2");
  expect_error([&] { opt.set_lr(0, -0.5); }, "[RMSprop] invalid learning rate -0.5 in set_lr for group 0");
  EXPECT_EQ(opt.lr(0), 1e-2);  // unchanged by the failed call
}

TEST(Optimizer, SetOptionsIsChecked) {
  Tensor a = leaf_of({1}, {1});
  optim::SGD opt({a});
  opt.set_options(0, {.lr = 0.1, .momentum = 0.9, .nesterov = true});
  EXPECT_TRUE(opt.options(0).nesterov);
  expect_error(
      [&] { opt.set_options(0, {.lr = 0.1, .nesterov = true}); },
      "[SGD] Nesterov momentum requires a momentum and zero dampening (set_options for group 0: nesterov");
  EXPECT_EQ(opt.options(0).momentum, 0.9);
}

TEST(Optimizer, AddParamGroup) {
  Tensor a = leaf_of({1}, {1}), b = leaf_of({2}, {1});
  optim::SGD opt({a}, {.lr = 0.5});
  opt.add_param_group({.params = {b}, .options = optim::SGDOptions{.lr = 0.25}});
  EXPECT_EQ(opt.num_param_groups(), 2u);
  EXPECT_EQ(opt.lr(1), 0.25);
  a.set_grad(ones_like(a));
  b.set_grad(ones_like(b));
  opt.step();
  test::expect_values(a, {0.5});
  test::expect_values(b, {1.75});
  expect_error([&] { opt.add_param_group({.params = {a}}); },
               "[SGD] some parameters appear in more than one parameter group: parameter 0 of group 2");
  EXPECT_EQ(opt.num_param_groups(), 2u);
  opt.add_param_group({.params = {leaf_of({5}, {1})}});
  EXPECT_EQ(opt.lr(2), 0.5);
}

TEST(Optimizer, MovedOptimizerKeepsWorking) {
  Tensor a = leaf_of({1}, {1});
  optim::SGD first({a}, {.lr = 0.5, .momentum = 0.5});
  a.set_grad(ones_like(a));
  first.step();  // buf = 1, a = 0.5
  optim::SGD second = std::move(first);
  second.step();  // buf = 1.5, a = -0.25
  test::expect_values(a, {-0.25});
}

// ---- zero_grad ----

TEST(Optimizer, ZeroGradSetsToNoneByDefault) {
  Tensor a = test::leaf({2, 3}, 1);
  optim::Adam opt({a});
  (a * a).sum().backward();
  ASSERT_TRUE(a.grad().defined());
  opt.zero_grad();
  EXPECT_FALSE(a.grad().defined());
}

TEST(Optimizer, ZeroGradCanZeroInPlace) {
  Tensor a = test::leaf({2, 3}, 1);
  optim::SGD opt({a});
  (a * a).sum().backward();
  const auto before = a.grad().impl_ptr();
  opt.zero_grad(/*set_to_none=*/false);
  ASSERT_TRUE(a.grad().defined());
  EXPECT_TRUE(a.grad().impl_ptr() == before);
  test::expect_values(a.grad(), std::vector<double>(6, 0.0));
}

TEST(Optimizer, ZeroGradInPlaceDropsTheHistoryOfAGradientBuiltWithCreateGraph) {
  Tensor a = test::leaf({3}, 4);
  optim::SGD opt({a});
  (a * a * a).sum().backward({}, false, /*create_graph=*/true);
  ASSERT_TRUE(a.grad().requires_grad());
  opt.zero_grad(false);
  EXPECT_FALSE(a.grad().requires_grad());
  test::expect_values(a.grad(), {0, 0, 0});
}

// ---- gradients are checked before anything changes ----

TEST(Optimizer, GradientOfAnotherDtypeIsAnErrorAndNothingIsStepped) {
  Tensor a = leaf_of({1, 2}, {2}), b = leaf_of({3, 4}, {2});
  optim::SGD opt({a, b}, {.lr = 0.1});
  a.set_grad(ones_like(a));
  b.set_grad(ones({2}, {.dtype = kFloat32}));
  expect_error(
      [&] { opt.step(); },
      "[SGD] the gradient of parameter 1 of group 0 ([2] float64 cpu) is [2] float32 cpu; a gradient "
      "must have its parameter's shape, dtype and device");
  test::expect_values(a, {1, 2});  // the good parameter before it was not stepped either
}

TEST(Optimizer, GradientOfAnotherShapeIsAnError) {
  Tensor a = leaf_of({1, 2}, {2});
  optim::Adam opt({a});
  // set_grad refuses a wrong shape, so put one in place the way a buggy extension could.
  a.impl().grad = zeros({3}, {.dtype = kFloat64}).impl_ptr();
  expect_error([&] { opt.step(); }, "[Adam] the gradient of parameter 0 of group 0 ([2] float64 cpu) is [3]");
}

TEST(Optimizer, StepRecordsNoGraphAndKeepsParametersLeaves) {
  Tensor a = test::leaf({4}, 3);
  optim::Adam opt({a}, {.lr = 0.1});
  (a * a).sum().backward();
  opt.step();
  EXPECT_TRUE(a.is_leaf());
  EXPECT_TRUE(a.requires_grad());
  EXPECT_TRUE(is_grad_enabled());
}

}  // namespace
