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

namespace detail {
/// What BatchNorm1d and BatchNorm2d share (PyTorch's _BatchNorm). Not used directly.
class BatchNormBase : public Module {
 public:
  /// In training: normalizes with the batch's statistics and, with track_running_stats, updates
  /// running_mean / running_var (momentum, or a cumulative average when momentum is nullopt) and
  /// counts the batch in num_batches_tracked. In eval: normalizes with the running statistics
  /// (the batch's when track_running_stats is false).
  Tensor forward(const Tensor& x);
  /// running_mean = 0, running_var = 1, num_batches_tracked = 0.
  void reset_running_stats();
  /// reset_running_stats(), weight = ones, bias = zeros.
  void reset_parameters();
  int64_t num_features() const { return num_features_; }
  double eps() const { return eps_; }
  std::optional<double> momentum() const { return momentum_; }
  std::string extra_repr() const override;

  Parameter weight;            ///< [num_features], undefined without affine
  Parameter bias;              ///< [num_features], undefined without affine
  Buffer running_mean;         ///< [num_features], undefined without track_running_stats
  Buffer running_var;          ///< [num_features], undefined without track_running_stats
  Buffer num_batches_tracked;  ///< int64 0-d, undefined without track_running_stats

 protected:
  BatchNormBase(int64_t num_features, double eps, std::optional<double> momentum, bool affine,
                bool track_running_stats);
  /// Throws (naming the module) unless x has a dim count this class accepts.
  virtual void check_input_dims(const Tensor& x) const = 0;

 private:
  int64_t num_features_;
  double eps_;
  std::optional<double> momentum_;
};
}  // namespace detail

/// Batch normalization of [N, C] or [N, C, L] inputs over every dim but C.
class BatchNorm1d : public detail::BatchNormBase {
 public:
  explicit BatchNorm1d(int64_t num_features, double eps = 1e-5, std::optional<double> momentum = 0.1,
                       bool affine = true, bool track_running_stats = true)
      : BatchNormBase(num_features, eps, momentum, affine, track_running_stats) {}

 protected:
  void check_input_dims(const Tensor& x) const override;

  STRATA_MODULE(BatchNorm1d, weight, bias, running_mean, running_var, num_batches_tracked)
};

/// Batch normalization of [N, C, H, W] inputs over N, H and W.
class BatchNorm2d : public detail::BatchNormBase {
 public:
  explicit BatchNorm2d(int64_t num_features, double eps = 1e-5, std::optional<double> momentum = 0.1,
                       bool affine = true, bool track_running_stats = true)
      : BatchNormBase(num_features, eps, momentum, affine, track_running_stats) {}

 protected:
  void check_input_dims(const Tensor& x) const override;

  STRATA_MODULE(BatchNorm2d, weight, bias, running_mean, running_var, num_batches_tracked)
};

/// Normalizes [N, C, *] inputs over groups of C / num_groups channels; per-channel affine.
class GroupNorm : public Module {
 public:
  GroupNorm(int64_t num_groups, int64_t num_channels, double eps = 1e-5, bool affine = true);

  Tensor forward(const Tensor& x);
  /// weight = ones, bias = zeros.
  void reset_parameters();
  int64_t num_groups() const { return num_groups_; }
  int64_t num_channels() const { return num_channels_; }
  std::string extra_repr() const override;

  Parameter weight;  ///< [num_channels], undefined without affine
  Parameter bias;    ///< [num_channels], undefined without affine

 private:
  int64_t num_groups_;
  int64_t num_channels_;
  double eps_;

  STRATA_MODULE(GroupNorm, weight, bias)
};

/// Root-mean-square normalization over the trailing dims `normalized_shape` (PyTorch 2.4's
/// RMSNorm); eps = nullopt uses the input dtype's machine epsilon.
class RMSNorm : public Module {
 public:
  explicit RMSNorm(Shape normalized_shape, std::optional<double> eps = std::nullopt,
                   bool elementwise_affine = true);
  explicit RMSNorm(int64_t normalized_shape, std::optional<double> eps = std::nullopt,
                   bool elementwise_affine = true)
      : RMSNorm(Shape{normalized_shape}, eps, elementwise_affine) {}
  RMSNorm(std::initializer_list<int64_t> normalized_shape, std::optional<double> eps = std::nullopt,
          bool elementwise_affine = true)
      : RMSNorm(Shape(normalized_shape), eps, elementwise_affine) {}

  Tensor forward(const Tensor& x);
  /// weight = ones.
  void reset_parameters();
  const Shape& normalized_shape() const { return normalized_shape_; }
  std::optional<double> eps() const { return eps_; }
  std::string extra_repr() const override;

  Parameter weight;  ///< normalized_shape, undefined without elementwise_affine

 private:
  Shape normalized_shape_;
  std::optional<double> eps_;

  STRATA_MODULE(RMSNorm, weight)
};

}  // namespace strata::nn
