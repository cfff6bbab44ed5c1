#pragma once
/// \file rmsprop.h
/// RMSprop, as PyTorch's `torch.optim.RMSprop`: the step is the gradient divided by the root of a
/// running average of its square (minus the square of its running mean, when centered).
///
///     optim::RMSprop opt(model.parameters(), {.lr = 1e-3, .momentum = 0.9});
#include <vector>

#include "strata/optim/optimizer.h"

namespace strata::optim {

/// RMSprop's options, with PyTorch's defaults.
struct RMSpropOptions {
  double lr = 1e-2;
  /// Decay rate of the running averages.
  double alpha = 0.99;
  /// Added to the denominator.
  double eps = 1e-8;
  /// L2 penalty added to the gradient.
  double weight_decay = 0;
  /// Momentum factor of the step; 0 for none.
  double momentum = 0;
  /// Normalise by an estimate of the gradient's variance rather than its second moment.
  bool centered = false;
  bool maximize = false;
};

/// State per parameter: "step", "square_avg", with momentum "momentum_buffer", and when centered
/// "grad_avg".
class RMSprop : public detail::OptimizerWith<RMSpropOptions> {
 public:
  explicit RMSprop(std::vector<Tensor> params, const RMSpropOptions& options = {});
  explicit RMSprop(std::vector<ParamGroup<RMSpropOptions>> groups, const RMSpropOptions& defaults = {});
  void step() override;
};

}  // namespace strata::optim

namespace strata::optim::detail {
extern template class OptimizerWith<RMSpropOptions>;
}
