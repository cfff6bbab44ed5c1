// The backward engine: counts each node's dependencies, then runs nodes in an order where every
// node sees the sum of all gradients flowing into it before it runs.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <span>

#include "autograd/node.h"
#include "strata/autograd.h"
#include "strata/factories.h"
#include "strata/ops.h"

namespace strata::autograd {

Edge gradient_edge(const Tensor& t) {
  auto& impl = t.impl();
  if (impl.grad_fn) return {impl.grad_fn, impl.output_nr};
  if (!impl.requires_grad) return {};
  if (!impl.grad_accumulator) impl.grad_accumulator = std::make_shared<AccumulateGrad>(t.impl_ptr());
  return {impl.grad_accumulator, 0};
}

TensorList AccumulateGrad::apply(TensorList&& grads) {
  auto leaf = leaf_.lock();
  Tensor& g = grads[0];
  if (!leaf || !g.defined()) return {};
  if (!(g.shape() == leaf->sizes))
    fail("[AccumulateGrad] gradient of shape {} does not match the leaf's shape {}", g.shape().str(),
         leaf->sizes.str());
  if (!leaf->grad) {
    // Keep the incoming tensor when nothing else refers to it; otherwise copy, so that a later
    // in-place accumulation cannot change someone else's tensor. A fresh result of a backward
    // function (the usual case) is adopted as it is, without even a new handle.
    const auto& gi = g.impl();
    const bool sole_owner = g.impl_ptr().use_count() == 1 && gi.storage.use_count() == 1;
    if (is_grad_enabled()) {
      leaf->grad = g.impl_ptr();
    } else if (sole_owner && gi.contiguous && !gi.requires_grad && !gi.grad_fn && !gi.grad_accumulator &&
               !gi.is_view && !gi.wrapped_number && !gi.name) {
      leaf->grad = g.impl_ptr();
    } else {
      leaf->grad = (sole_owner && g.is_contiguous() ? g.detach() : g.detach().clone()).impl_ptr();
    }
  } else if (is_grad_enabled()) {
    leaf->grad = (Tensor(leaf->grad) + g).impl_ptr();  // keep the graph for double backward
  } else {
    Tensor(leaf->grad).add_(g);
  }
  return {};
}

namespace {

bool has_non_finite(const Tensor& g) {
  if (!g.defined() || !g.is_floating_point() || g.numel() == 0) return false;
  NoGradGuard no_grad;
  return !logical_not(logical_or(g != g, abs(g) == INFINITY).sum().to(kBool)).item<bool>();
}

struct Capture {
  Node* node;
  uint32_t slot;
  size_t result_index;
};

// The engine's work lists come from the small-block pool, like the nodes: a steady-state backward
// pass allocates nothing from the heap (tests/nn/zero_alloc_step_test.cpp).
template <typename T>
using PooledVector = std::vector<T, backend::cpu::SmallAllocator<T>>;

void run(std::span<const Tensor> outputs, std::span<const Tensor> grad_outputs, bool keep_graph,
         bool create_graph, std::span<const Capture> captures, std::vector<Tensor>* captured) {
  // Roots.
  PooledVector<Edge> roots;
  TensorList root_grads;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    if (!out.requires_grad())
      fail(
          "[backward] the tensor {} does not require grad and has no grad_fn: nothing to differentiate. "
          "Call requires_grad_() on the leaf tensors you want gradients for",
          out.describe());
    Tensor g = i < grad_outputs.size() ? grad_outputs[i] : Tensor();
    if (!g.defined()) {
      if (out.numel() != 1)
        fail(
            "[backward] grad can be created implicitly only for a one-element output, got {}; pass a "
            "gradient of the same shape to backward()",
            out.describe());
      g = ones_like(out);
    } else if (!(g.shape() == out.shape())) {
      fail("[backward] gradient {} does not match the output {}", g.describe(), out.describe());
    }
    roots.push_back(gradient_edge(out));
    root_grads.push_back(g);
  }

  // Dependency counts over the reachable graph. The output tensors own the graph, so every node
  // stays alive for the whole run. The work lists are reserved once: a training step's graph has a
  // dozen or two nodes.
  static std::atomic<uint64_t> epoch_counter{0};
  const uint64_t epoch = ++epoch_counter;
  PooledVector<Node*> stack;
  stack.reserve(32);
  auto visit = [&](Node* n) {
    if (n->visit_epoch == epoch) return;
    n->visit_epoch = epoch;
    n->dependencies = 0;
    n->input_buffer.clear();
    stack.push_back(n);
  };
  for (auto& e : roots) visit(e.node.get());
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (auto& e : n->next_edges) {
      if (!e.valid()) continue;
      visit(e.node.get());
      ++e.node->dependencies;
    }
  }

  auto add_to_buffer = [](const Edge& e, Tensor g) {
    Tensor& slot = e.node->input_buffer.slot(e.input_nr, e.node->num_outputs);
    slot = slot.defined() ? slot + g : std::move(g);
  };
  PooledVector<Node*>& ready = stack;  // empty again
  for (size_t i = 0; i < roots.size(); ++i) add_to_buffer(roots[i], root_grads[i]);
  for (auto& e : roots)
    if (e.node->dependencies == 0 && std::find(ready.begin(), ready.end(), e.node.get()) == ready.end())
      ready.push_back(e.node.get());

  const bool previous_mode = is_grad_enabled();
  set_grad_enabled(create_graph);
  struct Restore {
    bool mode;
    ~Restore() { set_grad_enabled(mode); }
  } restore{previous_mode};

  const bool anomaly = is_anomaly_enabled();
  TensorList grads;  // reused by every node
  grads.reserve(4);
  while (!ready.empty()) {
    Node* node = ready.back();
    ready.pop_back();
    node->input_buffer.take(grads, node->num_outputs);
    for (auto& [slot, hook] : node->pre_hooks) {
      if (!grads[slot].defined()) continue;
      Tensor replaced = hook(grads[slot]);
      if (replaced.defined()) {
        if (!(replaced.shape() == grads[slot].shape()))
          fail("[hook] a tensor hook returned a gradient of shape {}, expected {}", replaced.shape().str(),
               grads[slot].shape().str());
        grads[slot] = replaced;
      }
    }
    for (auto& c : captures)
      if (c.node == node) (*captured)[c.result_index] = grads[c.slot];
    const bool any_grad =
        std::any_of(grads.begin(), grads.end(), [](const Tensor& g) { return g.defined(); });
    // autograd::grad returns gradients instead of accumulating them into leaves.
    const bool skip = !any_grad || (captured != nullptr && dynamic_cast<AccumulateGrad*>(node) != nullptr);
    TensorList input_grads;
    if (!skip) input_grads = node->apply(std::move(grads));
    grads.clear();  // the output gradients die here unless the node kept them
    if (anomaly) {
      for (size_t i = 0; i < input_grads.size(); ++i) {
        if (has_non_finite(input_grads[i]))
          fail("[anomaly] {} returned nan or inf in its gradient for input {}{}", node->name(), i,
               node->scope.empty() ? std::string() : " (op ran in " + node->scope + ")");
      }
    }
    if (!keep_graph) node->release_saved();
    for (size_t i = 0; i < node->next_edges.size(); ++i) {
      const Edge& e = node->next_edges[i];
      if (!e.valid()) continue;
      if (i < input_grads.size() && input_grads[i].defined()) add_to_buffer(e, std::move(input_grads[i]));
      if (--e.node->dependencies == 0) ready.push_back(e.node.get());
    }
  }
}

}  // namespace

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, bool retain_graph, bool create_graph,
                         bool allow_unused) {
  std::vector<Capture> captures;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].requires_grad())
      fail("[autograd::grad] input {} ({}) does not require grad", i, inputs[i].describe());
    Edge e = gradient_edge(inputs[i]);
    captures.push_back({e.node.get(), e.input_nr, i});
  }
  std::vector<Tensor> result(inputs.size());
  run(outputs, grad_outputs, retain_graph || create_graph, create_graph, captures, &result);
  for (size_t i = 0; i < result.size(); ++i)
    if (!result[i].defined() && !allow_unused)
      fail(
          "[autograd::grad] input {} ({}) was not used to compute the outputs; pass allow_unused=true "
          "to get an undefined tensor for it",
          i, inputs[i].describe());
  return result;
}

void backward(const Tensor& output, const Tensor& gradient, bool retain_graph, bool create_graph) {
  run(std::span<const Tensor>(&output, 1), std::span<const Tensor>(&gradient, 1),
      retain_graph || create_graph, create_graph, {}, nullptr);
}

}  // namespace strata::autograd
