#pragma once
// The node type every op records: a plain backward function plus a struct of what it saved.
// Keeping backward a free function (not a lambda) lets the op registry point at it.
#include <utility>
#include <vector>

#include "autograd/node.h"
#include "autograd/saved_tensor.h"
#include "strata/error.h"

namespace strata::autograd {

template <typename Saved>
using BackwardFn = TensorList (*)(const Saved& saved, const TensorList& grads);

template <typename Saved>
class OpNode final : public Node {
 public:
  OpNode(std::string_view name, BackwardFn<Saved> fn, Saved saved)
      : name_(name), fn_(fn), saved_(std::move(saved)) {}

  TensorList apply(TensorList&& grads) override {
    if (released_)
      fail(
          "[{}] backward through this graph a second time: its saved tensors were freed after the "
          "first backward. Pass retain_graph=true to the first backward() if you need to run it twice",
          name_);
    return fn_(saved_, grads);
  }
  std::string_view name() const override { return name_; }
  void release_saved() override {
    saved_ = Saved{};
    released_ = true;
  }
  Saved& saved() { return saved_; }

 private:
  std::string_view name_;
  BackwardFn<Saved> fn_;
  Saved saved_;
  bool released_ = false;
};

}  // namespace strata::autograd
