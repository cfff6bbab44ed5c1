// Adam and AdamW, following torch/optim/adam.py's _single_tensor_adam and adamw.py's
// _single_tensor_adamw (PyTorch 1.13) operation for operation.
#include "strata/optim/adam.h"

#include <cmath>

#include "backend/kernels.h"
#include "ops/common.h"
#include "optim/optimizer_with.h"
#include "strata/ops.h"

namespace strata::optim {
namespace detail {

constexpr size_t kExpAvg = 0, kExpAvgSq = 1, kMaxExpAvgSq = 2;

// Adam and AdamW have the same options (only the default weight decay differs).
template <typename Options>
struct AdamTraits {
  static constexpr bool counts_steps = true;
  static constexpr std::array<std::string_view, 3> buffers = {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};

  template <typename O, typename F>
  static void fields(O& o, F&& f) {
    f("lr", o.lr);
    f("betas", o.betas);
    f("eps", o.eps);
    f("weight_decay", o.weight_decay);
    f("amsgrad", o.amsgrad);
    f("maximize", o.maximize);
  }

  static void check(std::string_view name, const Options& o, const std::string& which) {
    require(o.lr >= 0, name, "invalid learning rate {} in {}; lr must be >= 0", o.lr, which);
    require(o.eps >= 0, name, "invalid epsilon value {} in {}; eps must be >= 0", o.eps, which);
    for (size_t k = 0; k < 2; ++k)
      require(o.betas[k] >= 0 && o.betas[k] < 1, name,
              "invalid beta parameter at index {}: {} in {}; betas must be in [0, 1), e.g. {{0.9, 0.999}}", k,
              o.betas[k], which);
    require(o.weight_decay >= 0, name, "invalid weight_decay value {} in {}; weight_decay must be >= 0",
            o.weight_decay, which);
  }

  static std::array<bool, 3> needed(const Options& o) { return {true, true, o.amsgrad}; }
};

template <>
struct OptimizerTraits<AdamOptions> : AdamTraits<AdamOptions> {
  static constexpr std::string_view name = "Adam";
  static void validate(const AdamOptions& o, const std::string& which) { check(name, o, which); }
};
template <>
struct OptimizerTraits<AdamWOptions> : AdamTraits<AdamWOptions> {
  static constexpr std::string_view name = "AdamW";
  static void validate(const AdamWOptions& o, const std::string& which) { check(name, o, which); }
};

template class OptimizerWith<AdamOptions>;
template class OptimizerWith<AdamWOptions>;

}  // namespace detail

namespace {

// The fused kernel covers float32/float64 operands of one dtype laid out alike (contiguous) on the
// CPU; anything else (a strided view, a grad of another dtype) takes the op-composed path.
bool fusable(const Tensor& param, const Tensor& g, const Tensor& a, const Tensor& b, const Tensor* c) {
  const DType d = param.dtype();
  if ((d != kFloat32 && d != kFloat64) || !param.device().is_cpu()) return false;
  for (const Tensor* t : {&g, &a, &b, c}) {
    if (t == nullptr) continue;
    if (t->dtype() != d || !t->device().is_cpu() || !t->is_contiguous() || t->shape() != param.shape())
      return false;
  }
  // A gradient sharing the parameter's memory would change under the kernel as it writes.
  return param.is_contiguous() && g.impl().storage != param.impl().storage;
}

// `decoupled` is AdamW: weight decay shrinks the parameter instead of joining the gradient.
template <typename Options>
void adam_update(Tensor& param, const Tensor& g, detail::ParamState& s, const Options& o, bool decoupled) {
  auto& buf = s.buffers;
  detail::prepare_buffer(buf[detail::kExpAvg], param);
  detail::prepare_buffer(buf[detail::kExpAvgSq], param);
  if (o.amsgrad) detail::prepare_buffer(buf[detail::kMaxExpAvgSq], param);
  Tensor& exp_avg = buf[detail::kExpAvg];
  Tensor& exp_avg_sq = buf[detail::kExpAvgSq];

  const auto [beta1, beta2] = o.betas;
  Tensor* max_sq_buf = o.amsgrad ? &buf[detail::kMaxExpAvgSq] : nullptr;
  if (fusable(param, g, exp_avg, exp_avg_sq, max_sq_buf)) {
    s.step += 1;
    const auto step = static_cast<double>(s.step);
    backend::AdamScalars k;
    k.lr = o.lr;
    k.beta1 = beta1;
    k.beta2 = beta2;
    k.eps = o.eps;
    k.weight_decay = o.weight_decay;
    k.step_size = o.lr / (1 - std::pow(beta1, step));
    k.bias_correction2_sqrt = std::sqrt(1 - std::pow(beta2, step));
    k.decoupled = decoupled;
    k.maximize = o.maximize;
    backend::kernels(param.device(), "adam_update")
        .adam_update(param, g, exp_avg, exp_avg_sq, max_sq_buf ? *max_sq_buf : Tensor(), k);
    // As the composed path's in-place ops do, so that a graph saving the parameter sees the change.
    for (Tensor* t : {&param, &exp_avg, &exp_avg_sq, max_sq_buf})
      if (t) ops::bump_version(*t);
    return;
  }

  Tensor grad = o.maximize ? -g : g;
  s.step += 1;
  if (decoupled) {
    if (o.weight_decay != 0) param.mul_(1 - o.lr * o.weight_decay);  // a factor of 1 would change nothing
  } else if (o.weight_decay != 0) {
    grad = grad.add(param, o.weight_decay);
  }
  exp_avg.mul_(beta1).add_(grad, 1 - beta1);
  exp_avg_sq.mul_(beta2);
  {
    // addcmul_(grad, grad, value = 1 - beta2) rounds as ((value * grad) * grad), then adds.
    Tensor sq = grad * (1 - beta2);
    sq.mul_(grad);
    exp_avg_sq.add_(sq);
  }
  const auto step = static_cast<double>(s.step);
  const double bias_correction1 = 1 - std::pow(beta1, step);
  const double bias_correction2 = 1 - std::pow(beta2, step);
  const double step_size = o.lr / bias_correction1;
  const double bias_correction2_sqrt = std::sqrt(bias_correction2);

  Tensor denom;
  if (o.amsgrad) {
    Tensor& max_sq = buf[detail::kMaxExpAvgSq];
    max_sq = maximum(max_sq, exp_avg_sq);  // the state is ours: a new tensor saves copying back
    denom = max_sq.sqrt();
  } else {
    denom = exp_avg_sq.sqrt();
  }
  denom.div_(bias_correction2_sqrt).add_(o.eps);
  // addcdiv_(exp_avg, denom, value = -step_size) rounds as ((value * exp_avg) / denom), then adds.
  Tensor update = exp_avg * (-step_size);
  update.div_(denom);
  param.add_(update);
}

template <typename Options>
void adam_step(std::vector<std::vector<Tensor>>& groups, const std::vector<Options>& options,
               std::vector<detail::ParamState>& state, bool decoupled) {
  NoGradGuard no_grad;
  size_t i = 0;
  for (size_t g = 0; g < groups.size(); ++g)
    for (Tensor& p : groups[g]) {
      detail::ParamState& s = state[i++];
      if (!p.impl().grad) continue;
      adam_update(p, Tensor(p.impl().grad), s, options[g], decoupled);
    }
}

}  // namespace

Adam::Adam(std::vector<Tensor> params, const AdamOptions& options)
    : Adam(detail::single_group<AdamOptions>(std::move(params)), options) {}
Adam::Adam(std::vector<ParamGroup<AdamOptions>> groups, const AdamOptions& defaults)
    : OptimizerWith(std::move(groups), defaults) {}

void Adam::step() {
  check_grads();
  adam_step(groups_, options_, state_, /*decoupled=*/false);
}

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& options)
    : AdamW(detail::single_group<AdamWOptions>(std::move(params)), options) {}
AdamW::AdamW(std::vector<ParamGroup<AdamWOptions>> groups, const AdamWOptions& defaults)
    : OptimizerWith(std::move(groups), defaults) {}

void AdamW::step() {
  check_grads();
  adam_step(groups_, options_, state_, /*decoupled=*/true);
}

}  // namespace strata::optim
