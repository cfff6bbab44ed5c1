#pragma once
/// \file functional/pooling.h
/// Max, average and adaptive average pooling over the last one or two dims, as PyTorch's
/// torch.nn.functional: 2-d forms take [N, C, H, W] or unbatched [C, H, W] inputs, 1-d forms
/// [N, C, L] or [C, L]. float32 and float64; any strides.
///
///     namespace F = strata::nn::functional;
///     Tensor y = F::max_pool2d(x, 2);                       // [64, 32, 26, 26] -> [64, 32, 13, 13]
///     Tensor z = F::avg_pool2d(x, {3, 2}, {{2, 1}}, 1);     // kernel 3x2, stride 2x1, padding 1
///     auto [v, idx] = F::max_pool2d_with_indices(x, 2);     // return_indices=True
///
/// Output size along an axis: floor((in + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1
/// (ceil with ceil_mode, dropping a last window that would start in the right padding). Padding
/// may be at most half the kernel, and every output size must be at least 1.
#include <cstdint>
#include <optional>
#include <utility>

#include "strata/nn/functional/size.h"
#include "strata/tensor.h"

namespace strata::nn::functional {

/// The largest value of each window. `stride` defaults to `kernel_size`; padding is -infinity.
/// A NaN in a window wins.
Tensor max_pool2d(const Tensor& x, Size2 kernel_size, std::optional<Size2> stride = std::nullopt,
                  Size2 padding = 0, Size2 dilation = 1, bool ceil_mode = false);
/// max_pool2d and, for each output, the position h * W + w of its value in the input plane (int64).
std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& x, Size2 kernel_size,
                                                  std::optional<Size2> stride = std::nullopt,
                                                  Size2 padding = 0, Size2 dilation = 1,
                                                  bool ceil_mode = false);
Tensor max_pool1d(const Tensor& x, int64_t kernel_size, std::optional<int64_t> stride = std::nullopt,
                  int64_t padding = 0, int64_t dilation = 1, bool ceil_mode = false);
/// max_pool1d and the position along L of each output's value (int64).
std::pair<Tensor, Tensor> max_pool1d_with_indices(const Tensor& x, int64_t kernel_size,
                                                  std::optional<int64_t> stride = std::nullopt,
                                                  int64_t padding = 0, int64_t dilation = 1,
                                                  bool ceil_mode = false);

/// The mean of each window. Padding counts as zeros; `count_include_pad` = false divides by the
/// number of input elements in the window instead; `divisor_override` replaces the divisor.
Tensor avg_pool2d(const Tensor& x, Size2 kernel_size, std::optional<Size2> stride = std::nullopt,
                  Size2 padding = 0, bool ceil_mode = false, bool count_include_pad = true,
                  std::optional<int64_t> divisor_override = std::nullopt);
Tensor avg_pool1d(const Tensor& x, int64_t kernel_size, std::optional<int64_t> stride = std::nullopt,
                  int64_t padding = 0, bool ceil_mode = false, bool count_include_pad = true);

/// Means over windows chosen to give exactly `output_size`: output i along an axis of n inputs
/// averages [floor(i * n / out), ceil((i + 1) * n / out)).
Tensor adaptive_avg_pool2d(const Tensor& x, Size2 output_size);
Tensor adaptive_avg_pool1d(const Tensor& x, int64_t output_size);

}  // namespace strata::nn::functional
