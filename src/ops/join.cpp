// Joining and splitting along a dim: cat, stack, split, chunk. cat copies each input into its
// slice of the output with the copy kernel; split and chunk return views of the input.
// Dtype rule: cat and stack promote across their inputs (as torch.cat in PyTorch 1.13); the pieces
// of a split keep the input's dtype.
#include <algorithm>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ops/common.h"
#include "ops/registry.h"
#include "strata/factories.h"
#include "strata/ops.h"

namespace strata {
namespace ops {
namespace {

using Grads = autograd::TensorList;

// PyTorch still accepts (and skips) 1-d empty tensors in cat whatever the other inputs' rank.
bool legacy_empty(const Tensor& t) { return t.dim() == 1 && t.size(0) == 0; }

struct CatSaved {
  int64_t dim = 0;
  // Per input: where its slice starts in the output and how long it is (-1: skipped input).
  std::vector<int64_t> starts, lengths;
  std::vector<DType> dtypes;
  std::vector<bool> need;
};

Grads cat_backward(const CatSaved& s, const Grads& g) {
  Grads out(s.lengths.size());
  for (size_t i = 0; i < out.size(); ++i) {
    if (!s.need[i]) continue;
    if (s.lengths[i] < 0)
      out[i] = zeros({0}, {.dtype = s.dtypes[i], .device = g[0].device()});
    else
      out[i] = cast(g[0].narrow(s.dim, s.starts[i], s.lengths[i]), s.dtypes[i]);
  }
  return out;
}

struct SplitSaved {
  int64_t dim = 0;
  std::vector<int64_t> sizes;
  Shape in_shape;
};

// The pieces' gradients joined back; a piece that got none contributes zeros.
Grads split_backward(const SplitSaved& s, const Grads& g) {
  Tensor like;
  for (const Tensor& t : g)
    if (t.defined()) like = t;
  std::vector<Tensor> parts;
  for (size_t i = 0; i < s.sizes.size(); ++i) {
    if (g[i].defined()) {
      parts.push_back(g[i]);
    } else {
      Shape shape = s.in_shape;
      shape[s.dim] = s.sizes[i];
      parts.push_back(zeros(shape, {.dtype = like.dtype(), .device = like.device()}));
    }
  }
  return {cat(parts, s.dim)};
}

// Views of x, one per size, laid end to end along dim (sizes already checked to sum to its size).
std::vector<Tensor> split_views(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim) {
  std::vector<Tensor> pieces;
  pieces.reserve(sizes.size());
  int64_t start = 0;
  for (int64_t n : sizes) {
    Shape shape = x.shape();
    shape[dim] = n;
    pieces.push_back(alias(x, shape, x.strides(), x.storage_offset() + start * x.stride(dim)));
    start += n;
  }
  if (needs_grad({&x}))
    record_list<SplitSaved>("SplitBackward", split_backward, {dim, sizes, x.shape()}, {x}, pieces);
  return pieces;
}

void check_splittable(std::string_view op, const Tensor& x) {
  check_defined(op, {&x});
  if (x.dim() == 0)
    fail("[{}] cannot split a 0-d tensor ({}); it has no dim to split along", op, x.describe());
}

}  // namespace

void register_join_ops(std::vector<OpInfo>& ops) {
  auto has_copy = [](const backend::Kernels& k) { return k.copy != nullptr; };
  auto no_kernel = [](const backend::Kernels&) { return true; };  // views run no kernel
  ops.push_back({"cat", true, reinterpret_cast<const void*>(&cat_backward), has_copy, {}});
  ops.push_back({"stack", true, nullptr, nullptr, "cat unsqueeze"});
  ops.push_back({"split", true, reinterpret_cast<const void*>(&split_backward), no_kernel, {}});
  ops.push_back({"chunk", true, nullptr, nullptr, "split"});
}

}  // namespace ops

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  if (tensors.empty()) fail("[cat] expected a non-empty list of tensors");
  const Tensor* ref = nullptr;  // the first input that is not skipped; its rank rules
  size_t ref_pos = 0;
  DType dtype = kBool;
  bool any_grad = false;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (!t.defined()) fail("[cat] tensor {} of the list is undefined (a default-constructed Tensor())", i);
    if (t.dim() == 0)
      fail("[cat] tensor {} ({}) is 0-d and cannot be concatenated; unsqueeze(0) it or use stack()", i,
           t.describe());
    if (!(t.device() == tensors[0].device()))
      fail("[cat] expected all tensors on one device, but tensor 0 ({}) is on {} and tensor {} ({}) is on {}",
           tensors[0].describe(), tensors[0].device().str(), i, t.describe(), t.device().str());
    dtype = i == 0 ? t.dtype() : promote_types(dtype, t.dtype());
    any_grad = any_grad || t.requires_grad();
    if (!ref && !ops::legacy_empty(t)) {
      ref = &t;
      ref_pos = i;
    }
  }
  // All inputs 1-d and empty: nothing is skipped and the result is empty too (dim is not checked).
  const bool all_empty = ref == nullptr;
  if (all_empty) ref = &tensors[0];
  const int64_t d = all_empty ? 0 : ops::wrap_dim("cat", dim, ref->dim());
  auto skipped = [&](const Tensor& t) { return !all_empty && ops::legacy_empty(t); };

  Shape shape = ref->shape();
  shape[d] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (skipped(t)) continue;
    if (t.dim() != ref->dim())
      fail("[cat] tensors must have the same number of dims: tensor {} is {} but tensor {} is {}", ref_pos,
           ref->describe(), i, t.describe());
    for (int64_t k = 0; k < t.dim(); ++k)
      if (k != d && t.size(k) != ref->size(k))
        fail(
            "[cat] sizes must match except in dim {}: tensor {} is {} but tensor {} is {} (dim {}: {} vs {})",
            d, ref_pos, ref->describe(), i, t.describe(), k, ref->size(k), t.size(k));
    shape[d] += t.size(d);
  }

  Tensor out = ops::empty_tensor(shape, dtype, ref->device());
  ops::CatSaved saved;
  saved.dim = d;
  int64_t start = 0;
  const auto& kernels = backend::kernels(out.device(), "cat");
  for (const Tensor& t : tensors) {
    saved.dtypes.push_back(t.dtype());
    saved.need.push_back(t.requires_grad());
    if (skipped(t)) {
      saved.starts.push_back(0);
      saved.lengths.push_back(-1);
      continue;
    }
    saved.starts.push_back(start);
    saved.lengths.push_back(t.size(d));
    if (t.numel() > 0) kernels.copy(ops::alias(out, t.shape(), out.strides(), start * out.stride(d)), t);
    start += t.size(d);
  }
  if (any_grad && is_grad_enabled()) {
    std::vector<Tensor> outs{out};
    ops::record_list<ops::CatSaved>("CatBackward", ops::cat_backward, std::move(saved), tensors, outs);
    return outs[0];
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  if (tensors.empty()) fail("[stack] expected a non-empty list of tensors");
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (!tensors[i].defined())
      fail("[stack] tensor {} of the list is undefined (a default-constructed Tensor())", i);
    if (!(tensors[i].shape() == tensors[0].shape()))
      fail("[stack] expects tensors of one shape, but tensor 0 is {} and tensor {} is {}",
           tensors[0].describe(), i, tensors[i].describe());
  }
  const int64_t d = ops::wrap_dim("stack", dim, tensors[0].dim() + 1);
  std::vector<Tensor> parts;
  parts.reserve(tensors.size());
  for (const Tensor& t : tensors) parts.push_back(t.unsqueeze(d));
  return cat(parts, d);
}

std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim) {
  ops::check_splittable("split", x);
  const int64_t d = ops::wrap_dim("split", dim, x.dim());
  const int64_t n = x.size(d);
  if (split_size < 0)
    fail("[split] split_size must be non-negative, got {} for {}", split_size, x.describe());
  if (split_size == 0 && n != 0)
    fail("[split] split_size can be 0 only when the dim is empty, but dim {} of {} has size {}", d,
         x.describe(), n);
  const int64_t pieces = split_size == 0 || n == 0 ? 1 : (n - 1) / split_size + 1;
  std::vector<int64_t> sizes(static_cast<size_t>(pieces), split_size);
  sizes.back() = n - split_size * (pieces - 1);
  return ops::split_views(x, sizes, d);
}

std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim) {
  ops::check_splittable("split", x);
  const int64_t d = ops::wrap_dim("split", dim, x.dim());
  if (sizes.empty()) fail("[split] expected at least one size to split {} into", x.describe());
  int64_t total = 0;  // saturates instead of overflowing: any excess is an error anyway
  for (int64_t s : sizes) {
    if (s < 0) fail("[split] sizes must be non-negative, got {} in [{}]", s, fmt::join(sizes, ", "));
    total = s > std::numeric_limits<int64_t>::max() - total ? std::numeric_limits<int64_t>::max() : total + s;
  }
  if (total != x.size(d))
    fail("[split] sizes [{}] add up to {}, but dim {} of {} has size {}; they must add up to it exactly",
         fmt::join(sizes, ", "), total, d, x.describe(), x.size(d));
  return ops::split_views(x, sizes, d);
}

std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim) {
  ops::check_splittable("chunk", x);
  if (chunks <= 0) fail("[chunk] the number of chunks must be positive, got {} for {}", chunks, x.describe());
  const int64_t d = ops::wrap_dim("chunk", dim, x.dim());
  const int64_t n = x.size(d);
  // torch.chunk: pieces of ceil(n / chunks), so there may be fewer than `chunks` of them.
  if (n == 0) return ops::split_views(x, std::vector<int64_t>(static_cast<size_t>(chunks), 0), d);
  return split(x, (n - 1) / chunks + 1, d);
}

}  // namespace strata
