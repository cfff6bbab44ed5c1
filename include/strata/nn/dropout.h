#pragma once
/// \file dropout.h
/// `nn::Dropout`: nn::functional::dropout in training mode (`module.train()`, the default), the
/// identity in evaluation mode (`module.eval()`).
///
///     nn::Dropout drop(0.1);
///     Tensor y = drop(x);   // training: about 10% of x zeroed, the rest scaled by 1 / 0.9
///     drop.eval();
///     Tensor z = drop(x);   // z is x
#include "strata/nn/module.h"

namespace strata::nn {

class Dropout : public Module {
 public:
  /// `p`, the chance an element is zeroed, must lie in [0, 1].
  explicit Dropout(double p = 0.5);

  Tensor forward(const Tensor& x);
  double p() const { return p_; }
  /// "p=0.5, inplace=False", as PyTorch prints it.
  std::string extra_repr() const override;

 private:
  double p_;
  STRATA_MODULE(Dropout)
};

}  // namespace strata::nn
