// The learning-rate schedulers against PyTorch 1.13: every rate (and OneCycleLR's momentum) of each
// recorded schedule, step by step, from tests/fixtures/optim/sched_lr.json (tools/gen_sched_fixtures.py);
// then state_dict round trips and the errors for bad settings.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "golden/golden_fixture.h"
#include "strata/optim/adam.h"
#include "strata/optim/lr_scheduler.h"
#include "strata/optim/rmsprop.h"
#include "strata/optim/sgd.h"
#include "support/test_util.h"

namespace {

using namespace strata;
using namespace strata::optim;
using golden::Json;
using strata::test::expect_error;

Json load_fixture() {
  return golden::load_json((std::filesystem::path(STRATA_FIXTURES_DIR) / "optim" / "sched_lr.json").string());
}

// An optimizer of the case's kind with one two-element parameter per group.
std::unique_ptr<Optimizer> make_optimizer(const std::string& kind, const std::vector<double>& lrs,
                                          double momentum) {
  if (kind == "sgd") {
    std::vector<ParamGroup<SGDOptions>> groups;
    for (double lr : lrs)
      groups.push_back(
          {.params = {zeros({2}).requires_grad_()}, .options = SGDOptions{.lr = lr, .momentum = momentum}});
    return std::make_unique<SGD>(std::move(groups));
  }
  if (kind == "rmsprop") {
    std::vector<ParamGroup<RMSpropOptions>> groups;
    for (double lr : lrs)
      groups.push_back({.params = {zeros({2}).requires_grad_()},
                        .options = RMSpropOptions{.lr = lr, .momentum = momentum}});
    return std::make_unique<RMSprop>(std::move(groups));
  }
  if (kind == "adamw") {
    std::vector<ParamGroup<AdamWOptions>> groups;
    for (double lr : lrs)
      groups.push_back({.params = {zeros({2}).requires_grad_()}, .options = AdamWOptions{.lr = lr}});
    return std::make_unique<AdamW>(std::move(groups));
  }
  std::vector<ParamGroup<AdamOptions>> groups;
  for (double lr : lrs)
    groups.push_back({.params = {zeros({2}).requires_grad_()}, .options = AdamOptions{.lr = lr}});
  return std::make_unique<Adam>(std::move(groups));
}

double momentum_of(Optimizer& opt, size_t group) {
  if (auto* sgd = dynamic_cast<SGD*>(&opt)) return sgd->options(group).momentum;
  if (auto* rms = dynamic_cast<RMSprop*>(&opt)) return rms->options(group).momentum;
  if (auto* adamw = dynamic_cast<AdamW*>(&opt)) return adamw->options(group).betas[0];
  return dynamic_cast<Adam&>(opt).options(group).betas[0];
}

std::vector<double> doubles(const Json& j) {
  if (j.is_array()) return j.get<std::vector<double>>();
  return {j.get<double>()};
}

// The strata scheduler for one of the generator's configs (PyTorch's keyword arguments).
std::shared_ptr<LRScheduler> make_scheduler(Optimizer& opt, const Json& c) {
  const std::string type = c.at("type").get<std::string>();
  if (type == "StepLR")
    return std::make_shared<StepLR>(opt, c.at("step_size").get<int64_t>(), c.value("gamma", 0.1));
  if (type == "MultiStepLR")
    return std::make_shared<MultiStepLR>(opt, c.at("milestones").get<std::vector<int64_t>>(),
                                         c.value("gamma", 0.1));
  if (type == "ExponentialLR") return std::make_shared<ExponentialLR>(opt, c.at("gamma").get<double>());
  if (type == "CosineAnnealingLR")
    return std::make_shared<CosineAnnealingLR>(opt, c.at("T_max").get<int64_t>(), c.value("eta_min", 0.0));
  if (type == "LinearLR")
    return std::make_shared<LinearLR>(opt, c.value("start_factor", 1.0 / 3), c.value("end_factor", 1.0),
                                      c.value("total_iters", int64_t{5}));
  if (type == "OneCycleLR") {
    OneCycleLROptions o;
    o.total_steps = c.value("total_steps", int64_t{0});
    o.epochs = c.value("epochs", int64_t{0});
    o.steps_per_epoch = c.value("steps_per_epoch", int64_t{0});
    o.pct_start = c.value("pct_start", 0.3);
    o.anneal_strategy = c.value("anneal_strategy", std::string("cos")) == "cos" ? AnnealStrategy::Cos
                                                                                : AnnealStrategy::Linear;
    o.cycle_momentum = c.value("cycle_momentum", true);
    o.base_momentum = c.value("base_momentum", 0.85);
    o.max_momentum = c.value("max_momentum", 0.95);
    o.div_factor = c.value("div_factor", 25.0);
    o.final_div_factor = c.value("final_div_factor", 1e4);
    o.three_phase = c.value("three_phase", false);
    const std::vector<double> max_lr = doubles(c.at("max_lr"));
    if (max_lr.size() == 1) return std::make_shared<OneCycleLR>(opt, max_lr[0], o);
    return std::make_shared<OneCycleLR>(opt, max_lr, o);
  }
  if (type == "SequentialLR") {
    std::vector<std::shared_ptr<LRScheduler>> children;
    for (const Json& child : c.at("schedulers")) children.push_back(make_scheduler(opt, child));
    return std::make_shared<SequentialLR>(opt, children, c.at("milestones").get<std::vector<int64_t>>());
  }
  throw std::runtime_error("sched fixture: unknown scheduler " + type);
}

// Every rate and momentum within 1e-12 of PyTorch's (relative to the rate's size). PyTorch's one
// negative rate (OneCycleLR's linear anneal extrapolated at its last step) is 0 here: optimizers refuse
// negative rates.
void expect_row(const std::vector<double>& got, const Json& want, const std::string& what) {
  auto w = want.get<std::vector<double>>();
  for (double& v : w) v = std::max(v, 0.0);
  ASSERT_EQ(got.size(), w.size()) << what;
  for (size_t g = 0; g < w.size(); ++g)
    EXPECT_NEAR(got[g], w[g], 1e-12 * std::max(1.0, std::fabs(w[g]))) << what << ", group " << g;
}

TEST(LRSchedulerGolden, EveryScheduleMatchesPyTorchStepByStep) {
  const Json file = load_fixture();
  int checked = 0;
  for (const Json& c : file.at("cases")) {
    const std::string name = c.at("name").get<std::string>();
    SCOPED_TRACE(name);
    auto opt =
        make_optimizer(c.at("optimizer").get<std::string>(), c.at("group_lrs").get<std::vector<double>>(),
                       c.at("momentum_option").get<double>());
    std::vector<std::shared_ptr<LRScheduler>> scheds;
    for (const Json& s : c.at("schedulers")) scheds.push_back(make_scheduler(*opt, s));
    const Json& lrs = c.at("lrs");
    const Json& momentum = c.at("momentum");
    const auto rates = [&] {
      std::vector<double> r;
      for (size_t g = 0; g < opt->num_param_groups(); ++g) r.push_back(opt->lr(g));
      return r;
    };
    const auto momenta = [&] {
      std::vector<double> m;
      for (size_t g = 0; g < opt->num_param_groups(); ++g) m.push_back(momentum_of(*opt, g));
      return m;
    };
    for (size_t k = 0; k < lrs.size(); ++k) {
      if (k > 0)
        for (auto& s : scheds) s->step();
      expect_row(rates(), lrs[k], "lr after " + std::to_string(k) + " steps");
      expect_row(scheds.back()->get_last_lr(), lrs[k], "get_last_lr after " + std::to_string(k) + " steps");
      expect_row(momenta(), momentum[k], "momentum after " + std::to_string(k) + " steps");
    }
    if (!c.at("error_step").is_null()) {
      const int64_t before = scheds.back()->last_epoch();
      expect_error([&] { scheds.back()->step(); }, "Tried to step");
      EXPECT_EQ(scheds.back()->last_epoch(), before) << "a refused step changes nothing";
      expect_row(rates(), lrs.back(), "lr after the refused step");
    } else {
      EXPECT_EQ(scheds.back()->last_epoch(), c.at("last_epoch").get<int64_t>());
    }
    ++checked;
  }
  EXPECT_GE(checked, 19);
}

TEST(LRScheduler, OneCycleOverstepMessageIsPyTorchs) {
  SGD opt(std::vector<Tensor>{zeros({1}).requires_grad_()}, {.lr = 0.1, .momentum = 0.9});
  OneCycleLR sched(opt, 1.0, {.total_steps = 3});
  for (int i = 0; i < 3; ++i) sched.step();
  expect_error([&] { sched.step(); },
               "[OneCycleLR] Tried to step 5 times. The specified number of total steps is 3");
}

// A scheduler and optimizer saved after 7 steps and loaded into fresh ones continue exactly as the
// uninterrupted pair does.
template <typename Make>
void expect_resume_matches(Make make) {
  auto opt_a = make_optimizer("sgd", {0.1, 0.02}, 0.9);
  auto sched_a = make(*opt_a);
  for (int i = 0; i < 7; ++i) sched_a->step();
  const nn::StateDict saved = sched_a->state_dict();
  const nn::StateDict saved_opt = opt_a->state_dict();

  auto opt_b = make_optimizer("sgd", {0.1, 0.02}, 0.9);
  auto sched_b = make(*opt_b);
  opt_b->load_state_dict(saved_opt);
  sched_b->load_state_dict(saved);
  EXPECT_EQ(sched_b->last_epoch(), 7);
  for (int i = 0; i < 12; ++i) {
    sched_a->step();
    sched_b->step();
    EXPECT_EQ(sched_a->get_last_lr(), sched_b->get_last_lr()) << "step " << i;
  }
}

TEST(LRScheduler, StateDictRoundTripsAndResumes) {
  expect_resume_matches([](Optimizer& o) { return std::make_shared<CosineAnnealingLR>(o, 5, 0.001); });
  expect_resume_matches([](Optimizer& o) {
    return std::make_shared<MultiStepLR>(o, std::vector<int64_t>{3, 8}, 0.5);
  });
  expect_resume_matches([](Optimizer& o) {
    return std::make_shared<OneCycleLR>(o, 0.5, OneCycleLROptions{.total_steps = 25});
  });
  expect_resume_matches([](Optimizer& o) {
    auto a = std::make_shared<LinearLR>(o, 0.2, 1.0, 4);
    auto b = std::make_shared<StepLR>(o, 3, 0.5);
    return std::make_shared<SequentialLR>(o, std::vector<std::shared_ptr<LRScheduler>>{a, b},
                                          std::vector<int64_t>{4});
  });
}

TEST(LRScheduler, StateDictUsesPyTorchsNames) {
  auto opt = make_optimizer("sgd", {0.1, 0.01}, 0.0);
  StepLR sched(*opt, 3, 0.5);
  sched.step();
  const nn::StateDict sd = sched.state_dict();
  EXPECT_EQ(sd.keys(), (std::vector<std::string>{"base_lrs", "last_epoch", "_step_count", "_last_lr",
                                                 "step_size", "gamma"}));
  EXPECT_EQ(sd.at("last_epoch").dtype(), kInt64);
  EXPECT_EQ(sd.at("last_epoch").dim(), 0);
  EXPECT_EQ(sd.at("last_epoch").item<int64_t>(), 1);
  EXPECT_EQ(sd.at("_step_count").item<int64_t>(), 2);  // the initial step counts, as in PyTorch
  EXPECT_EQ(sd.at("base_lrs").to_vector<double>(), (std::vector<double>{0.1, 0.01}));
  EXPECT_EQ(sd.at("gamma").item<double>(), 0.5);

  auto a = std::make_shared<LinearLR>(*opt);
  auto b = std::make_shared<ExponentialLR>(*opt, 0.9);
  SequentialLR seq(*opt, {a, b}, {5});
  const nn::StateDict ss = seq.state_dict();
  EXPECT_TRUE(ss.contains("_milestones"));
  EXPECT_TRUE(ss.contains("_schedulers.0.start_factor"));
  EXPECT_TRUE(ss.contains("_schedulers.1.gamma"));
  EXPECT_FALSE(ss.contains("base_lrs"));
}

TEST(LRScheduler, LoadStateDictListsProblemsAndChangesNothing) {
  auto opt = make_optimizer("sgd", {0.1, 0.01}, 0.0);
  StepLR sched(*opt, 3, 0.5);
  sched.step();
  nn::StateDict bad = sched.state_dict();
  bad.erase("gamma");
  bad.insert("base_lrs", from_vector(std::vector<double>{1.0, 2.0, 3.0}));
  expect_error([&] { sched.load_state_dict(bad); }, "\"gamma\" is missing");
  expect_error([&] { sched.load_state_dict(bad); },
               "\"base_lrs\" is [3] float64 cpu, expected a 1-d tensor of 2 values");
  nn::StateDict invalid = sched.state_dict();
  invalid.insert("step_size", full({}, int64_t{0}, {.dtype = kInt64}));
  invalid.insert("last_epoch", full({}, int64_t{40}, {.dtype = kInt64}));
  expect_error([&] { sched.load_state_dict(invalid); }, "step_size must be >= 1");
  EXPECT_EQ(sched.last_epoch(), 1);
  sched.step();
  sched.step();
  EXPECT_DOUBLE_EQ(sched.get_last_lr()[0], 0.05);  // still stepping by 3 with gamma 0.5
}

TEST(LRScheduler, LaterSchedulersStartFromTheFirstOnesInitialLr) {
  auto opt = make_optimizer("sgd", {0.1, 0.01}, 0.0);
  LinearLR warmup(*opt, 0.5, 1.0, 4);
  EXPECT_DOUBLE_EQ(opt->lr(0), 0.05);
  ExponentialLR decay(*opt, 0.9);
  EXPECT_EQ(decay.base_lrs(), (std::vector<double>{0.1, 0.01}));
  EXPECT_EQ(opt->initial_lr(0), 0.1);
}

TEST(LRScheduler, BadSettingsAreErrors) {
  auto opt = make_optimizer("sgd", {0.1, 0.01}, 0.9);
  expect_error([&] { (void)StepLR(*opt, -2); },
               "[StepLR] step_size must be >= 1 (epochs between decays), got -2");
  expect_error([&] { (void)StepLR(*opt, 0); }, "step_size must be >= 1");
  expect_error(
      [&] {
        (void)MultiStepLR(*opt, {3, 2});
      },
      "[MultiStepLR] milestones must be strictly increasing, got 2 after 3");
  expect_error([&] { (void)MultiStepLR(*opt, {3, 3}); }, "strictly increasing");
  expect_error([&] { (void)ExponentialLR(*opt, -0.5); }, "[ExponentialLR] gamma must be finite and >= 0");
  expect_error([&] { (void)CosineAnnealingLR(*opt, 0); }, "[CosineAnnealingLR] T_max must be >= 1");
  expect_error([&] { (void)LinearLR(*opt, 0.0); }, "[LinearLR] start_factor must be in (0, 1]");
  expect_error([&] { (void)LinearLR(*opt, 0.5, 1.5); }, "end_factor must be in [0, 1]");
  expect_error([&] { (void)OneCycleLR(*opt, 0.1); },
               "You must define either total_steps OR (epochs AND steps_per_epoch)");
  expect_error([&] { (void)OneCycleLR(*opt, 0.1, {.total_steps = -3}); },
               "Expected positive integer total_steps, but got -3");
  expect_error([&] { (void)OneCycleLR(*opt, 0.1, {.epochs = 2}); },
               "Expected positive integer steps_per_epoch");
  expect_error([&] { (void)OneCycleLR(*opt, 0.1, {.total_steps = 10, .pct_start = 1.5}); },
               "Expected float between 0 and 1 pct_start, but got 1.5");
  expect_error(
      [&] {
        (void)OneCycleLR(*opt, std::vector<double>{0.1, 0.2, 0.3}, {.total_steps = 10});
      },
      "expected 2 values for max_lr (one per parameter group), got 3");
  expect_error([&] { (void)OneCycleLR(*opt, 0.1, {.total_steps = 10, .pct_start = 0.1}); },
               "phase 1 of the cycle has no steps");
  auto a = std::make_shared<StepLR>(*opt, 2);
  auto b = std::make_shared<ExponentialLR>(*opt, 0.9);
  expect_error(
      [&] {
        (void)SequentialLR(*opt, {a, b}, {});
      },
      "expects number of schedulers provided to be one more than the number of milestone points");
  expect_error(
      [&] {
        (void)SequentialLR(*opt, {a, b, b}, {5, 3});
      },
      "[SequentialLR] milestones must be strictly increasing");
  auto other = make_optimizer("sgd", {0.1}, 0.0);
  auto c = std::make_shared<StepLR>(*other, 2);
  expect_error(
      [&] {
        (void)SequentialLR(*opt, {a, c}, {3});
      },
      "expects all schedulers to belong to the same optimizer");
  expect_error([&] { (void)SequentialLR(*opt, {}, {}); }, "[SequentialLR] was given no schedulers");
}

}  // namespace
