#pragma once
/// \file adam.h
/// Adam and AdamW, as PyTorch's `torch.optim.Adam` and `torch.optim.AdamW`. They differ only in
/// weight decay: Adam adds weight_decay * param to the gradient (an L2 penalty, which the adaptive
/// step then rescales); AdamW shrinks the parameter by lr * weight_decay directly ("decoupled").
///
///     optim::AdamW opt(model.parameters(), {.lr = 1e-3, .weight_decay = 0.01});
#include <array>
#include <vector>

#include "strata/optim/optimizer.h"

namespace strata::optim {

/// Adam's options, with PyTorch's defaults.
struct AdamOptions {
  double lr = 1e-3;
  /// Decay rates of the running averages of the gradient and of its square, each in [0, 1).
  std::array<double, 2> betas = {0.9, 0.999};
  /// Added to the denominator's square root.
  double eps = 1e-8;
  /// L2 penalty added to the gradient.
  double weight_decay = 0;
  /// Divide by the largest second moment seen so far (AMSGrad).
  bool amsgrad = false;
  bool maximize = false;
};

/// AdamW's options: Adam's, but weight decay is decoupled and defaults to 1e-2.
struct AdamWOptions {
  double lr = 1e-3;
  std::array<double, 2> betas = {0.9, 0.999};
  double eps = 1e-8;
  /// The parameter is multiplied by 1 - lr * weight_decay each step.
  double weight_decay = 1e-2;
  bool amsgrad = false;
  bool maximize = false;
};

/// State per parameter: "step", "exp_avg", "exp_avg_sq" and, with amsgrad, "max_exp_avg_sq".
class Adam : public detail::OptimizerWith<AdamOptions> {
 public:
  explicit Adam(std::vector<Tensor> params, const AdamOptions& options = {});
  explicit Adam(std::vector<ParamGroup<AdamOptions>> groups, const AdamOptions& defaults = {});
  void step() override;
};

/// State as Adam's.
class AdamW : public detail::OptimizerWith<AdamWOptions> {
 public:
  explicit AdamW(std::vector<Tensor> params, const AdamWOptions& options = {});
  explicit AdamW(std::vector<ParamGroup<AdamWOptions>> groups, const AdamWOptions& defaults = {});
  void step() override;
};

}  // namespace strata::optim

namespace strata::optim::detail {
extern template class OptimizerWith<AdamOptions>;
extern template class OptimizerWith<AdamWOptions>;
}  // namespace strata::optim::detail
