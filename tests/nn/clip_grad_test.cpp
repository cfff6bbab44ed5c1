// clip_grad_norm_ and clip_grad_value_ against PyTorch 1.13 (tests/fixtures/optim/clip_grad.json, from
// tools/gen_sched_fixtures.py), and their errors.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "golden/golden_fixture.h"
#include "strata/nn/clip_grad.h"
#include "support/test_util.h"

namespace {

using namespace strata;
using golden::Json;
using strata::test::expect_error;

TEST(ClipGradGolden, MatchesPyTorch) {
  const Json file =
      golden::load_json((std::filesystem::path(STRATA_FIXTURES_DIR) / "optim" / "clip_grad.json").string());
  int cases = 0;
  for (const Json& c : file.at("cases")) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    std::vector<Tensor> params;
    for (const Json& g : c.at("grads")) {
      if (g.is_null()) {
        params.push_back(zeros({2}).requires_grad_());
        continue;
      }
      Tensor grad = golden::make_input(g);
      Tensor p = zeros_like(grad).requires_grad_();
      p.set_grad(grad);
      params.push_back(p);
    }
    const Json& args = c.at("args");
    if (c.at("fn") == "clip_grad_norm_") {
      const double norm_type =
          args.contains("norm_type") ? golden::Params::number(args.at("norm_type")) : 2.0;
      const Tensor total = nn::utils::clip_grad_norm_(params, args.at("max_norm").get<double>(), norm_type);
      EXPECT_TRUE(golden::matches("total_norm", total, c.at("total_norm")));
    } else {
      nn::utils::clip_grad_value_(params, args.at("clip_value").get<double>());
    }
    const Json& clipped = c.at("clipped");
    for (size_t i = 0; i < params.size(); ++i) {
      if (clipped[i].is_null()) {
        EXPECT_FALSE(params[i].grad().defined()) << "parameter " << i << " had no gradient and gets none";
        continue;
      }
      EXPECT_TRUE(golden::matches("gradient " + std::to_string(i), params[i].grad(), clipped[i]));
    }
    ++cases;
  }
  EXPECT_GE(cases, 10);
}

TEST(ClipGrad, ScalesToMaxNormByHand) {
  Tensor a = zeros({2}).requires_grad_();
  Tensor b = zeros({1}).requires_grad_();
  a.set_grad(from_vector(std::vector<float>{3.0f, 0.0f}));
  b.set_grad(from_vector(std::vector<float>{4.0f}));
  const Tensor total = nn::utils::clip_grad_norm_({a, b}, 1.0);
  EXPECT_FLOAT_EQ(total.item<float>(), 5.0f);
  const float coef = 1.0f / (5.0f + 1e-6f);
  EXPECT_FLOAT_EQ(a.grad().to_vector<float>()[0], 3.0f * coef);
  EXPECT_FLOAT_EQ(b.grad().to_vector<float>()[0], 4.0f * coef);
  // Below max_norm nothing changes.
  nn::utils::clip_grad_norm_({a, b}, 10.0);
  EXPECT_FLOAT_EQ(b.grad().to_vector<float>()[0], 4.0f * coef);
}

TEST(ClipGrad, NonFiniteNormIsAnErrorOnlyWhenAsked) {
  Tensor a = zeros({2}).requires_grad_();
  a.set_grad(from_vector(std::vector<float>{std::numeric_limits<float>::infinity(), 1.0f}));
  expect_error([&] { nn::utils::clip_grad_norm_({a}, 1.0, 2.0, /*error_if_nonfinite=*/true); },
               "[clip_grad_norm_] The total norm of order 2 for gradients from `parameters` is non-finite");
  EXPECT_EQ(a.grad().to_vector<float>()[1], 1.0f) << "nothing is scaled when the error is raised";
  const Tensor total = nn::utils::clip_grad_norm_({a}, 1.0);
  EXPECT_TRUE(std::isinf(total.item<float>()));
  EXPECT_EQ(a.grad().to_vector<float>()[1], 0.0f);  // scaled by max_norm / inf, as PyTorch does
}

TEST(ClipGrad, NoGradientsGiveAZeroNorm) {
  const Tensor total = nn::utils::clip_grad_norm_({zeros({3}).requires_grad_()}, 1.0);
  EXPECT_EQ(total.dtype(), kFloat32);
  EXPECT_EQ(total.item<float>(), 0.0f);
  EXPECT_EQ(nn::utils::clip_grad_norm_({}, 1.0).item<float>(), 0.0f);
}

TEST(ClipGrad, BadArgumentsAreErrors) {
  Tensor a = zeros({2}).requires_grad_();
  a.set_grad(ones({2}));
  expect_error([&] { nn::utils::clip_grad_value_({a}, -1.0); },
               "[clip_grad_value_] clip_value must be >= 0, got -1");
  expect_error(
      [&] {
        nn::utils::clip_grad_norm_({a, Tensor()}, 1.0);
      },
      "[clip_grad_norm_] parameter 1 is an undefined tensor");
  expect_error([&] { nn::utils::clip_grad_norm_({a}, 1.0, std::nan("")); }, "norm_type must be a number");
}

}  // namespace
