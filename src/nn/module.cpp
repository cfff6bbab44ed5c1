// nn::Module's life cycle and traversals: parameters, buffers, children and modules by dotted
// name, all derived from the STRATA_MODULE lists each time (nothing cached but names).
#include <algorithm>
#include <unordered_set>

#include "nn/module_internal.h"

namespace strata::nn {
namespace {

using detail::ignore;
using detail::visit;

std::string join_name(const std::string& prefix, std::string_view name) {
  return prefix.empty() ? std::string(name) : fmt::format("{}.{}", prefix, name);
}

Module& mut(const Module& m) { return const_cast<Module&>(m); }

// Calls f(prefix, module) for `m` and every descendant, pre-order. Without `Named` the prefixes
// stay empty: parameters() runs every step (zero_grad) and should not build strings.
template <bool Named, typename F>
void walk_modules(Module& m, const std::string& prefix, F& f) {
  f(prefix, m);
  visit(
      m,
      [&](std::string_view name, Module& child) {
        if constexpr (Named)
          walk_modules<Named>(child, join_name(prefix, name), f);
        else
          walk_modules<Named>(child, prefix, f);
      },
      ignore, ignore);
}

template <bool Named = true, typename F>
void for_each_module(const Module& m, bool recurse, F f) {
  Module& root = mut(m);
  detail::ensure_bound(root);
  if (recurse)
    walk_modules<Named>(root, std::string(), f);
  else
    f(std::string(), root);
}

// Remembers which tensors were taken: a scan while few (no allocation per entry), a hash set
// once a model has many.
class SeenTensors {
 public:
  bool insert(const Tensor& t) {
    const auto* impl = t.impl_ptr().get();
    if (set_.empty()) {
      if (std::find(few_.begin(), few_.end(), impl) != few_.end()) return false;
      few_.push_back(impl);
      if (few_.size() > 64) set_.insert(few_.begin(), few_.end());
      return true;
    }
    return set_.insert(impl).second;
  }

 private:
  std::vector<const strata::detail::TensorImpl*> few_;
  std::unordered_set<const strata::detail::TensorImpl*> set_;
};

// Tensors of one kind, each distinct tensor once (the first name wins, like PyTorch).
template <typename Kind, bool Named>
std::vector<std::pair<std::string, Tensor>> named_tensors(const Module& m, bool recurse) {
  std::vector<std::pair<std::string, Tensor>> out;
  SeenTensors seen;
  auto take = [&](const std::string& prefix, std::string_view name, const Tensor& t) {
    if (!t.defined() || !seen.insert(t)) return;
    if constexpr (Named)
      out.emplace_back(join_name(prefix, name), t);
    else
      out.emplace_back(std::string(), t);
  };
  auto per_module = [&](const std::string& prefix, Module& module) {
    if constexpr (std::is_same_v<Kind, Parameter>)
      visit(
          module, ignore, [&](std::string_view name, Parameter& p) { take(prefix, name, p); }, ignore);
    else
      visit(module, ignore, ignore, [&](std::string_view name, Buffer& b) { take(prefix, name, b); });
  };
  for_each_module<Named>(m, recurse, per_module);
  return out;
}

std::vector<Tensor> values(std::vector<std::pair<std::string, Tensor>> named) {
  std::vector<Tensor> out;
  out.reserve(named.size());
  for (auto& [name, t] : named) out.push_back(std::move(t));
  return out;
}

}  // namespace

Module::Module() { detail::register_object(this, detail::ObjectKind::Module); }

Module::~Module() { detail::unregister_object(this); }

Module::Module(Module&& other) noexcept : training_(other.training_), hooks_(std::move(other.hooks_)) {
  detail::register_object(this, detail::ObjectKind::Module);
  detail::structure_changed();
}

Module& Module::operator=(Module&& other) noexcept {
  training_ = other.training_;
  hooks_ = std::move(other.hooks_);
  bound_epoch_ = 0;
  detail::structure_changed();
  return *this;
}

namespace {
[[noreturn]] void fail_implicit_copy(const Module& m) {
  fail(
      "[{}] modules are not copied implicitly: a copy would share every parameter with the original. Use "
      "model.clone() for an independent deep copy, or std::move(model) to transfer it",
      m.type_name());
}
}  // namespace

Module::Module(const Module& other) : training_(other.training_) {
  if (!detail::copy_permitted()) fail_implicit_copy(other);
  if (other.hooks_) hooks_ = std::make_shared<detail::Hooks>(*other.hooks_);
  detail::register_object(this, detail::ObjectKind::Module);
}

Module& Module::operator=(const Module& other) {
  if (!detail::copy_permitted()) fail_implicit_copy(other);
  training_ = other.training_;
  hooks_ = other.hooks_ ? std::make_shared<detail::Hooks>(*other.hooks_) : nullptr;
  bound_epoch_ = 0;
  detail::structure_changed();
  return *this;
}

const std::string& Module::path() const {
  detail::ensure_bound(mut(*this));
  return path_;
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters(bool recurse) const {
  return named_tensors<Parameter, true>(*this, recurse);
}
std::vector<Tensor> Module::parameters(bool recurse) const {
  return values(named_tensors<Parameter, false>(*this, recurse));
}
std::vector<std::pair<std::string, Tensor>> Module::named_buffers(bool recurse) const {
  return named_tensors<Buffer, true>(*this, recurse);
}
std::vector<Tensor> Module::buffers(bool recurse) const {
  return values(named_tensors<Buffer, false>(*this, recurse));
}

std::vector<std::pair<std::string, Module*>> Module::named_children() const {
  detail::ensure_bound(mut(*this));
  std::vector<std::pair<std::string, Module*>> out;
  visit(
      mut(*this), [&](std::string_view name, Module& child) { out.emplace_back(std::string(name), &child); },
      ignore, ignore);
  return out;
}

std::vector<Module*> Module::children() const {
  std::vector<Module*> out;
  for (auto& [name, child] : named_children()) out.push_back(child);
  return out;
}

std::vector<std::pair<std::string, Module*>> Module::named_modules() const {
  std::vector<std::pair<std::string, Module*>> out;
  auto collect = [&](const std::string& prefix, Module& m) { out.emplace_back(prefix, &m); };
  for_each_module(*this, true, collect);
  return out;
}

std::vector<Module*> Module::modules() const {
  std::vector<Module*> out;
  for (auto& [name, m] : named_modules()) out.push_back(m);
  return out;
}

int64_t Module::num_parameters(bool trainable_only) const {
  int64_t n = 0;
  for (const Tensor& p : parameters())
    if (!trainable_only || p.requires_grad()) n += p.numel();
  return n;
}

Module& Module::train(bool on) {
  for (Module* m : modules()) m->training_ = on;
  return *this;
}

Module& Module::apply(const std::function<void(Module&)>& fn) {
  visit(
      *this, [&](std::string_view, Module& child) { child.apply(fn); }, ignore, ignore);
  fn(*this);
  return *this;
}

void Module::zero_grad(bool set_to_none) {
  NoGradGuard no_grad;
  for (const Tensor& p : parameters()) {
    auto& grad = p.impl().grad;
    if (!grad) continue;
    if (set_to_none)
      grad.reset();
    else
      Tensor(grad).detach().zero_();
  }
}

Module& Module::requires_grad_(bool requires_grad) {
  for (Tensor p : parameters()) p.requires_grad_(requires_grad);
  return *this;
}

Device Module::device() const {
  std::optional<std::pair<std::string, Device>> first;
  auto check = [&](const std::vector<std::pair<std::string, Tensor>>& named) {
    for (const auto& [name, t] : named) {
      if (!first) {
        first.emplace(name, t.device());
      } else if (!(t.device() == first->second)) {
        fail(
            "[{}] has tensors on more than one device: {}.{} is on {}, but {}.{} is on {}. Move the whole "
            "model with model.to(device)",
            path(), path(), first->first, first->second.str(), path(), name, t.device().str());
      }
    }
  };
  check(named_parameters());
  check(named_buffers());
  return first ? first->second : Device::cpu();
}

StateDict Module::state_dict() const {
  StateDict out;
  auto per_module = [&](const std::string& prefix, Module& m) {
    visit(
        m, ignore,
        [&](std::string_view name, Parameter& p) {
          if (p.defined()) out.insert(join_name(prefix, name), p.detach());
        },
        [&](std::string_view name, Buffer& b) {
          if (b.defined() && b.persistent()) out.insert(join_name(prefix, name), b.detach());
        });
  };
  for_each_module(*this, true, per_module);
  return out;
}

std::string LoadResult::str() const {
  if (ok()) return "all keys matched";
  std::string s;
  auto line = [&](const std::string& text) {
    if (!s.empty()) s += '\n';
    s += text;
  };
  for (const auto& k : missing_keys)
    line(fmt::format("missing key: {} (the model has it, the state does not)", k));
  for (const auto& k : unexpected_keys)
    line(fmt::format("unexpected key: {} (the state has it, the model does not)", k));
  for (const auto& m : mismatched_keys)
    line(fmt::format("shape mismatch for {}: the model has {}, the state has {}", m.key, m.expected.str(),
                     m.given.str()));
  return s;
}

LoadResult Module::load_state_dict(const StateDict& state, bool strict) {
  const StateDict own = state_dict();
  LoadResult result;
  std::vector<std::pair<Tensor, Tensor>> copies;  // (destination, source)
  for (const auto& [key, dst] : own) {
    if (!state.contains(key)) {
      result.missing_keys.push_back(key);
      continue;
    }
    const Tensor& src = state.at(key);
    if (!src.defined() || !(src.shape() == dst.shape()))
      result.mismatched_keys.push_back({key, dst.shape(), src.defined() ? src.shape() : Shape{}});
    else
      copies.emplace_back(dst, src);
  }
  for (const auto& [key, t] : state)
    if (!own.contains(key)) result.unexpected_keys.push_back(key);
  if (strict && !result.ok())
    fail(
        "[{}] load_state_dict(strict = true) changed nothing because the state does not fit:\n{}\nPass "
        "strict = false to load the tensors that fit and get this report back",
        path(), result.str());
  NoGradGuard no_grad;
  for (auto& [dst, src] : copies) Tensor(dst).copy_(src);
  return result;
}

}  // namespace strata::nn
