// Forward pre-hooks and forward hooks. They live in a block the module shares with the handles
// weakly, so a handle never dangles and removing a hook after the module is gone does nothing.
#include <algorithm>

#include "nn/module_internal.h"

namespace strata::nn {

namespace {
template <typename List>
void erase_id(List& list, uint64_t id) {
  list.erase(std::remove_if(list.begin(), list.end(), [&](const auto& entry) { return entry.first == id; }),
             list.end());
}
}  // namespace

void HookHandle::remove() {
  if (auto hooks = hooks_.lock()) {
    erase_id(hooks->pre, id_);
    erase_id(hooks->post, id_);
  }
  hooks_.reset();
}

HookHandle Module::register_forward_pre_hook(ForwardPreHook hook) {
  if (!hooks_) hooks_ = std::make_shared<detail::Hooks>();
  const uint64_t id = hooks_->next_id++;
  hooks_->pre.emplace_back(id, std::move(hook));
  return HookHandle(hooks_, id);
}

HookHandle Module::register_forward_hook(ForwardHook hook) {
  if (!hooks_) hooks_ = std::make_shared<detail::Hooks>();
  const uint64_t id = hooks_->next_id++;
  hooks_->post.emplace_back(id, std::move(hook));
  return HookHandle(hooks_, id);
}

void Module::run_forward_pre_hooks(std::span<const Tensor> inputs) {
  if (!hooks_) return;
  auto hooks = hooks_;  // a hook may remove itself
  for (auto [id, hook] : hooks->pre) hook(*this, inputs);
}

void Module::run_forward_hooks(std::span<const Tensor> inputs, const Tensor& output) {
  if (!hooks_) return;
  auto hooks = hooks_;
  for (auto [id, hook] : hooks->post) hook(*this, inputs, output);
}

}  // namespace strata::nn
