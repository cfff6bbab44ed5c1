#pragma once
/// \file clip_grad.h
/// Gradient clipping, as PyTorch 1.13's `torch.nn.utils.clip_grad_norm_` / `clip_grad_value_`: call
/// between backward() and the optimizer's step().
///
///     loss.backward();
///     nn::utils::clip_grad_norm_(model.parameters(), /*max_norm=*/1.0);
///     opt.step();
///
/// Parameters without a gradient are skipped. The gradients are changed in place.
#include <vector>

#include "strata/tensor.h"

namespace strata::nn::utils {

/// Scales all gradients together so that their joint `norm_type`-norm (the norm of the per-tensor
/// norms; infinity for the largest magnitude) is at most `max_norm`: each is multiplied by
/// min(1, max_norm / (total_norm + 1e-6)). Returns the total norm from before clipping, a 0-d tensor
/// (float32 0 when no parameter has a gradient). With `error_if_nonfinite`, a NaN or infinite total
/// norm is an error and nothing is changed; otherwise the gradients are scaled by it all the same.
Tensor clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);

/// Clamps every gradient element to [-clip_value, clip_value] (`clip_value` >= 0).
void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value);

}  // namespace strata::nn::utils
