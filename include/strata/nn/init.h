#pragma once
/// \file init.h
/// Parameter initialisers with PyTorch's formulas (`torch.nn.init`). Each fills its tensor in
/// place without recording autograd history, and returns it. Random ones draw from `generator`,
/// or from the default generator (`strata::manual_seed`) when it is null: one float64 draw per
/// element in row-major order, so float32 and float64 tensors, and a contiguous tensor and a
/// strided view of the same shape, get the same values from the same seed. The random and scaled
/// initialisers need a floating tensor; constant_, zeros_, ones_ and eye_ take any dtype.
///
///     nn::init::kaiming_uniform_(fc.weight, std::sqrt(5.0));   // Linear's default
///     nn::init::zeros_(fc.bias);
#include <optional>

#include "strata/generator.h"
#include "strata/tensor.h"

namespace strata::nn::init {

enum class FanMode { FanIn, FanOut };
enum class Nonlinearity { Linear, Conv1d, Conv2d, Conv3d, Sigmoid, Tanh, ReLU, LeakyReLU, SELU };

/// PyTorch's recommended gain for a nonlinearity; `param` is LeakyReLU's negative slope
/// (default 0.01).
double calculate_gain(Nonlinearity nonlinearity, std::optional<double> param = std::nullopt);

struct Fans {
  int64_t fan_in = 0;
  int64_t fan_out = 0;
};
/// fan_in = size(1) * receptive field, fan_out = size(0) * receptive field; needs >= 2 dims.
Fans calculate_fan_in_and_fan_out(const Tensor& tensor);

Tensor uniform_(const Tensor& tensor, double a = 0.0, double b = 1.0, Generator* generator = nullptr);
Tensor normal_(const Tensor& tensor, double mean = 0.0, double std = 1.0, Generator* generator = nullptr);
/// Normal(mean, std) truncated to [a, b] (either may be infinite), sampled as PyTorch does: a
/// uniform draw mapped through the normal's inverse CDF, then clamped to [a, b].
Tensor trunc_normal_(const Tensor& tensor, double mean = 0.0, double std = 1.0, double a = -2.0,
                     double b = 2.0, Generator* generator = nullptr);
Tensor constant_(const Tensor& tensor, double value);
Tensor zeros_(const Tensor& tensor);
Tensor ones_(const Tensor& tensor);
/// The identity matrix (2-d tensors only).
Tensor eye_(const Tensor& tensor);

Tensor xavier_uniform_(const Tensor& tensor, double gain = 1.0, Generator* generator = nullptr);
Tensor xavier_normal_(const Tensor& tensor, double gain = 1.0, Generator* generator = nullptr);
/// `a` is the negative slope of the rectifier after this layer (LeakyReLU only). A zero-element
/// tensor is returned untouched, whatever its dims (PyTorch does the same, with a warning).
Tensor kaiming_uniform_(const Tensor& tensor, double a = 0.0, FanMode mode = FanMode::FanIn,
                        Nonlinearity nonlinearity = Nonlinearity::LeakyReLU, Generator* generator = nullptr);
Tensor kaiming_normal_(const Tensor& tensor, double a = 0.0, FanMode mode = FanMode::FanIn,
                       Nonlinearity nonlinearity = Nonlinearity::LeakyReLU, Generator* generator = nullptr);
/// A (semi-)orthogonal matrix from the QR decomposition of a normal sample; dims after the first
/// are flattened.
Tensor orthogonal_(const Tensor& tensor, double gain = 1.0, Generator* generator = nullptr);

}  // namespace strata::nn::init
