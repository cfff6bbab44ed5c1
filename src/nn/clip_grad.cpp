// clip_grad_norm_ and clip_grad_value_: PyTorch 1.13's steps, in its order, so that the total norm
// and the scaled gradients round as PyTorch's do.
#include "strata/nn/clip_grad.h"

#include <cmath>
#include <limits>

#include "strata/autograd.h"
#include "strata/error.h"
#include "strata/factories.h"
#include "strata/ops.h"

namespace strata::nn::utils {
namespace {

// The gradients of `parameters` (detached: clipping is not part of any graph).
std::vector<Tensor> grads_of(const char* op, const std::vector<Tensor>& parameters) {
  std::vector<Tensor> grads;
  for (size_t i = 0; i < parameters.size(); ++i) {
    if (!parameters[i].defined())
      fail("[{}] parameter {} is an undefined tensor; pass model.parameters()", op, i);
    const Tensor g = parameters[i].grad();
    if (g.defined()) grads.push_back(g.detach());
  }
  return grads;
}

// torch.stack's promotion of the per-tensor norms: float64 wins, and two half types meet at float32.
DType common_dtype(const std::vector<Tensor>& norms) {
  DType out = norms[0].dtype();
  for (const Tensor& n : norms) {
    const DType d = n.dtype();
    if (d == out) continue;
    out = (d == kFloat64 || out == kFloat64) ? kFloat64 : kFloat32;
  }
  return out;
}

}  // namespace

Tensor clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  constexpr const char* op = "clip_grad_norm_";
  if (std::isnan(norm_type)) fail("[{}] norm_type must be a number or infinity, got NaN", op);
  NoGradGuard no_grad;
  std::vector<Tensor> grads = grads_of(op, parameters);
  if (grads.empty()) return full({}, 0.0, {.dtype = kFloat32});
  for (const Tensor& g : grads)
    if (!g.is_floating_point())
      fail("[{}] a gradient {} is not floating point; gradients of parameters are", op, g.describe());
  const Device device = grads[0].device();
  std::vector<Tensor> norms;
  norms.reserve(grads.size());
  // For infinity PyTorch takes abs().max() of each; norm(g, inf) is that, and 0 for an empty one.
  for (const Tensor& g : grads) norms.push_back(norm(g, norm_type).to(device));
  const DType dtype = common_dtype(norms);
  for (Tensor& n : norms) n = n.to(dtype);
  Tensor total;
  if (std::isinf(norm_type) && norm_type > 0)
    total = norms.size() == 1 ? norms[0] : max(stack(norms));
  else
    total = norm(stack(norms), norm_type);
  if (error_if_nonfinite && !std::isfinite(total.item<double>()))
    fail(
        "[{}] The total norm of order {} for gradients from `parameters` is non-finite, so it cannot be "
        "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
        "error_if_nonfinite=false",
        op, norm_type);
  // PyTorch's max_norm / (total + 1e-6) is reciprocal(total + 1e-6) * max_norm (Tensor.__rtruediv__).
  const Tensor coef = clamp((1.0 / (total + 1e-6)) * max_norm, std::nullopt, 1.0);
  for (Tensor& g : grads) g.mul_(coef.to(g.dtype()).to(g.device()));
  return total;
}

void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value) {
  constexpr const char* op = "clip_grad_value_";
  if (!(clip_value >= 0.0)) fail("[{}] clip_value must be >= 0, got {}", op, clip_value);
  NoGradGuard no_grad;
  for (Tensor& g : grads_of(op, parameters)) g.clamp_(-clip_value, clip_value);
}

}  // namespace strata::nn::utils
