// Elementwise binary ops: values, broadcasting, promotion, gradients, in-place forms, errors.
#include "support/test_util.h"

using namespace strata;
using strata::test::expect_error;
using strata::test::leaf;
using strata::test::noncontiguous_leaf;

namespace {
using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

// Every differentiable binary op, for the gradchecks below.
std::vector<std::pair<std::string, Fn>> binary_ops() {
  return {
      {"add", [](const auto& x) { return add(x[0], x[1], 0.5); }},
      {"sub", [](const auto& x) { return sub(x[0], x[1], 2.0); }},
      {"mul", [](const auto& x) { return x[0] * x[1]; }},
      {"div", [](const auto& x) { return x[0] / (x[1] * x[1] + 0.5); }},
      {"pow", [](const auto& x) { return pow(x[0] * x[0] + 0.5, x[1]); }},
      {"maximum", [](const auto& x) { return maximum(x[0], x[1]); }},
      {"minimum", [](const auto& x) { return minimum(x[0], x[1]); }},
      {"where", [](const auto& x) { return where(x[0] > 0.1, x[0], x[1]); }},
  };
}
}  // namespace

TEST(Binary, ValuesAndBroadcasting) {
  Tensor a = tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  Tensor b = tensor({10.0, 20.0, 30.0});
  EXPECT_EQ((a + b).to_vector<float>(), (std::vector<float>{11, 22, 33, 14, 25, 36}));
  EXPECT_EQ((a - b).to_vector<float>(), (std::vector<float>{-9, -18, -27, -6, -15, -24}));
  EXPECT_EQ((a * b.unsqueeze(0)).shape(), Shape({2, 3}));
  EXPECT_EQ((a / 2).to_vector<float>(), (std::vector<float>{0.5, 1, 1.5, 2, 2.5, 3}));
  EXPECT_EQ(pow(a, 2).to_vector<float>(), (std::vector<float>{1, 4, 9, 16, 25, 36}));
  EXPECT_EQ(add(a, b, 2).to_vector<float>(), (std::vector<float>{21, 42, 63, 24, 45, 66}));
  Tensor col = tensor({{1.0}, {2.0}});
  EXPECT_EQ((col + b).shape(), Shape({2, 3}));
  EXPECT_EQ((col * b).to_vector<float>(), (std::vector<float>{10, 20, 30, 20, 40, 60}));
  EXPECT_EQ((2 - a).to_vector<float>(), (std::vector<float>{1, 0, -1, -2, -3, -4}));
  EXPECT_EQ(maximum(a, tensor({2.5})).to_vector<float>(), (std::vector<float>{2.5, 2.5, 3, 4, 5, 6}));
  EXPECT_EQ(minimum(a, tensor({2.5})).to_vector<float>(), (std::vector<float>{1, 2, 2.5, 2.5, 2.5, 2.5}));
}

TEST(Binary, ComparisonsAndLogicalOps) {
  Tensor a = tensor({1, 2, 3});
  Tensor b = tensor({3, 2, 1});
  EXPECT_EQ((a == b).dtype(), kBool);
  EXPECT_EQ((a == b).to_vector<bool>(), (std::vector<bool>{false, true, false}));
  EXPECT_EQ((a != b).to_vector<bool>(), (std::vector<bool>{true, false, true}));
  EXPECT_EQ((a < b).to_vector<bool>(), (std::vector<bool>{true, false, false}));
  EXPECT_EQ((a <= b).to_vector<bool>(), (std::vector<bool>{true, true, false}));
  EXPECT_EQ((a > b).to_vector<bool>(), (std::vector<bool>{false, false, true}));
  EXPECT_EQ((a >= 2).to_vector<bool>(), (std::vector<bool>{false, true, true}));
  EXPECT_EQ((a > 1.5).to_vector<bool>(), (std::vector<bool>{false, true, true}));
  Tensor p = tensor({true, true, false, false}), q = tensor({true, false, true, false});
  EXPECT_EQ(logical_and(p, q).to_vector<bool>(), (std::vector<bool>{true, false, false, false}));
  EXPECT_EQ(logical_or(p, q).to_vector<bool>(), (std::vector<bool>{true, true, true, false}));
  EXPECT_EQ(logical_xor(p, q).to_vector<bool>(), (std::vector<bool>{false, true, true, false}));
  EXPECT_EQ(logical_not(p).to_vector<bool>(), (std::vector<bool>{false, false, true, true}));
  EXPECT_EQ(logical_and(tensor({0.0, 2.0}), tensor({1, 1})).to_vector<bool>(),
            (std::vector<bool>{false, true}));
  EXPECT_EQ((!(a > 1)).to_vector<bool>(), (std::vector<bool>{true, false, false}));
}

TEST(Binary, TypePromotion) {
  Tensor i = tensor({1, 2, 3});
  EXPECT_EQ((i + 1).dtype(), kInt64);
  EXPECT_EQ((i * 2.5).dtype(), kFloat32);
  EXPECT_EQ((i / 2).dtype(), kFloat32);  // true division
  EXPECT_EQ((i / 2).to_vector<float>(), (std::vector<float>{0.5f, 1.0f, 1.5f}));
  EXPECT_EQ((i.to(kInt32) + scalar_tensor(1)).dtype(), kInt32);  // 0-d tensors promote weakly
  EXPECT_EQ((tensor({1.0f}) + scalar_tensor(1.0, kFloat64)).dtype(), kFloat32);
  EXPECT_EQ((tensor({1.0f}) + tensor({1.0}, {.dtype = kFloat64})).dtype(), kFloat64);
  EXPECT_EQ((tensor({true}) + 1).dtype(), kInt64);
  EXPECT_EQ((tensor({true}) + tensor({true})).dtype(), kBool);
  EXPECT_EQ((i.to(kUInt8) + i.to(kInt32)).dtype(), kInt32);
  EXPECT_EQ((i.to(kInt32) + scalar_tensor(1.5, kFloat64)).dtype(), kFloat64);
  EXPECT_EQ(where(tensor({true, false}), tensor({1, 2}), tensor({1.5, 2.5})).dtype(), kFloat32);
}

TEST(Binary, NanPropagationInMaximum) {
  Tensor a = tensor({double(NAN), 1.0, 2.0});
  Tensor b = tensor({0.0, double(NAN), 1.0});
  auto m = maximum(a, b).to_vector<float>();
  EXPECT_TRUE(std::isnan(m[0]) && std::isnan(m[1]));
  EXPECT_EQ(m[2], 2.0f);
}

TEST(Binary, Gradcheck) {
  for (auto& [name, fn] : binary_ops()) {
    SCOPED_TRACE(name);
    EXPECT_GRADCHECK(fn, {leaf({2, 3}, 1), leaf({2, 3}, 2)});
    EXPECT_GRADCHECK(fn, {leaf({2, 3}, 3), leaf({3}, 4)});                   // broadcast
    EXPECT_GRADCHECK(fn, {leaf({4, 1}, 5), leaf({1, 3}, 6)});                // broadcast both
    EXPECT_GRADCHECK(fn, {noncontiguous_leaf({3, 2}, 7), leaf({3, 2}, 8)});  // transposed memory
    EXPECT_GRADCHECK(fn, {leaf({}, 9), leaf({2}, 10)});                      // 0-d
    EXPECT_GRADCHECK(fn, {leaf({0, 3}, 11), leaf({3}, 12)});                 // empty
  }
}

TEST(Binary, GradcheckSlicedInputAndScalarOperands) {
  Tensor base = leaf({4, 6});
  EXPECT_GRADCHECK([](const auto& x) { return x[0].slice(1, 0, 6, 2) * x[0].slice(1, 1, 6, 2); }, {base});
  EXPECT_GRADCHECK([](const auto& x) { return 3.0 - x[0] / 2.0 + x[0] * 1.5; }, {base});
  EXPECT_GRADCHECK([](const auto& x) { return pow(x[0] * x[0] + 1.0, 1.5); }, {base});
  EXPECT_GRADCHECK([](const auto& x) { return pow(2.0 * ones_like(x[0]), x[0]); }, {base});
}

TEST(Binary, SecondDerivatives) {
  for (auto& [name, fn] : binary_ops()) {
    if (name == "maximum" || name == "minimum" || name == "where") continue;  // piecewise linear
    SCOPED_TRACE(name);
    EXPECT_GRADGRADCHECK(fn, {leaf({2, 3}, 1), leaf({3}, 2)});
  }
}

TEST(Binary, TiesInMaximumSplitTheGradient) {
  Tensor a = tensor({1.0, 2.0}, {.dtype = kFloat64}).requires_grad_();
  Tensor b = tensor({1.0, 1.0}, {.dtype = kFloat64}).requires_grad_();
  maximum(a, b).sum().backward();
  EXPECT_EQ(a.grad().to_vector<double>(), (std::vector<double>{0.5, 1.0}));
  EXPECT_EQ(b.grad().to_vector<double>(), (std::vector<double>{0.5, 0.0}));
}

TEST(Binary, InPlaceForms) {
  Tensor a = tensor({1.0, 2.0, 3.0});
  const uint32_t v0 = a.version();
  a.add_(tensor({1.0, 1.0, 1.0}));
  a.mul_(2);
  a.sub_(1);
  a.div_(tensor({1.0, 2.0, 3.0}));
  a += 1;
  a *= tensor({2.0});
  auto v = a.to_vector<float>();
  EXPECT_EQ(v[0], 8.0f);
  EXPECT_EQ(v[1], 7.0f);
  EXPECT_NEAR(v[2], 20.0f / 3, 1e-6);
  EXPECT_GT(a.version(), v0);
  Tensor i = tensor({1, 2});
  expect_error([&] { i.mul_(1.5); }, "cannot be stored in place");
  expect_error([&] { tensor({1.0, 2.0}).add_(tensor({{1.0}, {2.0}})); }, "cannot change shape");
  Tensor self_overlap = tensor({{1.0, 2.0}, {3.0, 4.0}});
  self_overlap.add_(self_overlap.t());
  EXPECT_EQ(self_overlap.to_vector<float>(), (std::vector<float>{2, 5, 5, 8}));
}

TEST(Binary, InPlaceWithAutograd) {
  Tensor x = leaf({3});
  Tensor y = x * 2.0;
  y.add_(x);  // y = 3x
  y.mul_(x);  // y = 3x^2
  y.sum().backward();
  auto xv = x.to_vector<double>(), g = x.grad().to_vector<double>();
  for (size_t k = 0; k < xv.size(); ++k) EXPECT_NEAR(g[k], 6 * xv[k], 1e-12);
  // As in PyTorch, y.mul_(y) needs the old y for its gradient, which the write destroys.
  Tensor z = x * 2.0;
  z.mul_(z);
  expect_error([&] { z.sum().backward(); }, "modified in place after it was saved");
  // A leaf that requires grad cannot be changed in place outside NoGradGuard.
  expect_error([&] { x.add_(1.0); }, "is a leaf tensor that requires grad");
  {
    NoGradGuard no_grad;
    x.add_(1.0);  // fine: this is how optimizers update parameters
  }
  EXPECT_GRADCHECK(
      [](const auto& in) {
        Tensor t = in[0] * 1.0;
        t.mul_(in[1]);
        t.sub_(in[0], 0.5);
        return t;
      },
      {leaf({2, 3}, 1), leaf({3}, 2)});
}

TEST(Binary, Errors) {
  Tensor a = zeros({4, 31}), b = zeros({4, 32});
  expect_error([&] { add(a, b); },
               "[add] operands cannot be broadcast together: [4, 31] float32 cpu and [4, 32]");
  expect_error([&] { a* b; }, "[mul]");
  expect_error([&] { a - zeros({3}); }, "[sub]");
  expect_error([&] { a / zeros({2, 1, 32}); }, "[div]");
  expect_error([&] { maximum(a, b); }, "[maximum]");
  expect_error([&] { minimum(a, b); }, "[minimum]");
  expect_error([&] { pow(a, b); }, "[pow]");
  expect_error([&] { pow(tensor({2, 3}), tensor({-1, 1})); }, "negative integer powers");
  expect_error([&] { eq(a, b); }, "[eq]");
  expect_error([&] { ne(a, b); }, "[ne]");
  expect_error([&] { lt(a, b); }, "[lt]");
  expect_error([&] { le(a, b); }, "[le]");
  expect_error([&] { gt(a, b); }, "[gt]");
  expect_error([&] { ge(a, b); }, "[ge]");
  expect_error([&] { logical_and(a, b); }, "[logical_and]");
  expect_error([&] { logical_or(a, b); }, "[logical_or]");
  expect_error([&] { logical_xor(a, b); }, "[logical_xor]");
  expect_error([&] { where(a, a, a); }, "[where] condition must be a bool tensor");
  expect_error([&] { where(a > 0, a, b); }, "[where]");
  expect_error([&] { tensor({true}) - tensor({false}); }, "[sub] is not defined for bool");
  expect_error([&] { add(tensor({1}), tensor({2}), 0.5); }, "alpha");
  expect_error([&] { add(Tensor(), a); }, "[add] operand 0 is an undefined tensor");
}

TEST(Binary, DeviceMismatchIsAnErrorNamingBothDevices) {
  // Without a CUDA backend no tensor can live on cuda; the factory says so clearly.
  expect_error([] { zeros({2}, {.device = Device::cuda(0)}); }, "no CUDA backend");
}
