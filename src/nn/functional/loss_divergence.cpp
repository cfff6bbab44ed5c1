// kl_div: PyTorch 1.13's composite (xlogy(t, t) - t * x, or exp(t) * (t - x) for log-targets)
// followed by its reduction, 'batchmean' included.
#include "nn/functional/loss_util.h"
#include "strata/factories.h"

namespace strata::nn::functional {
namespace {

constexpr const char* kOp = "kl_div";

Tensor reduce_kl(const Tensor& input, const Tensor& loss, KLDivReduction reduction) {
  switch (reduction) {
    case KLDivReduction::None:
      return loss;
    case KLDivReduction::Mean:
      return mean(loss);
    case KLDivReduction::Sum:
      return sum(loss);
    case KLDivReduction::BatchMean:
      // PyTorch divides by the batch size only when there is a batch dim; a 0-d input is summed.
      return input.dim() == 0 ? sum(loss) : sum(loss) / static_cast<double>(input.size(0));
  }
  return loss;
}

KLDivReduction to_kl(Reduction reduction) {
  switch (reduction) {
    case Reduction::None:
      return KLDivReduction::None;
    case Reduction::Sum:
      return KLDivReduction::Sum;
    case Reduction::Mean:
      break;
  }
  return KLDivReduction::Mean;
}

}  // namespace

Tensor kl_div(const Tensor& input, const Tensor& target, KLDivReduction reduction, bool log_target) {
  detail::check_defined(kOp, input, "input");
  detail::check_defined(kOp, target, "target");
  detail::check_floating_input(kOp, input);
  detail::check_floating_input(kOp, target, "target");
  detail::check_same_device(kOp, input, target, "target");
  detail::check_broadcastable(kOp, input, target);
  Tensor loss;
  if (log_target) {
    loss = exp(target) * (target - input);
  } else {
    // xlogy(t, t) as where(): the t * log(t) branch gets a zero gradient at t = 0, and
    // 0 * log(0) there makes the target's gradient NaN exactly where PyTorch's is.
    const Tensor t_log_t = where(target == 0.0, zeros_like(target), target * log(target));
    loss = t_log_t - target * input;
  }
  return reduce_kl(input, loss, reduction);
}

Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction, bool log_target) {
  return kl_div(input, target, to_kl(reduction), log_target);
}

}  // namespace strata::nn::functional
