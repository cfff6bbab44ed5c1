// View ops: new sizes/strides/offset over the same storage, never a copy (reshape copies only
// when no view is possible). Each records a gradient that maps the view's gradient back.
#include <numeric>

#include "ops/common.h"
#include "ops/registry.h"
#include "strata/factories.h"
#include "strata/ops.h"

namespace strata {
namespace ops {
namespace {

using Grads = autograd::TensorList;

// A view op's node: what is needed to map the gradient back to the input's shape.
struct ViewSaved {
  Shape in_shape;
  Shape dims;  // transpose: the two dims; permute: the permutation
  int64_t dim = 0, start = 0, length = 0, step = 1;
};

Grads reshape_backward(const ViewSaved& s, const Grads& g) { return {g[0].reshape(s.in_shape)}; }
Grads transpose_backward(const ViewSaved& s, const Grads& g) {
  return {g[0].transpose(s.dims[0], s.dims[1])};
}
Grads permute_backward(const ViewSaved& s, const Grads& g) {
  Shape inverse(s.dims.size(), 0);
  for (size_t i = 0; i < s.dims.size(); ++i) inverse[s.dims[i]] = static_cast<int64_t>(i);
  return {g[0].permute(inverse)};
}
Grads expand_backward(const ViewSaved& s, const Grads& g) { return {sum_to(g[0], s.in_shape)}; }

}  // namespace

Tensor slice_backward_op(const Tensor& g, const Shape& in_shape, int64_t dim, int64_t start, int64_t step);

namespace {
Grads slice_backward(const ViewSaved& s, const Grads& g) {
  return {slice_backward_op(g[0], s.in_shape, s.dim, s.start, s.step)};
}
Grads select_backward(const ViewSaved& s, const Grads& g) {
  return {slice_backward_op(g[0].unsqueeze(s.dim), s.in_shape, s.dim, s.start, 1)};
}
// The gradient of slice_backward_op is the slice of the incoming gradient.
Grads embed_backward(const ViewSaved& s, const Grads& g) {
  return {g[0].slice(s.dim, s.start, s.start + (s.length - 1) * s.step + 1, s.step)};
}

Tensor make_view(const Tensor& x, const Shape& sizes, const Shape& strides, int64_t offset, const char* node,
                 autograd::BackwardFn<ViewSaved> backward, ViewSaved saved) {
  Tensor out = alias(x, sizes, strides, offset);
  if (needs_grad({&x})) record<ViewSaved>(node, backward, std::move(saved), {&x}, {&out});
  return out;
}

// Resolves one -1 in `shape` from numel, checking the total.
Shape infer_shape(std::string_view op, const Shape& shape, const Tensor& x) {
  Shape out = shape;
  int64_t known = 1, infer_at = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      if (infer_at >= 0) fail("[{}] only one dim can be -1, got {}", op, shape.str());
      infer_at = static_cast<int64_t>(i);
    } else if (out[i] < 0) {
      fail("[{}] invalid size {} in {}", op, out[i], shape.str());
    } else {
      known *= out[i];
    }
  }
  if (infer_at >= 0) {
    if (known == 0 || x.numel() % known != 0)
      fail("[{}] shape {} is invalid for {} ({} elements)", op, shape.str(), x.describe(), x.numel());
    out[infer_at] = x.numel() / known;
  } else if (known != x.numel()) {
    fail("[{}] shape {} has {} elements but the input {} has {}", op, shape.str(), known, x.describe(),
         x.numel());
  }
  return out;
}

// Strides for viewing x with `shape` without copying, or false when the memory layout forbids it.
// Groups of old dims that are contiguous with each other can be split or merged freely.
bool view_strides(const Tensor& x, const Shape& shape, Shape& strides) {
  strides = Shape(shape.size(), 1);
  if (x.numel() == 0 || x.is_contiguous()) {
    strides = contiguous_strides(shape);
    return true;
  }
  const Shape& old_sizes = x.shape();
  const Shape& old_strides = x.strides();
  int64_t view_d = static_cast<int64_t>(shape.size()) - 1;
  int64_t chunk_base_stride = old_strides.empty() ? 1 : old_strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = static_cast<int64_t>(old_sizes.size()) - 1; d >= 0; --d) {
    tensor_numel *= old_sizes[d];
    if (d == 0 || (old_sizes[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        strides[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return false;
      if (d > 0) {
        chunk_base_stride = old_strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  return view_d == -1;
}
}  // namespace

Tensor slice_backward_op(const Tensor& g, const Shape& in_shape, int64_t dim, int64_t start, int64_t step) {
  Tensor out = zeros(in_shape, {.dtype = g.dtype(), .device = g.device()});
  Tensor region = alias(out, g.shape(), out.strides(), start * out.stride(dim));
  region.impl().strides[dim] *= step;
  region.impl().set_shape(region.shape(), region.strides(), region.storage_offset());
  backend::kernels(g.device(), "slice_backward").copy(region, g);
  if (needs_grad({&g}))
    record<ViewSaved>("SliceBackwardBackward", embed_backward, {in_shape, {}, dim, start, g.size(dim), step},
                      {&g}, {&out});
  return out;
}

void register_view_ops(std::vector<OpInfo>& ops) {
  auto no_kernel = [](const backend::Kernels&) { return true; };  // views run no kernel
  auto has_copy = [](const backend::Kernels& k) { return k.copy != nullptr; };
  for (const char* name : {"view", "reshape", "flatten", "unflatten", "unsqueeze", "squeeze"})
    ops.push_back({name, true, reinterpret_cast<const void*>(&reshape_backward), no_kernel, {}});
  ops.push_back({"transpose", true, reinterpret_cast<const void*>(&transpose_backward), no_kernel, {}});
  ops.push_back({"permute", true, reinterpret_cast<const void*>(&permute_backward), no_kernel, {}});
  ops.push_back({"expand", true, reinterpret_cast<const void*>(&expand_backward), no_kernel, {}});
  for (const char* name : {"narrow", "slice"})
    ops.push_back({name, true, reinterpret_cast<const void*>(&slice_backward), no_kernel, {}});
  ops.push_back({"select", true, reinterpret_cast<const void*>(&select_backward), no_kernel, {}});
  ops.push_back({"slice_backward", true, reinterpret_cast<const void*>(&embed_backward), has_copy, {}});
}

}  // namespace ops

using ops::ViewSaved;

Tensor Tensor::view(const Shape& shape) const {
  const Shape sizes = ops::infer_shape("view", shape, *this);
  const Shape in_shape = this->shape();
  Shape st;
  if (!ops::view_strides(*this, sizes, st))
    fail(
        "[view] cannot view {} (strides {}) as {} without copying; use reshape() (which copies when needed) "
        "or "
        "call contiguous() first",
        describe(), strides().str(), sizes.str());
  return ops::make_view(*this, sizes, st, storage_offset(), "ViewBackward", ops::reshape_backward,
                        {in_shape, {}});
}

Tensor Tensor::reshape(const Shape& shape) const {
  const Shape sizes = ops::infer_shape("reshape", shape, *this);
  Shape st;
  if (ops::view_strides(*this, sizes, st))
    return ops::make_view(*this, sizes, st, storage_offset(), "ViewBackward", ops::reshape_backward,
                          {this->shape(), {}});
  return contiguous().view(sizes);
}

Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  if (dim() == 0) return reshape({1});
  const int64_t s = ops::wrap_dim("flatten", start_dim, dim()), e = ops::wrap_dim("flatten", end_dim, dim());
  if (s > e) fail("[flatten] start_dim {} comes after end_dim {} for {}", start_dim, end_dim, describe());
  Shape sizes;
  for (int64_t d = 0; d < s; ++d) sizes.push_back(size(d));
  int64_t merged = 1;
  for (int64_t d = s; d <= e; ++d) merged *= size(d);
  sizes.push_back(merged);
  for (int64_t d = e + 1; d < dim(); ++d) sizes.push_back(size(d));
  return reshape(sizes);
}

Tensor Tensor::unflatten(int64_t d, const Shape& sizes) const {
  d = ops::wrap_dim("unflatten", d, dim());
  Shape inner = sizes;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < inner.size(); ++i) {
    if (inner[i] == -1)
      infer = static_cast<int64_t>(i);
    else
      known *= inner[i];
  }
  if (infer >= 0 && known != 0) inner[infer] = size(d) / known;
  if (inner.numel() != size(d))
    fail("[unflatten] sizes {} do not multiply to the size {} of dim {} of {}", sizes.str(), size(d), d,
         describe());
  Shape out;
  for (int64_t i = 0; i < d; ++i) out.push_back(size(i));
  for (int64_t v : inner) out.push_back(v);
  for (int64_t i = d + 1; i < dim(); ++i) out.push_back(size(i));
  return reshape(out);
}

Tensor Tensor::unsqueeze(int64_t d) const {
  d = ops::wrap_dim("unsqueeze", d, dim() + 1);
  Shape sizes = shape(), st = strides();
  const int64_t new_stride = d < dim() ? size(d) * stride(d) : 1;
  sizes.insert(d, 1);
  st.insert(d, new_stride);
  return ops::make_view(*this, sizes, st, storage_offset(), "UnsqueezeBackward", ops::reshape_backward,
                        {shape(), {}});
}

Tensor Tensor::squeeze() const {
  Shape sizes, st;
  for (int64_t d = 0; d < dim(); ++d) {
    if (size(d) == 1) continue;
    sizes.push_back(size(d));
    st.push_back(stride(d));
  }
  return ops::make_view(*this, sizes, st, storage_offset(), "SqueezeBackward", ops::reshape_backward,
                        {shape(), {}});
}

Tensor Tensor::squeeze(int64_t d) const {
  d = ops::wrap_dim("squeeze", d, dim());
  if (dim() == 0 || size(d) != 1)
    return ops::make_view(*this, shape(), strides(), storage_offset(), "SqueezeBackward",
                          ops::reshape_backward, {shape(), {}});
  Shape sizes = shape(), st = strides();
  sizes.erase(d);
  st.erase(d);
  return ops::make_view(*this, sizes, st, storage_offset(), "SqueezeBackward", ops::reshape_backward,
                        {shape(), {}});
}

Tensor Tensor::transpose(int64_t d0, int64_t d1) const {
  d0 = ops::wrap_dim("transpose", d0, dim());
  d1 = ops::wrap_dim("transpose", d1, dim());
  Shape sizes = shape(), st = strides();
  if (dim() > 0) {
    std::swap(sizes[d0], sizes[d1]);
    std::swap(st[d0], st[d1]);
  }
  return ops::make_view(*this, sizes, st, storage_offset(), "TransposeBackward", ops::transpose_backward,
                        {shape(), {d0, d1}});
}

Tensor Tensor::t() const {
  if (dim() > 2)
    fail("[t] expects a tensor with at most 2 dims, got {}; use transpose(d0, d1) or mT()", describe());
  return dim() < 2 ? *this : transpose(0, 1);
}

Tensor Tensor::permute(const Shape& dims) const {
  if (static_cast<int64_t>(dims.size()) != dim())
    fail("[permute] got {} dims {} for {}; name every dim once", dims.size(), dims.str(), describe());
  Shape wrapped(dims.size(), 0), sizes(dims.size(), 0), st(dims.size(), 0);
  std::vector<bool> seen(dims.size(), false);
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = ops::wrap_dim("permute", dims[i], dim());
    if (seen[d]) fail("[permute] dim {} appears twice in {}", d, dims.str());
    seen[d] = true;
    wrapped[i] = d;
    sizes[i] = size(d);
    st[i] = stride(d);
  }
  return ops::make_view(*this, sizes, st, storage_offset(), "PermuteBackward", ops::permute_backward,
                        {shape(), wrapped});
}

Tensor Tensor::expand(const Shape& target) const {
  if (static_cast<int64_t>(target.size()) < dim())
    fail("[expand] target {} has fewer dims than {}", target.str(), describe());
  const int64_t lead = static_cast<int64_t>(target.size()) - dim();
  Shape sizes = target, st(target.size(), 0);
  for (int64_t i = 0; i < static_cast<int64_t>(target.size()); ++i) {
    const int64_t d = i - lead;
    if (target[i] < -1)
      fail("[expand] invalid size {} in {} (sizes are >= 0, or -1 to keep a dim)", target[i], target.str());
    if (d < 0) {
      if (target[i] < 0) fail("[expand] size -1 is not allowed for a new leading dim in {}", target.str());
      continue;
    }
    if (target[i] == -1) sizes[i] = size(d);
    if (size(d) == sizes[i]) {
      st[i] = stride(d);
    } else if (size(d) == 1) {
      st[i] = 0;
    } else {
      fail("[expand] cannot expand {} to {}: dim {} has size {} (only size-1 dims can grow)", describe(),
           target.str(), d, size(d));
    }
  }
  if (sizes == shape()) return *this;
  return ops::make_view(*this, sizes, st, storage_offset(), "ExpandBackward", ops::expand_backward,
                        {shape(), {}});
}

Tensor Tensor::slice(int64_t d, std::optional<int64_t> start, std::optional<int64_t> stop,
                     int64_t step) const {
  if (dim() == 0) fail("[slice] cannot slice a 0-d tensor ({})", describe());
  d = ops::wrap_dim("slice", d, dim());
  if (step <= 0) fail("[slice] step must be positive, got {} (reverse with flip instead)", step);
  const int64_t n = size(d);
  auto clamp_index = [n](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + n : i, 0, n); };
  const int64_t b = start ? clamp_index(*start) : 0;
  const int64_t e = std::max(b, stop ? clamp_index(*stop) : n);
  const int64_t length = e == b ? 0 : (e - b - 1) / step + 1;  // no overflow for huge steps
  Shape sizes = shape(), st = strides();
  sizes[d] = length;
  st[d] *= step;
  return ops::make_view(*this, sizes, st, storage_offset() + b * stride(d), "SliceBackward",
                        ops::slice_backward, {shape(), {}, d, b, length, step});
}

Tensor Tensor::narrow(int64_t d, int64_t start, int64_t length) const {
  if (dim() == 0) fail("[narrow] cannot narrow a 0-d tensor ({})", describe());
  d = ops::wrap_dim("narrow", d, dim());
  const int64_t n = size(d);
  if (start < 0) start += n;
  if (start < 0 || start > n || length < 0 || length > n - start)
    fail("[narrow] start {} with length {} is out of range for dim {} of size {} in {}", start, length, d, n,
         describe());
  return slice(d, start, start + length, 1);
}

Tensor Tensor::select(int64_t d, int64_t index) const {
  if (dim() == 0) fail("[select] cannot index a 0-d tensor ({}); use item()", describe());
  d = ops::wrap_dim("select", d, dim());
  const int64_t n = size(d);
  if (index < -n || index >= n)
    fail("[select] index {} is out of range for dim {} with size {} in {}", index, d, n, describe());
  if (index < 0) index += n;
  Shape sizes = shape(), st = strides();
  sizes.erase(d);
  st.erase(d);
  return ops::make_view(*this, sizes, st, storage_offset() + index * stride(d), "SelectBackward",
                        ops::select_backward, {shape(), {}, d, index, 1, 1});
}

}  // namespace strata
