// Conv1d / Conv2d / ConvTranspose2d against PyTorch 1.13 (tests/fixtures/conv/conv.json, written by
// tools/gen_conv_fixtures.py): outputs, input and parameter gradients, reprs; then the layers' own
// behaviour: parameter layouts and state_dict keys, default initialisation, errors naming the layer.
#include <gtest/gtest.h>
#include <strata/nn/conv.h>

#include <cmath>
#include <memory>
#include <sstream>

#include "golden/golden_fixture.h"
#include "support/test_util.h"

namespace nn = strata::nn;
using golden::Json;
using strata::Shape;
using strata::Tensor;
using strata::test::expect_error;

namespace {

const Json& fixture() {
  static const Json j = golden::load_json(STRATA_FIXTURES_DIR "/conv/conv.json");
  return j;
}

nn::functional::Size2 pair_of(const Json& v) {
  const auto p = v.get<std::vector<int64_t>>();
  return p.size() == 1 ? nn::functional::Size2(p[0]) : nn::functional::Size2(p[0], p[1]);
}

nn::functional::Padding padding_of(const Json& v) {
  if (v.is_string()) return nn::functional::Padding(v.get<std::string>());
  const auto p = v.get<std::vector<int64_t>>();
  return p.size() == 1 ? nn::functional::Padding(p[0]) : nn::functional::Padding(p[0], p[1]);
}

std::unique_ptr<nn::Module> make_layer(const std::string& name, const Json& a) {
  const int64_t in = a.at("in_channels").get<int64_t>(), out = a.at("out_channels").get<int64_t>();
  const int64_t groups = a.at("groups").get<int64_t>();
  const bool bias = a.at("bias").get<bool>();
  if (name == "Conv1d")
    return std::make_unique<nn::Conv1d>(in, out, pair_of(a.at("kernel_size")).w, pair_of(a.at("stride")).w,
                                        padding_of(a.at("padding")), pair_of(a.at("dilation")).w, groups,
                                        bias);
  if (name == "Conv2d")
    return std::make_unique<nn::Conv2d>(in, out, pair_of(a.at("kernel_size")), pair_of(a.at("stride")),
                                        padding_of(a.at("padding")), pair_of(a.at("dilation")), groups, bias);
  if (name == "ConvTranspose2d")
    return std::make_unique<nn::ConvTranspose2d>(
        in, out, pair_of(a.at("kernel_size")), pair_of(a.at("stride")), pair_of(a.at("padding")),
        pair_of(a.at("output_padding")), groups, bias, pair_of(a.at("dilation")));
  throw std::runtime_error("no strata layer for " + name);
}

}  // namespace

TEST(ConvGolden, OutputsAndGradientsMatchPyTorch) {
  int checked = 0;
  for (const Json& c : fixture().at("cases")) {
    const std::string name = c.at("layer").get<std::string>();
    SCOPED_TRACE(name + " " + c.at("args").dump() + " " + c.at("input").at("dtype").get<std::string>());
    auto layer = make_layer(name, c.at("args"));
    golden::expect_layer_case_matches(*layer, c);
    std::ostringstream repr;
    repr << *layer;
    EXPECT_EQ(repr.str(), c.at("repr").get<std::string>());
    ++checked;
  }
  EXPECT_EQ(checked, 17);
}

TEST(ConvLayers, ParameterLayoutsAndStateDictKeysArePyTorchs) {
  nn::Conv2d conv(4, 6, {3, 2}, 1, 0, 1, 2);
  EXPECT_EQ(conv.weight.shape(), Shape({6, 2, 3, 2}));
  EXPECT_EQ(conv.bias.shape(), Shape({6}));
  EXPECT_EQ(conv.state_dict().keys(), (std::vector<std::string>{"weight", "bias"}));
  nn::ConvTranspose2d up(4, 6, 3, 2, 1, 1, 2, false);
  EXPECT_EQ(up.weight.shape(), Shape({4, 3, 3, 3}));
  EXPECT_FALSE(up.bias.defined());
  EXPECT_EQ(up.state_dict().keys(), (std::vector<std::string>{"weight"}));
  nn::Conv1d c1(3, 5, 4);
  EXPECT_EQ(c1.weight.shape(), Shape({5, 3, 4}));
  // "same" keeps the size, also for an even kernel.
  nn::Conv2d same(2, 3, 4, 1, "same");
  EXPECT_EQ(same(strata::randn({2, 7, 9})).shape(), Shape({3, 7, 9}));
}

TEST(ConvLayers, DefaultInitIsPyTorchsUniformBound) {
  strata::manual_seed(0);
  for (int which = 0; which < 2; ++which) {
    // fan_in = weight.size(1) * kernel elements: 16 * 9 for both (the transposed weight is
    // [in, out / groups, kh, kw], so PyTorch's fan_in is out / groups * kernel elements).
    nn::Conv2d conv(32, 64, 3, 1, 0, 1, 2);
    nn::ConvTranspose2d up(64, 32, 3, 1, 0, 0, 2);
    const Tensor w = which == 0 ? Tensor(conv.weight) : Tensor(up.weight);
    const Tensor b = which == 0 ? Tensor(conv.bias) : Tensor(up.bias);
    const double bound = 1.0 / std::sqrt(16.0 * 9.0);
    const auto wv = w.to_vector<float>();
    double sq = 0.0;
    for (float v : wv) {
      ASSERT_LE(std::fabs(v), bound);
      sq += static_cast<double>(v) * v;
    }
    for (float v : b.to_vector<float>()) ASSERT_LE(std::fabs(v), bound);
    // The variance of uniform(-bound, bound) is bound^2 / 3.
    EXPECT_NEAR(sq / static_cast<double>(wv.size()), bound * bound / 3.0, 0.05 * bound * bound / 3.0);
  }
  nn::Conv2d conv(2, 3, 3);
  const Tensor before = conv.weight.clone();
  conv.reset_parameters();
  EXPECT_FALSE(strata::equal(before, conv.weight));
}

namespace {
struct Net : nn::Module {
  nn::Conv2d conv1{1, 32, 3};
  nn::Conv1d conv2{4, 8, 5, 1, 0, 2};
  nn::ConvTranspose2d up{8, 4, 2, 2};
  Tensor forward(const Tensor& x) { return conv1(x); }
  STRATA_MODULE(Net, conv1, conv2, up)
};
}  // namespace

TEST(ConvLayers, ErrorsNameTheLayerAndItsConfiguration) {
  Net net;
  net(strata::randn({1, 1, 5, 5}));  // binds the names
  expect_error(
      [&] {
        net(strata::randn({64, 3, 28, 28}));
      },
      "Net.conv1 (Conv2d 1->32, kernel_size=3x3, stride=1): input [64, 3, 28, 28] has 3 channels, "
      "expected 1");
  expect_error(
      [&] {
        net(strata::randn({28, 28}));
      },
      "Net.conv1 (Conv2d 1->32, kernel_size=3x3, stride=1): input [28, 28] has 2 dims; Conv2d takes "
      "[N, C, H, W] or unbatched [C, H, W]");
  expect_error(
      [&] {
        net(strata::randn({1, 1, 2, 9}));
      },
      "Net.conv1 (Conv2d 1->32, kernel_size=3x3, stride=1): input [1, 1, 2, 9] is smaller than the "
      "kernel: 2x9 padded, against a kernel reach of 3x3");
  expect_error(
      [&] {
        net(strata::randn({1, 1, 5, 5}, {.dtype = strata::kFloat64}));
      },
      "Net.conv1 (Conv2d 1->32, kernel_size=3x3, stride=1): input [1, 1, 5, 5] is float64, "
      "Net.conv1.weight is float32");
  expect_error(
      [&] {
        net.conv2(strata::randn({2, 4, 8}));
      },
      "Net.conv2 (Conv1d 4->8, kernel_size=5, stride=1, dilation=2): input [2, 4, 8] is smaller than "
      "the kernel: 8 padded, against a kernel reach of 9");
  expect_error(
      [&] {
        net.up(strata::randn({2, 4, 3, 3}));
      },
      "Net.up (ConvTranspose2d 8->4, kernel_size=2x2, stride=2): input [2, 4, 3, 3] has 4 channels, "
      "expected 8");
  // Device mismatch: a host buffer labelled cuda:0 (this build has no CUDA backend; the check runs
  // before any kernel would touch it).
  std::vector<float> host(25);
  Tensor on_gpu = strata::from_blob(host.data(), {1, 1, 5, 5}, strata::kFloat32, strata::Device::cpu());
  on_gpu.impl().storage = std::make_shared<strata::detail::Storage>(host.data(), host.size() * sizeof(float),
                                                                    strata::Device::cuda(0));
  expect_error([&] { net(on_gpu); },
               "Net.conv1 (Conv2d 1->32, kernel_size=3x3, stride=1): Net.conv1.weight is on "
               "cpu, input is on cuda:0");
  // Configurations PyTorch refuses.
  expect_error(
      [] { nn::Conv2d(3, 4, 3, 1, 0, 1, 2); },
      "[Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1), groups=2)] in_channels=3 is not divisible by "
      "groups=2");
  expect_error([] { nn::Conv2d(4, 6, 3, 1, 0, 1, 4); }, "out_channels=6 is not divisible by groups=4");
  expect_error([] { nn::Conv2d(1, 2, 3, 1, 1, 1, 1, true, "reflect"); },
               "padding_mode=\"reflect\" is not supported: strata pads convolutions with zeros only");
  expect_error(
      [] { nn::ConvTranspose2d(1, 2, 3, 1, 0, 0, 1, true, 1, "circular"); },
      "[ConvTranspose2d(1, 2, kernel_size=(3, 3), stride=(1, 1), padding_mode=circular)] padding_mode");
  expect_error([] { nn::Conv2d(1, 2, 3, 2, "same"); },
               "padding=\"same\" is not supported for strided convolutions");
  expect_error([] { nn::Conv1d(1, 2, 3, 1, "full"); },
               "padding must be \"same\", \"valid\" or numbers, got \"full\"");
  expect_error([] { nn::ConvTranspose2d(1, 2, 3, 2, 0, 2); },
               "output_padding must be >= 0 and smaller than either");
}

TEST(ConvLayers, ReprIsPyTorchs) {
  std::ostringstream os;
  os << nn::Conv2d(1, 32, 3, 1, "same", 2, 1, false);
  EXPECT_EQ(os.str(),
            "Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=same, dilation=(2, 2), bias=False)");
  os.str("");
  os << nn::Conv1d(2, 4, 3, 2, 1, 1, 2);
  EXPECT_EQ(os.str(), "Conv1d(2, 4, kernel_size=(3,), stride=(2,), padding=(1,), groups=2)");
}
