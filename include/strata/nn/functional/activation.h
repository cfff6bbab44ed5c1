#pragma once
/// \file functional/activation.h
/// Activations as functions (`nn::functional::relu(x)`), the same ops the activation modules call.
#include <string_view>

#include "strata/ops.h"

namespace strata::nn::functional {

inline Tensor relu(const Tensor& x) { return strata::relu(x); }
/// `approximate` is "none" (erf) or "tanh", as in PyTorch.
inline Tensor gelu(const Tensor& x, std::string_view approximate = "none") { return strata::gelu(x, approximate); }
inline Tensor silu(const Tensor& x) { return strata::silu(x); }
inline Tensor tanh(const Tensor& x) { return strata::tanh(x); }
inline Tensor sigmoid(const Tensor& x) { return strata::sigmoid(x); }
inline Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01) {
  return strata::leaky_relu(x, negative_slope);
}
inline Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0) {
  return strata::softplus(x, beta, threshold);
}
inline Tensor softmax(const Tensor& x, int64_t dim) { return strata::softmax(x, dim); }
inline Tensor log_softmax(const Tensor& x, int64_t dim) { return strata::log_softmax(x, dim); }
/// `x @ weight.T + bias`.
inline Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = {}) {
  return strata::linear(x, weight, bias);
}

}  // namespace strata::nn::functional
