// Matrix products: mm, bmm, matmul (torch.matmul's rank rules with batch broadcasting) and linear.
// Dtype rule: both operands must have one dtype; products never promote (as PyTorch). Every
// product runs the bmm kernel on 3-d views of its operands: broadcast batch dims become stride-0
// views rather than copies, and an N-d @ 2-d product is folded into one large matrix product.
#include <optional>

#include "ops/common.h"
#include "ops/registry.h"
#include "strata/factories.h"
#include "strata/ops.h"

namespace strata {
namespace ops {
namespace {

using autograd::SavedTensor;
using Grads = autograd::TensorList;

void check_operands(std::string_view op, const Tensor& a, const Tensor& b) {
  check_defined(op, {&a, &b});
  check_same_device(op, {&a, &b});
  if (a.dtype() != b.dtype())
    fail(
        "[{}] dtype mismatch: {} @ {}: matrix products do not promote, so both operands need one dtype; "
        "convert one with .to(), e.g. both to {}",
        op, a.describe(), b.describe(), dtype_name(promote_types(a.dtype(), b.dtype())));
  const DType d = a.dtype();
  if (d == kBool || d == kFloat16 || d == kBFloat16)
    fail("[{}] is not implemented for dtype {}: {} @ {}; convert both with .to(strata::kFloat32)", op,
         dtype_name(d), a.describe(), b.describe());
}

[[noreturn]] void size_mismatch(std::string_view op, const Tensor& a, const Tensor& b, int64_t a_dim,
                                int64_t b_dim) {
  fail("[{}] size mismatch: {} @ {}: {} (dim {} of the first) != {} (dim {} of the second)", op, a.describe(),
       b.describe(), a.size(a_dim), a_dim, b.size(b_dim), b_dim);
}

// The single stride that walks dims [begin, end) of (sizes, strides) as one flattened dim, if
// there is one; size-1 dims do not constrain it.
std::optional<int64_t> merged_stride(const Shape& sizes, const Shape& strides, size_t begin, size_t end) {
  std::optional<int64_t> inner;
  int64_t span = 1;  // elements covered by the dims already merged (inner ones)
  for (size_t d = end; d-- > begin;) {
    if (sizes[d] == 1) continue;
    if (!inner) {
      inner = strides[d];
    } else if (strides[d] != *inner * span) {
      return std::nullopt;
    }
    span *= sizes[d];
  }
  return inner ? inner : std::optional<int64_t>(0);
}

// Strides of t's batch dims aligned to (and broadcast to) `batch`: 0 where t is broadcast.
Shape batch_strides(const Tensor& t, const Shape& batch) {
  Shape st(batch.size(), 0);
  const int64_t lead = static_cast<int64_t>(batch.size()) - (t.dim() - 2);
  for (int64_t d = 0; d < t.dim() - 2; ++d)
    if (t.shape()[d] != 1) st[d + lead] = t.strides()[d];
  return st;
}

// t ([batch..., R, C] up to broadcasting) as the 3-d [prod(batch), R, C] operand of the kernel,
// without an autograd link. Copies only when its batch dims cannot be walked with one stride.
Tensor operand_3d(const Tensor& t, const Shape& batch) {
  const int64_t R = t.size(-2), C = t.size(-1), n = batch.numel();
  const Shape st = batch_strides(t, batch);
  if (auto s = merged_stride(batch, st, 0, batch.size()))
    return alias(t, {n, R, C}, {*s, t.stride(-2), t.stride(-1)}, t.storage_offset());
  Shape sizes = batch, strides = st;
  sizes.push_back(R);
  sizes.push_back(C);
  strides.push_back(t.stride(-2));
  strides.push_back(t.stride(-1));
  const Tensor c = alias(t, sizes, strides, t.storage_offset()).contiguous();
  return alias(c, {n, R, C}, {R * C, C, 1}, c.storage_offset());
}

// out = a @ b for checked operands of at least 2 dims each; `out_shape` is the result's shape
// (matmul may drop the dims it added for 1-d operands). Records nothing.
Tensor product(const char* op, const Tensor& a, const Tensor& b, const Shape& out_shape) {
  const int64_t M = a.size(-2), K = a.size(-1), N = b.size(-1);
  Tensor out = empty_tensor(out_shape, a.dtype(), a.device());
  if (out.numel() == 0) return out;
  const auto& k = backend::kernels(a.device(), op);
  if (a.dim() == 2 && b.dim() == 2 && out.dim() == 2) {
    k.bmm(out, a, b, Tensor(), false, false);
    return out;
  }
  // [batch..., M, K] @ [K, N]: one [batch*M, K] @ [K, N] product when a's rows allow it.
  if (b.dim() == 2 && a.dim() > 2) {
    if (auto rs = merged_stride(a.shape(), a.strides(), 0, a.shape().size() - 1)) {
      int64_t rows = 1;
      for (int64_t d = 0; d < a.dim() - 1; ++d) rows *= a.shape()[d];
      k.bmm(alias(out, {rows, N}, {N, 1}, 0), alias(a, {rows, K}, {*rs, a.stride(-1)}, a.storage_offset()), b,
            Tensor(), false, false);
      return out;
    }
  }
  Shape batch_a, batch_b;
  for (int64_t d = 0; d < a.dim() - 2; ++d) batch_a.push_back(a.shape()[d]);
  for (int64_t d = 0; d < b.dim() - 2; ++d) batch_b.push_back(b.shape()[d]);
  const Shape batch = broadcast_shapes(op, batch_a, batch_b);
  k.bmm(alias(out, {batch.numel(), M, N}, {M * N, N, 1}, 0), operand_3d(a, batch), operand_3d(b, batch),
        Tensor(), false, false);
  return out;
}

struct ProductSaved {
  SavedTensor a, b;
  Shape a_shape, b_shape;
  bool need_a = false, need_b = false;
};

ProductSaved save_operands(const Tensor& a, const Tensor& b) {
  ProductSaved s;
  s.a_shape = a.shape();
  s.b_shape = b.shape();
  s.need_a = a.requires_grad();
  s.need_b = b.requires_grad();
  if (s.need_b) s.a = SavedTensor::input(a);  // each gradient reads the other operand
  if (s.need_a) s.b = SavedTensor::input(b);
  return s;
}

Grads mm_backward(const ProductSaved& s, const Grads& g) {
  Tensor ga, gb;
  if (s.need_a) ga = mm(g[0], s.b.unpack("MmBackward", "mat2").t());
  if (s.need_b) gb = mm(s.a.unpack("MmBackward", "self").t(), g[0]);
  return {ga, gb};
}

Grads bmm_backward(const ProductSaved& s, const Grads& g) {
  Tensor ga, gb;
  if (s.need_a) ga = bmm(g[0], s.b.unpack("BmmBackward", "mat2").transpose(1, 2));
  if (s.need_b) gb = bmm(s.a.unpack("BmmBackward", "self").transpose(1, 2), g[0]);
  return {ga, gb};
}

// [batch..., R, C] -> [batch * R, C] (spelled out: -1 cannot be inferred when C is 0).
Tensor rows_of(const Tensor& t) {
  int64_t rows = 1;
  for (int64_t d = 0; d < t.dim() - 1; ++d) rows *= t.size(d);
  return t.reshape({rows, t.size(-1)});
}

Tensor reshape_to(const Tensor& t, const Shape& shape) { return t.shape() == shape ? t : t.reshape(shape); }

// Every matmul case as a batched matrix product: 1-d operands get back the dim matmul removed,
// and the gradient of a broadcast operand is summed over the batch dims it was broadcast along.
Grads matmul_backward(const ProductSaved& s, const Grads& g) {
  const bool a_vec = s.a_shape.size() == 1, b_vec = s.b_shape.size() == 1;
  Tensor g2 = g[0];
  if (b_vec) g2 = g2.unsqueeze(-1);
  if (a_vec) g2 = g2.unsqueeze(-2);
  Tensor ga, gb;
  if (s.need_a) {
    Tensor b = s.b.unpack("MatmulBackward", "other");
    if (b_vec) b = b.unsqueeze(-1);
    const Shape a2_shape = a_vec ? Shape{1, s.a_shape[0]} : s.a_shape;
    ga = reshape_to(sum_to(matmul(g2, b.mT()), a2_shape), s.a_shape);
  }
  if (s.need_b) {
    Tensor a = s.a.unpack("MatmulBackward", "self");
    if (a_vec) a = a.unsqueeze(0);
    const Shape b2_shape = b_vec ? Shape{s.b_shape[0], 1} : s.b_shape;
    Tensor gb2;
    if (b2_shape.size() == 2 && a.dim() > 2) {
      // b was shared by every batch: one [K, batch*M] @ [batch*M, N] product sums them all.
      gb2 = mm(rows_of(a).t(), rows_of(g2));
    } else {
      gb2 = sum_to(matmul(a.mT(), g2), b2_shape);
    }
    gb = reshape_to(gb2, s.b_shape);
  }
  return {ga, gb};
}

// ---- linear ----

struct LinearSaved {
  SavedTensor x, weight;
  Shape x_shape;
  int64_t out_features = 0;
  int64_t bias_numel = 0;
  int bias_dim = -1;  // -1: no bias
  DType dtype = kFloat32;
  bool weight_1d = false;
  bool need_x = false, need_weight = false, need_bias = false;

  // x's shape with in_features replaced by out_features (dropped for a 1-d weight).
  Shape product_shape() const {
    Shape p = x_shape;
    p.resize(p.size() - 1);
    if (!weight_1d) p.push_back(out_features);
    return p;
  }
  Shape bias_shape() const { return bias_dim == 0 ? Shape{} : Shape{bias_numel}; }
  // The product's rows: x's leading dims merged.
  int64_t rows() const {
    int64_t r = 1;
    for (size_t d = 0; d + 1 < x_shape.size(); ++d) r *= x_shape[d];
    return r;
  }
  // Whether `g` has the product's shape (for a 2-d weight).
  bool is_product_shape(const Shape& g) const {
    if (g.size() != x_shape.size() || g.back() != out_features) return false;
    for (size_t d = 0; d + 1 < g.size(); ++d)
      if (g[d] != x_shape[d]) return false;
    return true;
  }
};

// x as the [rows, in_features] operand of the product, without an autograd link: a view when its
// leading dims merge into one, else a contiguous copy.
Tensor rows_operand(const Tensor& x, int64_t rows) {
  if (x.dim() == 2) return x;
  const int64_t k = x.size(-1);
  if (auto rs = merged_stride(x.shape(), x.strides(), 0, x.shape().size() - 1))
    return alias(x, {rows, k}, {*rs, x.stride(-1)}, x.storage_offset());
  NoGradGuard no_grad;
  const Tensor c = x.contiguous();
  return alias(c, {rows, k}, {k, 1}, c.storage_offset());
}

// The gradients of linear_backward straight from the kernels, for a backward that records nothing
// (the common case): the same two products and one sum, without the checks, views and nodes of
// the public ops. For a 2-d weight and an output gradient of the product's shape and dtype.
Grads linear_backward_kernels(const LinearSaved& s, const Tensor& go, const Tensor& w, const Tensor& x) {
  const auto& kernels = backend::kernels(go.device(), "LinearBackward");
  const int64_t n = s.out_features, k = s.x_shape.back(), rows = s.rows();
  const Tensor g_rows = rows_operand(go, rows);
  Tensor gx, gw, gb;
  if (s.need_x) {  // g @ weight
    gx = empty_tensor(s.x_shape, s.dtype, go.device());
    if (gx.numel() > 0)
      kernels.bmm(gx.dim() == 2 ? gx : alias(gx, {rows, k}, {k, 1}, 0), g_rows, w, Tensor(), false, false);
  }
  if (s.need_weight) {  // g^T @ x, over all rows
    gw = empty_tensor({n, k}, s.dtype, go.device());
    if (gw.numel() > 0) kernels.bmm(gw, g_rows, rows_operand(x, rows), Tensor(), true, false);
  }
  if (s.need_bias) {  // g summed over its rows
    gb = empty_tensor({n}, s.dtype, go.device());
    if (gb.numel() > 0) kernels.reduce(backend::ReduceOp::Sum, alias(gb, {1, n}, {n, 1}, 0), g_rows);
  }
  Grads grads(3);  // moved in: an initializer list would copy each handle
  grads[0] = std::move(gx);
  grads[1] = std::move(gw);
  grads[2] = std::move(gb);
  return grads;
}

// out = x @ weight^T + bias, so: grad_x = g @ weight, grad_weight = g^T @ x over all rows of x, and
// grad_bias = g summed over every dim but the last. A 1-d weight ([in_features]) gives an output
// without the feature dim: grad_x = g[..., None] * weight, grad_weight = g over rows @ x rows. (A
// 0-d product plus a bias of shape [1] is broadcast to [1]; its gradient is summed back first.)
// Written with public ops, so that a create_graph backward can differentiate it.
Grads linear_backward(const LinearSaved& s, const Grads& g) {
  const Tensor w = s.need_x ? s.weight.unpack("LinearBackward", "weight") : Tensor();
  const Tensor x = s.need_weight ? s.x.unpack("LinearBackward", "input") : Tensor();
  if (!is_grad_enabled() && !s.weight_1d && s.is_product_shape(g[0].shape()) && g[0].dtype() == s.dtype &&
      (!s.need_bias || (s.bias_dim == 1 && s.bias_numel == s.out_features)))
    return linear_backward_kernels(s, g[0], w, x);
  Tensor gx, gw, gb;
  if (s.need_x || s.need_weight) {
    const Shape product_shape = s.product_shape();
    const Tensor go = reshape_to(sum_to(g[0], product_shape), product_shape);
    const bool w_1d = s.weight_1d;
    if (s.need_x) gx = w_1d ? go.unsqueeze(-1) * w : matmul(go, w);
    if (s.need_weight) {
      const Tensor x_rows = x.dim() == 2 ? x : rows_of(x.dim() == 1 ? x.unsqueeze(0) : x);
      const int64_t rows = x_rows.size(0);
      gw =
          w_1d ? matmul(reshape_to(go, {rows}), x_rows) : mm(reshape_to(go, {rows, go.size(-1)}).t(), x_rows);
    }
  }
  if (s.need_bias) {
    const Tensor& go = g[0];
    if (go.dim() > 1 && s.bias_dim == 1 && s.bias_numel == go.size(-1)) {
      Shape lead;
      for (int64_t d = 0; d + 1 < go.dim(); ++d) lead.push_back(d);
      gb = sum(go, lead);
    } else {
      gb = sum_to(go, s.bias_shape());
    }
  }
  return {gx, gw, gb};
}

}  // namespace

void register_linalg_ops(std::vector<OpInfo>& ops) {
  auto has_bmm = [](const backend::Kernels& k) { return k.bmm != nullptr; };
  ops.push_back({"mm", true, reinterpret_cast<const void*>(&mm_backward), has_bmm, {}});
  ops.push_back({"bmm", true, reinterpret_cast<const void*>(&bmm_backward), has_bmm, {}});
  ops.push_back({"matmul", true, reinterpret_cast<const void*>(&matmul_backward), has_bmm, {}});
  ops.push_back({"linear", true, reinterpret_cast<const void*>(&linear_backward), has_bmm, {}});
}

}  // namespace ops

using ops::ProductSaved;

Tensor mm(const Tensor& a, const Tensor& b) {
  ops::check_operands("mm", a, b);
  if (a.dim() != 2 || b.dim() != 2)
    fail("[mm] expects two 2-d matrices, got {} @ {}; use matmul() for vectors and batches", a.describe(),
         b.describe());
  if (a.size(1) != b.size(0)) ops::size_mismatch("mm", a, b, -1, -2);
  Tensor out = ops::product("mm", a, b, {a.size(0), b.size(1)});
  if (ops::needs_grad({&a, &b}))
    ops::record<ProductSaved>("MmBackward", ops::mm_backward, ops::save_operands(a, b), {&a, &b}, {&out});
  return out;
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  ops::check_operands("bmm", a, b);
  if (a.dim() != 3 || b.dim() != 3)
    fail("[bmm] expects two 3-d batches of matrices, got {} @ {}; use matmul() to broadcast batch dims",
         a.describe(), b.describe());
  if (a.size(0) != b.size(0))
    fail(
        "[bmm] batch size mismatch: {} @ {}: {} (dim 0 of the first) != {} (dim 0 of the second); bmm does "
        "not broadcast, matmul() does",
        a.describe(), b.describe(), a.size(0), b.size(0));
  if (a.size(2) != b.size(1)) ops::size_mismatch("bmm", a, b, -1, -2);
  Tensor out = ops::product("bmm", a, b, {a.size(0), a.size(1), b.size(2)});
  if (ops::needs_grad({&a, &b}))
    ops::record<ProductSaved>("BmmBackward", ops::bmm_backward, ops::save_operands(a, b), {&a, &b}, {&out});
  return out;
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  ops::check_operands("matmul", a, b);
  if (a.dim() == 0 || b.dim() == 0)
    fail("[matmul] both operands need at least 1 dim, got {} @ {}; multiply by a 0-d tensor with mul()",
         a.describe(), b.describe());
  const bool a_vec = a.dim() == 1, b_vec = b.dim() == 1;
  if (a.size(-1) != b.size(b_vec ? -1 : -2)) ops::size_mismatch("matmul", a, b, -1, b_vec ? -1 : -2);
  // Batch dims must broadcast; checked here so that the error names both operands.
  Shape out_shape;
  const int64_t nba = std::max<int64_t>(a.dim() - 2, 0), nbb = std::max<int64_t>(b.dim() - 2, 0);
  const int64_t nb = std::max(nba, nbb);
  for (int64_t i = 0; i < nb; ++i) {
    const int64_t da = i < nb - nba ? 1 : a.size(i - (nb - nba));
    const int64_t db = i < nb - nbb ? 1 : b.size(i - (nb - nbb));
    if (da != db && da != 1 && db != 1)
      fail(
          "[matmul] batch dims do not broadcast: {} @ {}: batch dim {} has sizes {} and {} (each must be "
          "equal or 1)",
          a.describe(), b.describe(), i - nb, da, db);
    out_shape.push_back(da == 1 ? db : da);
  }
  if (!a_vec) out_shape.push_back(a.size(-2));
  if (!b_vec) out_shape.push_back(b.size(-1));
  // 1-d operands become a row / a column (views without autograd links: the node sees a and b).
  const Tensor a2 = a_vec ? ops::alias(a, {1, a.size(0)}, {0, a.stride(0)}, a.storage_offset()) : a;
  const Tensor b2 = b_vec ? ops::alias(b, {b.size(0), 1}, {b.stride(0), 0}, b.storage_offset()) : b;
  Tensor out = ops::product("matmul", a2, b2, out_shape);
  if (ops::needs_grad({&a, &b}))
    ops::record<ProductSaved>("MatmulBackward", ops::matmul_backward, ops::save_operands(a, b), {&a, &b},
                              {&out});
  return out;
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  ops::check_defined("linear", {&x, &weight});
  ops::check_same_device("linear", {&x, &weight, &bias});
  if (weight.dim() != 2 && weight.dim() != 1)
    fail("[linear] expected weight of shape [out_features, in_features], got {}", weight.describe());
  if (x.dim() == 0)
    fail("[linear] the input needs at least 1 dim (its last is in_features), got {}", x.describe());
  if (x.dtype() != weight.dtype() || (bias.defined() && bias.dtype() != x.dtype()))
    fail("[linear] dtype mismatch: input {}, weight {}, bias {}: all need one dtype; convert with .to()",
         x.describe(), weight.describe(), bias.defined() ? bias.describe() : "none");
  ops::check_operands("linear", x, weight);
  if (x.shape().back() != weight.shape().back())
    fail(
        "[linear] size mismatch: input {} has {} features (dim -1) but weight {} expects in_features = {} "
        "(dim -1)",
        x.describe(), x.size(-1), weight.describe(), weight.size(-1));
  const bool w_1d = weight.dim() == 1;
  if (bias.defined()) {
    const bool fits = bias.numel() == 1 || (!w_1d && bias.dim() == 1 && bias.shape()[0] == weight.shape()[0]);
    if (bias.dim() > 1 || !fits) {
      const Shape expected = w_1d ? Shape{} : Shape{weight.size(0)};
      fail("[linear] bias {} does not fit weight {}: expected a bias of shape {}", bias.describe(),
           weight.describe(), expected.str());
    }
  }
  // One product: x's rows (merged leading dims) @ weight^T (the kernel reads weight transposed), with
  // the bias added by the kernel as it writes each row.
  const Shape& xs = x.shape();
  const int64_t k = xs.back(), n = w_1d ? 1 : weight.shape()[0];
  Shape out_shape = xs;
  out_shape.resize(xs.size() - 1);
  int64_t rows = 1;
  for (int64_t d : out_shape) rows *= d;
  if (!w_1d) out_shape.push_back(n);
  // Only a 0-d product grows, to [1], with a bias of shape [1]; the element count never changes.
  if (out_shape.empty() && bias.defined() && bias.dim() == 1) out_shape.push_back(1);
  Tensor out = ops::empty_tensor(out_shape, x.dtype(), x.device());
  if (out.numel() > 0) {
    // weight [out, in] is the transposed right operand as it is; a 1-d weight is a [in, 1] column.
    const Tensor w =
        w_1d ? ops::alias(weight, {k, 1}, {weight.strides()[0], 0}, weight.storage_offset()) : weight;
    const Tensor out_rows = out.dim() == 2 ? out : ops::alias(out, {rows, n}, {n, 1}, 0);
    backend::kernels(x.device(), "linear").bmm(out_rows, ops::rows_operand(x, rows), w, bias, false, !w_1d);
  }
  if (ops::needs_grad({&x, &weight, &bias})) {
    ops::LinearSaved saved;
    saved.x_shape = xs;
    saved.out_features = n;
    saved.dtype = x.dtype();
    saved.weight_1d = w_1d;
    saved.need_x = x.requires_grad();
    saved.need_weight = weight.requires_grad();
    saved.need_bias = bias.defined() && bias.requires_grad();
    if (saved.need_weight)
      saved.x = autograd::SavedTensor::input(x);  // each gradient reads the other operand
    if (saved.need_x) saved.weight = autograd::SavedTensor::input(weight);
    if (bias.defined()) {
      saved.bias_dim = static_cast<int>(bias.dim());
      saved.bias_numel = bias.numel();
    }
    ops::record<ops::LinearSaved>("LinearBackward", ops::linear_backward, std::move(saved),
                                  {&x, &weight, &bias}, {&out});
  }
  return out;
}

Tensor Tensor::matmul(const Tensor& other) const { return strata::matmul(*this, other); }
Tensor Tensor::mm(const Tensor& other) const { return strata::mm(*this, other); }

}  // namespace strata
