// What every optimizer shares: checking its parameters, zero_grad, and the state_dict entry points.
#include "strata/optim/optimizer.h"

#include <unordered_map>

#include "strata/autograd.h"
#include "strata/error.h"

namespace strata::optim {
namespace {

std::string where(size_t group, size_t index) {
  return fmt::format("parameter {} of group {}", index, group);
}

}  // namespace

Optimizer::~Optimizer() = default;

Optimizer::Optimizer(std::string name, std::vector<std::vector<Tensor>> groups) : name_(std::move(name)) {
  size_t total = 0;
  for (const auto& g : groups) total += g.size();
  if (total == 0)
    fail(
        "[{}] was given no parameters ({} group{}, all empty); an optimizer needs the tensors it should "
        "update. If they come from model.parameters(), did the model list its members in "
        "STRATA_MODULE(...)?",
        name_, groups.size(), groups.size() == 1 ? "" : "s");
  groups_.reserve(groups.size());
  for (auto& g : groups) add_group(std::move(g));
}

void Optimizer::add_group(std::vector<Tensor> params) {
  const size_t group = groups_.size();
  // PyTorch warns about a tensor repeated within a group and refuses one shared between groups;
  // either way the tensor would be stepped twice per step(), so both are errors here.
  std::unordered_map<const strata::detail::TensorImpl*, std::pair<size_t, size_t>> seen;
  for (size_t g = 0; g < groups_.size(); ++g)
    for (size_t j = 0; j < groups_[g].size(); ++j)
      seen.emplace(groups_[g][j].impl_ptr().get(), std::pair{g, j});
  for (size_t j = 0; j < params.size(); ++j) {
    const Tensor& p = params[j];
    if (!p.defined())
      fail("[{}] {} is an undefined Tensor; pass the tensors to optimize (model.parameters())", name_,
           where(group, j));
    if (!p.is_floating_point())
      fail(
          "[{}] {} ({}) is not floating-point; only floating-point tensors have gradients to optimize. "
          "Convert it first, e.g. .to(strata::kFloat32)",
          name_, where(group, j), p.describe());
    if (!p.is_leaf())
      fail(
          "[{}] can't optimize a non-leaf tensor: {} ({}) was computed by {}. Optimize the leaf it was "
          "computed from, or make a leaf of it with .detach().requires_grad_()",
          name_, where(group, j), p.describe(), p.grad_fn_name());
    auto [it, inserted] = seen.emplace(p.impl_ptr().get(), std::pair{group, j});
    if (!inserted) {
      const auto [g0, j0] = it->second;
      if (g0 == group)
        fail("[{}] {} ({}) is the same tensor as parameter {} of that group; list each parameter once", name_,
             where(group, j), p.describe(), j0);
      fail(
          "[{}] some parameters appear in more than one parameter group: {} ({}) is also {}; give each "
          "parameter exactly one group",
          name_, where(group, j), p.describe(), where(g0, j0));
    }
  }
  groups_.push_back(std::move(params));
}

const std::vector<Tensor>& Optimizer::params(size_t group) const {
  check_group(group, "params");
  return groups_[group];
}

size_t Optimizer::num_params() const {
  size_t n = 0;
  for (const auto& g : groups_) n += g.size();
  return n;
}

void Optimizer::check_group(size_t group, std::string_view what) const {
  if (group >= groups_.size())
    fail("[{}] {}: there is no parameter group {}; this optimizer has {} (0 to {})", name_, what, group,
         groups_.size(), groups_.size() - 1);
}

void Optimizer::check_grads() const {
  for (size_t g = 0; g < groups_.size(); ++g)
    for (size_t j = 0; j < groups_[g].size(); ++j) {
      const Tensor& p = groups_[g][j];
      const auto& grad = p.impl().grad;
      if (!grad) continue;
      const Tensor gt(grad);
      if (!(gt.shape() == p.shape()) || gt.dtype() != p.dtype() || gt.device() != p.device())
        fail(
            "[{}] the gradient of {} ({}) is {}; a gradient must have its parameter's shape, dtype and "
            "device. Set it with set_grad() to a tensor like the parameter, or clear it with zero_grad()",
            name_, where(g, j), p.describe(), gt.describe());
    }
}

void Optimizer::zero_grad(bool set_to_none) {
  NoGradGuard no_grad;
  for (auto& group : groups_)
    for (Tensor& p : group) {
      auto& impl = p.impl();
      if (!impl.grad) continue;
      if (set_to_none) {
        impl.grad = nullptr;
        continue;
      }
      // As PyTorch: a gradient built with create_graph keeps no history once zeroed.
      Tensor grad(impl.grad);
      if (grad.grad_fn())
        grad.detach_();
      else
        grad.requires_grad_(false);
      grad.zero_();
    }
}

std::optional<double> Optimizer::initial_lr(size_t group) const {
  check_group(group, "initial_lr");
  return group < initial_lrs_.size() ? initial_lrs_[group] : std::nullopt;
}

void Optimizer::set_initial_lr(size_t group, double lr) {
  check_group(group, "set_initial_lr");
  if (!(lr >= 0.0)) fail("[{}] set_initial_lr: group {}'s initial_lr must be >= 0, got {}", name_, group, lr);
  if (initial_lrs_.size() < groups_.size()) initial_lrs_.resize(groups_.size());
  initial_lrs_[group] = lr;
}

nn::StateDict Optimizer::state_dict() const {
  nn::StateDict out;
  save(out);
  return out;
}

void Optimizer::load_state_dict(const nn::StateDict& state) { load(state); }

}  // namespace strata::optim
