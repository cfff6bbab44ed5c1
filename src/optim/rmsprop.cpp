// RMSprop, following torch/optim/rmsprop.py's _single_tensor_rmsprop (PyTorch 1.13) operation for
// operation.
#include "strata/optim/rmsprop.h"

#include "optim/optimizer_with.h"
#include "strata/ops.h"

namespace strata::optim {
namespace detail {

constexpr size_t kSquareAvg = 0, kMomentumBuffer = 1, kGradAvg = 2;

template <>
struct OptimizerTraits<RMSpropOptions> {
  static constexpr std::string_view name = "RMSprop";
  static constexpr bool counts_steps = true;
  static constexpr std::array<std::string_view, 3> buffers = {"square_avg", "momentum_buffer", "grad_avg"};

  template <typename O, typename F>
  static void fields(O& o, F&& f) {
    f("lr", o.lr);
    f("alpha", o.alpha);
    f("eps", o.eps);
    f("weight_decay", o.weight_decay);
    f("momentum", o.momentum);
    f("centered", o.centered);
    f("maximize", o.maximize);
  }

  static void validate(const RMSpropOptions& o, const std::string& which) {
    require(o.lr >= 0, name, "invalid learning rate {} in {}; lr must be >= 0", o.lr, which);
    require(o.eps >= 0, name, "invalid epsilon value {} in {}; eps must be >= 0", o.eps, which);
    require(o.momentum >= 0, name, "invalid momentum value {} in {}; momentum must be >= 0 (0 for none)",
            o.momentum, which);
    require(o.weight_decay >= 0, name, "invalid weight_decay value {} in {}; weight_decay must be >= 0",
            o.weight_decay, which);
    require(o.alpha >= 0, name, "invalid alpha value {} in {}; alpha must be >= 0 (typically 0.99)", o.alpha,
            which);
  }

  static std::array<bool, 3> needed(const RMSpropOptions& o) { return {true, o.momentum > 0, o.centered}; }
};

template class OptimizerWith<RMSpropOptions>;

}  // namespace detail

namespace {

void rmsprop_update(Tensor& param, const Tensor& g, detail::ParamState& s, const RMSpropOptions& o) {
  auto& buf = s.buffers;
  const auto needed = detail::OptimizerTraits<RMSpropOptions>::needed(o);
  for (size_t b = 0; b < buf.size(); ++b)
    if (needed[b]) detail::prepare_buffer(buf[b], param);
  Tensor& square_avg = buf[detail::kSquareAvg];

  s.step += 1;
  Tensor grad = o.maximize ? -g : g;
  if (o.weight_decay != 0) grad = grad.add(param, o.weight_decay);
  square_avg.mul_(o.alpha);
  {
    // addcmul_(grad, grad, value = 1 - alpha) rounds as ((value * grad) * grad), then adds.
    Tensor sq = grad * (1 - o.alpha);
    sq.mul_(grad);
    square_avg.add_(sq);
  }
  Tensor avg;
  if (o.centered) {
    Tensor& grad_avg = buf[detail::kGradAvg];
    grad_avg.mul_(o.alpha).add_(grad, 1 - o.alpha);
    // square_avg.addcmul(grad_avg, grad_avg, value = -1): (-1 * a) * a is exactly -(a * a).
    avg = square_avg.sub(grad_avg * grad_avg).sqrt();
  } else {
    avg = square_avg.sqrt();
  }
  avg.add_(o.eps);
  if (o.momentum > 0) {
    Tensor& momentum_buffer = buf[detail::kMomentumBuffer];
    momentum_buffer.mul_(o.momentum).add_(grad / avg);  // addcdiv_(grad, avg) with value 1
    param.add_(momentum_buffer, -o.lr);
  } else {
    // addcdiv_(grad, avg, value = -lr) rounds as ((value * grad) / avg), then adds.
    Tensor update = grad * (-o.lr);
    update.div_(avg);
    param.add_(update);
  }
}

}  // namespace

RMSprop::RMSprop(std::vector<Tensor> params, const RMSpropOptions& options)
    : RMSprop(detail::single_group<RMSpropOptions>(std::move(params)), options) {}
RMSprop::RMSprop(std::vector<ParamGroup<RMSpropOptions>> groups, const RMSpropOptions& defaults)
    : OptimizerWith(std::move(groups), defaults) {}

void RMSprop::step() {
  check_grads();
  NoGradGuard no_grad;
  size_t i = 0;
  for (size_t g = 0; g < groups_.size(); ++g)
    for (Tensor& p : groups_[g]) {
      detail::ParamState& s = state_[i++];
      if (!p.impl().grad) continue;
      rmsprop_update(p, Tensor(p.impl().grad), s, options_[g]);
    }
}

}  // namespace strata::optim
