// kl_div and cosine_embedding_loss (functional and modules): values and gradients against PyTorch 1.13
// (tests/fixtures/losses/{kl_div,cosine_embedding_loss}.json from tools/gen_loss_fixtures.py),
// hand-computed values, gradcheck in float64, and errors that name the module path.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "golden/golden_fixture.h"
#include "nn/loss_test_util.h"
#include "strata/nn/loss.h"

namespace {

using namespace strata;
using namespace strata::test;
namespace F = strata::nn::functional;
using F::KLDivReduction;
using F::Reduction;
using golden::Json;

KLDivReduction kl_reduction(const std::string& r) {
  if (r == "batchmean") return KLDivReduction::BatchMean;
  if (r == "sum") return KLDivReduction::Sum;
  if (r == "none") return KLDivReduction::None;
  return KLDivReduction::Mean;
}

Reduction reduction(const std::string& r) {
  return r == "sum" ? Reduction::Sum : r == "none" ? Reduction::None : Reduction::Mean;
}

Tensor call_loss(const std::string& loss, const std::vector<Tensor>& in, const Json& p) {
  const std::string red = p.at("reduction").get<std::string>();
  if (loss == "kl_div") {
    nn::KLDivLoss module(kl_reduction(red), p.at("log_target").get<bool>());
    return module(in.at(0), in.at(1));
  }
  nn::CosineEmbeddingLoss module(p.at("margin").get<double>(), reduction(red));
  return module(in.at(0), in.at(1), in.at(2));
}

void check_golden(const std::string& loss) {
  const Json file =
      golden::load_json((std::filesystem::path(STRATA_FIXTURES_DIR) / "losses" / (loss + ".json")).string());
  ASSERT_GE(file.at("cases").size(), 10u);
  for (const Json& c : file.at("cases")) {
    SCOPED_TRACE(loss + "/" + c.at("name").get<std::string>());
    std::vector<Tensor> in;
    for (const Json& j : c.at("inputs")) in.push_back(golden::make_input(j));
    const Tensor out = call_loss(loss, in, c.at("params"));
    EXPECT_TRUE(golden::matches("output", out, c.at("output")));
    if (!out.requires_grad()) continue;
    if (c.at("upstream").is_null())
      out.backward();
    else
      (out * golden::make_input(c.at("upstream"))).sum().backward();
    for (size_t i = 0; i < in.size(); ++i) {
      const Json& g = c.at("grads").at(i);
      if (g.is_null()) continue;
      if (in[i].grad().defined())
        EXPECT_TRUE(golden::matches("gradient of input " + std::to_string(i), in[i].grad(), g));
      else
        EXPECT_TRUE(golden::all_zero(g)) << "input " << i << ": strata computed no gradient";
    }
  }
}

TEST(LossNewGolden, KlDiv) { check_golden("kl_div"); }
TEST(LossNewGolden, CosineEmbeddingLoss) { check_golden("cosine_embedding_loss"); }

TEST(KlDiv, HandValuesAndReductions) {
  const Tensor input = f64({std::log(0.25), std::log(0.75), std::log(0.5), std::log(0.5)}, {2, 2});
  const Tensor target = f64({0.5, 0.5, 0.0, 1.0}, {2, 2});
  const double row0 = 0.5 * (std::log(0.5) - std::log(0.25)) + 0.5 * (std::log(0.5) - std::log(0.75));
  const double row1 = 1.0 * (0.0 - std::log(0.5));
  expect_values(
      F::kl_div(input, target, KLDivReduction::None),
      {0.5 * (std::log(0.5) - std::log(0.25)), 0.5 * (std::log(0.5) - std::log(0.75)), 0.0, -std::log(0.5)});
  expect_values(F::kl_div(input, target, KLDivReduction::Sum), {row0 + row1});
  expect_values(F::kl_div(input, target, KLDivReduction::BatchMean), {(row0 + row1) / 2});
  expect_values(F::kl_div(input, target), {(row0 + row1) / 4});
  expect_values(F::kl_div(input, target, Reduction::Sum), {row0 + row1});
  // log_target: the same divergence with the target given as logs.
  const Tensor log_target = f64({std::log(0.5), std::log(0.5), std::log(0.25), std::log(0.75)}, {2, 2});
  const Tensor p = f64({0.5, 0.5, 0.25, 0.75}, {2, 2});
  EXPECT_TRUE(allclose(F::kl_div(input, log_target, KLDivReduction::None, true),
                       F::kl_div(input, p, KLDivReduction::None), 1e-12, 1e-12));
  // A zero target: value 0, and a NaN target gradient as in PyTorch.
  Tensor t = leaf_of({0.0, 1.0}, {2});
  F::kl_div(f64({-1.0, -2.0}, {2}), t, KLDivReduction::Sum).backward();
  EXPECT_TRUE(std::isnan(t.grad().to_vector<double>()[0]));
}

TEST(KlDiv, Gradcheck) {
  const auto positive = [](const Shape& s, uint64_t seed) {
    return (abs(leaf(s, seed)) + 0.1).detach().requires_grad_();
  };
  for (KLDivReduction r :
       {KLDivReduction::None, KLDivReduction::Mean, KLDivReduction::Sum, KLDivReduction::BatchMean}) {
    const auto fn = [r](const std::vector<Tensor>& in) { return F::kl_div(in[0], in[1], r); };
    const auto fn_log = [r](const std::vector<Tensor>& in) { return F::kl_div(in[0], in[1], r, true); };
    EXPECT_GRADCHECK(fn, {leaf({3, 4}, 1), positive({3, 4}, 2)});
    EXPECT_GRADCHECK(fn, {leaf({3, 4}, 3), positive({4}, 4)});  // broadcast target
    EXPECT_GRADCHECK(fn, {noncontiguous_leaf({3, 4}, 5), positive({3, 4}, 6)});
    EXPECT_GRADCHECK(fn_log, {leaf({2, 3}, 7), leaf({2, 3}, 8)});
    EXPECT_GRADCHECK(fn_log, {leaf({}, 9), leaf({}, 10)});
    EXPECT_GRADCHECK(fn_log, {empty_leaf({0, 3}), empty_leaf({0, 3})});
  }
  EXPECT_GRADGRADCHECK(
      [](const std::vector<Tensor>& in) { return F::kl_div(in[0], in[1], KLDivReduction::BatchMean); },
      {leaf({2, 3}, 11), positive({2, 3}, 12)});
}

TEST(CosineEmbeddingLoss, HandValues) {
  // Rows: identical (cos 1), orthogonal (cos 0), opposite (cos -1).
  const Tensor x1 = f64({1, 0, 0, 1, 2, 2}, {3, 2});
  const Tensor x2 = f64({2, 0, 3, 0, -1, -1}, {3, 2});
  const auto y = [](std::vector<int64_t> v) { return from_vector(v, {3}, {.dtype = kInt64}); };
  expect_values(F::cosine_embedding_loss(x1, x2, y({1, 1, 1}), 0.0, Reduction::None), {0.0, 1.0, 2.0}, 1e-9);
  expect_values(F::cosine_embedding_loss(x1, x2, y({-1, -1, -1}), 0.0, Reduction::None), {1.0, 0.0, 0.0},
                1e-9);
  expect_values(F::cosine_embedding_loss(x1, x2, y({-1, -1, 0}), -0.5, Reduction::None), {1.5, 0.5, 0.0},
                1e-9);
  expect_values(F::cosine_embedding_loss(x1, x2, y({1, -1, 1}), 0.0, Reduction::Sum), {2.0}, 1e-9);
  // A zero vector has cos 0, not NaN.
  expect_values(F::cosine_embedding_loss(f64({0, 0}, {2}), f64({1, 2}, {2}), scalar_tensor(1)), {1.0});
}

TEST(CosineEmbeddingLoss, Gradcheck) {
  const Tensor y = from_vector(std::vector<int64_t>{1, -1, -1, 1}, {4}, {.dtype = kInt64});
  for (Reduction r : kReductions) {
    const auto fn = [&, r](const std::vector<Tensor>& in) {
      return F::cosine_embedding_loss(in[0], in[1], y, 0.1, r);
    };
    EXPECT_GRADCHECK(fn, {leaf({4, 3}, 1), leaf({4, 3}, 2)});
    EXPECT_GRADCHECK(fn, {noncontiguous_leaf({4, 3}, 3), leaf({1, 3}, 4)});
  }
  const Tensor y0 = scalar_tensor(int64_t{-1});
  EXPECT_GRADCHECK(
      [&](const std::vector<Tensor>& in) { return F::cosine_embedding_loss(in[0], in[1], y0, -0.9); },
      {leaf({5}, 5), leaf({5}, 6)});
  const Tensor none = zeros({0}, {.dtype = kInt64});
  EXPECT_GRADCHECK(
      [&](const std::vector<Tensor>& in) {
        return F::cosine_embedding_loss(in[0], in[1], none, 0.0, Reduction::Sum);
      },
      {empty_leaf({0, 3}), empty_leaf({0, 3})});
  EXPECT_GRADGRADCHECK(
      [&](const std::vector<Tensor>& in) { return F::cosine_embedding_loss(in[0], in[1], y, 0.0); },
      {leaf({4, 3}, 7), leaf({4, 3}, 8)});
}

struct Distill : nn::Module {
  nn::KLDivLoss kl{KLDivReduction::BatchMean};
  nn::CosineEmbeddingLoss cosine{0.25};
  Tensor forward(const Tensor& a, const Tensor& b) { return kl(a, b); }
  STRATA_MODULE(Distill, kl, cosine)
};

TEST(LossNewModules, ErrorsNameTheModulePathAndConfiguration) {
  Distill d;
  (void)d(log_softmax(randn({2, 3}), 1), softmax(randn({2, 3}), 1));
  expect_error(
      [&] {
        d.kl(randn({2, 3}), randn({2, 4}));
      },
      "Distill.kl (KLDivLoss reduction=batchmean, log_target=false): [kl_div] target [2, 4] float32 cpu does "
      "not broadcast with input [2, 3] float32 cpu");
  expect_error([&] { d.kl(ones({2}, {.dtype = kInt64}), ones({2})); },
               "[kl_div] input must be floating point, got [2] int64 cpu");
  expect_error(
      [&] {
        d.cosine(randn({2, 3}), randn({2, 3}), ones({2, 1}));
      },
      "Distill.cosine (CosineEmbeddingLoss margin=0.25, reduction=mean): [cosine_embedding_loss] target [2, "
      "1] "
      "float32 cpu must be 0-d or 1-d");
  expect_error([&] { d.cosine(randn({3}), randn({3}), ones({3})); }, "a 1-d target expects 2-d inputs");
  expect_error(
      [&] {
        d.cosine(randn({2, 3}), randn({2, 4}), ones({2}));
      },
      "x1 [2, 3] float32 cpu and x2 [2, 4] float32 cpu do not broadcast");
  expect_error(
      [&] {
        d.cosine(randn({2, 3}), randn({2, 3}), ones({3}));
      },
      "target [3] float32 cpu has 3 labels for 2 pairs");
  EXPECT_ERROR(F::cosine_embedding_loss(ones({2, 2}, {.dtype = kInt64}), ones({2, 2}), ones({2})),
               "[cosine_embedding_loss] x1 must be floating point, got [2, 2] int64 cpu");
  EXPECT_ERROR(F::kl_div(Tensor(), ones({2})), "[kl_div] input is an undefined tensor");
}

TEST(LossNewModules, PrintLikePyTorch) {
  std::ostringstream os;
  os << nn::KLDivLoss() << " " << nn::CosineEmbeddingLoss();
  EXPECT_EQ(os.str(), "KLDivLoss() CosineEmbeddingLoss()");
}

}  // namespace
