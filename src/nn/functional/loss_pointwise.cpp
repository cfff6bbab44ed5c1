// Losses that compare input and target element by element: mse, l1, smooth_l1, huber, and the two
// binary cross entropies. Each is a short composition of public ops, so autograd differentiates it
// (and its gradient) with no code here; see loss_classification.cpp for cross_entropy and nll_loss.
#include <cmath>
#include <optional>

#include "nn/functional/loss_util.h"
#include "strata/factories.h"

namespace strata::nn::functional {
namespace {

Tensor difference(const char* op, const Tensor& input, const Tensor& target) {
  detail::check_defined(op, input, "input");
  detail::check_defined(op, target, "target");
  detail::check_floating_input(op, input);
  detail::check_same_device(op, input, target, "target");
  detail::check_broadcastable(op, input, target);
  return input - target;
}

Tensor l1_impl(const char* op, const Tensor& input, const Tensor& target, Reduction reduction) {
  return detail::reduce(abs(difference(op, input, target)), reduction);
}

// ---- binary cross entropy on probabilities ----

struct ProbabilityScan {
  bool has_zero = false, has_one = false;
};

template <typename T>
ProbabilityScan scan_probabilities(const T* v, int64_t n, const Tensor& input) {
  ProbabilityScan s;
  for (int64_t i = 0; i < n; ++i) {
    const T x = v[i];
    if (!(x >= T(0) && x <= T(1)))  // also rejects NaN
      fail(
          "[binary_cross_entropy] all elements of input should be between 0 and 1, got {} at {} of {}; pass "
          "probabilities (e.g. sigmoid of the logits), or binary_cross_entropy_with_logits the logits",
          static_cast<double>(x), detail::position_of(i, input.shape()), input.describe());
    s.has_zero = s.has_zero || x == T(0);
    s.has_one = s.has_one || x == T(1);
  }
  return s;
}

// Reads the values on the host (PyTorch checks them too): the check is a plain loop over CPU memory,
// and it tells whether exact 0s or 1s need the slower log below.
ProbabilityScan check_probabilities(const Tensor& input) {
  Tensor host = input.device().is_cpu() ? input.contiguous() : input.to(Device::cpu()).contiguous();
  if (host.dtype() == kFloat64) return scan_probabilities(host.data<double>(), host.numel(), input);
  if (host.dtype() != kFloat32) host = host.to(kFloat32);
  return scan_probabilities(host.data<float>(), host.numel(), input);
}

// max(log(v), -100), where v = x (or 1 - x when `complement`). At v = 0 the plain composition would
// backpropagate 0 / 0 = NaN through log (a float32 sigmoid saturates to exactly 1.0 easily), so those
// positions are replaced by a harmless value before the log and by -100 after it; masked_fill gives
// them a zero gradient, the derivative of the clamped constant. Only done when such values exist.
Tensor clamped_log(const Tensor& x, bool complement, bool has_edge) {
  constexpr double kFloor = -100.0;
  if (!has_edge) return clamp(complement ? log1p(neg(x)) : log(x), kFloor, std::nullopt);
  const Tensor edge = x == (complement ? 1.0 : 0.0);
  const Tensor safe = masked_fill(x, edge, 0.5);
  return masked_fill(clamp(complement ? log1p(neg(safe)) : log(safe), kFloor, std::nullopt), edge, kFloor);
}

void check_loss_weight(const char* op, const Tensor& input, const Tensor& weight, const char* what) {
  if (!weight.defined()) return;
  detail::check_same_device(op, input, weight, what);
  detail::check_floating_input(op, weight, what);
  detail::check_expands_to(op, weight, input.shape(), what);
}

void check_same_shape_target(const char* op, const Tensor& input, const Tensor& target) {
  if (!(target.shape() == input.shape()))
    fail("[{}] target {} must have the input's shape {} (binary targets, one per input element)", op,
         target.describe(), input.shape().str());
}

}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  const Tensor d = difference("mse_loss", input, target);
  return detail::reduce(d * d, reduction);
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  return l1_impl("l1_loss", input, target, reduction);
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction, double beta) {
  constexpr const char* op = "smooth_l1_loss";
  if (!(beta >= 0.0)) fail("[{}] beta must be >= 0, got {} (0 gives l1_loss)", op, beta);
  if (beta == 0.0) return l1_impl(op, input, target, reduction);
  const Tensor d = difference(op, input, target);
  const Tensor ad = abs(d);
  return detail::reduce(where(ad < beta, d * d * (0.5 / beta), ad - 0.5 * beta), reduction);
}

Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction, double delta) {
  constexpr const char* op = "huber_loss";
  if (!(delta > 0.0)) fail("[{}] delta must be > 0, got {}", op, delta);
  const Tensor d = difference(op, input, target);
  const Tensor ad = abs(d);
  return detail::reduce(where(ad < delta, d * d * 0.5, (ad - 0.5 * delta) * delta), reduction);
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight,
                            Reduction reduction) {
  constexpr const char* op = "binary_cross_entropy";
  detail::check_defined(op, input, "input");
  detail::check_defined(op, target, "target");
  detail::check_floating_input(op, input);
  detail::check_same_device(op, input, target, "target");
  check_same_shape_target(op, input, target);
  if (target.dtype() != input.dtype())
    fail("[{}] target {} must have the input's dtype {}; convert it with .to({})", op, target.describe(),
         dtype_name(input.dtype()), detail::dtype_constant(input.dtype()));
  check_loss_weight(op, input, weight, "weight");
  const ProbabilityScan scan = check_probabilities(input);
  const Tensor log_x = clamped_log(input, false, scan.has_zero);
  const Tensor log_1mx = clamped_log(input, true, scan.has_one);
  // -(t log x + (1 - t) log(1 - x)), written with one product of the target fewer.
  Tensor loss = (target - 1.0) * log_1mx - target * log_x;
  if (weight.defined()) loss = loss * weight;
  return detail::reduce(loss, reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight,
                                        const Tensor& pos_weight, Reduction reduction) {
  constexpr const char* op = "binary_cross_entropy_with_logits";
  detail::check_defined(op, input, "input");
  detail::check_defined(op, target, "target");
  detail::check_floating_input(op, input);
  detail::check_floating_input(op, target, "target");
  detail::check_same_device(op, input, target, "target");
  check_same_shape_target(op, input, target);
  check_loss_weight(op, input, weight, "weight");
  check_loss_weight(op, input, pos_weight, "pos_weight");
  // -log(sigmoid(x)) = softplus(-x) and -log(1 - sigmoid(x)) = softplus(x); softplus never
  // overflows, so no logit magnitude gives inf or NaN. Both terms are non-negative, so nothing
  // cancels (PyTorch's (1 - t) x + softplus(-x) loses digits for large |x|), and the gradients
  // autograd derives are the well-conditioned ones: (1 - t) sigmoid(x) - p t sigmoid(-x) for x,
  // p softplus(-x) - softplus(x) for t.
  const Tensor positive = target * softplus(neg(input));
  Tensor loss = (1.0 - target) * softplus(input) + (pos_weight.defined() ? positive * pos_weight : positive);
  if (weight.defined()) loss = loss * weight;
  return detail::reduce(loss, reduction);
}

}  // namespace strata::nn::functional
