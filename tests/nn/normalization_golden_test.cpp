// Normalization layers: defaults, state_dict keys, reprs and error messages; outputs and gradients
// against PyTorch 1.13 fixtures (tests/fixtures/normalization/, tools/gen_norm_fixtures.py).
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "golden/golden_fixture.h"
#include "strata/nn/functional/normalization.h"
#include "strata/nn/normalization.h"
#include "strata/strata.h"
#include "support/test_util.h"

namespace nn = strata::nn;
using strata::Tensor;

namespace {

struct WithLayerNorm : nn::Module {
  nn::LayerNorm ln{8};
  Tensor forward(const Tensor& x) { return ln(x); }
  STRATA_MODULE(WithLayerNorm, ln)
};

using golden::Json;

std::optional<double> opt_double(const Json& v) {
  return v.is_null() ? std::nullopt : std::optional<double>(v.get<double>());
}

std::unique_ptr<nn::Module> make_layer(const std::string& name, const Json& a) {
  if (name == "BatchNorm1d" || name == "BatchNorm2d") {
    const auto c = a.at("num_features").get<int64_t>();
    const auto eps = a.at("eps").get<double>();
    const auto momentum = opt_double(a.at("momentum"));
    const bool affine = a.at("affine").get<bool>(), track = a.at("track_running_stats").get<bool>();
    if (name == "BatchNorm1d") return std::make_unique<nn::BatchNorm1d>(c, eps, momentum, affine, track);
    return std::make_unique<nn::BatchNorm2d>(c, eps, momentum, affine, track);
  }
  if (name == "GroupNorm")
    return std::make_unique<nn::GroupNorm>(a.at("num_groups").get<int64_t>(),
                                           a.at("num_channels").get<int64_t>(), a.at("eps").get<double>(),
                                           a.at("affine").get<bool>());
  const strata::Shape shape(a.at("normalized_shape").get<std::vector<int64_t>>());
  if (name == "LayerNorm")
    return std::make_unique<nn::LayerNorm>(shape, a.at("eps").get<double>(),
                                           a.at("elementwise_affine").get<bool>());
  if (name == "RMSNorm")
    return std::make_unique<nn::RMSNorm>(shape, opt_double(a.at("eps")),
                                         a.at("elementwise_affine").get<bool>());
  throw std::runtime_error("no strata layer for " + name);
}

std::string lower_bools(std::string s) {
  for (auto [from, to] : {std::pair<std::string, std::string>{"True", "true"}, {"False", "false"}})
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from)) s.replace(at, from.size(), to);
  return s;
}

std::string repr(const nn::Module& m) {
  std::ostringstream os;
  os << m;
  return os.str();
}

}  // namespace

TEST(LayerNormModule, DefaultsKeysAndRepr) {
  nn::LayerNorm ln({2, 3});
  EXPECT_EQ(ln.weight.shape(), strata::Shape({2, 3}));
  EXPECT_TRUE(strata::equal(ln.weight, strata::ones({2, 3})));
  EXPECT_TRUE(strata::equal(ln.bias, strata::zeros({2, 3})));
  std::vector<std::string> keys;
  for (const auto& [k, v] : ln.state_dict()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"weight", "bias"}));
  EXPECT_EQ(repr(ln), "LayerNorm((2, 3), eps=1e-05, elementwise_affine=true)");
  nn::LayerNorm plain(4, 1e-6, false);
  EXPECT_FALSE(plain.weight.defined());
  EXPECT_EQ(plain.num_parameters(), 0);
  EXPECT_EQ(repr(plain), "LayerNorm((4,), eps=1e-06, elementwise_affine=false)");
}

TEST(LayerNormModule, ForwardMatchesFunctional) {
  nn::LayerNorm ln(5);
  const Tensor x = strata::randn({3, 5});
  EXPECT_TRUE(strata::allclose(ln(x), nn::functional::layer_norm(x, {5}), 1e-6, 1e-6));
}

TEST(LayerNormModule, WrongTrailingShapeNamesTheLayer) {
  WithLayerNorm net;
  strata::test::expect_error(
      [&] {
        net(strata::zeros({4, 7}));
      },
      "WithLayerNorm.ln (LayerNorm (8,), eps=1e-05, elementwise_affine=true): input [4, 7] "
      "does not end in normalized_shape [8]");
}

class NormGolden : public ::testing::TestWithParam<const char*> {};

// Each case: load PyTorch's state, run one step in the recorded mode, compare the output, every
// gradient, the buffers after the step and the repr.
TEST_P(NormGolden, MatchesPyTorch) {
  const Json j = golden::load_json(std::string(STRATA_FIXTURES_DIR "/normalization/") + GetParam() + ".json");
  int checked = 0;
  for (const Json& c : j.at("cases")) {
    const std::string name = c.at("layer").get<std::string>();
    SCOPED_TRACE(name + " " + c.at("args").dump() + (c.at("train").get<bool>() ? " train " : " eval ") +
                 c.at("input").at("dtype").get<std::string>() + " " + c.at("input").at("shape").dump());
    auto layer = make_layer(name, c.at("args"));
    Tensor x = golden::make_input(c.at("input"));
    layer->to(x.dtype());
    nn::StateDict state;
    for (const auto& [key, value] : c.at("state").items()) state.insert(key, golden::make_input(value));
    const nn::LoadResult loaded = layer->load_state_dict(state);
    ASSERT_TRUE(loaded.ok()) << loaded.str();
    layer->train(c.at("train").get<bool>());
    x.requires_grad_();
    Tensor out = (*layer)(x);
    EXPECT_TRUE(golden::matches("output", out, c.at("output")));
    (out * golden::make_input(c.at("upstream"))).sum().backward();
    EXPECT_TRUE(golden::matches("grad input", x.grad(), c.at("grad_input")));
    const auto params = layer->named_parameters();
    EXPECT_EQ(params.size(), c.at("grad_params").size());
    for (const auto& [key, p] : params)
      EXPECT_TRUE(golden::matches("grad " + key, p.grad(), c.at("grad_params").at(key)));
    const auto buffers = layer->named_buffers();
    EXPECT_EQ(buffers.size(), c.at("buffers_after").size());
    for (const auto& [key, b] : buffers)
      EXPECT_TRUE(golden::matches(key + " after", b, c.at("buffers_after").at(key)));
    EXPECT_EQ(repr(*layer), lower_bools(c.at("repr").get<std::string>()));
    ++checked;
  }
  const std::map<std::string, int> expected{
      {"batch_norm", 48}, {"group_norm", 8}, {"layer_norm", 10}, {"rms_norm", 10}};
  EXPECT_EQ(checked, expected.at(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, NormGolden,
                         ::testing::Values("batch_norm", "group_norm", "layer_norm", "rms_norm"));
