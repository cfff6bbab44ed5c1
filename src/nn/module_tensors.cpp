// Operations that touch every tensor a module owns in place: moving them to a device or dtype,
// and giving a fresh copy of a tree its own storage (clone()).
#include <unordered_map>

#include "nn/module_internal.h"

namespace strata::nn {
namespace {

using detail::ignore;
using detail::visit;

// Every distinct parameter and buffer handle in the tree, as the members themselves (so that
// clone() can repoint them).
void collect_members(Module& m, std::vector<Tensor*>& out) {
  visit(
      m, [&](std::string_view, Module& child) { collect_members(child, out); },
      [&](std::string_view, Parameter& p) { out.push_back(&p); },
      [&](std::string_view, Buffer& b) { out.push_back(&b); });
}

// Points `t`'s TensorImpl at `data`'s memory and layout: everyone holding `t` (an optimizer, say)
// sees the move, which a new handle would not give them.
void set_data(const Tensor& t, const Tensor& data) {
  strata::detail::TensorImpl& impl = t.impl();
  const strata::detail::TensorImpl& src = data.impl();
  impl.storage = src.storage;
  impl.dtype = src.dtype;
  impl.set_shape(src.sizes, src.strides, src.offset);
}

template <typename Convert>
void convert_all(Module& m, Convert convert) {
  detail::ensure_bound(m);
  std::vector<Tensor*> members;
  collect_members(m, members);
  NoGradGuard no_grad;
  std::unordered_map<const strata::detail::TensorImpl*, bool> done;
  for (Tensor* t : members) {
    if (!t->defined() || !done.emplace(t->impl_ptr().get(), true).second) continue;
    Tensor converted = convert(t->detach());
    if (converted.impl_ptr() != t->impl_ptr()) set_data(*t, converted);
    if (auto& grad = t->impl().grad) {
      Tensor g = convert(Tensor(grad));
      grad = g.impl_ptr();
    }
  }
}

}  // namespace

Module& Module::to(Device device) {
  convert_all(*this, [&](const Tensor& t) { return t.device() == device ? t : t.to(device); });
  return *this;
}

Module& Module::to(DType dtype) {
  if (!is_floating_point(dtype))
    fail(
        "[{}] to({}): modules convert only to floating dtypes (their integer buffers keep their type); got "
        "{}",
        path(), dtype_name(dtype), dtype_name(dtype));
  convert_all(*this,
              [&](const Tensor& t) { return t.is_floating_point() && t.dtype() != dtype ? t.to(dtype) : t; });
  return *this;
}

namespace detail {
void deep_copy_tensors(Module& copy) {
  std::vector<Tensor*> members;
  collect_members(copy, members);
  NoGradGuard no_grad;
  std::unordered_map<const strata::detail::TensorImpl*, Tensor> fresh;  // original impl -> its copy
  for (Tensor* t : members) {
    if (!t->defined()) continue;
    auto [it, inserted] = fresh.try_emplace(t->impl_ptr().get());
    if (inserted) {
      Tensor c = t->detach().clone();
      if (t->requires_grad()) c.requires_grad_(true);
      if (t->grad().defined()) c.set_grad(t->grad().clone());
      it->second = c;
    }
    *t = it->second;
  }
}
}  // namespace detail

}  // namespace strata::nn
