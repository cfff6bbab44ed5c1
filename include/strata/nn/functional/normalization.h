#pragma once
/// \file functional/normalization.h
/// Normalizations as functions, with torch.nn.functional's arguments and semantics. Each
/// normalizes over some dims with the biased variance, then applies an optional elementwise
/// affine map (`weight`, `bias`; an undefined Tensor means none).
///
///     Tensor y = nn::functional::layer_norm(x, {256}, ln_weight, ln_bias);   // x [..., 256]
///     Tensor z = nn::functional::batch_norm(x, running_mean, running_var, w, b, /*training=*/true);
///     Tensor g = nn::functional::group_norm(x, /*num_groups=*/4, w, b);      // x [N, C, *]
///     Tensor r = nn::functional::rms_norm(x, {256}, w);                     // eps: machine epsilon
#include <optional>

#include "strata/tensor.h"

namespace strata::nn::functional {

/// (x - mean) / sqrt(var + eps) * weight + bias over the trailing dims `normalized_shape` (which
/// must match x's last dims); weight and bias have shape `normalized_shape`.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = {},
                  const Tensor& bias = {}, double eps = 1e-5);

/// Per-channel normalization of x [N, C, *] over every dim but 1. In training, uses the batch's
/// statistics and, when `running_mean` / `running_var` ([C]) are given, updates them in place:
/// running = (1 - momentum) * running + momentum * batch stat, with the unbiased batch variance,
/// as PyTorch. Out of training, uses the running statistics (which must then be given).
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight = {}, const Tensor& bias = {}, bool training = false,
                  double momentum = 0.1, double eps = 1e-5);

/// Normalizes x [N, C, *] over each group of C / num_groups channels (and every dim after 1);
/// weight and bias are per channel, [C].
Tensor group_norm(const Tensor& x, int64_t num_groups, const Tensor& weight = {}, const Tensor& bias = {},
                  double eps = 1e-5);

/// x / sqrt(mean(x^2) + eps) * weight over the trailing dims `normalized_shape`, as PyTorch 2.4's
/// rms_norm; `eps` defaults to the machine epsilon of x's dtype.
Tensor rms_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = {},
                std::optional<double> eps = std::nullopt);

}  // namespace strata::nn::functional
