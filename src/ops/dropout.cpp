// dropout: inverted dropout as one autograd node that saves only its scaled mask (0 or 1 / (1 - p)
// per element); the gradient is the upstream gradient times that mask.
//
// The mask is drawn from a counter-based hash keyed by one 64-bit draw of the generator, so that
// it can be filled in parallel and still depend on nothing but the seed. Each hash gives two
// 32-bit uniforms, one per element; an element is kept when its uniform is at or above p * 2^32.
// The mask is written by the backend's dropout_mask kernel (on the CPU: backend/cpu/dropout_mask.cpp),
// fused with the product when the input is contiguous.
#include <cmath>

#include "ops/common.h"
#include "ops/registry.h"
#include "strata/factories.h"
#include "strata/nn/functional/dropout.h"
#include "strata/ops.h"

namespace strata {
namespace ops {
namespace {

using autograd::SavedTensor;
using Grads = autograd::TensorList;

struct DropoutSaved {
  SavedTensor mask;  // x's dtype: 0 where dropped, 1 / (1 - p) where kept
};

Grads dropout_backward(const DropoutSaved& s, const Grads& g) {
  return {mul(g[0], s.mask.unpack("DropoutBackward", "mask"))};
}

}  // namespace

void register_dropout_ops(std::vector<OpInfo>& ops) {
  // The product of a strided input with the mask, and the gradient, run the binary kernel.
  auto has_kernels = [](const backend::Kernels& k) {
    return k.dropout_mask != nullptr && k.binary != nullptr;
  };
  ops.push_back({"dropout", true, reinterpret_cast<const void*>(&dropout_backward), has_kernels, {}});
}

}  // namespace ops

namespace nn::functional {

Tensor dropout(const Tensor& x, double p, bool training, Generator* generator) {
  ops::check_defined("dropout", {&x});
  if (!(p >= 0.0 && p <= 1.0))
    fail(
        "[dropout] probability p must lie in [0, 1], got p = {} (for {}); p is the chance an element is "
        "zeroed",
        p, x.describe());
  if (!x.is_floating_point())
    fail("[dropout] needs a floating-point tensor, got {}; convert with .to(strata::kFloat32)", x.describe());
  if (!training || p == 0.0) return x;
  if (p == 1.0) return mul(x, zeros({}, {.dtype = x.dtype(), .device = x.device()}));
  if (x.dtype() != kFloat32 && x.dtype() != kFloat64)
    fail("[dropout] is not implemented for dtype {}: {}; convert with .to(strata::kFloat32)",
         dtype_name(x.dtype()), x.describe());

  Generator& gen = generator ? *generator : default_generator();
  const uint64_t key = gen.next();
  // Dropped when the 32-bit uniform u < p * 2^32 (p < 1 here, so the threshold fits).
  const auto threshold = static_cast<uint64_t>(std::ldexp(p, 32));
  const bool on_cpu = x.device() == Device::cpu();
  const bool fused = on_cpu && x.is_contiguous();
  Tensor mask = ops::empty_tensor(x.shape(), x.dtype(), Device::cpu());
  Tensor out = fused ? ops::empty_tensor(x.shape(), x.dtype(), x.device()) : Tensor();
  // The mask is made on the CPU, where its hash stream is defined, and moved to x's device.
  if (x.numel() > 0)
    backend::cpu_kernels().dropout_mask(mask, fused ? out : Tensor(), fused ? x : Tensor(), threshold, key,
                                        1.0 / (1.0 - p));
  if (!on_cpu) mask = mask.to(x.device());
  if (!fused) {
    out = ops::empty_tensor(x.shape(), x.dtype(), x.device());
    backend::kernels(x.device(), "dropout").binary(backend::BinaryOp::Mul, out, x, mask, 1);
  }
  if (ops::needs_grad({&x}))
    ops::record<ops::DropoutSaved>("DropoutBackward", ops::dropout_backward,
                                   {autograd::SavedTensor::input(mask)}, {&x}, {&out});
  return out;
}

}  // namespace nn::functional
}  // namespace strata
