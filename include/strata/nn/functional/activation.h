#pragma once
/// \file functional/activation.h
/// Activations as functions (`nn::functional::relu(x)`): the same ops as strata::relu & co.,
/// brought into nn::functional so that code written against torch.nn.functional reads the same.
/// `gelu(x, "tanh")` picks the tanh approximation; `linear(x, w, b)` is x @ w.T + b.
///
/// elu, hardswish and mish are compositions of public ops, so autograd differentiates them (twice,
/// too). Their values and gradients are PyTorch 1.13's, including at the kinks. Each takes a
/// floating-point tensor of any shape and throws "[name] ..." for any other.
#include "strata/ops.h"

namespace strata::nn::functional {

using strata::gelu;
using strata::leaky_relu;
using strata::linear;
using strata::log_softmax;
using strata::relu;
using strata::sigmoid;
using strata::silu;
using strata::softmax;
using strata::softplus;
using strata::tanh;

/// x where x > 0, else alpha * (exp(x) - 1). The gradient at 0 is alpha, as PyTorch's.
Tensor elu(const Tensor& x, double alpha = 1.0);
/// x * clamp(x + 3, 0, 6) / 6. The gradient is 0 below -3, x / 3 + 1/2 on [-3, 3) and 1 from 3
/// on: -1/2 at -3 and 1 at 3, as PyTorch's vectorised CPU kernel gives for any tensor of 16 or
/// more elements (its scalar path, used for short tails, gives 3/2 at 3).
Tensor hardswish(const Tensor& x);
/// x * tanh(softplus(x)); finite, with a finite gradient, for inputs of any magnitude.
Tensor mish(const Tensor& x);

}  // namespace strata::nn::functional
