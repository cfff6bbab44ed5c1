#include "autograd/saved_tensor.h"

#include "backend/cpu/allocator.h"

#include "strata/autograd.h"
#include "strata/error.h"

namespace strata::autograd {

SavedTensor SavedTensor::input(const Tensor& t) {
  SavedTensor s;
  if (!t.defined()) return s;
  s.data_ = t;
  s.version_ = t.version();
  return s;
}

SavedTensor SavedTensor::output(const Tensor& t) {
  SavedTensor s;
  if (!t.defined()) return s;
  auto& impl = t.impl();
  auto alias = std::allocate_shared<detail::TensorImpl>(backend::cpu::SmallAllocator<detail::TensorImpl>());
  alias->storage = impl.storage;
  alias->set_shape(impl.sizes, impl.strides, impl.offset);
  alias->dtype = impl.dtype;
  s.data_ = Tensor(std::move(alias));
  s.grad_fn_ = impl.grad_fn;
  s.output_nr_ = impl.output_nr;
  s.version_ = t.version();
  s.is_output_ = true;
  return s;
}

Tensor SavedTensor::unpack(std::string_view op, const char* what) const {
  if (!data_.defined()) return {};
  if (data_.version() != version_)
    fail(
        "[{}] the tensor '{}' ({}) saved for the gradient was modified in place after it was saved "
        "(it is at version {}, backward needs version {}). Use the out-of-place op (y = x.add(1) instead "
        "of x.add_(1)), or clone() the tensor before changing it",
        op, what, data_.describe(), data_.version(), version_);
  // Only a create_graph backward differentiates through saved tensors; otherwise skip the re-link.
  if (!is_output_ || !is_grad_enabled()) return data_;
  auto node = grad_fn_.lock();
  if (!node) return data_;
  // Re-link the output to its node so that a create_graph backward can differentiate through it.
  auto alias = std::make_shared<detail::TensorImpl>(data_.impl());
  alias->grad_fn = std::move(node);
  alias->output_nr = output_nr_;
  alias->requires_grad = true;
  return Tensor(std::move(alias));
}

}  // namespace strata::autograd
