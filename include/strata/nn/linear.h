#pragma once
/// \file linear.h
/// `nn::Linear`: y = x W^T + b, initialised as PyTorch does (weight kaiming-uniform with a = sqrt(5),
/// i.e. uniform(+-1/sqrt(in_features)), bias uniform(+-1/sqrt(in_features))).
///
///     nn::Linear fc(10, 32);                // weight [32, 10], bias [32]
///     Tensor y = fc(strata::randn({4, 10}));  // [4, 32]
#include "strata/nn/module.h"

namespace strata::nn {

class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true);

  /// `x` is [..., in_features]; the result is [..., out_features].
  Tensor forward(const Tensor& x);
  /// Draws weight and bias again from PyTorch's default distributions.
  void reset_parameters();
  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }
  std::string extra_repr() const override;

  Parameter weight;  ///< [out_features, in_features]
  Parameter bias;    ///< [out_features], empty when constructed with bias = false

 private:
  int64_t in_features_;
  int64_t out_features_;

  STRATA_MODULE(Linear, weight, bias)
};

}  // namespace strata::nn
