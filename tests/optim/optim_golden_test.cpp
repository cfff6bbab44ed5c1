// Every optimizer against PyTorch 1.13: 1,000 float64 steps on a small MLP, recorded by
// tools/gen_optim_fixtures.py in tests/fixtures/optim/. One test per recorded configuration checks
// the parameters after steps 1, 10, 100 and 1000 (atol 1e-12 + rtol 1e-9) and the final objective;
// another runs 500 steps, moves the state through state_dict() into a fresh optimizer over copied
// parameters, runs 500 more and requires exactly the uninterrupted run's parameters.
#include <gtest/gtest.h>
#include <strata/optim.h>
#include <strata/strata.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace {

using nlohmann::json;
using strata::Tensor;
namespace optim = strata::optim;
namespace fs = std::filesystem;

const fs::path kFixtureDir = fs::path(STRATA_FIXTURES_DIR) / "optim";
constexpr int kSteps = 1000;

json read_json(const std::string& file) {
  std::ifstream in(kFixtureDir / file);
  if (!in) throw std::runtime_error("cannot open fixture " + (kFixtureDir / file).string());
  return json::parse(in);
}

Tensor tensor_of(const json& j) {
  return strata::from_vector(j.at("data").get<std::vector<double>>(),
                             strata::Shape(j.at("shape").get<std::vector<int64_t>>()),
                             {.dtype = strata::kFloat64});
}

struct Model {
  std::vector<std::string> order;  // W1, b1, W2, b2
  std::map<std::string, Tensor> init;
  Tensor x, target;
};

const Model& model() {
  // Leaked on purpose: tensors must not outlive the library's allocator at exit.
  static const Model& m = *new Model([] {
    const json j = read_json("model.json");
    Model out;
    out.order = j.at("param_order").get<std::vector<std::string>>();
    for (const auto& name : out.order) out.init[name] = tensor_of(j.at("params").at(name));
    out.x = tensor_of(j.at("x"));
    out.target = tensor_of(j.at("target"));
    return out;
  }());
  return m;
}

using Params = std::map<std::string, Tensor>;

Params fresh_params() {
  Params p;
  for (const auto& [name, t] : model().init) p[name] = t.clone().requires_grad_();
  return p;
}

// The same expression as the generator's objective(), written with public ops.
Tensor objective(const Params& p, bool negate) {
  const Model& m = model();
  Tensor h = strata::tanh(strata::matmul(m.x, p.at("W1").t()) + p.at("b1"));
  Tensor y = strata::matmul(h, p.at("W2").t()) + p.at("b2");
  Tensor loss = (y - m.target).pow(2).mean();
  return negate ? -loss : loss;
}

// ---- options from the fixture's JSON (keys are PyTorch's names, which are ours) ----
optim::SGDOptions parse(const json& j, optim::SGDOptions o) {
  o.lr = j.value("lr", o.lr);
  o.momentum = j.value("momentum", o.momentum);
  o.dampening = j.value("dampening", o.dampening);
  o.weight_decay = j.value("weight_decay", o.weight_decay);
  o.nesterov = j.value("nesterov", o.nesterov);
  o.maximize = j.value("maximize", o.maximize);
  return o;
}
template <typename O>
O parse_adam(const json& j, O o) {
  o.lr = j.value("lr", o.lr);
  if (j.contains("betas")) o.betas = {j["betas"][0].get<double>(), j["betas"][1].get<double>()};
  o.eps = j.value("eps", o.eps);
  o.weight_decay = j.value("weight_decay", o.weight_decay);
  o.amsgrad = j.value("amsgrad", o.amsgrad);
  o.maximize = j.value("maximize", o.maximize);
  return o;
}
optim::AdamOptions parse(const json& j, optim::AdamOptions o) { return parse_adam(j, o); }
optim::AdamWOptions parse(const json& j, optim::AdamWOptions o) { return parse_adam(j, o); }
optim::RMSpropOptions parse(const json& j, optim::RMSpropOptions o) {
  o.lr = j.value("lr", o.lr);
  o.alpha = j.value("alpha", o.alpha);
  o.eps = j.value("eps", o.eps);
  o.weight_decay = j.value("weight_decay", o.weight_decay);
  o.momentum = j.value("momentum", o.momentum);
  o.centered = j.value("centered", o.centered);
  o.maximize = j.value("maximize", o.maximize);
  return o;
}

// The configuration's groups over `params`; with `with_options` false every group uses the
// default-constructed options (what load_state_dict must then replace).
template <typename Options>
std::vector<optim::ParamGroup<Options>> groups_of(const json& config, const Params& params,
                                                  bool with_options) {
  std::vector<optim::ParamGroup<Options>> groups;
  for (const json& g : config.at("groups")) {
    optim::ParamGroup<Options> group;
    for (const auto& name : g.at("params").get<std::vector<std::string>>())
      group.params.push_back(params.at(name));
    // A group's options are whole: fields it does not give take the struct's defaults, which for
    // every recorded configuration equal the optimizer defaults PyTorch would fill in.
    if (with_options && !g.at("options").is_null()) group.options = parse(g.at("options"), Options{});
    groups.push_back(std::move(group));
  }
  return groups;
}

template <typename Opt, typename Options>
Opt make(const json& config, const Params& params, bool with_options = true) {
  const Options defaults = with_options ? parse(config.at("defaults"), Options{}) : Options{};
  return Opt(groups_of<Options>(config, params, with_options), defaults);
}

void train(optim::Optimizer& opt, const Params& params, bool negate, int steps,
           const std::function<void(int)>& after_step = {}) {
  for (int step = 1; step <= steps; ++step) {
    opt.zero_grad();
    objective(params, negate).backward();
    opt.step();
    if (after_step) after_step(step);
  }
}

void expect_close(const Tensor& got, const json& want, const std::string& what) {
  const auto g = got.to_vector<double>();
  const auto w = want.at("data").get<std::vector<double>>();
  ASSERT_EQ(g.size(), w.size()) << what;
  double worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    const double excess = std::abs(g[i] - w[i]) / (1e-12 + 1e-9 * std::abs(w[i]));
    if (!(excess <= worst)) worst = excess, at = i;
  }
  EXPECT_LE(worst, 1.0) << what << ": element " << at << " is " << g[at] << ", PyTorch has " << w[at]
                        << " (error " << worst << " x the tolerance 1e-12 + 1e-9 * |expected|)";
}

template <typename Opt, typename Options>
void check_golden(const json& config) {
  const bool negate = config.at("objective") == "neg_mse";
  Params params = fresh_params();
  Opt opt = make<Opt, Options>(config, params);
  const json& snapshots = config.at("snapshots");
  train(opt, params, negate, kSteps, [&](int step) {
    const std::string key = std::to_string(step);
    if (!snapshots.contains(key)) return;
    for (const auto& name : model().order)
      expect_close(params.at(name), snapshots.at(key).at(name), "step " + key + " " + name);
  });
  const double final = objective(params, negate).item<double>();
  const double want = config.at("final_objective").get<double>();
  EXPECT_NEAR(final, want, 1e-12 + 1e-9 * std::abs(want));
}

template <typename Opt, typename Options>
void check_round_trip(const json& config) {
  const bool negate = config.at("objective") == "neg_mse";
  Params straight = fresh_params();
  Opt opt = make<Opt, Options>(config, straight);
  train(opt, straight, negate, kSteps);

  Params first = fresh_params();
  Opt before = make<Opt, Options>(config, first);
  train(before, first, negate, kSteps / 2);
  const strata::nn::StateDict saved = before.state_dict();
  Params second;
  for (const auto& [name, t] : first) second[name] = t.detach().clone().requires_grad_();
  train(before, first, negate, 3);  // the saved state must be a copy that no longer follows `before`

  Opt after = make<Opt, Options>(config, second, /*with_options=*/false);
  after.load_state_dict(saved);
  train(after, second, negate, kSteps - kSteps / 2);
  for (const auto& name : model().order)
    EXPECT_TRUE(strata::equal(second.at(name), straight.at(name)))
        << name << " after a state_dict round trip at step " << kSteps / 2
        << " differs from the uninterrupted run";
}

struct Case {
  std::string file, name;
};

std::vector<Case> cases(const std::string& file) {
  std::vector<Case> out;
  const json fixture = read_json(file);
  for (const json& c : fixture.at("configs")) out.push_back({file, c.at("name").get<std::string>()});
  return out;
}

const json& config_of(const Case& c) {
  static std::map<std::string, json> files;
  auto it = files.find(c.file);
  if (it == files.end()) it = files.emplace(c.file, read_json(c.file)).first;
  for (const json& config : it->second.at("configs"))
    if (config.at("name") == c.name) return config;
  throw std::runtime_error("no configuration " + c.name + " in " + c.file);
}

std::string case_name(const testing::TestParamInfo<Case>& info) { return info.param.name; }

#define OPTIM_GOLDEN_SUITE(Suite, File, Opt, Options)                                                 \
  class Suite : public testing::TestWithParam<Case> {};                                               \
  TEST_P(Suite, MatchesPyTorch) { check_golden<Opt, Options>(config_of(GetParam())); }                \
  TEST_P(Suite, StateDictRoundTripIsExact) { check_round_trip<Opt, Options>(config_of(GetParam())); } \
  INSTANTIATE_TEST_SUITE_P(Golden, Suite, testing::ValuesIn(cases(File)), case_name)

OPTIM_GOLDEN_SUITE(SGD, "sgd.json", optim::SGD, optim::SGDOptions);
OPTIM_GOLDEN_SUITE(Adam, "adam.json", optim::Adam, optim::AdamOptions);
OPTIM_GOLDEN_SUITE(AdamW, "adamw.json", optim::AdamW, optim::AdamWOptions);
OPTIM_GOLDEN_SUITE(RMSprop, "rmsprop.json", optim::RMSprop, optim::RMSpropOptions);

TEST(OptimGolden, ModelMatchesPyTorch) {
  const json j = read_json("model.json");
  const double want = j.at("initial_mse").get<double>();
  EXPECT_NEAR(objective(fresh_params(), false).item<double>(), want, 1e-15 * std::abs(want));
}

}  // namespace
