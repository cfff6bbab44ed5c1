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

namespace {
struct Net : nn::Module {
  nn::BatchNorm1d bn1{3};
  nn::BatchNorm2d bn2{4};
  nn::GroupNorm gn{2, 4};
  nn::RMSNorm rms{6};
  Tensor forward(const Tensor& x) { return x; }
  STRATA_MODULE(Net, bn1, bn2, gn, rms)
};

std::vector<std::string> keys_of(const nn::Module& m) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : m.state_dict()) keys.push_back(k);
  return keys;
}
}  // namespace

TEST(BatchNormModule, BuffersAndDefaultsArePyTorchs) {
  nn::BatchNorm2d bn(3);
  EXPECT_EQ(keys_of(bn), (std::vector<std::string>{"weight", "bias", "running_mean", "running_var",
                                                   "num_batches_tracked"}));
  EXPECT_TRUE(strata::equal(bn.weight, strata::ones({3})));
  EXPECT_TRUE(strata::equal(bn.bias, strata::zeros({3})));
  EXPECT_TRUE(strata::equal(bn.running_mean, strata::zeros({3})));
  EXPECT_TRUE(strata::equal(bn.running_var, strata::ones({3})));
  EXPECT_EQ(bn.num_batches_tracked.dtype(), strata::kInt64);
  EXPECT_EQ(bn.num_batches_tracked.dim(), 0);
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 0);
  EXPECT_EQ(bn.buffers().size(), 3u);
  bn.to(strata::kFloat64);
  EXPECT_EQ(bn.running_var.dtype(), strata::kFloat64);
  EXPECT_EQ(bn.num_batches_tracked.dtype(), strata::kInt64);
  nn::BatchNorm1d plain(4, 1e-3, std::nullopt, false, false);
  EXPECT_TRUE(keys_of(plain).empty());
  EXPECT_EQ(repr(plain), "BatchNorm1d(4, eps=0.001, momentum=None, affine=false, track_running_stats=false)");
}

TEST(BatchNormModule, TrainCountsBatchesEvalUsesRunningStats) {
  nn::BatchNorm1d bn(2, 1e-5, std::nullopt);  // cumulative average
  const Tensor a = strata::from_vector(std::vector<float>{1, 0, 3, 4}, {2, 2});
  const Tensor b = strata::from_vector(std::vector<float>{5, 2, 7, 2}, {2, 2});
  bn(a);
  bn(b);
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 2);
  // The plain average of the batch means (2, 2) and (6, 2), and of the unbiased variances (2, 8), (2, 0).
  strata::test::expect_values(bn.running_mean, {4, 2}, 1e-6);
  strata::test::expect_values(bn.running_var, {2, 4}, 1e-6);
  bn.eval();
  const Tensor y = bn(a);
  const double r = 1 / std::sqrt(2 + 1e-5), s = 1 / std::sqrt(4 + 1e-5);
  strata::test::expect_values(y, {-3 * r, -2 * s, -r, 2 * s}, 1e-6);
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 2);  // eval leaves the buffers alone
  strata::test::expect_values(bn.running_mean, {4, 2}, 1e-6);
}

TEST(BatchNormModule, WithoutRunningStatsEvalUsesTheBatch) {
  nn::BatchNorm1d bn(1, 1e-5, 0.1, true, false);
  bn.eval();
  const double r = 1 / std::sqrt(1 + 1e-5);
  strata::test::expect_values(bn(strata::from_vector(std::vector<float>{1, 3}, {2, 1})), {-r, r}, 1e-6);
}

TEST(NormModules, Gradcheck) {
  auto through = [](nn::Module& m) {
    m.to(strata::kFloat64);
    return [&m](const std::vector<Tensor>& in) { return m(in[0]); };
  };
  nn::BatchNorm1d bn1(3);
  nn::BatchNorm2d bn2(2);
  nn::GroupNorm gn(2, 4);
  nn::LayerNorm ln(4);
  nn::RMSNorm rms(4);
  EXPECT_GRADCHECK(through(bn1), {strata::test::leaf({4, 3, 2}, 1)});
  EXPECT_GRADCHECK(through(bn2), {strata::test::noncontiguous_leaf({2, 2, 2, 3}, 2)});
  EXPECT_GRADCHECK(through(gn), {strata::test::leaf({2, 4, 3}, 3)});
  EXPECT_GRADCHECK(through(ln), {strata::test::noncontiguous_leaf({3, 4}, 4)});
  EXPECT_GRADCHECK(through(rms), {strata::test::leaf({2, 4}, 5)});
  bn1.eval();
  EXPECT_GRADCHECK(through(bn1), {strata::test::leaf({4, 3}, 6)});
}

TEST(NormModules, ErrorsNameTheLayerAndItsConfiguration) {
  Net net;
  (void)net.named_modules();  // binds the children's paths ("Net.bn1") before they are called directly
  using strata::test::expect_error;
  expect_error(
      [&] {
        net.bn1(strata::zeros({4, 5}));
      },
      "Net.bn1 (BatchNorm1d 3, eps=1e-05, momentum=0.1, affine=true, track_running_stats=true): input "
      "[4, 5] has 5 channels (dim 1), expected 3");
  expect_error(
      [&] {
        net.bn1(strata::zeros({1, 3}));
      },
      "Net.bn1 (BatchNorm1d 3, eps=1e-05, momentum=0.1, affine=true, track_running_stats=true): Expected "
      "more than 1 value per channel when training, got input size [1, 3]");
  EXPECT_EQ(net.bn1.num_batches_tracked.item<int64_t>(), 0);  // a refused batch is not counted
  expect_error([&] { net.bn1(strata::zeros({2, 3, 2, 2})); }, "Net.bn1 (BatchNorm1d 3, ");
  expect_error([&] { net.bn1(strata::zeros({2, 3, 2, 2})); }, "expected a 2D [N, C] or 3D [N, C, L] input");
  expect_error([&] { net.bn2(strata::zeros({2, 4, 3})); }, "Net.bn2 (BatchNorm2d 4, ");
  expect_error([&] { net.bn2(strata::zeros({2, 4, 3})); }, "expected a 4D [N, C, H, W] input, got [2, 4, 3]");
  expect_error(
      [&] {
        net.gn(strata::zeros({2, 6, 3}));
      },
      "Net.gn (GroupNorm 2, 4, eps=1e-05, affine=true): input [2, 6, 3] has 6 channels (dim 1), expected 4");
  expect_error(
      [&] {
        net.rms(strata::zeros({2, 5}));
      },
      "Net.rms (RMSNorm (6,), eps=None, elementwise_affine=true): input [2, 5] does not end in "
      "normalized_shape [6]");
  expect_error([] { nn::GroupNorm(3, 4); }, "[GroupNorm] num_channels must be divisible by num_groups");
  expect_error([] { nn::LayerNorm(strata::Shape{}); },
               "[LayerNorm] normalized_shape must name at least one dim");
  expect_error([] { nn::BatchNorm1d(-1); }, "[BatchNorm] num_features must be >= 0");
  nn::BatchNorm1d bn(2);
  bn.eval();
  expect_error([&] { bn(strata::zeros({2, 2}, {.dtype = strata::kInt64})); }, "is not floating point");
  expect_error(
      [&] {
        bn(strata::zeros({2, 2}, {.dtype = strata::kFloat64}));
      },
      "input [2, 2] is float64 but the layer's tensors are float32");
  expect_error([&] { net.gn(strata::zeros({2, 4}, {.dtype = strata::kFloat64})); }, "Net.gn (GroupNorm 2, 4");
  expect_error(
      [&] {
        net.rms(strata::zeros({2, 6}, {.dtype = strata::kFloat64}));
      },
      "is float64 but the layer's tensors are float32");
  // eval accepts a batch of one (it uses the running statistics).
  EXPECT_EQ(bn(strata::zeros({1, 2})).shape(), strata::Shape({1, 2}));
}

TEST(NormModules, ReprsAndKeys) {
  Net net;
  EXPECT_EQ(keys_of(net.gn), (std::vector<std::string>{"weight", "bias"}));
  EXPECT_EQ(keys_of(net.rms), (std::vector<std::string>{"weight"}));
  EXPECT_EQ(repr(net.gn), "GroupNorm(2, 4, eps=1e-05, affine=true)");
  EXPECT_EQ(repr(nn::RMSNorm({2, 3}, 1e-6, false)), "RMSNorm((2, 3), eps=1e-06, elementwise_affine=false)");
  EXPECT_TRUE(strata::equal(net.rms.weight, strata::ones({6})));
}
