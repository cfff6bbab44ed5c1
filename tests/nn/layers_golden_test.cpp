// Layers against PyTorch 1.13: outputs and gradients (tests/fixtures/nn/layers.json, written by
// tools/gen_nn_fixtures.py), the state_dict names PyTorch gives container models, and reprs.
#include <gtest/gtest.h>

#include <memory>

#include "golden/golden_fixture.h"
#include "nn/test_models.h"
#include "strata/strata.h"
#include "support/test_util.h"

namespace nn = strata::nn;
using golden::Json;
using strata::Tensor;

namespace {

const Json& fixture() {
  static const Json j = golden::load_json(STRATA_FIXTURES_DIR "/nn/layers.json");
  return j;
}

std::unique_ptr<nn::Module> make_layer(const std::string& name, const Json& a) {
  if (name == "Linear")
    return std::make_unique<nn::Linear>(a.at("in_features").get<int64_t>(),
                                        a.at("out_features").get<int64_t>(), a.at("bias").get<bool>());
  if (name == "ReLU") return std::make_unique<nn::ReLU>();
  if (name == "SiLU") return std::make_unique<nn::SiLU>();
  if (name == "Tanh") return std::make_unique<nn::Tanh>();
  if (name == "Sigmoid") return std::make_unique<nn::Sigmoid>();
  if (name == "Identity") return std::make_unique<nn::Identity>();
  if (name == "GELU") return std::make_unique<nn::GELU>(a.at("approximate").get<std::string>());
  if (name == "LeakyReLU") return std::make_unique<nn::LeakyReLU>(a.at("negative_slope").get<double>());
  if (name == "Softmax") return std::make_unique<nn::Softmax>(a.at("dim").get<int64_t>());
  if (name == "LogSoftmax") return std::make_unique<nn::LogSoftmax>(a.at("dim").get<int64_t>());
  if (name == "Flatten")
    return std::make_unique<nn::Flatten>(a.at("start_dim").get<int64_t>(), a.at("end_dim").get<int64_t>());
  if (name == "Unflatten")
    return std::make_unique<nn::Unflatten>(a.at("dim").get<int64_t>(),
                                           strata::Shape(a.at("sizes").get<std::vector<int64_t>>()));
  throw std::runtime_error("no strata layer for " + name);
}

std::string lower_bools(std::string s) {
  for (auto [from, to] : {std::pair<std::string, std::string>{"True", "true"}, {"False", "false"}})
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from)) s.replace(at, from.size(), to);
  return s;
}

}  // namespace

TEST(LayersGolden, OutputsAndGradientsMatchPyTorch) {
  int checked = 0;
  for (const Json& c : fixture().at("cases")) {
    const std::string name = c.at("layer").get<std::string>();
    SCOPED_TRACE(name + " " + c.at("args").dump() + " " + c.at("input").at("dtype").get<std::string>());
    auto layer = make_layer(name, c.at("args"));
    golden::expect_layer_case_matches(*layer, c);
    std::ostringstream repr;
    repr << *layer;
    EXPECT_EQ(repr.str(), lower_bools(c.at("repr").get<std::string>()));
    ++checked;
  }
  EXPECT_EQ(checked, 34);
}

TEST(LayersGolden, StateDictNamesAreExactlyPyTorchs) {
  nn::Sequential nested(nn::Linear(2, 3), nn::ReLU(), nn::Sequential(nn::Linear(3, 3), nn::Tanh()));
  const Json& keys = fixture().at("state_dict_keys");
  EXPECT_EQ(nested.state_dict().keys(), keys.at("nested_sequential").get<std::vector<std::string>>());
  EXPECT_EQ(strata::test::Stack(3).state_dict().keys(), keys.at("stack3").get<std::vector<std::string>>());
  std::ostringstream repr;
  repr << nested;
  EXPECT_EQ(repr.str(), lower_bools(fixture().at("reprs").at("nested_sequential").get<std::string>()));
}

TEST(Linear, DefaultInitIsPyTorchsUniformBound) {
  strata::manual_seed(0);
  nn::Linear fc(400, 300);
  const double bound = 1.0 / std::sqrt(400.0);  // kaiming_uniform_(a = sqrt(5)) on fan_in 400
  const auto w = fc.weight.to_vector<float>();
  const auto b = fc.bias.to_vector<float>();
  double sq = 0.0;
  for (float v : w) {
    ASSERT_LE(std::fabs(v), bound);
    sq += static_cast<double>(v) * v;
  }
  for (float v : b) ASSERT_LE(std::fabs(v), bound);
  // The variance of uniform(-bound, bound) is bound^2 / 3.
  EXPECT_NEAR(sq / static_cast<double>(w.size()), bound * bound / 3.0, 0.02 * bound * bound / 3.0);
  nn::Linear no_bias(3, 2, false);
  EXPECT_FALSE(no_bias.bias.defined());
  EXPECT_EQ(no_bias.named_parameters().size(), 1u);
  strata::test::expect_error([] { nn::Linear(-1, 2); }, "[Linear] in_features and out_features must be >= 0");
  strata::test::expect_error([] { nn::GELU("fast"); }, "[GELU] approximate must be \"none\" or \"tanh\"");
}
