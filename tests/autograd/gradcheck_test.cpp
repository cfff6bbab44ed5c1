#include "support/test_util.h"

using namespace strata;
using strata::test::leaf;
using strata::testing::gradcheck;
using strata::testing::gradgradcheck;

TEST(Gradcheck, PassesForMulAndFailsForAWrongGradient) {
  Tensor a = leaf({2, 3}), b = leaf({3}, 1);
  EXPECT_TRUE(gradcheck([](const auto& x) { return x[0] * x[1]; }, {a, b}));
  // A hook that doubles the gradient makes backward wrong: gradcheck must notice.
  auto wrong = [](const std::vector<Tensor>& x) {
    Tensor y = x[0] * 1.0;
    if (y.requires_grad()) y.register_hook([](const Tensor& g) { return g * 2.0; });
    return y;
  };
  auto r = gradcheck(wrong, {a});
  EXPECT_FALSE(r);
  EXPECT_NE(r.message.find("Jacobian mismatch"), std::string::npos) << r.message;
}

TEST(Gradcheck, RejectsFloat32Inputs) {
  Tensor a = randn({2}).requires_grad_();
  auto r = gradcheck([](const auto& x) { return x[0] * 2.0; }, {a});
  EXPECT_FALSE(r);
  EXPECT_NE(r.message.find("float64"), std::string::npos);
}

TEST(Gradcheck, SecondDerivativeOfCubic) {
  Tensor a = leaf({4});
  EXPECT_TRUE(gradgradcheck([](const auto& x) { return x[0] * x[0] * x[0]; }, {a}));
  EXPECT_TRUE(gradgradcheck([](const auto& x) { return x[0].tanh() * x[0].exp(); }, {a}));
}
