// LayerNorm and RMSNorm: checks that name the layer and its configuration, then the functional op.
#include "strata/nn/normalization.h"

#include "nn/normalization_common.h"
#include "strata/autograd.h"
#include "strata/factories.h"
#include "strata/nn/functional/normalization.h"

namespace strata::nn {

LayerNorm::LayerNorm(Shape normalized_shape, double eps, bool elementwise_affine)
    : normalized_shape_(normalized_shape), eps_(eps) {
  detail::check_normalized_shape("LayerNorm", normalized_shape_);
  if (elementwise_affine) {
    weight = Parameter(empty(normalized_shape_));
    bias = Parameter(empty(normalized_shape_));
  }
  reset_parameters();
}

void LayerNorm::reset_parameters() {
  NoGradGuard no_grad;
  if (weight.defined()) weight.fill_(1.0);
  if (bias.defined()) bias.fill_(0.0);
}

Tensor LayerNorm::forward(const Tensor& x) {
  detail::check_trailing_input(*this, x, normalized_shape_, weight);
  return functional::layer_norm(x, normalized_shape_, weight, bias, eps_);
}

std::string LayerNorm::extra_repr() const {
  return fmt::format("{}, eps={}, elementwise_affine={}", detail::python_tuple(normalized_shape_),
                     detail::python_float(eps_), weight.defined());
}

}  // namespace strata::nn
