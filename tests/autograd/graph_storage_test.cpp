// The engine's per-node storage: edges kept inline up to three inputs (more spill to the heap),
// the first output's gradient inline (multi-output nodes keep the rest apart), and leaf gradients
// adopted without a copy only when nothing else can see them.
#include "autograd/node.h"
#include "support/test_util.h"

using namespace strata;
using strata::test::expect_values;
using strata::test::leaf;

namespace {
using Inputs = std::vector<Tensor>;
}

TEST(GraphStorage, NodesWithManyInputs) {
  // cat of five leaves: five edges, more than the inline three.
  auto cat5 = [](const Inputs& x) { return cat({x[0], x[1], x[2], x[3], x[4]}, 0) * 2.0; };
  EXPECT_GRADCHECK(cat5, {leaf({2}, 1), leaf({3}, 2), leaf({1}, 3), leaf({2}, 4), leaf({4}, 5)});
  std::vector<Tensor> xs;
  for (int i = 0; i < 7; ++i) xs.push_back(full({1}, static_cast<double>(i)).requires_grad_());
  (stack(xs, 0) * tensor({1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0}).unsqueeze(1)).sum().backward();
  for (int i = 0; i < 7; ++i) expect_values(xs[static_cast<size_t>(i)].grad(), {static_cast<double>(i + 1)});
  size_t edges = 0;
  const Tensor stacked = stack(xs, 0);
  for (const auto& e : stacked.grad_fn()->next_edges) edges += e.valid() ? 1 : 0;
  EXPECT_EQ(edges, 7u);
}

TEST(GraphStorage, MultiOutputNodesGetEveryGradient) {
  // split has three outputs; gradients reach the node for some of them only, in any order.
  Tensor x = tensor({1.0, 2.0, 3.0, 4.0, 5.0, 6.0}).requires_grad_();
  const auto parts = split(x, 2, 0);
  (parts[2] * 3.0 + parts[0]).sum().backward();
  expect_values(x.grad(), {1, 1, 0, 0, 3, 3});
  auto pick = [](const Inputs& in) {
    const auto p = chunk(in[0], 3, 1);
    return p[1] * p[2] + p[2];
  };
  EXPECT_GRADCHECK(pick, {leaf({2, 6})});
  EXPECT_GRADGRADCHECK(pick, {leaf({2, 6})});
}

TEST(GraphStorage, AdoptedGradientsAreNotShared) {
  // The gradient of a view is a view of the incoming gradient: it must be copied, not adopted.
  Tensor x = zeros({2, 2}).requires_grad_();
  Tensor g = ones({4});
  x.reshape({4}).backward(g);
  g.add_(1.0);
  expect_values(x.grad(), {1, 1, 1, 1});
  // A fresh result of a backward function is adopted; later accumulation stays in the leaf.
  Tensor w = ones({3}).requires_grad_();
  (w * 2.0).sum().backward();
  const Tensor first = w.grad();
  (w * 3.0).sum().backward();
  expect_values(w.grad(), {5, 5, 5});
  expect_values(first, {5, 5, 5});  // accumulated in place, as PyTorch
  EXPECT_FALSE(w.grad().requires_grad());
  EXPECT_TRUE(w.grad().is_leaf());
  // Two leaves fed by one tensor each get their own gradient.
  Tensor a = ones({2}).requires_grad_(), b = ones({2}).requires_grad_();
  (a + b).sum().backward();
  a.grad().add_(1.0);
  expect_values(b.grad(), {1, 1});
}

TEST(GraphStorage, RetainedGraphsRunTwice) {
  Tensor x = tensor({1.0, 2.0}).requires_grad_();
  const Tensor y = (x * x).sum();
  y.backward({}, /*retain_graph=*/true);
  y.backward();
  expect_values(x.grad(), {4, 8});
}
