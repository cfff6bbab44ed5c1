// sum, mean and sum_to. Shape rule: the reduced dims are removed (or kept as size 1 with keepdim).
// Dtype rule: sums of integers and bools give int64; mean needs floating point.
#include <algorithm>

#include "ops/common.h"
#include "ops/registry.h"
#include "strata/factories.h"
#include "strata/ops.h"

namespace strata {
namespace ops {
namespace {

using Grads = std::vector<Tensor>;
using autograd::SavedTensor;

// Marks the reduced dims; empty `dims` means all.
std::vector<bool> reduced_mask(std::string_view op, const Shape& dims, int64_t ndim) {
  std::vector<bool> mask(static_cast<size_t>(ndim), dims.empty());
  for (int64_t d : dims) {
    const int64_t w = wrap_dim(op, d, ndim);
    if (ndim > 0 && mask[w] && !dims.empty()) fail("[{}] dim {} appears twice in {}", op, w, dims.str());
    if (ndim > 0) mask[w] = true;
  }
  return mask;
}

Shape keepdim_shape(const Shape& shape, const std::vector<bool>& mask) {
  Shape out = shape;
  for (size_t d = 0; d < mask.size(); ++d)
    if (mask[d]) out[d] = 1;
  return out;
}

Shape final_shape(const Shape& shape, const std::vector<bool>& mask, bool keepdim) {
  if (keepdim) return keepdim_shape(shape, mask);
  Shape out;
  for (size_t d = 0; d < mask.size(); ++d)
    if (!mask[d]) out.push_back(shape[d]);
  return out;
}

struct ReduceSaved {
  Shape in_shape;
  Shape keep_shape;  // the output's shape with reduced dims kept as 1
  DType in_dtype = kFloat32;
  double scale = 1.0;  // mean: 1/n
  SavedTensor x, out;
};

Grads sum_backward(const ReduceSaved& s, const Grads& g) {
  Tensor gk = g[0].reshape(s.keep_shape);
  if (s.scale != 1.0) gk = gk * s.scale;
  return {cast(gk.expand(s.in_shape), s.in_dtype)};
}

}  // namespace

void register_reduction_ops(std::vector<OpInfo>& ops) {
  auto has_reduce = [](const backend::Kernels& k) { return k.reduce != nullptr; };
  ops.push_back({"sum", true, reinterpret_cast<const void*>(&sum_backward), has_reduce, {}});
  ops.push_back({"mean", true, reinterpret_cast<const void*>(&sum_backward), has_reduce, {}});
  ops.push_back({"sum_to", true, nullptr, nullptr, "sum reshape"});
}

Tensor reduce_sum(std::string_view name, const Tensor& x, const Shape& dims, bool keepdim, bool is_mean) {
  check_defined(name, {&x});
  const auto mask = reduced_mask(name, dims, x.dim());
  DType dtype = x.dtype();
  if (is_mean) {
    if (!x.is_floating_point())
      fail("[mean] needs a floating-point tensor, got {}; convert with .to(strata::kFloat32)", x.describe());
  } else if (is_integral(dtype, true)) {
    dtype = kInt64;
  }
  const Shape keep = keepdim_shape(x.shape(), mask);
  Tensor out = empty_tensor(keep, dtype, x.device());
  backend::kernels(x.device(), name.data()).reduce(backend::ReduceOp::Sum, out, x);
  int64_t n = 1;
  for (size_t d = 0; d < mask.size(); ++d)
    if (mask[d]) n *= x.size(static_cast<int64_t>(d));
  const double scale = is_mean ? 1.0 / static_cast<double>(n) : 1.0;
  if (is_mean) {
    NoGradGuard no_grad;
    out.mul_(scale);  // n == 0 gives nan, as PyTorch
  }
  const Shape final = final_shape(x.shape(), mask, keepdim);
  Tensor result = alias(out, final, contiguous_strides(final), 0);
  result.impl().is_view = false;
  if (needs_grad({&x}))
    record<ReduceSaved>(is_mean ? "MeanBackward" : "SumBackward", sum_backward, {x.shape(), keep, x.dtype(), scale, {}, {}},
                        {&x}, {&result});
  return result;
}

}  // namespace ops

Tensor sum(const Tensor& x, const Shape& dims, bool keepdim) { return ops::reduce_sum("sum", x, dims, keepdim, false); }
Tensor mean(const Tensor& x, const Shape& dims, bool keepdim) { return ops::reduce_sum("mean", x, dims, keepdim, true); }

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  const int64_t lead = x.dim() - static_cast<int64_t>(shape.size());
  if (lead < 0) fail("[sum_to] cannot sum {} down to the larger shape {}", x.describe(), shape.str());
  Shape dims;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (d < lead) {
      dims.push_back(d);
    } else if (shape[d - lead] == 1 && x.size(d) != 1) {
      dims.push_back(d);
    } else if (shape[d - lead] != x.size(d)) {
      fail("[sum_to] cannot sum {} down to {}: dim {} has size {}, target {}", x.describe(), shape.str(), d, x.size(d),
           shape[d - lead]);
    }
  }
  if (dims.empty()) return x.reshape(shape);
  return sum(x, dims, true).reshape(shape);
}

Tensor Tensor::sum() const { return strata::sum(*this); }
Tensor Tensor::sum(const Shape& dims, bool keepdim) const { return strata::sum(*this, dims, keepdim); }
Tensor Tensor::mean() const { return strata::mean(*this); }
Tensor Tensor::mean(const Shape& dims, bool keepdim) const { return strata::mean(*this, dims, keepdim); }

}  // namespace strata
