// Optimizer state_dict(): what it holds, that it is a copy, and that load_state_dict() restores it
// exactly or, when anything does not fit, says everything that does not and changes nothing.
#include <gtest/gtest.h>
#include <strata/optim.h>

#include <algorithm>

#include "support/test_util.h"

namespace {

using namespace strata;
using strata::test::expect_error;
using strata::test::expect_values;
namespace optim = strata::optim;

void quadratic_steps(optim::Optimizer& opt, const std::vector<Tensor>& params, int steps) {
  for (int s = 0; s < steps; ++s) {
    opt.zero_grad();
    Tensor loss;
    for (const Tensor& p : params) {
      Tensor term = (p * p * p).sum() - (p * 0.3).sum();
      loss = loss.defined() ? loss + term : term;
    }
    loss.backward();
    opt.step();
  }
}

bool same(const nn::StateDict& a, const nn::StateDict& b) {
  if (a.keys() != b.keys()) return false;
  for (const auto& [key, t] : a)
    if (!(t.dtype() == b.at(key).dtype() && equal(t, b.at(key)))) return false;
  return true;
}

TEST(OptimStateDict, AdamKeysAndValues) {
  Tensor w = test::leaf({2, 3}, 1), b = test::leaf({3}, 2);
  optim::Adam opt(
      {{.params = {w}, .options = optim::AdamOptions{.lr = 0.5, .amsgrad = true}}, {.params = {b}}},
      {.betas = {0.8, 0.9}});
  quadratic_steps(opt, {w}, 2);  // b gets no gradient: no state
  const nn::StateDict sd = opt.state_dict();
  const std::vector<std::string> want = {"state.0.step",
                                         "state.0.exp_avg",
                                         "state.0.exp_avg_sq",
                                         "state.0.max_exp_avg_sq",
                                         "param_groups.0.params",
                                         "param_groups.0.lr",
                                         "param_groups.0.betas",
                                         "param_groups.0.eps",
                                         "param_groups.0.weight_decay",
                                         "param_groups.0.amsgrad",
                                         "param_groups.0.maximize",
                                         "param_groups.1.params",
                                         "param_groups.1.lr",
                                         "param_groups.1.betas",
                                         "param_groups.1.eps",
                                         "param_groups.1.weight_decay",
                                         "param_groups.1.amsgrad",
                                         "param_groups.1.maximize"};
  EXPECT_EQ(sd.keys(), want);
  EXPECT_EQ(sd.at("state.0.step").dtype(), kInt64);
  EXPECT_EQ(sd.at("state.0.step").dim(), 0);
  EXPECT_EQ(sd.at("state.0.step").item<int64_t>(), 2);
  EXPECT_EQ(sd.at("state.0.exp_avg").shape(), w.shape());
  EXPECT_EQ(sd.at("param_groups.0.lr").item<double>(), 0.5);
  EXPECT_EQ(sd.at("param_groups.0.amsgrad").dtype(), kBool);
  EXPECT_TRUE(sd.at("param_groups.0.amsgrad").item<bool>());
  expect_values(sd.at("param_groups.0.betas"), {0.9, 0.999});  // group 0's own options are whole
  expect_values(sd.at("param_groups.1.betas"), {0.8, 0.9});
  EXPECT_EQ(sd.at("param_groups.1.params").to_vector<int64_t>(), std::vector<int64_t>{1});
}

TEST(OptimStateDict, SgdAndRmspropKeys) {
  Tensor w = test::leaf({4}, 1);
  optim::SGD sgd({w}, {.lr = 0.01, .momentum = 0.9});
  EXPECT_FALSE(sgd.state_dict().contains("state.0.momentum_buffer"));
  quadratic_steps(sgd, {w}, 1);
  EXPECT_TRUE(sgd.state_dict().contains("state.0.momentum_buffer"));
  EXPECT_FALSE(sgd.state_dict().contains("state.0.step"));  // SGD counts no steps, as PyTorch
  EXPECT_TRUE(sgd.state_dict().contains("param_groups.0.nesterov"));

  optim::RMSprop rms({w}, {.momentum = 0.5, .centered = true});
  quadratic_steps(rms, {w}, 3);
  const nn::StateDict sd = rms.state_dict();
  for (const char* key : {"state.0.step", "state.0.square_avg", "state.0.momentum_buffer", "state.0.grad_avg",
                          "param_groups.0.alpha", "param_groups.0.centered"})
    EXPECT_TRUE(sd.contains(key)) << key;
  EXPECT_EQ(sd.at("state.0.step").item<int64_t>(), 3);
}

TEST(OptimStateDict, IsACopy) {
  Tensor w = test::leaf({3}, 1);
  optim::Adam opt({w});
  quadratic_steps(opt, {w}, 1);
  const nn::StateDict sd = opt.state_dict();
  const Tensor exp_avg = sd.at("state.0.exp_avg").clone();
  quadratic_steps(opt, {w}, 1);
  EXPECT_TRUE(equal(sd.at("state.0.exp_avg"), exp_avg));
  EXPECT_FALSE(sd.at("state.0.exp_avg").requires_grad());
}

TEST(OptimStateDict, LoadRestoresOptionsAndStateAndCopiesThem) {
  Tensor w = test::leaf({3}, 1);
  optim::RMSprop first({w}, {.lr = 0.003, .alpha = 0.9, .momentum = 0.2});
  quadratic_steps(first, {w}, 4);
  nn::StateDict sd = first.state_dict();

  Tensor v = w.detach().clone().requires_grad_();
  optim::RMSprop second({v});  // default options: the state dict's replace them
  second.load_state_dict(sd);
  EXPECT_EQ(second.lr(0), 0.003);
  EXPECT_EQ(second.options(0).alpha, 0.9);
  EXPECT_EQ(second.options(0).momentum, 0.2);
  EXPECT_TRUE(same(second.state_dict(), sd));

  const_cast<Tensor&>(sd.at("state.0.square_avg")).fill_(123.0);  // the optimizer owns its copy
  EXPECT_FALSE(equal(second.state_dict().at("state.0.square_avg"), sd.at("state.0.square_avg")));
  quadratic_steps(first, {w}, 2);
  quadratic_steps(second, {v}, 2);
  EXPECT_TRUE(equal(w, v));
}

TEST(OptimStateDict, LoadConvertsBuffersToTheParameterDtype) {
  Tensor w = test::leaf({3}, 1);
  optim::SGD first({w}, {.lr = 0.1, .momentum = 0.9});
  quadratic_steps(first, {w}, 1);
  nn::StateDict sd = first.state_dict();
  sd.insert("state.0.momentum_buffer", sd.at("state.0.momentum_buffer").to(kFloat32));
  optim::SGD second({w});
  second.load_state_dict(sd);
  EXPECT_EQ(second.state_dict().at("state.0.momentum_buffer").dtype(), kFloat64);
}

TEST(OptimStateDict, LoadIntoEmptyStateDropsOldState) {
  Tensor w = test::leaf({3}, 1);
  optim::Adam fresh({w});
  const nn::StateDict empty_state = fresh.state_dict();
  optim::Adam used({w});
  quadratic_steps(used, {w}, 2);
  used.load_state_dict(empty_state);
  EXPECT_FALSE(used.state_dict().contains("state.0.step"));
}

// ---- what does not fit ----

class LoadErrors : public ::testing::Test {
 protected:
  Tensor w = test::leaf({2, 3}, 1), b = test::leaf({3}, 2);
  optim::Adam opt{std::vector<Tensor>{w, b}, {.lr = 0.01, .amsgrad = true}};
  nn::StateDict good;

  void SetUp() override {
    quadratic_steps(opt, {w, b}, 2);
    good = opt.state_dict();
  }
  // Loading `sd` must fail with `needle` and leave the optimizer as it was.
  void expect_refused(const nn::StateDict& sd, const std::string& needle) {
    expect_error([&] { opt.load_state_dict(sd); }, needle);
    EXPECT_TRUE(same(opt.state_dict(), good)) << "a failed load changed the optimizer";
  }
  nn::StateDict with(const std::string& key, const Tensor& t) {
    nn::StateDict sd = good;
    sd.insert(key, t);
    return sd;
  }
  nn::StateDict without(const std::string& key) {
    nn::StateDict sd = good;
    EXPECT_TRUE(sd.erase(key)) << key;
    return sd;
  }
};

TEST_F(LoadErrors, BufferOfTheWrongShape) {
  expect_refused(
      with("state.1.exp_avg", zeros({4}, {.dtype = kFloat64})),
      "[Adam] load_state_dict: the state dict does not fit this optimizer, so nothing was loaded (1 "
      "problem):\n  - \"state.1.exp_avg\" is [4] float64 cpu, but parameter 1 ([3] float64 cpu, in group "
      "0) needs a floating-point [3]");
}

TEST_F(LoadErrors, BufferThatIsNotFloatingPoint) {
  expect_refused(with("state.0.exp_avg_sq", zeros({2, 3}, {.dtype = kInt64})),
                 "\"state.0.exp_avg_sq\" is [2, 3] int64 cpu, but parameter 0");
}

TEST_F(LoadErrors, MissingBufferThatTheOptionsNeed) {
  expect_refused(
      without("state.0.max_exp_avg_sq"),
      "\"state.0.max_exp_avg_sq\" is missing (the state of parameter 0 ([2, 3] float64 cpu, in group 0) "
      "with these options needs it)");
}

TEST_F(LoadErrors, BuffersWithoutAStepCount) {
  expect_refused(without("state.1.step"), "\"state.1\" has buffers but no step count");
}

TEST_F(LoadErrors, BadStepCount) {
  expect_refused(with("state.0.step", full({}, -3, {.dtype = kInt64})),
                 "\"state.0.step\" must be a step count: -3 is not a whole number >= 0");
  expect_refused(with("state.0.step", zeros({2})), "\"state.0.step\" must be a step count: not a number");
  expect_refused(with("state.0.step", full({}, 1e300)), "(1 problem)");
  expect_refused(with("state.0.step", full({}, 2.5)), "2.5 is not a whole number >= 0");
}

TEST_F(LoadErrors, StateForAParameterThatDoesNotExist) {
  expect_refused(with("state.5.exp_avg", zeros({3})),
                 "\"state.5.exp_avg\" is for parameter 5, but this optimizer has 2 parameters");
}

TEST_F(LoadErrors, MissingOrInvalidOptions) {
  expect_refused(without("param_groups.0.lr"), "\"param_groups.0.lr\" is missing");
  expect_refused(with("param_groups.0.lr", full({}, -1.0, {.dtype = kFloat64})),
                 "invalid learning rate -1 in param_groups.0; lr must be >= 0");
  expect_refused(with("param_groups.0.betas", zeros({3}, {.dtype = kFloat64})),
                 "\"param_groups.0.betas\" is [3] float64 cpu, expected two numbers");
  expect_refused(with("param_groups.0.amsgrad", zeros({}, {.dtype = kFloat64})),
                 "\"param_groups.0.amsgrad\" is [] float64 cpu, expected one bool");
}

TEST_F(LoadErrors, DifferentGroups) {
  expect_refused(with("param_groups.0.params", arange(3)),
                 "\"param_groups.0.params\" lists 3 parameters, but group 0 of this optimizer has 2");
  expect_refused(with("param_groups.1.params", arange(1)),
                 "the state dict has 2 parameter groups, this optimizer has 1");
  expect_refused(without("param_groups.0.params"), "\"param_groups.0.params\" is missing");
}

TEST_F(LoadErrors, UnexpectedKeys) {
  expect_refused(with("fc1.weight", zeros({2})), "unexpected key \"fc1.weight\"");
  expect_refused(with("state.0.momentum_buffer", zeros({2, 3}, {.dtype = kFloat64})),
                 "unexpected key \"state.0.momentum_buffer\" (Adam keeps no \"momentum_buffer\")");
  expect_refused(with("param_groups.0.momentum", zeros({})),
                 "unexpected key \"param_groups.0.momentum\" (Adam has no option \"momentum\")");
}

TEST_F(LoadErrors, AnotherOptimizersStateListsEveryProblem) {
  optim::SGD sgd({w, b}, {.momentum = 0.9});
  quadratic_steps(sgd, {w, b}, 1);
  try {
    opt.load_state_dict(sgd.state_dict());
    ADD_FAILURE() << "loading SGD's state into Adam succeeded";
  } catch (const Error& e) {
    const std::string message = e.what();
    for (const char* part : {"(Adam keeps no \"momentum_buffer\")", "(Adam has no option \"nesterov\")",
                             "\"param_groups.0.betas\" is missing", "\"param_groups.0.amsgrad\" is missing"})
      EXPECT_NE(message.find(part), std::string::npos) << part << " not in:\n" << message;
  }
  EXPECT_TRUE(same(opt.state_dict(), good));
}

}  // namespace
