// Tensor's own methods: metadata, data access, conversion, autograd entry points.
#include "strata/tensor.h"

#include "autograd/node.h"
#include "backend/kernels.h"
#include "ops/common.h"
#include "strata/autograd.h"
#include "strata/ops.h"

namespace strata {

namespace autograd {
void backward(const Tensor& output, const Tensor& gradient, bool retain_graph, bool create_graph);
}

namespace detail {

Storage::Storage(size_t n, Device d) : data(backend::allocate(n, d)), nbytes(n), device(d) {}
Storage::Storage(void* p, size_t n, Device d) : data(p), nbytes(n), device(d), borrowed(true) {}
Storage::~Storage() {
  if (!borrowed) backend::deallocate(data, nbytes, device);
}

void TensorImpl::set_shape(const Shape& shape, const Shape& new_strides, int64_t new_offset) {
  sizes = shape;
  strides = new_strides;
  offset = new_offset;
  numel = shape.numel();
  // Contiguous when strides are row-major for every dim of size > 1.
  contiguous = true;
  int64_t expected = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    if (shape[i] == 1) continue;
    if (strides[i] != expected) {
      contiguous = false;
      break;
    }
    expected *= shape[i];
  }
}

}  // namespace detail

void Tensor::throw_undefined() {
  fail("[Tensor] this tensor is undefined (a default-constructed Tensor); assign a tensor to it first");
}

void Tensor::check_dtype(DType expected, const char* what) const {
  if (dtype() != expected)
    fail("[{}] the tensor is {}, but {} was requested; convert with .to(strata::k...) first", what,
         describe(), dtype_name(expected));
}

int64_t Tensor::size(int64_t d) const { return shape()[ops::wrap_dim("size", d, dim())]; }
int64_t Tensor::stride(int64_t d) const { return strides()[ops::wrap_dim("stride", d, dim())]; }

std::string Tensor::describe() const {
  if (!defined()) return "undefined tensor";
  std::string s = fmt::format("{} {} {}", shape().str(), dtype_name(dtype()), device().str());
  if (impl().name) s = *impl().name + " " + s;
  return s;
}

namespace {
template <typename T>
Tensor wrap_buffer(T* data, const Shape& shape) {
  auto impl = ops::new_impl();
  impl->storage = std::allocate_shared<detail::Storage>(backend::cpu::SmallAllocator<detail::Storage>(),
                                                        static_cast<void*>(data), shape.numel() * sizeof(T),
                                                        Device::cpu());
  impl->dtype = dtype_of_v<T>;
  impl->set_shape(shape, contiguous_strides(shape), 0);
  return Tensor(std::move(impl));
}
}  // namespace

template <typename T>
std::vector<T> Tensor::to_vector() const {
  std::vector<T> out(static_cast<size_t>(numel()));
  if constexpr (std::is_same_v<T, bool>) {
    std::vector<uint8_t> bytes(out.size());
    Tensor dst = wrap_buffer(reinterpret_cast<bool*>(bytes.data()), shape());
    backend::kernels(device(), "to_vector").copy(dst, *this);
    for (size_t i = 0; i < out.size(); ++i) out[i] = bytes[i] != 0;
  } else {
    Tensor dst = wrap_buffer(out.data(), shape());
    backend::kernels(device(), "to_vector").copy(dst, *this);
  }
  return out;
}

template <typename T>
T Tensor::item() const {
  if (numel() != 1)
    fail("[item] only a one-element tensor converts to a number, got {} with {} elements", describe(),
         numel());
  // Copied straight into a local: reading a loss every step allocates nothing.
  if constexpr (std::is_same_v<T, bool>) {
    uint8_t byte = 0;
    backend::kernels(device(), "item").copy(wrap_buffer(reinterpret_cast<bool*>(&byte), shape()), *this);
    return byte != 0;
  } else {
    T value{};
    backend::kernels(device(), "item").copy(wrap_buffer(&value, shape()), *this);
    return value;
  }
}

Tensor Tensor::to(Device target) const {
  if (target == device()) return *this;
  backend::kernels(target, "to");
  fail("[to] copying between {} and {} is not supported in this build", device().str(), target.str());
}

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return clone();
}

Tensor& Tensor::copy_(const Tensor& src) {
  ops::check_defined("copy_", {this, &src});
  ops::check_same_device("copy_", {this, &src});
  if (!(ops::broadcast_shapes("copy_", *this, src) == shape()))
    fail("[copy_] source {} cannot be broadcast to the destination {}", src.describe(), describe());
  // A source sharing memory with the destination (x.copy_(x.t())) is read in full before writing.
  const Tensor source = src.impl().storage == impl().storage ? src.clone() : src;
  return ops::inplace_via_outofplace("copy_", *this, {&source}, [&](const Tensor& self) {
    Tensor s = source.to(self.dtype()).expand(self.shape());
    // The result must carry source's history (a leaf source gets a CloneBackward node to hang it on);
    // the old value of self gets no gradient, it is overwritten.
    return s.requires_grad() && s.is_leaf() ? s.clone() : s;
  });
}

Tensor& Tensor::fill_(const Scalar& value) {
  ops::check_inplace("fill_", *this, {});
  backend::kernels(device(), "fill_").fill(*this, value);
  ops::bump_version(*this);
  if (is_grad_enabled() && requires_grad()) {
    // The filled values no longer depend on anything: cut the history.
    impl().grad_fn = nullptr;
    impl().requires_grad = false;
  }
  return *this;
}

Tensor& Tensor::zero_() { return fill_(0); }

Tensor Tensor::detach() const {
  auto impl = ops::new_impl();
  impl->storage = this->impl().storage;
  impl->dtype = dtype();
  impl->name = this->impl().name;
  impl->set_shape(shape(), strides(), storage_offset());
  return Tensor(std::move(impl));
}

Tensor& Tensor::detach_() {
  impl().grad_fn = nullptr;
  impl().requires_grad = false;
  return *this;
}

Tensor& Tensor::requires_grad_(bool requires_grad) {
  if (!is_leaf())
    fail(
        "[requires_grad_] {} is the result of an op (grad_fn {}); only leaf tensors can change "
        "requires_grad. "
        "Use detach().requires_grad_() to start a new leaf",
        describe(), grad_fn_name());
  if (requires_grad && !is_floating_point())
    fail("[requires_grad_] only floating-point tensors can require gradients, got {}", describe());
  impl().requires_grad = requires_grad;
  return *this;
}

Tensor Tensor::grad() const { return impl().grad ? Tensor(impl().grad) : Tensor(); }

void Tensor::set_grad(const Tensor& grad) {
  if (grad.defined() && !(grad.shape() == shape()))
    fail("[set_grad] gradient {} does not match the tensor {}", grad.describe(), describe());
  impl().grad = grad.defined() ? grad.impl_ptr() : nullptr;
}

void Tensor::retain_grad() {
  if (is_leaf()) return;  // leaves keep their gradient anyway
  if (impl().retains_grad) return;
  impl().retains_grad = true;
  std::weak_ptr<detail::TensorImpl> weak = impl_ptr();
  impl().grad_fn->pre_hooks.emplace_back(impl().output_nr, [weak](const Tensor& g) {
    if (auto self = weak.lock()) {
      Tensor current = self->grad ? Tensor(self->grad) : Tensor();
      self->grad = (current.defined() ? current + g : g.detach().clone()).impl_ptr();
    }
    return Tensor();
  });
}

void Tensor::backward(const Tensor& gradient, bool retain_graph, bool create_graph) const {
  autograd::backward(*this, gradient, retain_graph, create_graph);
}

void Tensor::register_hook(Hook hook) {
  if (!requires_grad())
    fail("[register_hook] {} does not require grad, so no gradient will reach a hook on it", describe());
  autograd::Edge edge = autograd::gradient_edge(*this);
  edge.node->pre_hooks.emplace_back(edge.input_nr, std::move(hook));
}

std::string Tensor::grad_fn_name() const { return impl().grad_fn ? std::string(impl().grad_fn->name()) : ""; }

void Tensor::set_name(std::string name) {
  impl().name = std::make_shared<const std::string>(std::move(name));
}

#define STRATA_INSTANTIATE(T)         \
  template T Tensor::item<T>() const; \
  template std::vector<T> Tensor::to_vector<T>() const;
STRATA_INSTANTIATE(bool)
STRATA_INSTANTIATE(uint8_t)
STRATA_INSTANTIATE(int32_t)
STRATA_INSTANTIATE(int64_t)
STRATA_INSTANTIATE(float)
STRATA_INSTANTIATE(double)
STRATA_INSTANTIATE(Half)
STRATA_INSTANTIATE(BFloat16)
#undef STRATA_INSTANTIATE

}  // namespace strata
