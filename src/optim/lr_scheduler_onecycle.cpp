// OneCycleLR: PyTorch 1.13's phases and annealing formulas, with its momentum cycling applied to
// SGD's and RMSprop's momentum or Adam's and AdamW's beta1.
#include <algorithm>
#include <cmath>

#include "strata/error.h"
#include "strata/optim/adam.h"
#include "strata/optim/lr_scheduler.h"
#include "strata/optim/rmsprop.h"
#include "strata/optim/sgd.h"

namespace strata::optim {
namespace {

// The per-group values a phase anneals between (PyTorch names them by group key).
enum Rate { kInitialLr, kMaxLr, kMinLr, kMaxMomentum, kBaseMomentum };

template <typename Options>
detail::OptimizerWith<Options>* as(Optimizer& optimizer) {
  return dynamic_cast<detail::OptimizerWith<Options>*>(&optimizer);
}

// Whether the optimizer's momentum is Adam's beta1 (true) or a momentum option (false); nullopt for
// an optimizer with neither.
std::optional<bool> momentum_kind(Optimizer& optimizer) {
  if (as<AdamOptions>(optimizer) || as<AdamWOptions>(optimizer)) return true;
  if (as<SGDOptions>(optimizer) || as<RMSpropOptions>(optimizer)) return false;
  return std::nullopt;
}

template <typename Options>
bool set_momentum_of(Optimizer& optimizer, size_t group, double momentum) {
  auto* o = as<Options>(optimizer);
  if (!o) return false;
  Options options = o->options(group);
  if constexpr (requires { options.betas; })
    options.betas[0] = momentum;
  else
    options.momentum = momentum;
  o->set_options(group, options);
  return true;
}

double anneal(AnnealStrategy strategy, double start, double end, double pct) {
  if (strategy == AnnealStrategy::Cos) {
    const double cos_out = std::cos(M_PI * pct) + 1;
    return end + (start - end) / 2.0 * cos_out;
  }
  return (end - start) * pct + start;
}

std::vector<double> per_group(std::vector<double> values, size_t groups, const char* what) {
  if (values.size() != groups)
    fail("[OneCycleLR] expected {} values for {} (one per parameter group), got {}", groups, what,
         values.size());
  return values;
}

}  // namespace

OneCycleLR::OneCycleLR(Optimizer& optimizer, double max_lr, const OneCycleLROptions& options)
    : OneCycleLR(optimizer, std::vector<double>(optimizer.num_param_groups(), max_lr), options) {}

OneCycleLR::OneCycleLR(Optimizer& optimizer, std::vector<double> max_lrs, const OneCycleLROptions& o)
    : LRScheduler("OneCycleLR", optimizer),
      pct_start_(o.pct_start),
      anneal_strategy_(o.anneal_strategy),
      cycle_momentum_(o.cycle_momentum),
      three_phase_(o.three_phase) {
  const size_t groups = base_lrs_.size();
  if (o.total_steps != 0) {
    if (o.total_steps < 0)
      fail("[OneCycleLR] Expected positive integer total_steps, but got {}", o.total_steps);
    total_steps_ = o.total_steps;
  } else if (o.epochs == 0 && o.steps_per_epoch == 0) {
    fail("[OneCycleLR] You must define either total_steps OR (epochs AND steps_per_epoch)");
  } else {
    if (o.epochs <= 0) fail("[OneCycleLR] Expected positive integer epochs, but got {}", o.epochs);
    if (o.steps_per_epoch <= 0)
      fail("[OneCycleLR] Expected positive integer steps_per_epoch, but got {}", o.steps_per_epoch);
    total_steps_ = o.epochs * o.steps_per_epoch;
  }
  if (!(o.div_factor > 0.0) || !(o.final_div_factor > 0.0))
    fail("[OneCycleLR] div_factor and final_div_factor must be > 0, got {} and {}", o.div_factor,
         o.final_div_factor);
  max_lrs_ = per_group(std::move(max_lrs), groups, "max_lr");
  for (size_t g = 0; g < groups; ++g) {
    if (!(max_lrs_[g] >= 0.0) || !std::isfinite(max_lrs_[g]))
      fail("[OneCycleLR] max_lr must be finite and >= 0, got {} for group {}", max_lrs_[g], g);
    // PyTorch overwrites the group's initial_lr, which later schedulers then start from.
    base_lrs_[g] = max_lrs_[g] / o.div_factor;
    optimizer.set_initial_lr(g, base_lrs_[g]);
    min_lrs_.push_back(base_lrs_[g] / o.final_div_factor);
  }
  max_momentums_.assign(groups, o.max_momentum);
  base_momentums_.assign(groups, o.base_momentum);
  validate();
  if (cycle_momentum_) {
    const std::optional<bool> beta1 = momentum_kind(optimizer);
    if (!beta1)
      fail(
          "[OneCycleLR] optimizer {} must support momentum with `cycle_momentum` option enabled (SGD, "
          "RMSprop, "
          "Adam or AdamW), or pass .cycle_momentum = false",
          optimizer.name());
    use_beta1_ = *beta1;
    for (size_t g = 0; g < groups; ++g) set_momentum(g, max_momentums_[g]);
  }
  initial_step();
}

void OneCycleLR::validate() const {
  if (total_steps_ <= 0) fail("[OneCycleLR] Expected positive integer total_steps, but got {}", total_steps_);
  if (!(pct_start_ >= 0.0 && pct_start_ <= 1.0))
    fail("[OneCycleLR] Expected float between 0 and 1 pct_start, but got {}", pct_start_);
  if (cycle_momentum_)
    for (size_t g = 0; g < max_momentums_.size(); ++g)
      if (!(base_momentums_[g] >= 0.0 && base_momentums_[g] < 1.0 && max_momentums_[g] >= 0.0 &&
            max_momentums_[g] < 1.0))
        fail("[OneCycleLR] base_momentum and max_momentum must be in [0, 1), got {} and {} for group {}",
             base_momentums_[g], max_momentums_[g], g);
}

std::vector<OneCycleLR::Phase> OneCycleLR::phases() const {
  const double total = static_cast<double>(total_steps_);
  if (three_phase_)
    return {{pct_start_ * total - 1, kInitialLr, kMaxLr, kMaxMomentum, kBaseMomentum},
            {2 * pct_start_ * total - 2, kMaxLr, kInitialLr, kBaseMomentum, kMaxMomentum},
            {total - 1, kInitialLr, kMinLr, kMaxMomentum, kMaxMomentum}};
  return {{pct_start_ * total - 1, kInitialLr, kMaxLr, kMaxMomentum, kBaseMomentum},
          {total - 1, kMaxLr, kMinLr, kBaseMomentum, kMaxMomentum}};
}

std::vector<double> OneCycleLR::compute_lr() {
  const int64_t step = last_epoch_;
  if (step > total_steps_)
    fail(
        "[OneCycleLR] Tried to step {} times. The specified number of total steps is {}; make total_steps "
        "(or "
        "epochs * steps_per_epoch) cover every step() call",
        step + 1, total_steps_);
  const std::vector<Phase> phases = this->phases();
  std::vector<double> lrs(base_lrs_.size()), momentums(base_lrs_.size());
  for (size_t g = 0; g < lrs.size(); ++g) {
    const double rates[] = {base_lrs_[g], max_lrs_[g], min_lrs_[g], max_momentums_[g], base_momentums_[g]};
    double start_step = 0;
    for (size_t i = 0; i < phases.size(); ++i) {
      const Phase& p = phases[i];
      if (static_cast<double>(step) <= p.end_step || i + 1 == phases.size()) {
        // PyTorch raises ZeroDivisionError here; say which setting makes a phase empty.
        if (p.end_step == start_step)
          fail(
              "[OneCycleLR] phase {} of the cycle has no steps (pct_start={}, total_steps={}); choose "
              "pct_start so that every phase spans at least one step",
              i + 1, pct_start_, total_steps_);
        const double pct = (static_cast<double>(step) - start_step) / (p.end_step - start_step);
        // Step total_steps (the last one PyTorch allows) extrapolates past the end of the cycle, where a
        // linear anneal can cross 0. PyTorch sets that negative rate; optimizers here refuse one, so
        // it stops at 0 (the rate is never used: no training step follows the last scheduler step).
        lrs[g] = std::max(0.0, anneal(anneal_strategy_, rates[p.start_lr], rates[p.end_lr], pct));
        momentums[g] = anneal(anneal_strategy_, rates[p.start_momentum], rates[p.end_momentum], pct);
        break;
      }
      start_step = p.end_step;
    }
  }
  if (cycle_momentum_)
    for (size_t g = 0; g < lrs.size(); ++g) set_momentum(g, momentums[g]);
  return lrs;
}

void OneCycleLR::set_momentum(size_t group, double momentum) {
  Optimizer& o = *optimizer_;
  if (!(set_momentum_of<SGDOptions>(o, group, momentum) || set_momentum_of<AdamOptions>(o, group, momentum) ||
        set_momentum_of<AdamWOptions>(o, group, momentum) ||
        set_momentum_of<RMSpropOptions>(o, group, momentum)))
    fail("[OneCycleLR] optimizer {} has no momentum to cycle", o.name());
}

void OneCycleLR::visit_fields(detail::SchedulerFields& f) {
  LRScheduler::visit_fields(f);
  f.field("total_steps", total_steps_);
  f.field("pct_start", pct_start_);
  int64_t strategy = anneal_strategy_ == AnnealStrategy::Linear ? 1 : 0;
  f.field("anneal_strategy", strategy);  // 0: cos, 1: linear
  const AnnealStrategy loaded = strategy == 1 ? AnnealStrategy::Linear : AnnealStrategy::Cos;
  if (loaded != anneal_strategy_) anneal_strategy_ = loaded;  // saving writes nothing
  f.field("three_phase", three_phase_);
  f.field("cycle_momentum", cycle_momentum_);
  f.field("use_beta1", use_beta1_);
  f.per_group("max_lr", max_lrs_);
  f.per_group("min_lr", min_lrs_);
  f.per_group("max_momentum", max_momentums_);
  f.per_group("base_momentum", base_momentums_);
}

}  // namespace strata::optim
