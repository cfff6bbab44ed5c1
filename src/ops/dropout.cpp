// dropout: inverted dropout as one autograd node that saves only its scaled mask (0 or 1 / (1 - p)
// per element); the gradient is the upstream gradient times that mask.
//
// The mask is drawn from a counter-based hash keyed by one 64-bit draw of the generator, so that
// it can be filled in parallel and still depend on nothing but the seed. Each hash gives two
// 32-bit uniforms, one per element; an element is kept when its uniform is at or above p * 2^32.
//
// The mask is written by a loop here rather than by a backend kernel because the kernel table
// (src/backend/kernels.h) has no slot for it yet; the CPU loop below is that kernel in waiting
// (a `dropout_mask(mask, out, x, p, key)` slot would take it as it is).
#include <algorithm>
#include <cmath>

#include "core/parallel.h"
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

// splitmix64's finaliser: a bijective mix whose outputs for consecutive inputs are independent
// enough for a Bernoulli mask (it passes BigCrush as a counter-based generator).
inline uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

struct DropoutSaved {
  SavedTensor mask;  // x's dtype: 0 where dropped, 1 / (1 - p) where kept
};

Grads dropout_backward(const DropoutSaved& s, const Grads& g) {
  return {mul(g[0], s.mask.unpack("DropoutBackward", "mask"))};
}

// Fills `mask` (contiguous) with 0 / scale and, when `x` and `out` are given (contiguous, same
// dtype), writes out = x * mask in the same pass. Element i's uniform is half of the hash of pair
// i / 2 (the low half for even i). The hashes of a block are made first (scalar 64-bit products),
// then the block is masked in a loop the compiler vectorises.
template <typename T>
void fill_mask(T* mask, T* out, const T* x, int64_t n, uint64_t threshold, uint64_t key, T scale) {
  constexpr int64_t kPairs = 256;
  const auto sthr = static_cast<int32_t>(static_cast<uint32_t>(threshold) ^ 0x80000000U);
  const int64_t pairs = (n + 1) / 2;
  auto body = [&](int64_t begin, int64_t end) {
    uint32_t u[2 * kPairs];
    for (int64_t p0 = begin; p0 < end; p0 += kPairs) {
      const int64_t np = std::min(kPairs, end - p0);
      for (int64_t j = 0; j < np; ++j) {
        const uint64_t h = mix(key + static_cast<uint64_t>(p0 + j) * 0x9E3779B97F4A7C15ULL);
        u[2 * j] = static_cast<uint32_t>(h);
        u[2 * j + 1] = static_cast<uint32_t>(h >> 32);
      }
      const int64_t i0 = 2 * p0, len = std::min(2 * np, n - i0);
      // u >= thr as a signed comparison of the sign-flipped values (SSE2 has only signed ones),
      // and a product instead of a select: no branch, so the loops vectorise.
      T* m = mask + i0;
      if (out) {
        T* o = out + i0;
        const T* xi = x + i0;
        for (int64_t i = 0; i < len; ++i) {
          const T mi = static_cast<T>(static_cast<int32_t>(u[i] ^ 0x80000000U) >= sthr) * scale;
          m[i] = mi;
          o[i] = xi[i] * mi;
        }
      } else {
        for (int64_t i = 0; i < len; ++i)
          m[i] = static_cast<T>(static_cast<int32_t>(u[i] ^ 0x80000000U) >= sthr) * scale;
      }
    }
  };
  // Chunks of whole blocks, so that a block's pairs never straddle two chunks' element ranges.
  detail::parallel_for(0, (pairs + kPairs - 1) / kPairs, 64,
                       [&](int64_t b, int64_t e) { body(b * kPairs, std::min(e * kPairs, pairs)); });
}

}  // namespace

void register_dropout_ops(std::vector<OpInfo>& ops) {
  // The mask is filled by the op (see above); the product of a strided input with it, and the
  // gradient, run the binary kernel.
  auto has_binary = [](const backend::Kernels& k) { return k.binary != nullptr; };
  ops.push_back({"dropout", true, reinterpret_cast<const void*>(&dropout_backward), has_binary, {}});
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
  if (x.numel() > 0) {
    if (x.dtype() == kFloat32) {
      const auto scale = static_cast<float>(1.0 / (1.0 - p));
      ops::fill_mask<float>(mask.data<float>(), fused ? out.data<float>() : nullptr,
                            fused ? x.data<float>() : nullptr, x.numel(), threshold, key, scale);
    } else {
      const double scale = 1.0 / (1.0 - p);
      ops::fill_mask<double>(mask.data<double>(), fused ? out.data<double>() : nullptr,
                             fused ? x.data<double>() : nullptr, x.numel(), threshold, key, scale);
    }
  }
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
