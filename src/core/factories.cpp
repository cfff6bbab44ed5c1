// Tensor factories: constants, ranges, random values, tensors from C++ data.
#include "strata/factories.h"

#include <cmath>
#include <numeric>

#include "backend/kernels.h"
#include "ops/common.h"

namespace strata {
namespace {

Tensor make(const Shape& shape, DType dtype, const TensorOptions& o) {
  Tensor t = ops::empty_tensor(shape, dtype, o.device);
  return t;
}

Tensor finish(Tensor t, const TensorOptions& o) {
  if (o.requires_grad) t.requires_grad_(true);
  return t;
}

TensorOptions like_options(const Tensor& like, const TensorOptions& o) {
  TensorOptions r = o;
  if (!r.dtype) r.dtype = like.dtype();
  if (o.device == Device::cpu()) r.device = like.device();
  return r;
}

Generator& pick(Generator* g) { return g ? *g : default_generator(); }

}  // namespace

Tensor empty(const Shape& shape, const TensorOptions& o) {
  backend::kernels(o.device, "empty");
  return finish(make(shape, o.dtype.value_or(default_dtype()), o), o);
}

Tensor full(const Shape& shape, const Scalar& value, const TensorOptions& o) {
  backend::kernels(o.device, "full");
  Tensor t = make(shape, o.dtype.value_or(value.natural_dtype()), o);
  backend::kernels(o.device, "full").fill(t, value);
  return finish(t, o);
}

Tensor zeros(const Shape& shape, const TensorOptions& o) {
  TensorOptions r = o;
  if (!r.dtype) r.dtype = default_dtype();
  return full(shape, 0, r);
}

Tensor ones(const Shape& shape, const TensorOptions& o) {
  TensorOptions r = o;
  if (!r.dtype) r.dtype = default_dtype();
  return full(shape, 1, r);
}

Tensor arange(const Scalar& end, const TensorOptions& o) { return arange(0, end, 1, o); }

Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step, const TensorOptions& o) {
  const bool all_int = !start.is_floating_point() && !end.is_floating_point() && !step.is_floating_point();
  const DType dtype = o.dtype.value_or(all_int ? kInt64 : default_dtype());
  const double s = start.to_double(), e = end.to_double(), st = step.to_double();
  if (!std::isfinite(s) || !std::isfinite(e) || !std::isfinite(st))
    fail("[arange] start, end and step must be finite, got {}, {}, {}", s, e, st);
  if (st == 0) fail("[arange] step must be non-zero");
  if ((st > 0 && e < s) || (st < 0 && e > s))
    fail("[arange] the range from {} to {} is empty in direction of step {}", s, e, st);
  const int64_t n = static_cast<int64_t>(std::ceil((e - s) / st));
  std::vector<double> values(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) values[i] = s + static_cast<double>(i) * st;
  Tensor t = from_vector(values, {n}).to(dtype);
  return finish(t.to(o.device), o);
}

Tensor linspace(double start, double end, int64_t steps, const TensorOptions& o) {
  if (steps < 0) fail("[linspace] steps must be non-negative, got {}", steps);
  std::vector<double> values(static_cast<size_t>(steps));
  const double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  // Fill from both ends, as PyTorch does, so the last value is exactly `end`.
  for (int64_t i = 0; i < steps; ++i)
    values[i] = i < steps / 2 ? start + step * static_cast<double>(i)
                              : end - step * static_cast<double>(steps - 1 - i);
  if (steps == 1) values[0] = start;
  return finish(from_vector(values, {steps}).to(o.dtype.value_or(default_dtype())), o);
}

Tensor eye(int64_t n, std::optional<int64_t> m, const TensorOptions& o) {
  const int64_t cols = m.value_or(n);
  if (n < 0 || cols < 0) fail("[eye] sizes must be non-negative, got {} x {}", n, cols);
  std::vector<double> values(static_cast<size_t>(n * cols), 0.0);
  for (int64_t i = 0; i < std::min(n, cols); ++i) values[i * cols + i] = 1.0;
  return finish(from_vector(values, {n, cols}).to(o.dtype.value_or(default_dtype())), o);
}

Tensor rand(const Shape& shape, const TensorOptions& o, Generator* g) {
  const DType dtype = o.dtype.value_or(default_dtype());
  if (!is_floating_point(dtype)) fail("[rand] needs a floating-point dtype, got {}", dtype_name(dtype));
  Tensor t = make(shape, dtype == kFloat64 ? kFloat64 : kFloat32, o);
  backend::kernels(o.device, "rand").uniform(t, 0.0, 1.0, pick(g));
  return finish(t.to(dtype), o);
}

Tensor randn(const Shape& shape, const TensorOptions& o, Generator* g) {
  const DType dtype = o.dtype.value_or(default_dtype());
  if (!is_floating_point(dtype)) fail("[randn] needs a floating-point dtype, got {}", dtype_name(dtype));
  Tensor t = make(shape, dtype == kFloat64 ? kFloat64 : kFloat32, o);
  backend::kernels(o.device, "randn").normal(t, 0.0, 1.0, pick(g));
  return finish(t.to(dtype), o);
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, const TensorOptions& o, Generator* g) {
  if (high <= low) fail("[randint] needs low < high, got [{}, {})", low, high);
  Generator& gen = pick(g);
  const uint64_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);  // no signed overflow
  std::vector<int64_t> values(static_cast<size_t>(shape.numel()));
  for (auto& v : values) v = low + static_cast<int64_t>(gen.next() % range);
  return finish(from_vector(values, shape).to(o.dtype.value_or(kInt64)), o);
}

Tensor randperm(int64_t n, const TensorOptions& o, Generator* g) {
  if (n < 0) fail("[randperm] n must be non-negative, got {}", n);
  Generator& gen = pick(g);
  std::vector<int64_t> values(static_cast<size_t>(n));
  std::iota(values.begin(), values.end(), 0);
  for (int64_t i = n - 1; i > 0; --i) std::swap(values[i], values[gen.next() % static_cast<uint64_t>(i + 1)]);
  return finish(from_vector(values, {n}).to(o.dtype.value_or(kInt64)), o);
}

Tensor empty_like(const Tensor& like, const TensorOptions& o) {
  return empty(like.shape(), like_options(like, o));
}
Tensor zeros_like(const Tensor& like, const TensorOptions& o) {
  return zeros(like.shape(), like_options(like, o));
}
Tensor ones_like(const Tensor& like, const TensorOptions& o) {
  return ones(like.shape(), like_options(like, o));
}
Tensor full_like(const Tensor& like, const Scalar& v, const TensorOptions& o) {
  return full(like.shape(), v, like_options(like, o));
}
Tensor rand_like(const Tensor& like, const TensorOptions& o, Generator* g) {
  return rand(like.shape(), like_options(like, o), g);
}
Tensor randn_like(const Tensor& like, const TensorOptions& o, Generator* g) {
  return randn(like.shape(), like_options(like, o), g);
}

template <typename T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, const TensorOptions& o) {
  if (static_cast<int64_t>(values.size()) != shape.numel())
    fail("[from_vector] {} values cannot fill shape {} ({} elements)", values.size(), shape.str(),
         shape.numel());
  Tensor t = ops::empty_tensor(shape, dtype_of_v<T>, Device::cpu());
  if constexpr (std::is_same_v<T, bool>) {
    bool* p = t.data<bool>();
    for (size_t i = 0; i < values.size(); ++i) p[i] = values[i];
  } else {
    std::copy(values.begin(), values.end(), t.data<T>());
  }
  if (o.dtype) t = t.to(*o.dtype);
  return finish(t.to(o.device), o);
}
template Tensor from_vector(const std::vector<bool>&, const Shape&, const TensorOptions&);
template Tensor from_vector(const std::vector<uint8_t>&, const Shape&, const TensorOptions&);
template Tensor from_vector(const std::vector<int32_t>&, const Shape&, const TensorOptions&);
template Tensor from_vector(const std::vector<int64_t>&, const Shape&, const TensorOptions&);
template Tensor from_vector(const std::vector<float>&, const Shape&, const TensorOptions&);
template Tensor from_vector(const std::vector<double>&, const Shape&, const TensorOptions&);
template Tensor from_vector(const std::vector<Half>&, const Shape&, const TensorOptions&);
template Tensor from_vector(const std::vector<BFloat16>&, const Shape&, const TensorOptions&);

Tensor tensor(const Scalar& value, const TensorOptions& o) { return full({}, value, o); }

Tensor from_blob(void* data, const Shape& shape, DType dtype, Device device) {
  auto impl = ops::new_impl();
  impl->storage = std::make_shared<strata::detail::Storage>(
      data, static_cast<size_t>(shape.numel()) * element_size(dtype), device);
  impl->dtype = dtype;
  impl->set_shape(shape, contiguous_strides(shape), 0);
  return Tensor(std::move(impl));
}

}  // namespace strata
