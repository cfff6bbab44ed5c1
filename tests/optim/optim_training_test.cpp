// Optimizers with nn modules, as DESIGN.md's training loop uses them: model.parameters() in,
// parameters updated in place, and still working after the model changes dtype.
#include <gtest/gtest.h>
#include <strata/nn.h>
#include <strata/optim.h>

#include "support/test_util.h"

namespace {

using namespace strata;
namespace nn = strata::nn;
namespace optim = strata::optim;

struct Net : nn::Module {
  nn::Linear fc1, fc2;
  Net() : fc1(3, 8), fc2(8, 2) {}
  Tensor forward(const Tensor& x) { return fc2(fc1(x).tanh()); }
  STRATA_MODULE(Net, fc1, fc2)
};

struct NoParameters : nn::Module {
  Tensor forward(const Tensor& x) { return x; }
  STRATA_MODULE(NoParameters)
};

Tensor loss_of(Net& model, const Tensor& x, const Tensor& y) {
  Tensor d = model(x) - y;
  return (d * d).mean();
}

template <typename Opt, typename Options>
void check_training_reduces_the_loss(const Options& options) {
  manual_seed(0);
  Net model;
  const Tensor x = randn({16, 3}), y = randn({16, 2});
  const Tensor fc1_weight = model.fc1.weight;  // the handle the optimizer holds
  Opt opt(model.parameters(), options);
  const double before = loss_of(model, x, y).item<double>();
  for (int step = 0; step < 100; ++step) {
    opt.zero_grad();
    loss_of(model, x, y).backward();
    opt.step();
  }
  EXPECT_LT(loss_of(model, x, y).item<double>(), 0.8 * before);
  EXPECT_TRUE(model.fc1.weight.impl_ptr() == fc1_weight.impl_ptr()) << "parameters are updated in place";
}

TEST(OptimTraining, EveryOptimizerTrainsASmallNet) {
  check_training_reduces_the_loss<optim::SGD>(optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
  check_training_reduces_the_loss<optim::Adam>(optim::AdamOptions{.lr = 1e-2});
  check_training_reduces_the_loss<optim::AdamW>(optim::AdamWOptions{.lr = 1e-2, .weight_decay = 0.01});
  check_training_reduces_the_loss<optim::RMSprop>(optim::RMSpropOptions{.lr = 1e-3});
}

TEST(OptimTraining, AModelWithoutParametersIsAnError) {
  NoParameters empty;
  test::expect_error([&] { optim::AdamW opt(empty.parameters(), {.lr = 1e-3, .weight_decay = 0.01}); },
                     "[AdamW] was given no parameters");
}

TEST(OptimTraining, KeepsWorkingAfterTheModelChangesDtype) {
  manual_seed(1);
  Net model;
  const Tensor x = randn({8, 3}, {.dtype = kFloat64}), y = randn({8, 2}, {.dtype = kFloat64});
  optim::Adam opt(model.parameters(), {.lr = 1e-2, .amsgrad = true});
  opt.zero_grad();
  loss_of(model, x.to(kFloat32), y.to(kFloat32)).backward();
  opt.step();
  EXPECT_EQ(opt.state_dict().at("state.0.exp_avg").dtype(), kFloat32);
  model.to(kFloat64);
  for (int step = 0; step < 3; ++step) {
    opt.zero_grad();
    loss_of(model, x, y).backward();
    opt.step();
  }
  EXPECT_EQ(model.fc1.weight.dtype(), kFloat64);
  EXPECT_EQ(opt.state_dict().at("state.0.exp_avg").dtype(), kFloat64);
  EXPECT_EQ(opt.state_dict().at("state.0.step").item<int64_t>(), 4);
}

}  // namespace
