#pragma once
/// \file tensor.h
/// `strata::Tensor`: a reference-counted handle to a strided, typed block of memory on a device,
/// with reverse-mode autograd. Copying a Tensor copies the handle (like PyTorch); `clone()` copies data.
///
///     Tensor x = strata::randn({4, 10}).requires_grad_();
///     Tensor y = (x * 2).relu().sum();
///     y.backward();            // x.grad() now holds dy/dx
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "strata/detail/tensor_impl.h"
#include "strata/device.h"
#include "strata/dtype.h"
#include "strata/error.h"
#include "strata/scalar.h"
#include "strata/shape.h"

namespace strata {

/// A Python-style slice `start:stop:step` for `Tensor::index`. `Slice()` is `:`; `Slice(1)` is `1:`.
struct Slice {
  std::optional<int64_t> start, stop;
  int64_t step = 1;
  Slice() = default;
  Slice(std::optional<int64_t> start_, std::optional<int64_t> stop_ = std::nullopt, int64_t step_ = 1)
      : start(start_), stop(stop_), step(step_) {}
};
/// `None` in an index inserts a dimension of size 1; `Ellipsis` stands for all the dims not named.
struct NoneIndex {};
struct EllipsisIndex {};
inline constexpr NoneIndex None{};
inline constexpr EllipsisIndex Ellipsis{};

class Tensor;
/// One element of an index: an integer, a Slice, None, Ellipsis, or an int64/bool tensor.
using TensorIndex = std::variant<int64_t, Slice, NoneIndex, EllipsisIndex, Tensor>;

class Tensor {
 public:
  using Hook = std::function<Tensor(const Tensor& grad)>;

  Tensor() = default;
  explicit Tensor(std::shared_ptr<detail::TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- metadata ----
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().sizes; }
  const Shape& sizes() const { return impl().sizes; }
  const Shape& strides() const { return impl().strides; }
  /// Size of dim `d`; negative `d` counts from the end.
  int64_t size(int64_t d) const;
  int64_t stride(int64_t d) const;
  int64_t dim() const { return static_cast<int64_t>(impl().sizes.size()); }
  int64_t numel() const { return impl().numel; }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage->device; }
  int64_t storage_offset() const { return impl().offset; }
  bool is_contiguous() const { return impl().contiguous; }
  bool is_floating_point() const { return strata::is_floating_point(dtype()); }
  /// "[4, 10] float32 cpu", prefixed by a parameter's name when it has one; used in error messages.
  std::string describe() const;

  // ---- data access ----
  void* data_ptr() const { return impl().data_ptr(); }
  /// Typed pointer to the first element; the dtype must match exactly.
  template <typename T>
  T* data() const {
    check_dtype(dtype_of_v<T>, "data");
    return static_cast<T*>(data_ptr());
  }
  /// The value of a one-element tensor, converted to T.
  template <typename T>
  T item() const;
  /// All elements in row-major order, converted to T.
  template <typename T>
  std::vector<T> to_vector() const;

  // ---- conversion and copies ----
  Tensor to(DType dtype) const;
  Tensor to(Device device) const;
  Tensor clone() const;
  /// Shares data, drops the autograd history.
  Tensor detach() const;
  Tensor& detach_();
  /// This tensor if already contiguous, else a contiguous copy.
  Tensor contiguous() const;
  /// Copies `src` (broadcast, converted) into this tensor in place.
  Tensor& copy_(const Tensor& src);
  Tensor& fill_(const Scalar& value);
  Tensor& zero_();

  // ---- autograd ----
  bool requires_grad() const { return impl().requires_grad; }
  Tensor& requires_grad_(bool requires_grad = true);
  /// True for tensors the user created (no grad_fn): their gradient accumulates in grad().
  bool is_leaf() const { return impl().grad_fn == nullptr; }
  /// The accumulated gradient (undefined until backward reaches this tensor).
  Tensor grad() const;
  void set_grad(const Tensor& grad);
  /// Keeps the gradient of a non-leaf tensor in grad() after backward.
  void retain_grad();
  /// Backpropagates from this tensor. A non-scalar needs `gradient` (same shape).
  void backward(const Tensor& gradient = {}, bool retain_graph = false, bool create_graph = false) const;
  /// Calls `hook(grad)` when the gradient for this tensor is computed; a defined return value
  /// replaces the gradient.
  void register_hook(Hook hook);
  /// Name of the op that produced this tensor ("MulBackward"), empty for leaves.
  std::string grad_fn_name() const;
  const std::shared_ptr<autograd::Node>& grad_fn() const { return impl().grad_fn; }
  uint32_t version() const { return impl().storage->version; }
  /// Names a tensor for error messages ("SimpleNet.fc1.weight").
  void set_name(std::string name);

  // ---- views (share memory; no copy) ----
  Tensor view(const Shape& shape) const;
  Tensor reshape(const Shape& shape) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor unflatten(int64_t dim, const Shape& sizes) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  /// Transpose of a matrix (0-d and 1-d tensors are returned as they are).
  Tensor t() const;
  /// Reverses all dims (`x.mT` for matrices).
  Tensor mT() const { return transpose(-2, -1); }
  Tensor permute(const Shape& dims) const;
  Tensor expand(const Shape& shape) const;
  Tensor expand_as(const Tensor& other) const { return expand(other.shape()); }
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor slice(int64_t dim, std::optional<int64_t> start, std::optional<int64_t> stop,
               int64_t step = 1) const;
  /// `x[i]`: selects along dim 0.
  Tensor operator[](int64_t index) const { return select(0, index); }
  /// NumPy/PyTorch indexing: `x.index({Slice(), 0, None, idx_tensor})`. Integers, slices, None and
  /// Ellipsis give views; int64 or bool tensors gather (a copy), with PyTorch's placement rules.
  Tensor index(std::initializer_list<TensorIndex> indices) const;
  Tensor index(const std::vector<TensorIndex>& indices) const;
  /// Writes `value` into the indexed elements: `x.index_put_({mask}, 0.0)`.
  Tensor& index_put_(const std::vector<TensorIndex>& indices, const Tensor& value);
  Tensor& index_put_(const std::vector<TensorIndex>& indices, const Scalar& value);

  // ---- arithmetic (see ops.h for the full list as free functions) ----
  Tensor add(const Tensor& o, const Scalar& alpha = 1) const;
  Tensor sub(const Tensor& o, const Scalar& alpha = 1) const;
  Tensor mul(const Tensor& o) const;
  Tensor div(const Tensor& o) const;
  Tensor pow(const Tensor& exponent) const;
  Tensor pow(const Scalar& exponent) const;
  Tensor& add_(const Tensor& o, const Scalar& alpha = 1);
  Tensor& add_(const Scalar& o);
  Tensor& sub_(const Tensor& o, const Scalar& alpha = 1);
  Tensor& sub_(const Scalar& o);
  Tensor& mul_(const Tensor& o);
  Tensor& mul_(const Scalar& o);
  Tensor& div_(const Tensor& o);
  Tensor& div_(const Scalar& o);
  Tensor& pow_(const Scalar& exponent);
  Tensor& clamp_(std::optional<Scalar> min, std::optional<Scalar> max);
  Tensor& masked_fill_(const Tensor& mask, const Scalar& value);

  Tensor neg() const;
  Tensor abs() const;
  Tensor sign() const;
  Tensor exp() const;
  Tensor log() const;
  Tensor log1p() const;
  Tensor sqrt() const;
  Tensor rsqrt() const;
  Tensor sin() const;
  Tensor cos() const;
  Tensor tanh() const;
  Tensor sigmoid() const;
  Tensor relu() const;
  Tensor& relu_();
  Tensor& neg_();
  Tensor& exp_();
  Tensor& sqrt_();
  Tensor clamp(std::optional<Scalar> min, std::optional<Scalar> max) const;
  Tensor masked_fill(const Tensor& mask, const Scalar& value) const;

  // ---- reductions ----
  Tensor sum() const;
  Tensor sum(const Shape& dims, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(const Shape& dims, bool keepdim = false) const;
  Tensor prod() const;
  Tensor prod(int64_t dim, bool keepdim = false) const;
  Tensor max() const;
  Tensor min() const;
  Tensor argmax() const;
  Tensor argmax(int64_t dim, bool keepdim = false) const;
  Tensor argmin() const;
  Tensor argmin(int64_t dim, bool keepdim = false) const;
  Tensor var(const Shape& dims = {}, int64_t correction = 1, bool keepdim = false) const;
  Tensor std(const Shape& dims = {}, int64_t correction = 1, bool keepdim = false) const;
  Tensor norm(double p = 2.0) const;
  Tensor logsumexp(const Shape& dims, bool keepdim = false) const;
  Tensor cumsum(int64_t dim) const;
  Tensor softmax(int64_t dim) const;
  Tensor log_softmax(int64_t dim) const;

  // ---- matrices ----
  Tensor matmul(const Tensor& other) const;
  Tensor mm(const Tensor& other) const;

  const std::shared_ptr<detail::TensorImpl>& impl_ptr() const { return impl_; }
  detail::TensorImpl& impl() const {
    if (!impl_) throw_undefined();
    return *impl_;
  }

 private:
  [[noreturn]] static void throw_undefined();
  void check_dtype(DType expected, const char* what) const;
  std::shared_ptr<detail::TensorImpl> impl_;
};

/// Prints like PyTorch: `tensor([[1., 2.],\n        [3., 4.]])`.
std::ostream& operator<<(std::ostream& os, const Tensor& t);

// Operators, as in PyTorch. Comparisons return bool tensors.
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, const Scalar& b);
Tensor operator-(const Tensor& a, const Scalar& b);
Tensor operator*(const Tensor& a, const Scalar& b);
Tensor operator/(const Tensor& a, const Scalar& b);
Tensor operator+(const Scalar& a, const Tensor& b);
Tensor operator-(const Scalar& a, const Tensor& b);
Tensor operator*(const Scalar& a, const Tensor& b);
Tensor operator/(const Scalar& a, const Tensor& b);
Tensor operator-(const Tensor& a);
Tensor& operator+=(Tensor& a, const Tensor& b);
Tensor& operator-=(Tensor& a, const Tensor& b);
Tensor& operator*=(Tensor& a, const Tensor& b);
Tensor& operator/=(Tensor& a, const Tensor& b);
Tensor& operator+=(Tensor& a, const Scalar& b);
Tensor& operator-=(Tensor& a, const Scalar& b);
Tensor& operator*=(Tensor& a, const Scalar& b);
Tensor& operator/=(Tensor& a, const Scalar& b);
Tensor operator==(const Tensor& a, const Tensor& b);
Tensor operator!=(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, const Tensor& b);
Tensor operator==(const Tensor& a, const Scalar& b);
Tensor operator!=(const Tensor& a, const Scalar& b);
Tensor operator<(const Tensor& a, const Scalar& b);
Tensor operator<=(const Tensor& a, const Scalar& b);
Tensor operator>(const Tensor& a, const Scalar& b);
Tensor operator>=(const Tensor& a, const Scalar& b);
Tensor operator&&(const Tensor& a, const Tensor& b);
Tensor operator||(const Tensor& a, const Tensor& b);
Tensor operator!(const Tensor& a);

}  // namespace strata
