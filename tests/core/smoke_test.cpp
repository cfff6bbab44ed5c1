#include <gtest/gtest.h>
#include <strata/strata.h>

using namespace strata;

TEST(Smoke, AddAndBackward) {
  Tensor a = tensor({{1.0, 2.0}, {3.0, 4.0}}).requires_grad_();
  Tensor b = tensor({10.0, 20.0});
  Tensor y = (a * b + 1.0).sum();
  EXPECT_EQ(y.item<float>(), 1.0f * 4 + 10 + 40 + 30 + 80);
  y.backward();
  EXPECT_EQ(a.grad().to_vector<float>(), (std::vector<float>{10, 20, 10, 20}));
}
