#pragma once
/// \file normalization.h
/// Normalization layers with PyTorch's parameters, buffers, state_dict keys and defaults.
///
///     nn::LayerNorm ln(256);                   // weight = ones [256], bias = zeros [256]
///     Tensor y = ln(strata::randn({16, 128, 256}));
///     nn::BatchNorm2d bn(32);                  // + buffers running_mean, running_var, num_batches_tracked
///     nn::GroupNorm gn(/*num_groups=*/4, /*num_channels=*/32);
///     nn::RMSNorm rms(256);                    // eps: the input dtype's machine epsilon
#include <initializer_list>
#include <optional>

#include "strata/nn/module.h"

namespace strata::nn {

/// Normalizes over the trailing dims `normalized_shape` (see functional::layer_norm).
class LayerNorm : public Module {
 public:
  explicit LayerNorm(Shape normalized_shape, double eps = 1e-5, bool elementwise_affine = true);
  explicit LayerNorm(int64_t normalized_shape, double eps = 1e-5, bool elementwise_affine = true)
      : LayerNorm(Shape{normalized_shape}, eps, elementwise_affine) {}
  /// `LayerNorm({2, 3})`: a list is a shape (without this overload, {2, 3} reads as (2, eps=3) too).
  LayerNorm(std::initializer_list<int64_t> normalized_shape, double eps = 1e-5,
            bool elementwise_affine = true)
      : LayerNorm(Shape(normalized_shape), eps, elementwise_affine) {}

  /// `x` is [..., *normalized_shape]; the result has x's shape.
  Tensor forward(const Tensor& x);
  /// weight = ones, bias = zeros.
  void reset_parameters();
  const Shape& normalized_shape() const { return normalized_shape_; }
  double eps() const { return eps_; }
  std::string extra_repr() const override;

  Parameter weight;  ///< normalized_shape, undefined without elementwise_affine
  Parameter bias;    ///< normalized_shape, undefined without elementwise_affine

 private:
  Shape normalized_shape_;
  double eps_;

  STRATA_MODULE(LayerNorm, weight, bias)
};

}  // namespace strata::nn
