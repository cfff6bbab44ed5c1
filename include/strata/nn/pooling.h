#pragma once
/// \file nn/pooling.h
/// Pooling modules, with PyTorch's constructor arguments and reprs. Each calls the function of the
/// same name in nn::functional (functional/pooling.h says what the arguments mean); a bad input is
/// an error naming the module's path and configuration.
///
///     struct LeNet : nn::Module {
///       nn::MaxPool2d pool{2};                       // MaxPool2d(kernel_size=2, stride=2, ...)
///       nn::AdaptiveAvgPool2d gap{{1, 1}};           // AdaptiveAvgPool2d(output_size=(1, 1))
///       ...
///     };
#include <optional>
#include <string>
#include <utility>

#include "strata/nn/functional/pooling.h"
#include "strata/nn/module.h"

namespace strata::nn {

using functional::Size2;

class MaxPool2d : public Module {
 public:
  /// `stride` defaults to `kernel_size`. With `return_indices`, use forward_with_indices().
  explicit MaxPool2d(Size2 kernel_size, std::optional<Size2> stride = std::nullopt, Size2 padding = 0,
                     Size2 dilation = 1, bool return_indices = false, bool ceil_mode = false);
  /// [N, C, H, W] or [C, H, W] -> the pooled tensor.
  Tensor forward(const Tensor& x);
  /// The pooled tensor and the int64 position h * W + w of each value in its input plane.
  std::pair<Tensor, Tensor> forward_with_indices(const Tensor& x);
  bool return_indices() const { return return_indices_; }
  std::string extra_repr() const override;

 private:
  Size2 kernel_size_, stride_, padding_, dilation_;
  bool return_indices_, ceil_mode_;
  STRATA_MODULE(MaxPool2d)
};

class MaxPool1d : public Module {
 public:
  explicit MaxPool1d(int64_t kernel_size, std::optional<int64_t> stride = std::nullopt, int64_t padding = 0,
                     int64_t dilation = 1, bool return_indices = false, bool ceil_mode = false);
  /// [N, C, L] or [C, L] -> the pooled tensor.
  Tensor forward(const Tensor& x);
  std::pair<Tensor, Tensor> forward_with_indices(const Tensor& x);
  bool return_indices() const { return return_indices_; }
  std::string extra_repr() const override;

 private:
  int64_t kernel_size_, stride_, padding_, dilation_;
  bool return_indices_, ceil_mode_;
  STRATA_MODULE(MaxPool1d)
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(Size2 kernel_size, std::optional<Size2> stride = std::nullopt, Size2 padding = 0,
                     bool ceil_mode = false, bool count_include_pad = true,
                     std::optional<int64_t> divisor_override = std::nullopt);
  Tensor forward(const Tensor& x);
  std::string extra_repr() const override;

 private:
  Size2 kernel_size_, stride_, padding_;
  bool ceil_mode_, count_include_pad_;
  std::optional<int64_t> divisor_override_;
  STRATA_MODULE(AvgPool2d)
};

class AvgPool1d : public Module {
 public:
  explicit AvgPool1d(int64_t kernel_size, std::optional<int64_t> stride = std::nullopt, int64_t padding = 0,
                     bool ceil_mode = false, bool count_include_pad = true);
  Tensor forward(const Tensor& x);
  std::string extra_repr() const override;

 private:
  int64_t kernel_size_, stride_, padding_;
  bool ceil_mode_, count_include_pad_;
  STRATA_MODULE(AvgPool1d)
};

class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(Size2 output_size);
  Tensor forward(const Tensor& x);
  std::string extra_repr() const override;

 private:
  Size2 output_size_;
  STRATA_MODULE(AdaptiveAvgPool2d)
};

class AdaptiveAvgPool1d : public Module {
 public:
  explicit AdaptiveAvgPool1d(int64_t output_size);
  Tensor forward(const Tensor& x);
  std::string extra_repr() const override;

 private:
  int64_t output_size_;
  STRATA_MODULE(AdaptiveAvgPool1d)
};

}  // namespace strata::nn
