#pragma once
/// \file optimizer.h
/// `optim::Optimizer`: the base of SGD, Adam, AdamW and RMSprop. An optimizer holds handles to the
/// parameters it updates (a model updates its parameters in place and never replaces them, so the
/// handles stay right for the model's life), their options in parameter groups, and per-parameter
/// state (momentum buffers, running averages, step counts).
///
///     strata::optim::AdamW opt(model.parameters(), {.lr = 1e-3, .weight_decay = 0.01});
///     for (auto& [x, y] : loader) {
///       opt.zero_grad();
///       loss_fn(model(x), y).backward();
///       opt.step();
///     }
///
/// Parameter groups give parts of a model their own options; a group without options uses the
/// optimizer's defaults (the second argument):
///
///     optim::SGD opt({{.params = backbone.parameters(), .options = optim::SGDOptions{.lr = 0.01}},
///                     {.params = head.parameters()}},
///                    {.lr = 0.1, .momentum = 0.9});
///
/// Each optimizer follows PyTorch 1.13's single-tensor (for-loop) algorithm operation for operation,
/// so float64 runs match PyTorch's to rounding.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "strata/nn/state_dict.h"
#include "strata/tensor.h"

namespace strata::optim {

/// Parameters that share options: `{.params = fc1.parameters(), .options = SGDOptions{.lr = 0.1}}`.
/// Without options the group uses the optimizer's defaults. A group's options are whole: a field
/// they do not name takes the options struct's default, not the optimizer's (PyTorch fills a
/// group's missing keys from the optimizer's defaults; a C++ struct cannot tell "not given" from
/// "given as the default").
template <typename Options>
struct ParamGroup {
  std::vector<Tensor> params;
  std::optional<Options> options = std::nullopt;
};

class Optimizer {
 public:
  virtual ~Optimizer();
  // A copy would share the state buffers (tensor handles) with the original, so that both would
  // update the same momentum; moving is safe.
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;
  Optimizer(Optimizer&&) noexcept = default;
  Optimizer& operator=(Optimizer&&) noexcept = default;

  /// One update of every parameter that has a gradient; parameters whose grad() is undefined are
  /// skipped (and their state is left alone). Runs without recording autograd history.
  virtual void step() = 0;

  /// Clears the parameters' gradients: by default sets them to undefined (PyTorch 2's default, which
  /// also makes step() skip parameters that then get no gradient); with `set_to_none = false` fills
  /// them with zeros in place.
  void zero_grad(bool set_to_none = true);

  /// The optimizer's state as named tensors, copies taken now:
  /// - "state.<i>.<name>" for parameter i (numbered through the groups in order): "step" (int64,
  ///   0-d, for optimizers that count steps) and buffers such as "exp_avg"; a parameter that has
  ///   not been stepped yet has no entries;
  /// - "param_groups.<g>.params" (int64 indices of the group's parameters) and
  ///   "param_groups.<g>.<option>" for each option (float64 or bool, 0-d; Adam's "betas" is [2]).
  nn::StateDict state_dict() const;
  /// Restores what state_dict() saved, onto this optimizer's parameters (matched by position, as
  /// PyTorch does), including each group's options. Checks that the groups, parameter counts and
  /// buffer shapes fit and that every option is valid; when anything does not fit it throws an
  /// error listing every problem and changes nothing. Buffers are copied, converted to each
  /// parameter's dtype and device.
  void load_state_dict(const nn::StateDict& state);

  size_t num_param_groups() const { return groups_.size(); }
  /// The parameters of `group`, as given.
  const std::vector<Tensor>& params(size_t group) const;
  /// How many parameters there are in all groups together.
  size_t num_params() const;
  /// The learning rate of `group`, for learning-rate schedulers.
  virtual double lr(size_t group) const = 0;
  /// Sets the learning rate of `group` (must be >= 0).
  virtual void set_lr(size_t group, double lr) = 0;
  /// PyTorch's param_group["initial_lr"]: the learning rate `group` had when the first learning-rate
  /// scheduler was attached, which every scheduler attached later starts from too (so that chained
  /// schedulers and SequentialLR see the original rate). nullopt until a scheduler sets it.
  std::optional<double> initial_lr(size_t group) const;
  /// Sets `group`'s initial_lr (schedulers do; OneCycleLR sets max_lr / div_factor).
  void set_initial_lr(size_t group, double lr);
  /// "SGD", "Adam", ...: begins every error message, in brackets.
  const std::string& name() const { return name_; }

 protected:
  /// Checks the parameters (at least one; defined, floating-point leaves; none twice).
  Optimizer(std::string name, std::vector<std::vector<Tensor>> groups);

  /// Throws unless `group` names a group; `what` is the calling method.
  void check_group(size_t group, std::string_view what) const;
  /// Adds a group after checking its parameters against all others.
  void add_group(std::vector<Tensor> params);
  /// Checks every gradient against its parameter before step() changes anything.
  void check_grads() const;

  virtual void save(nn::StateDict& out) const = 0;
  virtual void load(const nn::StateDict& in) = 0;

  std::string name_;
  std::vector<std::vector<Tensor>> groups_;

 private:
  std::vector<std::optional<double>> initial_lrs_;  // by group; shorter when groups were added later
};

namespace detail {

/// What an optimizer keeps for one parameter: how many steps it took, and up to three buffers whose
/// meaning each optimizer names (undefined until first needed).
struct ParamState {
  int64_t step = 0;
  std::array<Tensor, 3> buffers;
};

/// The part of every optimizer that depends only on its options type: the options of each group,
/// the per-parameter state and their (de)serialisation. Defined in src/optim/optimizer_with.h and
/// instantiated once per options type.
template <typename Options>
class OptimizerWith : public Optimizer {
 public:
  double lr(size_t group) const override;
  void set_lr(size_t group, double lr) override;
  /// The options of `group` (for schedulers that change more than the learning rate).
  const Options& options(size_t group) const;
  /// Replaces the options of `group`, after checking them.
  void set_options(size_t group, const Options& options);
  /// What groups without options of their own use.
  const Options& defaults() const { return defaults_; }
  /// Adds parameters (none of which this optimizer has yet) as a new group, e.g. when a frozen
  /// part of a model is unfrozen; without options the group uses the defaults.
  void add_param_group(ParamGroup<Options> group);

 protected:
  OptimizerWith(std::vector<ParamGroup<Options>> groups, const Options& defaults);

  void save(nn::StateDict& out) const override;
  void load(const nn::StateDict& in) override;

  Options defaults_;
  std::vector<Options> options_;   // one per group
  std::vector<ParamState> state_;  // one per parameter, group after group
};

}  // namespace detail
}  // namespace strata::optim
