// sum, mean, prod, cumsum and sum_to, plus the shape helpers of reduce.h. Shape rule: the reduced
// dims are removed (or kept as size 1 with keepdim); cumsum keeps the shape. Dtype rule: sums,
// products and cumulative sums of integers and bools give int64; mean needs floating point.
#include "ops/reduce.h"

#include <algorithm>

#include "strata/factories.h"
#include "strata/ops.h"

namespace strata {
namespace ops {

Tensor wrapped_scalar(const Scalar& v);  // binary.cpp

namespace reduction {

std::vector<bool> reduced_mask(std::string_view op, const Shape& dims, int64_t ndim) {
  std::vector<bool> mask(static_cast<size_t>(ndim), dims.empty());
  for (int64_t d : dims) {
    const int64_t w = wrap_dim(op, d, ndim);
    if (ndim > 0 && mask[w] && !dims.empty()) fail("[{}] dim {} appears twice in {}", op, w, dims.str());
    if (ndim > 0) mask[w] = true;
  }
  return mask;
}

Shape mask_dims(const std::vector<bool>& mask) {
  Shape dims;
  for (size_t d = 0; d < mask.size(); ++d)
    if (mask[d]) dims.push_back(static_cast<int64_t>(d));
  return dims;
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

int64_t reduced_count(const Shape& shape, const std::vector<bool>& mask) {
  int64_t n = 1;
  for (size_t d = 0; d < mask.size(); ++d)
    if (mask[d]) n *= shape[d];
  return n;
}

Tensor drop_reduced(const Tensor& keep, const Shape& final) {
  if (keep.shape() == final) return keep;
  // Removing size-1 dims of a contiguous tensor keeps the element order, so a re-strided alias is
  // the result itself; it owns its data like any fresh output, so it is not marked as a view.
  Tensor result = alias(keep, final, contiguous_strides(final), keep.storage_offset());
  result.impl().is_view = false;
  return result;
}

Tensor reduce_keep(std::string_view op, backend::ReduceOp kind, const Tensor& x,
                   const std::vector<bool>& mask, DType dtype) {
  Tensor out = empty_tensor(keepdim_shape(x.shape(), mask), dtype, x.device());
  backend::kernels(x.device(), op.data()).reduce(kind, out, x);
  return out;
}

}  // namespace reduction

namespace {

using Grads = autograd::TensorList;
using autograd::SavedTensor;
using namespace reduction;

struct ReduceSaved {
  Shape in_shape;
  Shape keep_shape;  // the output's shape with reduced dims kept as 1
  DType in_dtype = kFloat32;
  double scale = 1.0;  // mean: 1/n
  SavedTensor x, out;
};

// The gradient broadcast back over the reduced dims: a stride-0 view of it (times 1/n for mean).
Grads sum_backward(const ReduceSaved& s, const Grads& g) {
  if (!is_grad_enabled() && g[0].is_contiguous() && g[0].dtype() == s.in_dtype &&
      g[0].numel() == s.keep_shape.numel()) {
    // Nothing to record: the view straight from the strides, the scaling by one kernel call.
    Shape strides = contiguous_strides(s.keep_shape);
    for (size_t d = 0; d < strides.size(); ++d)
      if (s.keep_shape[d] == 1) strides[d] = 0;
    const Tensor expanded = alias(g[0], s.in_shape, strides, g[0].storage_offset());
    if (s.scale == 1.0) return {expanded};
    Tensor out = empty_tensor(s.in_shape, s.in_dtype, g[0].device());
    backend::kernels(out.device(), "MeanBackward")
        .binary(backend::BinaryOp::Mul, out, expanded, cast(wrapped_scalar(s.scale), s.in_dtype), 1);
    return {out};
  }
  Tensor gk = g[0].reshape(s.keep_shape);
  if (s.scale != 1.0) gk = gk * s.scale;
  return {cast(gk.expand(s.in_shape), s.in_dtype)};
}

Grads prod_backward(const ReduceSaved& s, const Grads& g) {
  const Tensor x = s.x.unpack("ProdBackward", "self");
  const Tensor out = s.out.unpack("ProdBackward", "result").reshape(s.keep_shape);
  const Tensor gk = g[0].reshape(s.keep_shape);
  // d out / d x_i is the product of the other elements. out / x_i gives it only where x has no
  // zero, so zeros are handled apart, by the number of zeros in the group:
  //   one:  the product of the non-zeros (at the zero; out / x_i = 0 elsewhere);
  //   two:  0, written as (sum of the zeros but x_i) * (product of the non-zeros) so that its
  //         derivative with respect to the other zero is right for double backward;
  //   more: 0.
  // Division is by a zero-free copy of x, so that no inf/NaN appears even in the unused branch
  // (double backward differentiates both branches of `where`).
  const Tensor is_zero = x == 0.0;
  const Tensor x_safe = where(is_zero, ones_like(x), x);
  Shape reduce_dims;
  for (size_t d = 0; d < s.keep_shape.size(); ++d)
    if (s.keep_shape[d] == 1 && s.in_shape[d] != 1) reduce_dims.push_back(static_cast<int64_t>(d));
  if (reduce_dims.empty()) return {gk};  // only size-1 dims were reduced: out is x itself
  const Tensor zeros_in = sum(is_zero, reduce_dims, true);
  const Tensor nonzero_prod =
      reduce_dims.size() == 1 ? prod(x_safe, reduce_dims[0], true) : prod(x_safe).reshape(s.keep_shape);
  const Tensor zero_part = where(is_zero, x, zeros_like(x));
  const Tensor other_zeros = sum(zero_part, reduce_dims, true) - zero_part;
  const Tensor at_zero = where(zeros_in == 1, nonzero_prod,
                               where(zeros_in == 2, other_zeros * nonzero_prod, zeros_like(other_zeros)));
  return {gk * where(is_zero, at_zero, out / x_safe)};
}

Tensor reduce_checked_sum(std::string_view name, const Tensor& x, const Shape& dims, bool keepdim,
                          bool is_mean) {
  check_defined(name, {&x});
  // The shapes straight from the dims (a bit per dim, no mask vector): keep has the reduced dims
  // as 1, final drops them unless keepdim.
  const Shape& xs = x.shape();
  const int64_t nd = x.dim();
  uint32_t reduced = dims.empty() ? (nd >= 32 ? ~0u : (1u << nd) - 1u) : 0u;
  for (int64_t d : dims) {
    const int64_t w = wrap_dim(name, d, nd);
    if (nd > 0 && (reduced >> w & 1u)) fail("[{}] dim {} appears twice in {}", name, w, dims.str());
    if (nd > 0) reduced |= 1u << w;
  }
  Shape keep = xs, final_shape;
  int64_t count = 1;
  for (int64_t d = 0; d < nd; ++d) {
    if (reduced >> d & 1u) {
      count *= xs[d];
      keep[d] = 1;
      if (keepdim) final_shape.push_back(1);
    } else {
      final_shape.push_back(xs[d]);
    }
  }
  DType dtype = x.dtype();
  if (is_mean) {
    if (!x.is_floating_point())
      fail("[mean] needs a floating-point tensor, got {}; convert with .to(strata::kFloat32)", x.describe());
  } else if (is_integral(dtype, true)) {
    dtype = kInt64;
  }
  // The kernel writes the keepdim layout of the result (the same memory) and divides a mean's sum
  // by the count (n == 0 gives nan, as PyTorch).
  Tensor result = empty_tensor(final_shape, dtype, x.device());
  const Tensor out = final_shape == keep ? result : alias(result, keep, contiguous_strides(keep), 0);
  backend::kernels(x.device(), name.data())
      .reduce(is_mean ? backend::ReduceOp::Mean : backend::ReduceOp::Sum, out, x);
  const double scale = is_mean ? 1.0 / static_cast<double>(count) : 1.0;
  if (needs_grad({&x}))
    record<ReduceSaved>(is_mean ? "MeanBackward" : "SumBackward", sum_backward,
                        {xs, keep, x.dtype(), scale, {}, {}}, {&x}, {&result});
  return result;
}

Tensor prod_impl(const Tensor& x, const std::vector<bool>& mask, bool keepdim) {
  const DType dtype = is_integral(x.dtype(), true) ? kInt64 : x.dtype();
  Tensor out = reduce_keep("prod", backend::ReduceOp::Prod, x, mask, dtype);
  Tensor result = drop_reduced(out, final_shape(x.shape(), mask, keepdim));
  if (needs_grad({&x})) {
    auto& s = record<ReduceSaved>("ProdBackward", prod_backward,
                                  {x.shape(), out.shape(), x.dtype(), 1.0, SavedTensor::input(x), {}}, {&x},
                                  {&result});
    s.out = SavedTensor::output(result);
  }
  return result;
}

// ---- cumsum ----

struct CumsumSaved {
  int64_t dim = 0;
};

Tensor reverse_cumsum(const Tensor& g, int64_t dim);

// The gradient of a cumulative sum is the cumulative sum taken from the other end.
Grads cumsum_backward(const CumsumSaved& s, const Grads& g) { return {reverse_cumsum(g[0], s.dim)}; }
Grads reverse_cumsum_backward(const CumsumSaved& s, const Grads& g) { return {cumsum(g[0], s.dim)}; }

// `t` with `dim` walked backwards: a negative-stride alias handed only to the cumsum kernel, which
// thus sums from the end without a flip copy. It never escapes this file.
Tensor flipped(const Tensor& t, int64_t dim) {
  Shape strides = t.strides();
  const int64_t offset = t.storage_offset() + (t.size(dim) - 1) * strides[dim];
  strides[dim] = -strides[dim];
  return alias(t, t.shape(), strides, offset);
}

// out[i] = sum over j >= i of g[j] along dim.
Tensor reverse_cumsum(const Tensor& g, int64_t dim) {
  if (g.dim() == 0 || g.size(dim) <= 1) return g;
  Tensor out = empty_tensor(g.shape(), g.dtype(), g.device());
  if (g.numel() > 0) backend::kernels(g.device(), "cumsum").cumsum(flipped(out, dim), flipped(g, dim), dim);
  if (needs_grad({&g}))
    record<CumsumSaved>("ReverseCumsumBackward", reverse_cumsum_backward, {dim}, {&g}, {&out});
  return out;
}

}  // namespace

void register_reduction_ops(std::vector<OpInfo>& ops) {
  auto has_reduce = [](const backend::Kernels& k) { return k.reduce != nullptr; };
  auto has_cumsum = [](const backend::Kernels& k) { return k.cumsum != nullptr; };
  ops.push_back({"sum", true, reinterpret_cast<const void*>(&sum_backward), has_reduce, {}});
  ops.push_back({"mean", true, reinterpret_cast<const void*>(&sum_backward), has_reduce, {}});
  ops.push_back({"prod", true, reinterpret_cast<const void*>(&prod_backward), has_reduce, {}});
  ops.push_back({"cumsum", true, reinterpret_cast<const void*>(&cumsum_backward), has_cumsum, {}});
  ops.push_back(
      {"reverse_cumsum", true, reinterpret_cast<const void*>(&reverse_cumsum_backward), has_cumsum, {}});
  ops.push_back({"sum_to", true, nullptr, nullptr, "sum reshape"});
  register_extrema_ops(ops);
  register_statistics_ops(ops);
  register_softmax_ops(ops);
}

}  // namespace ops

Tensor sum(const Tensor& x, const Shape& dims, bool keepdim) {
  return ops::reduce_checked_sum("sum", x, dims, keepdim, false);
}
Tensor mean(const Tensor& x, const Shape& dims, bool keepdim) {
  return ops::reduce_checked_sum("mean", x, dims, keepdim, true);
}

Tensor prod(const Tensor& x) {
  ops::check_defined("prod", {&x});
  return ops::prod_impl(x, ops::reduction::reduced_mask("prod", {}, x.dim()), false);
}

Tensor prod(const Tensor& x, int64_t dim, bool keepdim) {
  ops::check_defined("prod", {&x});
  return ops::prod_impl(x, ops::reduction::reduced_mask("prod", {dim}, x.dim()), keepdim);
}

Tensor cumsum(const Tensor& x, int64_t dim) {
  ops::check_defined("cumsum", {&x});
  const int64_t d = ops::wrap_dim("cumsum", dim, x.dim());
  const DType dtype = is_integral(x.dtype(), true) ? kInt64 : x.dtype();
  Tensor out = ops::empty_tensor(x.shape(), dtype, x.device());
  if (x.numel() > 0) backend::kernels(x.device(), "cumsum").cumsum(out, ops::cast(x, dtype), d);
  if (ops::needs_grad({&x}))
    ops::record<ops::CumsumSaved>("CumsumBackward", ops::cumsum_backward, {d}, {&x}, {&out});
  return out;
}

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
      fail("[sum_to] cannot sum {} down to {}: dim {} has size {}, target {}", x.describe(), shape.str(), d,
           x.size(d), shape[d - lead]);
    }
  }
  if (dims.empty()) return x.reshape(shape);
  return sum(x, dims, true).reshape(shape);
}

Tensor Tensor::sum() const { return strata::sum(*this); }
Tensor Tensor::sum(const Shape& dims, bool keepdim) const { return strata::sum(*this, dims, keepdim); }
Tensor Tensor::mean() const { return strata::mean(*this); }
Tensor Tensor::mean(const Shape& dims, bool keepdim) const { return strata::mean(*this, dims, keepdim); }
Tensor Tensor::prod() const { return strata::prod(*this); }
Tensor Tensor::prod(int64_t dim, bool keepdim) const { return strata::prod(*this, dim, keepdim); }
Tensor Tensor::cumsum(int64_t dim) const { return strata::cumsum(*this, dim); }

}  // namespace strata
