// Loss modules give exactly what the functional losses give, and keep their weights as buffers.
#include <gtest/gtest.h>

#include "strata/strata.h"
#include "support/test_util.h"

namespace nn = strata::nn;
namespace F = strata::nn::functional;
using strata::Tensor;

TEST(LossModules, MatchTheFunctions) {
  Tensor x = strata::randn({4, 3});
  Tensor t = strata::randn({4, 3});
  Tensor y = strata::tensor({0, 2, 1, 2}, {.dtype = strata::kInt64});
  Tensor w = strata::tensor({1.0f, 2.0f, 0.5f});
  EXPECT_TRUE(strata::equal(nn::MSELoss()(x, t), F::mse_loss(x, t)));
  EXPECT_TRUE(strata::equal(nn::L1Loss(F::Reduction::Sum)(x, t), F::l1_loss(x, t, F::Reduction::Sum)));
  EXPECT_TRUE(strata::equal(nn::SmoothL1Loss(F::Reduction::Mean, 0.5)(x, t),
                            F::smooth_l1_loss(x, t, F::Reduction::Mean, 0.5)));
  EXPECT_TRUE(strata::equal(nn::HuberLoss(F::Reduction::None, 2.0)(x, t),
                            F::huber_loss(x, t, F::Reduction::None, 2.0)));
  nn::CrossEntropyLoss ce({.weight = w, .label_smoothing = 0.1});
  EXPECT_TRUE(strata::equal(ce(x, y), F::cross_entropy(x, y, {.weight = w, .label_smoothing = 0.1})));
  nn::NLLLoss nll({.weight = w, .ignore_index = 1});
  Tensor lp = x.log_softmax(1);
  EXPECT_TRUE(strata::equal(nll(lp, y), F::nll_loss(lp, y, {.weight = w, .ignore_index = 1})));
  Tensor p = x.sigmoid();
  Tensor b = strata::rand({4, 3});
  EXPECT_TRUE(strata::equal(nn::BCELoss()(p, b), F::binary_cross_entropy(p, b)));
  EXPECT_TRUE(strata::equal(nn::BCEWithLogitsLoss({}, F::Reduction::Mean, w)(x, b),
                            F::binary_cross_entropy_with_logits(x, b, {}, w)));
}

TEST(LossModules, WeightsAreBuffers) {
  nn::CrossEntropyLoss ce({.weight = strata::tensor({1.0f, 2.0f})});
  EXPECT_EQ(ce.state_dict().keys(), std::vector<std::string>{"weight"});
  EXPECT_TRUE(ce.parameters().empty());
  ce.to(strata::kFloat64);
  EXPECT_EQ(ce.weight.dtype(), strata::kFloat64);
  EXPECT_TRUE(nn::MSELoss().state_dict().empty());
  std::ostringstream os;
  os << nn::CrossEntropyLoss();
  EXPECT_EQ(os.str(), "CrossEntropyLoss()");
  strata::test::expect_error(
      [&] {
        ce(strata::randn({2, 2}, {.dtype = strata::kFloat64}),
           strata::tensor({0, 5}, {.dtype = strata::kInt64}));
      },
      "is not a class index");
}
