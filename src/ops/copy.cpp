// clone and dtype conversion: copies through the copy kernel, differentiable.
#include "ops/common.h"
#include "ops/registry.h"
#include "strata/ops.h"

namespace strata {
namespace ops {
namespace {
struct CopySaved {
  DType in_dtype = kFloat32;
};
autograd::TensorList clone_backward(const CopySaved&, const autograd::TensorList& g) { return {g[0]}; }
autograd::TensorList to_dtype_backward(const CopySaved& s, const autograd::TensorList& g) {
  return {g[0].to(s.in_dtype)};
}

Tensor copy_to_new(std::string_view name, const Tensor& x, DType dtype) {
  check_defined(name, {&x});
  Tensor out = empty_tensor(x.shape(), dtype, x.device());
  backend::kernels(x.device(), name.data()).copy(out, x);
  return out;
}
}  // namespace

void register_copy_ops(std::vector<OpInfo>& ops) {
  auto has_copy = [](const backend::Kernels& k) { return k.copy != nullptr; };
  ops.push_back({"clone", true, reinterpret_cast<const void*>(&clone_backward), has_copy, {}});
  ops.push_back({"to_dtype", true, reinterpret_cast<const void*>(&to_dtype_backward), has_copy, {}});
}

}  // namespace ops

Tensor Tensor::clone() const {
  Tensor out = ops::copy_to_new("clone", *this, dtype());
  if (ops::needs_grad({this}))
    ops::record<ops::CopySaved>("CloneBackward", ops::clone_backward, {dtype()}, {this}, {&out});
  return out;
}

Tensor Tensor::to(DType target) const {
  if (target == dtype()) return *this;
  Tensor out = ops::copy_to_new("to", *this, target);
  if (ops::needs_grad({this})) {
    if (!strata::is_floating_point(target))
      return out;  // an integer result carries no gradient, as in PyTorch
    ops::record<ops::CopySaved>("ToCopyBackward", ops::to_dtype_backward, {dtype()}, {this}, {&out});
  }
  return out;
}

}  // namespace strata
