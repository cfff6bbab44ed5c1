#pragma once
/// \file functional/activation.h
/// Activations as functions (`nn::functional::relu(x)`): the same ops as strata::relu & co.,
/// brought into nn::functional so that code written against torch.nn.functional reads the same.
/// `gelu(x, "tanh")` picks the tanh approximation; `linear(x, w, b)` is x @ w.T + b.
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

}  // namespace strata::nn::functional
