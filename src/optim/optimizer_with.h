#pragma once
// The definitions of detail::OptimizerWith<Options>: each optimizer's .cpp specialises
// OptimizerTraits<Options> and then instantiates the template once (`template class ...`).
//
// OptimizerTraits<Options> provides:
//   static constexpr std::string_view name;                    "SGD"
//   static constexpr bool counts_steps;                        keeps "state.<i>.step"
//   static constexpr std::array<std::string_view, 3> buffers;  the names of ParamState::buffers ("" unused)
//   template <typename O, typename F> static void fields(O& options, F&& f);
//       calls f("lr", options.lr) ... for every option (double, bool or std::array<double, 2>)
//   static void validate(const Options&, const std::string& which);   throws "[Name] ..." when invalid
//   static std::array<bool, 3> needed(const Options&);  buffers a parameter with state must have
#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "strata/autograd.h"
#include "strata/error.h"
#include "strata/factories.h"
#include "strata/optim/optimizer.h"

namespace strata::optim::detail {

template <typename Options>
struct OptimizerTraits;

/// Throws "[optimizer] invalid <what> ..." unless `ok`.
template <typename... Args>
void require(bool ok, std::string_view optimizer, fmt::format_string<Args...> format, Args&&... args) {
  if (!ok) fail("[{}] {}", optimizer, fmt::format(format, std::forward<Args>(args)...));
}

/// Parses "<number>.<rest>" (after a prefix); nullopt when the number is missing.
std::optional<std::pair<size_t, std::string_view>> split_index(std::string_view key);
/// One option as a tensor: float64 0-d, bool 0-d, or float64 [2].
Tensor option_tensor(double value);
Tensor option_tensor(bool value);
Tensor option_tensor(const std::array<double, 2>& value);
/// Reads an option back; returns a problem description (empty when it fit).
std::string read_option(const Tensor& t, double& value);
std::string read_option(const Tensor& t, bool& value);
std::string read_option(const Tensor& t, std::array<double, 2>& value);
/// A buffer for parameter `param`: a copy converted to its dtype and device.
Tensor copy_like(const Tensor& buffer, const Tensor& param);
/// Throws the load error listing `problems`.
[[noreturn]] void fail_load(std::string_view optimizer, const std::vector<std::string>& problems);

template <typename Options>
std::vector<std::vector<Tensor>> take_params(std::vector<ParamGroup<Options>>& groups) {
  std::vector<std::vector<Tensor>> out;
  out.reserve(groups.size());
  for (auto& g : groups) out.push_back(std::move(g.params));
  return out;
}

/// Makes `buffer` a state buffer for `param`: zeros when it does not exist yet, converted when the
/// parameter has since moved to another dtype or device (Module::to() changes parameters in place).
inline void prepare_buffer(Tensor& buffer, const Tensor& param) {
  if (!buffer.defined())
    buffer = zeros_like(param);
  else if (buffer.dtype() != param.dtype() || buffer.device() != param.device())
    buffer = buffer.to(param.dtype()).to(param.device());
}

/// All parameters in one group with the default options.
template <typename Options>
std::vector<ParamGroup<Options>> single_group(std::vector<Tensor> params) {
  std::vector<ParamGroup<Options>> groups(1);
  groups[0].params = std::move(params);
  return groups;
}

template <typename Options>
OptimizerWith<Options>::OptimizerWith(std::vector<ParamGroup<Options>> groups, const Options& defaults)
    : Optimizer(std::string(OptimizerTraits<Options>::name), take_params(groups)), defaults_(defaults) {
  using Traits = OptimizerTraits<Options>;
  Traits::validate(defaults_, "the default options");
  options_.reserve(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) {
    if (groups[g].options) Traits::validate(*groups[g].options, fmt::format("the options of group {}", g));
    options_.push_back(groups[g].options.value_or(defaults_));
  }
  state_.resize(num_params());
}

template <typename Options>
double OptimizerWith<Options>::lr(size_t group) const {
  check_group(group, "lr");
  return options_[group].lr;
}

template <typename Options>
void OptimizerWith<Options>::set_lr(size_t group, double lr) {
  check_group(group, "set_lr");
  Options changed = options_[group];
  changed.lr = lr;
  OptimizerTraits<Options>::validate(changed, fmt::format("set_lr for group {}", group));
  options_[group] = changed;
}

template <typename Options>
const Options& OptimizerWith<Options>::options(size_t group) const {
  check_group(group, "options");
  return options_[group];
}

template <typename Options>
void OptimizerWith<Options>::set_options(size_t group, const Options& options) {
  check_group(group, "set_options");
  OptimizerTraits<Options>::validate(options, fmt::format("set_options for group {}", group));
  options_[group] = options;
}

template <typename Options>
void OptimizerWith<Options>::add_param_group(ParamGroup<Options> group) {
  const Options options = group.options.value_or(defaults_);
  OptimizerTraits<Options>::validate(options, fmt::format("the options of group {}", groups_.size()));
  const size_t added = group.params.size();
  add_group(std::move(group.params));
  options_.push_back(options);
  state_.resize(state_.size() + added);
}

template <typename Options>
void OptimizerWith<Options>::save(nn::StateDict& out) const {
  using Traits = OptimizerTraits<Options>;
  NoGradGuard no_grad;
  for (size_t i = 0; i < state_.size(); ++i) {
    const ParamState& s = state_[i];
    if (Traits::counts_steps && s.step > 0)
      out.insert(fmt::format("state.{}.step", i), full({}, s.step, {.dtype = kInt64}));
    for (size_t b = 0; b < s.buffers.size(); ++b)
      if (s.buffers[b].defined())
        out.insert(fmt::format("state.{}.{}", i, Traits::buffers[b]), s.buffers[b].detach().clone());
  }
  int64_t first = 0;
  for (size_t g = 0; g < groups_.size(); ++g) {
    const auto n = static_cast<int64_t>(groups_[g].size());
    out.insert(fmt::format("param_groups.{}.params", g), arange(first, first + n, 1, {.dtype = kInt64}));
    first += n;
    Options o = options_[g];
    Traits::fields(o, [&](std::string_view name, const auto& value) {
      out.insert(fmt::format("param_groups.{}.{}", g, name), option_tensor(value));
    });
  }
}

template <typename Options>
void OptimizerWith<Options>::load(const nn::StateDict& in) {
  using Traits = OptimizerTraits<Options>;
  NoGradGuard no_grad;
  std::vector<std::string> problems;
  const size_t num_groups = groups_.size();
  std::vector<const Tensor*> flat;  // parameter i
  std::vector<size_t> group_of;
  for (size_t g = 0; g < num_groups; ++g)
    for (const Tensor& p : groups_[g]) {
      flat.push_back(&p);
      group_of.push_back(g);
    }
  auto describe_param = [&](size_t i) {
    return fmt::format("parameter {} ({}, in group {})", i, flat[i]->describe(), group_of[i]);
  };

  std::vector<ParamState> state(flat.size());
  std::vector<std::array<bool, 3>> refused(flat.size());  // present but unusable: reported once
  std::vector<bool> bad_step(flat.size(), false);
  std::vector<Options> options = options_;
  std::vector<std::vector<std::string>> seen_fields(num_groups);
  std::vector<bool> seen_params(num_groups, false);
  size_t extra_groups = 0;
  for (const auto& [key, t] : in) {
    std::string_view k = key;
    if (k.starts_with("state.")) {
      auto parsed = split_index(k.substr(6));
      if (!parsed) {
        problems.push_back(fmt::format("unexpected key \"{}\"", key));
        continue;
      }
      const auto [i, name] = *parsed;
      if (i >= flat.size()) {
        problems.push_back(fmt::format("\"{}\" is for parameter {}, but this optimizer has {} parameters",
                                       key, i, flat.size()));
        continue;
      }
      if (name == "step" && Traits::counts_steps) {
        double v = 0;
        std::string why =
            t.defined() && t.numel() == 1 && t.dtype() != kBool ? std::string() : "not a number";
        if (why.empty()) v = t.template item<double>();
        // The range check comes first: converting a double beyond int64 is undefined.
        if (why.empty() && !(v >= 0 && v < 0x1p62 && v == static_cast<double>(static_cast<int64_t>(v))))
          why = fmt::format("{} is not a whole number >= 0", v);
        if (!why.empty()) {
          bad_step[i] = true;
          problems.push_back(fmt::format("\"{}\" must be a step count: {}", key, why));
        } else {
          state[i].step = static_cast<int64_t>(v);
        }
        continue;
      }
      const auto* b = std::find(Traits::buffers.begin(), Traits::buffers.end(), name);
      if (name.empty() || b == Traits::buffers.end()) {
        problems.push_back(fmt::format("unexpected key \"{}\" ({} keeps no \"{}\")", key, name_, name));
        continue;
      }
      const auto slot = static_cast<size_t>(b - Traits::buffers.begin());
      if (!t.defined() || !t.is_floating_point() || !(t.shape() == flat[i]->shape())) {
        refused[i][slot] = true;
        problems.push_back(fmt::format("\"{}\" is {}, but {} needs a floating-point {}", key,
                                       t.defined() ? t.describe() : "undefined", describe_param(i),
                                       flat[i]->shape().str()));
        continue;
      }
      state[i].buffers[slot] = copy_like(t, *flat[i]);
    } else if (k.starts_with("param_groups.")) {
      auto parsed = split_index(k.substr(13));
      if (!parsed) {
        problems.push_back(fmt::format("unexpected key \"{}\"", key));
        continue;
      }
      const auto [g, name] = *parsed;
      if (g >= num_groups) {
        extra_groups = std::max(extra_groups, g + 1 - num_groups);
        continue;
      }
      if (name == "params") {
        seen_params[g] = true;
        const auto n = static_cast<int64_t>(groups_[g].size());
        if (!t.defined() || t.dim() != 1 || t.size(0) != n)
          problems.push_back(fmt::format("\"{}\" lists {} parameters, but group {} of this optimizer has {}",
                                         key, t.defined() && t.dim() == 1 ? t.size(0) : -1, g, n));
        continue;
      }
      bool known = false;
      Traits::fields(options[g], [&](std::string_view field, auto& value) {
        if (field != name) return;
        known = true;
        seen_fields[g].emplace_back(field);
        if (std::string why = t.defined() ? read_option(t, value) : "undefined"; !why.empty())
          problems.push_back(fmt::format("\"{}\" {}", key, why));
      });
      if (!known)
        problems.push_back(fmt::format("unexpected key \"{}\" ({} has no option \"{}\")", key, name_, name));
    } else {
      problems.push_back(fmt::format("unexpected key \"{}\"", key));
    }
  }
  if (extra_groups > 0)
    problems.push_back(fmt::format("the state dict has {} parameter groups, this optimizer has {}",
                                   num_groups + extra_groups, num_groups));

  const size_t before = problems.size();
  for (size_t g = 0; g < num_groups; ++g) {
    if (!seen_params[g]) problems.push_back(fmt::format("\"param_groups.{}.params\" is missing", g));
    Traits::fields(options[g], [&](std::string_view field, auto&) {
      if (std::find(seen_fields[g].begin(), seen_fields[g].end(), field) == seen_fields[g].end())
        problems.push_back(fmt::format("\"param_groups.{}.{}\" is missing", g, field));
    });
  }
  // Only options read whole are worth validating (a missing one would be reported twice).
  if (problems.size() == before)
    for (size_t g = 0; g < num_groups; ++g) {
      try {
        Traits::validate(options[g], fmt::format("param_groups.{}", g));
      } catch (const Error& e) {
        std::string_view what = e.what();
        problems.emplace_back(what.substr(std::min(what.size(), name_.size() + 3)));  // drop "[Name] "
      }
    }
  for (size_t i = 0; i < state.size(); ++i) {
    const ParamState& s = state[i];
    bool has_buffers = false;
    for (size_t b = 0; b < s.buffers.size(); ++b)
      has_buffers = has_buffers || s.buffers[b].defined() || refused[i][b];
    if (bad_step[i]) continue;
    if (Traits::counts_steps && s.step == 0) {
      if (has_buffers)
        problems.push_back(fmt::format("\"state.{}\" has buffers but no step count above 0", i));
      continue;
    }
    if (!Traits::counts_steps && !has_buffers) continue;
    const auto needed = Traits::needed(options[group_of[i]]);
    for (size_t b = 0; b < needed.size(); ++b)
      if (needed[b] && !s.buffers[b].defined() && !refused[i][b])
        problems.push_back(
            fmt::format("\"state.{}.{}\" is missing (the state of {} with these options needs it)", i,
                        Traits::buffers[b], describe_param(i)));
  }
  if (!problems.empty()) fail_load(name_, problems);
  options_ = std::move(options);
  state_ = std::move(state);
}

}  // namespace strata::optim::detail
