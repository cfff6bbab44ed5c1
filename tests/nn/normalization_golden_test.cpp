// Normalization layers: defaults, state_dict keys, reprs and error messages; outputs and gradients
// against PyTorch 1.13 fixtures (tests/fixtures/normalization/, tools/gen_norm_fixtures.py).
#include <gtest/gtest.h>

#include <sstream>

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
