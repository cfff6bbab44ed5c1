// elu, hardswish, mish and the Softplus module: values and gradients against PyTorch 1.13
// (tests/fixtures/losses/activation_*.json from tools/gen_loss_fixtures.py), hand-computed values at
// the kinks, gradcheck / gradgradcheck in float64, the modules' repr and their errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "golden/golden_fixture.h"
#include "strata/nn/activation.h"
#include "strata/nn/functional/activation.h"
#include "support/test_util.h"

namespace {

using namespace strata;
using namespace strata::test;
namespace F = strata::nn::functional;
using golden::Json;

Tensor call_activation(const std::string& name, const Tensor& x, const Json& p) {
  if (name == "activation_elu" || name == "activation_elu_alpha")
    return F::elu(x, p.at("alpha").get<double>());
  if (name == "activation_hardswish") return F::hardswish(x);
  if (name == "activation_mish") return F::mish(x);
  if (name == "activation_softplus") {
    nn::Softplus m(p.at("beta").get<double>(), p.at("threshold").get<double>());
    return m(x);
  }
  throw std::runtime_error("activation fixture: unknown " + name);
}

void check_golden(const std::string& name) {
  const Json file =
      golden::load_json((std::filesystem::path(STRATA_FIXTURES_DIR) / "losses" / (name + ".json")).string());
  ASSERT_GE(file.at("cases").size(), 10u);
  for (const Json& c : file.at("cases")) {
    SCOPED_TRACE(name + "/" + c.at("name").get<std::string>());
    const Tensor x = golden::make_input(c.at("inputs").at(0));
    const Tensor y = call_activation(name, x, c.at("params"));
    EXPECT_TRUE(golden::matches("output", y, c.at("output")));
    const Json& up = c.at("upstream");
    if (up.is_null())
      y.backward();
    else
      (y * golden::make_input(up)).sum().backward();
    const Json& grad = c.at("grads").at(0);
    if (x.grad().defined())
      EXPECT_TRUE(golden::matches("input gradient", x.grad(), grad));
    else
      EXPECT_TRUE(golden::all_zero(grad)) << "strata computed no gradient";
  }
}

TEST(ActivationGolden, Elu) {
  check_golden("activation_elu");
  check_golden("activation_elu_alpha");
}
TEST(ActivationGolden, Hardswish) { check_golden("activation_hardswish"); }
TEST(ActivationGolden, Mish) { check_golden("activation_mish"); }
TEST(ActivationGolden, Softplus) { check_golden("activation_softplus"); }

Tensor f64(const std::vector<double>& v) { return from_vector(v, {static_cast<int64_t>(v.size())}); }

// d/dx at each point, by backward of sum.
std::vector<double> grads_at(Tensor (*fn)(const Tensor&), const std::vector<double>& xs) {
  Tensor x = leaf_of(xs, {static_cast<int64_t>(xs.size())});
  fn(x).sum().backward();
  return x.grad().to_vector<double>();
}

TEST(Activation, KinksTakePyTorchsOneSidedValues) {
  // elu: gradient alpha at 0 (the exp branch), 1 above.
  Tensor x = leaf_of({-1.0, 0.0, 2.0}, {3});
  const Tensor y = F::elu(x, 0.5);
  expect_values(y, {0.5 * (std::exp(-1.0) - 1.0), 0.0, 2.0});
  y.sum().backward();
  expect_values(x.grad(), {0.5 * std::exp(-1.0), 0.5, 1.0});
  // hardswish: -1/2 at -3 and 1 at 3 (PyTorch's vectorised kernel: [-3, 3) is the quadratic piece).
  expect_values(F::hardswish(f64({-4.0, -3.0, 0.0, 1.5, 3.0, 5.0})),
                {0.0, 0.0, 0.0, 1.5 * 4.5 / 6.0, 3.0, 5.0});
  expect_values(
      from_vector(grads_at([](const Tensor& t) { return F::hardswish(t); }, {-4.0, -3.0, 0.0, 3.0, 4.0})),
      {0.0, -0.5, 0.5, 1.0, 1.0});
  // mish: finite values and gradients at extremes.
  expect_values(F::mish(f64({-1000.0, 0.0, 1000.0})), {0.0, 0.0, 1000.0});
  expect_values(from_vector(grads_at([](const Tensor& t) { return F::mish(t); }, {-1000.0, 1000.0})),
                {0.0, 1.0});
}

TEST(Activation, Float32ExtremesStayFinite) {
  Tensor x = from_vector(std::vector<float>{-100.0f, 88.0f, 89.0f, 1e30f}).requires_grad_();
  const Tensor y = F::mish(x) + F::elu(x);
  y.sum().backward();
  for (float v : y.to_vector<float>()) EXPECT_TRUE(std::isfinite(v));
  for (float v : x.grad().to_vector<float>()) EXPECT_TRUE(std::isfinite(v));
}

TEST(Activation, GradcheckOrdinaryNoncontiguous0dEmpty) {
  const auto elu = [](const std::vector<Tensor>& in) { return F::elu(in[0], 1.3); };
  const auto hs = [](const std::vector<Tensor>& in) { return F::hardswish(in[0]); };
  const auto mish = [](const std::vector<Tensor>& in) { return F::mish(in[0]); };
  for (const auto& fn : {std::function<Tensor(const std::vector<Tensor>&)>(elu), {hs}, {mish}}) {
    EXPECT_GRADCHECK(fn, {leaf({3, 4}, 1)});
    EXPECT_GRADCHECK(fn, {noncontiguous_leaf({3, 4}, 2)});
    EXPECT_GRADCHECK(fn, {leaf({}, 3)});
    EXPECT_GRADCHECK(fn, {empty_leaf({0, 3})});
    EXPECT_GRADGRADCHECK(fn, {leaf({2, 3}, 4)});
  }
}

TEST(Activation, ModulesPrintLikePyTorch) {
  const auto repr = [](const nn::Module& m) {
    std::ostringstream os;
    os << m;
    return os.str();
  };
  EXPECT_EQ(repr(nn::ELU()), "ELU(alpha=1.0)");
  EXPECT_EQ(repr(nn::ELU(0.25)), "ELU(alpha=0.25)");
  EXPECT_EQ(repr(nn::Hardswish()), "Hardswish()");
  EXPECT_EQ(repr(nn::Mish()), "Mish()");
  EXPECT_EQ(repr(nn::Softplus()), "Softplus(beta=1, threshold=20)");
  EXPECT_EQ(repr(nn::Softplus(0.5, 10)), "Softplus(beta=0.5, threshold=10)");
}

struct Net : nn::Module {
  nn::Linear fc{3, 3};
  nn::ELU act{0.5};
  nn::Mish mish;
  Tensor forward(const Tensor& x) { return mish(act(fc(x))); }
  STRATA_MODULE(Net, fc, act, mish)
};

TEST(Activation, ModulesForwardAndNameThemselvesInErrors) {
  Net net;
  const Tensor x = randn({2, 3});
  const Tensor y = net(x);
  EXPECT_TRUE(allclose(y, F::mish(F::elu(net.fc(x), 0.5))));
  expect_error(
      [&] {
        net.act(ones({2, 3}, {.dtype = kInt64}));
      },
      "Net.act (ELU alpha=0.5): input [2, 3] int64 cpu must be floating point");
  nn::Hardswish hs;
  expect_error([&] { hs(ones({2}, {.dtype = kInt32})); },
               "Hardswish (Hardswish): input [2] int32 cpu must be floating");
  nn::Softplus sp(2.0, 5.0);
  expect_error([&] { sp(ones({1}, {.dtype = kBool})); },
               "(Softplus beta=2, threshold=5): input [1] bool cpu");
  expect_error([&] { nn::Softplus(0.0); }, "[Softplus] beta must be finite and non-zero, got 0");
  EXPECT_ERROR(F::elu(ones({2}, {.dtype = kInt64})), "[elu] input [2] int64 cpu must be floating point");
  EXPECT_ERROR(F::hardswish(Tensor()), "[hardswish] the input is an undefined tensor");
  EXPECT_ERROR(F::mish(ones({2}, {.dtype = kInt64})), "[mish] input");
}

}  // namespace
