#pragma once
// Helpers every op shares: argument checks, broadcasting, type promotion, output allocation and
// recording the op for autograd.
#include <initializer_list>
#include <string_view>

#include "autograd/op_node.h"
#include "backend/cpu/allocator.h"
#include "backend/kernels.h"
#include "strata/autograd.h"
#include "strata/tensor.h"

namespace strata::ops {

/// A new contiguous tensor (uninitialised).
Tensor empty_tensor(const Shape& shape, DType dtype, Device device);
/// A blank TensorImpl. Its memory (and that of a storage or an autograd node) comes from pooled
/// host blocks: every op makes a few of these, of a handful of sizes.
std::shared_ptr<detail::TensorImpl> new_impl();
/// A view sharing `t`'s storage with other sizes/strides/offset; no autograd link.
Tensor alias(const Tensor& t, const Shape& sizes, const Shape& strides, int64_t offset);
[[noreturn]] void throw_dim_out_of_range(std::string_view op, int64_t dim, int64_t ndim);
/// `dim` in [-ndim, ndim) -> [0, ndim); an error naming `op` otherwise. (Inline: every op and
/// every size(-1) calls it.)
inline int64_t wrap_dim(std::string_view op, int64_t dim, int64_t ndim) {
  const int64_t n = ndim > 1 ? ndim : 1;  // a 0-d tensor accepts dim 0 and -1, as PyTorch
  if (dim < -n || dim >= n) [[unlikely]]
    throw_dim_out_of_range(op, dim, ndim);
  return dim < 0 ? dim + n : dim;
}
/// Broadcast shape of two shapes, or an error naming `op` and both operands.
Shape broadcast_shapes(std::string_view op, const Tensor& a, const Tensor& b);
Shape broadcast_shapes(std::string_view op, const Shape& a, const Shape& b);
/// PyTorch's result_type for two operands (0-d tensors and wrapped numbers promote weakly).
DType result_type(const Tensor& a, const Tensor& b);
[[noreturn]] void throw_device_mismatch(std::string_view op, std::initializer_list<const Tensor*> tensors);
[[noreturn]] void throw_undefined(std::string_view op, std::initializer_list<const Tensor*> tensors);
/// Throws "[op] expected all tensors on one device ..." naming each tensor when devices differ.
inline void check_same_device(std::string_view op, std::initializer_list<const Tensor*> tensors) {
  const Tensor* first = nullptr;
  for (const Tensor* t : tensors) {
    if (!t->defined()) continue;
    if (!first)
      first = t;
    else if (!(t->device() == first->device())) [[unlikely]]
      throw_device_mismatch(op, tensors);
  }
}
/// Throws unless every tensor is defined.
inline void check_defined(std::string_view op, std::initializer_list<const Tensor*> tensors) {
  for (const Tensor* t : tensors)
    if (!t->defined()) [[unlikely]]
      throw_undefined(op, tensors);
}
/// `t` converted to `dtype` (no copy when it already is).
Tensor cast(const Tensor& t, DType dtype);
/// Comma-separated describe() of each operand, for error messages.
std::string describe_all(std::initializer_list<const Tensor*> tensors);

/// True when grad mode is on and some input requires grad.
inline bool needs_grad(std::initializer_list<const Tensor*> inputs) {
  if (!is_grad_enabled()) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

/// Links `outputs` to a new node running `fn` with `saved`, whose edges lead to `inputs`' grad
/// sinks. Returns the node's saved struct (to add saved outputs once they are linked).
template <typename Saved>
Saved& record(std::string_view name, autograd::BackwardFn<Saved> fn, Saved saved,
              std::initializer_list<const Tensor*> inputs, std::initializer_list<Tensor*> outputs) {
  auto node = std::allocate_shared<autograd::OpNode<Saved>>(
      backend::cpu::SmallAllocator<autograd::OpNode<Saved>>(), name, fn, std::move(saved));
  node->next_edges.reserve(inputs.size());
  for (const Tensor* t : inputs)
    node->next_edges.push_back(t->defined() ? autograd::gradient_edge(*t) : autograd::Edge{});
  node->num_outputs = static_cast<uint32_t>(outputs.size());
  if (autograd::is_anomaly_enabled()) node->scope = autograd::current_scope();
  uint32_t nr = 0;
  for (Tensor* out : outputs) {
    auto& impl = out->impl();
    impl.grad_fn = node;
    impl.output_nr = nr++;
    impl.requires_grad = true;
  }
  return node->saved();
}

/// Like record(), for a list of inputs/outputs.
template <typename Saved>
Saved& record_list(std::string_view name, autograd::BackwardFn<Saved> fn, Saved saved,
                   const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  auto node = std::allocate_shared<autograd::OpNode<Saved>>(
      backend::cpu::SmallAllocator<autograd::OpNode<Saved>>(), name, fn, std::move(saved));
  for (const Tensor& t : inputs) node->next_edges.push_back(autograd::gradient_edge(t));
  node->num_outputs = static_cast<uint32_t>(outputs.size());
  if (autograd::is_anomaly_enabled()) node->scope = autograd::current_scope();
  uint32_t nr = 0;
  for (Tensor& out : outputs) {
    auto& impl = out.impl();
    impl.grad_fn = node;
    impl.output_nr = nr++;
    impl.requires_grad = true;
  }
  return node->saved();
}

/// Refuses in-place writes autograd cannot track: into a leaf that requires grad (outside
/// NoGradGuard), or into a view when the result would need a gradient.
void check_inplace(std::string_view op, const Tensor& self, std::initializer_list<const Tensor*> others);
/// Marks an in-place write: saved copies of `t` become stale.
inline void bump_version(const Tensor& t) { ++t.impl().storage->version; }

/// Runs an in-place op `self = fn(self, ...)` with autograd: computes the out-of-place result from
/// a differentiable copy of self, writes it into self and moves the history over.
template <typename Fn>
Tensor& inplace_via_outofplace(std::string_view op, Tensor& self, std::initializer_list<const Tensor*> others,
                               Fn fn) {
  check_inplace(op, self, others);
  bool grad = is_grad_enabled() && self.requires_grad();
  for (const Tensor* t : others) grad = grad || needs_grad({t});
  if (!grad) {
    Tensor result = fn(self);
    if (result.dtype() != self.dtype() || !(result.shape() == self.shape()))
      fail("[{}] the result {} cannot be written in place into {}; use the out-of-place op", op,
           result.describe(), self.describe());
    {
      NoGradGuard no_grad;
      backend::kernels(self.device(), "copy").copy(self, result);
    }
    bump_version(self);
    return self;
  }
  Tensor result = fn(self.clone());
  if (result.dtype() != self.dtype() || !(result.shape() == self.shape()))
    fail("[{}] the result {} cannot be written in place into {}; use the out-of-place op", op,
         result.describe(), self.describe());
  backend::kernels(self.device(), "copy").copy(self, result);
  bump_version(self);
  auto& impl = self.impl();
  impl.grad_fn = result.impl().grad_fn;
  impl.output_nr = result.impl().output_nr;
  impl.requires_grad = result.requires_grad();
  return self;
}

}  // namespace strata::ops
