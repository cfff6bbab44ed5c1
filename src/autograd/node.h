#pragma once
// A node of the backward graph: one recorded op. It receives the gradients of the op's outputs
// and returns the gradients of its inputs, in the order of next_edges.
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "strata/tensor.h"

namespace strata::autograd {

class Node;

/// Where a gradient goes: input slot `input_nr` of `node`. An empty edge drops the gradient.
struct Edge {
  std::shared_ptr<Node> node;
  uint32_t input_nr = 0;
  bool valid() const { return node != nullptr; }
};

class Node {
 public:
  virtual ~Node() = default;
  /// grads[i] is the gradient of output i (undefined when nothing flowed there; treat as zero).
  virtual std::vector<Tensor> apply(std::vector<Tensor>&& grads) = 0;
  virtual std::string_view name() const = 0;
  /// Frees what was saved for backward; called after backward unless the graph is retained.
  virtual void release_saved() {}

  std::vector<Edge> next_edges;
  uint32_t num_outputs = 1;
  /// Tensor hooks on this node's outputs: (output index, hook).
  std::vector<std::pair<uint32_t, Tensor::Hook>> pre_hooks;
  /// The module path where the op ran; recorded in anomaly mode only.
  std::string scope;

  // Scratch space of the backward engine, valid during one run (marked by `visit_epoch`): keeping it
  // here spares the engine a hash map per backward.
  uint64_t visit_epoch = 0;
  int dependencies = 0;
  std::vector<Tensor> input_buffer;
};

/// Sink for a leaf's gradient: adds it into leaf.grad(). Refers to the leaf weakly (the leaf owns it).
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(const std::shared_ptr<detail::TensorImpl>& leaf) : leaf_(leaf) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override;
  std::string_view name() const override { return "AccumulateGrad"; }
  std::shared_ptr<detail::TensorImpl> leaf() const { return leaf_.lock(); }

 private:
  std::weak_ptr<detail::TensorImpl> leaf_;
};

/// The edge a gradient for `t` flows into: its grad_fn, or its accumulator if it is a leaf that
/// requires grad, or none.
Edge gradient_edge(const Tensor& t);

}  // namespace strata::autograd
