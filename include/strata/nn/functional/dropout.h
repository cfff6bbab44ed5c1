#pragma once
/// \file functional/dropout.h
/// Inverted dropout, as torch.nn.functional.dropout: in training, each element is zeroed with
/// probability `p` and the kept ones are scaled by 1 / (1 - p), so that the expected value is
/// unchanged and evaluation needs no rescaling.
///
///     strata::manual_seed(0);
///     Tensor y = nn::functional::dropout(x, 0.1);          // training: a fresh mask each call
///     Tensor z = nn::functional::dropout(x, 0.1, false);   // evaluation: z is x itself
///
/// The mask comes from `generator` (the default generator when null): one 64-bit draw per call
/// keys a counter-based hash of each element's index, so a seeded generator gives the same mask
/// whatever the number of threads. PyTorch's random stream is not reproduced.
#include "strata/generator.h"
#include "strata/tensor.h"

namespace strata::nn::functional {

/// p = 0 or training = false returns `x` itself; p = 1 gives x * 0 (zeros, NaN kept as NaN, as
/// PyTorch). `x` must be floating point; p must lie in [0, 1]. The gradient is the upstream
/// gradient times the same scaled mask.
Tensor dropout(const Tensor& x, double p = 0.5, bool training = true, Generator* generator = nullptr);

}  // namespace strata::nn::functional
