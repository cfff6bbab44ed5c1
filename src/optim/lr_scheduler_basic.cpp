// StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR and LinearLR: PyTorch 1.13's get_lr()
// (recursive, from the current rate) and _get_closed_form_lr(), written with the same operations in
// the same order so that every rate rounds as PyTorch's does.
#include <algorithm>
#include <cmath>

#include "strata/error.h"
#include "strata/optim/lr_scheduler.h"

namespace strata::optim {
namespace {

template <typename F>
std::vector<double> map_lrs(const std::vector<double>& lrs, F&& f) {
  std::vector<double> out(lrs.size());
  for (size_t g = 0; g < lrs.size(); ++g) out[g] = f(lrs[g]);
  return out;
}

// Python's a % m for m > 0: never negative.
int64_t py_mod(int64_t a, int64_t m) { return ((a % m) + m) % m; }

}  // namespace

// ---- StepLR ----

StepLR::StepLR(Optimizer& optimizer, int64_t step_size, double gamma)
    : LRScheduler("StepLR", optimizer), step_size_(step_size), gamma_(gamma) {
  validate();
  initial_step();
}
void StepLR::validate() const {
  if (step_size_ < 1) fail("[StepLR] step_size must be >= 1 (epochs between decays), got {}", step_size_);
  if (!(gamma_ >= 0.0) || !std::isfinite(gamma_))
    fail("[StepLR] gamma must be finite and >= 0, got {}", gamma_);
}
std::vector<double> StepLR::compute_lr() {
  const std::vector<double> lrs = current_lrs();
  if (last_epoch_ == 0 || last_epoch_ % step_size_ != 0) return lrs;
  return map_lrs(lrs, [&](double lr) { return lr * gamma_; });
}
std::vector<double> StepLR::closed_form_lr() {
  const double factor = std::pow(gamma_, static_cast<double>(last_epoch_ / step_size_));
  return map_lrs(base_lrs_, [&](double base) { return base * factor; });
}
void StepLR::visit_fields(detail::SchedulerFields& f) {
  LRScheduler::visit_fields(f);
  f.field("step_size", step_size_);
  f.field("gamma", gamma_);
}

// ---- MultiStepLR ----

MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma)
    : LRScheduler("MultiStepLR", optimizer), milestones_(std::move(milestones)), gamma_(gamma) {
  validate();
  initial_step();
}
void MultiStepLR::validate() const {
  for (size_t i = 0; i < milestones_.size(); ++i) {
    if (milestones_[i] < 0)
      fail("[MultiStepLR] milestones must be >= 0, got {} at index {}", milestones_[i], i);
    if (i > 0 && milestones_[i] <= milestones_[i - 1])
      fail(
          "[MultiStepLR] milestones must be strictly increasing, got {} after {} (index {}); list each epoch "
          "once, in order",
          milestones_[i], milestones_[i - 1], i);
  }
  if (!(gamma_ >= 0.0) || !std::isfinite(gamma_))
    fail("[MultiStepLR] gamma must be finite and >= 0, got {}", gamma_);
}
std::vector<double> MultiStepLR::compute_lr() {
  const std::vector<double> lrs = current_lrs();
  if (!std::binary_search(milestones_.begin(), milestones_.end(), last_epoch_)) return lrs;
  // PyTorch multiplies by gamma ** count; each milestone occurs once here, and x ** 1 == x.
  return map_lrs(lrs, [&](double lr) { return lr * gamma_; });
}
std::vector<double> MultiStepLR::closed_form_lr() {
  const auto passed =
      std::upper_bound(milestones_.begin(), milestones_.end(), last_epoch_) - milestones_.begin();
  const double factor = std::pow(gamma_, static_cast<double>(passed));
  return map_lrs(base_lrs_, [&](double base) { return base * factor; });
}
void MultiStepLR::visit_fields(detail::SchedulerFields& f) {
  LRScheduler::visit_fields(f);
  f.field("milestones", milestones_);
  f.field("gamma", gamma_);
}

// ---- ExponentialLR ----

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma)
    : LRScheduler("ExponentialLR", optimizer), gamma_(gamma) {
  validate();
  initial_step();
}
void ExponentialLR::validate() const {
  if (!(gamma_ >= 0.0) || !std::isfinite(gamma_))
    fail("[ExponentialLR] gamma must be finite and >= 0, got {}", gamma_);
}
std::vector<double> ExponentialLR::compute_lr() {
  const std::vector<double> lrs = current_lrs();
  if (last_epoch_ == 0) return lrs;
  return map_lrs(lrs, [&](double lr) { return lr * gamma_; });
}
std::vector<double> ExponentialLR::closed_form_lr() {
  const double factor = std::pow(gamma_, static_cast<double>(last_epoch_));
  return map_lrs(base_lrs_, [&](double base) { return base * factor; });
}
void ExponentialLR::visit_fields(detail::SchedulerFields& f) {
  LRScheduler::visit_fields(f);
  f.field("gamma", gamma_);
}

// ---- CosineAnnealingLR ----

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min)
    : LRScheduler("CosineAnnealingLR", optimizer), T_max_(T_max), eta_min_(eta_min) {
  validate();
  initial_step();
}
void CosineAnnealingLR::validate() const {
  if (T_max_ < 1) fail("[CosineAnnealingLR] T_max must be >= 1 (epochs per half cycle), got {}", T_max_);
  if (!(eta_min_ >= 0.0) || !std::isfinite(eta_min_))
    fail("[CosineAnnealingLR] eta_min must be finite and >= 0, got {}", eta_min_);
}
std::vector<double> CosineAnnealingLR::compute_lr() {
  const std::vector<double> lrs = current_lrs();
  const double e = static_cast<double>(last_epoch_), t = static_cast<double>(T_max_);
  std::vector<double> out(lrs.size());
  for (size_t g = 0; g < lrs.size(); ++g) {
    const double base = base_lrs_[g], lr = lrs[g];
    if (last_epoch_ == 0)
      out[g] = lr;
    else if (step_count_ == 1 && last_epoch_ > 0)
      out[g] = eta_min_ + (base - eta_min_) * (1 + std::cos(e * M_PI / t)) / 2;
    else if (py_mod(last_epoch_ - 1 - T_max_, 2 * T_max_) == 0)
      out[g] = lr + (base - eta_min_) * (1 - std::cos(M_PI / t)) / 2;
    else
      out[g] = (1 + std::cos(M_PI * e / t)) / (1 + std::cos(M_PI * (e - 1) / t)) * (lr - eta_min_) + eta_min_;
  }
  return out;
}
std::vector<double> CosineAnnealingLR::closed_form_lr() {
  const double e = static_cast<double>(last_epoch_), t = static_cast<double>(T_max_);
  return map_lrs(base_lrs_, [&](double base) {
    return eta_min_ + (base - eta_min_) * (1 + std::cos(M_PI * e / t)) / 2;
  });
}
void CosineAnnealingLR::visit_fields(detail::SchedulerFields& f) {
  LRScheduler::visit_fields(f);
  f.field("T_max", T_max_);
  f.field("eta_min", eta_min_);
}

// ---- LinearLR ----

LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor, int64_t total_iters)
    : LRScheduler("LinearLR", optimizer),
      start_factor_(start_factor),
      end_factor_(end_factor),
      total_iters_(total_iters) {
  validate();
  initial_step();
}
void LinearLR::validate() const {
  // PyTorch 1.13 allows start_factor 0 and then divides by zero at epoch 1.
  if (!(start_factor_ > 0.0 && start_factor_ <= 1.0))
    fail("[LinearLR] start_factor must be in (0, 1], got {}", start_factor_);
  if (!(end_factor_ >= 0.0 && end_factor_ <= 1.0))
    fail("[LinearLR] end_factor must be in [0, 1], got {}", end_factor_);
  if (total_iters_ < 1) fail("[LinearLR] total_iters must be >= 1, got {}", total_iters_);
}
std::vector<double> LinearLR::compute_lr() {
  const std::vector<double> lrs = current_lrs();
  if (last_epoch_ == 0) return map_lrs(lrs, [&](double lr) { return lr * start_factor_; });
  if (last_epoch_ > total_iters_) return lrs;
  const double diff = end_factor_ - start_factor_;
  const double factor = 1. + diff / (static_cast<double>(total_iters_) * start_factor_ +
                                     static_cast<double>(last_epoch_ - 1) * diff);
  return map_lrs(lrs, [&](double lr) { return lr * factor; });
}
std::vector<double> LinearLR::closed_form_lr() {
  const double done = static_cast<double>(std::min(total_iters_, last_epoch_));
  const double factor =
      start_factor_ + (end_factor_ - start_factor_) * done / static_cast<double>(total_iters_);
  return map_lrs(base_lrs_, [&](double base) { return base * factor; });
}
void LinearLR::visit_fields(detail::SchedulerFields& f) {
  LRScheduler::visit_fields(f);
  f.field("start_factor", start_factor_);
  f.field("end_factor", end_factor_);
  f.field("total_iters", total_iters_);
}

}  // namespace strata::optim
