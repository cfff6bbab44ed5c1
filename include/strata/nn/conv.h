#pragma once
/// \file conv.h
/// Convolution layers with PyTorch's constructor arguments, parameter layouts (so a PyTorch
/// state_dict loads unchanged) and default initialisation: weight kaiming_uniform_(a = sqrt(5)),
/// bias uniform(+-1/sqrt(fan_in)), fan_in = in_channels / groups * kernel elements.
///
///     nn::Conv2d conv1(1, 32, 3);                      // weight [32, 1, 3, 3], bias [32]
///     nn::Conv2d conv2(32, 64, {3, 5}, 1, "same");     // kernel 3x5, output keeps the input's size
///     nn::Conv1d c(16, 16, 3, 1, 1, 1, 16, false);     // depthwise, no bias
///     nn::ConvTranspose2d up(64, 32, 2, 2);            // doubles H and W
///     Tensor y = conv1(strata::randn({64, 1, 28, 28}));  // [64, 32, 26, 26]
///
/// Inputs are batched [N, C, ...] or unbatched [C, ...]. Only padding_mode "zeros" is supported.
#include <string>
#include <string_view>

#include "strata/nn/functional/conv.h"
#include "strata/nn/module.h"

namespace strata::nn {

namespace detail {
/// What the three layers share: their configuration and its checks and descriptions.
struct ConvConfig {
  const char* kind;  // "Conv1d", "Conv2d", "ConvTranspose2d"
  int64_t nd;        // spatial dims
  bool transposed;
  int64_t in_channels, out_channels;
  functional::Size2 kernel_size, stride, dilation, output_padding{0};
  functional::Padding padding;
  int64_t groups;
  std::string padding_mode;

  /// Throws "[Conv2d(...)] ..." for a configuration PyTorch would refuse.
  void check() const;
  /// "Conv2d 1->32, kernel_size=3x3, stride=1" and the settings that differ from the defaults.
  std::string summary() const;
  /// PyTorch's extra_repr.
  std::string repr(bool has_bias) const;
  /// The shape checks of forward(), with errors naming `path` and summary().
  void check_input(const std::string& path, const Tensor& x, const Tensor& weight) const;
  /// kaiming_uniform_(a = sqrt(5)) on weight, uniform(+-1/sqrt(fan_in)) on bias.
  void reset(const Tensor& weight, const Tensor& bias) const;
};
}  // namespace detail

class Conv1d : public Module {
 public:
  Conv1d(int64_t in_channels, int64_t out_channels, int64_t kernel_size, int64_t stride = 1,
         functional::Padding padding = 0, int64_t dilation = 1, int64_t groups = 1, bool bias = true,
         std::string_view padding_mode = "zeros");

  /// x [N, in_channels, L] or [in_channels, L].
  Tensor forward(const Tensor& x);
  void reset_parameters();
  std::string extra_repr() const override;
  const detail::ConvConfig& config() const { return config_; }

  Parameter weight;  ///< [out_channels, in_channels / groups, kernel_size]
  Parameter bias;    ///< [out_channels], empty when constructed with bias = false

 private:
  detail::ConvConfig config_;

  STRATA_MODULE(Conv1d, weight, bias)
};

class Conv2d : public Module {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, functional::Size2 kernel_size,
         functional::Size2 stride = 1, functional::Padding padding = 0, functional::Size2 dilation = 1,
         int64_t groups = 1, bool bias = true, std::string_view padding_mode = "zeros");

  /// x [N, in_channels, H, W] or [in_channels, H, W].
  Tensor forward(const Tensor& x);
  void reset_parameters();
  std::string extra_repr() const override;
  const detail::ConvConfig& config() const { return config_; }

  Parameter weight;  ///< [out_channels, in_channels / groups, kH, kW]
  Parameter bias;    ///< [out_channels], empty when constructed with bias = false

 private:
  detail::ConvConfig config_;

  STRATA_MODULE(Conv2d, weight, bias)
};

/// The adjoint of Conv2d: H_out = (H - 1) * stride - 2 * padding + dilation * (kH - 1) +
/// output_padding + 1. PyTorch's argument order (output_padding, groups, bias, then dilation).
class ConvTranspose2d : public Module {
 public:
  ConvTranspose2d(int64_t in_channels, int64_t out_channels, functional::Size2 kernel_size,
                  functional::Size2 stride = 1, functional::Size2 padding = 0,
                  functional::Size2 output_padding = 0, int64_t groups = 1, bool bias = true,
                  functional::Size2 dilation = 1, std::string_view padding_mode = "zeros");

  /// x [N, in_channels, H, W] or [in_channels, H, W].
  Tensor forward(const Tensor& x);
  void reset_parameters();
  std::string extra_repr() const override;
  const detail::ConvConfig& config() const { return config_; }

  Parameter weight;  ///< [in_channels, out_channels / groups, kH, kW]
  Parameter bias;    ///< [out_channels], empty when constructed with bias = false

 private:
  detail::ConvConfig config_;

  STRATA_MODULE(ConvTranspose2d, weight, bias)
};

}  // namespace strata::nn
