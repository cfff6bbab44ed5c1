// SequentialLR: PyTorch 1.13's hand-over between schedulers, including its reset of the rates to
// initial_lr and the closed-form restart of each scheduler at its milestone.
#include <algorithm>

#include "strata/error.h"
#include "strata/optim/lr_scheduler.h"

namespace strata::optim {

SequentialLR::SequentialLR(Optimizer& optimizer, std::vector<std::shared_ptr<LRScheduler>> schedulers,
                           std::vector<int64_t> milestones)
    : LRScheduler("SequentialLR", optimizer),
      schedulers_(std::move(schedulers)),
      milestones_(std::move(milestones)) {
  if (schedulers_.empty()) fail("[SequentialLR] was given no schedulers; pass at least one");
  for (size_t i = 0; i < schedulers_.size(); ++i) {
    const LRScheduler* s = schedulers_[i].get();
    if (!s) fail("[SequentialLR] scheduler {} is null", i);
    if (&s->optimizer() != &optimizer)
      fail(
          "[SequentialLR] Sequential Schedulers expects all schedulers to belong to the same optimizer, but "
          "got "
          "scheduler {} ({}) to be different than the optimizer passed in",
          i, s->name());
    if (dynamic_cast<const SequentialLR*>(s))
      fail("[SequentialLR] scheduler {} is itself a SequentialLR; list its schedulers here instead", i);
  }
  validate();
  last_epoch_ = 0;
  // Undo what constructing the schedulers did: back to the initial rates, each scheduler one epoch
  // back, then only the first one takes its initial step.
  for (size_t g = 0; g < base_lrs_.size(); ++g) optimizer.set_lr(g, base_lrs_[g]);
  for (auto& s : schedulers_) --s->last_epoch_;
  schedulers_[0]->initial_step();
  last_lr_ = schedulers_[0]->get_last_lr();
}

void SequentialLR::validate() const {
  if (milestones_.size() + 1 != schedulers_.size())
    fail(
        "[SequentialLR] Sequential Schedulers expects number of schedulers provided to be one more than the "
        "number "
        "of milestone points, but got number of schedulers {} and the number of milestones to be equal to {}",
        schedulers_.size(), milestones_.size());
  for (size_t i = 0; i < milestones_.size(); ++i) {
    if (milestones_[i] < 1)
      fail("[SequentialLR] milestones must be >= 1, got {} at index {}", milestones_[i], i);
    if (i > 0 && milestones_[i] <= milestones_[i - 1])
      fail("[SequentialLR] milestones must be strictly increasing, got {} after {} (index {})",
           milestones_[i], milestones_[i - 1], i);
  }
  for (const auto& s : schedulers_) s->validate();
}

void SequentialLR::step() {
  ++last_epoch_;
  const size_t idx = static_cast<size_t>(
      std::upper_bound(milestones_.begin(), milestones_.end(), last_epoch_) - milestones_.begin());
  LRScheduler& s = *schedulers_[idx];
  try {
    if (idx > 0 && milestones_[idx - 1] == last_epoch_)
      s.step_to(0);
    else
      s.step();
  } catch (...) {
    --last_epoch_;
    throw;
  }
  last_lr_ = s.get_last_lr();
}

// Never called: step() hands each step to one of the schedulers.
std::vector<double> SequentialLR::compute_lr() { return current_lrs(); }

void SequentialLR::visit_fields(detail::SchedulerFields& f) {
  // PyTorch's SequentialLR keeps no base_lrs or step count of its own.
  f.field("_milestones", milestones_);
  f.field("last_epoch", last_epoch_);
  f.per_group("_last_lr", last_lr_);
  const std::string outer = f.prefix;
  for (size_t i = 0; i < schedulers_.size(); ++i) {
    f.prefix = outer + "_schedulers." + std::to_string(i) + ".";
    schedulers_[i]->visit_fields(f);
  }
  f.prefix = outer;
}

}  // namespace strata::optim
