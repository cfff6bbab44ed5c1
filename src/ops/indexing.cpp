// Indexing ops: index_select, gather, scatter, scatter_add, index_add, one_hot, embedding, tril,
// triu and nonzero. Shape rules follow PyTorch 1.13; a 0-d tensor acts as a 1-element 1-d one.
// Index values come from users, so every one is checked on the host before a kernel uses it to
// address memory. Gradients are written with these same ops, so they are differentiable again.
#include <algorithm>

#include "ops/common.h"
#include "ops/registry.h"
#include "strata/factories.h"
#include "strata/ops.h"

namespace strata {
namespace ops {

Tensor slice_backward_op(const Tensor& g, const Shape& in_shape, int64_t dim, int64_t start, int64_t step);

namespace {

// "(1, 2)" for an n-d position, "2" for a 1-d one.
std::string position_str(int64_t flat, const Shape& shape) {
  if (shape.size() <= 1) return std::to_string(flat);
  std::string s = ")";
  for (size_t d = shape.size(); d-- > 0;) {
    s.insert(0, (d == 0 ? "(" : ", ") + std::to_string(flat % shape[d]));
    flat /= shape[d];
  }
  return s;
}

template <typename I>
void check_values(std::string_view op, const Tensor& h, int64_t size, int64_t dim, bool allow_negative) {
  const I* v = h.data<I>();
  const int64_t lo = allow_negative ? -size : 0;
  for (int64_t i = 0; i < h.numel(); ++i) {
    const int64_t k = static_cast<int64_t>(v[i]);
    if (k >= lo && k < size) continue;
    const std::string where = h.dim() == 0 ? "" : " at position " + position_str(i, h.shape());
    if (size == 0)
      fail("[{}] index {}{} is out of range for dim {} with size 0 (an empty dim has no valid index)", op, k,
           where, dim);
    fail("[{}] index {}{} is out of range for dim {} with size {} (expected an index in [{}, {}])", op, k,
         where, dim, size, lo, size - 1);
  }
}

}  // namespace

// Throws naming the first index value outside [0, size) ([-size, size) with allow_negative).
void check_index_range(std::string_view op, const Tensor& index, int64_t size, int64_t dim,
                       bool allow_negative) {
  const Tensor h = index.to(Device::cpu()).contiguous();
  if (h.dtype() == kInt32)
    check_values<int32_t>(op, h, size, dim, allow_negative);
  else
    check_values<int64_t>(op, h, size, dim, allow_negative);
}

namespace {

using autograd::SavedTensor;
using Grads = autograd::TensorList;

void check_index_dtype(std::string_view op, const Tensor& index, bool allow_int32) {
  if (index.dtype() == kInt64 || (allow_int32 && index.dtype() == kInt32)) return;
  fail("[{}] index must be an {} tensor, got {}; convert with .to(strata::kInt64)", op,
       allow_int32 ? "int64 or int32" : "int64", index.describe());
}

void check_vector_index(std::string_view op, const Tensor& index) {
  if (index.dim() > 1)
    fail("[{}] index must be 0-d or 1-d (a list of positions), got {}; flatten it first", op,
         index.describe());
}

// The kernels want at least one dim: a 0-d tensor is passed as its 1-element 1-d alias.
Tensor at_least_1d(const Tensor& t) { return t.dim() == 0 ? alias(t, {1}, {1}, t.storage_offset()) : t; }
Shape shape_1d(const Tensor& t) { return t.dim() == 0 ? Shape{1} : t.shape(); }

// A fresh copy of x, for the ops that write into a copy.
Tensor copy_of(std::string_view op, const Tensor& x) {
  Tensor out = empty_tensor(x.shape(), x.dtype(), x.device());
  backend::kernels(x.device(), op.data()).copy(out, x);
  return out;
}

// Zero-pads (or reshapes a 0-d/1-element mismatch of) a gradient of index's shape to `shape`.
Tensor pad_to(Tensor t, const Shape& shape) {
  if (t.dim() != static_cast<int64_t>(shape.size())) t = t.reshape(t.dim() == 0 ? Shape{1} : Shape{});
  for (size_t d = 0; d < shape.size(); ++d) {
    if (t.size(static_cast<int64_t>(d)) == shape[d]) continue;
    Shape padded = t.shape();
    padded[d] = shape[d];
    t = slice_backward_op(t, padded, static_cast<int64_t>(d), 0, 1);
  }
  return t;
}

struct IndexSaved {
  SavedTensor index;
  Shape self_shape, src_shape;
  int64_t dim = 0;
  bool need_self = false, need_src = false;
};

Grads index_select_backward(const IndexSaved& s, const Grads& g) {
  const Tensor index = s.index.unpack("IndexSelectBackward", "index");
  return {
      index_add(zeros(s.self_shape, {.dtype = g[0].dtype(), .device = g[0].device()}), s.dim, index, g[0])};
}

Grads index_add_backward(const IndexSaved& s, const Grads& g) {
  Tensor gsrc;
  if (s.need_src) {
    const Tensor index = s.index.unpack("IndexAddBackward", "index");
    const Tensor g1 = g[0].dim() == 0 ? g[0].reshape({1}) : g[0];
    gsrc = index_select(g1, s.dim, index).reshape(s.src_shape);
  }
  return {s.need_self ? g[0] : Tensor(), gsrc};
}

Grads gather_backward(const IndexSaved& s, const Grads& g) {
  const Tensor index = s.index.unpack("GatherBackward", "index");
  return {
      scatter_add(zeros(s.self_shape, {.dtype = g[0].dtype(), .device = g[0].device()}), s.dim, index, g[0])};
}

Tensor scatter_src_grad(const IndexSaved& s, const Tensor& g, const Tensor& index) {
  return s.need_src ? pad_to(gather(g, s.dim, index), s.src_shape) : Tensor();
}

Grads scatter_backward(const IndexSaved& s, const Grads& g) {
  const Tensor index = s.index.unpack("ScatterBackward", "index");
  Tensor gself;
  if (s.need_self)  // overwritten positions get no gradient
    gself =
        scatter(g[0], s.dim, index, zeros(index.shape(), {.dtype = g[0].dtype(), .device = g[0].device()}));
  return {gself, scatter_src_grad(s, g[0], index)};
}

Grads scatter_add_backward(const IndexSaved& s, const Grads& g) {
  const Tensor index = s.index.unpack("ScatterAddBackward", "index");
  return {s.need_self ? g[0] : Tensor(), scatter_src_grad(s, g[0], index)};
}

Grads embedding_backward(const IndexSaved& s, const Grads& g) {
  const Tensor indices = s.index.unpack("EmbeddingBackward", "indices");
  const int64_t n = indices.numel(), width = s.self_shape[1];
  return {index_add(zeros(s.self_shape, {.dtype = g[0].dtype(), .device = g[0].device()}), 0,
                    indices.reshape({n}), g[0].reshape({n, width}))};
}

struct TriSaved {
  int64_t diagonal = 0;
};
Grads tril_backward(const TriSaved& s, const Grads& g) { return {tril(g[0], s.diagonal)}; }
Grads triu_backward(const TriSaved& s, const Grads& g) { return {triu(g[0], s.diagonal)}; }

// Checks shared by gather, scatter and scatter_add: ranks agree (0-d counting as 1-d), index fits
// in `src` everywhere and in `x` except along dim. Returns the wrapped dim.
int64_t check_gather_shapes(std::string_view op, const Tensor& x, int64_t dim, const Tensor& index,
                            const Tensor* src) {
  check_index_dtype(op, index, false);
  const Shape xs = shape_1d(x), is = shape_1d(index);
  if (xs.size() != is.size())
    fail("[{}] index must have as many dims as the input: got index {} for input {}", op, index.describe(),
         x.describe());
  const int64_t d = wrap_dim(op, dim, x.dim());
  if (src) {
    const Shape ss = shape_1d(*src);
    if (ss.size() != is.size())
      fail("[{}] src must have as many dims as index: got src {} and index {}", op, src->describe(),
           index.describe());
    for (size_t k = 0; k < is.size(); ++k)
      if (is[k] > ss[k])
        fail("[{}] index {} is larger than src {} at dim {} ({} > {}); index may not exceed src in any dim",
             op, index.describe(), src->describe(), k, is[k], ss[k]);
  }
  for (size_t k = 0; k < is.size(); ++k)
    if (static_cast<int64_t>(k) != d && is[k] > xs[k])
      fail("[{}] index {} is larger than the input {} at dim {} ({} > {}); only dim {} may be larger", op,
           index.describe(), x.describe(), k, is[k], xs[k], d);
  check_index_range(op, index, xs[d], d, false);
  return d;
}

Tensor scatter_impl(std::string_view op, const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src,
                    bool accumulate) {
  check_defined(op, {&x, &index, &src});
  check_same_device(op, {&x, &index, &src});
  if (src.dtype() != x.dtype())
    fail("[{}] src {} must have the dtype of the input {}; convert it with .to()", op, src.describe(),
         x.describe());
  const int64_t d = check_gather_shapes(op, x, dim, index, &src);
  Tensor out = copy_of(op, x);
  backend::kernels(x.device(), op.data())
      .scatter(at_least_1d(out), d, at_least_1d(index), at_least_1d(src), accumulate);
  if (needs_grad({&x, &src})) {
    IndexSaved saved{SavedTensor::input(index), x.shape(),          src.shape(), d,
                     x.requires_grad(),         src.requires_grad()};
    if (accumulate)
      record<IndexSaved>("ScatterAddBackward", scatter_add_backward, saved, {&x, &src}, {&out});
    else
      record<IndexSaved>("ScatterBackward", scatter_backward, saved, {&x, &src}, {&out});
  }
  return out;
}

Tensor tri_impl(std::string_view op, const Tensor& x, int64_t diagonal, bool upper) {
  check_defined(op, {&x});
  if (x.dim() < 2)
    fail("[{}] expected a matrix or a batch of matrices (at least 2 dims), got {}", op, x.describe());
  Tensor out = empty_tensor(x.shape(), x.dtype(), x.device());
  backend::kernels(x.device(), op.data()).tril_triu(out, x, diagonal, upper);
  if (needs_grad({&x}))
    record<TriSaved>(upper ? "TriuBackward" : "TrilBackward", upper ? triu_backward : tril_backward,
                     {diagonal}, {&x}, {&out});
  return out;
}

}  // namespace

void register_indexing_ops(std::vector<OpInfo>& ops) {
  auto fn = [](auto f) { return reinterpret_cast<const void*>(f); };
  ops.push_back({"index_select",
                 true,
                 fn(&index_select_backward),
                 [](const backend::Kernels& k) { return k.index_select != nullptr; },
                 {}});
  ops.push_back({"index_add",
                 true,
                 fn(&index_add_backward),
                 [](const backend::Kernels& k) { return k.index_add != nullptr && k.copy != nullptr; },
                 {}});
  ops.push_back({"gather",
                 true,
                 fn(&gather_backward),
                 [](const backend::Kernels& k) { return k.gather != nullptr; },
                 {}});
  auto has_scatter = [](const backend::Kernels& k) { return k.scatter != nullptr && k.copy != nullptr; };
  ops.push_back({"scatter", true, fn(&scatter_backward), has_scatter, {}});
  ops.push_back({"scatter_add", true, fn(&scatter_add_backward), has_scatter, {}});
  ops.push_back({"one_hot", false, nullptr, has_scatter, {}});
  ops.push_back({"embedding",
                 true,
                 fn(&embedding_backward),
                 [](const backend::Kernels& k) { return k.index_select != nullptr; },
                 {}});
  auto has_tri = [](const backend::Kernels& k) { return k.tril_triu != nullptr; };
  ops.push_back({"tril", true, fn(&tril_backward), has_tri, {}});
  ops.push_back({"triu", true, fn(&triu_backward), has_tri, {}});
  // nonzero compares with 0 on the device, then reads the mask on the host (no kernel of its own).
  ops.push_back(
      {"nonzero", false, nullptr, [](const backend::Kernels& k) { return k.binary != nullptr; }, {}});
  ops.push_back({"index", true, nullptr, nullptr, "select slice unsqueeze reshape index_select view"});
  ops.push_back({"index_put_", true, nullptr, nullptr, "reshape expand scatter view"});
}

}  // namespace ops

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  constexpr std::string_view op = "index_select";
  ops::check_defined(op, {&x, &index});
  ops::check_same_device(op, {&x, &index});
  ops::check_index_dtype(op, index, true);
  ops::check_vector_index(op, index);
  const int64_t d = ops::wrap_dim(op, dim, x.dim());
  ops::check_index_range(op, index, ops::shape_1d(x)[d], d, false);
  Shape out_shape = x.shape();
  if (x.dim() == 0) {
    if (index.numel() != 1)
      fail("[index_select] a 0-d input {} takes exactly one index, got {}", x.describe(), index.describe());
  } else {
    out_shape[d] = index.numel();
  }
  Tensor out = ops::empty_tensor(out_shape, x.dtype(), x.device());
  backend::kernels(x.device(), op.data())
      .index_select(ops::at_least_1d(out), ops::at_least_1d(x), d, ops::at_least_1d(index));
  if (ops::needs_grad({&x}))
    ops::record<ops::IndexSaved>("IndexSelectBackward", ops::index_select_backward,
                                 {ops::SavedTensor::input(index), x.shape(), {}, d, true, false}, {&x},
                                 {&out});
  return out;
}

Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  constexpr std::string_view op = "index_add";
  ops::check_defined(op, {&x, &index, &src});
  ops::check_same_device(op, {&x, &index, &src});
  ops::check_index_dtype(op, index, true);
  ops::check_vector_index(op, index);
  if (src.dtype() != x.dtype())
    fail("[index_add] src {} must have the dtype of the input {}; convert it with .to()", src.describe(),
         x.describe());
  const int64_t d = ops::wrap_dim(op, dim, x.dim());
  Shape expected = ops::shape_1d(x);
  expected[d] = index.numel();
  const bool fits = x.dim() == 0 ? src.dim() <= 1 && src.numel() == index.numel() : src.shape() == expected;
  if (!fits)
    fail("[index_add] src {} must have the shape {} (the input {} with dim {} sized by the {} indices)",
         src.describe(), expected.str(), x.describe(), d, index.numel());
  ops::check_index_range(op, index, ops::shape_1d(x)[d], d, false);
  Tensor out = ops::copy_of(op, x);
  backend::kernels(x.device(), op.data())
      .index_add(ops::at_least_1d(out), d, ops::at_least_1d(index), ops::at_least_1d(src));
  if (ops::needs_grad({&x, &src}))
    ops::record<ops::IndexSaved>(
        "IndexAddBackward", ops::index_add_backward,
        {ops::SavedTensor::input(index), x.shape(), src.shape(), d, x.requires_grad(), src.requires_grad()},
        {&x, &src}, {&out});
  return out;
}

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  constexpr std::string_view op = "gather";
  ops::check_defined(op, {&x, &index});
  ops::check_same_device(op, {&x, &index});
  const int64_t d = ops::check_gather_shapes(op, x, dim, index, nullptr);
  Tensor out = ops::empty_tensor(index.shape(), x.dtype(), x.device());
  backend::kernels(x.device(), op.data())
      .gather(ops::at_least_1d(out), ops::at_least_1d(x), d, ops::at_least_1d(index));
  if (ops::needs_grad({&x}))
    ops::record<ops::IndexSaved>("GatherBackward", ops::gather_backward,
                                 {ops::SavedTensor::input(index), x.shape(), {}, d, true, false}, {&x},
                                 {&out});
  return out;
}

Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  return ops::scatter_impl("scatter", x, dim, index, src, false);
}

Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  return ops::scatter_impl("scatter_add", x, dim, index, src, true);
}

Tensor one_hot(const Tensor& indices, int64_t num_classes) {
  constexpr std::string_view op = "one_hot";
  ops::check_defined(op, {&indices});
  if (indices.dtype() != kInt64)
    fail(
        "[one_hot] indices must be an int64 tensor of class indices, got {}; convert with "
        ".to(strata::kInt64)",
        indices.describe());
  if (num_classes < -1)
    fail("[one_hot] num_classes must be positive, or -1 to infer it from the data, got {}", num_classes);
  if (indices.numel() == 0 && num_classes <= 0)
    fail("[one_hot] cannot infer the number of classes from the empty tensor {}; pass num_classes > 0",
         indices.describe());
  const Tensor h = indices.to(Device::cpu()).contiguous();
  const int64_t* v = h.data<int64_t>();
  int64_t max_value = -1;
  for (int64_t i = 0; i < h.numel(); ++i) {
    if (v[i] < 0)
      fail("[one_hot] class values must be non-negative, got {} at position {} of {}", v[i],
           ops::position_str(i, h.shape()), indices.describe());
    if (num_classes >= 0 && v[i] >= num_classes)
      fail(
          "[one_hot] class value {} at position {} is out of range for num_classes {} (expected a value in "
          "[0, {}])",
          v[i], ops::position_str(i, h.shape()), num_classes, num_classes - 1);
    max_value = std::max(max_value, v[i]);
  }
  const int64_t classes = num_classes >= 0 ? num_classes : max_value + 1;
  Shape out_shape = indices.shape();
  out_shape.push_back(classes);
  Tensor out = zeros(out_shape, {.dtype = kInt64, .device = indices.device()});
  // Each index becomes a run of length 1 along the new last dim, and a 1 is scattered there.
  const Tensor idx = indices.contiguous();
  Shape run_shape = idx.shape(), run_strides = idx.strides();
  run_shape.push_back(1);
  run_strides.push_back(1);
  const Tensor runs = ops::alias(idx, run_shape, run_strides, idx.storage_offset());
  const Tensor one = ones(run_shape, {.dtype = kInt64, .device = indices.device()});
  backend::kernels(indices.device(), op.data()).scatter(out, out.dim() - 1, runs, one, false);
  return out;
}

Tensor embedding(const Tensor& weight, const Tensor& indices) {
  constexpr std::string_view op = "embedding";
  ops::check_defined(op, {&weight, &indices});
  ops::check_same_device(op, {&weight, &indices});
  if (weight.dim() != 2)
    fail("[embedding] weight must be 2-d [num_embeddings, embedding_dim], got {}", weight.describe());
  if (indices.dtype() != kInt64 && indices.dtype() != kInt32)
    fail("[embedding] indices must be an int64 or int32 tensor, got {}; convert with .to(strata::kInt64)",
         indices.describe());
  ops::check_index_range(op, indices, weight.size(0), 0, false);
  const int64_t n = indices.numel(), width = weight.size(1);
  Shape out_shape = indices.shape();
  out_shape.push_back(width);
  Tensor out = ops::empty_tensor(out_shape, weight.dtype(), weight.device());
  const Tensor flat = indices.contiguous();
  backend::kernels(weight.device(), op.data())
      .index_select(ops::alias(out, {n, width}, {width, 1}, 0), weight, 0,
                    ops::alias(flat, {n}, {1}, flat.storage_offset()));
  if (ops::needs_grad({&weight}))
    ops::record<ops::IndexSaved>("EmbeddingBackward", ops::embedding_backward,
                                 {ops::SavedTensor::input(indices), weight.shape(), {}, 0, true, false},
                                 {&weight}, {&out});
  return out;
}

Tensor tril(const Tensor& x, int64_t diagonal) { return ops::tri_impl("tril", x, diagonal, false); }
Tensor triu(const Tensor& x, int64_t diagonal) { return ops::tri_impl("triu", x, diagonal, true); }

Tensor nonzero(const Tensor& x) {
  ops::check_defined("nonzero", {&x});
  NoGradGuard no_grad;
  const Tensor mask = (x.dtype() == kBool ? x : x != 0).to(Device::cpu()).contiguous();
  const bool* m = mask.data<bool>();
  int64_t count = 0;
  for (int64_t i = 0; i < mask.numel(); ++i) count += m[i] ? 1 : 0;
  const int64_t nd = x.dim();
  Tensor out = ops::empty_tensor({count, nd}, kInt64, Device::cpu());
  int64_t* o = out.data<int64_t>();
  std::vector<int64_t> pos(static_cast<size_t>(nd), 0);
  for (int64_t i = 0; i < mask.numel(); ++i) {
    if (m[i]) o = std::copy(pos.begin(), pos.end(), o);
    for (int64_t d = nd - 1; d >= 0; --d) {  // advance the row-major counter
      if (++pos[d] < x.size(d)) break;
      pos[d] = 0;
    }
  }
  return out.to(x.device());
}

}  // namespace strata
