// SGD, following torch/optim/sgd.py's _single_tensor_sgd (PyTorch 1.13) operation for operation.
#include "strata/optim/sgd.h"

#include <cmath>

#include "optim/optimizer_with.h"
#include "strata/ops.h"

namespace strata::optim {
namespace detail {

template <>
struct OptimizerTraits<SGDOptions> {
  static constexpr std::string_view name = "SGD";
  static constexpr bool counts_steps = false;
  static constexpr std::array<std::string_view, 3> buffers = {"momentum_buffer", "", ""};

  template <typename O, typename F>
  static void fields(O& o, F&& f) {
    f("lr", o.lr);
    f("momentum", o.momentum);
    f("dampening", o.dampening);
    f("weight_decay", o.weight_decay);
    f("nesterov", o.nesterov);
    f("maximize", o.maximize);
  }

  static void validate(const SGDOptions& o, const std::string& which) {
    require(o.lr >= 0, name, "invalid learning rate {} in {}; lr must be >= 0", o.lr, which);
    require(o.momentum >= 0, name, "invalid momentum value {} in {}; momentum must be >= 0 (0 for none)",
            o.momentum, which);
    require(o.weight_decay >= 0, name, "invalid weight_decay value {} in {}; weight_decay must be >= 0",
            o.weight_decay, which);
    require(std::isfinite(o.dampening), name, "invalid dampening value {} in {}; it must be a finite number",
            o.dampening, which);
    require(!o.nesterov || (o.momentum > 0 && o.dampening == 0), name,
            "Nesterov momentum requires a momentum and zero dampening ({}: nesterov = true, momentum {}, "
            "dampening {}); set .momentum > 0 (e.g. 0.9) and .dampening = 0, or .nesterov = false",
            which, o.momentum, o.dampening);
  }

  // The momentum buffer starts as a copy of the first gradient, so a parameter without one is simply
  // one that has not been stepped: nothing is required.
  static std::array<bool, 3> needed(const SGDOptions&) { return {false, false, false}; }
};

template class OptimizerWith<SGDOptions>;

}  // namespace detail

namespace {

void sgd_update(Tensor& param, const Tensor& grad, Tensor& buf, const SGDOptions& o) {
  // Plain SGD is one in-place op; (-lr) * (-g) == lr * g exactly, so maximize needs no negated copy.
  if (o.momentum == 0 && o.weight_decay == 0) {
    param.add_(grad, o.maximize ? o.lr : -o.lr);
    return;
  }
  Tensor d_p = o.maximize ? -grad : grad;
  if (o.weight_decay != 0) d_p = d_p.add(param, o.weight_decay);
  if (o.momentum != 0) {
    if (!buf.defined()) {
      // A temporary d_p can become the buffer; the gradient itself must be copied.
      buf = d_p.impl_ptr() == grad.impl_ptr() ? grad.clone() : d_p;
    } else {
      detail::prepare_buffer(buf, param);
      buf.mul_(o.momentum).add_(d_p, 1 - o.dampening);
    }
    d_p = o.nesterov ? d_p.add(buf, o.momentum) : buf;
  }
  param.add_(d_p, -o.lr);
}

}  // namespace

SGD::SGD(std::vector<Tensor> params, const SGDOptions& options)
    : SGD(detail::single_group<SGDOptions>(std::move(params)), options) {}
SGD::SGD(std::vector<ParamGroup<SGDOptions>> groups, const SGDOptions& defaults)
    : OptimizerWith(std::move(groups), defaults) {}

void SGD::step() {
  check_grads();
  NoGradGuard no_grad;
  size_t i = 0;
  for (size_t g = 0; g < groups_.size(); ++g)
    for (Tensor& p : groups_[g]) {
      detail::ParamState& s = state_[i++];
      if (!p.impl().grad) continue;
      sgd_update(p, Tensor(p.impl().grad), s.buffers[0], options_[g]);
    }
}

}  // namespace strata::optim
