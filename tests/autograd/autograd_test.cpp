// The autograd engine: accumulation, retained graphs, grad mode, hooks, double backward,
// version counters and anomaly mode.
#include <cmath>

#include "autograd/node.h"
#include "support/test_util.h"

using namespace strata;
using strata::test::expect_error;
using strata::test::leaf;

TEST(Autograd, GradientsAccumulateAcrossBackwardCalls) {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  (x * 3.0).sum().backward();
  (x * x).sum().backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{3 + 2, 3 + 4}));
}

TEST(Autograd, DiamondGraphSumsBothPaths) {
  Tensor x = leaf({3});
  Tensor a = x * 2.0, b = x.exp();
  Tensor y = (a * b).sum();  // d/dx 2x e^x = 2e^x + 2x e^x
  y.backward();
  auto xv = x.to_vector<double>(), g = x.grad().to_vector<double>();
  for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(g[i], 2 * std::exp(xv[i]) * (1 + xv[i]), 1e-12);
}

TEST(Autograd, BackwardOfNonScalarNeedsAGradient) {
  Tensor x = leaf({2});
  Tensor y = x * 2.0;
  expect_error([&] { y.backward(); },
               "[backward] grad can be created implicitly only for a one-element output");
  y.backward(tensor({1.0, 10.0}, {.dtype = kFloat64}));
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{2, 20}));
  expect_error([&] { (x * 2.0).backward(tensor({1.0})); }, "does not match the output");
  expect_error([&] { tensor({1.0}).sum().backward(); }, "does not require grad");
}

TEST(Autograd, GraphIsFreedUnlessRetained) {
  Tensor x = leaf({2});
  Tensor y = (x * x).sum();
  y.backward();
  expect_error([&] { y.backward(); }, "backward through this graph a second time");
  Tensor z = (x * x).sum();
  z.backward({}, /*retain_graph=*/true);
  z.backward();
  auto xv = x.to_vector<double>(), g = x.grad().to_vector<double>();
  for (size_t i = 0; i < 2; ++i) EXPECT_NEAR(g[i], 6 * xv[i], 1e-12);  // 2x from y, 2x + 2x from z
}

TEST(Autograd, NoGradGuardRecordsNothing) {
  Tensor x = leaf({2});
  {
    NoGradGuard guard;
    EXPECT_FALSE(is_grad_enabled());
    Tensor y = x * 2.0;
    EXPECT_FALSE(y.requires_grad());
    EXPECT_TRUE(y.is_leaf());
    {
      EnableGradGuard enable;
      EXPECT_TRUE((x * 2.0).requires_grad());
    }
  }
  EXPECT_TRUE(is_grad_enabled());
  EXPECT_TRUE((x * 2.0).requires_grad());
}

TEST(Autograd, DetachStopsGradientsAndSharesMemory) {
  Tensor x = leaf({2});
  Tensor d = x.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_EQ(d.data_ptr(), x.data_ptr());
  Tensor y = (x * d).sum();  // only the first factor is differentiated
  y.backward();
  EXPECT_EQ(x.grad().to_vector<double>(), x.to_vector<double>());
}

TEST(Autograd, RequiresGradRules) {
  expect_error([] { tensor({1, 2}).requires_grad_(); }, "only floating-point tensors can require gradients");
  Tensor x = leaf({2});
  Tensor y = x * 2.0;
  expect_error([&] { y.requires_grad_(false); }, "only leaf tensors can change requires_grad");
  EXPECT_EQ(y.grad_fn_name(), "MulBackward");
  EXPECT_TRUE(x.is_leaf());
  EXPECT_FALSE(y.is_leaf());
  // Integer results of differentiable inputs carry no gradient.
  EXPECT_FALSE((x > 0).requires_grad());
}

TEST(Autograd, HooksSeeAndReplaceGradients) {
  Tensor x = leaf({2});
  std::vector<double> seen;
  x.register_hook([&](const Tensor& g) {
    seen = g.to_vector<double>();
    return Tensor();
  });
  Tensor y = x * 3.0;
  y.register_hook([](const Tensor& g) { return g * 10.0; });
  y.sum().backward();
  EXPECT_EQ(seen, (std::vector<double>{30, 30}));
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{30, 30}));
  expect_error([] { tensor({1.0}).register_hook([](const Tensor& g) { return g; }); },
               "does not require grad");
  Tensor z = leaf({2});
  Tensor w = z * 1.0;
  w.register_hook([](const Tensor&) { return zeros({3}, {.dtype = kFloat64}); });
  expect_error([&] { w.sum().backward(); },
               "[hook] a tensor hook returned a gradient of shape [3], expected [2]");
}

TEST(Autograd, RetainGradKeepsNonLeafGradients) {
  Tensor x = leaf({2});
  Tensor y = x * 2.0;
  y.retain_grad();
  Tensor z = y * y;
  z.sum().backward();
  EXPECT_EQ(y.grad().to_vector<double>(), (y * 2.0).to_vector<double>());
  EXPECT_FALSE((x * 2.0).grad().defined());
}

TEST(Autograd, DoubleBackwardThroughCreateGraph) {
  Tensor x = tensor({1.0, 2.0}, {.dtype = kFloat64}).requires_grad_();
  Tensor y = (x * x * x).sum();
  Tensor g = autograd::grad({y}, {x}, {}, false, /*create_graph=*/true)[0];
  EXPECT_EQ(g.to_vector<double>(), (std::vector<double>{3, 12}));
  EXPECT_TRUE(g.requires_grad());
  g.sum().backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{6, 12}));
  // backward(create_graph) leaves a differentiable .grad.
  Tensor w = tensor({3.0}, {.dtype = kFloat64}).requires_grad_();
  (w * w * w).sum().backward({}, false, true);
  Tensor first = w.grad();
  EXPECT_TRUE(first.requires_grad());
  EXPECT_EQ(autograd::grad({first.sum()}, {w})[0].item<double>(), 18.0);
}

TEST(Autograd, GradOfUnusedInputs) {
  Tensor x = leaf({2}), unused = leaf({2});
  Tensor y = (x * 2.0).sum();
  expect_error([&] { autograd::grad({y}, {x, unused}, {}, true); }, "was not used to compute the outputs");
  auto grads = autograd::grad({y}, {x, unused}, {}, false, false, /*allow_unused=*/true);
  EXPECT_EQ(grads[0].to_vector<double>(), (std::vector<double>{2, 2}));
  EXPECT_FALSE(grads[1].defined());
  EXPECT_FALSE(x.grad().defined());  // grad() returns gradients instead of accumulating
}

TEST(Autograd, InPlaceChangeOfASavedTensorIsAnError) {
  Tensor x = leaf({3});
  Tensor a = x * 1.0;
  Tensor y = a * a;  // saves a
  a.add_(1.0);
  expect_error(
      [&] { y.sum().backward(); },
      "[MulBackward] the tensor 'other' ([3] float64 cpu) saved for the gradient was modified in place after "
      "it was saved (it is at version 1, backward needs version 0)");
  // Saved outputs are checked too: exp saves its result.
  Tensor e = x.exp();
  Tensor z = e * 1.0;
  e.mul_(2.0);
  expect_error([&] { z.sum().backward(); }, "[ExpBackward] the tensor 'result'");
  // In-place on a view of something that needs gradients is refused up front.
  Tensor b = x * 1.0;
  expect_error([&] { b.select(0, 0).mul_(2.0); }, "in-place change of a view");
}

TEST(Autograd, AnomalyModeNamesTheOpAndScope) {
  Tensor x = tensor({0.0, 1.0}, {.dtype = kFloat64}).requires_grad_();
  {
    autograd::DetectAnomalyGuard anomaly;
    const std::string scope = "SimpleNet.fc1";
    const std::string* previous = autograd::set_current_scope(&scope);
    Tensor y = x.sqrt();  // d sqrt(x)/dx is inf at 0
    autograd::set_current_scope(previous);
    expect_error([&] { y.sum().backward(); },
                 "[anomaly] SqrtBackward returned nan or inf in its gradient for input 0 "
                 "(op ran in SimpleNet.fc1)");
  }
  // Without anomaly mode the inf simply flows through, as in PyTorch.
  x.sqrt().sum().backward();
  EXPECT_TRUE(std::isinf(x.grad().to_vector<double>()[0]));
}

TEST(Autograd, GraphHasNoReferenceCycles) {
  std::weak_ptr<autograd::Node> node;
  {
    Tensor x = leaf({2});
    Tensor y = x.exp();  // saves its own output
    node = y.grad_fn();
    EXPECT_FALSE(node.expired());
  }
  EXPECT_TRUE(node.expired());
}

TEST(Autograd, LeafGradientIsNotAliasedWithOtherTensors) {
  // add passes the same gradient tensor to both inputs; accumulating into one must not change the other.
  Tensor a = leaf({2}), b = leaf({2}, 1);
  (a + b).sum().backward();
  Tensor ga = a.grad();
  {
    NoGradGuard no_grad;
    ga.add_(100.0);
  }
  EXPECT_EQ(b.grad().to_vector<double>(), (std::vector<double>{1, 1}));
}
