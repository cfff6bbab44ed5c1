// What every learning-rate scheduler shares: attaching to the optimizer (initial_lr), PyTorch's
// step() and step(epoch), and saving / loading the fields each scheduler lists.
#include "strata/optim/lr_scheduler.h"

#include <algorithm>

#include "strata/error.h"
#include "strata/factories.h"
#include "strata/ops.h"

namespace strata::optim {
namespace {

using detail::SchedulerFields;

class Saver final : public SchedulerFields {
 public:
  explicit Saver(nn::StateDict& out) : out_(out) {}
  void field(const std::string& name, int64_t& v) override {
    out_.insert(prefix + name, full({}, v, {.dtype = kInt64}));
  }
  void field(const std::string& name, double& v) override {
    out_.insert(prefix + name, full({}, v, {.dtype = kFloat64}));
  }
  void field(const std::string& name, bool& v) override {
    out_.insert(prefix + name, full({}, v, {.dtype = kBool}));
  }
  void field(const std::string& name, std::vector<int64_t>& v) override {
    out_.insert(prefix + name, from_vector(v, {static_cast<int64_t>(v.size())}, {.dtype = kInt64}));
  }
  void per_group(const std::string& name, std::vector<double>& v) override {
    out_.insert(prefix + name, from_vector(v, {static_cast<int64_t>(v.size())}, {.dtype = kFloat64}));
  }

 private:
  nn::StateDict& out_;
};

// Finds every entry that is missing or does not fit, without changing anything.
class Checker final : public SchedulerFields {
 public:
  Checker(const nn::StateDict& in, size_t groups) : in_(in), groups_(groups) {}
  void field(const std::string& name, int64_t&) override { check(name, kInt64, -1); }
  void field(const std::string& name, double&) override { check(name, kFloat64, -1); }
  void field(const std::string& name, bool&) override { check(name, kBool, -1); }
  void field(const std::string& name, std::vector<int64_t>&) override { check(name, kInt64, -2); }
  void per_group(const std::string& name, std::vector<double>&) override {
    check(name, kFloat64, static_cast<int64_t>(groups_));
  }
  std::vector<std::string> problems;

 private:
  // length: -1 for a 0-d tensor, -2 for a 1-d tensor of any length, else a 1-d tensor of that length.
  void check(const std::string& name, DType dtype, int64_t length) {
    const std::string key = prefix + name;
    if (!in_.contains(key)) {
      problems.push_back(fmt::format("\"{}\" is missing", key));
      return;
    }
    const Tensor& t = in_.at(key);
    const bool shape_ok = length == -1 ? t.dim() == 0 : t.dim() == 1 && (length == -2 || t.size(0) == length);
    if (t.dtype() != dtype || !shape_ok) {
      const std::string want = length == -1 ? "a 0-d tensor"
                               : length == -2
                                   ? "a 1-d tensor"
                                   : fmt::format("a 1-d tensor of {} values (one per group)", length);
      problems.push_back(
          fmt::format("\"{}\" is {}, expected {} of {}", key, t.describe(), want, dtype_name(dtype)));
    }
  }
  const nn::StateDict& in_;
  size_t groups_;
};

class Loader final : public SchedulerFields {
 public:
  explicit Loader(const nn::StateDict& in) : in_(in) {}
  void field(const std::string& name, int64_t& v) override { v = at(name).item<int64_t>(); }
  void field(const std::string& name, double& v) override { v = at(name).item<double>(); }
  void field(const std::string& name, bool& v) override { v = at(name).item<bool>(); }
  void field(const std::string& name, std::vector<int64_t>& v) override { v = at(name).to_vector<int64_t>(); }
  void per_group(const std::string& name, std::vector<double>& v) override {
    v = at(name).to_vector<double>();
  }

 private:
  const Tensor& at(const std::string& name) { return in_.at(prefix + name); }
  const nn::StateDict& in_;
};

}  // namespace

LRScheduler::~LRScheduler() = default;

LRScheduler::LRScheduler(std::string name, Optimizer& optimizer)
    : name_(std::move(name)), optimizer_(&optimizer) {
  // PyTorch's group.setdefault('initial_lr', group['lr']): the first scheduler decides.
  const size_t groups = optimizer.num_param_groups();
  base_lrs_.reserve(groups);
  for (size_t g = 0; g < groups; ++g) {
    if (!optimizer.initial_lr(g)) optimizer.set_initial_lr(g, optimizer.lr(g));
    base_lrs_.push_back(*optimizer.initial_lr(g));
  }
}

void LRScheduler::initial_step() {
  step_count_ = 0;
  step();
}

void LRScheduler::step() {
  ++step_count_;
  ++last_epoch_;
  std::vector<double> lrs;
  try {
    lrs = compute_lr();
  } catch (...) {  // e.g. OneCycleLR past its last step: leave the scheduler as it was
    --step_count_;
    --last_epoch_;
    throw;
  }
  apply(lrs);
}

void LRScheduler::step_to(int64_t epoch) {
  ++step_count_;
  last_epoch_ = epoch;
  apply(closed_form_lr());
}

void LRScheduler::apply(const std::vector<double>& lrs) {
  for (size_t g = 0; g < lrs.size(); ++g) optimizer_->set_lr(g, lrs[g]);
  last_lr_ = lrs;
}

std::vector<double> LRScheduler::current_lrs() const {
  std::vector<double> lrs(base_lrs_.size());
  for (size_t g = 0; g < lrs.size(); ++g) lrs[g] = optimizer_->lr(g);
  return lrs;
}

void LRScheduler::visit_fields(SchedulerFields& fields) {
  fields.per_group("base_lrs", base_lrs_);
  fields.field("last_epoch", last_epoch_);
  fields.field("_step_count", step_count_);
  fields.per_group("_last_lr", last_lr_);
}

nn::StateDict LRScheduler::state_dict() const {
  nn::StateDict out;
  Saver saver(out);
  // Saving only reads the fields; visit_fields takes them by reference to serve loading as well.
  const_cast<LRScheduler*>(this)->visit_fields(saver);
  return out;
}

void LRScheduler::load_state_dict(const nn::StateDict& state) {
  Checker checker(state, base_lrs_.size());
  visit_fields(checker);
  if (!checker.problems.empty()) {
    std::string list;
    for (const std::string& p : checker.problems) list += "\n  " + p;
    fail(
        "[{}] load_state_dict: the state does not fit this scheduler ({} parameter group{}); nothing was "
        "loaded:{}",
        name_, base_lrs_.size(), base_lrs_.size() == 1 ? "" : "s", list);
  }
  const nn::StateDict backup = state_dict();
  Loader loader(state);
  visit_fields(loader);
  try {
    validate();
  } catch (const Error& e) {
    Loader restore(backup);
    visit_fields(restore);
    fail("[{}] load_state_dict: nothing was loaded, the saved settings are invalid: {}", name_, e.what());
  }
}

}  // namespace strata::optim
