// max, min, argmax and argmin: over the whole tensor, or along one dim with the index of the
// winner. Dtype rule: values keep the input's dtype, indices are int64. NaN wins over any number
// (the first NaN, for indices), and ties go to the first index, as PyTorch.
#include "ops/reduce.h"
#include "strata/factories.h"
#include "strata/ops.h"

namespace strata {
namespace ops {
namespace {

using Grads = autograd::TensorList;
using autograd::SavedTensor;
using namespace reduction;

const char* extremum_name(bool is_max) { return is_max ? "max" : "min"; }
const char* extremum_word(bool is_max) { return is_max ? "largest" : "smallest"; }

// ---- over the whole tensor ----

struct AllSaved {
  SavedTensor x, out;
};

// As PyTorch's evenly_distribute_backward: every element equal to the result (or NaN, when the
// result is NaN) gets an equal share of the gradient.
Grads extremum_all_backward(const AllSaved& s, const Grads& g, const char* node) {
  const Tensor x = s.x.unpack(node, "self");
  const Tensor out = s.out.unpack(node, "result");
  const Tensor mask = logical_or(x == out, logical_and(x != x, out != out));
  return {where(mask, g[0] / sum(mask), zeros_like(x))};
}
Grads max_all_backward(const AllSaved& s, const Grads& g) {
  return extremum_all_backward(s, g, "MaxBackward");
}
Grads min_all_backward(const AllSaved& s, const Grads& g) {
  return extremum_all_backward(s, g, "MinBackward");
}

Tensor extremum_all(const Tensor& x, bool is_max) {
  const char* name = extremum_name(is_max);
  check_defined(name, {&x});
  if (x.numel() == 0)
    fail(
        "[{}] the empty tensor {} has no {} element; reduce along a dim of non-zero size with {}(x, dim) "
        "instead",
        name, x.describe(), extremum_word(is_max), name);
  const auto mask = reduced_mask(name, {}, x.dim());
  Tensor keep =
      reduce_keep(name, is_max ? backend::ReduceOp::Max : backend::ReduceOp::Min, x, mask, x.dtype());
  Tensor out = drop_reduced(keep, {});
  if (needs_grad({&x})) {
    auto& s =
        record<AllSaved>(is_max ? "MaxBackward" : "MinBackward", is_max ? max_all_backward : min_all_backward,
                         {SavedTensor::input(x), {}}, {&x}, {&out});
    s.out = SavedTensor::output(out);
  }
  return out;
}

// ---- along one dim ----

struct DimSaved {
  Shape in_shape, keep_shape;
  int64_t dim = 0;
  SavedTensor indices;
};

// The gradient goes to the element each index picked: positions along dim compared with the
// (broadcast) indices give the one-hot mask, and `where` keeps it differentiable in the gradient.
Grads value_selecting_backward(const DimSaved& s, const Grads& g, const char* node) {
  const Tensor gk = g[0].reshape(s.keep_shape);
  if (s.in_shape.empty()) return {gk};
  const Tensor indices = s.indices.unpack(node, "indices").reshape(s.keep_shape);
  Shape along(s.in_shape.size(), 1);
  along[s.dim] = s.in_shape[s.dim];
  const Tensor positions =
      arange(s.in_shape[s.dim], {.dtype = kInt64, .device = g[0].device()}).reshape(along);
  return {where(positions == indices, gk, zeros_like(gk))};
}
Grads max_dim_backward(const DimSaved& s, const Grads& g) {
  return value_selecting_backward(s, g, "MaxBackward");
}
Grads min_dim_backward(const DimSaved& s, const Grads& g) {
  return value_selecting_backward(s, g, "MinBackward");
}

// Values and indices in keepdim shape; `values` may be skipped by the caller (argmax).
ValuesIndices arg_reduce_keep(const char* name, const Tensor& x, int64_t d, bool is_max) {
  if (x.dim() > 0 && x.size(d) == 0)
    fail(
        "[{}] cannot reduce dim {} of {}: it has size 0, so there is no {} element; reduce along a dim of "
        "non-zero size",
        name, d, x.describe(), extremum_word(is_max));
  Shape keep = x.shape();
  if (x.dim() > 0) keep[d] = 1;
  ValuesIndices r{empty_tensor(keep, x.dtype(), x.device()), empty_tensor(keep, kInt64, x.device())};
  backend::kernels(x.device(), name).arg_reduce(r.values, r.indices, x, d, is_max);
  return r;
}

ValuesIndices extremum_dim(const Tensor& x, int64_t dim, bool keepdim, bool is_max) {
  const char* name = extremum_name(is_max);
  check_defined(name, {&x});
  const int64_t d = wrap_dim(name, dim, x.dim());
  ValuesIndices keep = arg_reduce_keep(name, x, d, is_max);
  const Shape final = final_shape(x.shape(), reduced_mask(name, {d}, x.dim()), keepdim);
  ValuesIndices r{drop_reduced(keep.values, final), drop_reduced(keep.indices, final)};
  if (needs_grad({&x}))
    record<DimSaved>(is_max ? "MaxBackward" : "MinBackward", is_max ? max_dim_backward : min_dim_backward,
                     {x.shape(), keep.values.shape(), d, SavedTensor::input(r.indices)}, {&x}, {&r.values});
  return r;
}

void check_arg_dtype(const char* name, const Tensor& x) {
  if (x.dtype() == kBool)
    fail(
        "[{}] is not defined for bool tensors ({}), as in PyTorch; convert with .to(strata::kUInt8) or "
        ".to(strata::kInt64)",
        name, x.describe());
}

Tensor arg_extremum_all(const Tensor& x, bool is_max) {
  const char* name = is_max ? "argmax" : "argmin";
  check_defined(name, {&x});
  check_arg_dtype(name, x);
  if (x.numel() == 0)
    fail(
        "[{}] the empty tensor {} has no {} element; reduce along a dim of non-zero size with {}(x, dim) "
        "instead",
        name, x.describe(), extremum_word(is_max), name);
  NoGradGuard no_grad;  // indices have no gradient; the flattening need not be recorded
  const Tensor flat = x.reshape({x.numel()});
  return drop_reduced(arg_reduce_keep(name, flat, 0, is_max).indices, {});
}

Tensor arg_extremum_dim(const Tensor& x, int64_t dim, bool keepdim, bool is_max) {
  const char* name = is_max ? "argmax" : "argmin";
  check_defined(name, {&x});
  check_arg_dtype(name, x);
  const int64_t d = wrap_dim(name, dim, x.dim());
  const Tensor indices = arg_reduce_keep(name, x, d, is_max).indices;
  return drop_reduced(indices, final_shape(x.shape(), reduced_mask(name, {d}, x.dim()), keepdim));
}

}  // namespace

namespace reduction {
void register_extrema_ops(std::vector<OpInfo>& ops) {
  auto has_reduce = [](const backend::Kernels& k) { return k.reduce != nullptr; };
  auto has_arg_reduce = [](const backend::Kernels& k) { return k.arg_reduce != nullptr; };
  ops.push_back({"max", true, reinterpret_cast<const void*>(&max_all_backward), has_reduce, {}});
  ops.push_back({"min", true, reinterpret_cast<const void*>(&min_all_backward), has_reduce, {}});
  ops.push_back({"max_dim", true, reinterpret_cast<const void*>(&max_dim_backward), has_arg_reduce, {}});
  ops.push_back({"min_dim", true, reinterpret_cast<const void*>(&min_dim_backward), has_arg_reduce, {}});
  ops.push_back({"argmax", false, nullptr, has_arg_reduce, {}});
  ops.push_back({"argmin", false, nullptr, has_arg_reduce, {}});
}
}  // namespace reduction

}  // namespace ops

Tensor max(const Tensor& x) { return ops::extremum_all(x, true); }
Tensor min(const Tensor& x) { return ops::extremum_all(x, false); }
ValuesIndices max(const Tensor& x, int64_t dim, bool keepdim) {
  return ops::extremum_dim(x, dim, keepdim, true);
}
ValuesIndices min(const Tensor& x, int64_t dim, bool keepdim) {
  return ops::extremum_dim(x, dim, keepdim, false);
}
Tensor argmax(const Tensor& x) { return ops::arg_extremum_all(x, true); }
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  return ops::arg_extremum_dim(x, dim, keepdim, true);
}
Tensor argmin(const Tensor& x) { return ops::arg_extremum_all(x, false); }
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim) {
  return ops::arg_extremum_dim(x, dim, keepdim, false);
}

Tensor Tensor::max() const { return strata::max(*this); }
Tensor Tensor::min() const { return strata::min(*this); }
Tensor Tensor::argmax() const { return strata::argmax(*this); }
Tensor Tensor::argmax(int64_t dim, bool keepdim) const { return strata::argmax(*this, dim, keepdim); }
Tensor Tensor::argmin() const { return strata::argmin(*this); }
Tensor Tensor::argmin(int64_t dim, bool keepdim) const { return strata::argmin(*this, dim, keepdim); }

}  // namespace strata
