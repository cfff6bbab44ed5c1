// Every loss against PyTorch 1.13: values and input gradients recorded by tools/gen_loss_fixtures.py
// in tests/fixtures/losses/, compared at assert_close's tolerances. stability.json: logits of
// magnitude ~1e4 in float32 and float64 against a float64 reference, within 1e-6.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "golden/golden_fixture.h"
#include "strata/nn/functional/loss.h"

namespace {

using namespace strata;
using namespace strata::nn::functional;
using golden::Json;
namespace fs = std::filesystem;

Reduction reduction_of(const Json& params) {
  const std::string r = params.at("reduction").get<std::string>();
  if (r == "mean") return Reduction::Mean;
  if (r == "sum") return Reduction::Sum;
  if (r == "none") return Reduction::None;
  throw std::runtime_error("loss fixture: unknown reduction " + r);
}

// The strata call for each loss name of the generator's call(); inputs are input, target, then
// weight and pos_weight when the params say so.
Tensor call_loss(const std::string& loss, const std::vector<Tensor>& in, const Json& p) {
  const Reduction red = reduction_of(p);
  size_t next = 2;
  const Tensor weight = p.value("weight", false) ? in.at(next++) : Tensor();
  const Tensor pos_weight = p.value("pos_weight", false) ? in.at(next++) : Tensor();
  const Tensor &x = in.at(0), &t = in.at(1);
  if (loss == "mse_loss") return mse_loss(x, t, red);
  if (loss == "l1_loss") return l1_loss(x, t, red);
  if (loss == "smooth_l1_loss") return smooth_l1_loss(x, t, red, p.at("beta").get<double>());
  if (loss == "huber_loss") return huber_loss(x, t, red, p.at("delta").get<double>());
  if (loss == "cross_entropy")
    return cross_entropy(x, t,
                         {.weight = weight,
                          .ignore_index = p.at("ignore_index").get<int64_t>(),
                          .reduction = red,
                          .label_smoothing = p.at("label_smoothing").get<double>()});
  const NLLLossOptions nll{
      .weight = weight, .ignore_index = p.value("ignore_index", int64_t{-100}), .reduction = red};
  if (loss == "nll_loss") return nll_loss(x, t, nll);
  if (loss == "nll_log_softmax") return nll_loss(strata::log_softmax(x, x.dim() > 1 ? 1 : 0), t, nll);
  if (loss == "binary_cross_entropy") return binary_cross_entropy(x, t, weight, red);
  if (loss == "binary_cross_entropy_with_logits")
    return binary_cross_entropy_with_logits(x, t, weight, pos_weight, red);
  throw std::runtime_error("loss fixture: unknown loss " + loss);
}

Json load(const std::string& name) {
  return golden::load_json((fs::path(STRATA_FIXTURES_DIR) / "losses" / (name + ".json")).string());
}

// Backpropagates sum(out * upstream), or out itself when the fixture has no upstream.
void backprop(const Tensor& out, const Json& upstream) {
  if (upstream.is_null())
    out.backward();
  else
    (out * golden::make_input(upstream).to(out.dtype())).sum().backward();
}

void check_golden(const std::string& loss) {
  const Json file = load(loss);
  ASSERT_FALSE(file.at("cases").empty());
  for (const Json& c : file.at("cases")) {
    SCOPED_TRACE(loss + "/" + c.at("name").get<std::string>());
    std::vector<Tensor> inputs;
    for (const Json& j : c.at("inputs")) inputs.push_back(golden::make_input(j));
    Tensor out;
    try {
      out = call_loss(loss, inputs, c.at("params"));
    } catch (const std::exception& e) {
      ADD_FAILURE() << "strata threw: " << e.what();
      continue;
    }
    EXPECT_TRUE(golden::matches("output", out, c.at("output")));
    if (!out.requires_grad()) continue;
    backprop(out, c.at("upstream"));
    const Json& grads = c.at("grads");
    ASSERT_EQ(grads.size(), inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (grads[i].is_null()) continue;
      const std::string what = "gradient of input " + std::to_string(i);
      if (!inputs[i].grad().defined())
        EXPECT_TRUE(golden::all_zero(grads[i])) << what << ": strata computed none";
      else
        EXPECT_TRUE(golden::matches(what, inputs[i].grad(), grads[i]));
    }
  }
}

TEST(LossGolden, MseLoss) { check_golden("mse_loss"); }
TEST(LossGolden, L1Loss) { check_golden("l1_loss"); }
TEST(LossGolden, SmoothL1Loss) { check_golden("smooth_l1_loss"); }
TEST(LossGolden, HuberLoss) { check_golden("huber_loss"); }
TEST(LossGolden, CrossEntropy) { check_golden("cross_entropy"); }
TEST(LossGolden, NllLoss) { check_golden("nll_loss"); }
TEST(LossGolden, BinaryCrossEntropy) { check_golden("binary_cross_entropy"); }
TEST(LossGolden, BinaryCrossEntropyWithLogits) { check_golden("binary_cross_entropy_with_logits"); }

// Finite, and within 1e-6 of the float64 reference (relative to it where it exceeds 1).
::testing::AssertionResult near_reference(const std::string& what, const Tensor& got, const Json& ref) {
  if (!got.defined()) return ::testing::AssertionFailure() << what << ": undefined";
  if (!(got.shape() == golden::shape_of(ref)))
    return ::testing::AssertionFailure()
           << what << ": shape " << got.shape() << ", expected " << golden::shape_of(ref);
  const std::vector<double> have = got.to(kFloat64).to_vector<double>();
  const std::vector<double> want = golden::values_of(ref);
  for (size_t k = 0; k < want.size(); ++k) {
    if (!std::isfinite(have[k]))
      return ::testing::AssertionFailure() << what << "[" << k << "] is " << have[k] << ", not finite";
    const double tol = 1e-6 * std::max(1.0, std::fabs(want[k]));
    if (std::fabs(have[k] - want[k]) > tol)
      return ::testing::AssertionFailure() << what << "[" << k << "]: got " << golden::num_str(have[k])
                                           << ", float64 reference " << golden::num_str(want[k]);
  }
  return ::testing::AssertionSuccess();
}

TEST(LossGolden, LargeLogitsStayFiniteAndAccurate) {
  const Json file = load("stability");
  int float32_cases = 0, float64_cases = 0;
  for (const Json& c : file.at("cases")) {
    const std::string name = c.at("name").get<std::string>();
    SCOPED_TRACE(name);
    std::vector<Tensor> inputs;
    for (const Json& j : c.at("inputs")) inputs.push_back(golden::make_input(j));
    (inputs[0].dtype() == kFloat32 ? float32_cases : float64_cases)++;
    const Tensor out = call_loss(c.at("loss").get<std::string>(), inputs, c.at("params"));
    EXPECT_EQ(out.dtype(), inputs[0].dtype());
    EXPECT_TRUE(near_reference("output", out, c.at("output")));
    backprop(out, c.at("upstream"));
    const Json& grads = c.at("grads");
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (grads[i].is_null()) continue;
      EXPECT_TRUE(near_reference("gradient of input " + std::to_string(i), inputs[i].grad(), grads[i]));
    }
  }
  EXPECT_GT(float32_cases, 0);
  EXPECT_GT(float64_cases, 0);
}

}  // namespace
