#pragma once
// A node of the backward graph: one recorded op. It receives the gradients of the op's outputs
// and returns the gradients of its inputs, in the order of next_edges.
#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/cpu/allocator.h"
#include "strata/tensor.h"

namespace strata::autograd {

class Node;

/// Gradients passed into and out of backward functions. Their blocks come from the per-thread
/// small-block pool, like the nodes themselves, so a steady-state backward pass does not touch the
/// heap.
using TensorList = std::vector<Tensor, backend::cpu::SmallAllocator<Tensor>>;

/// Where a gradient goes: input slot `input_nr` of `node`. An empty edge drops the gradient.
struct Edge {
  std::shared_ptr<Node> node;
  uint32_t input_nr = 0;
  bool valid() const { return node != nullptr; }
};

/// A node's edges. Nearly every op has one to three inputs, so those sit inline: recording an op
/// allocates nothing for its edges. More spill, all of them, to the heap.
class EdgeList {
 public:
  void reserve(size_t n) {
    if (n > kInline) spill(n);
  }
  void push_back(Edge e) {
    if (!spilled_ && size_ < kInline) {
      inline_[size_++] = std::move(e);
      return;
    }
    if (!spilled_) spill(size_ + 1);
    heap_.push_back(std::move(e));
    ++size_;
  }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  Edge& operator[](size_t i) { return data()[i]; }
  const Edge& operator[](size_t i) const { return data()[i]; }
  Edge* begin() { return data(); }
  Edge* end() { return data() + size_; }
  const Edge* begin() const { return data(); }
  const Edge* end() const { return data() + size_; }

 private:
  static constexpr size_t kInline = 3;
  Edge* data() { return spilled_ ? heap_.data() : inline_.data(); }
  const Edge* data() const { return spilled_ ? heap_.data() : inline_.data(); }
  void spill(size_t n) {
    if (spilled_) {
      heap_.reserve(n);
      return;
    }
    heap_.reserve(std::max(n, kInline + 1));
    for (size_t i = 0; i < size_; ++i) heap_.push_back(std::move(inline_[i]));
    spilled_ = true;
  }
  std::array<Edge, kInline> inline_;
  std::vector<Edge> heap_;
  size_t size_ = 0;
  bool spilled_ = false;
};

/// The gradients flowing into a node's outputs during one backward run. The first output's sits
/// inline (most ops have one output), so collecting it allocates nothing.
class GradBuffer {
 public:
  Tensor& slot(size_t i, size_t num_outputs) {
    if (i == 0) return first_;
    if (rest_.size() + 1 < num_outputs) rest_.resize(num_outputs - 1);
    return rest_[i - 1];
  }
  /// Moves the gradients into `out` (one per output, undefined where none arrived) and clears.
  void take(TensorList& out, size_t num_outputs) {
    out.clear();
    out.push_back(std::move(first_));
    for (size_t i = 1; i < num_outputs; ++i)
      out.push_back(i - 1 < rest_.size() ? std::move(rest_[i - 1]) : Tensor());
    first_ = Tensor();
    rest_.clear();
  }
  void clear() {
    first_ = Tensor();
    rest_.clear();
  }

 private:
  Tensor first_;
  TensorList rest_;
};

class Node {
 public:
  virtual ~Node() = default;
  /// grads[i] is the gradient of output i (undefined when nothing flowed there; treat as zero).
  virtual TensorList apply(TensorList&& grads) = 0;
  virtual std::string_view name() const = 0;
  /// Frees what was saved for backward; called after backward unless the graph is retained.
  virtual void release_saved() {}

  EdgeList next_edges;
  uint32_t num_outputs = 1;
  /// Tensor hooks on this node's outputs: (output index, hook).
  std::vector<std::pair<uint32_t, Tensor::Hook>> pre_hooks;
  /// The module path where the op ran; recorded in anomaly mode only.
  std::string scope;

  // Scratch space of the backward engine, valid during one run (marked by `visit_epoch`): keeping it
  // here spares the engine a hash map per backward.
  uint64_t visit_epoch = 0;
  int dependencies = 0;
  GradBuffer input_buffer;
};

/// Sink for a leaf's gradient: adds it into leaf.grad(). Refers to the leaf weakly (the leaf owns it).
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(const std::shared_ptr<detail::TensorImpl>& leaf) : leaf_(leaf) {}
  TensorList apply(TensorList&& grads) override;
  std::string_view name() const override { return "AccumulateGrad"; }
  std::shared_ptr<detail::TensorImpl> leaf() const { return leaf_.lock(); }

 private:
  std::weak_ptr<detail::TensorImpl> leaf_;
};

/// The edge a gradient for `t` flows into: its grad_fn, or its accumulator if it is a leaf that
/// requires grad, or none.
Edge gradient_edge(const Tensor& t);

}  // namespace strata::autograd
