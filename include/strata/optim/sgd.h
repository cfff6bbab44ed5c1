#pragma once
/// \file sgd.h
/// Stochastic gradient descent, optionally with momentum (heavy-ball or Nesterov), as PyTorch's
/// `torch.optim.SGD`:
///
///     optim::SGD opt(model.parameters(), {.lr = 0.1, .momentum = 0.9});
#include <vector>

#include "strata/optim/optimizer.h"

namespace strata::optim {

/// SGD's options, with PyTorch's defaults. PyTorch's SGD has no default learning rate (it must be
/// given); strata's is 1e-3, the same as Adam's, so that `SGDOptions{}` is a usable value.
struct SGDOptions {
  double lr = 1e-3;
  /// Momentum factor; 0 is plain SGD.
  double momentum = 0;
  /// How much of each new gradient the momentum buffer leaves out: buf = momentum * buf + (1 - dampening) *
  /// g.
  double dampening = 0;
  /// L2 penalty: weight_decay * param is added to the gradient.
  double weight_decay = 0;
  /// Nesterov momentum (needs momentum > 0 and dampening 0).
  bool nesterov = false;
  /// Ascend the objective instead of descending it.
  bool maximize = false;
};

class SGD : public detail::OptimizerWith<SGDOptions> {
 public:
  explicit SGD(std::vector<Tensor> params, const SGDOptions& options = {});
  explicit SGD(std::vector<ParamGroup<SGDOptions>> groups, const SGDOptions& defaults = {});

  /// Per parameter, with g its gradient: g = -g if maximize; g += weight_decay * p; with momentum,
  /// buf = g on the first step, else buf = momentum * buf + (1 - dampening) * g, and g = buf (or
  /// g + momentum * buf with Nesterov); then p -= lr * g. State: "momentum_buffer".
  void step() override;
};

}  // namespace strata::optim

namespace strata::optim::detail {
extern template class OptimizerWith<SGDOptions>;
}
