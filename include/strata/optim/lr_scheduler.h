#pragma once
/// \file lr_scheduler.h
/// Learning-rate schedulers, as PyTorch 1.13's `torch.optim.lr_scheduler`: each changes the learning
/// rate of every parameter group of an optimizer, once per step(), by PyTorch's own (recursive)
/// formulas, so that the sequence of rates equals PyTorch's to the last bit.
///
///     optim::SGD opt(model.parameters(), {.lr = 0.1, .momentum = 0.9});
///     optim::CosineAnnealingLR sched(opt, /*T_max=*/100);
///     for (int epoch = 0; epoch < 100; ++epoch) {
///       train_one_epoch(model, opt);   // opt.step() for each batch
///       sched.step();                  // then the scheduler, once per epoch
///     }
///
/// Constructing a scheduler sets the rates for epoch 0 (PyTorch's initial step). The first scheduler
/// attached to an optimizer records each group's rate as the group's initial_lr; every scheduler
/// starts from it (base_lrs()). A scheduler keeps a reference to its optimizer: the optimizer must
/// outlive it and stay where it is (not be moved from).
///
/// state_dict() holds 0-d tensors (int64 counters, float64 settings) and float64 [groups] lists,
/// under PyTorch's names ("last_epoch", "_step_count", "base_lrs", "_last_lr", "step_size", ...).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "strata/nn/state_dict.h"
#include "strata/optim/optimizer.h"

namespace strata::optim {

namespace detail {
/// What a scheduler hands each field it saves to: state_dict() writes them, load_state_dict()
/// checks and then reads them. Names are PyTorch's.
class SchedulerFields {
 public:
  virtual void field(const std::string& name, int64_t& value) = 0;
  virtual void field(const std::string& name, double& value) = 0;
  virtual void field(const std::string& name, bool& value) = 0;
  virtual void field(const std::string& name, std::vector<int64_t>& values) = 0;
  /// A list with one value per parameter group.
  virtual void per_group(const std::string& name, std::vector<double>& values) = 0;
  /// Put before every name (SequentialLR's "_schedulers.0.").
  std::string prefix;

 protected:
  ~SchedulerFields() = default;
};
}  // namespace detail

class LRScheduler {
 public:
  virtual ~LRScheduler();
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  /// Advances one epoch (one batch for OneCycleLR) and sets each group's learning rate.
  virtual void step();
  /// The rates the last step() set, one per parameter group.
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  /// Steps taken since construction; 0 right after it (PyTorch's last_epoch).
  int64_t last_epoch() const { return last_epoch_; }
  /// Each group's initial_lr when this scheduler was attached.
  const std::vector<double>& base_lrs() const { return base_lrs_; }
  Optimizer& optimizer() const { return *optimizer_; }
  /// "StepLR", "OneCycleLR", ...: begins every error message, in brackets.
  const std::string& name() const { return name_; }

  /// Counters, rates and settings (see the file comment); copies taken now.
  nn::StateDict state_dict() const;
  /// Restores what state_dict() saved. An error listing every missing or mistyped entry, or an
  /// invalid setting, changes nothing. The optimizer's rates are the optimizer's state: load them
  /// with its own load_state_dict().
  void load_state_dict(const nn::StateDict& state);

 protected:
  LRScheduler(std::string name, Optimizer& optimizer);

  /// PyTorch's _initial_step(): each concrete scheduler's constructor ends with it.
  void initial_step();
  /// PyTorch's get_lr(): the rates for last_epoch(), from the current ones (the chainable form).
  virtual std::vector<double> compute_lr() = 0;
  /// PyTorch's _get_closed_form_lr() where it has one (SequentialLR uses it to restart a scheduler
  /// at epoch 0); compute_lr() otherwise.
  virtual std::vector<double> closed_form_lr() { return compute_lr(); }
  /// Hands each saved field to `fields`; overrides call the base's first.
  virtual void visit_fields(detail::SchedulerFields& fields);
  /// Throws "[Name] ..." when the settings are invalid; runs at construction and after loading.
  virtual void validate() const {}
  /// The optimizer's current rates, one per group this scheduler knows.
  std::vector<double> current_lrs() const;

  std::string name_;
  Optimizer* optimizer_;
  std::vector<double> base_lrs_;
  int64_t last_epoch_ = -1;
  int64_t step_count_ = 0;
  std::vector<double> last_lr_;

 private:
  friend class SequentialLR;
  /// PyTorch's step(epoch): jumps to `epoch` by the closed form.
  void step_to(int64_t epoch);
  void apply(const std::vector<double>& lrs);
};

/// Multiplies the rate by gamma every step_size epochs.
class StepLR final : public LRScheduler {
 public:
  /// `step_size` >= 1.
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);

 private:
  std::vector<double> compute_lr() override;
  std::vector<double> closed_form_lr() override;
  void visit_fields(detail::SchedulerFields& fields) override;
  void validate() const override;
  int64_t step_size_;
  double gamma_;
};

/// Multiplies the rate by gamma at each milestone epoch.
class MultiStepLR final : public LRScheduler {
 public:
  /// `milestones`: strictly increasing epochs, each >= 0.
  MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma = 0.1);

 private:
  std::vector<double> compute_lr() override;
  std::vector<double> closed_form_lr() override;
  void visit_fields(detail::SchedulerFields& fields) override;
  void validate() const override;
  std::vector<int64_t> milestones_;
  double gamma_;
};

/// Multiplies the rate by gamma every epoch.
class ExponentialLR final : public LRScheduler {
 public:
  /// `gamma` >= 0.
  ExponentialLR(Optimizer& optimizer, double gamma);

 private:
  std::vector<double> compute_lr() override;
  std::vector<double> closed_form_lr() override;
  void visit_fields(detail::SchedulerFields& fields) override;
  void validate() const override;
  double gamma_;
};

/// Anneals from the base rate to eta_min along half a cosine over T_max epochs (and back up over the
/// next T_max, and so on), by PyTorch's recursive formula: eta_min + (base - eta_min) *
/// (1 + cos(pi * epoch / T_max)) / 2 when nothing else changes the rate.
class CosineAnnealingLR final : public LRScheduler {
 public:
  /// `T_max` >= 1, `eta_min` >= 0.
  CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min = 0.0);

 private:
  std::vector<double> compute_lr() override;
  std::vector<double> closed_form_lr() override;
  void visit_fields(detail::SchedulerFields& fields) override;
  void validate() const override;
  int64_t T_max_;
  double eta_min_;
};

/// Scales the rate by a factor going linearly from start_factor to end_factor over total_iters
/// epochs, then keeps it (a warm-up, usually).
class LinearLR final : public LRScheduler {
 public:
  /// 0 < start_factor <= 1, 0 <= end_factor <= 1, total_iters >= 1.
  LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0,
           int64_t total_iters = 5);

 private:
  std::vector<double> compute_lr() override;
  std::vector<double> closed_form_lr() override;
  void visit_fields(detail::SchedulerFields& fields) override;
  void validate() const override;
  double start_factor_, end_factor_;
  int64_t total_iters_;
};

enum class AnnealStrategy { Cos, Linear };

/// OneCycleLR's settings, with PyTorch's defaults.
struct OneCycleLROptions {
  /// Steps in the cycle; when 0, epochs * steps_per_epoch (both then >= 1).
  int64_t total_steps = 0;
  int64_t epochs = 0;
  int64_t steps_per_epoch = 0;
  /// The share of the cycle spent raising the rate, in [0, 1].
  double pct_start = 0.3;
  AnnealStrategy anneal_strategy = AnnealStrategy::Cos;
  /// Cycle the momentum inversely to the rate, between these two: SGD's and RMSprop's momentum,
  /// Adam's and AdamW's beta1.
  bool cycle_momentum = true;
  double base_momentum = 0.85;
  double max_momentum = 0.95;
  /// The initial rate is max_lr / div_factor; the final one initial / final_div_factor.
  double div_factor = 25.0;
  double final_div_factor = 1e4;
  /// A third phase: up to max_lr, back down to the initial rate, then down to the final one.
  bool three_phase = false;
};

/// The 1cycle policy: the rate rises from max_lr / div_factor to max_lr over pct_start of
/// total_steps, then falls to the initial rate / final_div_factor; step() once per batch. Stepping
/// more than total_steps times is an error, as in PyTorch (and changes nothing). The total_steps-th
/// step extrapolates past the cycle's end; where PyTorch's linear anneal then gives a negative rate
/// (which no training step uses), the rate here is 0, since optimizers refuse negative rates.
class OneCycleLR final : public LRScheduler {
 public:
  OneCycleLR(Optimizer& optimizer, double max_lr, const OneCycleLROptions& options = {});
  /// One max_lr per parameter group.
  OneCycleLR(Optimizer& optimizer, std::vector<double> max_lrs, const OneCycleLROptions& options = {});

 private:
  struct Phase {
    double end_step;
    int start_lr, end_lr, start_momentum, end_momentum;  // indices into Rates
  };
  std::vector<double> compute_lr() override;
  void visit_fields(detail::SchedulerFields& fields) override;
  void validate() const override;
  std::vector<Phase> phases() const;
  void set_momentum(size_t group, double momentum);

  int64_t total_steps_ = 0;
  double pct_start_;
  AnnealStrategy anneal_strategy_;
  bool cycle_momentum_, use_beta1_ = false, three_phase_;
  // Per group, as PyTorch keeps them in its param_groups.
  std::vector<double> max_lrs_, min_lrs_, max_momentums_, base_momentums_;
};

/// Runs one scheduler after another: schedulers[i + 1] takes over at epoch milestones[i], restarted
/// at its epoch 0. All must drive `optimizer`.
///
///     auto warmup = std::make_shared<optim::LinearLR>(opt, 0.1, 1.0, 5);
///     auto decay = std::make_shared<optim::ExponentialLR>(opt, 0.95);
///     optim::SequentialLR sched(opt, {warmup, decay}, {5});
class SequentialLR final : public LRScheduler {
 public:
  /// One milestone fewer than schedulers, strictly increasing, each >= 1.
  SequentialLR(Optimizer& optimizer, std::vector<std::shared_ptr<LRScheduler>> schedulers,
               std::vector<int64_t> milestones);
  void step() override;

 private:
  std::vector<double> compute_lr() override;
  void visit_fields(detail::SchedulerFields& fields) override;
  void validate() const override;
  std::vector<std::shared_ptr<LRScheduler>> schedulers_;
  std::vector<int64_t> milestones_;
};

}  // namespace strata::optim
