// nn::functional::dropout and nn::Dropout: identities (p = 0, eval), p = 1, the statistics of the
// mask, reproducibility from a seed (and across thread counts), the gradient, errors.
#include <gtest/gtest.h>

#include <sstream>

#include "strata/factories.h"
#include "strata/nn/dropout.h"
#include "strata/nn/functional/dropout.h"
#include "strata/ops.h"
#include "strata/threads.h"
#include "support/test_util.h"

namespace nn = strata::nn;
namespace F = strata::nn::functional;
using namespace strata;
using strata::test::expect_error;

TEST(Dropout, ZeroProbabilityAndEvalReturnTheSameTensor) {
  Tensor x = randn({3, 4});
  EXPECT_EQ(F::dropout(x, 0.0).impl_ptr(), x.impl_ptr());
  EXPECT_EQ(F::dropout(x, 0.7, false).impl_ptr(), x.impl_ptr());
}

TEST(Dropout, ProbabilityOneGivesZerosAndZeroGradient) {
  Tensor x = test::leaf({2, 3}, 1);
  Tensor y = F::dropout(x, 1.0);
  test::expect_values(y, std::vector<double>(6, 0.0));
  y.sum().backward();
  test::expect_values(x.grad(), std::vector<double>(6, 0.0));
}

TEST(Dropout, KeepsAboutOneMinusPAndScalesTheKeptOnes) {
  manual_seed(11);
  const int64_t n = 200000;
  for (double p : {0.1, 0.3, 0.5, 0.9}) {
    SCOPED_TRACE(p);
    Tensor x = rand({n}) + 1.0;  // no zeros of its own
    Tensor y = F::dropout(x, p);
    const auto xv = x.to_vector<float>(), yv = y.to_vector<float>();
    int64_t dropped = 0;
    const float scale = static_cast<float>(1.0 / (1.0 - p));
    for (int64_t i = 0; i < n; ++i) {
      if (yv[i] == 0.0f) {
        ++dropped;
      } else {
        ASSERT_FLOAT_EQ(yv[i], xv[i] * scale) << "at " << i;
      }
    }
    // 5 standard deviations of a binomial count.
    const double sd = std::sqrt(n * p * (1 - p));
    EXPECT_NEAR(static_cast<double>(dropped), n * p, 5 * sd);
    // The mean is kept in expectation.
    EXPECT_NEAR(y.mean().item<double>(), x.mean().item<double>(), 0.02 * std::sqrt(p / (1 - p)) + 0.005);
  }
}

TEST(Dropout, MaskElementsAreIndependentOfTheirNeighbours) {
  // Adjacent elements share one hash; check that their keep decisions do not correlate.
  manual_seed(3);
  const int64_t n = 100000;
  const auto m = F::dropout(ones({n}), 0.5).to_vector<float>();
  int64_t both = 0, first = 0;
  for (int64_t i = 0; i + 1 < n; i += 2) {
    first += m[i] != 0;
    both += m[i] != 0 && m[i + 1] != 0;
  }
  EXPECT_NEAR(static_cast<double>(both) / static_cast<double>(first), 0.5, 0.02);
}

TEST(Dropout, SeededAndReproducible) {
  Tensor x = randn({1000});
  manual_seed(42);
  Tensor a = F::dropout(x, 0.5);
  Tensor b = F::dropout(x, 0.5);  // the generator moved on: another mask
  manual_seed(42);
  Tensor c = F::dropout(x, 0.5);
  EXPECT_TRUE(equal(a, c));
  EXPECT_FALSE(equal(a, b));
  Generator g1(7), g2(7);
  EXPECT_TRUE(equal(F::dropout(x, 0.3, true, &g1), F::dropout(x, 0.3, true, &g2)));
}

TEST(Dropout, SameMaskWhateverTheThreadCount) {
  const int threads = get_num_threads();
  Tensor x = randn({300001}, {.dtype = kFloat64});
  set_num_threads(1);
  Generator g1(9);
  Tensor one = F::dropout(x, 0.25, true, &g1);
  set_num_threads(2);
  Generator g2(9);
  Tensor two = F::dropout(x, 0.25, true, &g2);
  set_num_threads(threads);
  EXPECT_TRUE(equal(one, two));
}

TEST(Dropout, NonContiguousInputUsesTheSameMask) {
  Tensor base = randn({40, 30});
  Tensor x = base.t();
  Generator g1(5), g2(5);
  Tensor y = F::dropout(x, 0.4, true, &g1);
  Tensor y2 = F::dropout(x.contiguous(), 0.4, true, &g2);
  EXPECT_TRUE(equal(y, y2));
}

TEST(Dropout, GradientIsTheSameScaledMask) {
  Tensor x = (rand({500}, {.dtype = kFloat64}) + 1.0).requires_grad_();
  Tensor y = F::dropout(x, 0.4);
  Tensor up = randn({500}, {.dtype = kFloat64});
  (y * up).sum().backward();
  const auto yv = y.detach().to_vector<double>(), gv = x.grad().to_vector<double>(),
             uv = up.to_vector<double>();
  for (size_t i = 0; i < yv.size(); ++i) EXPECT_DOUBLE_EQ(gv[i], yv[i] == 0 ? 0.0 : uv[i] / 0.6) << i;
}

TEST(Dropout, Gradcheck) {
  // A fresh generator of one seed per call: every evaluation uses one mask.
  auto fn = [](const std::vector<Tensor>& in) {
    Generator g(123);
    return F::dropout(in[0], 0.35, true, &g);
  };
  EXPECT_GRADCHECK(fn, {test::leaf({4, 5}, 1)});
  EXPECT_GRADCHECK(fn, {test::noncontiguous_leaf({3, 4}, 2)});
  EXPECT_GRADCHECK(fn, {test::leaf({}, 3)});
  EXPECT_GRADCHECK(fn, {test::empty_leaf({0, 3})});
  EXPECT_GRADGRADCHECK(fn, {test::leaf({3, 3}, 4)});
}

TEST(Dropout, Errors) {
  Tensor x = randn({2, 2});
  expect_error([&] { F::dropout(x, -0.1); }, "[dropout] probability p must lie in [0, 1], got p = -0.1");
  expect_error([&] { F::dropout(x, 1.5); }, "got p = 1.5");
  expect_error([&] { F::dropout(x, std::nan("")); }, "must lie in [0, 1]");
  expect_error([&] { F::dropout(ones({2}, {.dtype = kInt64}), 0.5); },
               "[dropout] needs a floating-point tensor");
  expect_error([&] { F::dropout(Tensor(), 0.5); }, "[dropout]");
  expect_error([] { nn::Dropout d(2.0); },
               "[Dropout] dropout probability has to be between 0 and 1, got Dropout(2)");
}

namespace {
struct Net : nn::Module {
  nn::Dropout drop{0.2};
  Tensor forward(const Tensor& x) { return drop(x); }
  STRATA_MODULE(Net, drop)
};
}  // namespace

TEST(DropoutModule, TrainEvalReprAndErrors) {
  nn::Dropout d;
  EXPECT_EQ(d.extra_repr(), "p=0.5, inplace=False");
  EXPECT_EQ(nn::Dropout(0.1).extra_repr(), "p=0.1, inplace=False");
  EXPECT_EQ(nn::Dropout(0.0).extra_repr(), "p=0.0, inplace=False");
  std::ostringstream os;
  os << d;
  EXPECT_EQ(os.str(), "Dropout(p=0.5, inplace=False)");
  EXPECT_TRUE(d.parameters().empty());
  EXPECT_TRUE(d.state_dict().empty());

  Tensor x = rand({1000}) + 1.0;
  Tensor y = d(x);
  EXPECT_GT((y == 0.0).sum().item<int64_t>(), 300);
  d.eval();
  EXPECT_EQ(d(x).impl_ptr(), x.impl_ptr());

  Net net;
  net.eval();
  EXPECT_EQ(net(x).impl_ptr(), x.impl_ptr());
  net.train();
  expect_error([&] { net(ones({3}, {.dtype = kInt64})); },
               "Net.drop (Dropout p=0.2): input [3] int64 cpu is not floating point");
}
