#include "ops/common.h"

#include <array>

namespace strata::ops {

std::shared_ptr<detail::TensorImpl> new_impl() {
  return std::allocate_shared<detail::TensorImpl>(backend::cpu::SmallAllocator<detail::TensorImpl>());
}

Tensor empty_tensor(const Shape& shape, DType dtype, Device device) {
  auto impl = new_impl();
  impl->sizes = shape;
  impl->strides.resize(shape.size());
  int64_t n = 1, running = 1;  // running: the strides contiguous_strides() gives
  for (size_t i = shape.size(); i-- > 0;) {
    if (shape[i] < 0) fail("[empty] negative size in shape {}", shape.str());
    impl->strides[i] = running;
    running *= std::max<int64_t>(shape[i], 1);
    n *= shape[i];
  }
  impl->numel = n;
  impl->contiguous = true;
  impl->storage = std::allocate_shared<detail::Storage>(backend::cpu::SmallAllocator<detail::Storage>(),
                                                        static_cast<size_t>(n) * element_size(dtype), device);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor alias(const Tensor& t, const Shape& sizes, const Shape& strides, int64_t offset) {
  auto impl = new_impl();
  impl->storage = t.impl().storage;
  impl->dtype = t.dtype();
  impl->is_view = true;
  impl->name = t.impl().name;
  impl->set_shape(sizes, strides, offset);
  return Tensor(std::move(impl));
}

void throw_dim_out_of_range(std::string_view op, int64_t dim, int64_t ndim) {
  const int64_t n = std::max<int64_t>(ndim, 1);
  fail("[{}] dim {} is out of range for a tensor with {} dims (expected a dim in [{}, {}])", op, dim, ndim,
       -n, n - 1);
}

Shape broadcast_shapes(std::string_view op, const Shape& a, const Shape& b) {
  const size_t n = std::max(a.size(), b.size());
  Shape out(n, 1);
  for (size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1)
      fail(
          "[{}] shapes {} and {} cannot be broadcast together: dim {} has sizes {} and {} (each must be "
          "equal "
          "or 1)",
          op, a.str(), b.str(), static_cast<int64_t>(i) - static_cast<int64_t>(n), da, db);
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Shape broadcast_shapes(std::string_view op, const Tensor& a, const Tensor& b) {
  if (a.shape() == b.shape()) return a.shape();
  const size_t n = std::max(a.shape().size(), b.shape().size());
  Shape out(n, 1);
  for (size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.shape().size() ? 1 : a.shape()[i - (n - a.shape().size())];
    const int64_t db = i < n - b.shape().size() ? 1 : b.shape()[i - (n - b.shape().size())];
    if (da != db && da != 1 && db != 1)
      fail(
          "[{}] operands cannot be broadcast together: {} and {} differ at dim {} ({} vs {}; each must be "
          "equal "
          "or 1)",
          op, a.describe(), b.describe(), static_cast<int64_t>(i) - static_cast<int64_t>(n), da, db);
    out[i] = da == 1 ? db : da;
  }
  return out;
}

namespace {
int category(DType d) { return d == kBool ? 0 : is_integral(d) ? 1 : 2; }

// A weaker operand changes the result only when it is of a higher category (bool < int < float).
DType combine(DType higher, bool has_higher, DType lower, bool has_lower) {
  if (!has_higher) return lower;
  if (!has_lower) return higher;
  if (category(lower) > category(higher)) return promote_types(higher, lower);
  return higher;
}
}  // namespace

DType result_type(const Tensor& a, const Tensor& b) {
  DType dim_t = kBool, zero_t = kBool, wrapped_t = kBool;
  bool has_dim = false, has_zero = false, has_wrapped = false;
  for (const Tensor* t : {&a, &b}) {
    const auto& impl = t->impl();
    if (impl.wrapped_number) {
      const DType d = is_floating_point(impl.dtype) ? default_dtype() : impl.dtype;
      wrapped_t = has_wrapped ? promote_types(wrapped_t, d) : d;
      has_wrapped = true;
    } else if (impl.sizes.empty()) {
      zero_t = has_zero ? promote_types(zero_t, impl.dtype) : impl.dtype;
      has_zero = true;
    } else {
      dim_t = has_dim ? promote_types(dim_t, impl.dtype) : impl.dtype;
      has_dim = true;
    }
  }
  const DType weak = combine(zero_t, has_zero, wrapped_t, has_wrapped);
  return combine(dim_t, has_dim, weak, has_zero || has_wrapped);
}

void throw_device_mismatch(std::string_view op, std::initializer_list<const Tensor*> tensors) {
  const Tensor* first = nullptr;
  for (const Tensor* t : tensors) {
    if (!t->defined()) continue;
    if (!first) {
      first = t;
    } else if (!(t->device() == first->device())) {
      fail(
          "[{}] expected all tensors on one device, but {} is on {} and {} is on {}. Move them with "
          ".to(device) first",
          op, first->describe(), first->device().str(), t->describe(), t->device().str());
    }
  }
  fail("[{}] expected all tensors on one device", op);
}

void throw_undefined(std::string_view op, std::initializer_list<const Tensor*> tensors) {
  int i = 0;
  for (const Tensor* t : tensors) {
    if (!t->defined()) fail("[{}] operand {} is an undefined tensor (default-constructed Tensor())", op, i);
    ++i;
  }
  fail("[{}] an operand is an undefined tensor", op);
}

Tensor cast(const Tensor& t, DType dtype) {
  if (t.dtype() == dtype) return t;
  if (!t.impl().wrapped_number) return t.to(dtype);
  // A wrapped number (the 2 in `x * 2`) is converted to the other operand's dtype by every op it
  // takes part in, usually the same few numbers every step. Wrapped numbers are never written, so
  // the converted copy of one can be reused for as long as the cache holds the number itself (which
  // also keeps its address from being reused). The copy is marked wrapped too: nobody writes it.
  struct Entry {
    Tensor from;
    DType dtype = kFloat32;
    Tensor to;
  };
  thread_local std::array<Entry, 8> cache;
  thread_local size_t next = 0;
  for (const Entry& e : cache)
    if (e.from.impl_ptr() == t.impl_ptr() && e.dtype == dtype) return e.to;
  Tensor converted = t.to(dtype);
  converted.impl().wrapped_number = true;
  cache[next++ % cache.size()] = {t, dtype, converted};
  return converted;
}

std::string describe_all(std::initializer_list<const Tensor*> tensors) {
  std::string s;
  for (const Tensor* t : tensors) {
    if (!s.empty()) s += ", ";
    s += t->defined() ? t->describe() : "undefined";
  }
  return s;
}

void check_inplace(std::string_view op, const Tensor& self, std::initializer_list<const Tensor*> others) {
  if (!is_grad_enabled()) return;
  const auto& impl = self.impl();
  if (impl.requires_grad && !impl.grad_fn)
    fail(
        "[{}] {} is a leaf tensor that requires grad; changing it in place would make its gradient wrong. "
        "Do the update inside a strata::NoGradGuard (as optimizers do) or use the out-of-place op",
        op, self.describe());
  bool result_requires_grad = impl.requires_grad;
  for (const Tensor* t : others)
    result_requires_grad = result_requires_grad || (t->defined() && t->requires_grad());
  if (impl.is_view && result_requires_grad)
    fail(
        "[{}] in-place change of a view ({}) in a computation that needs gradients is not supported: "
        "autograd "
        "cannot carry the change back to the viewed tensor. Build the result out of place (strata::where, "
        "strata::cat, masked_fill) or clone() the view first",
        op, self.describe());
}

}  // namespace strata::ops
