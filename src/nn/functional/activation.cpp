// elu, hardswish and mish as compositions of public ops, arranged so that the gradients autograd
// derives equal PyTorch's hand-written ones, kinks included.
#include "strata/nn/functional/activation.h"

#include <string_view>

namespace strata::nn::functional {
namespace {

void check_input(std::string_view op, const Tensor& x) {
  if (!x.defined()) fail("[{}] the input is an undefined tensor", op);
  if (!x.is_floating_point())
    fail("[{}] input {} must be floating point; convert it with .to(strata::kFloat32)", op, x.describe());
}

}  // namespace

Tensor elu(const Tensor& x, double alpha) {
  check_input("elu", x);
  // The negative branch sees min(x, 0): where() sends it a zero gradient for x > 0, and 0 * exp(x)
  // would be NaN once exp(x) overflows. clamp's gradient includes its bound, so x = 0 takes this
  // branch's slope alpha, as PyTorch does. exp(x) - 1 rather than expm1: PyTorch 1.13's values.
  const Tensor negative = (exp(clamp(x, std::nullopt, 0.0)) - 1.0) * alpha;
  return where(x > 0.0, x, negative);
}

Tensor hardswish(const Tensor& x) {
  check_input("hardswish", x);
  // The same values as x * clamp(x + 3, 0, 6) / 6, with PyTorch's one-sided gradients at the kinks:
  // clamp passes the gradient at its lower bound (-1/2 at -3), and the constant 6 from 3 on gives 1
  // at 3, as PyTorch's vectorised kernel does (its scalar tail says 3/2 there).
  const Tensor capped = where(x < 3.0, clamp(x + 3.0, 0.0, std::nullopt), scalar_tensor(6.0, x.dtype()));
  return x * capped / 6.0;
}

Tensor mish(const Tensor& x) {
  check_input("mish", x);
  // softplus, not log1p(exp(x)): its threshold keeps exp from overflowing into an inf / inf gradient.
  return x * tanh(softplus(x));
}

}  // namespace strata::nn::functional
